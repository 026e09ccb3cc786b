/* afz_buf.c - see afz_buf.h. */
#include "afz_buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *afz_rc_str(afz_rc rc)
{
    switch (rc) {
    case AFZ_OK:
        return "ok";
    case AFZ_ENOMEM:
        return "out of memory";
    case AFZ_EINVAL:
        return "invalid argument";
    case AFZ_EPARSE:
        return "parse error";
    case AFZ_ECRYPTO:
        return "crypto error";
    case AFZ_EIO:
        return "I/O error";
    case AFZ_ELIMIT:
        return "size limit reached";
    case AFZ_ENOTFOUND:
        return "not found";
    case AFZ_ETRANSPORT:
        return "transport error";
    case AFZ_EBUDGET:
        return "budget exhausted";
    case AFZ_EPROTO:
        return "protocol error";
    case AFZ_EFAIL:
        return "failed";
    }
    return "unknown error";
}

void afz_buf_init(afz_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : AFZ_BUF_DEFAULT_MAX;
}

void afz_buf_cleanup(afz_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void afz_buf_reset(afz_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static afz_rc buf_reserve(afz_buf *b, size_t extra)
{
    if (extra > b->max - b->len)
        return AFZ_ELIMIT;
    /* A cap near SIZE_MAX must not let len + extra + 1 or the doubling
     * below wrap around; no object that large can exist anyway. */
    if (extra > SIZE_MAX / 2 - b->len)
        return AFZ_ENOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return AFZ_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 4 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return AFZ_ENOMEM;
    b->data = p;
    b->cap = cap;
    return AFZ_OK;
}

afz_rc afz_buf_append(afz_buf *b, const void *p, size_t n)
{
    afz_rc rc = buf_reserve(b, n);
    if (rc != AFZ_OK)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return AFZ_OK;
}

afz_rc afz_buf_puts(afz_buf *b, const char *s)
{
    return afz_buf_append(b, s, strlen(s));
}

afz_rc afz_buf_putc(afz_buf *b, char c)
{
    return afz_buf_append(b, &c, 1);
}

afz_rc afz_buf_vprintf(afz_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return AFZ_EINVAL;
    afz_rc rc = buf_reserve(b, (size_t)n);
    if (rc != AFZ_OK)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return AFZ_OK;
}

afz_rc afz_buf_printf(afz_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    afz_rc rc = afz_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

const char *afz_buf_cstr(const afz_buf *b)
{
    return b->data ? b->data : "";
}

char *afz_buf_take(afz_buf *b, size_t *len_out)
{
    char *p = b->data;
    size_t len = b->len;
    if (!p) {
        p = malloc(1);
        if (!p)
            return NULL;
        p[0] = '\0';
    }
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    if (len_out)
        *len_out = len;
    return p;
}

afz_rc afz_buf_read_file(afz_buf *b, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return AFZ_ENOTFOUND;
    size_t start = b->len;
    afz_rc rc = AFZ_OK;
    char chunk[4096];
    size_t got;
    while (rc == AFZ_OK && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = afz_buf_append(b, chunk, got);
    if (rc == AFZ_OK && ferror(f))
        rc = AFZ_EIO;
    int saved = errno;
    fclose(f);
    errno = saved;
    if (rc != AFZ_OK) {
        b->len = start;
        if (b->data)
            b->data[start] = '\0';
    }
    return rc;
}

void afz_cursor_init(afz_cursor *c, const void *p, size_t n)
{
    c->p = p;
    c->left = p ? n : 0;
}

int afz_cursor_u8(afz_cursor *c, uint8_t *out)
{
    if (c->left < 1) {
        *out = 0;
        return -1;
    }
    *out = c->p[0];
    c->p++;
    c->left--;
    return 0;
}

int afz_cursor_u16(afz_cursor *c, uint16_t *out)
{
    if (c->left < 2) {
        *out = 0;
        return -1;
    }
    *out = (uint16_t)((c->p[0] << 8) | c->p[1]);
    c->p += 2;
    c->left -= 2;
    return 0;
}

int afz_cursor_u32(afz_cursor *c, uint32_t *out)
{
    if (c->left < 4) {
        *out = 0;
        return -1;
    }
    *out =
        ((uint32_t)c->p[0] << 24) | ((uint32_t)c->p[1] << 16) | ((uint32_t)c->p[2] << 8) | c->p[3];
    c->p += 4;
    c->left -= 4;
    return 0;
}

uint8_t afz_cursor_u8_or(afz_cursor *c, uint8_t dflt)
{
    uint8_t v;
    return afz_cursor_u8(c, &v) == 0 ? v : dflt;
}

void afz_cursor_bytes(afz_cursor *c, size_t n, const uint8_t **out, size_t *got)
{
    size_t k = n < c->left ? n : c->left;
    *out = c->p;
    *got = k;
    c->p += k;
    c->left -= k;
}

char *afz_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *afz_strdup(const char *s)
{
    return s ? afz_strndup(s, strlen(s)) : NULL;
}

int afz_strcaseeq(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y)
            return 0;
        if (!x)
            return 1;
    }
}

int afz_array_grow(void **p, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 1;
    size_t c = *cap ? *cap * 2 : 8;
    if (c < *cap || (elem && c > SIZE_MAX / elem))
        return 0;
    void *q = realloc(*p, c * elem);
    if (!q)
        return 0;
    *p = q;
    *cap = c;
    return 1;
}
