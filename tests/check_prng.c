/* check_prng.c - tests for harness/core/base/afz_prng.c: the run's xoshiro256**
 * generator and the deterministic OpenSSL RAND method that makes key
 * generation and ECDSA signatures functions of the seed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "afz_prng.h"

#define NELEM(a) (int)(sizeof(a) / sizeof((a)[0]))

/* Known answers computed with an independent Python transcription of
 * splitmix64 seeding + xoshiro256** (Blackman & Vigna). They pin the
 * stream: changing it would change every recorded history. */
/* clang-format off */
static const struct {
    uint64_t seed;
    uint64_t out[4];
} known[] = {
    {0, {UINT64_C(0x99ec5f36cb75f2b4), UINT64_C(0xbf6e1f784956452a),
         UINT64_C(0x1a5f849d4933e6e0), UINT64_C(0x6aa594f1262d2d2c)}},
    {42, {UINT64_C(0x15780b2e0c2ec716), UINT64_C(0x6104d9866d113a7e),
          UINT64_C(0xae17533239e499a1), UINT64_C(0xecb8ad4703b360a1)}},
};
/* clang-format on */

START_TEST(test_prng_matches_reference_xoshiro256starstar)
{
    afz_prng p;
    afz_prng_seed(&p, known[_i].seed);
    for (int k = 0; k < 4; k++)
        ck_assert_uint_eq(afz_prng_next(&p), known[_i].out[k]);
}
END_TEST

START_TEST(test_prng_same_seed_same_sequence)
{
    afz_prng a, b;
    afz_prng_seed(&a, 0xdeadbeef);
    afz_prng_seed(&b, 0xdeadbeef);
    for (int k = 0; k < 1000; k++)
        ck_assert_uint_eq(afz_prng_next(&a), afz_prng_next(&b));
    /* Reseeding restarts the sequence. */
    uint64_t first = 0;
    afz_prng_seed(&a, 7);
    first = afz_prng_next(&a);
    afz_prng_next(&a);
    afz_prng_seed(&a, 7);
    ck_assert_uint_eq(afz_prng_next(&a), first);
}
END_TEST

START_TEST(test_prng_different_seeds_differ)
{
    uint64_t first[64];
    for (uint64_t s = 0; s < 64; s++) {
        afz_prng p;
        afz_prng_seed(&p, s);
        first[s] = afz_prng_next(&p);
        for (uint64_t t = 0; t < s; t++)
            ck_assert_uint_ne(first[s], first[t]);
    }
    afz_prng a, b;
    int same = 0;
    afz_prng_seed(&a, 1);
    afz_prng_seed(&b, 2);
    for (int k = 0; k < 1000; k++)
        same += afz_prng_next(&a) == afz_prng_next(&b);
    ck_assert_int_eq(same, 0);
}
END_TEST

/* clang-format off */
static const uint64_t below_bounds[] = {
    1, 2, 3, 7, 10, 1000, UINT64_C(1) << 32, (UINT64_C(1) << 63) + 1, UINT64_MAX,
};
/* clang-format on */

START_TEST(test_prng_below_stays_in_range)
{
    uint64_t n = below_bounds[_i];
    uint8_t seen[10] = {0};
    afz_prng p;
    afz_prng_seed(&p, n);
    for (int k = 0; k < 10000; k++) {
        uint64_t v = afz_prng_below(&p, n);
        ck_assert_uint_lt(v, n);
        if (n <= 10)
            seen[v] = 1;
    }
    /* Small ranges are covered entirely. */
    for (uint64_t v = 0; n <= 10 && v < n; v++)
        ck_assert_msg(seen[v], "below(%llu) never gave %llu", (unsigned long long)n,
                      (unsigned long long)v);
}
END_TEST

START_TEST(test_prng_below_zero_is_zero)
{
    afz_prng p;
    afz_prng_seed(&p, 3);
    for (int k = 0; k < 100; k++)
        ck_assert_uint_eq(afz_prng_below(&p, 0), 0);
}
END_TEST

/* below(3) over 30000 draws: each value within 3% of its share. A biased
 * "next() % n" without rejection would still pass this, but an off-by-one
 * range (0..n or 1..n) would not. */
START_TEST(test_prng_below_is_roughly_uniform)
{
    afz_prng p;
    int count[3] = {0};
    afz_prng_seed(&p, 33);
    for (int k = 0; k < 30000; k++)
        count[afz_prng_below(&p, 3)]++;
    for (int v = 0; v < 3; v++) {
        ck_assert_int_gt(count[v], 9700);
        ck_assert_int_lt(count[v], 10300);
    }
}
END_TEST

/* Same seed, same bytes for every length; a shorter draw is a prefix of a
 * longer one; a zero-length draw writes nothing. */
START_TEST(test_prng_bytes_are_deterministic)
{
    size_t n = (size_t)_i;
    uint8_t a[40], b[40], longer[48];
    afz_prng p, q, r;
    memset(a, 0xee, sizeof(a));
    memset(b, 0xee, sizeof(b));
    afz_prng_seed(&p, 99);
    afz_prng_seed(&q, 99);
    afz_prng_seed(&r, 99);
    afz_prng_bytes(&p, a, n);
    afz_prng_bytes(&q, b, n);
    afz_prng_bytes(&r, longer, sizeof(longer));
    ck_assert_int_eq(memcmp(a, b, sizeof(a)), 0);
    ck_assert_int_eq(memcmp(a, longer, n), 0);
    for (size_t k = n; k < sizeof(a); k++)
        ck_assert_uint_eq(a[k], 0xee);
    /* Different seed, different bytes (for any non-trivial length). */
    if (n >= 4) {
        afz_prng_seed(&p, 100);
        afz_prng_bytes(&p, b, n);
        ck_assert_int_ne(memcmp(a, b, n), 0);
    }
}
END_TEST

START_TEST(test_prng_detrand_install_is_idempotent)
{
    ck_assert_int_eq(afz_detrand_install(), 0);
    ck_assert_int_eq(afz_detrand_install(), 0);
    ck_assert_int_eq(afz_detrand_active(), 1);
}
END_TEST

START_TEST(test_prng_detrand_rand_bytes_follow_the_seed)
{
    unsigned char a[64], b[64], c[64];
    ck_assert_int_eq(afz_detrand_install(), 0);
    afz_detrand_seed(5);
    ck_assert_int_eq(RAND_bytes(a, sizeof(a)), 1);
    afz_detrand_seed(5);
    ck_assert_int_eq(RAND_bytes(b, sizeof(b)), 1);
    ck_assert_int_eq(memcmp(a, b, sizeof(a)), 0);
    afz_detrand_seed(5);
    ck_assert_int_eq(RAND_priv_bytes(b, sizeof(b)), 1);
    ck_assert_int_eq(memcmp(a, b, sizeof(a)), 0);
    afz_detrand_seed(6);
    ck_assert_int_eq(RAND_bytes(c, sizeof(c)), 1);
    ck_assert_int_ne(memcmp(a, c, sizeof(a)), 0);
}
END_TEST

static EVP_PKEY *p256_from_seed(uint64_t seed)
{
    afz_detrand_seed(seed);
    EVP_PKEY *k = EVP_EC_gen("P-256");
    ck_assert_ptr_nonnull(k);
    return k;
}

/* DER of the private key; compared to show the secret, not only the
 * public point, is reproduced. */
static int priv_der(EVP_PKEY *k, unsigned char **der)
{
    *der = NULL;
    int n = i2d_PrivateKey(k, der);
    ck_assert_int_gt(n, 0);
    return n;
}

START_TEST(test_prng_detrand_same_seed_same_ec_key)
{
    ck_assert_int_eq(afz_detrand_install(), 0);
    EVP_PKEY *k1 = p256_from_seed(7);
    EVP_PKEY *k2 = p256_from_seed(7);
    unsigned char *d1, *d2;
    int n1 = priv_der(k1, &d1);
    int n2 = priv_der(k2, &d2);
    ck_assert_int_eq(EVP_PKEY_eq(k1, k2), 1);
    ck_assert_int_eq(n1, n2);
    ck_assert_int_eq(memcmp(d1, d2, (size_t)n1), 0);
    OPENSSL_free(d1);
    OPENSSL_free(d2);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
}
END_TEST

START_TEST(test_prng_detrand_different_seeds_different_ec_keys)
{
    ck_assert_int_eq(afz_detrand_install(), 0);
    EVP_PKEY *k1 = p256_from_seed(7);
    EVP_PKEY *k2 = p256_from_seed(8);
    ck_assert_int_ne(EVP_PKEY_eq(k1, k2), 1);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
}
END_TEST

static size_t ecdsa_sign(EVP_PKEY *k, const char *msg, unsigned char *sig, size_t cap)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t n = cap;
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k), 1);
    ck_assert_int_eq(EVP_DigestSign(ctx, sig, &n, (const unsigned char *)msg, strlen(msg)), 1);
    EVP_MD_CTX_free(ctx);
    return n;
}

static int ecdsa_verify(EVP_PKEY *k, const char *msg, const unsigned char *sig, size_t n)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k), 1);
    int ok = EVP_DigestVerify(ctx, sig, n, (const unsigned char *)msg, strlen(msg));
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* OpenSSL 3.0 draws ECDSA's k at random; with the deterministic method a
 * reseed makes the signature byte-identical, and without a reseed the
 * next signature differs (so k really comes from the generator). */
START_TEST(test_prng_detrand_ecdsa_signatures_repeat_after_reseed)
{
    static const char msg[] = "eyJhbGciOiJFUzI1NiJ9.eyJuZXdOb25jZSI6MX0";
    unsigned char s1[128], s2[128], s3[128];
    ck_assert_int_eq(afz_detrand_install(), 0);
    EVP_PKEY *k = p256_from_seed(1);
    afz_detrand_seed(99);
    size_t n1 = ecdsa_sign(k, msg, s1, sizeof(s1));
    size_t n3 = ecdsa_sign(k, msg, s3, sizeof(s3));
    afz_detrand_seed(99);
    size_t n2 = ecdsa_sign(k, msg, s2, sizeof(s2));
    ck_assert_uint_eq(n1, n2);
    ck_assert_int_eq(memcmp(s1, s2, n1), 0);
    ck_assert(n1 != n3 || memcmp(s1, s3, n1) != 0);
    ck_assert_int_eq(ecdsa_verify(k, msg, s1, n1), 1);
    ck_assert_int_eq(ecdsa_verify(k, msg, s3, n3), 1);
    EVP_PKEY_free(k);
}
END_TEST

Suite *prng_suite(void)
{
    Suite *s = suite_create("prng");
    TCase *tc = tcase_create("xoshiro");
    tcase_add_loop_test(tc, test_prng_matches_reference_xoshiro256starstar, 0, NELEM(known));
    tcase_add_test(tc, test_prng_same_seed_same_sequence);
    tcase_add_test(tc, test_prng_different_seeds_differ);
    tcase_add_loop_test(tc, test_prng_below_stays_in_range, 0, NELEM(below_bounds));
    tcase_add_test(tc, test_prng_below_zero_is_zero);
    tcase_add_test(tc, test_prng_below_is_roughly_uniform);
    tcase_add_loop_test(tc, test_prng_bytes_are_deterministic, 0, 41);
    suite_add_tcase(s, tc);

    tc = tcase_create("detrand");
    tcase_add_test(tc, test_prng_detrand_install_is_idempotent);
    tcase_add_test(tc, test_prng_detrand_rand_bytes_follow_the_seed);
    tcase_add_test(tc, test_prng_detrand_same_seed_same_ec_key);
    tcase_add_test(tc, test_prng_detrand_different_seeds_different_ec_keys);
    tcase_add_test(tc, test_prng_detrand_ecdsa_signatures_repeat_after_reseed);
    suite_add_tcase(s, tc);
    return s;
}
