/* afz_b64.h - base64url without padding (RFC 7515 2, RFC 8555 6.1) and
 * standard base64 for PEM bodies. */
#ifndef AFZ_B64_H
#define AFZ_B64_H

#include <stddef.h>
#include <stdint.h>

#include "afz_buf.h"

/* afz_b64url_encode appends the unpadded base64url form of |n| bytes. */
afz_rc afz_b64url_encode(const void *in, size_t n, afz_buf *out);
/* afz_b64url_decode appends the bytes encoded by |n| characters of
 * base64url. Strict: '=' padding, characters outside [A-Za-z0-9_-],
 * a length of 1 mod 4, and non-zero trailing bits are AFZ_EPARSE
 * (RFC 8555 6.1 requires servers to reject padded values). */
afz_rc afz_b64url_decode(const char *in, size_t n, afz_buf *out);

#endif
