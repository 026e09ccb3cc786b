/* check_b64.c - tests for harness/core/base/afz_b64.c: unpadded base64url, strict
 * decoding as RFC 8555 6.1 demands. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "afz_b64.h"
#include "afz_prng.h"

#define NELEM(a) (int)(sizeof(a) / sizeof((a)[0]))

/* RFC 4648 10 test vectors, "=" padding removed (base64url and base64
 * agree on these: no 62/63 digits occur). */
/* clang-format off */
static const struct {
    const char *raw;
    const char *enc;
} rfc4648[] = {
    {"", ""},
    {"f", "Zg"},
    {"fo", "Zm8"},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg"},
    {"fooba", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy"},
};
/* clang-format on */

START_TEST(test_b64_encode_rfc4648_vectors)
{
    afz_buf out;
    afz_buf_init(&out, 0);
    ck_assert_int_eq(afz_b64url_encode(rfc4648[_i].raw, strlen(rfc4648[_i].raw), &out), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&out), rfc4648[_i].enc);
    ck_assert_uint_eq(out.len, strlen(rfc4648[_i].enc));
    afz_buf_cleanup(&out);
}
END_TEST

START_TEST(test_b64_decode_rfc4648_vectors)
{
    afz_buf out;
    afz_buf_init(&out, 0);
    ck_assert_int_eq(afz_b64url_decode(rfc4648[_i].enc, strlen(rfc4648[_i].enc), &out), AFZ_OK);
    ck_assert_uint_eq(out.len, strlen(rfc4648[_i].raw));
    ck_assert_str_eq(afz_buf_cstr(&out), rfc4648[_i].raw);
    afz_buf_cleanup(&out);
}
END_TEST

/* The two digits where base64url differs from base64 (RFC 4648 5). */
/* clang-format off */
static const struct {
    uint8_t raw[3];
    size_t n;
    const char *enc;
} url_alphabet[] = {
    {{0xfb, 0xef, 0xbe}, 3, "----"},
    {{0xff, 0xff, 0xff}, 3, "____"},
    {{0xfb, 0xff}, 2, "-_8"},
    {{0xfc}, 1, "_A"},
    {{0xf8}, 1, "-A"},
    {{0x00, 0x00, 0x00}, 3, "AAAA"},
};
/* clang-format on */

START_TEST(test_b64_uses_url_alphabet_both_ways)
{
    afz_buf out;
    afz_buf_init(&out, 0);
    ck_assert_int_eq(afz_b64url_encode(url_alphabet[_i].raw, url_alphabet[_i].n, &out), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&out), url_alphabet[_i].enc);
    afz_buf_reset(&out);
    ck_assert_int_eq(afz_b64url_decode(url_alphabet[_i].enc, strlen(url_alphabet[_i].enc), &out),
                     AFZ_OK);
    ck_assert_uint_eq(out.len, url_alphabet[_i].n);
    ck_assert_int_eq(memcmp(out.data, url_alphabet[_i].raw, url_alphabet[_i].n), 0);
    afz_buf_cleanup(&out);
}
END_TEST

/* Inputs RFC 8555 6.1 and RFC 7515 2 make invalid; each must be
 * AFZ_EPARSE and leave the output buffer exactly as it was. */
/* clang-format off */
static const struct {
    const char *in;
    size_t n;
} rejects[] = {
    {"Zg==", 4},           /* padding */
    {"Zm8=", 4},
    {"Zm9vYg==", 8},
    {"Zm9vYg=", 7},
    {"====", 4},
    {"+/8", 3},            /* standard base64 digits */
    {"Zm9v+A", 6},
    {"Zm9/", 4},
    {"Zm 9v", 5},          /* whitespace anywhere */
    {" Zm9v", 5},
    {"Zm9v\n", 5},
    {"Zm9v\r\n", 6},
    {"Zm9v\t", 5},
    {"Z", 1},              /* length 1 mod 4 */
    {"Zm9vY", 5},
    {"Zm9vYmFyZ", 9},
    {"QR", 2},             /* non-zero trailing bits (canonical is "QQ") */
    {"Zh", 2},             /* canonical "Zg" */
    {"Zm9", 3},            /* canonical "Zm8" */
    {"Zm\0v", 4},          /* embedded NUL */
    {"Zm9\xff", 4},        /* non-ASCII */
    {"Zm9v.A", 6},
};
/* clang-format on */

START_TEST(test_b64_decode_rejects_noncanonical_input)
{
    afz_buf out;
    afz_buf_init(&out, 0);
    ck_assert_int_eq(afz_buf_puts(&out, "keep"), AFZ_OK);
    ck_assert_int_eq(afz_b64url_decode(rejects[_i].in, rejects[_i].n, &out), AFZ_EPARSE);
    ck_assert_uint_eq(out.len, 4);
    ck_assert_str_eq(afz_buf_cstr(&out), "keep");
    afz_buf_cleanup(&out);
}
END_TEST

/* Exhaustively: in a 2-digit group only the 4 digits whose low 4 bits are
 * zero are canonical last digits; in a 3-digit group the 16 whose low 2
 * bits are zero. */
START_TEST(test_b64_decode_accepts_only_zero_trailing_bits)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    afz_buf out;
    int ok2 = 0, ok3 = 0;
    afz_buf_init(&out, 0);
    for (int v = 0; v < 64; v++) {
        char two[2] = {'A', digits[v]};
        char three[3] = {'A', 'A', digits[v]};
        afz_rc rc2 = afz_b64url_decode(two, 2, &out);
        ck_assert_int_eq(rc2, (v & 15) == 0 ? AFZ_OK : AFZ_EPARSE);
        ok2 += rc2 == AFZ_OK;
        afz_rc rc3 = afz_b64url_decode(three, 3, &out);
        ck_assert_int_eq(rc3, (v & 3) == 0 ? AFZ_OK : AFZ_EPARSE);
        ok3 += rc3 == AFZ_OK;
    }
    ck_assert_int_eq(ok2, 4);
    ck_assert_int_eq(ok3, 16);
    ck_assert_uint_eq(out.len, 4 * 1 + 16 * 2);
    afz_buf_cleanup(&out);
}
END_TEST

START_TEST(test_b64_decode_appends_to_existing_content)
{
    afz_buf out;
    afz_buf_init(&out, 0);
    ck_assert_int_eq(afz_buf_puts(&out, "x:"), AFZ_OK);
    ck_assert_int_eq(afz_b64url_decode("Zm9v", 4, &out), AFZ_OK);
    ck_assert_int_eq(afz_b64url_encode("bar", 3, &out), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&out), "x:fooYmFy");
    afz_buf_cleanup(&out);
}
END_TEST

START_TEST(test_b64_decode_ignores_bytes_past_n)
{
    afz_buf out;
    afz_buf_init(&out, 0);
    ck_assert_int_eq(afz_b64url_decode("Zm9vYmFy", 4, &out), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&out), "foo");
    afz_buf_cleanup(&out);
}
END_TEST

/* Hitting the output cap midway must undo the partial output and keep the
 * buffer NUL-terminated at its old length (decode used to leave "abfo"
 * visible through afz_buf_cstr, encode used to keep "abZm9v"). */
START_TEST(test_b64_decode_over_cap_leaves_buffer_unchanged)
{
    afz_buf out;
    afz_buf_init(&out, 4);
    ck_assert_int_eq(afz_buf_puts(&out, "ab"), AFZ_OK);
    ck_assert_int_eq(afz_b64url_decode("Zm9vYmFy", 8, &out), AFZ_ELIMIT);
    ck_assert_uint_eq(out.len, 2);
    ck_assert_str_eq(afz_buf_cstr(&out), "ab");
    ck_assert_int_eq(afz_b64url_decode("Zm8", 3, &out), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&out), "abfo");
    afz_buf_cleanup(&out);
}
END_TEST

START_TEST(test_b64_encode_over_cap_leaves_buffer_unchanged)
{
    afz_buf out;
    afz_buf_init(&out, 7);
    ck_assert_int_eq(afz_buf_puts(&out, "ab"), AFZ_OK);
    ck_assert_int_eq(afz_b64url_encode("foobar", 6, &out), AFZ_ELIMIT);
    ck_assert_uint_eq(out.len, 2);
    ck_assert_str_eq(afz_buf_cstr(&out), "ab");
    ck_assert_int_eq(afz_b64url_encode("foob", 4, &out), AFZ_ELIMIT); /* tail overflows */
    ck_assert_str_eq(afz_buf_cstr(&out), "ab");
    ck_assert_int_eq(afz_b64url_encode("foo", 3, &out), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&out), "abZm9v");
    afz_buf_cleanup(&out);
}
END_TEST

/* Random byte strings of length _i (0..64), several seeds each: encoding
 * has the unpadded length, uses only url-safe digits, and decodes back. */
START_TEST(test_b64_round_trips_random_bytes)
{
    size_t n = (size_t)_i;
    for (uint64_t seed = 0; seed < 16; seed++) {
        afz_prng rng;
        uint8_t raw[64];
        afz_buf enc, dec;
        afz_prng_seed(&rng, seed * 1000 + n);
        afz_prng_bytes(&rng, raw, n);
        afz_buf_init(&enc, 0);
        afz_buf_init(&dec, 0);
        ck_assert_int_eq(afz_b64url_encode(raw, n, &enc), AFZ_OK);
        ck_assert_uint_eq(enc.len, (4 * n + 2) / 3);
        ck_assert_uint_eq(strspn(afz_buf_cstr(&enc), "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                     "abcdefghijklmnopqrstuvwxyz0123456789-_"),
                          enc.len);
        ck_assert_int_eq(afz_b64url_decode(afz_buf_cstr(&enc), enc.len, &dec), AFZ_OK);
        ck_assert_uint_eq(dec.len, n);
        if (n)
            ck_assert_int_eq(memcmp(dec.data, raw, n), 0);
        afz_buf_cleanup(&enc);
        afz_buf_cleanup(&dec);
    }
}
END_TEST

/* Lengths around the codec's internal block (192 characters, 144 bytes)
 * and well past it: the round trip is exact, a cap reached in a later
 * block and a bad character after whole blocks both leave the buffer as
 * it was. */
static const size_t long_lengths[] = {143, 144, 145, 191, 192, 193, 287, 288, 289, 1000, 4099};

START_TEST(test_b64_round_trips_across_blocks)
{
    size_t n = long_lengths[_i];
    uint8_t *raw = malloc(n);
    afz_prng rng;
    afz_buf enc, dec;
    ck_assert_ptr_nonnull(raw);
    afz_prng_seed(&rng, n);
    afz_prng_bytes(&rng, raw, n);
    afz_buf_init(&enc, 0);
    afz_buf_init(&dec, 0);
    ck_assert_int_eq(afz_b64url_encode(raw, n, &enc), AFZ_OK);
    ck_assert_uint_eq(enc.len, (4 * n + 2) / 3);
    ck_assert_int_eq(afz_b64url_decode(afz_buf_cstr(&enc), enc.len, &dec), AFZ_OK);
    ck_assert_uint_eq(dec.len, n);
    ck_assert_int_eq(memcmp(dec.data, raw, n), 0);

    afz_buf capped;
    afz_buf_init(&capped, n / 2 + 2);
    ck_assert_int_eq(afz_buf_puts(&capped, "ab"), AFZ_OK);
    ck_assert_int_eq(afz_b64url_decode(afz_buf_cstr(&enc), enc.len, &capped), AFZ_ELIMIT);
    ck_assert_str_eq(afz_buf_cstr(&capped), "ab");
    afz_buf_reset(&capped);
    ck_assert_int_eq(afz_b64url_encode(raw, n, &capped), AFZ_ELIMIT);
    ck_assert_uint_eq(capped.len, 0);

    enc.data[enc.len - 1] = '=';
    afz_buf_reset(&dec);
    ck_assert_int_eq(afz_buf_puts(&dec, "ab"), AFZ_OK);
    ck_assert_int_eq(afz_b64url_decode(afz_buf_cstr(&enc), enc.len, &dec), AFZ_EPARSE);
    ck_assert_str_eq(afz_buf_cstr(&dec), "ab");
    afz_buf_cleanup(&capped);
    afz_buf_cleanup(&enc);
    afz_buf_cleanup(&dec);
    free(raw);
}
END_TEST

Suite *b64_suite(void)
{
    Suite *s = suite_create("b64");
    TCase *tc = tcase_create("vectors");
    tcase_add_loop_test(tc, test_b64_encode_rfc4648_vectors, 0, NELEM(rfc4648));
    tcase_add_loop_test(tc, test_b64_decode_rfc4648_vectors, 0, NELEM(rfc4648));
    tcase_add_loop_test(tc, test_b64_uses_url_alphabet_both_ways, 0, NELEM(url_alphabet));
    suite_add_tcase(s, tc);

    tc = tcase_create("strictness");
    tcase_add_loop_test(tc, test_b64_decode_rejects_noncanonical_input, 0, NELEM(rejects));
    tcase_add_test(tc, test_b64_decode_accepts_only_zero_trailing_bits);
    tcase_add_test(tc, test_b64_decode_appends_to_existing_content);
    tcase_add_test(tc, test_b64_decode_ignores_bytes_past_n);
    tcase_add_test(tc, test_b64_decode_over_cap_leaves_buffer_unchanged);
    tcase_add_test(tc, test_b64_encode_over_cap_leaves_buffer_unchanged);
    suite_add_tcase(s, tc);

    tc = tcase_create("round_trip");
    tcase_add_loop_test(tc, test_b64_round_trips_random_bytes, 0, 65);
    tcase_add_loop_test(tc, test_b64_round_trips_across_blocks, 0, NELEM(long_lengths));
    suite_add_tcase(s, tc);
    return s;
}
