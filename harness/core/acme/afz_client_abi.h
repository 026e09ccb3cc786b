/* afz_client_abi.h - checking a client table against the client ABI
 * (afz_client.h) and reading what it declares.
 *
 * Every way a client reaches the harness goes through these checks: a
 * built-in client, a shared object loaded by the loader (afz_client_lib.h,
 * an I/O shell) and a fuzz target's client. Pure functions over the
 * table; nothing here loads, allocates (except afz_client_algs_format's
 * buffer, which the caller owns) or keeps state. */
#ifndef AFZ_CLIENT_ABI_H
#define AFZ_CLIENT_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "afz_buf.h"
#include "afz_client.h"
#include "afz_jose.h"
#include "afz_rc.h"

/* AFZ_CLIENT_ENTRY_SYMBOL is the symbol a client library defines and the
 * loader (afz_client_lib.h) looks up. */
#define AFZ_CLIENT_ENTRY_SYMBOL "afz_client_entry"

/* afz_client_validate checks that |c| can be run by this acmefuzz: not
 * NULL, abi_version == AFZ_CLIENT_ABI_VERSION, struct_size >=
 * AFZ_CLIENT_MIN_SIZE, a non-empty name, an obtain function, and
 * capabilities afz_client_caps_get accepts. It reads abi_version and
 * struct_size first and nothing past struct_size. Returns AFZ_OK, or
 * AFZ_EINVAL with a one-line reason in |err| (|errlen| bytes, always
 * NUL-terminated when errlen > 0; both versions are named on an ABI
 * mismatch). */
afz_rc afz_client_validate(const afz_client *c, char *err, size_t errlen);

/* What a client declared (afz_client.account_algs and .flags), with the
 * defaults for what it left out. */
typedef struct afz_client_caps {
    uint32_t account_algs; /* AFZ_CLIENT_ALG_* bits, never 0: AFZ_CLIENT_ALGS_ALL when
                              undeclared; bits this acmefuzz does not know are dropped */
    int stateful;          /* declared AFZ_CLIENT_STATEFUL */
    int stateless;         /* declared AFZ_CLIENT_STATELESS */
} afz_client_caps;

/* afz_client_caps_get reads the capabilities of |c| (abi_version and
 * struct_size already checked, e.g. by afz_client_validate), reading no
 * byte past c->struct_size: a field the client's struct does not reach
 * counts as 0, that is, not declared. Returns AFZ_OK, or AFZ_EINVAL (|out|
 * then holds the defaults) when the declaration contradicts itself: both
 * AFZ_CLIENT_STATEFUL and AFZ_CLIENT_STATELESS, or account_algs set but
 * naming none of the four algorithms this acmefuzz has. */
afz_rc afz_client_caps_get(const afz_client *c, afz_client_caps *out);

/* afz_client_caps_pick_alg maps the algorithm a plan or an option asks for
 * onto what the client declared: |want| itself when declared, otherwise
 * the first declared one in the order ES256, ES384, RS256, EdDSA. Pure and
 * deterministic, so a plan still fixes its run. */
afz_jws_alg afz_client_caps_pick_alg(const afz_client_caps *caps, afz_jws_alg want);

/* afz_client_algs_parse reads a comma-separated list of JWS algorithm
 * names as JWS spells them ("ES256,EdDSA"; case-sensitive, RFC 7515
 * 4.1.1), or "all", into AFZ_CLIENT_ALG_* bits. Returns AFZ_OK, or
 * AFZ_EINVAL for an empty list, an empty item or an unknown name (*out
 * is 0 then). */
afz_rc afz_client_algs_parse(const char *list, uint32_t *out);

/* afz_client_algs_format appends the names of the AFZ_CLIENT_ALG_* bits of
 * |algs| to |out|, comma-separated in the order ES256, ES384, RS256,
 * EdDSA ("all" for 0, the undeclared set). */
afz_rc afz_client_algs_format(uint32_t algs, afz_buf *out);

#endif
