/* check_reference.c - the reference client: its pure parts (nonce and URL
 * syntax, status names, order/authorization parsing, PEM chain checks,
 * back-off and Retry-After decisions), its flow against scripted server
 * answers (exact requests, nonces, payloads and waits), and a few
 * in-process runs against the server model. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "afz_jose.h"
#include "afz_json.h"
#include "afz_prng.h"
#include "afz_ref_internal.h"
#include "afz_reference.h"
#include "afz_run.h"
#include "afz_scenario.h"

/* ---- fixtures: keys and certificates ----------------------------------- */

static EVP_PKEY *cert_key;  /* the certificate key the client is given */
static EVP_PKEY *other_key; /* another key (account key, wrong leaf key) */
static char *leaf_pem;      /* a certificate for cert_key, signed by other_key */
static char *ca_pem;        /* a self-signed certificate for other_key */
static char *key_pem;       /* cert_key as a PKCS#8 PEM private key */

static char *make_cert(EVP_PKEY *subject, EVP_PKEY *signer, const char *cn)
{
    X509 *x = X509_new();
    ck_assert_ptr_nonnull(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, subject);
    ck_assert_int_gt(X509_sign(x, signer, EVP_sha256()), 0);
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, x);
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    char *out = afz_strndup(data, (size_t)n);
    BIO_free(bio);
    X509_free(x);
    return out;
}

static void keys_setup(void)
{
    ck_assert_int_eq(afz_key_generate(AFZ_ALG_ES256, &cert_key), AFZ_OK);
    ck_assert_int_eq(afz_key_generate(AFZ_ALG_ES256, &other_key), AFZ_OK);
    leaf_pem = make_cert(cert_key, other_key, "example.com");
    ca_pem = make_cert(other_key, other_key, "Test CA");
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, cert_key, NULL, NULL, 0, NULL, NULL);
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    key_pem = afz_strndup(data, (size_t)n);
    BIO_free(bio);
}

static void keys_teardown(void)
{
    EVP_PKEY_free(cert_key);
    EVP_PKEY_free(other_key);
    free(leaf_pem);
    free(ca_pem);
    free(key_pem);
    cert_key = other_key = NULL;
    leaf_pem = ca_pem = key_pem = NULL;
}

/* ---- pure checks ------------------------------------------------------- */

START_TEST(test_reference_nonce_validity)
{
    char long_ok[AFZ_REF_NONCE_MAX + 2];
    memset(long_ok, 'a', sizeof(long_ok));
    long_ok[AFZ_REF_NONCE_MAX] = '\0';
    ck_assert_int_eq(afz_ref_nonce_ok("abcXYZ019-_"), 1);
    ck_assert_int_eq(afz_ref_nonce_ok("a"), 1);
    ck_assert_int_eq(afz_ref_nonce_ok(long_ok), 1);
    long_ok[AFZ_REF_NONCE_MAX] = 'a';
    long_ok[AFZ_REF_NONCE_MAX + 1] = '\0';
    ck_assert_int_eq(afz_ref_nonce_ok(long_ok), 0);
    ck_assert_int_eq(afz_ref_nonce_ok(""), 0);
    ck_assert_int_eq(afz_ref_nonce_ok(NULL), 0);
    ck_assert_int_eq(afz_ref_nonce_ok("abc="), 0);
    ck_assert_int_eq(afz_ref_nonce_ok("a b"), 0);
    ck_assert_int_eq(afz_ref_nonce_ok(" abc"), 0);
    ck_assert_int_eq(afz_ref_nonce_ok("a/b+c"), 0);
    ck_assert_int_eq(afz_ref_nonce_ok("ab\r\n"), 0);
}
END_TEST

START_TEST(test_reference_url_and_token_validity)
{
    ck_assert_int_eq(afz_ref_url_ok("https://ca.test/order/1"), 1);
    ck_assert_int_eq(afz_ref_url_ok("http://127.0.0.1:14000/dir"), 1);
    ck_assert_int_eq(afz_ref_url_ok("HTTPS://CA.TEST/a%2Fb"), 1);
    ck_assert_int_eq(afz_ref_url_ok("ftp://ca.test/x"), 0);
    ck_assert_int_eq(afz_ref_url_ok("https://"), 0);
    ck_assert_int_eq(afz_ref_url_ok("https:///path"), 0);
    ck_assert_int_eq(afz_ref_url_ok("/order/1"), 0);
    ck_assert_int_eq(afz_ref_url_ok("https://ca.test/a b"), 0);
    ck_assert_int_eq(afz_ref_url_ok("https://ca.test/\x01"), 0);
    ck_assert_int_eq(afz_ref_url_ok(NULL), 0);
    char big[AFZ_REF_URL_MAX + 16];
    memset(big, 'a', sizeof(big));
    memcpy(big, "https://", 8);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(afz_ref_url_ok(big), 0);

    ck_assert_int_eq(afz_ref_token_ok("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"), 1);
    ck_assert_int_eq(afz_ref_token_ok("../etc/passwd"), 0);
    ck_assert_int_eq(afz_ref_token_ok("a/b"), 0);
    ck_assert_int_eq(afz_ref_token_ok(""), 0);
}
END_TEST

static const struct {
    const char *s;
    afz_ref_obj kind;
    afz_ref_status want;
} status_cases[] = {
    {"pending", AFZ_REF_OBJ_ORDER, AFZ_REF_ST_PENDING},
    {"ready", AFZ_REF_OBJ_ORDER, AFZ_REF_ST_READY},
    {"processing", AFZ_REF_OBJ_ORDER, AFZ_REF_ST_PROCESSING},
    {"valid", AFZ_REF_OBJ_ORDER, AFZ_REF_ST_VALID},
    {"invalid", AFZ_REF_OBJ_ORDER, AFZ_REF_ST_INVALID},
    {"expired", AFZ_REF_OBJ_ORDER, AFZ_REF_ST_UNKNOWN},
    {"ready", AFZ_REF_OBJ_AUTHZ, AFZ_REF_ST_UNKNOWN},
    {"processing", AFZ_REF_OBJ_AUTHZ, AFZ_REF_ST_UNKNOWN},
    {"deactivated", AFZ_REF_OBJ_AUTHZ, AFZ_REF_ST_DEACTIVATED},
    {"revoked", AFZ_REF_OBJ_AUTHZ, AFZ_REF_ST_REVOKED},
    {"processing", AFZ_REF_OBJ_CHALLENGE, AFZ_REF_ST_PROCESSING},
    {"ready", AFZ_REF_OBJ_CHALLENGE, AFZ_REF_ST_UNKNOWN},
    {"Valid", AFZ_REF_OBJ_ORDER, AFZ_REF_ST_UNKNOWN},
    {"valid ", AFZ_REF_OBJ_ORDER, AFZ_REF_ST_UNKNOWN},
    {"", AFZ_REF_OBJ_ORDER, AFZ_REF_ST_UNKNOWN},
    {NULL, AFZ_REF_OBJ_ORDER, AFZ_REF_ST_UNKNOWN},
};

START_TEST(test_reference_status_parsing)
{
    ck_assert_int_eq(afz_ref_status_parse(status_cases[_i].s, status_cases[_i].kind),
                     status_cases[_i].want);
}
END_TEST

#define IDS_ONE ((const char *const[]){"example.com"})
#define IDS_TWO ((const char *const[]){"a.example.com", "b.example.com"})

START_TEST(test_reference_order_parsing)
{
    afz_ref_order o;
    char why[200];
    const char *ok = "{\"status\":\"pending\",\"expires\":\"2026-01-08T00:00:00Z\","
                     "\"identifiers\":[{\"type\":\"dns\",\"value\":\"B.example.com\"},"
                     "{\"type\":\"dns\",\"value\":\"a.example.com\"}],"
                     "\"authorizations\":[\"https://ca.test/authz/2\",\"https://ca.test/authz/1\","
                     "\"https://ca.test/authz/2\"],\"finalize\":\"https://ca.test/fin/1\","
                     "\"x-future\":{\"anything\":[1,2]}}";
    ck_assert_int_eq(afz_ref_order_parse(ok, strlen(ok), IDS_TWO, 2, &o, why, sizeof(why)), AFZ_OK);
    ck_assert_int_eq(o.status, AFZ_REF_ST_PENDING);
    ck_assert_uint_eq(o.n_authz, 2); /* the duplicate is handled once */
    ck_assert_str_eq(o.authz[0], "https://ca.test/authz/2");
    ck_assert_str_eq(o.finalize, "https://ca.test/fin/1");
    ck_assert_ptr_null(o.certificate);
    afz_ref_order_cleanup(&o);

    const char *invalid = "{\"status\":\"invalid\",\"error\":{\"type\":"
                          "\"urn:ietf:params:acme:error:unauthorized\",\"detail\":\"no\\nway\"}}";
    ck_assert_int_eq(
        afz_ref_order_parse(invalid, strlen(invalid), IDS_ONE, 1, &o, why, sizeof(why)), AFZ_OK);
    ck_assert_str_eq(o.error, "unauthorized: no?way");
    afz_ref_order_cleanup(&o);

    static const char *const bad[] = {
        "{\"status\":\"weird\"}",
        "{\"status\":7}",
        "{}",
        "[\"status\",\"valid\"]",
        "{\"status\":\"valid\"",
        "{\"status\":\"valid\",\"certificate\":42}",
        "{\"status\":\"valid\",\"certificate\":\"/cert/1\"}",
        "{\"status\":\"pending\",\"authorizations\":\"https://ca.test/a\"}",
        "{\"status\":\"pending\",\"authorizations\":[17]}",
        "{\"status\":\"ready\",\"finalize\":null}",
        "{\"status\":\"ready\",\"identifiers\":[{\"type\":\"dns\",\"value\":\"evil.test\"}]}",
        "{\"status\":\"ready\",\"identifiers\":[]}",
        "{\"status\":\"ready\",\"identifiers\":{}}",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        /* Another order's names are ENOTFOUND (not the order asked for);
         * everything else broken is EPROTO. */
        afz_rc want = strstr(bad[i], "evil.test") ? AFZ_ENOTFOUND : AFZ_EPROTO;
        ck_assert_msg(
            afz_ref_order_parse(bad[i], strlen(bad[i]), IDS_ONE, 1, &o, why, sizeof(why)) == want,
            "accepted: %s", bad[i]);
        ck_assert_msg(why[0] != '\0', "no reason for %s", bad[i]);
        afz_ref_order_cleanup(&o);
    }
    ck_assert_int_eq(afz_ref_order_parse(NULL, 0, IDS_ONE, 1, &o, why, sizeof(why)), AFZ_EPROTO);
    afz_ref_order_cleanup(&o);
}
END_TEST

START_TEST(test_reference_authz_parsing_and_choice)
{
    afz_ref_authz a;
    char why[200];
    const char *body =
        "{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\",\"value\":\"example.com\"},"
        "\"challenges\":[{\"type\":\"x-new-01\",\"url\":17},"
        "{\"type\":\"tls-alpn-01\",\"url\":\"https://ca.test/c/3\",\"status\":\"pending\","
        "\"token\":\"t3\"},"
        "{\"type\":\"dns-01\",\"url\":\"https://ca.test/c/"
        "2\",\"status\":\"pending\",\"token\":\"t2\"},"
        "{\"type\":\"http-01\",\"url\":\"https://ca.test/c/"
        "1\",\"status\":\"pending\",\"token\":\"t1\"}"
        "]}";
    ck_assert_int_eq(afz_ref_authz_parse(body, strlen(body), &a, why, sizeof(why)), AFZ_OK);
    ck_assert_uint_eq(a.n_chal, 3); /* the unknown type is skipped unexamined */
    const afz_ref_chal *c = afz_ref_authz_pick(&a);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->type, AFZ_REF_CHAL_HTTP01);
    ck_assert_str_eq(c->url, "https://ca.test/c/1");
    a.wildcard = 1; /* wildcards prove control with dns-01 only */
    c = afz_ref_authz_pick(&a);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->type, AFZ_REF_CHAL_DNS01);
    afz_ref_authz_cleanup(&a);

    const char *failed =
        "{\"status\":\"invalid\",\"identifier\":{\"value\":\"example.com\"},\"challenges\":[{"
        "\"type\":\"http-01\",\"url\":\"https://ca.test/c/1\",\"status\":\"invalid\","
        "\"token\":\"t1\",\"error\":{\"type\":\"urn:ietf:params:acme:error:connection\","
        "\"detail\":\"refused\"}}]}";
    ck_assert_int_eq(afz_ref_authz_parse(failed, strlen(failed), &a, why, sizeof(why)), AFZ_OK);
    ck_assert_int_eq(a.status, AFZ_REF_ST_INVALID);
    ck_assert_str_eq(afz_ref_authz_error(&a), "connection: refused");
    ck_assert_ptr_null(afz_ref_authz_pick(&a)); /* an invalid challenge is not retried */
    afz_ref_authz_cleanup(&a);

    const char *no_token = "{\"status\":\"pending\",\"wildcard\":true,\"challenges\":[{\"type\":"
                           "\"dns-01\",\"url\":\"https://ca.test/c\",\"status\":\"pending\","
                           "\"token\":\"../x\"},{\"type\":\"http-01\",\"url\":\"https://ca.test/"
                           "h\",\"status\":\"pending\",\"token\":\"ok\"}]}";
    ck_assert_int_eq(afz_ref_authz_parse(no_token, strlen(no_token), &a, why, sizeof(why)), AFZ_OK);
    ck_assert_int_eq(a.wildcard, 1);
    ck_assert_ptr_null(afz_ref_authz_pick(&a));
    afz_ref_authz_cleanup(&a);

    static const char *const bad[] = {
        "{\"status\":\"ready\"}",
        "{\"challenges\":[]}",
        "{\"status\":\"pending\",\"challenges\":{}}",
        "nope",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(afz_ref_authz_parse(bad[i], strlen(bad[i]), &a, why, sizeof(why)) ==
                          AFZ_EPROTO,
                      "accepted: %s", bad[i]);
        afz_ref_authz_cleanup(&a);
    }
}
END_TEST

START_TEST(test_reference_problem_reading)
{
    afz_response r;
    afz_response_init(&r);
    const char *b = "{\"type\":\"urn:ietf:params:acme:error:badNonce\",\"detail\":\"stale\"}";
    afz_response_set_body(&r, b, strlen(b));
    afz_ref_problem p;
    afz_ref_problem_read(&r, &p);
    ck_assert_str_eq(p.type, "badNonce");
    ck_assert_str_eq(p.detail, "stale");
    ck_assert_int_eq(afz_ref_problem_is(&p, "badNonce"), 1);
    afz_response_set_body(&r, "<html>502</html>", 16);
    afz_ref_problem_read(&r, &p);
    ck_assert_str_eq(p.type, "");
    afz_response_set_body(&r, "{\"type\":7,\"detail\":[]}", 22);
    afz_ref_problem_read(&r, &p);
    ck_assert_str_eq(p.type, "");
    ck_assert_str_eq(p.detail, "");
    afz_response_cleanup(&r);
}
END_TEST

/* ---- PEM chains ------------------------------------------------------- */

static afz_rc chain_check(const char *body, char *why, size_t n)
{
    return afz_ref_pem_chain_check(body, strlen(body), cert_key, why, n);
}

START_TEST(test_reference_pem_chain_accepts_certificates)
{
    char why[200] = "";
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(chain_check(leaf_pem, why, sizeof(why)), AFZ_OK);
    afz_buf_printf(&b, "%s%s", leaf_pem, ca_pem);
    ck_assert_int_eq(chain_check(afz_buf_cstr(&b), why, sizeof(why)), AFZ_OK);
    /* RFC 7468 2: text around the blocks is tolerated */
    afz_buf_reset(&b);
    afz_buf_printf(&b, "leaf:\r\n%s\r\n\r\nissuer:\n%s\n", leaf_pem, ca_pem);
    ck_assert_msg(chain_check(afz_buf_cstr(&b), why, sizeof(why)) == AFZ_OK, "%s", why);
    afz_buf_cleanup(&b);
}
END_TEST

START_TEST(test_reference_pem_chain_rejects_bad_downloads)
{
    char why[200];
    afz_buf b;
    afz_buf_init(&b, 0);

    /* RFC 8555 11.4: a private key in the chain is refused */
    afz_buf_printf(&b, "%s%s", leaf_pem, key_pem);
    ck_assert_int_eq(chain_check(afz_buf_cstr(&b), why, sizeof(why)), AFZ_EPROTO);
    ck_assert_ptr_nonnull(strstr(why, "PRIVATE KEY"));

    ck_assert_int_eq(afz_ref_pem_chain_check("", 0, cert_key, why, sizeof(why)), AFZ_EPROTO);
    ck_assert_int_eq(afz_ref_pem_chain_check(NULL, 0, cert_key, why, sizeof(why)), AFZ_EPROTO);
    ck_assert_int_eq(chain_check("garbage, not PEM\n", why, sizeof(why)), AFZ_EPROTO);
    ck_assert_str_eq(why, "no PEM certificate in the body");

    /* the leaf must carry the certificate key */
    ck_assert_int_eq(chain_check(ca_pem, why, sizeof(why)), AFZ_EPROTO);
    ck_assert_ptr_nonnull(strstr(why, "public key"));

    /* truncated: no END line */
    afz_buf_reset(&b);
    afz_buf_append(&b, leaf_pem, strlen(leaf_pem) - 30);
    ck_assert_int_eq(chain_check(afz_buf_cstr(&b), why, sizeof(why)), AFZ_EPROTO);

    /* corrupted base64 inside a well-formed block */
    afz_buf_reset(&b);
    afz_buf_puts(&b, leaf_pem);
    b.data[40] = b.data[40] == 'A' ? 'B' : 'A';
    b.data[41] = '*';
    ck_assert_int_eq(chain_check(afz_buf_cstr(&b), why, sizeof(why)), AFZ_EPROTO);

    /* a stray END line, an unknown label, a label with a NUL in it */
    ck_assert_int_eq(chain_check("-----END CERTIFICATE-----\n", why, sizeof(why)), AFZ_EPROTO);
    ck_assert_int_eq(
        chain_check("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n", why, sizeof(why)),
        AFZ_EPROTO);
    static const char nul_label[] = "-----BEGIN CERTIFICATE\0X-----\n";
    ck_assert_int_eq(
        afz_ref_pem_chain_check(nul_label, sizeof(nul_label) - 1, cert_key, why, sizeof(why)),
        AFZ_EPROTO);

    /* a certificate after a leaf that is fine, then an encrypted key */
    afz_buf_reset(&b);
    afz_buf_printf(&b,
                   "%s-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"
                   "-----END ENCRYPTED PRIVATE KEY-----\n",
                   leaf_pem);
    ck_assert_int_eq(chain_check(afz_buf_cstr(&b), why, sizeof(why)), AFZ_EPROTO);

    /* more than 32 certificates */
    afz_buf_reset(&b);
    for (int i = 0; i < 33; i++)
        afz_buf_puts(&b, leaf_pem);
    ck_assert_int_eq(chain_check(afz_buf_cstr(&b), why, sizeof(why)), AFZ_EPROTO);
    afz_buf_cleanup(&b);
}
END_TEST

/* ---- back-off and Retry-After ------------------------------------------ */

static afz_reference_config default_cfg(void)
{
    afz_reference_config c;
    afz_reference_config_default(&c);
    return c;
}

START_TEST(test_reference_backoff_doubles_to_cap)
{
    afz_reference_config c = default_cfg();
    ck_assert_int_eq(afz_ref_backoff_ms(&c, 0, 0), 1000);
    ck_assert_int_eq(afz_ref_backoff_ms(&c, 1, 0), 2000);
    ck_assert_int_eq(afz_ref_backoff_ms(&c, 4, 0), 16000);
    ck_assert_int_eq(afz_ref_backoff_ms(&c, 5, 0), 30000);
    ck_assert_int_eq(afz_ref_backoff_ms(&c, 4000000000u, 0), 30000);
    /* jitter only adds, at most an eighth */
    for (uint64_t rnd = 0; rnd < 5000; rnd += 37) {
        int64_t w = afz_ref_backoff_ms(&c, 0, rnd * 2654435761u);
        ck_assert_int_ge(w, 1000);
        ck_assert_int_le(w, 1125);
        w = afz_ref_backoff_ms(&c, 60, UINT64_MAX - rnd);
        ck_assert_int_ge(w, 30000);
        ck_assert_int_le(w, 33750);
    }
    c.quirks = AFZ_REF_QUIRK_NO_BACKOFF;
    ck_assert_int_eq(afz_ref_backoff_ms(&c, 3, 99), 0);
    c.quirks = 0;
    c.backoff_base_ms = INT64_MAX / 2;
    c.backoff_cap_ms = INT64_MAX / 2;
    ck_assert_int_ge(afz_ref_backoff_ms(&c, 200, UINT64_MAX), INT64_MAX / 2);
}
END_TEST

/* now: 2026-01-01T00:00:00Z */
#define NOW AFZ_CLOCK_DEFAULT_EPOCH_MS

static const struct {
    const char *values[2]; /* Retry-After headers (NULL: absent) */
    afz_rc rc;
    int64_t ms;
    afz_retry_after_kind source;
} wait_cases[] = {
    {{"3", NULL}, AFZ_OK, 3000, AFZ_RA_SECONDS},
    /* A zero or past Retry-After is floored by the back-off step. */
    {{"0", NULL}, AFZ_OK, 1000, AFZ_RA_SECONDS},
    {{" 120 ", NULL}, AFZ_OK, 120000, AFZ_RA_SECONDS},
    {{"3600", NULL}, AFZ_OK, 3600000, AFZ_RA_SECONDS},
    {{"3601", NULL}, AFZ_ELIMIT, 3601000, AFZ_RA_SECONDS},
    {{"9223372036854775808", NULL}, AFZ_ELIMIT, INT64_MAX / 2, AFZ_RA_SECONDS},
    {{"99999999999999999999999", NULL}, AFZ_ELIMIT, INT64_MAX / 2, AFZ_RA_SECONDS},
    {{"Thu, 01 Jan 2026 00:00:10 GMT", NULL}, AFZ_OK, 10000, AFZ_RA_DATE},
    {{"Thursday, 01-Jan-26 00:01:00 GMT", NULL}, AFZ_OK, 60000, AFZ_RA_DATE},
    {{"Thu Jan  1 00:00:05 2026", NULL}, AFZ_OK, 5000, AFZ_RA_DATE},
    {{"Wed, 31 Dec 2025 23:00:00 GMT", NULL}, AFZ_OK, 1000, AFZ_RA_DATE},
    {{"Fri, 01 Jan 2100 00:00:00 GMT", NULL}, AFZ_ELIMIT, 2335219200000, AFZ_RA_DATE},
    /* invalid or ambiguous: back-off (attempt 0, rnd 0: 1000 ms) */
    {{NULL, NULL}, AFZ_OK, 1000, AFZ_RA_INVALID},
    {{"-1", NULL}, AFZ_OK, 1000, AFZ_RA_INVALID},
    {{"1.5", NULL}, AFZ_OK, 1000, AFZ_RA_INVALID},
    {{"+5", NULL}, AFZ_OK, 1000, AFZ_RA_INVALID},
    {{"", NULL}, AFZ_OK, 1000, AFZ_RA_INVALID},
    {{"soon", NULL}, AFZ_OK, 1000, AFZ_RA_INVALID},
    {{"2026-01-01T00:00:10Z", NULL}, AFZ_OK, 1000, AFZ_RA_INVALID},
    {{"Thu, 01 Jan 2026 00:00:10 CET", NULL}, AFZ_OK, 1000, AFZ_RA_INVALID},
    {{"5", "7"}, AFZ_OK, 1000, AFZ_RA_INVALID},
    {{"5", "5"}, AFZ_OK, 1000, AFZ_RA_INVALID},
};

START_TEST(test_reference_wait_decision)
{
    afz_reference_config c = default_cfg();
    afz_headers h;
    memset(&h, 0, sizeof(h));
    afz_headers_add(&h, "Content-Type", "application/json");
    for (int k = 0; k < 2; k++)
        if (wait_cases[_i].values[k])
            afz_headers_add(&h, k ? "retry-after" : "Retry-After", wait_cases[_i].values[k]);
    afz_ref_wait_plan w;
    afz_rc rc = afz_ref_wait_decide(&c, &h, NOW, 0, 0, &w);
    ck_assert_int_eq(rc, wait_cases[_i].rc);
    ck_assert_int_eq(w.ms, wait_cases[_i].ms);
    ck_assert_int_eq(w.source, wait_cases[_i].source);
    ck_assert_int_ge(w.ms, 0);
    ck_assert_int_eq(w.header_seen, wait_cases[_i].values[0] != NULL);
    afz_headers_cleanup(&h);
}
END_TEST

START_TEST(test_reference_wait_decision_quirks)
{
    afz_reference_config c = default_cfg();
    afz_headers h;
    memset(&h, 0, sizeof(h));
    afz_headers_add(&h, "Retry-After", "Thu, 01 Jan 2026 00:00:10 GMT");
    afz_ref_wait_plan w;
    ck_assert_int_eq(afz_ref_wait_decide(&c, NULL, NOW, 2, 0, &w), AFZ_OK);
    ck_assert_int_eq(w.ms, 4000);
    c.quirks = AFZ_REF_QUIRK_IGNORE_RETRY_AFTER;
    ck_assert_int_eq(afz_ref_wait_decide(&c, &h, NOW, 0, 0, &w), AFZ_OK);
    ck_assert_int_eq(w.ms, 1000);
    ck_assert_int_eq(w.source, AFZ_RA_INVALID);
    c.quirks = 0;
    c.max_wait_ms = 5000;
    ck_assert_int_eq(afz_ref_wait_decide(&c, &h, NOW, 0, 0, &w), AFZ_ELIMIT);
    ck_assert_int_eq(w.ms, 10000);
    afz_headers_cleanup(&h);
}
END_TEST

START_TEST(test_reference_wait_decision_zoo_quirks)
{
    afz_reference_config c = default_cfg();
    afz_headers date, huge, zero;
    memset(&date, 0, sizeof(date));
    memset(&huge, 0, sizeof(huge));
    memset(&zero, 0, sizeof(zero));
    afz_headers_add(&date, "Retry-After", "Thu, 01 Jan 2026 00:00:10 GMT");
    afz_headers_add(&huge, "Retry-After", "2147483648");
    afz_headers_add(&zero, "Retry-After", "0");
    afz_ref_wait_plan w;
    /* the reference: a date 10 s ahead waits 10 s; 2^31 s is refused; 0
     * is floored by the back-off step */
    ck_assert_int_eq(afz_ref_wait_decide(&c, &date, NOW, 0, 0, &w), AFZ_OK);
    ck_assert_int_eq(w.ms, 10000);
    ck_assert_int_eq(afz_ref_wait_decide(&c, &huge, NOW, 0, 0, &w), AFZ_ELIMIT);
    ck_assert_int_eq(afz_ref_wait_decide(&c, &zero, NOW, 1, 0, &w), AFZ_OK);
    ck_assert_int_eq(w.ms, 2000);
    /* HTTPDATE_AS_ZERO: the date reads as 0, so only the floor is left */
    c.quirks = AFZ_REF_QUIRK_HTTPDATE_AS_ZERO;
    ck_assert_int_eq(afz_ref_wait_decide(&c, &date, NOW, 0, 0, &w), AFZ_OK);
    ck_assert_int_eq(w.ms, 1000);
    ck_assert_int_eq(w.source, AFZ_RA_DATE);
    /* RETRY_AFTER_INT32: 2^31 wraps negative: no wait at all; 2^32 + 5
     * wraps to 5 s; small values are unchanged */
    c.quirks = AFZ_REF_QUIRK_RETRY_AFTER_INT32;
    ck_assert_int_eq(afz_ref_wait_decide(&c, &huge, NOW, 3, 0, &w), AFZ_OK);
    ck_assert_int_eq(w.ms, 0);
    afz_headers_set(&huge, "Retry-After", " 4294967301 ");
    ck_assert_int_eq(afz_ref_wait_decide(&c, &huge, NOW, 0, 0, &w), AFZ_OK);
    ck_assert_int_eq(w.ms, 5000);
    ck_assert_int_eq(afz_ref_wait_decide(&c, &date, NOW, 0, 0, &w), AFZ_OK);
    ck_assert_int_eq(w.ms, 10000);
    /* NO_WAIT_LIMIT: any wait is taken */
    c.quirks = AFZ_REF_QUIRK_NO_WAIT_LIMIT;
    afz_headers_set(&huge, "Retry-After", "2147483648");
    ck_assert_int_eq(afz_ref_wait_decide(&c, &huge, NOW, 0, 0, &w), AFZ_OK);
    ck_assert_int_eq(w.ms, INT64_C(2147483648) * 1000);
    afz_headers_cleanup(&date);
    afz_headers_cleanup(&huge);
    afz_headers_cleanup(&zero);
}
END_TEST

/* ---- the flow against scripted answers ---------------------------------- */

#define MAX_EXCHANGES 80

typedef struct step {
    int status;
    const char *headers; /* "Name: value\n" lines, or NULL */
    const char *body;    /* or NULL */
    int transport_error; /* 1: no answer (AFZ_ETRANSPORT) */
    int no_nonce;        /* 1: no automatic Replay-Nonce */
} step;

typedef struct fake {
    const step *steps;
    size_t n_steps, next;
    int64_t now;
    int64_t sleeps[MAX_EXCHANGES];
    size_t n_sleeps;
    afz_request req[MAX_EXCHANGES];
    size_t n_req;
    size_t calls_after_budget;
    int budget_spent;
    char nonce_given[MAX_EXCHANGES][16]; /* Replay-Nonce sent with answer i */
    const char *challenge_dir;           /* passed to the client, or NULL */
    char seen_file[256];                 /* challenge_dir/tokH at the challenge POST */
    /* answer, when set, makes each answer from the request instead of
     * taking steps[] in order (n_steps still bounds the exchanges) */
    step (*answer)(struct fake *f, const afz_request *req);
    int challenge_posted, finalized, polls_after_finalize;
} fake;

static void add_header_lines(afz_headers *h, const char *lines)
{
    while (lines && *lines) {
        const char *nl = strchr(lines, '\n');
        size_t n = nl ? (size_t)(nl - lines) : strlen(lines);
        const char *colon = memchr(lines, ':', n);
        ck_assert_ptr_nonnull(colon);
        char *name = afz_strndup(lines, (size_t)(colon - lines));
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        char *value = afz_strndup(v, n - (size_t)(v - lines));
        afz_headers_add(h, name, value);
        free(name);
        free(value);
        lines += n + (nl ? 1 : 0);
    }
}

static afz_rc fake_http(void *ctx, const afz_request *req, afz_response *resp)
{
    fake *f = ctx;
    afz_response_init(resp);
    if (f->budget_spent) {
        f->calls_after_budget++;
        return AFZ_EBUDGET;
    }
    ck_assert_uint_lt(f->n_req, MAX_EXCHANGES);
    size_t i = f->n_req++;
    ck_assert_int_eq(afz_request_copy(&f->req[i], req), AFZ_OK);
    if (f->next >= f->n_steps) {
        f->budget_spent = 1;
        return AFZ_EBUDGET;
    }
    step made;
    const step *s = &f->steps[f->next++];
    if (f->answer) {
        made = f->answer(f, req);
        s = &made;
    }
    if (f->challenge_dir && strstr(req->url, "/chall/http")) {
        char path[512];
        snprintf(path, sizeof(path), "%s/tokH", f->challenge_dir);
        FILE *fp = fopen(path, "r");
        if (fp) {
            size_t got = fread(f->seen_file, 1, sizeof(f->seen_file) - 1, fp);
            f->seen_file[got] = '\0';
            fclose(fp);
        }
    }
    if (s->transport_error)
        return AFZ_ETRANSPORT;
    resp->status = s->status;
    add_header_lines(&resp->headers, s->headers);
    if (!s->no_nonce && !afz_headers_get(&resp->headers, "Replay-Nonce")) {
        snprintf(f->nonce_given[i], sizeof(f->nonce_given[i]), "n%zu", i);
        afz_headers_add(&resp->headers, "Replay-Nonce", f->nonce_given[i]);
    }
    if (s->body)
        afz_response_set_body(resp, s->body, strlen(s->body));
    return AFZ_OK;
}

static afz_rc fake_sleep(void *ctx, int64_t ms)
{
    fake *f = ctx;
    ck_assert_int_ge(ms, 0);
    if (f->budget_spent) {
        f->calls_after_budget++;
        return AFZ_EBUDGET;
    }
    if (f->n_sleeps < MAX_EXCHANGES)
        f->sleeps[f->n_sleeps++] = ms;
    f->now += ms;
    return AFZ_OK;
}

static int64_t fake_now(void *ctx)
{
    return ((fake *)ctx)->now;
}

/* fake_log checks that every log line is one printable line. */
static void fake_log(void *ctx, const char *line)
{
    (void)ctx;
    for (const char *c = line; *c; c++)
        ck_assert_msg((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f, "log: %s", line);
}

static uint64_t fake_random(void *ctx)
{
    (void)ctx;
    return 0;
}

static void fake_cleanup(fake *f)
{
    for (size_t i = 0; i < f->n_req; i++)
        afz_request_cleanup(&f->req[i]);
}

/* script_challenge_dir is the challenge_dir of the next run_script;
 * script_answer its answer function. */
static const char *script_challenge_dir;
static step (*script_answer)(fake *f, const afz_request *req);

/* A one-key state store for the scripted runs (afz_env.state_get/put),
 * handed to the client only while store.on is set. puts[] records
 * every value written ("" for a delete), in order. */
#define STORE_PUTS 8
static struct {
    int on;
    char key[256];
    char value[1024];
    int has;
    char puts[STORE_PUTS][1024];
    size_t n_puts;
} store;

/* saved-order values (afz_ref_state_encode) for ORDER_URL */
#define SAVED_FINALIZED "url=https://ca.test/order/1\nfinalized=1\n"
#define SAVED_PENDING "url=https://ca.test/order/1\n"

static void store_reset(int on, const char *value)
{
    memset(&store, 0, sizeof(store));
    store.on = on;
    if (value) {
        snprintf(store.key, sizeof(store.key), "order:example.com");
        snprintf(store.value, sizeof(store.value), "%s", value);
        store.has = 1;
    }
}

static const char *store_get(void *ctx, const char *key)
{
    (void)ctx;
    return store.has && strcmp(store.key, key) == 0 ? store.value : NULL;
}

static afz_rc store_put(void *ctx, const char *key, const char *value)
{
    (void)ctx;
    ck_assert_uint_lt(strlen(key), sizeof(store.key));
    if (store.n_puts < STORE_PUTS)
        snprintf(store.puts[store.n_puts++], sizeof(store.puts[0]), "%s", value ? value : "");
    if (!value) {
        if (store.has && strcmp(store.key, key) == 0)
            store.has = 0;
        return AFZ_OK;
    }
    ck_assert_msg(!store.has || strcmp(store.key, key) == 0, "second key %s", key);
    snprintf(store.key, sizeof(store.key), "%s", key);
    snprintf(store.value, sizeof(store.value), "%s", value);
    store.has = 1;
    return AFZ_OK;
}

/* run_script runs the reference client (|cfg| may be NULL) over |steps|
 * for |ids|, leaving the exchanges in |f| and the outcome in |out|. */
static afz_rc run_script(fake *f, const step *steps, size_t n, const afz_reference_config *cfg,
                         const char *const *ids, size_t n_ids, afz_obtain_result *out)
{
    const char *dir = script_challenge_dir;
    memset(f, 0, sizeof(*f));
    f->challenge_dir = dir;
    f->answer = script_answer;
    f->steps = steps;
    f->n_steps = n;
    f->now = NOW;
    afz_env env = {
        .abi_version = AFZ_CLIENT_ABI_VERSION,
        .struct_size = sizeof(afz_env),
        .ctx = f,
        .http = fake_http,
        .sleep = fake_sleep,
        .now = fake_now,
        .random = fake_random,
        .log = fake_log,
        .state_get = store.on ? store_get : NULL,
        .state_put = store.on ? store_put : NULL,
    };
    afz_obtain_params p = {
        .struct_size = sizeof(p),
        .directory_url = "https://ca.test/dir",
        .identifiers = ids,
        .n_identifiers = n_ids,
        .account_key = other_key,
        .cert_key = cert_key,
        .challenge_dir = dir,
    };
    afz_client client = afz_client_reference;
    client.config = cfg;
    return client.obtain(&client, &env, &p, out);
}

/* jws_of parses request |i|'s JWS body. */
static void jws_of(const fake *f, size_t i, afz_jws *j)
{
    const char *why = NULL;
    ck_assert_uint_lt(i, f->n_req);
    ck_assert_msg(afz_jws_parse(f->req[i].body, f->req[i].body_len, j, &why) == AFZ_OK,
                  "request %zu: %s", i, why ? why : "");
}

static void assert_request(const fake *f, size_t i, const char *method, const char *url)
{
    ck_assert_uint_lt(i, f->n_req);
    ck_assert_str_eq(f->req[i].method, method);
    ck_assert_str_eq(f->req[i].url, url);
    ck_assert_str_eq(afz_headers_get(&f->req[i].headers, "User-Agent"), "acmefuzz-reference/0.1");
}

/* assert_payload: request i is a JWS POST to |url| whose payload is |want|. */
static void assert_payload(const fake *f, size_t i, const char *url, const char *want)
{
    assert_request(f, i, "POST", url);
    ck_assert_str_eq(afz_headers_get(&f->req[i].headers, "Content-Type"), "application/jose+json");
    afz_jws j;
    jws_of(f, i, &j);
    ck_assert_str_eq(j.url, url);
    ck_assert_uint_eq(j.payload_len, strlen(want));
    ck_assert_mem_eq(j.payload, want, strlen(want));
    afz_jws_cleanup(&j);
}

static size_t count_posts(const fake *f, const char *url)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_req; i++)
        n += strcmp(f->req[i].url, url) == 0;
    return n;
}

#define DIR_BODY                                                                                   \
    "{\"newNonce\":\"https://ca.test/nonce\",\"newAccount\":\"https://ca.test/acct\","             \
    "\"newOrder\":\"https://ca.test/new-order\",\"meta\":{\"termsOfService\":\"x\"}}"
#define ORDER_URL "https://ca.test/order/1"
#define AUTHZ_URL "https://ca.test/authz/1"
#define FIN_URL "https://ca.test/finalize/1"
#define CERT_URL "https://ca.test/cert/1"
#define ORDER(status, extra)                                                                       \
    "{\"status\":\"" status "\",\"identifiers\":[{\"type\":\"dns\",\"value\":\"example.com\"}],"   \
    "\"authorizations\":[\"" AUTHZ_URL "\"],\"finalize\":\"" FIN_URL "\"" extra "}"
#define AUTHZ(status)                                                                              \
    "{\"status\":\"" status "\",\"identifier\":{\"type\":\"dns\",\"value\":\"example.com\"},"      \
    "\"challenges\":[{\"type\":\"dns-01\",\"url\":\"https://ca.test/chall/dns\",\"status\":"       \
    "\"pending\",\"token\":\"tokD\"},{\"type\":\"http-01\",\"url\":\"https://ca.test/chall/"       \
    "http\",\"status\":\"pending\",\"token\":\"tokH\"}]}"
#define CERT_FIELD ",\"certificate\":\"" CERT_URL "\""
#define PROBLEM(type, detail)                                                                      \
    "{\"type\":\"urn:ietf:params:acme:error:" type "\",\"detail\":\"" detail "\"}"

/* the first four exchanges of every script: directory, nonce, account,
 * order (pending) */
#define PROLOGUE                                                                                   \
    {200, "Content-Type: application/json", DIR_BODY, 0, 1}, {200, NULL, NULL, 0, 0},              \
        {201, "Location: https://ca.test/acct/1", "{\"status\":\"valid\"}", 0, 0},                 \
    {                                                                                              \
        201, "Location: " ORDER_URL, ORDER("pending", ""), 0, 0                                    \
    }
#define AUTHZ_DONE                                                                                 \
    {200, NULL, AUTHZ("pending"), 0, 0},                                                           \
        {200, NULL, "{\"type\":\"http-01\",\"status\":\"processing\"}", 0, 0},                     \
    {                                                                                              \
        200, NULL, AUTHZ("valid"), 0, 0                                                            \
    }

START_TEST(test_reference_flow_async_finalize)
{
    /* RFC 8555 7.4: finalize answers "processing" with Retry-After; the
     * client polls the ORDER URL after exactly that long, then downloads
     * from the order's certificate URL. */
    step steps[] = {
        PROLOGUE,
        AUTHZ_DONE,
        {200, NULL, ORDER("ready", ""), 0, 0},
        {200, "Retry-After: 3\nLocation: " ORDER_URL, ORDER("processing", ""), 0, 0},
        {200, "Retry-After: 2", ORDER("processing", ""), 0, 0},
        {200, NULL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, "Content-Type: application/pem-certificate-chain", leaf_pem, 0, 0},
    };
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    ck_assert_msg(rc == AFZ_OK, "%s", out.reason);
    ck_assert_str_eq(out.cert_pem, leaf_pem);
    ck_assert_uint_eq(out.cert_pem_len, strlen(leaf_pem));
    ck_assert_uint_eq(f.n_req, 12);

    assert_request(&f, 0, "GET", "https://ca.test/dir");
    assert_request(&f, 1, "HEAD", "https://ca.test/nonce");
    afz_jws j;
    jws_of(&f, 2, &j); /* newAccount: jwk, not kid */
    ck_assert_int_eq(j.has_jwk, 1);
    ck_assert_int_eq(j.has_kid, 0);
    ck_assert_ptr_nonnull(strstr((const char *)j.payload, "\"termsOfServiceAgreed\":true"));
    ck_assert_ptr_null(strstr((const char *)j.payload, "contact"));
    afz_jws_cleanup(&j);
    for (size_t i = 3; i < f.n_req; i++) {
        jws_of(&f, i, &j);
        ck_assert_int_eq(j.has_jwk, 0);
        ck_assert_str_eq(j.kid, "https://ca.test/acct/1");
        /* RFC 8555 6.5: each nonce is the one the previous answer gave */
        ck_assert_str_eq(j.nonce, f.nonce_given[i - 1]);
        afz_jws_cleanup(&j);
    }
    assert_payload(&f, 4, AUTHZ_URL, "");
    assert_payload(&f, 5, "https://ca.test/chall/http", "{}");
    assert_payload(&f, 6, AUTHZ_URL, "");
    assert_payload(&f, 7, ORDER_URL, "");
    assert_request(&f, 8, "POST", FIN_URL);
    assert_payload(&f, 9, ORDER_URL, "");
    assert_payload(&f, 10, ORDER_URL, "");
    assert_payload(&f, 11, CERT_URL, "");
    ck_assert_str_eq(afz_headers_get(&f.req[11].headers, "Accept"),
                     "application/pem-certificate-chain");
    ck_assert_uint_eq(count_posts(&f, FIN_URL), 1);

    /* waits: back-off before the authorization poll, then Retry-After */
    ck_assert_uint_eq(f.n_sleeps, 3);
    ck_assert_int_eq(f.sleeps[0], 1000);
    ck_assert_int_eq(f.sleeps[1], 3000);
    ck_assert_int_eq(f.sleeps[2], 2000);
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_flow_http01_writes_key_authorization)
{
    /* RFC 8555 8.3: challenge_dir/<token> holds token "." thumbprint while
     * the challenge is answered, and is removed afterwards */
    char dir[] = "/tmp/afz-ref-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    step steps[] = {PROLOGUE,
                    AUTHZ_DONE,
                    {200, NULL, ORDER("valid", CERT_FIELD), 0, 0},
                    {200, NULL, leaf_pem, 0, 0}};
    fake f;
    afz_obtain_result out;
    script_challenge_dir = dir;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    script_challenge_dir = NULL;
    ck_assert_msg(rc == AFZ_OK, "%s", out.reason);
    afz_buf want;
    afz_buf_init(&want, 0);
    afz_buf_puts(&want, "tokH.");
    ck_assert_int_eq(afz_jwk_thumbprint(other_key, &want), AFZ_OK);
    ck_assert_str_eq(f.seen_file, afz_buf_cstr(&want));
    char path[64];
    snprintf(path, sizeof(path), "%s/tokH", dir);
    ck_assert_int_ne(access(path, F_OK), 0);
    ck_assert_int_eq(rmdir(dir), 0);
    afz_buf_cleanup(&want);
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_flow_bad_nonce_uses_fresh_nonce)
{
    step steps[] = {
        {200, NULL, DIR_BODY, 0, 1},
        {200, NULL, NULL, 0, 0},
        {400, "Replay-Nonce: fresh1", PROBLEM("badNonce", "stale"), 0, 0},
        {400, NULL, PROBLEM("badNonce", "again"), 0, 1}, /* no nonce: ask newNonce */
        {200, NULL, NULL, 0, 0},
        {400, "Replay-Nonce: bad=nonce!", PROBLEM("badNonce", "x"), 0, 0}, /* invalid: ignored */
        {200, NULL, NULL, 0, 0},
        {201, "Location: https://ca.test/acct/1", "{}", 0, 0},
        {201, "Location: " ORDER_URL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, NULL, leaf_pem, 0, 0},
    };
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    ck_assert_msg(rc == AFZ_OK, "%s", out.reason);
    afz_jws j;
    jws_of(&f, 3, &j);
    ck_assert_str_eq(j.nonce, "fresh1");
    afz_jws_cleanup(&j);
    assert_request(&f, 4, "HEAD", "https://ca.test/nonce");
    jws_of(&f, 5, &j);
    ck_assert_str_eq(j.nonce, f.nonce_given[4]);
    afz_jws_cleanup(&j);
    assert_request(&f, 6, "HEAD", "https://ca.test/nonce");
    ck_assert_uint_eq(f.n_sleeps, 0);
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_flow_bad_nonce_is_bounded)
{
    step steps[10];
    steps[0] = (step){200, NULL, DIR_BODY, 0, 1};
    steps[1] = (step){200, NULL, NULL, 0, 0};
    for (size_t i = 2; i < 10; i++)
        steps[i] = (step){400, NULL, PROBLEM("badNonce", "no"), 0, 0};
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, 10, NULL, IDS_ONE, 1, &out);
    ck_assert_int_eq(rc, AFZ_EPROTO);
    ck_assert_uint_eq(f.n_req, 2 + 6); /* the request and 5 retries */
    ck_assert_ptr_nonnull(strstr(out.reason, "badNonce"));
    fake_cleanup(&f);
}
END_TEST

static const struct {
    const char *retry_after; /* on the "processing" finalize answer */
    const char *reason_part;
} huge_waits[] = {
    {"Retry-After: 9223372036854775808", "server asked to wait"},
    {"Retry-After: 99999999999999999999", "server asked to wait"},
    {"Retry-After: 86400", "server asked to wait 86400 s"},
    {"Retry-After: Fri, 01 Jan 2100 00:00:00 GMT", "server asked to wait"},
};

START_TEST(test_reference_flow_refuses_huge_waits)
{
    step steps[] = {
        PROLOGUE,
        AUTHZ_DONE,
        {200, NULL, ORDER("ready", ""), 0, 0},
        {200, huge_waits[_i].retry_after, ORDER("processing", ""), 0, 0},
        {200, NULL, ORDER("valid", CERT_FIELD), 0, 0},
    };
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    ck_assert_int_eq(rc, AFZ_EFAIL);
    ck_assert_msg(strstr(out.reason, huge_waits[_i].reason_part), "%s", out.reason);
    ck_assert_uint_eq(f.n_req, 9); /* nothing after the finalize */
    ck_assert_ptr_null(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_flow_order_not_ready_refetches_order)
{
    /* RFC 8555 7.4: after orderNotReady, POST-as-GET the order and act on
     * its status; here it was valid all along (a lagging read). */
    step steps[] = {
        PROLOGUE,
        AUTHZ_DONE,
        {200, NULL, ORDER("ready", ""), 0, 0},
        {403, NULL, PROBLEM("orderNotReady", "Order's status (\\\"valid\\\") is not acceptable"), 0,
         0},
        {200, NULL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, NULL, leaf_pem, 0, 0},
    };
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    ck_assert_msg(rc == AFZ_OK, "%s", out.reason);
    assert_payload(&f, 9, ORDER_URL, "");
    ck_assert_uint_eq(count_posts(&f, FIN_URL), 1);
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_flow_lost_finalize_polls_order)
{
    /* A finalize whose answer never came: poll the order, never finalize
     * blindly; "processing" then "valid". Then a 503 on finalize the same. */
    step lost[] = {
        PROLOGUE,
        AUTHZ_DONE,
        {200, NULL, ORDER("ready", ""), 0, 0},
        {0, NULL, NULL, 1, 0},
        {200, NULL, NULL, 0, 0}, /* newNonce: the lost request used the nonce */
        {200, NULL, ORDER("processing", ""), 0, 0},
        {200, NULL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, NULL, leaf_pem, 0, 0},
    };
    step unavailable[] = {
        PROLOGUE,
        AUTHZ_DONE,
        {200, NULL, ORDER("ready", ""), 0, 0},
        {503, "Retry-After: 7", PROBLEM("serverInternal", "busy"), 0, 0},
        {200, NULL, ORDER("processing", ""), 0, 0},
        {200, NULL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, NULL, leaf_pem, 0, 0},
    };
    const step *scripts[] = {lost, unavailable};
    size_t sizes[] = {sizeof(lost) / sizeof(lost[0]), sizeof(unavailable) / sizeof(step)};
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, scripts[_i], sizes[_i], NULL, IDS_ONE, 1, &out);
    ck_assert_msg(rc == AFZ_OK, "%s", out.reason);
    ck_assert_uint_eq(count_posts(&f, FIN_URL), 1);
    if (_i == 0)
        assert_request(&f, 9, "HEAD", "https://ca.test/nonce");
    assert_payload(&f, _i == 0 ? 10 : 9, ORDER_URL, "");
    if (_i == 1)
        ck_assert_int_eq(f.sleeps[1], 7000);
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_flow_lost_finalize_then_ready_finalizes_again)
{
    step steps[] = {
        PROLOGUE,
        AUTHZ_DONE,
        {200, NULL, ORDER("ready", ""), 0, 0},
        {0, NULL, NULL, 1, 0},
        {200, NULL, NULL, 0, 0},
        {200, NULL, ORDER("ready", ""), 0, 0},
        {200, NULL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, NULL, leaf_pem, 0, 0},
    };
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    ck_assert_msg(rc == AFZ_OK, "%s", out.reason);
    ck_assert_uint_eq(count_posts(&f, FIN_URL), 2);
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_flow_stale_ready_after_finalize_is_polled)
{
    /* finalize accepted ("processing"), then a lagging replica shows
     * "ready" and "pending": the client polls, it never finalizes again */
    step steps[] = {
        PROLOGUE,
        AUTHZ_DONE,
        {200, NULL, ORDER("ready", ""), 0, 0},
        {200, NULL, ORDER("ready", ""), 0, 0},
        {200, NULL, ORDER("ready", ""), 0, 0},
        {200, NULL, ORDER("pending", ""), 0, 0},
        {200, NULL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, NULL, leaf_pem, 0, 0},
    };
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    ck_assert_msg(rc == AFZ_OK, "%s", out.reason);
    ck_assert_uint_eq(count_posts(&f, FIN_URL), 1);
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

#define NEW_ORDER_PENDING                                                                          \
    {                                                                                              \
        201, "Location: " ORDER_URL, ORDER("pending", ""), 0, 0                                    \
    }
#define RATE_LIMITED                                                                               \
    {                                                                                              \
        429, "Retry-After: 1", PROBLEM("rateLimited", "slow down"), 0, 0                           \
    }

static const struct {
    const char *name;
    step tail[4]; /* the answers from newOrder on */
    size_t n_tail;
    afz_rc rc;
    const char *reason_part;
} failures[] = {
    {"order invalid",
     {{201, "Location: " ORDER_URL,
       "{\"status\":\"invalid\",\"error\":" PROBLEM("caa", "CAA forbids") "}", 0, 0}},
     1,
     AFZ_EPROTO,
     "caa: CAA forbids"},
    {"unknown order status",
     {{201, "Location: " ORDER_URL, "{\"status\":\"almost\"}", 0, 0}},
     1,
     AFZ_EPROTO,
     "unknown status"},
    {"valid without certificate",
     {{201, "Location: " ORDER_URL, ORDER("valid", ""), 0, 0}},
     1,
     AFZ_EPROTO,
     "no certificate URL"},
    {"authorization invalid",
     {NEW_ORDER_PENDING,
      {200, NULL,
       "{\"status\":\"invalid\",\"identifier\":{\"value\":\"example.com\"},\"challenges\":[{"
       "\"type\":\"http-01\",\"url\":\"https://ca.test/c\",\"status\":\"invalid\",\"token\":"
       "\"t\",\"error\":" PROBLEM("connection", "refused") "}]}",
       0, 0}},
     2,
     AFZ_EPROTO,
     "connection: refused"},
    {"rate limited for good",
     {RATE_LIMITED, RATE_LIMITED, RATE_LIMITED, RATE_LIMITED},
     4,
     AFZ_EPROTO,
     "rateLimited: slow down"},
    {"malformed",
     {{400, NULL, PROBLEM("malformed", "bad"), 0, 0}},
     1,
     AFZ_EPROTO,
     "HTTP 400 malformed: bad"},
    {"no supported challenge",
     {NEW_ORDER_PENDING,
      {200, NULL,
       "{\"status\":\"pending\",\"identifier\":{\"value\":\"example.com\"},\"challenges\":[{"
       "\"type\":\"x-magic-01\",\"url\":\"https://ca.test/c\",\"status\":\"pending\"}]}",
       0, 0}},
     2,
     AFZ_EPROTO,
     "no supported challenge for example.com"},
};

START_TEST(test_reference_flow_fails_cleanly)
{
    step steps[8] = {
        {200, NULL, DIR_BODY, 0, 1},
        {200, NULL, NULL, 0, 0},
        {201, "Location: https://ca.test/acct/1", "{}", 0, 0},
    };
    size_t n = 3;
    for (size_t k = 0; k < failures[_i].n_tail; k++)
        steps[n++] = failures[_i].tail[k];
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, n, NULL, IDS_ONE, 1, &out);
    ck_assert_int_eq(rc, failures[_i].rc);
    ck_assert_msg(strstr(out.reason, failures[_i].reason_part), "%s: %s", failures[_i].name,
                  out.reason);
    ck_assert_ptr_null(out.cert_pem);
    ck_assert_uint_eq(f.n_req, n); /* it stopped: no request past the script */
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_flow_rejects_private_key_in_chain)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    afz_buf_printf(&b, "%s%s", leaf_pem, key_pem);
    step steps[] = {
        {200, NULL, DIR_BODY, 0, 1},
        {200, NULL, NULL, 0, 0},
        {201, "Location: https://ca.test/acct/1", "{}", 0, 0},
        {201, "Location: " ORDER_URL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, NULL, afz_buf_cstr(&b), 0, 0},
    };
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    ck_assert_int_eq(rc, AFZ_EPROTO);
    ck_assert_ptr_nonnull(strstr(out.reason, "PRIVATE KEY"));
    ck_assert_ptr_null(out.cert_pem);
    fake_cleanup(&f);
    afz_buf_cleanup(&b);
}
END_TEST

START_TEST(test_reference_flow_stops_on_budget)
{
    /* the environment's budget runs out during polling: the client stops
     * at once and makes no further call */
    step steps[] = {
        PROLOGUE,
        AUTHZ_DONE,
        {200, NULL, ORDER("ready", ""), 0, 0},
        {200, NULL, ORDER("processing", ""), 0, 0},
        {200, NULL, ORDER("processing", ""), 0, 0},
    };
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    ck_assert_int_eq(rc, AFZ_EBUDGET);
    ck_assert_str_eq(out.reason, "budget exhausted");
    ck_assert_uint_eq(f.calls_after_budget, 0);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_flow_polls_are_bounded)
{
    step steps[40] = {PROLOGUE, AUTHZ_DONE};
    size_t n = 7;
    steps[n++] = (step){200, NULL, ORDER("ready", ""), 0, 0};
    while (n < 40)
        steps[n++] = (step){200, NULL, ORDER("processing", ""), 0, 0};
    afz_reference_config cfg = {.max_polls = 5};
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, n, &cfg, IDS_ONE, 1, &out);
    ck_assert_int_eq(rc, AFZ_EFAIL);
    ck_assert_ptr_nonnull(strstr(out.reason, "after 5 polls"));
    ck_assert_uint_eq(count_posts(&f, ORDER_URL), 5); /* 1 before finalize, 4 after */
    /* back-off grows: 1 s (authz), then 1, 2, 4, 8 s for the order */
    ck_assert_int_eq(f.sleeps[f.n_sleeps - 1], 8000);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_flow_rate_limit_waits_and_resigns)
{
    step steps[] = {
        {200, NULL, DIR_BODY, 0, 1},
        {200, NULL, NULL, 0, 0},
        {201, "Location: https://ca.test/acct/1", "{}", 0, 0},
        {429, "Retry-After: 5", PROBLEM("rateLimited", "too many"), 0, 0},
        {503, NULL, "<html>busy</html>", 0, 0},
        {201, "Location: " ORDER_URL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, NULL, leaf_pem, 0, 0},
    };
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    ck_assert_msg(rc == AFZ_OK, "%s", out.reason);
    ck_assert_uint_eq(f.n_sleeps, 2);
    ck_assert_int_eq(f.sleeps[0], 5000); /* Retry-After */
    ck_assert_int_eq(f.sleeps[1], 2000); /* back-off, second retry */
    afz_jws a, b;
    jws_of(&f, 3, &a);
    jws_of(&f, 4, &b);
    ck_assert_str_ne(a.nonce, b.nonce); /* never the same JWS twice */
    afz_jws_cleanup(&a);
    afz_jws_cleanup(&b);
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_flow_rejects_broken_directory_and_account)
{
    static const char *const dirs[] = {
        "{\"newNonce\":\"https://ca.test/nonce\",\"newAccount\":\"https://ca.test/acct\"}",
        "{\"newNonce\":\"https://ca.test/nonce\",\"newAccount\":17,\"newOrder\":\"x\"}",
        "[]",
        "{\"newNonce\":\"https://ca.test/nonce\",",
    };
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        step steps[] = {{200, NULL, dirs[i], 0, 1}};
        fake f;
        afz_obtain_result out;
        ck_assert_int_eq(run_script(&f, steps, 1, NULL, IDS_ONE, 1, &out), AFZ_EPROTO);
        ck_assert_ptr_nonnull(strstr(out.reason, "directory"));
        fake_cleanup(&f);
    }
    step no_location[] = {
        {200, NULL, DIR_BODY, 0, 1},
        {200, NULL, NULL, 0, 0},
        {201, NULL, "{}", 0, 0},
    };
    fake f;
    afz_obtain_result out;
    ck_assert_int_eq(run_script(&f, no_location, 3, NULL, IDS_ONE, 1, &out), AFZ_EPROTO);
    ck_assert_ptr_nonnull(strstr(out.reason, "Location"));
    fake_cleanup(&f);
    step two_locations[] = {
        {200, NULL, DIR_BODY, 0, 1},
        {200, NULL, NULL, 0, 0},
        {201, "Location: https://ca.test/acct/1", "{}", 0, 0},
        {201, "Location: https://ca.test/o/1\nLocation: https://ca.test/o/2", ORDER("ready", ""), 0,
         0},
    };
    ck_assert_int_eq(run_script(&f, two_locations, 4, NULL, IDS_ONE, 1, &out), AFZ_EPROTO);
    ck_assert_ptr_nonnull(strstr(out.reason, "newOrder"));
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_flow_wildcard_uses_dns01)
{
    const char *const ids[] = {"*.example.com"};
    step steps[] = {
        {200, NULL, DIR_BODY, 0, 1},
        {200, NULL, NULL, 0, 0},
        {201, "Location: https://ca.test/acct/1", "{}", 0, 0},
        {201, "Location: " ORDER_URL,
         "{\"status\":\"pending\",\"identifiers\":[{\"type\":\"dns\",\"value\":\"*.example.com\"}],"
         "\"authorizations\":[\"" AUTHZ_URL "\"],\"finalize\":\"" FIN_URL "\"}",
         0, 0},
        {200, NULL,
         "{\"status\":\"pending\",\"wildcard\":true,\"identifier\":{\"type\":\"dns\",\"value\":"
         "\"example.com\"},\"challenges\":[{\"type\":\"http-01\",\"url\":\"https://ca.test/h\","
         "\"status\":\"pending\",\"token\":\"a\"},{\"type\":\"dns-01\",\"url\":\"https://ca.test/"
         "d\",\"status\":\"pending\",\"token\":\"b\"}]}",
         0, 0},
        {200, NULL, "{\"status\":\"valid\"}", 0, 0},
        {200, NULL, "{\"status\":\"valid\"}", 0, 0},
    };
    fake f;
    afz_obtain_result out;
    run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, ids, 1, &out);
    assert_payload(&f, 5, "https://ca.test/d", "{}");
    /* a challenge answered "valid" needs no wait before the next poll */
    ck_assert_uint_eq(f.n_sleeps, 0);
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_flow_reused_valid_authz_is_not_answered)
{
    step steps[] = {
        PROLOGUE,
        {200, NULL,
         "{\"status\":\"valid\",\"identifier\":{\"value\":\"example.com\"},\"challenges\":[{"
         "\"type\":\"http-01\",\"url\":\"https://ca.test/chall/http\",\"status\":\"valid\","
         "\"token\":\"t\"}]}",
         0, 0},
        {200, NULL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, NULL, leaf_pem, 0, 0},
    };
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    ck_assert_msg(rc == AFZ_OK, "%s", out.reason);
    ck_assert_uint_eq(count_posts(&f, "https://ca.test/chall/http"), 0);
    ck_assert_uint_eq(count_posts(&f, FIN_URL), 0);
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_flow_quirks_change_one_thing)
{
    step steps[] = {
        PROLOGUE,
        AUTHZ_DONE,
        {200, NULL, ORDER("ready", ""), 0, 0},
        {200, "Retry-After: 3", ORDER("processing", ""), 0, 0},
        {200, NULL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, NULL, leaf_pem, 0, 0},
    };
    size_t n = sizeof(steps) / sizeof(steps[0]);
    fake f;
    afz_obtain_result out;

    afz_reference_config braces = {.quirks = AFZ_REF_QUIRK_POST_AS_GET_BRACES};
    ck_assert_int_eq(run_script(&f, steps, n, &braces, IDS_ONE, 1, &out), AFZ_OK);
    assert_payload(&f, 4, AUTHZ_URL, "{}");
    free(out.cert_pem);
    fake_cleanup(&f);

    afz_reference_config ignore = {.quirks = AFZ_REF_QUIRK_IGNORE_RETRY_AFTER};
    ck_assert_int_eq(run_script(&f, steps, n, &ignore, IDS_ONE, 1, &out), AFZ_OK);
    ck_assert_int_eq(f.sleeps[1], 1000); /* back-off instead of 3 s */
    free(out.cert_pem);
    fake_cleanup(&f);

    afz_reference_config empty = {.quirks = AFZ_REF_QUIRK_CHALLENGE_EMPTY_PAYLOAD};
    ck_assert_int_eq(run_script(&f, steps, n, &empty, IDS_ONE, 1, &out), AFZ_OK);
    assert_payload(&f, 5, "https://ca.test/chall/http", "");
    free(out.cert_pem);
    fake_cleanup(&f);

    afz_reference_config refin = {.quirks = AFZ_REF_QUIRK_REFINALIZE_ON_PROCESSING};
    run_script(&f, steps, n, &refin, IDS_ONE, 1, &out);
    ck_assert_uint_eq(count_posts(&f, FIN_URL), 2);
    free(out.cert_pem);
    fake_cleanup(&f);

    afz_reference_config from_fin = {.quirks = AFZ_REF_QUIRK_CERT_FROM_FINALIZE};
    ck_assert_int_eq(run_script(&f, steps, n, &from_fin, IDS_ONE, 1, &out), AFZ_EPROTO);
    ck_assert_ptr_nonnull(strstr(out.reason, "no certificate URL"));
    fake_cleanup(&f);

    afz_reference_config ua = {.user_agent = "zoo/1"};
    ck_assert_int_eq(run_script(&f, steps, n, &ua, IDS_ONE, 1, &out), AFZ_OK);
    ck_assert_str_eq(afz_headers_get(&f.req[0].headers, "User-Agent"), "zoo/1");
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

/* test_reference_survives_random_answers: whatever the server answers
 * (statuses, headers, bodies drawn from pools of legal, degraded and
 * malformed pieces), the client returns, within its request limit, never
 * waits a negative or over-limit time, and holds a certificate exactly when
 * it succeeds. Run under ASan this also shows no leaks and no bad reads. */
static const char *const body_pool[] = {
    DIR_BODY,
    ORDER("pending", ""),
    ORDER("ready", ""),
    ORDER("processing", ""),
    ORDER("valid", CERT_FIELD),
    ORDER("valid", ""),
    ORDER("invalid", ""),
    "{\"status\":\"frozen\"}",
    AUTHZ("pending"),
    AUTHZ("valid"),
    AUTHZ("invalid"),
    "{\"status\":\"processing\",\"type\":\"http-01\"}",
    "{\"status\":\"valid\"}",
    PROBLEM("badNonce", "stale"),
    PROBLEM("rateLimited", "slow"),
    PROBLEM("orderNotReady", "not yet"),
    PROBLEM("serverInternal", "oops"),
    PROBLEM("malformed", "no"),
    "{\"status\":",
    "[]",
    "null",
    "",
    "{\"status\":[\"valid\"],\"authorizations\":{},\"finalize\":1}",
    NULL, /* leaf_pem */
};
static const int status_pool[] = {200, 200, 200, 201, 201, 400, 403, 429, 500, 503, 0, 302, 999};
static const char *const header_pool[] = {
    "Location: " ORDER_URL,
    "Location: " ORDER_URL,
    "Location: https://ca.test/acct/1",
    "Location: not a url",
    "Location: " ORDER_URL "\nLocation: " AUTHZ_URL,
    "Retry-After: 0",
    "Retry-After: 2",
    "Retry-After: 9223372036854775808",
    "Retry-After: -5",
    "Retry-After: Thu, 01 Jan 2026 00:00:30 GMT",
    "Retry-After: Thu, 01 Jan 2037 00:00:30 GMT",
    "Retry-After: 1\nRetry-After: 2",
    "Retry-After: banana",
    "Replay-Nonce: not valid!",
    "Replay-Nonce: ",
    "Replay-Nonce: a\nReplay-Nonce: b",
    "Content-Type: application/problem+json",
};

static afz_prng chaos;

/* chaos_answer plays a correct asynchronous CA, and replaces a fifth of its
 * answers' statuses, headers or bodies with pieces from the pools. */
static step chaos_answer(fake *f, const afz_request *req)
{
    step st = {200, NULL, NULL, 0, 0};
    const char *u = req->url;
    if (strstr(u, "/dir")) {
        st.body = DIR_BODY;
    } else if (strstr(u, "/nonce")) {
        st.body = NULL;
    } else if (strstr(u, "/acct")) {
        st = (step){201, "Location: https://ca.test/acct/1", "{}", 0, 0};
    } else if (strstr(u, "/new-order")) {
        st = (step){201, "Location: " ORDER_URL, ORDER("pending", ""), 0, 0};
    } else if (strstr(u, "/authz/")) {
        st.body = f->challenge_posted ? AUTHZ("valid") : AUTHZ("pending");
    } else if (strstr(u, "/chall/")) {
        f->challenge_posted = 1;
        st.body = "{\"type\":\"http-01\",\"status\":\"processing\"}";
    } else if (strstr(u, "/finalize/")) {
        f->finalized = 1;
        st = (step){200, "Retry-After: 1", ORDER("processing", ""), 0, 0};
    } else if (strstr(u, "/order/")) {
        if (!f->finalized)
            st.body = f->challenge_posted ? ORDER("ready", "") : ORDER("pending", "");
        else
            st.body =
                f->polls_after_finalize++ ? ORDER("valid", CERT_FIELD) : ORDER("processing", "");
    } else if (strstr(u, "/cert/")) {
        st.body = leaf_pem;
    }
    switch (afz_prng_below(&chaos, 25)) {
    case 0:
        st.transport_error = 1;
        break;
    case 1:
        st.no_nonce = 1;
        break;
    case 2:
        st.status = status_pool[afz_prng_below(&chaos, sizeof(status_pool) / sizeof(int))];
        break;
    case 3:
    case 4: {
        size_t b = (size_t)afz_prng_below(&chaos, sizeof(body_pool) / sizeof(body_pool[0]));
        st.body = body_pool[b] ? body_pool[b] : leaf_pem;
        break;
    }
    case 5:
    case 6:
        st.headers =
            header_pool[afz_prng_below(&chaos, sizeof(header_pool) / sizeof(header_pool[0]))];
        break;
    default:
        break;
    }
    return st;
}

START_TEST(test_reference_survives_random_answers)
{
    afz_prng_seed(&chaos, 0x5eed0000u + (uint64_t)_i);
    step budget[60]; /* only the count matters: chaos_answer makes each answer */
    memset(budget, 0, sizeof(budget));
    afz_reference_config cfg = {.max_requests = 50, .max_polls = 6};
    fake f;
    afz_obtain_result out;
    /* every other run has a state store, half of those with an order
     * saved: resuming must survive the same chaos */
    store_reset(_i % 2, _i % 4 == 1 ? SAVED_FINALIZED : NULL);
    script_answer = chaos_answer;
    afz_rc rc = run_script(&f, budget, 60, &cfg, IDS_ONE, 1, &out);
    script_answer = NULL;
    int stored = store.has;
    store_reset(0, NULL);
    if (rc == AFZ_OK)
        ck_assert_int_eq(stored, 0); /* success forgets the order */
    ck_assert_uint_le(f.n_req, 50);
    ck_assert_uint_eq(f.calls_after_budget, 0);
    ck_assert_uint_le(count_posts(&f, FIN_URL), 3);
    for (size_t k = 0; k < f.n_sleeps; k++) {
        ck_assert_int_ge(f.sleeps[k], 0);
        ck_assert_int_le(f.sleeps[k], 3600000);
    }
    if (rc == AFZ_OK) {
        ck_assert_ptr_nonnull(out.cert_pem);
        ck_assert_str_eq(out.reason, "");
    } else {
        ck_assert_ptr_null(out.cert_pem);
        ck_assert_str_ne(out.reason, "");
        ck_assert_ptr_null(memchr(out.reason, '\n', strlen(out.reason)));
    }
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_rejects_bad_params)
{
    afz_obtain_result out;
    afz_env env = {.abi_version = AFZ_CLIENT_ABI_VERSION, .struct_size = sizeof(afz_env)};
    afz_obtain_params p = {.struct_size = sizeof(p)};
    ck_assert_int_eq(afz_reference_obtain(&afz_client_reference, &env, &p, &out), AFZ_EINVAL);
    ck_assert_str_ne(out.reason, "");
    ck_assert_int_eq(afz_reference_obtain(&afz_client_reference, NULL, NULL, &out), AFZ_EINVAL);
    ck_assert_int_eq(afz_reference_obtain(&afz_client_reference, &env, &p, NULL), AFZ_EINVAL);
}
END_TEST

/* ---- state: resuming the saved order (campaign mode) -------------------- */

START_TEST(test_reference_state_text_round_trips)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_ref_state_encode(ORDER_URL, 0, &b), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&b), "url=" ORDER_URL "\n");
    afz_buf_reset(&b);
    ck_assert_int_eq(afz_ref_state_encode(ORDER_URL, 1, &b), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&b), "url=" ORDER_URL "\nfinalized=1\n");
    char *url = NULL;
    int fin = 0;
    ck_assert_int_eq(afz_ref_state_decode(afz_buf_cstr(&b), &url, &fin), AFZ_OK);
    ck_assert_str_eq(url, ORDER_URL);
    ck_assert_int_eq(fin, 1);
    free(url);
    /* unknown lines are ignored, the order does not matter */
    ck_assert_int_eq(afz_ref_state_decode("x=1\nfinalized=1\nurl=" ORDER_URL, &url, &fin), AFZ_OK);
    ck_assert_str_eq(url, ORDER_URL);
    ck_assert_int_eq(fin, 1);
    free(url);
    static const char *const bad[] = {"",
                                      "finalized=1\n",
                                      "url=\n",
                                      "url=/order/1\n",
                                      "url=https://ca.test/a b\n",
                                      "URL=" ORDER_URL "\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(afz_ref_state_decode(bad[i], &url, &fin) == AFZ_EPARSE, "%s", bad[i]);
        ck_assert_ptr_null(url);
        ck_assert_int_eq(fin, 0);
    }
    afz_buf_cleanup(&b);
}
END_TEST

START_TEST(test_reference_state_key_is_the_name_set)
{
    afz_buf a, b;
    afz_buf_init(&a, 0);
    afz_buf_init(&b, 0);
    const char *const one[] = {"www.Example.com", "example.com", "EXAMPLE.com"};
    const char *const two[] = {"example.com", "www.example.com"};
    ck_assert_int_eq(afz_ref_state_key_build(one, 3, &a), AFZ_OK);
    ck_assert_int_eq(afz_ref_state_key_build(two, 2, &b), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&a), "order:example.com,www.example.com");
    ck_assert_str_eq(afz_buf_cstr(&a), afz_buf_cstr(&b));
    /* 100 long names: hashed, far under the store's 4 KiB */
    static char names[100][64];
    const char *many[100];
    for (int i = 0; i < 100; i++) {
        snprintf(names[i], sizeof(names[i]), "host-%03d.a-rather-long-subdomain.example.com", i);
        many[i] = names[i];
    }
    afz_buf_reset(&a);
    ck_assert_int_eq(afz_ref_state_key_build(many, 100, &a), AFZ_OK);
    ck_assert_uint_eq(a.len, strlen("order:sha256:") + 64);
    ck_assert_int_eq(strncmp(afz_buf_cstr(&a), "order:sha256:", 13), 0);
    afz_buf_cleanup(&a);
    afz_buf_cleanup(&b);
}
END_TEST

static void state_teardown(void)
{
    store_reset(0, NULL);
}

/* directory, nonce, account: what every obtain starts with */
#define RESUME_PROLOGUE                                                                            \
    {200, "Content-Type: application/json", DIR_BODY, 0, 1}, {200, NULL, NULL, 0, 0},              \
    {                                                                                              \
        201, "Location: https://ca.test/acct/1", "{\"status\":\"valid\"}", 0, 0                    \
    }

START_TEST(test_reference_state_saved_then_forgotten)
{
    /* saved right after newOrder, marked at the accepted finalize,
     * deleted once the certificate is in hand */
    store_reset(1, NULL);
    step steps[] = {
        PROLOGUE,
        AUTHZ_DONE,
        {200, NULL, ORDER("ready", ""), 0, 0},
        {200, "Retry-After: 3", ORDER("processing", ""), 0, 0},
        {200, NULL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, NULL, leaf_pem, 0, 0},
    };
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    ck_assert_msg(rc == AFZ_OK, "%s", out.reason);
    ck_assert_uint_eq(store.n_puts, 3);
    ck_assert_str_eq(store.puts[0], SAVED_PENDING);
    ck_assert_str_eq(store.puts[1], SAVED_FINALIZED);
    ck_assert_str_eq(store.puts[2], "");
    ck_assert_str_eq(store.key, "order:example.com");
    ck_assert_int_eq(store.has, 0);
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_state_kept_after_failure)
{
    /* a broken download fails the obtain; the order stays saved */
    store_reset(1, NULL);
    step steps[] = {
        PROLOGUE,
        AUTHZ_DONE,
        {200, NULL, ORDER("ready", ""), 0, 0},
        {200, NULL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, NULL, "junk", 0, 0},
    };
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    ck_assert_int_eq(rc, AFZ_EPROTO);
    ck_assert_int_eq(store.has, 1);
    ck_assert_str_eq(store.value, SAVED_FINALIZED);
    fake_cleanup(&f);
}
END_TEST

/* What a resumed obtain sends after the prologue, per saved status. */
START_TEST(test_reference_state_resumes_valid_order)
{
    store_reset(1, SAVED_FINALIZED);
    step steps[] = {
        RESUME_PROLOGUE,
        {200, NULL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, NULL, leaf_pem, 0, 0},
    };
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    ck_assert_msg(rc == AFZ_OK, "%s", out.reason);
    ck_assert_uint_eq(f.n_req, 5);
    assert_payload(&f, 3, ORDER_URL, "");
    assert_payload(&f, 4, CERT_URL, "");
    ck_assert_uint_eq(count_posts(&f, "https://ca.test/new-order"), 0);
    ck_assert_int_eq(store.has, 0);
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_state_resumes_processing_order)
{
    store_reset(1, SAVED_FINALIZED);
    step steps[] = {
        RESUME_PROLOGUE,
        {200, "Retry-After: 2", ORDER("processing", ""), 0, 0},
        {200, NULL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, NULL, leaf_pem, 0, 0},
    };
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    ck_assert_msg(rc == AFZ_OK, "%s", out.reason);
    ck_assert_uint_eq(f.n_req, 6);
    assert_payload(&f, 4, ORDER_URL, "");
    ck_assert_uint_eq(f.n_sleeps, 1);
    ck_assert_int_eq(f.sleeps[0], 2000);
    ck_assert_uint_eq(count_posts(&f, FIN_URL), 0);
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_state_resumes_ready_order)
{
    /* _i == 0: no finalize accepted before: finalize now.
     * _i == 1: one was accepted: a "ready" is a stale read; poll. */
    store_reset(1, _i ? SAVED_FINALIZED : SAVED_PENDING);
    step finalize_now[] = {
        RESUME_PROLOGUE,
        {200, NULL, ORDER("ready", ""), 0, 0},
        {200, NULL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, NULL, leaf_pem, 0, 0},
    };
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, finalize_now, 6, NULL, IDS_ONE, 1, &out);
    ck_assert_msg(rc == AFZ_OK, "%s", out.reason);
    ck_assert_uint_eq(count_posts(&f, FIN_URL), _i ? 0 : 1);
    if (_i)
        assert_payload(&f, 4, ORDER_URL, "");
    else
        assert_request(&f, 4, "POST", FIN_URL);
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_state_resumes_pending_order)
{
    store_reset(1, SAVED_PENDING);
    step steps[] = {
        RESUME_PROLOGUE,
        {200, NULL, ORDER("pending", ""), 0, 0},
        AUTHZ_DONE,
        {200, NULL, ORDER("ready", ""), 0, 0},
        {200, NULL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, NULL, leaf_pem, 0, 0},
    };
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    ck_assert_msg(rc == AFZ_OK, "%s", out.reason);
    assert_payload(&f, 4, AUTHZ_URL, "");
    assert_payload(&f, 5, "https://ca.test/chall/http", "{}");
    ck_assert_uint_eq(count_posts(&f, "https://ca.test/new-order"), 0);
    ck_assert_uint_eq(count_posts(&f, FIN_URL), 1);
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

static const struct {
    const char *saved;
    step answer; /* to the POST-as-GET of the saved order */
} forgotten[] = {
    {SAVED_FINALIZED, {200, NULL, ORDER("invalid", ""), 0, 0}},
    {SAVED_FINALIZED, {404, NULL, PROBLEM("malformed", "No order for ID 1"), 0, 0}},
    {SAVED_PENDING, {403, NULL, PROBLEM("unauthorized", "Account does not own this order"), 0, 0}},
    {SAVED_PENDING,
     {200, NULL,
      "{\"status\":\"valid\",\"identifiers\":[{\"type\":\"dns\",\"value\":\"other.org\"}]}", 0, 0}},
};

START_TEST(test_reference_state_forgets_dead_order)
{
    /* invalid, gone, not ours, unreadable, or another order: order anew */
    store_reset(1, forgotten[_i].saved);
    step steps[] = {
        RESUME_PROLOGUE,
        forgotten[_i].answer,
        {201, "Location: https://ca.test/order/2", ORDER("ready", ""), 0, 0},
        {200, NULL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, NULL, leaf_pem, 0, 0},
    };
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    ck_assert_msg(rc == AFZ_OK, "case %d: %s", _i, out.reason);
    assert_payload(&f, 3, ORDER_URL, "");
    assert_request(&f, 4, "POST", "https://ca.test/new-order");
    ck_assert_str_eq(out.reason, "");
    /* forgotten, then the new order saved, marked, and forgotten again */
    ck_assert_uint_eq(store.n_puts, 4);
    ck_assert_str_eq(store.puts[0], "");
    ck_assert_str_eq(store.puts[1], "url=https://ca.test/order/2\n");
    ck_assert_int_eq(store.has, 0);
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_state_kept_when_server_cannot_answer)
{
    /* 503 until the retries run out, or no answer at all: the saved order
     * may still be good, so fail this attempt without a new order */
    store_reset(1, SAVED_FINALIZED);
    step busy = {503, "Retry-After: 1", PROBLEM("serverInternal", "busy"), 0, 0};
    step lost = {0, NULL, NULL, 1, 0};
    step nonce = {200, NULL, NULL, 0, 0}; /* a lost answer took the nonce along */
    step unavailable[] = {RESUME_PROLOGUE, busy, busy, busy, busy};
    step no_answer[] = {RESUME_PROLOGUE, lost, nonce, lost, nonce, lost, nonce, lost};
    const step *steps = _i ? no_answer : unavailable;
    size_t n = _i ? sizeof(no_answer) / sizeof(step) : sizeof(unavailable) / sizeof(step);
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, n, NULL, IDS_ONE, 1, &out);
    ck_assert_int_eq(rc, (_i ? AFZ_ETRANSPORT : AFZ_EPROTO));
    ck_assert_uint_eq(f.n_req, n);
    ck_assert_uint_eq(count_posts(&f, "https://ca.test/new-order"), 0);
    ck_assert_int_eq(store.has, 1);
    ck_assert_str_eq(store.value, SAVED_FINALIZED);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_state_kept_when_order_unreadable)
{
    /* A 2xx whose order the client cannot read is no evidence that the
     * order is gone; after an accepted finalize it may well be valid, and
     * ordering anew would issue a second certificate. Keep it and fail. */
    store_reset(1, SAVED_FINALIZED);
    step steps[] = {
        RESUME_PROLOGUE,
        {200, NULL, "{\"status\":\"bogus\"}", 0, 0},
    };
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    ck_assert_int_eq(rc, AFZ_EPROTO);
    ck_assert_uint_eq(count_posts(&f, "https://ca.test/new-order"), 0);
    ck_assert_int_eq(store.has, 1);
    ck_assert_str_eq(store.value, SAVED_FINALIZED);
    fake_cleanup(&f);
}
END_TEST

static const step finalized_refusals[] = {
    {403, NULL, PROBLEM("userActionRequired", "the terms of service have changed"), 0, 0},
    {401, NULL, PROBLEM("unauthorized", "not now"), 0, 0},
    {400, NULL, PROBLEM("malformed", "try later"), 0, 0},
    /* another order's identifiers, or ours garbled (fuzzing: "type": null) */
    {200, NULL,
     "{\"status\":\"valid\",\"identifiers\":[{\"type\":\"dns\",\"value\":\"other.org\"}]}", 0, 0},
    {200, NULL,
     "{\"status\":\"valid\",\"identifiers\":[{\"type\":null,\"value\":\"example.com\"}]}", 0, 0},
};

START_TEST(test_reference_state_finalized_kept_on_4xx)
{
    /* Found by fuzzing: a finalized order the server refuses to show (any
     * 4xx but 404) or shows with identifiers not ours may be valid with a
     * certificate; ordering anew could
     * orphan it (no-orphan-issuance). Keep it and fail. A pending order
     * answering the same is forgotten (test_reference_state_forgets_dead_order). */
    store_reset(1, SAVED_FINALIZED);
    step steps[] = {RESUME_PROLOGUE, finalized_refusals[_i]};
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    ck_assert_int_ne(rc, AFZ_OK);
    ck_assert_uint_eq(f.n_req, sizeof(steps) / sizeof(steps[0]));
    ck_assert_uint_eq(count_posts(&f, "https://ca.test/new-order"), 0);
    ck_assert_ptr_nonnull(strstr(out.reason, "kept, not ordering anew"));
    ck_assert_int_eq(store.has, 1);
    ck_assert_str_eq(store.value, SAVED_FINALIZED);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_state_unreadable_value_is_forgotten)
{
    store_reset(1, "garbage");
    step steps[] = {
        RESUME_PROLOGUE,
        {201, "Location: " ORDER_URL, ORDER("ready", ""), 0, 0},
        {200, NULL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, NULL, leaf_pem, 0, 0},
    };
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), NULL, IDS_ONE, 1, &out);
    ck_assert_msg(rc == AFZ_OK, "%s", out.reason);
    assert_request(&f, 3, "POST", "https://ca.test/new-order");
    ck_assert_str_eq(store.puts[0], "");
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

START_TEST(test_reference_state_ignored_by_quirk_and_old_envs)
{
    /* AFZ_REF_QUIRK_IGNORE_STATE, and an env too small to have a store:
     * neither read nor written */
    step steps[] = {
        RESUME_PROLOGUE,
        {201, "Location: " ORDER_URL, ORDER("valid", CERT_FIELD), 0, 0},
        {200, NULL, leaf_pem, 0, 0},
    };
    afz_reference_config quirk = {.quirks = AFZ_REF_QUIRK_IGNORE_STATE};
    store_reset(1, SAVED_FINALIZED);
    fake f;
    afz_obtain_result out;
    afz_rc rc = run_script(&f, steps, sizeof(steps) / sizeof(steps[0]), &quirk, IDS_ONE, 1, &out);
    ck_assert_msg(rc == AFZ_OK, "%s", out.reason);
    assert_request(&f, 3, "POST", "https://ca.test/new-order");
    ck_assert_uint_eq(store.n_puts, 0);
    ck_assert_int_eq(store.has, 1);
    free(out.cert_pem);
    fake_cleanup(&f);

    /* an afz_env of ABI 1 before the store: struct_size ends at log */
    store_reset(1, SAVED_FINALIZED);
    memset(&f, 0, sizeof(f));
    f.steps = steps;
    f.n_steps = sizeof(steps) / sizeof(steps[0]);
    f.now = NOW;
    afz_env env = {
        .abi_version = AFZ_CLIENT_ABI_VERSION,
        .struct_size = (uint32_t)(offsetof(afz_env, log) + sizeof(env.log)),
        .ctx = &f,
        .http = fake_http,
        .sleep = fake_sleep,
        .now = fake_now,
        .random = fake_random,
        .log = fake_log,
        .state_get = store_get, /* beyond struct_size: must not be read */
        .state_put = store_put,
    };
    afz_obtain_params p = {
        .struct_size = sizeof(p),
        .directory_url = "https://ca.test/dir",
        .identifiers = IDS_ONE,
        .n_identifiers = 1,
        .account_key = other_key,
        .cert_key = cert_key,
    };
    rc = afz_client_reference.obtain(&afz_client_reference, &env, &p, &out);
    ck_assert_msg(rc == AFZ_OK, "%s", out.reason);
    assert_request(&f, 3, "POST", "https://ca.test/new-order");
    ck_assert_uint_eq(store.n_puts, 0);
    free(out.cert_pem);
    fake_cleanup(&f);
}
END_TEST

/* ---- in-process runs against the server model --------------------------- */

static afz_world world;

static void world_setup(void)
{
    ck_assert_int_eq(afz_world_init(&world), AFZ_OK);
}

static void world_teardown(void)
{
    afz_world_cleanup(&world);
}

START_TEST(test_reference_runs_against_server_model)
{
    static const char *const two[] = {"a.example.com", "b.example.com", "c.example.com"};
    static const char *const wild[] = {"*.example.com", "example.com"};
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    cfg.seed = 100 + (uint64_t)_i;
    switch (_i) {
    case 0: /* three names, slow asynchronous finalize with Retry-After */
        cfg.identifiers = two;
        cfg.n_identifiers = 3;
        cfg.server.async_finalize = 1;
        cfg.server.finalize_polls = 4;
        cfg.server.order_retry_after_s = 2;
        break;
    case 1: /* slow validation with Retry-After on the authorization */
        cfg.server.authz_pending_polls = 3;
        cfg.server.validation_delay_ms = 5000;
        cfg.server.authz_retry_after_s = 4;
        break;
    case 2: /* order ready at creation */
        cfg.server.order_ready_at_creation = 1;
        break;
    case 3: /* wildcard plus its base name */
        cfg.identifiers = wild;
        cfg.n_identifiers = 2;
        cfg.server.async_finalize = 1;
        cfg.server.finalize_delay_ms = 2500;
        break;
    }
    afz_run_result res;
    afz_run_result_init(&res);
    ck_assert_int_eq(afz_run(&world, &afz_client_reference, &cfg, &res), AFZ_OK);
    ck_assert_msg(res.client_rc == AFZ_OK, "case %d: %s", _i, res.reason);
    ck_assert_ptr_nonnull(res.cert_pem);
    ck_assert_int_eq(res.budget_exhausted, 0);
    afz_run_result_cleanup(&res);
}
END_TEST

START_TEST(test_reference_quirk_clients_terminate)
{
    /* every quirk, alone, against a slow asynchronous CA: the run ends
     * within the budget and the client never ignores a spent budget */
    afz_reference_config qc = {.quirks = 1u << _i};
    afz_client zoo = afz_client_reference;
    zoo.name = "quirk";
    zoo.config = &qc;
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    cfg.seed = 7;
    cfg.server.async_finalize = 1;
    cfg.server.finalize_polls = 2;
    cfg.server.order_retry_after_s = 3;
    cfg.server.authz_pending_polls = 1;
    afz_run_result res;
    afz_run_result_init(&res);
    ck_assert_int_eq(afz_run(&world, &zoo, &cfg, &res), AFZ_OK);
    ck_assert_int_eq(res.aborted, 0);
    ck_assert_msg(res.client_rc == AFZ_OK || res.reason[0], "quirk %d", _i);
    afz_run_result_cleanup(&res);
}
END_TEST

static size_t count_events(const afz_history *h, afz_event_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n_ev; i++)
        n += h->ev[i].kind == k;
    return n;
}

/* run_campaign runs the reference client on scenario text |scn|. */
static void run_campaign(const char *scn, afz_run_result *res)
{
    static afz_plan plan; /* the run config borrows it */
    afz_scn_error err;
    memset(&err, 0, sizeof(err));
    ck_assert_msg(afz_scenario_parse(scn, strlen(scn), &plan, &err) == AFZ_OK, "%u:%u: %s",
                  err.line, err.col, err.msg);
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    afz_run_config_apply_plan(&cfg, &plan);
    afz_run_result_init(res);
    ck_assert_int_eq(afz_run(&world, &afz_client_reference, &cfg, res), AFZ_OK);
    ck_assert_int_eq(res->aborted, 0);
    ck_assert_int_eq(res->budget_exhausted, 0);
}

START_TEST(test_reference_campaign_resumes_after_broken_download)
{
    /* The certificate was issued, but its first download is junk: the
     * attempt fails. A scheduler's retry must fetch the same order's
     * certificate, not order (and issue) again. */
    afz_run_result res;
    run_campaign("attempts 3\n"
                 "certificate @1 -> invalid_pem(chain=junk)\n",
                 &res);
    ck_assert_msg(res.client_rc == AFZ_OK, "%s", res.reason);
    ck_assert_ptr_nonnull(res.cert_pem);
    ck_assert_uint_eq(res.attempts, 2);
    ck_assert_uint_eq(count_events(&res.history, AFZ_EV_CERT_ISSUED), 1);
    ck_assert_uint_eq(count_events(&res.history, AFZ_EV_ORDER_CREATED), 1);
    ck_assert_uint_eq(count_events(&res.history, AFZ_EV_FINALIZE_ACCEPTED), 1);
    ck_assert_uint_eq(count_events(&res.history, AFZ_EV_CERT_DOWNLOADED), 2);
    afz_run_result_cleanup(&res);
}
END_TEST

static const struct {
    const char *scn;
    size_t orders; /* ORDER_CREATED events expected */
} campaigns[] = {
    /* the first attempt gives up on a processing order (a wait over an
     * hour); the next polls the same order to "valid" */
    {"attempts 2\n"
     "finalize * -> async_finalize(polls=2, delay=0s, retry_after=none)\n"
     "order @2 -> retry_after_bad(value=day)\n",
     1},
    /* finalize refused (403 userActionRequired): the saved order is
     * still "ready" and is finalized on the next attempt */
    {"attempts 2\n"
     "finalize @1 -> user_action_required()\n",
     1},
    /* ... but when it has expired by then, it is forgotten and a new
     * order made */
    {"attempts 2\n"
     "newOrder * -> order_expires(after=30s)\n"
     "finalize @1 -> user_action_required()\n",
     2},
    /* lost finalize answer, then the scheduler: one issuance */
    {"attempts 3\n"
     "finalize @1 -> drop_connection()\n"
     "order * -> retry_after_bad(value=day)\n",
     1},
};

START_TEST(test_reference_campaign_resumes)
{
    afz_run_result res;
    run_campaign(campaigns[_i].scn, &res);
    ck_assert_msg(res.client_rc == AFZ_OK, "case %d: %s", _i, res.reason);
    ck_assert_uint_eq(count_events(&res.history, AFZ_EV_CERT_ISSUED), 1);
    ck_assert_uint_eq(count_events(&res.history, AFZ_EV_FINALIZE_ACCEPTED), 1);
    ck_assert_uint_eq(count_events(&res.history, AFZ_EV_ORDER_CREATED), campaigns[_i].orders);
    afz_run_result_cleanup(&res);
}
END_TEST

Suite *reference_suite(void)
{
    Suite *s = suite_create("reference");

    TCase *pure = tcase_create("pure");
    tcase_add_test(pure, test_reference_nonce_validity);
    tcase_add_test(pure, test_reference_url_and_token_validity);
    tcase_add_loop_test(pure, test_reference_status_parsing, 0,
                        (int)(sizeof(status_cases) / sizeof(status_cases[0])));
    tcase_add_test(pure, test_reference_order_parsing);
    tcase_add_test(pure, test_reference_authz_parsing_and_choice);
    tcase_add_test(pure, test_reference_problem_reading);
    tcase_add_test(pure, test_reference_backoff_doubles_to_cap);
    tcase_add_loop_test(pure, test_reference_wait_decision, 0,
                        (int)(sizeof(wait_cases) / sizeof(wait_cases[0])));
    tcase_add_test(pure, test_reference_wait_decision_quirks);
    tcase_add_test(pure, test_reference_wait_decision_zoo_quirks);
    tcase_add_test(pure, test_reference_state_text_round_trips);
    tcase_add_test(pure, test_reference_state_key_is_the_name_set);
    suite_add_tcase(s, pure);

    TCase *pem = tcase_create("pem");
    tcase_add_unchecked_fixture(pem, keys_setup, keys_teardown);
    tcase_add_test(pem, test_reference_pem_chain_accepts_certificates);
    tcase_add_test(pem, test_reference_pem_chain_rejects_bad_downloads);
    suite_add_tcase(s, pem);

    TCase *flow = tcase_create("flow");
    tcase_add_unchecked_fixture(flow, keys_setup, keys_teardown);
    tcase_add_test(flow, test_reference_flow_async_finalize);
    tcase_add_test(flow, test_reference_flow_http01_writes_key_authorization);
    tcase_add_test(flow, test_reference_flow_bad_nonce_uses_fresh_nonce);
    tcase_add_test(flow, test_reference_flow_bad_nonce_is_bounded);
    tcase_add_loop_test(flow, test_reference_flow_refuses_huge_waits, 0,
                        (int)(sizeof(huge_waits) / sizeof(huge_waits[0])));
    tcase_add_test(flow, test_reference_flow_order_not_ready_refetches_order);
    tcase_add_loop_test(flow, test_reference_flow_lost_finalize_polls_order, 0, 2);
    tcase_add_test(flow, test_reference_flow_lost_finalize_then_ready_finalizes_again);
    tcase_add_test(flow, test_reference_flow_stale_ready_after_finalize_is_polled);
    tcase_add_loop_test(flow, test_reference_flow_fails_cleanly, 0,
                        (int)(sizeof(failures) / sizeof(failures[0])));
    tcase_add_test(flow, test_reference_flow_rejects_private_key_in_chain);
    tcase_add_test(flow, test_reference_flow_stops_on_budget);
    tcase_add_test(flow, test_reference_flow_polls_are_bounded);
    tcase_add_test(flow, test_reference_flow_rate_limit_waits_and_resigns);
    tcase_add_test(flow, test_reference_flow_rejects_broken_directory_and_account);
    tcase_add_test(flow, test_reference_flow_wildcard_uses_dns01);
    tcase_add_test(flow, test_reference_flow_reused_valid_authz_is_not_answered);
    tcase_add_test(flow, test_reference_flow_quirks_change_one_thing);
    tcase_add_test(flow, test_reference_rejects_bad_params);
    tcase_add_loop_test(flow, test_reference_survives_random_answers, 0, 400);
    suite_add_tcase(s, flow);

    TCase *state = tcase_create("state");
    tcase_add_unchecked_fixture(state, keys_setup, keys_teardown);
    tcase_add_checked_fixture(state, NULL, state_teardown);
    tcase_add_test(state, test_reference_state_saved_then_forgotten);
    tcase_add_test(state, test_reference_state_kept_after_failure);
    tcase_add_test(state, test_reference_state_resumes_valid_order);
    tcase_add_test(state, test_reference_state_resumes_processing_order);
    tcase_add_loop_test(state, test_reference_state_resumes_ready_order, 0, 2);
    tcase_add_test(state, test_reference_state_resumes_pending_order);
    tcase_add_loop_test(state, test_reference_state_forgets_dead_order, 0,
                        (int)(sizeof(forgotten) / sizeof(forgotten[0])));
    tcase_add_loop_test(state, test_reference_state_kept_when_server_cannot_answer, 0, 2);
    tcase_add_test(state, test_reference_state_kept_when_order_unreadable);
    tcase_add_loop_test(state, test_reference_state_finalized_kept_on_4xx, 0,
                        sizeof(finalized_refusals) / sizeof(finalized_refusals[0]));
    tcase_add_test(state, test_reference_state_unreadable_value_is_forgotten);
    tcase_add_test(state, test_reference_state_ignored_by_quirk_and_old_envs);
    suite_add_tcase(s, state);

    TCase *run = tcase_create("run");
    tcase_add_unchecked_fixture(run, world_setup, world_teardown);
    tcase_set_timeout(run, 60);
    tcase_add_loop_test(run, test_reference_runs_against_server_model, 0, 4);
    tcase_add_loop_test(run, test_reference_quirk_clients_terminate, 0, (int)AFZ_REF_QUIRK_COUNT);
    tcase_add_test(run, test_reference_campaign_resumes_after_broken_download);
    tcase_add_loop_test(run, test_reference_campaign_resumes, 0,
                        (int)(sizeof(campaigns) / sizeof(campaigns[0])));
    suite_add_tcase(s, run);
    return s;
}
