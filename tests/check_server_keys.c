/* check_server_keys.c - the key policy of the server model (afz_server.h
 * strict_keys): by default RSA keys from 1024 bits and EC P-521 keys
 * (JWS alg ES512) are accepted for accounts and in CSRs, as Pebble accepts
 * them (so a client project's Pebble-based tests pass unchanged); with
 * strict_keys they get badPublicKey / badSignatureAlgorithm and badCSR, as
 * before the server knew them. RSA 2048 and P-256 pass both. */
#include <string.h>

#include <openssl/evp.h>

#include "afz_b64.h"

#include "afz_jose.h"
#include "server_fixture.h"

static EVP_PKEY *rsa_key(unsigned bits)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    ck_assert_ptr_nonnull(k);
    return k;
}

/* register_with posts newAccount signed by |key|; returns the status. */
static int register_with(t_env *t, EVP_PKEY *key, afz_response *r)
{
    t_post_as(t, U("/new-account"), key, NULL, "{\"termsOfServiceAgreed\":true}", r);
    return r->status;
}

START_TEST(test_server_keys_rsa1024_account)
{
    for (int strict = 0; strict <= 1; strict++) {
        t_env t;
        t_init(&t);
        t.cfg.strict_keys = strict;
        t_start(&t);
        EVP_PKEY *small = rsa_key(1024), *ok = rsa_key(2048), *tiny = rsa_key(768);
        afz_response r;
        if (strict) {
            register_with(&t, small, &r);
            t_assert_problem(&r, 400, "badPublicKey");
        } else {
            ck_assert_int_eq(register_with(&t, small, &r), 201);
        }
        afz_response_cleanup(&r);
        ck_assert_int_eq(register_with(&t, ok, &r), 201);
        afz_response_cleanup(&r);
        /* under 1024 bits: refused either way */
        register_with(&t, tiny, &r);
        t_assert_problem(&r, 400, "badPublicKey");
        afz_response_cleanup(&r);
        EVP_PKEY_free(small);
        EVP_PKEY_free(ok);
        EVP_PKEY_free(tiny);
        t_free(&t);
    }
}
END_TEST

START_TEST(test_server_keys_rsa1024_csr)
{
    static const char *const names[] = {"example.com"};
    for (int strict = 0; strict <= 1; strict++) {
        t_env t;
        t_init(&t);
        t.cfg.strict_keys = strict;
        t_start(&t);
        t_account(&t);
        cJSON *order = t_order(&t, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", NULL);
        t_validate(&t, order);
        EVP_PKEY *small = rsa_key(1024);
        afz_response r;
        t_finalize(&t, order, small, names, 1, &r);
        if (strict)
            t_assert_problem(&r, 400, "badCSR");
        else
            ck_assert_msg(r.status == 200, "%d %s", r.status, (const char *)r.body);
        afz_response_cleanup(&r);
        ck_assert_uint_eq(count_events(&t, AFZ_EV_FINALIZE_ACCEPTED), strict ? 0 : 1);
        EVP_PKEY_free(small);
        cJSON_Delete(order);
        t_free(&t);
    }
}
END_TEST

static EVP_PKEY *p521_key(void)
{
    EVP_PKEY *k = NULL;
    ck_assert_int_eq(afz_key_generate(AFZ_ALG_ES512, &k), AFZ_OK);
    ck_assert_int_eq(afz_jws_alg_for_key(k), AFZ_ALG_ES512);
    return k;
}

/* An ES512-signed newAccount: 201 by default, and the account then works
 * (an order, POST-as-GET with kid); under strict_keys the alg is refused
 * with badSignatureAlgorithm, whose "algorithms" omits ES512 there. */
START_TEST(test_server_keys_es512_account)
{
    for (int strict = 0; strict <= 1; strict++) {
        t_env t;
        t_init(&t);
        t.cfg.strict_keys = strict;
        t_start(&t);
        EVP_PKEY *k = p521_key();
        afz_response r;
        register_with(&t, k, &r);
        if (strict) {
            t_assert_problem(&r, 400, "badSignatureAlgorithm");
            ck_assert_ptr_nonnull(strstr((const char *)r.body, "\"algorithms\":[\"ES256\","
                                                               "\"ES384\",\"RS256\",\"EdDSA\"]"));
            afz_response_cleanup(&r);
            EVP_PKEY_free(k);
            t_free(&t);
            continue;
        }
        ck_assert_msg(r.status == 201, "%d %s", r.status, (const char *)r.body);
        /* the account object echoes the P-521 JWK (66-byte coordinates) */
        cJSON *acct = t_json(&r);
        const cJSON *jwk = cJSON_GetObjectItemCaseSensitive(acct, "key");
        ck_assert_str_eq(afz_json_str(jwk, "crv"), "P-521");
        ck_assert_uint_eq(strlen(afz_json_str(jwk, "x")), 88); /* 66 bytes, base64url */
        cJSON_Delete(acct);
        t.key = k;
        t.kid = afz_strdup(afz_headers_get(&r.headers, "Location"));
        afz_response_cleanup(&r);
        X509 *leaf = NULL;
        EVP_PKEY *cert_key = new_key();
        cJSON *fin = t_issue(&t, "es512.example.com", cert_key, &leaf);
        X509_free(leaf);
        EVP_PKEY_free(cert_key);
        cJSON_Delete(fin);
        t_free(&t);
    }
}
END_TEST

/* A bad ES512 signature: one flipped bit, and an r||s of ES256's width
 * (64 bytes, not RFC 7518 3.4's 132), are refused as Pebble refuses a JWS
 * that does not verify: 400 malformed "JWS verification error"; nothing is
 * created. */
START_TEST(test_server_keys_es512_bad_signature)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    EVP_PKEY *k = p521_key();
    for (int how = 0; how < 2; how++) {
        afz_buf body;
        t_fresh_nonce(&t);
        t_sign(&t, U("/new-account"), k, NULL, NULL, "{\"termsOfServiceAgreed\":true}", &body);
        char *sig = strstr(body.data, "\"signature\":\"");
        ck_assert_ptr_nonnull(sig);
        sig += strlen("\"signature\":\"");
        char *end = strchr(sig, '"');
        ck_assert_uint_eq((size_t)(end - sig), 176); /* 132 bytes */
        if (how == 0) {
            sig[10] = sig[10] == 'A' ? 'B' : 'A';
        } else {
            /* keep the first 64 bytes (86 characters, the last one with
             * only 2 significant bits zeroed) */
            memmove(sig + 86, end, strlen(end) + 1);
            sig[85] = 'A';
        }
        afz_response r;
        t_post_body(&t, U("/new-account"), "application/jose+json", body.data, strlen(body.data),
                    &r);
        t_assert_problem(&r, 400, "malformed");
        char d[200];
        ck_assert_str_eq(problem_detail(&r, d, sizeof d), "JWS verification error");
        afz_response_cleanup(&r);
        afz_buf_cleanup(&body);
    }
    ck_assert_uint_eq(count_events(&t, AFZ_EV_ACCOUNT_CREATED), 0);
    EVP_PKEY_free(k);
    t_free(&t);
}
END_TEST

/* A P-521 CSR key: issued by default (the leaf carries the P-521 key),
 * badCSR under strict_keys. */
START_TEST(test_server_keys_p521_csr)
{
    static const char *const names[] = {"example.com"};
    for (int strict = 0; strict <= 1; strict++) {
        t_env t;
        t_init(&t);
        t.cfg.strict_keys = strict;
        t_start(&t);
        t_account(&t);
        cJSON *order = t_order(&t, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", NULL);
        t_validate(&t, order);
        EVP_PKEY *k = p521_key();
        afz_response r;
        t_finalize(&t, order, k, names, 1, &r);
        if (strict) {
            t_assert_problem(&r, 400, "badCSR");
        } else {
            ck_assert_msg(r.status == 200, "%d %s", r.status, (const char *)r.body);
            cJSON *fin = t_json(&r);
            afz_response cr;
            t_post(&t, afz_json_str(fin, "certificate"), NULL, &cr);
            ck_assert_int_eq(cr.status, 200);
            X509 *leaf = NULL;
            ck_assert_int_ge(parse_chain(&cr, &leaf), 2);
            ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(leaf), k), 1);
            X509_free(leaf);
            afz_response_cleanup(&cr);
            cJSON_Delete(fin);
        }
        afz_response_cleanup(&r);
        ck_assert_uint_eq(count_events(&t, AFZ_EV_FINALIZE_ACCEPTED), strict ? 0 : 1);
        EVP_PKEY_free(k);
        cJSON_Delete(order);
        t_free(&t);
    }
}
END_TEST

Suite *server_keys_suite(void)
{
    Suite *s = suite_create("server_keys");
    TCase *tc = tcase_create("rsa");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_server_keys_rsa1024_account);
    tcase_add_test(tc, test_server_keys_rsa1024_csr);
    tcase_add_test(tc, test_server_keys_es512_account);
    tcase_add_test(tc, test_server_keys_es512_bad_signature);
    tcase_add_test(tc, test_server_keys_p521_csr);
    suite_add_tcase(s, tc);
    return s;
}
