/* check_cryptostat.c - tests for harness/core/base/afz_cryptostat.c: the operation
 * counters the benchmark replays (bench/README.md). The counters are
 * process-wide, so every test compares snapshots taken around its own
 * calls. */
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "afz_cryptostat.h"
#include "afz_csr.h"
#include "afz_jose.h"

#define NELEM(a) (int)(sizeof(a) / sizeof((a)[0]))

static const struct {
    afz_jws_alg alg;
    afz_cs_key kt;
} key_types[] = {
    {AFZ_ALG_ES256, AFZ_CS_P256},
    {AFZ_ALG_ES384, AFZ_CS_P384},
    {AFZ_ALG_RS256, AFZ_CS_RSA},
    {AFZ_ALG_EDDSA, AFZ_CS_ED25519},
};

/* delta returns what |op| on |kt| counted since |before|. */
static uint64_t delta(const afz_cryptostat *before, afz_cs_op op, afz_cs_key kt)
{
    afz_cryptostat now, d;
    afz_cryptostat_snapshot(&now);
    afz_cryptostat_sub(&now, before, &d);
    return d.n[op][kt];
}

START_TEST(test_cryptostat_counts_keygen_sign_and_verify_per_key_type)
{
    afz_cs_key kt = key_types[_i].kt;
    afz_cryptostat before;
    afz_cryptostat_snapshot(&before);
    EVP_PKEY *key = NULL, *other = NULL;
    ck_assert_int_eq(afz_key_generate(key_types[_i].alg, &key), AFZ_OK);
    ck_assert_int_eq(afz_cryptostat_key_of(key), kt);
    ck_assert_uint_eq(delta(&before, AFZ_CS_KEYGEN, kt), 1);

    afz_jws_sign_params p = {.key = key, .nonce = "n0nce", .url = "https://acme.test/new-order"};
    afz_buf body;
    afz_buf_init(&body, 0);
    ck_assert_int_eq(afz_jws_sign(&p, "{}", 2, &body), AFZ_OK);
    ck_assert_uint_eq(delta(&before, AFZ_CS_JWS_SIGN, kt), 1);

    afz_jws jws;
    ck_assert_int_eq(afz_jws_parse(body.data, body.len, &jws, NULL), AFZ_OK);
    ck_assert_int_eq(afz_jws_verify(&jws, key), AFZ_OK);
    ck_assert_uint_eq(delta(&before, AFZ_CS_JWS_VERIFY, kt), 1);
    ck_assert_uint_eq(delta(&before, AFZ_CS_JWS_VERIFY_BAD, kt), 0);
    afz_cryptostat now, d;
    afz_cryptostat_snapshot(&now);
    afz_cryptostat_sub(&now, &before, &d);
    ck_assert_uint_eq(d.bytes[AFZ_CS_JWS_SIGN][kt], jws.signing_input_len);
    ck_assert_uint_eq(d.bytes[AFZ_CS_JWS_VERIFY][kt], jws.signing_input_len);

    /* Another key of the same type: the signature does not verify. */
    ck_assert_int_eq(afz_key_generate(key_types[_i].alg, &other), AFZ_OK);
    ck_assert_int_eq(afz_jws_verify(&jws, other), AFZ_ECRYPTO);
    ck_assert_uint_eq(delta(&before, AFZ_CS_JWS_VERIFY, kt), 1);
    ck_assert_uint_eq(delta(&before, AFZ_CS_JWS_VERIFY_BAD, kt), 1);

    afz_jws_cleanup(&jws);
    afz_buf_cleanup(&body);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
}
END_TEST

START_TEST(test_cryptostat_counts_csr_sign_and_verify)
{
    EVP_PKEY *key = NULL;
    ck_assert_int_eq(afz_key_generate(AFZ_ALG_ES256, &key), AFZ_OK);
    afz_cryptostat before;
    afz_cryptostat_snapshot(&before);
    static const char *const names[] = {"example.com"};
    afz_buf der;
    afz_buf_init(&der, 0);
    ck_assert_int_eq(afz_csr_build(key, names, 1, &der), AFZ_OK);
    afz_csr csr;
    afz_csr_verdict v;
    ck_assert_int_eq(afz_csr_parse((const uint8_t *)der.data, der.len, &csr, &v), AFZ_OK);
    ck_assert_uint_eq(delta(&before, AFZ_CS_CSR_SIGN, AFZ_CS_P256), 1);
    ck_assert_uint_eq(delta(&before, AFZ_CS_CSR_VERIFY, AFZ_CS_P256), 1);
    afz_csr_cleanup(&csr);

    /* A flipped bit in the signature: verified, and counted as failed. */
    der.data[der.len - 1] ^= 1;
    ck_assert_int_eq(afz_csr_parse((const uint8_t *)der.data, der.len, &csr, &v), AFZ_EPARSE);
    ck_assert_int_eq(v, AFZ_CSR_BAD_SIGNATURE);
    ck_assert_uint_eq(delta(&before, AFZ_CS_CSR_VERIFY, AFZ_CS_P256), 1);
    ck_assert_uint_eq(delta(&before, AFZ_CS_CSR_VERIFY_BAD, AFZ_CS_P256), 1);
    afz_csr_cleanup(&csr);
    afz_buf_cleanup(&der);
    EVP_PKEY_free(key);
}
END_TEST

START_TEST(test_cryptostat_setup_is_counted_apart)
{
    afz_cryptostat before, now, d;
    afz_cryptostat_snapshot(&before);
    uint64_t total = afz_cryptostat_setup_total();
    afz_cryptostat_setup_begin();
    afz_cryptostat_setup_begin(); /* nests */
    afz_cryptostat_count(AFZ_CS_CERT_SIGN, AFZ_CS_P256, 100);
    afz_cryptostat_setup_end();
    afz_cryptostat_count(AFZ_CS_CERT_SIGN, AFZ_CS_P256, 100);
    afz_cryptostat_setup_end();
    afz_cryptostat_count(AFZ_CS_CERT_SIGN, AFZ_CS_P256, 100);
    afz_cryptostat_snapshot(&now);
    afz_cryptostat_sub(&now, &before, &d);
    ck_assert_uint_eq(d.setup_n[AFZ_CS_CERT_SIGN][AFZ_CS_P256], 2);
    ck_assert_uint_eq(d.n[AFZ_CS_CERT_SIGN][AFZ_CS_P256], 1);
    ck_assert_uint_eq(d.bytes[AFZ_CS_CERT_SIGN][AFZ_CS_P256], 100);
    ck_assert_uint_eq(afz_cryptostat_setup_total(), total + 2);
}
END_TEST

START_TEST(test_cryptostat_ignores_out_of_range_and_classifies_null)
{
    afz_cryptostat before, now;
    afz_cryptostat_snapshot(&before);
    afz_cryptostat_count(AFZ_CS_OP__COUNT, AFZ_CS_P256, 1);
    afz_cryptostat_count(AFZ_CS_KEYGEN, AFZ_CS_KEY__COUNT, 1);
    afz_cryptostat_snapshot(&now);
    ck_assert_int_eq(memcmp(&before, &now, sizeof now), 0);
    ck_assert_int_eq(afz_cryptostat_key_of(NULL), AFZ_CS_OTHER);
}
END_TEST

START_TEST(test_cryptostat_names_map_back)
{
    for (int o = 0; o < AFZ_CS_OP__COUNT; o++)
        ck_assert_int_eq(afz_cryptostat_op_from_name(afz_cryptostat_op_name((afz_cs_op)o)), o);
    for (int k = 0; k < AFZ_CS_KEY__COUNT; k++)
        ck_assert_int_eq(afz_cryptostat_key_from_name(afz_cryptostat_key_name((afz_cs_key)k)), k);
    ck_assert_ptr_null(afz_cryptostat_op_name(AFZ_CS_OP__COUNT));
    ck_assert_ptr_null(afz_cryptostat_key_name(AFZ_CS_KEY__COUNT));
    ck_assert_int_eq(afz_cryptostat_op_from_name("sign"), -1);
    ck_assert_int_eq(afz_cryptostat_key_from_name(NULL), -1);
}
END_TEST

Suite *cryptostat_suite(void)
{
    Suite *s = suite_create("cryptostat");
    TCase *tc = tcase_create("counting");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_cryptostat_counts_keygen_sign_and_verify_per_key_type, 0,
                        NELEM(key_types));
    tcase_add_test(tc, test_cryptostat_counts_csr_sign_and_verify);
    tcase_add_test(tc, test_cryptostat_setup_is_counted_apart);
    tcase_add_test(tc, test_cryptostat_ignores_out_of_range_and_classifies_null);
    tcase_add_test(tc, test_cryptostat_names_map_back);
    suite_add_tcase(s, tc);
    return s;
}
