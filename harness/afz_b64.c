/* afz_b64.c - see afz_b64.h. */
#include "afz_b64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Drops what a failed call appended, keeping the NUL after the data. */
static void buf_truncate(afz_buf *b, size_t len)
{
    b->len = len;
    if (b->data)
        b->data[len] = '\0';
}

afz_rc afz_b64url_encode(const void *in, size_t n, afz_buf *out)
{
    const uint8_t *p = in;
    char q[4];
    afz_rc rc = AFZ_OK;
    size_t i = 0;
    size_t start = out->len;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8) | p[i + 2];
        q[0] = alphabet[v >> 18];
        q[1] = alphabet[(v >> 12) & 63];
        q[2] = alphabet[(v >> 6) & 63];
        q[3] = alphabet[v & 63];
        rc = afz_buf_append(out, q, 4);
        if (rc != AFZ_OK)
            break;
    }
    size_t rest = n - i;
    if (rc != AFZ_OK) {
        /* Nothing more to append. */
    } else if (rest == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        q[0] = alphabet[v >> 18];
        q[1] = alphabet[(v >> 12) & 63];
        rc = afz_buf_append(out, q, 2);
    } else if (rest == 2) {
        uint32_t v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8);
        q[0] = alphabet[v >> 18];
        q[1] = alphabet[(v >> 12) & 63];
        q[2] = alphabet[(v >> 6) & 63];
        rc = afz_buf_append(out, q, 3);
    }
    /* Like afz_buf_append: a failed encode leaves |out| as it was. */
    if (rc != AFZ_OK)
        buf_truncate(out, start);
    return rc;
}

static int b64_val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

afz_rc afz_b64url_decode(const char *in, size_t n, afz_buf *out)
{
    if (n % 4 == 1)
        return AFZ_EPARSE;
    size_t start = out->len;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_val(in[i]);
        if (v < 0)
            goto bad;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            char c = (char)((acc >> bits) & 0xff);
            afz_rc rc = afz_buf_putc(out, c);
            if (rc != AFZ_OK) {
                buf_truncate(out, start);
                return rc;
            }
        }
    }
    /* Leftover bits must be zero for a canonical encoding. */
    if (bits && (acc & ((1u << bits) - 1)))
        goto bad;
    return AFZ_OK;
bad:
    buf_truncate(out, start);
    return AFZ_EPARSE;
}
