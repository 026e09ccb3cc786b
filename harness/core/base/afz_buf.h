/* afz_buf.h - a growable byte buffer with a hard cap (in the spirit of
 * curl's dynbuf), and a bounded read cursor for parsing untrusted bytes.
 *
 * An afz_buf owns its storage. The data is always followed by a NUL byte
 * that is not counted in len, so text can be handed to C string APIs, but
 * the buffer may hold NULs itself. All appends fail with AFZ_ELIMIT (and
 * leave the buffer unchanged) when the result would exceed max bytes. */
#ifndef AFZ_BUF_H
#define AFZ_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "afz_rc.h"

typedef struct afz_buf {
    char *data; /* NULL until the first append; then NUL-terminated */
    size_t len; /* bytes used, not counting the terminating NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* hard cap on len */
} afz_buf;

/* AFZ_BUF_DEFAULT_MAX is the cap used when afz_buf_init gets 0. */
#define AFZ_BUF_DEFAULT_MAX ((size_t)64 << 20)

/* afz_buf_init prepares |b| as empty with a cap of |max| bytes (0 means
 * AFZ_BUF_DEFAULT_MAX). It allocates nothing. */
void afz_buf_init(afz_buf *b, size_t max);
/* afz_buf_cleanup frees the storage and leaves |b| empty; safe to repeat. */
void afz_buf_cleanup(afz_buf *b);
/* afz_buf_reset sets len to 0 and keeps the storage for reuse. */
void afz_buf_reset(afz_buf *b);
/* afz_buf_append appends |n| bytes from |p|. */
afz_rc afz_buf_append(afz_buf *b, const void *p, size_t n);
/* afz_buf_puts appends the NUL-terminated string |s| (without its NUL). */
afz_rc afz_buf_puts(afz_buf *b, const char *s);
/* afz_buf_putc appends one byte. */
afz_rc afz_buf_putc(afz_buf *b, char c);
/* afz_buf_printf appends printf-formatted text. */
afz_rc afz_buf_printf(afz_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
afz_rc afz_buf_vprintf(afz_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* afz_buf_cstr returns the contents as a NUL-terminated string, "" when
 * empty. The pointer is valid until the next change to |b|. */
const char *afz_buf_cstr(const afz_buf *b);
/* afz_buf_take moves the storage out: returns a malloc'd NUL-terminated
 * copy owner (caller frees with free()), sets *len_out if not NULL, and
 * leaves |b| empty. Returns NULL only on allocation failure. */
char *afz_buf_take(afz_buf *b, size_t *len_out);

/* afz_buf_read_file appends the whole file at |path| to |b| (the cap of
 * |b| bounds it). AFZ_ENOTFOUND when it cannot be opened, AFZ_EIO on a read
 * error (errno is kept for both), AFZ_ELIMIT when it is larger than the
 * cap; on any error |b| is left as it was. */
afz_rc afz_buf_read_file(afz_buf *b, const char *path);

/* afz_cursor reads bytes it does not own, never past the end. */
typedef struct afz_cursor {
    const uint8_t *p;
    size_t left;
} afz_cursor;

void afz_cursor_init(afz_cursor *c, const void *p, size_t n);
/* afz_cursor_u8 reads one byte; returns 0 on success, -1 when empty (and
 * then sets *out to 0). The same holds for the wider readers
 * (big-endian). Total decoders use afz_cursor_u8_or to get a default. */
int afz_cursor_u8(afz_cursor *c, uint8_t *out);
int afz_cursor_u16(afz_cursor *c, uint16_t *out);
int afz_cursor_u32(afz_cursor *c, uint32_t *out);
/* afz_cursor_u8_or reads one byte, or returns |dflt| when empty. */
uint8_t afz_cursor_u8_or(afz_cursor *c, uint8_t dflt);
/* afz_cursor_bytes borrows up to |n| bytes: *out points into the input,
 * *got is how many were available (<= n). */
void afz_cursor_bytes(afz_cursor *c, size_t n, const uint8_t **out, size_t *got);

/* afz_strndup copies |n| bytes of |s| and terminates them; NULL on ENOMEM. */
char *afz_strndup(const char *s, size_t n);
/* afz_strdup copies |s| (NULL gives NULL). */
char *afz_strdup(const char *s);
/* afz_strcaseeq compares two strings ASCII-case-insensitively. */
int afz_strcaseeq(const char *a, const char *b);

/* afz_array_grow makes room for element |n| of the array *p of *cap
 * elements of |elem| bytes: when n == *cap it doubles the array (8 at
 * first) with realloc and updates *p and *cap. Returns 1, or 0 on
 * allocation failure or overflow (*p and *cap unchanged; the caller still
 * owns and frees *p). */
int afz_array_grow(void **p, size_t *cap, size_t n, size_t elem);

#endif
