/* check_csr.c - building, parsing and checking CSRs. */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "afz_csr.h"
#include "afz_jose.h"
#include "afz_json.h"

#define N_ALGS 5
static EVP_PKEY *keys[N_ALGS];
static EVP_PKEY *rsa1024, *rsa768;

static const afz_jws_alg all_algs[] = {AFZ_ALG_ES256, AFZ_ALG_ES384, AFZ_ALG_RS256, AFZ_ALG_EDDSA};
#define N_ALL (sizeof all_algs / sizeof all_algs[0])

static void keys_setup(void)
{
    for (size_t i = 0; i < N_ALL; i++)
        ck_assert_int_eq(afz_key_generate(all_algs[i], &keys[all_algs[i]]), AFZ_OK);
    rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    ck_assert_ptr_nonnull(rsa1024);
    rsa768 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)768);
    ck_assert_ptr_nonnull(rsa768);
}

static void keys_teardown(void)
{
    for (size_t i = 0; i < N_ALGS; i++) {
        EVP_PKEY_free(keys[i]);
        keys[i] = NULL;
    }
    EVP_PKEY_free(rsa1024);
    rsa1024 = NULL;
    EVP_PKEY_free(rsa768);
    rsa768 = NULL;
}

/* custom_csr builds CSRs afz_csr_build will not: any subject CN (or none)
 * and any SAN list (or none), signed by |key| with SHA-256. */
static void custom_csr(EVP_PKEY *key, const char *cn, GENERAL_NAMES *gens, afz_buf *der)
{
    X509_REQ *req = X509_REQ_new();
    ck_assert_ptr_nonnull(req);
    if (cn)
        ck_assert_int_eq(X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(req), NID_commonName,
                                                    MBSTRING_UTF8, (const unsigned char *)cn, -1,
                                                    -1, 0),
                         1);
    if (gens) {
        STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
        ck_assert_ptr_nonnull(exts);
        ck_assert_int_eq(X509V3_add1_i2d(&exts, NID_subject_alt_name, gens, 0, 0), 1);
        ck_assert_int_eq(X509_REQ_add_extensions(req, exts), 1);
        sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    }
    ck_assert_int_eq(X509_REQ_set_pubkey(req, key), 1);
    ck_assert_int_gt(X509_REQ_sign(req, key, EVP_sha256()), 0);
    unsigned char *buf = NULL;
    int len = i2d_X509_REQ(req, &buf);
    ck_assert_int_gt(len, 0);
    afz_buf_init(der, 0);
    ck_assert_int_eq(afz_buf_append(der, buf, (size_t)len), AFZ_OK);
    OPENSSL_free(buf);
    X509_REQ_free(req);
}

static GENERAL_NAME *dns_name(const char *s)
{
    GENERAL_NAME *g = GENERAL_NAME_new();
    ASN1_IA5STRING *v = ASN1_IA5STRING_new();
    ck_assert(g && v && ASN1_STRING_set(v, s, -1) == 1);
    GENERAL_NAME_set0_value(g, GEN_DNS, v);
    return g;
}

static GENERAL_NAME *ip_name(void)
{
    static const unsigned char ip[4] = {192, 0, 2, 1};
    GENERAL_NAME *g = GENERAL_NAME_new();
    ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
    ck_assert(g && v && ASN1_OCTET_STRING_set(v, ip, sizeof ip) == 1);
    GENERAL_NAME_set0_value(g, GEN_IPADD, v);
    return g;
}

static GENERAL_NAME *email_name(void)
{
    GENERAL_NAME *g = GENERAL_NAME_new();
    ASN1_IA5STRING *v = ASN1_IA5STRING_new();
    ck_assert(g && v && ASN1_STRING_set(v, "hostmaster@example.com", -1) == 1);
    GENERAL_NAME_set0_value(g, GEN_EMAIL, v);
    return g;
}

static void build(afz_jws_alg alg, const char *const *names, size_t n, afz_buf *der)
{
    afz_buf_init(der, 0);
    ck_assert_int_eq(afz_csr_build(keys[alg], names, n, der), AFZ_OK);
}

START_TEST(test_csr_build_parse_round_trip)
{
    static const char *const names[] = {"Www.Example.com", "a.example.com", "www.example.com",
                                        "*.example.net"};
    static const char *const order[] = {"a.EXAMPLE.com", "www.example.com", "*.example.net"};
    afz_jws_alg alg = all_algs[_i];
    afz_buf der;
    afz_csr csr;
    afz_csr_verdict v = AFZ_CSR_UNPARSABLE;
    build(alg, names, 4, &der);
    ck_assert_int_eq(afz_csr_parse((const uint8_t *)der.data, der.len, &csr, &v), AFZ_OK);
    ck_assert_int_eq(v, AFZ_CSR_OK);
    /* Lower-cased, sorted, unique; CN "Www.Example.com" folds in. */
    ck_assert_uint_eq(csr.n_names, 3);
    ck_assert_str_eq(csr.names[0], "*.example.net");
    ck_assert_str_eq(csr.names[1], "a.example.com");
    ck_assert_str_eq(csr.names[2], "www.example.com");
    ck_assert_int_eq(EVP_PKEY_eq(csr.pubkey, keys[alg]), 1);
    EVP_PKEY *account = keys[alg == AFZ_ALG_ES256 ? AFZ_ALG_ES384 : AFZ_ALG_ES256];
    ck_assert_int_eq(afz_csr_check(&csr, order, 3, account), AFZ_CSR_OK);
    ck_assert_int_eq(afz_csr_check(&csr, order, 3, NULL), AFZ_CSR_OK);
    afz_csr_cleanup(&csr);
    afz_csr_cleanup(&csr); /* idempotent */
    afz_buf_cleanup(&der);
}
END_TEST

START_TEST(test_csr_build_subject_and_san)
{
    /* The DER carries CN = first name and every name as a dNSName. */
    static const char *const names[] = {"first.test", "second.test"};
    afz_buf der;
    build(AFZ_ALG_ES256, names, 2, &der);
    const unsigned char *p = (const unsigned char *)der.data;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)der.len);
    ck_assert_ptr_nonnull(req);
    char cn[64];
    ck_assert_int_gt(
        X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName, cn, sizeof cn),
        0);
    ck_assert_str_eq(cn, "first.test");
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    GENERAL_NAMES *gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
    ck_assert_ptr_nonnull(gens);
    ck_assert_int_eq(sk_GENERAL_NAME_num(gens), 2);
    for (int i = 0; i < 2; i++) {
        int type = -1;
        const ASN1_STRING *s = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(gens, i), &type);
        ck_assert_int_eq(type, GEN_DNS);
        ck_assert_str_eq((const char *)ASN1_STRING_get0_data(s), names[i]);
    }
    GENERAL_NAMES_free(gens);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_REQ_free(req);
    afz_buf_cleanup(&der);

    afz_buf_init(&der, 0);
    ck_assert_int_eq(afz_csr_build(keys[AFZ_ALG_ES256], names, 0, &der), AFZ_EINVAL);
    ck_assert_int_eq(afz_csr_build(NULL, names, 2, &der), AFZ_EINVAL);
    ck_assert_uint_eq(der.len, 0);
    afz_buf_cleanup(&der);
}
END_TEST

START_TEST(test_csr_long_first_name_has_no_cn)
{
    /* 70 bytes: too long for a CN, fine as a dNSName. */
    static const char *const names[] = {
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.com"};
    afz_buf der;
    afz_csr csr;
    afz_csr_verdict v;
    ck_assert_uint_gt(strlen(names[0]), 64);
    build(AFZ_ALG_ES256, names, 1, &der);
    ck_assert_int_eq(afz_csr_parse((const uint8_t *)der.data, der.len, &csr, &v), AFZ_OK);
    ck_assert_uint_eq(csr.n_names, 1);
    ck_assert_str_eq(csr.names[0], names[0]);
    afz_csr_cleanup(&csr);
    afz_buf_cleanup(&der);
}
END_TEST

/* Each afz_csr_parse rejection, made from a good CSR or built by hand. */
enum bad_csr_kind {
    BAD_GARBAGE,
    BAD_EMPTY,
    BAD_TRAILING_BYTE,
    BAD_TRUNCATED,
    BAD_SIGNATURE_BYTE,
    BAD_RSA_768,
    BAD_IP_SAN,
    BAD_EMAIL_SAN,
    BAD_DNS_CHARS,
    BAD_CN_NOT_DNS,
    BAD_NO_NAMES,
    BAD_N_KINDS
};

static const afz_csr_verdict bad_csr_want[BAD_N_KINDS] = {
    [BAD_GARBAGE] = AFZ_CSR_UNPARSABLE,
    [BAD_EMPTY] = AFZ_CSR_UNPARSABLE,
    [BAD_TRAILING_BYTE] = AFZ_CSR_UNPARSABLE,
    [BAD_TRUNCATED] = AFZ_CSR_UNPARSABLE,
    [BAD_SIGNATURE_BYTE] = AFZ_CSR_BAD_SIGNATURE,
    [BAD_RSA_768] = AFZ_CSR_UNSUPPORTED_KEY,
    [BAD_IP_SAN] = AFZ_CSR_BAD_NAME,
    [BAD_EMAIL_SAN] = AFZ_CSR_BAD_NAME,
    [BAD_DNS_CHARS] = AFZ_CSR_BAD_NAME,
    [BAD_CN_NOT_DNS] = AFZ_CSR_BAD_NAME,
    [BAD_NO_NAMES] = AFZ_CSR_NO_NAMES,
};

START_TEST(test_csr_parse_verdicts)
{
    static const char *const good[] = {"a.example.com", "b.example.com"};
    afz_buf der;
    afz_buf_init(&der, 0);
    GENERAL_NAMES *gens = NULL;
    EVP_PKEY *ec = keys[AFZ_ALG_ES256];
    switch ((enum bad_csr_kind)_i) {
    case BAD_GARBAGE:
        ck_assert_int_eq(afz_buf_puts(&der, "-----BEGIN CERTIFICATE REQUEST-----"), AFZ_OK);
        break;
    case BAD_EMPTY:
        break;
    case BAD_TRAILING_BYTE:
        build(AFZ_ALG_ES256, good, 2, &der);
        ck_assert_int_eq(afz_buf_putc(&der, 0), AFZ_OK);
        break;
    case BAD_TRUNCATED:
        build(AFZ_ALG_ES256, good, 2, &der);
        der.len -= 1;
        break;
    case BAD_SIGNATURE_BYTE:
        /* The signature BIT STRING ends the DER; its last byte is inside s. */
        build(AFZ_ALG_ES256, good, 2, &der);
        der.data[der.len - 1] ^= 0x01;
        break;
    case BAD_RSA_768:
        ck_assert_int_eq(afz_csr_build(rsa768, good, 2, &der), AFZ_OK);
        break;
    case BAD_IP_SAN:
        gens = GENERAL_NAMES_new();
        sk_GENERAL_NAME_push(gens, dns_name("a.example.com"));
        sk_GENERAL_NAME_push(gens, ip_name());
        custom_csr(ec, "a.example.com", gens, &der);
        break;
    case BAD_EMAIL_SAN:
        gens = GENERAL_NAMES_new();
        sk_GENERAL_NAME_push(gens, email_name());
        custom_csr(ec, NULL, gens, &der);
        break;
    case BAD_DNS_CHARS:
        gens = GENERAL_NAMES_new();
        sk_GENERAL_NAME_push(gens, dns_name("exa mple.com"));
        custom_csr(ec, NULL, gens, &der);
        break;
    case BAD_CN_NOT_DNS:
        gens = GENERAL_NAMES_new();
        sk_GENERAL_NAME_push(gens, dns_name("a.example.com"));
        custom_csr(ec, "Example Widgets Ltd", gens, &der);
        break;
    case BAD_NO_NAMES:
        custom_csr(ec, NULL, NULL, &der);
        break;
    case BAD_N_KINDS:
        ck_abort();
    }
    afz_csr csr;
    afz_csr_verdict v = AFZ_CSR_OK;
    ck_assert_int_eq(afz_csr_parse((const uint8_t *)der.data, der.len, &csr, &v), AFZ_EPARSE);
    ck_assert_msg(v == bad_csr_want[_i], "case %d: verdict %d", _i, (int)v);
    ck_assert_ptr_null(csr.pubkey);
    ck_assert_ptr_null(csr.names);
    ck_assert_uint_eq(csr.n_names, 0);
    ck_assert(strlen(afz_csr_verdict_detail(v)) > 0);
    afz_csr_cleanup(&csr);
    GENERAL_NAMES_free(gens);
    afz_buf_cleanup(&der);
}
END_TEST

START_TEST(test_csr_custom_good_csr_accepted)
{
    /* SAN only, no CN, upper case folded: the builder's peers accept. */
    GENERAL_NAMES *gens = GENERAL_NAMES_new();
    sk_GENERAL_NAME_push(gens, dns_name("B.Example.COM"));
    sk_GENERAL_NAME_push(gens, dns_name("a.example.com"));
    afz_buf der;
    custom_csr(keys[AFZ_ALG_RS256], NULL, gens, &der);
    afz_csr csr;
    afz_csr_verdict v;
    ck_assert_int_eq(afz_csr_parse((const uint8_t *)der.data, der.len, &csr, &v), AFZ_OK);
    ck_assert_uint_eq(csr.n_names, 2);
    ck_assert_str_eq(csr.names[0], "a.example.com");
    ck_assert_str_eq(csr.names[1], "b.example.com");
    afz_csr_cleanup(&csr);
    GENERAL_NAMES_free(gens);
    afz_buf_cleanup(&der);

    /* CN only, no SAN. */
    custom_csr(keys[AFZ_ALG_ES256], "cn-only.example.com", NULL, &der);
    ck_assert_int_eq(afz_csr_parse((const uint8_t *)der.data, der.len, &csr, &v), AFZ_OK);
    ck_assert_uint_eq(csr.n_names, 1);
    ck_assert_str_eq(csr.names[0], "cn-only.example.com");
    afz_csr_cleanup(&csr);
    afz_buf_cleanup(&der);
}
END_TEST

/* afz_csr_check against the order {a.example.com, b.example.com}. */
static const struct {
    const char *csr_names[3];
    size_t n;
    afz_csr_verdict want;
} check_cases[] = {
    {{"a.example.com", "b.example.com"}, 2, AFZ_CSR_OK},
    {{"B.EXAMPLE.COM", "A.example.com"}, 2, AFZ_CSR_OK},
    {{"a.example.com", "b.example.com", "a.example.com"}, 3, AFZ_CSR_OK},
    {{"a.example.com"}, 1, AFZ_CSR_NAMES_MISMATCH},
    {{"a.example.com", "b.example.com", "c.example.com"}, 3, AFZ_CSR_NAMES_MISMATCH},
    {{"a.example.com", "c.example.com"}, 2, AFZ_CSR_NAMES_MISMATCH},
    {{"*.example.com"}, 1, AFZ_CSR_NAMES_MISMATCH},
};

START_TEST(test_csr_check_names)
{
    static const char *const order[] = {"a.example.com", "b.example.com"};
    afz_buf der;
    afz_csr csr;
    afz_csr_verdict v;
    build(AFZ_ALG_ES256, check_cases[_i].csr_names, check_cases[_i].n, &der);
    ck_assert_int_eq(afz_csr_parse((const uint8_t *)der.data, der.len, &csr, &v), AFZ_OK);
    ck_assert_int_eq(afz_csr_check(&csr, order, 2, keys[AFZ_ALG_ES384]), check_cases[_i].want);
    afz_csr_cleanup(&csr);
    afz_buf_cleanup(&der);
}
END_TEST

START_TEST(test_csr_check_account_key_reuse)
{
    static const char *const names[] = {"a.example.com"};
    afz_jws_alg alg = all_algs[_i];
    afz_buf der;
    afz_csr csr;
    afz_csr_verdict v;
    build(alg, names, 1, &der);
    ck_assert_int_eq(afz_csr_parse((const uint8_t *)der.data, der.len, &csr, &v), AFZ_OK);
    /* The same object, and an equal key rebuilt from its JWK. */
    ck_assert_int_eq(afz_csr_check(&csr, names, 1, keys[alg]), AFZ_CSR_ACCOUNT_KEY);
    cJSON *jwk = NULL;
    EVP_PKEY *copy = NULL;
    ck_assert_int_eq(afz_jwk_from_key(keys[alg], &jwk), AFZ_OK);
    ck_assert_int_eq(afz_jwk_to_key(jwk, &copy), AFZ_OK);
    ck_assert_int_eq(afz_csr_check(&csr, names, 1, copy), AFZ_CSR_ACCOUNT_KEY);
    /* A different key of another type is fine. */
    EVP_PKEY *other = keys[alg == AFZ_ALG_EDDSA ? AFZ_ALG_RS256 : AFZ_ALG_EDDSA];
    ck_assert_int_eq(afz_csr_check(&csr, names, 1, other), AFZ_CSR_OK);
    EVP_PKEY_free(copy);
    cJSON_Delete(jwk);
    afz_csr_cleanup(&csr);
    afz_buf_cleanup(&der);
}
END_TEST

static const struct {
    const char *name;
    int ok;
} name_cases[] = {
    {"example.com", 1},
    {"a", 1},
    {"xn--bcher-kva.example", 1},
    {"a-b.c-d.example", 1},
    {"*.example.com", 1},
    {"EXAMPLE.com", 1},
    {"192.0.2.1", 1},
    {"", 0},
    {".", 0},
    {"example.com.", 0},
    {".example.com", 0},
    {"a..example.com", 0},
    {"-a.example.com", 0},
    {"a-.example.com", 0},
    {"a_b.example.com", 0},
    {"exa mple.com", 0},
    {"*", 0},
    {"*.", 0},
    {"a.*.example.com", 0},
    {"**.example.com", 0},
    {"*example.com", 0},
    {"caf\xc3\xa9.example", 0},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", 0},
};

START_TEST(test_csr_name_valid)
{
    const char *n = name_cases[_i].name;
    ck_assert_msg(afz_csr_name_valid(n, strlen(n)) == name_cases[_i].ok, "\"%s\"", n);
}
END_TEST

START_TEST(test_csr_name_valid_lengths)
{
    /* 253 bytes pass, 254 fail; an embedded NUL fails. */
    char name[256];
    size_t len = 0;
    while (len + 64 <= 253) {
        memset(name + len, 'a', 63);
        name[len + 63] = '.';
        len += 64;
    }
    memset(name + len, 'b', 253 - len);
    ck_assert_int_eq(afz_csr_name_valid(name, 253), 1);
    name[253] = 'c';
    ck_assert_int_eq(afz_csr_name_valid(name, 254), 0);
    ck_assert_int_eq(afz_csr_name_valid("a\0b.example", 11), 0);
    ck_assert_int_eq(afz_csr_name_valid(NULL, 0), 0);
}
END_TEST

START_TEST(test_csr_verdict_details)
{
    for (int v = AFZ_CSR_OK; v <= AFZ_CSR_WEAK_SIGNATURE; v++)
        ck_assert(strlen(afz_csr_verdict_detail((afz_csr_verdict)v)) > 8);
    ck_assert_str_ne(afz_csr_verdict_detail(AFZ_CSR_BAD_NAME),
                     afz_csr_verdict_detail(AFZ_CSR_NO_NAMES));
}
END_TEST

/* RSA 1024 (under AFZ_RSA_MIN_BITS, from AFZ_RSA_MIN_BITS_PEBBLE on)
 * parses, flagged: Pebble issues for it, strict_keys refuses it. */
START_TEST(test_csr_rsa1024_flagged_small)
{
    static const char *const good[] = {"example.com", "www.example.com"};
    afz_buf der;
    afz_buf_init(&der, 0);
    ck_assert_int_eq(afz_csr_build(rsa1024, good, 2, &der), AFZ_OK);
    afz_csr csr;
    afz_csr_verdict v = AFZ_CSR_UNPARSABLE;
    ck_assert_int_eq(afz_csr_parse((const uint8_t *)der.data, der.len, &csr, &v), AFZ_OK);
    ck_assert_int_eq(v, AFZ_CSR_OK);
    ck_assert_int_eq(csr.small_rsa_key, 1);
    ck_assert_int_eq(csr.pebble_key, 1);
    afz_csr_cleanup(&csr);
    afz_buf_reset(&der);
    ck_assert_int_eq(afz_csr_build(keys[AFZ_ALG_RS256], good, 2, &der), AFZ_OK);
    ck_assert_int_eq(afz_csr_parse((const uint8_t *)der.data, der.len, &csr, &v), AFZ_OK);
    ck_assert_int_eq(csr.small_rsa_key, 0);
    ck_assert_int_eq(csr.pebble_key, 0);
    afz_csr_cleanup(&csr);
    afz_buf_cleanup(&der);
}
END_TEST

/* A P-521 key parses, flagged as Pebble's (not small RSA); its names and
 * key come out as for any other key. */
START_TEST(test_csr_p521_flagged_pebble)
{
    static const char *const good[] = {"example.com"};
    EVP_PKEY *k = NULL;
    ck_assert_int_eq(afz_key_generate(AFZ_ALG_ES512, &k), AFZ_OK);
    afz_buf der;
    afz_buf_init(&der, 0);
    ck_assert_int_eq(afz_csr_build(k, good, 1, &der), AFZ_OK);
    afz_csr csr;
    afz_csr_verdict v = AFZ_CSR_UNPARSABLE;
    ck_assert_int_eq(afz_csr_parse((const uint8_t *)der.data, der.len, &csr, &v), AFZ_OK);
    ck_assert_int_eq(v, AFZ_CSR_OK);
    ck_assert_int_eq(csr.pebble_key, 1);
    ck_assert_int_eq(csr.small_rsa_key, 0);
    ck_assert_uint_eq(csr.n_names, 1);
    ck_assert_int_eq(EVP_PKEY_eq(csr.pubkey, k), 1);
    afz_csr_cleanup(&csr);
    afz_buf_cleanup(&der);
    EVP_PKEY_free(k);
}
END_TEST

Suite *csr_suite(void)
{
    Suite *s = suite_create("csr");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, keys_setup, keys_teardown);
    tcase_add_loop_test(tc, test_csr_build_parse_round_trip, 0, (int)N_ALL);
    tcase_add_test(tc, test_csr_build_subject_and_san);
    tcase_add_test(tc, test_csr_long_first_name_has_no_cn);
    tcase_add_loop_test(tc, test_csr_parse_verdicts, 0, BAD_N_KINDS);
    tcase_add_test(tc, test_csr_rsa1024_flagged_small);
    tcase_add_test(tc, test_csr_p521_flagged_pebble);
    tcase_add_test(tc, test_csr_custom_good_csr_accepted);
    tcase_add_loop_test(tc, test_csr_check_names, 0,
                        (int)(sizeof check_cases / sizeof check_cases[0]));
    tcase_add_loop_test(tc, test_csr_check_account_key_reuse, 0, (int)N_ALL);
    tcase_add_loop_test(tc, test_csr_name_valid, 0,
                        (int)(sizeof name_cases / sizeof name_cases[0]));
    tcase_add_test(tc, test_csr_name_valid_lengths);
    tcase_add_test(tc, test_csr_verdict_details);
    suite_add_tcase(s, tc);
    return s;
}
