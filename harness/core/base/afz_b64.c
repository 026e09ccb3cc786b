/* afz_b64.c - see afz_b64.h. */
#include "afz_b64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Drops what a failed call appended, keeping the NUL after the data. */
static void buf_truncate(afz_buf *b, size_t len)
{
    b->len = len;
    if (b->data)
        b->data[len] = '\0';
}

/* The codec works through a small stack block and appends whole blocks:
 * a fuzz run decodes and encodes every JWS member of every request, and
 * one append per byte was a measurable share of it (bench/README.md). */
#define B64_BLOCK 192 /* a multiple of 3 and of 4 */

afz_rc afz_b64url_encode(const void *in, size_t n, afz_buf *out)
{
    const uint8_t *p = in;
    char q[B64_BLOCK];
    size_t used = 0;
    afz_rc rc = AFZ_OK;
    size_t i = 0;
    size_t start = out->len;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8) | p[i + 2];
        q[used] = alphabet[v >> 18];
        q[used + 1] = alphabet[(v >> 12) & 63];
        q[used + 2] = alphabet[(v >> 6) & 63];
        q[used + 3] = alphabet[v & 63];
        used += 4;
        if (used == sizeof q) {
            rc = afz_buf_append(out, q, used);
            used = 0;
            if (rc != AFZ_OK)
                break;
        }
    }
    size_t rest = n - i;
    if (rc != AFZ_OK) {
        /* Nothing more to append. */
    } else if (rest == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        q[used] = alphabet[v >> 18];
        q[used + 1] = alphabet[(v >> 12) & 63];
        used += 2;
    } else if (rest == 2) {
        uint32_t v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8);
        q[used] = alphabet[v >> 18];
        q[used + 1] = alphabet[(v >> 12) & 63];
        q[used + 2] = alphabet[(v >> 6) & 63];
        used += 3;
    }
    if (rc == AFZ_OK && used)
        rc = afz_buf_append(out, q, used);
    /* Like afz_buf_append: a failed encode leaves |out| as it was. */
    if (rc != AFZ_OK)
        buf_truncate(out, start);
    return rc;
}

/* One table lookup per character: the value of a base64url character
 * plus one, 0 for every other byte. */
static const uint8_t b64url_value[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,
    ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
    ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
    ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
    ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['-'] = 63, ['_'] = 64,
};

afz_rc afz_b64url_decode(const char *in, size_t n, afz_buf *out)
{
    if (n % 4 == 1)
        return AFZ_EPARSE;
    size_t start = out->len;
    uint8_t block[B64_BLOCK];
    size_t used = 0;
    uint32_t acc = 0;
    int bits = 0;
    afz_rc rc = AFZ_OK;
    for (size_t i = 0; i < n; i++) {
        unsigned v = b64url_value[(unsigned char)in[i]];
        if (v == 0) {
            rc = AFZ_EPARSE;
            break;
        }
        acc = (acc << 6) | (v - 1);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            block[used++] = (uint8_t)(acc >> bits);
            if (used == sizeof block) {
                afz_rc arc = afz_buf_append(out, block, used);
                used = 0;
                if (arc != AFZ_OK) {
                    buf_truncate(out, start);
                    return arc;
                }
            }
        }
    }
    /* The bytes before a bad character are appended first, so a cap they
     * exceed is reported as it was when they were appended one by one. */
    if (used) {
        afz_rc arc = afz_buf_append(out, block, used);
        if (arc != AFZ_OK) {
            buf_truncate(out, start);
            return arc;
        }
    }
    if (rc != AFZ_OK)
        goto bad;
    /* Leftover bits must be zero for a canonical encoding. */
    if (bits && (acc & ((1u << bits) - 1)))
        goto bad;
    return AFZ_OK;
bad:
    buf_truncate(out, start);
    return AFZ_EPARSE;
}
