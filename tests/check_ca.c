/* check_ca.c - the harness CA: its certificates and the leaves it issues. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "afz_ca.h"
#include "afz_csr.h"
#include "afz_jose.h"
#include "afz_prng.h"

/* 2023-11-14T22:13:20Z */
#define NOW INT64_C(1700000000)
#define DAY INT64_C(86400)

#define N_ALGS 5
static EVP_PKEY *keys[N_ALGS];
static afz_ca *ca;

static const afz_jws_alg all_algs[] = {AFZ_ALG_ES256, AFZ_ALG_ES384, AFZ_ALG_RS256, AFZ_ALG_EDDSA};
#define N_ALL (sizeof all_algs / sizeof all_algs[0])

static void ca_setup(void)
{
    for (size_t i = 0; i < N_ALL; i++)
        ck_assert_int_eq(afz_key_generate(all_algs[i], &keys[all_algs[i]]), AFZ_OK);
    ca = afz_ca_new("acmefuzz test", NOW);
    ck_assert_ptr_nonnull(ca);
}

static void ca_teardown(void)
{
    for (size_t i = 0; i < N_ALGS; i++) {
        EVP_PKEY_free(keys[i]);
        keys[i] = NULL;
    }
    afz_ca_free(ca);
    ca = NULL;
}

static X509 *pem_cert(const char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    ck_assert_ptr_nonnull(bio);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    return x;
}

typedef STACK_OF(X509) cert_stack;

/* read_chain splits a PEM chain into its certificates. */
static cert_stack *read_chain(const afz_buf *pem)
{
    STACK_OF(X509) *chain = sk_X509_new_null();
    BIO *bio = BIO_new_mem_buf(pem->data, (int)pem->len);
    X509 *x;
    ck_assert(chain && bio);
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
        ck_assert(sk_X509_push(chain, x) > 0);
    ERR_clear_error();
    BIO_free(bio);
    return chain;
}

/* verify_leaf runs X509_verify_cert against the root alone, with the
 * intermediate as untrusted, strict RFC 5280 checks and the TLS server
 * purpose, at time |at|. Returns the X509_V_ code. */
static int verify_leaf(X509 *leaf, X509 *inter, int64_t at)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509 *root = pem_cert(afz_ca_root_pem(ca), strlen(afz_ca_root_pem(ca)));
    ck_assert(store && ctx && untrusted && root);
    ck_assert_int_eq(X509_STORE_add_cert(store, root), 1);
    ck_assert(sk_X509_push(untrusted, inter) > 0);
    ck_assert_int_eq(X509_STORE_CTX_init(ctx, store, leaf, untrusted), 1);
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
    X509_STORE_CTX_set_time(ctx, 0, (time_t)at);
    ck_assert_int_eq(X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER), 1);
    int ok = X509_verify_cert(ctx);
    int err = X509_STORE_CTX_get_error(ctx);
    ck_assert_int_eq(ok == 1, err == X509_V_OK);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    sk_X509_free(untrusted);
    X509_free(root);
    return err;
}

static void assert_dns_sans(X509 *x, const char *const *want, size_t n, int want_crit)
{
    int crit = -1;
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
    ck_assert_ptr_nonnull(gens);
    ck_assert_int_eq(crit, want_crit);
    ck_assert_int_eq(sk_GENERAL_NAME_num(gens), (int)n);
    for (size_t i = 0; i < n; i++) {
        int type = -1;
        const ASN1_STRING *s = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(gens, (int)i), &type);
        ck_assert_int_eq(type, GEN_DNS);
        ck_assert_str_eq((const char *)ASN1_STRING_get0_data(s), want[i]);
    }
    GENERAL_NAMES_free(gens);
}

START_TEST(test_ca_issue_chain_verifies)
{
    static const char *const names[] = {"www.example.com", "example.com", "*.example.net"};
    afz_jws_alg alg = all_algs[_i];
    afz_buf pem;
    char hex[17] = "unset";
    afz_buf_init(&pem, 0);
    const uint64_t serial = UINT64_C(0x1234abcd0042);
    const int64_t nb = NOW + 3600, validity = 90 * DAY;
    ck_assert_int_eq(afz_ca_issue(ca, keys[alg], names, 3, serial, nb, validity, &pem, hex),
                     AFZ_OK);
    ck_assert_str_eq(hex, "1234abcd0042");

    /* Leaf, then the intermediate exactly as afz_ca_intermediate_pem. */
    STACK_OF(X509) *chain = read_chain(&pem);
    ck_assert_int_eq(sk_X509_num(chain), 2);
    const char *inter_pem = afz_ca_intermediate_pem(ca);
    ck_assert_uint_gt(pem.len, strlen(inter_pem));
    ck_assert_str_eq(pem.data + pem.len - strlen(inter_pem), inter_pem);
    X509 *leaf = sk_X509_value(chain, 0), *inter = sk_X509_value(chain, 1);

    ck_assert_int_eq(verify_leaf(leaf, inter, nb + DAY), X509_V_OK);
    ck_assert_int_eq(verify_leaf(leaf, inter, nb - 1), X509_V_ERR_CERT_NOT_YET_VALID);
    ck_assert_int_eq(verify_leaf(leaf, inter, nb + validity + 1), X509_V_ERR_CERT_HAS_EXPIRED);

    uint64_t got_serial = 0;
    ck_assert_int_eq(ASN1_INTEGER_get_uint64(&got_serial, X509_get0_serialNumber(leaf)), 1);
    ck_assert(got_serial == serial);
    ck_assert_int_eq(ASN1_TIME_cmp_time_t(X509_get0_notBefore(leaf), (time_t)nb), 0);
    ck_assert_int_eq(ASN1_TIME_cmp_time_t(X509_get0_notAfter(leaf), (time_t)(nb + validity)), 0);
    assert_dns_sans(leaf, names, 3, 0);
    char cn[128];
    ck_assert_int_gt(
        X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn, sizeof cn), 0);
    ck_assert_str_eq(cn, names[0]);
    ck_assert_int_eq(X509_check_ca(leaf), 0);
    ck_assert_uint_eq(X509_get_extension_flags(leaf) & EXFLAG_BCONS, EXFLAG_BCONS);
    ck_assert_uint_eq(X509_get_key_usage(leaf), KU_DIGITAL_SIGNATURE);
    ck_assert_uint_eq(X509_get_extended_key_usage(leaf), XKU_SSL_SERVER);
    EVP_PKEY *leaf_key = X509_get0_pubkey(leaf);
    ck_assert_int_eq(EVP_PKEY_eq(leaf_key, keys[alg]), 1);
    ck_assert_int_eq(X509_check_host(leaf, "www.example.com", 0, 0, NULL), 1);
    ck_assert_int_eq(X509_check_host(leaf, "other.example.com", 0, 0, NULL), 0);
    sk_X509_pop_free(chain, X509_free);
    afz_buf_cleanup(&pem);
}
END_TEST

START_TEST(test_ca_issue_for_csr_key)
{
    /* The server's path: the key comes out of a parsed CSR (decoded by
     * OpenSSL, not generated), and the leaf must carry it unchanged. */
    static const char *const names[] = {"csr.example.org"};
    afz_jws_alg alg = all_algs[_i];
    afz_buf der, pem;
    afz_csr csr;
    afz_csr_verdict v;
    afz_buf_init(&der, 0);
    afz_buf_init(&pem, 0);
    ck_assert_int_eq(afz_csr_build(keys[alg], names, 1, &der), AFZ_OK);
    ck_assert_int_eq(afz_csr_parse((const uint8_t *)der.data, der.len, &csr, &v), AFZ_OK);
    ck_assert_int_eq(afz_ca_issue(ca, csr.pubkey, (const char *const *)csr.names, csr.n_names, 99,
                                  NOW, DAY, &pem, NULL),
                     AFZ_OK);
    STACK_OF(X509) *chain = read_chain(&pem);
    ck_assert_int_eq(sk_X509_num(chain), 2);
    X509 *leaf = sk_X509_value(chain, 0);
    ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(leaf), keys[alg]), 1);
    ck_assert_int_eq(verify_leaf(leaf, sk_X509_value(chain, 1), NOW + 1), X509_V_OK);
    sk_X509_pop_free(chain, X509_free);
    afz_csr_cleanup(&csr);
    afz_buf_cleanup(&pem);
    afz_buf_cleanup(&der);
}
END_TEST

static const struct {
    uint64_t serial;
    const char *hex;
} serial_cases[] = {
    {1, "1"},
    {0xab, "ab"},
    {UINT64_C(0x80), "80"},
    {UINT64_C(0x0102030405060708), "102030405060708"},
    {UINT64_C(0x8000000000000000), "8000000000000000"},
    {UINT64_MAX, "ffffffffffffffff"},
};

START_TEST(test_ca_serials)
{
    static const char *const names[] = {"serial.example"};
    afz_buf pem;
    char hex[17];
    afz_buf_init(&pem, 0);
    ck_assert_int_eq(afz_ca_issue(ca, keys[AFZ_ALG_ES256], names, 1, serial_cases[_i].serial, NOW,
                                  DAY, &pem, hex),
                     AFZ_OK);
    ck_assert_str_eq(hex, serial_cases[_i].hex);
    X509 *leaf = pem_cert(pem.data, pem.len);
    ck_assert_ptr_nonnull(leaf);
    /* Positive whatever the top bit: ASN1_INTEGER_get_uint64 refuses
     * negatives. */
    uint64_t got = 0;
    ck_assert_int_eq(ASN1_INTEGER_get_uint64(&got, X509_get0_serialNumber(leaf)), 1);
    ck_assert(got == serial_cases[_i].serial);
    X509_free(leaf);
    afz_buf_cleanup(&pem);
}
END_TEST

START_TEST(test_ca_issue_rejects_bad_arguments)
{
    static const char *const names[] = {"a.example"};
    afz_buf pem;
    afz_buf_init(&pem, 0);
    ck_assert_int_eq(afz_buf_puts(&pem, "keep"), AFZ_OK);
    EVP_PKEY *k = keys[AFZ_ALG_ES256];
    ck_assert_int_eq(afz_ca_issue(ca, k, names, 1, 0, NOW, DAY, &pem, NULL), AFZ_EINVAL);
    ck_assert_int_eq(afz_ca_issue(ca, k, names, 0, 1, NOW, DAY, &pem, NULL), AFZ_EINVAL);
    ck_assert_int_eq(afz_ca_issue(ca, k, names, 1, 1, NOW, -1, &pem, NULL), AFZ_EINVAL);
    ck_assert_int_eq(afz_ca_issue(ca, k, names, 1, 1, INT64_MAX, DAY, &pem, NULL), AFZ_EINVAL);
    ck_assert_int_eq(afz_ca_issue(ca, NULL, names, 1, 1, NOW, DAY, &pem, NULL), AFZ_EINVAL);
    ck_assert_int_eq(afz_ca_issue(NULL, k, names, 1, 1, NOW, DAY, &pem, NULL), AFZ_EINVAL);
    ck_assert_str_eq(afz_buf_cstr(&pem), "keep");

    /* A cap too small for the chain leaves the buffer as it was. */
    afz_buf small;
    afz_buf_init(&small, 600);
    ck_assert_int_eq(afz_buf_puts(&small, "keep"), AFZ_OK);
    ck_assert_int_eq(afz_ca_issue(ca, k, names, 1, 1, NOW, DAY, &small, NULL), AFZ_ELIMIT);
    ck_assert_str_eq(afz_buf_cstr(&small), "keep");
    afz_buf_cleanup(&small);

    /* Appends after what the buffer already holds. */
    ck_assert_int_eq(afz_ca_issue(ca, k, names, 1, 1, NOW, DAY, &pem, NULL), AFZ_OK);
    ck_assert(strncmp(pem.data, "keep-----BEGIN CERTIFICATE-----\n", 32) == 0);
    afz_buf_cleanup(&pem);
}
END_TEST

START_TEST(test_ca_long_first_name)
{
    /* No CN fits: the subject is empty and the SAN critical (RFC 5280
     * 4.2.1.6), which strict verification checks. */
    static const char *const names[] = {
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.com", "b.example"};
    afz_buf pem;
    afz_buf_init(&pem, 0);
    ck_assert_int_eq(afz_ca_issue(ca, keys[AFZ_ALG_ES384], names, 2, 7, NOW, DAY, &pem, NULL),
                     AFZ_OK);
    STACK_OF(X509) *chain = read_chain(&pem);
    ck_assert_int_eq(sk_X509_num(chain), 2);
    X509 *leaf = sk_X509_value(chain, 0);
    ck_assert_int_eq(X509_NAME_entry_count(X509_get_subject_name(leaf)), 0);
    assert_dns_sans(leaf, names, 2, 1);
    ck_assert_int_eq(verify_leaf(leaf, sk_X509_value(chain, 1), NOW + 60), X509_V_OK);
    sk_X509_pop_free(chain, X509_free);
    afz_buf_cleanup(&pem);
}
END_TEST

START_TEST(test_ca_certificates_and_keys)
{
    const char *pems[] = {afz_ca_root_pem(ca), afz_ca_intermediate_pem(ca)};
    const char *key_pems[] = {afz_ca_root_key_pem(ca), afz_ca_intermediate_key_pem(ca)};
    const char *cns[] = {"acmefuzz test Root", "acmefuzz test Intermediate"};
    X509 *certs[2];
    for (int i = 0; i < 2; i++) {
        ck_assert_ptr_nonnull(pems[i]);
        ck_assert_ptr_nonnull(key_pems[i]);
        certs[i] = pem_cert(pems[i], strlen(pems[i]));
        ck_assert_ptr_nonnull(certs[i]);
        char cn[128];
        ck_assert_int_gt(X509_NAME_get_text_by_NID(X509_get_subject_name(certs[i]), NID_commonName,
                                                   cn, sizeof cn),
                         0);
        ck_assert_str_eq(cn, cns[i]);
        ck_assert_int_eq(X509_check_ca(certs[i]), 1);
        ck_assert_uint_eq(X509_get_key_usage(certs[i]) & KU_KEY_CERT_SIGN, KU_KEY_CERT_SIGN);
        ck_assert_ptr_nonnull(X509_get0_subject_key_id(certs[i]));
        /* Valid from a day before NOW for ten years. */
        ck_assert_int_eq(ASN1_TIME_cmp_time_t(X509_get0_notBefore(certs[i]), (time_t)(NOW - DAY)),
                         0);
        ck_assert_int_eq(
            ASN1_TIME_cmp_time_t(X509_get0_notAfter(certs[i]), (time_t)(NOW - DAY + 3650 * DAY)),
            0);
        BIO *bio = BIO_new_mem_buf(key_pems[i], -1);
        EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        BIO_free(bio);
        ck_assert_ptr_nonnull(k);
        ck_assert_int_eq(afz_jws_alg_for_key(k), AFZ_ALG_ES256);
        ck_assert_int_eq(X509_check_private_key(certs[i], k), 1);
        EVP_PKEY_free(k);
    }
    /* Root self-signed; intermediate signed by the root, path length 0,
     * its AKI naming the root's SKI. */
    ck_assert_int_eq(X509_check_issued(certs[0], certs[0]), X509_V_OK);
    ck_assert_int_eq(X509_check_issued(certs[0], certs[1]), X509_V_OK);
    ck_assert_int_eq(X509_verify(certs[1], X509_get0_pubkey(certs[0])), 1);
    ck_assert_int_eq(X509_get_pathlen(certs[1]), 0);
    ck_assert_int_eq(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(certs[1]),
                                           X509_get0_subject_key_id(certs[0])),
                     0);
    X509_free(certs[0]);
    X509_free(certs[1]);
}
END_TEST

START_TEST(test_ca_deterministic_with_detrand)
{
    /* The same seed makes the same CA, byte for byte. */
    if (!afz_detrand_active())
        return;
    afz_detrand_seed(0xace5);
    afz_ca *a = afz_ca_new("det", NOW);
    afz_detrand_seed(0xace5);
    afz_ca *b = afz_ca_new("det", NOW);
    afz_detrand_seed(0xace6);
    afz_ca *c = afz_ca_new("det", NOW);
    ck_assert(a && b && c);
    ck_assert_str_eq(afz_ca_root_pem(a), afz_ca_root_pem(b));
    ck_assert_str_eq(afz_ca_intermediate_pem(a), afz_ca_intermediate_pem(b));
    ck_assert_str_eq(afz_ca_intermediate_key_pem(a), afz_ca_intermediate_key_pem(b));
    ck_assert_str_ne(afz_ca_root_key_pem(a), afz_ca_root_key_pem(c));
    afz_ca_free(a);
    afz_ca_free(b);
    afz_ca_free(c);
    afz_ca_free(NULL);
}
END_TEST

/* afz_ca_new_chain (PEBBLE_CHAIN_LENGTH): with n intermediates the chain
 * after the leaf holds n certificates, nearest first, and verifies from
 * the root alone under strict RFC 5280 checks (each pathlen fits); the
 * accessors name the issuing intermediate. n = 1 is afz_ca_new's single
 * intermediate; 0 and more than AFZ_CA_MAX_CHAIN are refused. */
START_TEST(test_ca_chain_length)
{
    ck_assert_ptr_null(afz_ca_new_chain("x", 1700000000, 0));
    ck_assert_ptr_null(afz_ca_new_chain("x", 1700000000, AFZ_CA_MAX_CHAIN + 1));
    static const char *const names[] = {"chain.example"};
    for (unsigned n = 1; n <= 3; n++) {
        afz_ca *c = afz_ca_new_chain("chain", 1700000000, n);
        ck_assert_ptr_nonnull(c);
        afz_buf pem;
        afz_buf_init(&pem, 0);
        ck_assert_int_eq(
            afz_ca_issue(c, keys[AFZ_ALG_ES256], names, 1, 7, 1700000000, 86400, &pem, NULL),
            AFZ_OK);
        cert_stack *chain = read_chain(&pem);
        ck_assert_int_eq(sk_X509_num(chain), (int)n + 1);
        X509 *leaf = sk_X509_value(chain, 0);
        X509 *issuing = pem_cert(afz_ca_intermediate_pem(c), strlen(afz_ca_intermediate_pem(c)));
        ck_assert_int_eq(X509_cmp(issuing, sk_X509_value(chain, 1)), 0);
        X509_free(issuing);
        X509_STORE *store = X509_STORE_new();
        X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        STACK_OF(X509) *untrusted = sk_X509_new_null();
        X509 *root = pem_cert(afz_ca_root_pem(c), strlen(afz_ca_root_pem(c)));
        ck_assert(store && ctx && untrusted && root);
        ck_assert_int_eq(X509_STORE_add_cert(store, root), 1);
        for (int i = 1; i < sk_X509_num(chain); i++)
            ck_assert(sk_X509_push(untrusted, sk_X509_value(chain, i)) > 0);
        ck_assert_int_eq(X509_STORE_CTX_init(ctx, store, leaf, untrusted), 1);
        X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
        X509_STORE_CTX_set_time(ctx, 0, (time_t)1700000100);
        int ok = X509_verify_cert(ctx);
        ck_assert_msg(ok == 1, "n=%u: %s", n,
                      X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
        ck_assert_int_eq(sk_X509_num(X509_STORE_CTX_get0_chain(ctx)), (int)n + 2);
        X509_STORE_CTX_free(ctx);
        X509_STORE_free(store);
        sk_X509_free(untrusted);
        X509_free(root);
        sk_X509_pop_free(chain, X509_free);
        afz_buf_cleanup(&pem);
        afz_ca_free(c);
    }
}
END_TEST

Suite *ca_suite(void)
{
    Suite *s = suite_create("ca");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, ca_setup, ca_teardown);
    tcase_add_loop_test(tc, test_ca_issue_chain_verifies, 0, (int)N_ALL);
    tcase_add_loop_test(tc, test_ca_issue_for_csr_key, 0, (int)N_ALL);
    tcase_add_loop_test(tc, test_ca_serials, 0,
                        (int)(sizeof serial_cases / sizeof serial_cases[0]));
    tcase_add_test(tc, test_ca_issue_rejects_bad_arguments);
    tcase_add_test(tc, test_ca_long_first_name);
    tcase_add_test(tc, test_ca_certificates_and_keys);
    tcase_add_test(tc, test_ca_deterministic_with_detrand);
    tcase_add_test(tc, test_ca_chain_length);
    suite_add_tcase(s, tc);
    return s;
}
