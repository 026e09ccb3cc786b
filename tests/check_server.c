/* check_server.c - the ACME server model, driven directly with requests
 * signed by afz_jws_sign, as a client would send them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "afz_b64.h"
#include "afz_ca.h"
#include "afz_csr.h"
#include "afz_history.h"
#include "afz_jose.h"
#include "afz_json.h"
#include "afz_prng.h"
#include "afz_server.h"
#include "server_fixture.h"

/* ---- directory and nonces ---- */

START_TEST(test_server_directory)
{
    t_env t;
    t_init(&t);
    t.cfg.caa_identity = "acme.test";
    t.cfg.external_account_required = 1;
    t_start(&t);
    ck_assert_str_eq(afz_server_directory_url(t.s), U("/directory"));
    afz_response r;
    t_plain(&t, "GET", U("/directory"), &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(afz_headers_get(&r.headers, "Content-Type"), "application/json");
    cJSON *d = t_json(&r);
    ck_assert_str_eq(afz_json_str(d, "newNonce"), U("/new-nonce"));
    ck_assert_str_eq(afz_json_str(d, "newAccount"), U("/new-account"));
    ck_assert_str_eq(afz_json_str(d, "newOrder"), U("/new-order"));
    ck_assert_str_eq(afz_json_str(d, "revokeCert"), U("/revoke-cert"));
    ck_assert_str_eq(afz_json_str(d, "keyChange"), U("/key-change"));
    const cJSON *meta = afz_json_object(d, "meta");
    ck_assert_ptr_nonnull(afz_json_str(meta, "termsOfService"));
    ck_assert_ptr_nonnull(afz_json_str(meta, "website"));
    ck_assert_str_eq(cJSON_GetArrayItem(afz_json_array(meta, "caaIdentities"), 0)->valuestring,
                     "acme.test");
    int ear = 0;
    ck_assert_int_eq(afz_json_bool(meta, "externalAccountRequired", &ear), 0);
    ck_assert_int_eq(ear, 1);
    cJSON_Delete(d);
    afz_response_cleanup(&r);
    /* The directory is GET only; a POST still gets a nonce. */
    t_plain(&t, "POST", U("/directory"), &r);
    t_assert_problem(&r, 405, "malformed");
    ck_assert_ptr_nonnull(afz_headers_get(&r.headers, "Replay-Nonce"));
    afz_response_cleanup(&r);
    t_free(&t);
}
END_TEST

START_TEST(test_server_nonce_head_get)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    afz_response h, g, p;
    t_plain(&t, "HEAD", U("/new-nonce"), &h);
    t_plain(&t, "GET", U("/new-nonce"), &g);
    ck_assert_int_eq(h.status, 200);
    ck_assert_int_eq(g.status, 204);
    const afz_response *both[] = {&h, &g};
    for (int i = 0; i < 2; i++) {
        const char *n = afz_headers_get(&both[i]->headers, "Replay-Nonce");
        ck_assert_ptr_nonnull(n);
        ck_assert_uint_eq(strlen(n), 22);
        ck_assert_str_eq(afz_headers_get(&both[i]->headers, "Cache-Control"), "no-store");
        char link[128];
        snprintf(link, sizeof(link), "<%s>;rel=\"index\"", U("/directory"));
        ck_assert_str_eq(afz_headers_get(&both[i]->headers, "Link"), link);
        ck_assert_uint_eq(both[i]->body_len, 0);
    }
    ck_assert_str_ne(afz_headers_get(&h.headers, "Replay-Nonce"),
                     afz_headers_get(&g.headers, "Replay-Nonce"));
    t_plain(&t, "PUT", U("/new-nonce"), &p);
    t_assert_problem(&p, 405, "malformed");
    afz_response_cleanup(&h);
    afz_response_cleanup(&g);
    afz_response_cleanup(&p);
    t_free(&t);
}
END_TEST

/* badNonce: 0 reused, 1 never issued, 2 expired. */
START_TEST(test_server_bad_nonce)
{
    t_env t;
    t_init(&t);
    t.cfg.nonce_lifetime_ms = 1000;
    t_start(&t);
    t_account(&t);
    char used[128];
    snprintf(used, sizeof(used), "%s", t.nonce);
    afz_response r;
    afz_buf b;
    const char *nonce = NULL;
    if (_i == 0) {
        t_post(&t, t.kid, NULL, &r); /* consumes t.nonce */
        ck_assert_int_eq(r.status, 200);
        afz_response_cleanup(&r);
        t_sign(&t, t.kid, t.key, t.kid, used, NULL, &b);
        nonce = used;
    } else if (_i == 1) {
        nonce = "AAAAAAAAAAAAAAAAAAAAAA";
    } else {
        t_fresh_nonce(&t);
        snprintf(used, sizeof(used), "%s", t.nonce);
        afz_clock_advance(&t.clock, 1001);
        nonce = used;
    }
    if (_i != 0)
        t_sign(&t, t.kid, t.key, t.kid, nonce, NULL, &b);
    t_post_body(&t, t.kid, "application/jose+json", b.data, b.len, &r);
    afz_buf_cleanup(&b);
    t_assert_problem(&r, 400, "badNonce");
    const char *fresh = afz_headers_get(&r.headers, "Replay-Nonce");
    ck_assert_ptr_nonnull(fresh);
    ck_assert_str_ne(fresh, nonce);
    afz_response_cleanup(&r);
    /* The fresh nonce works. */
    t_post(&t, t.kid, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
    t_free(&t);
}
END_TEST

START_TEST(test_server_nonce_table_bounded)
{
    t_env t;
    t_init(&t);
    t.cfg.max_nonces = 4;
    t_start(&t);
    t_account(&t);
    t_fresh_nonce(&t);
    char oldest[128];
    snprintf(oldest, sizeof(oldest), "%s", t.nonce);
    for (int i = 0; i < 4; i++)
        t_fresh_nonce(&t);
    afz_buf b;
    afz_response r;
    t_sign(&t, t.kid, t.key, t.kid, oldest, NULL, &b);
    t_post_body(&t, t.kid, "application/jose+json", b.data, b.len, &r);
    t_assert_problem(&r, 400, "badNonce");
    afz_response_cleanup(&r);
    afz_buf_cleanup(&b);
    t_free(&t);
}
END_TEST

/* ---- request authentication ---- */

START_TEST(test_server_url_mismatch)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    afz_buf b;
    afz_response r;
    t_sign(&t, U("/new-order"), t.key, t.kid, NULL, NULL, &b);
    t_post_body(&t, t.kid, "application/jose+json", b.data, b.len, &r);
    t_assert_problem(&r, 403, "unauthorized");
    afz_response_cleanup(&r);
    afz_buf_cleanup(&b);
    t_free(&t);
}
END_TEST

START_TEST(test_server_kid_and_jwk)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    cJSON *jwk = NULL;
    ck_assert_int_eq(afz_jwk_from_key(t.key, &jwk), AFZ_OK);
    char *jwk_s = cJSON_PrintUnformatted(jwk);
    t_fresh_nonce(&t);
    char hdr[1024];
    snprintf(hdr, sizeof(hdr),
             "{\"alg\":\"ES256\",\"nonce\":\"%s\",\"url\":\"%s\",\"kid\":\"%s\",\"jwk\":%s}",
             t.nonce, U("/new-order"), t.kid, jwk_s);
    afz_response r;
    t_post_crafted(&t, U("/new-order"), hdr, "{}", &r);
    t_assert_problem(&r, 400, "malformed");
    afz_response_cleanup(&r);
    cJSON_free(jwk_s);
    cJSON_Delete(jwk);
    t_free(&t);
}
END_TEST

START_TEST(test_server_jwk_where_kid_required)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    afz_response r;
    t_post_as(&t, U("/new-order"), t.key, NULL,
              "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"example.com\"}]}", &r);
    t_assert_problem(&r, 400, "malformed");
    char d[256];
    ck_assert_str_eq(problem_detail(&r, d, sizeof(d)), "No Key ID in JWS header");
    afz_response_cleanup(&r);
    /* and kid where newAccount needs a jwk */
    t_post(&t, U("/new-account"), "{\"termsOfServiceAgreed\":true}", &r);
    t_assert_problem(&r, 400, "malformed");
    afz_response_cleanup(&r);
    t_free(&t);
}
END_TEST

START_TEST(test_server_unknown_kid)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    EVP_PKEY *k = new_key();
    afz_response r;
    t_post_as(&t, U("/new-order"), k, U("/account/0123456789abcdef"), "{}", &r);
    t_assert_problem(&r, 400, "accountDoesNotExist");
    afz_response_cleanup(&r);
    EVP_PKEY_free(k);
    t_free(&t);
}
END_TEST

START_TEST(test_server_wrong_content_type)
{
    static const char *const types[] = {"application/json", NULL, "text/plain"};
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    afz_buf b;
    afz_response r;
    t_sign(&t, t.kid, t.key, t.kid, NULL, NULL, &b);
    t_post_body(&t, t.kid, types[_i], b.data, b.len, &r);
    t_assert_problem(&r, 415, "malformed");
    ck_assert_ptr_nonnull(afz_headers_get(&r.headers, "Replay-Nonce"));
    afz_response_cleanup(&r);
    /* The nonce was not consumed by a request that never got that far. */
    t_post_body(&t, t.kid, "application/jose+json; charset=utf-8", b.data, b.len, &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
    afz_buf_cleanup(&b);
    t_free(&t);
}
END_TEST

START_TEST(test_server_bad_alg)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    t_fresh_nonce(&t);
    char hdr[512];
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"nonce\":\"%s\",\"url\":\"%s\",\"kid\":\"%s\"}",
             t.nonce, t.kid, t.kid);
    afz_response r;
    t_post_crafted(&t, t.kid, hdr, "", &r);
    t_assert_problem(&r, 400, "badSignatureAlgorithm");
    cJSON *j = t_json(&r);
    const cJSON *algs = afz_json_array(j, "algorithms");
    ck_assert_int_eq(cJSON_GetArraySize(algs), 5); /* ES512 too, unless strict_keys */
    ck_assert_str_eq(cJSON_GetArrayItem(algs, 0)->valuestring, "ES256");
    ck_assert_str_eq(cJSON_GetArrayItem(algs, 2)->valuestring, "ES512");
    cJSON_Delete(j);
    afz_response_cleanup(&r);
    t_free(&t);
}
END_TEST

START_TEST(test_server_small_rsa_key)
{
    t_env t;
    t_init(&t);
    t.cfg.strict_keys = 1; /* Boulder's rule; the default is Pebble's (check_server_keys.c) */
    t_start(&t);
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    ck_assert_ptr_nonnull(k);
    afz_response r;
    t_post_as(&t, U("/new-account"), k, NULL, "{\"termsOfServiceAgreed\":true}", &r);
    t_assert_problem(&r, 400, "badPublicKey");
    afz_response_cleanup(&r);
    EVP_PKEY_free(k);
    t_free(&t);
}
END_TEST

START_TEST(test_server_bad_signature)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    t_fresh_nonce(&t);
    char hdr[512];
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"nonce\":\"%s\",\"url\":\"%s\",\"kid\":\"%s\"}",
             t.nonce, t.kid, t.kid);
    afz_response r;
    t_post_crafted(&t, t.kid, hdr, "", &r);
    t_assert_problem(&r, 400, "malformed");
    char d[128];
    ck_assert_str_eq(problem_detail(&r, d, sizeof(d)), "JWS verification error");
    afz_response_cleanup(&r);
    t_free(&t);
}
END_TEST

START_TEST(test_server_post_as_get_payload)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    char *url = NULL;
    cJSON *o = t_order(&t, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", &url);
    afz_response r;
    t_post(&t, url, "{}", &r);
    t_assert_problem(&r, 400, "malformed");
    char d[128];
    ck_assert_str_eq(problem_detail(&r, d, sizeof(d)),
                     "POST-as-GET requests must have an empty payload");
    afz_response_cleanup(&r);
    /* and a plain GET of a resource is 405 */
    t_plain(&t, "GET", url, &r);
    t_assert_problem(&r, 405, "malformed");
    afz_response_cleanup(&r);
    free(url);
    cJSON_Delete(o);
    t_free(&t);
}
END_TEST

START_TEST(test_server_unknown_path)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    static const char *const paths[] = {"/nope", "/order/", "/cert/x/y", "/directory/"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        afz_response r;
        afz_resource kind = AFZ_RES__COUNT;
        afz_request req;
        ck_assert_int_eq(afz_request_init(&req, "POST", U(paths[i])), AFZ_OK);
        ck_assert_int_eq(afz_server_handle(t.s, &req, &r, &kind), AFZ_OK);
        ck_assert_int_eq(kind, AFZ_RES_UNKNOWN);
        t_assert_problem(&r, 404, "malformed");
        ck_assert_ptr_nonnull(afz_headers_get(&r.headers, "Replay-Nonce"));
        afz_response_cleanup(&r);
        afz_request_cleanup(&req);
    }
    /* Known shape, unknown object: 404 after authentication. */
    afz_response r;
    t_post(&t, U("/order/0000000000000000"), NULL, &r);
    t_assert_problem(&r, 404, "malformed");
    afz_response_cleanup(&r);
    t_free(&t);
}
END_TEST

/* ---- accounts ---- */

START_TEST(test_server_new_account_existing)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    afz_response r;
    t_post_as(&t, U("/new-account"), t.key, NULL, "{\"termsOfServiceAgreed\":true}", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(afz_headers_get(&r.headers, "Location"), t.kid);
    cJSON *a = t_json(&r);
    ck_assert_str_eq(afz_json_str(a, "status"), "valid");
    ck_assert_str_eq(cJSON_GetArrayItem(afz_json_array(a, "contact"), 0)->valuestring,
                     "mailto:admin@example.com");
    ck_assert_ptr_nonnull(afz_json_str(a, "orders"));
    cJSON_Delete(a);
    afz_response_cleanup(&r);
    ck_assert_uint_eq(count_events(&t, AFZ_EV_ACCOUNT_CREATED), 1);
    ck_assert_str_eq(find_event(&t, AFZ_EV_ACCOUNT_CREATED)->url, t.kid);
    t_free(&t);
}
END_TEST

START_TEST(test_server_only_return_existing)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    EVP_PKEY *k = new_key();
    afz_response r;
    t_post_as(&t, U("/new-account"), k, NULL, "{\"onlyReturnExisting\":true}", &r);
    t_assert_problem(&r, 400, "accountDoesNotExist");
    afz_response_cleanup(&r);
    EVP_PKEY_free(k);
    t_free(&t);
}
END_TEST

/* newAccount payloads that are refused, with the problem type. */
static const struct {
    const char *payload;
    const char *type;
} bad_accounts[] = {
    {"{\"termsOfServiceAgreed\":true,\"contact\":[\"tel:+1555\"]}", "unsupportedContact"},
    {"{\"termsOfServiceAgreed\":true,\"contact\":[\"mailto:nobody\"]}", "invalidContact"},
    {"{\"termsOfServiceAgreed\":true,\"contact\":[\"mailto:a@b.com?cc=x@y.com\"]}",
     "invalidContact"},
    {"{\"termsOfServiceAgreed\":true,\"contact\":\"mailto:a@b.com\"}", "malformed"},
    {"{\"contact\":[\"mailto:a@b.com\"]}", "malformed"},
    {"[]", "malformed"},
    {"", "malformed"},
};

START_TEST(test_server_new_account_refused)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    EVP_PKEY *k = new_key();
    afz_response r;
    t_post_as(&t, U("/new-account"), k, NULL, bad_accounts[_i].payload, &r);
    t_assert_problem(&r, 400, bad_accounts[_i].type);
    afz_response_cleanup(&r);
    ck_assert_uint_eq(count_events(&t, AFZ_EV_ACCOUNT_CREATED), 0);
    EVP_PKEY_free(k);
    t_free(&t);
}
END_TEST

START_TEST(test_server_external_account_required)
{
    t_env t;
    t_init(&t);
    t.cfg.external_account_required = 1;
    t_start(&t);
    EVP_PKEY *k = new_key();
    afz_response r;
    t_post_as(&t, U("/new-account"), k, NULL, "{\"termsOfServiceAgreed\":true}", &r);
    t_assert_problem(&r, 403, "externalAccountRequired");
    afz_response_cleanup(&r);
    EVP_PKEY_free(k);
    t_free(&t);
}
END_TEST

/* At max_accounts a new account evicts the oldest one (with its orders)
 * instead of getting 429; only an account whose order is being processed
 * cannot go. */
START_TEST(test_server_account_limit)
{
    t_env t;
    t_init(&t);
    t.cfg.max_accounts = 1;
    t.cfg.async_finalize = 1;
    t.cfg.finalize_polls = 5;
    t_start(&t);
    t_account(&t);
    char *old_kid = afz_strdup(t.kid);
    cJSON *o = t_order(&t, "[{\"type\":\"dns\",\"value\":\"a.example.com\"}]", NULL);
    EVP_PKEY *k = new_key();
    afz_response r;
    t_post_as(&t, U("/new-account"), k, NULL, "{\"termsOfServiceAgreed\":true}", &r);
    ck_assert_int_eq(r.status, 201);
    afz_response_cleanup(&r);
    /* The first account and its order are gone. */
    t_post(&t, old_kid, NULL, &r);
    t_assert_problem(&r, 400, "accountDoesNotExist");
    afz_response_cleanup(&r);
    cJSON_Delete(o);
    /* An account whose order is processing stays, and a new account is
     * refused for now. */
    free(t.kid);
    EVP_PKEY_free(t.key);
    EVP_PKEY_free(k);
    t.key = NULL;
    t.kid = NULL;
    t_account(&t); /* evicts the second account, which holds no order */
    o = t_order(&t, "[{\"type\":\"dns\",\"value\":\"b.example.com\"}]", NULL);
    t_validate(&t, o);
    EVP_PKEY *ck = new_key();
    const char *names[] = {"b.example.com"};
    t_finalize(&t, o, ck, names, 1, &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
    EVP_PKEY *k3 = new_key();
    t_post_as(&t, U("/new-account"), k3, NULL, "{\"termsOfServiceAgreed\":true}", &r);
    t_assert_problem(&r, 429, "rateLimited");
    afz_response_cleanup(&r);
    EVP_PKEY_free(k3);
    EVP_PKEY_free(ck);
    cJSON_Delete(o);
    free(old_kid);
    t_free(&t);
}
END_TEST

/* Regression (bench/serve_soak.sh, 4 concurrent clients at the default
 * cap): the account to evict is the least recently used, not the one
 * without orders, which under concurrency is the one just created whose
 * client is about to order. Cap 2: A orders, B registers, C registers:
 * A (least recently used) goes, B still orders. */
START_TEST(test_server_account_limit_evicts_least_recently_used)
{
    t_env t;
    t_init(&t);
    t.cfg.max_accounts = 2;
    t_start(&t);
    t_account(&t); /* A */
    char *a_kid = afz_strdup(t.kid);
    EVP_PKEY *a_key = t.key;
    cJSON *o = t_order(&t, "[{\"type\":\"dns\",\"value\":\"a.example.com\"}]", NULL);
    cJSON_Delete(o);
    free(t.kid);
    t.key = NULL;
    t.kid = NULL;
    t_account(&t); /* B: registered, no order yet */
    EVP_PKEY *c = new_key();
    afz_response r;
    t_post_as(&t, U("/new-account"), c, NULL, "{\"termsOfServiceAgreed\":true}", &r); /* C */
    ck_assert_int_eq(r.status, 201);
    afz_response_cleanup(&r);
    /* B's client goes on: its account is still there */
    o = t_order(&t, "[{\"type\":\"dns\",\"value\":\"b.example.com\"}]", NULL);
    cJSON_Delete(o);
    /* A, used least recently, was the one evicted */
    t_post_as(&t, a_kid, a_key, a_kid, "", &r);
    t_assert_problem(&r, 400, "accountDoesNotExist");
    afz_response_cleanup(&r);
    EVP_PKEY_free(a_key);
    EVP_PKEY_free(c);
    free(a_kid);
    t_free(&t);
}
END_TEST

START_TEST(test_server_account_update_and_deactivate)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    afz_response r;
    t_post(&t, t.kid, "{\"contact\":[\"mailto:new@example.org\"]}", &r);
    ck_assert_int_eq(r.status, 200);
    cJSON *a = t_json(&r);
    ck_assert_str_eq(cJSON_GetArrayItem(afz_json_array(a, "contact"), 0)->valuestring,
                     "mailto:new@example.org");
    cJSON_Delete(a);
    afz_response_cleanup(&r);
    ck_assert_uint_eq(count_events(&t, AFZ_EV_ACCOUNT_UPDATED), 1);

    /* Another account may not touch it. */
    EVP_PKEY *k2 = new_key();
    t_post_as(&t, U("/new-account"), k2, NULL, "{\"termsOfServiceAgreed\":true}", &r);
    char *kid2 = afz_strdup(afz_headers_get(&r.headers, "Location"));
    afz_response_cleanup(&r);
    t_post_as(&t, t.kid, k2, kid2, NULL, &r);
    t_assert_problem(&r, 403, "unauthorized");
    afz_response_cleanup(&r);

    t_post(&t, t.kid, "{\"status\":\"deactivated\"}", &r);
    ck_assert_int_eq(r.status, 200);
    a = t_json(&r);
    ck_assert_str_eq(afz_json_str(a, "status"), "deactivated");
    cJSON_Delete(a);
    afz_response_cleanup(&r);
    ck_assert_uint_eq(count_events(&t, AFZ_EV_ACCOUNT_DEACTIVATED), 1);
    /* Every later request with that account is refused. */
    t_post(&t, U("/new-order"), "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.com\"}]}", &r);
    t_assert_problem(&r, 403, "unauthorized");
    afz_response_cleanup(&r);
    t_post_as(&t, U("/new-account"), t.key, NULL, "{\"termsOfServiceAgreed\":true}", &r);
    t_assert_problem(&r, 403, "unauthorized");
    afz_response_cleanup(&r);
    free(kid2);
    EVP_PKEY_free(k2);
    t_free(&t);
}
END_TEST

/* Builds the keyChange payload: an inner JWS signed by |new_key|. */
static void key_change_payload(t_env *t, EVP_PKEY *new_key_, EVP_PKEY *old_key, afz_buf *out)
{
    cJSON *old = NULL;
    ck_assert_int_eq(afz_jwk_from_key(old_key, &old), AFZ_OK);
    char *old_s = cJSON_PrintUnformatted(old);
    char inner_payload[1024];
    snprintf(inner_payload, sizeof(inner_payload), "{\"account\":\"%s\",\"oldKey\":%s}", t->kid,
             old_s);
    afz_jws_sign_params p = {.key = new_key_, .kid = NULL, .nonce = NULL, .url = U("/key-change")};
    afz_buf_init(out, 0);
    ck_assert_int_eq(afz_jws_sign(&p, inner_payload, strlen(inner_payload), out), AFZ_OK);
    cJSON_free(old_s);
    cJSON_Delete(old);
}

START_TEST(test_server_key_change)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    EVP_PKEY *nk = new_key();
    afz_buf inner;
    key_change_payload(&t, nk, t.key, &inner);
    afz_response r;
    t_post(&t, U("/key-change"), afz_buf_cstr(&inner), &r);
    ck_assert_msg(r.status == 200, "%s", (const char *)r.body);
    afz_response_cleanup(&r);
    afz_buf_cleanup(&inner);
    ck_assert_str_eq(find_event(&t, AFZ_EV_KEY_CHANGED)->url, t.kid);
    /* The old key no longer names an account; the new one does. */
    t_post_as(&t, U("/new-account"), t.key, NULL, "{\"onlyReturnExisting\":true}", &r);
    t_assert_problem(&r, 400, "accountDoesNotExist");
    afz_response_cleanup(&r);
    t_post_as(&t, U("/new-account"), nk, NULL, "{\"onlyReturnExisting\":true}", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(afz_headers_get(&r.headers, "Location"), t.kid);
    afz_response_cleanup(&r);
    t_post(&t, t.kid, NULL, &r); /* old key, kid: signature fails */
    t_assert_problem(&r, 400, "malformed");
    afz_response_cleanup(&r);
    EVP_PKEY_free(t.key);
    t.key = nk;
    t_post(&t, t.kid, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);

    /* A key that another account holds: 409 with that account. */
    EVP_PKEY *k3 = new_key();
    t_post_as(&t, U("/new-account"), k3, NULL, "{\"termsOfServiceAgreed\":true}", &r);
    char *kid3 = afz_strdup(afz_headers_get(&r.headers, "Location"));
    afz_response_cleanup(&r);
    key_change_payload(&t, k3, t.key, &inner);
    t_post(&t, U("/key-change"), afz_buf_cstr(&inner), &r);
    t_assert_problem(&r, 409, "malformed");
    ck_assert_str_eq(afz_headers_get(&r.headers, "Location"), kid3);
    afz_response_cleanup(&r);
    afz_buf_cleanup(&inner);
    /* An oldKey that is not the account's key. */
    EVP_PKEY *k4 = new_key();
    key_change_payload(&t, k4, k3, &inner);
    t_post(&t, U("/key-change"), afz_buf_cstr(&inner), &r);
    t_assert_problem(&r, 403, "unauthorized");
    afz_response_cleanup(&r);
    afz_buf_cleanup(&inner);
    free(kid3);
    EVP_PKEY_free(k3);
    EVP_PKEY_free(k4);
    t_free(&t);
}
END_TEST

/* ---- orders ---- */

static const struct {
    const char *ids;
    const char *type;
} bad_orders[] = {
    {"[{\"type\":\"dns\",\"value\":\"-a.example.com\"}]", "rejectedIdentifier"},
    {"[{\"type\":\"dns\",\"value\":\"a..example.com\"}]", "rejectedIdentifier"},
    {"[{\"type\":\"dns\",\"value\":\"10.0.0.1\"}]", "rejectedIdentifier"},
    {"[{\"type\":\"dns\",\"value\":\"localhost\"}]", "rejectedIdentifier"},
    {"[{\"type\":\"dns\",\"value\":\"a.*.example.com\"}]", "rejectedIdentifier"},
    {"[{\"type\":\"dns\",\"value\":\"*.*.example.com\"}]", "rejectedIdentifier"},
    {"[{\"type\":\"dns\",\"value\":\"exa_mple.com\"}]", "rejectedIdentifier"},
    {"[{\"type\":\"dns\",\"value\":\"www.blocked.test\"}]", "rejectedIdentifier"},
    {"[{\"type\":\"dns\",\"value\":\"ok.com\"},{\"type\":\"dns\",\"value\":\"Blocked.test\"}]",
     "rejectedIdentifier"},
    {"[{\"type\":\"ip\",\"value\":\"10.0.0.1\"}]", "unsupportedIdentifier"},
    {"[]", "malformed"},
    {"[{\"type\":\"dns\"}]", "malformed"},
    {"\"example.com\"", "malformed"},
};

START_TEST(test_server_new_order_refused)
{
    static const char *const blocked[] = {"blocked.test", NULL};
    t_env t;
    t_init(&t);
    t.cfg.blocked_names = blocked;
    t_start(&t);
    t_account(&t);
    char payload[512];
    snprintf(payload, sizeof(payload), "{\"identifiers\":%s}", bad_orders[_i].ids);
    afz_response r;
    t_post(&t, U("/new-order"), payload, &r);
    t_assert_problem(&r, 400, bad_orders[_i].type);
    if (strcmp(bad_orders[_i].type, "rejectedIdentifier") == 0) {
        cJSON *j = t_json(&r);
        const cJSON *sub = afz_json_array(j, "subproblems");
        ck_assert_int_eq(cJSON_GetArraySize(sub), 1);
        const cJSON *id = afz_json_object(cJSON_GetArrayItem(sub, 0), "identifier");
        ck_assert_str_eq(afz_json_str(id, "type"), "dns");
        ck_assert_ptr_nonnull(afz_json_str(id, "value"));
        cJSON_Delete(j);
    }
    afz_response_cleanup(&r);
    ck_assert_uint_eq(count_events(&t, AFZ_EV_ORDER_CREATED), 0);
    t_free(&t);
}
END_TEST

START_TEST(test_server_new_order_limits)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    afz_buf p;
    afz_buf_init(&p, 0);
    ck_assert_int_eq(afz_buf_puts(&p, "{\"identifiers\":["), AFZ_OK);
    for (int i = 0; i < 101; i++)
        ck_assert_int_eq(afz_buf_printf(&p, "%s{\"type\":\"dns\",\"value\":\"n%d.example.com\"}",
                                        i ? "," : "", i),
                         AFZ_OK);
    ck_assert_int_eq(afz_buf_puts(&p, "]}"), AFZ_OK);
    afz_response r;
    t_post(&t, U("/new-order"), afz_buf_cstr(&p), &r);
    t_assert_problem(&r, 400, "malformed");
    afz_response_cleanup(&r);
    afz_buf_cleanup(&p);
    t_post(&t, U("/new-order"),
           "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.com\"}],"
           "\"notAfter\":\"2026-02-01T00:00:00Z\"}",
           &r);
    t_assert_problem(&r, 400, "malformed");
    afz_response_cleanup(&r);
    t_free(&t);
}
END_TEST

START_TEST(test_server_new_order_shape)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    char *url = NULL;
    cJSON *o = t_order(&t,
                       "[{\"type\":\"dns\",\"value\":\"WWW.Example.com\"},"
                       "{\"type\":\"dns\",\"value\":\"*.example.com\"},"
                       "{\"type\":\"dns\",\"value\":\"www.example.com\"}]",
                       &url);
    ck_assert_str_eq(afz_json_str(o, "status"), "pending");
    ck_assert_str_eq(afz_json_str(o, "expires"), "2026-01-08T00:00:00Z");
    const cJSON *ids = afz_json_array(o, "identifiers");
    ck_assert_int_eq(cJSON_GetArraySize(ids), 2); /* duplicates collapse */
    ck_assert_str_eq(afz_json_str(cJSON_GetArrayItem(ids, 0), "value"), "www.example.com");
    ck_assert_str_eq(afz_json_str(cJSON_GetArrayItem(ids, 1), "value"), "*.example.com");
    ck_assert_int_eq(cJSON_GetArraySize(afz_json_array(o, "authorizations")), 2);
    ck_assert_ptr_nonnull(afz_json_str(o, "finalize"));
    ck_assert_ptr_null(cJSON_GetObjectItem(o, "certificate"));
    const afz_event *ev = find_event(&t, AFZ_EV_ORDER_CREATED);
    ck_assert_str_eq(ev->url, url);
    ck_assert_str_eq(ev->identifiers, "*.example.com,www.example.com");

    afz_response r;
    cJSON *az = t_fetch(&t, authz_url(o, 0), &r);
    afz_response_cleanup(&r);
    ck_assert_str_eq(afz_json_str(afz_json_object(az, "identifier"), "value"), "www.example.com");
    const cJSON *ch = afz_json_array(az, "challenges");
    ck_assert_int_eq(cJSON_GetArraySize(ch), 3);
    ck_assert_str_eq(afz_json_str(cJSON_GetArrayItem(ch, 0), "type"), "http-01");
    ck_assert_str_eq(afz_json_str(cJSON_GetArrayItem(ch, 1), "type"), "dns-01");
    ck_assert_str_eq(afz_json_str(cJSON_GetArrayItem(ch, 2), "type"), "tls-alpn-01");
    ck_assert_uint_eq(strlen(afz_json_str(cJSON_GetArrayItem(ch, 0), "token")), 43);
    ck_assert_ptr_null(cJSON_GetObjectItem(az, "wildcard"));
    cJSON_Delete(az);
    az = t_fetch(&t, authz_url(o, 1), &r);
    afz_response_cleanup(&r);
    ck_assert_str_eq(afz_json_str(afz_json_object(az, "identifier"), "value"), "example.com");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(az, "wildcard")));
    ch = afz_json_array(az, "challenges");
    ck_assert_int_eq(cJSON_GetArraySize(ch), 1);
    ck_assert_str_eq(afz_json_str(cJSON_GetArrayItem(ch, 0), "type"), "dns-01");
    /* An empty POST to a challenge fetches it and starts nothing. */
    t_post(&t, afz_json_str(cJSON_GetArrayItem(ch, 0), "url"), NULL, &r);
    ck_assert_int_eq(r.status, 200);
    cJSON *c = t_json(&r);
    ck_assert_str_eq(afz_json_str(c, "status"), "pending");
    cJSON_Delete(c);
    afz_response_cleanup(&r);
    ck_assert_uint_eq(count_events(&t, AFZ_EV_CHALLENGE_STARTED), 0);
    cJSON_Delete(az);
    free(url);
    cJSON_Delete(o);
    t_free(&t);
}
END_TEST

START_TEST(test_server_happy_path_sync)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    char *url = NULL;
    cJSON *o = t_order(&t, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", &url);
    afz_response r;
    cJSON *az = t_fetch(&t, authz_url(o, 0), &r);
    afz_response_cleanup(&r);
    const cJSON *ch = cJSON_GetArrayItem(afz_json_array(az, "challenges"), 0);
    t_post(&t, afz_json_str(ch, "url"), "{}", &r);
    ck_assert_int_eq(r.status, 200);
    cJSON *c = t_json(&r);
    ck_assert_str_eq(afz_json_str(c, "status"), "processing");
    cJSON_Delete(c);
    char up[320];
    snprintf(up, sizeof(up), "<%s>;rel=\"up\"", authz_url(o, 0));
    ck_assert_uint_eq(afz_headers_count(&r.headers, "Link"), 2);
    ck_assert_str_eq(afz_headers_get(&r.headers, "Link"), up);
    afz_response_cleanup(&r);
    cJSON_Delete(az);
    az = t_fetch(&t, authz_url(o, 0), &r);
    afz_response_cleanup(&r);
    ck_assert_str_eq(afz_json_str(az, "status"), "valid");
    ch = cJSON_GetArrayItem(afz_json_array(az, "challenges"), 0);
    ck_assert_str_eq(afz_json_str(ch, "status"), "valid");
    ck_assert_ptr_nonnull(afz_json_str(ch, "validated"));
    cJSON_Delete(az);

    cJSON *cur = t_fetch(&t, url, &r);
    afz_response_cleanup(&r);
    ck_assert_str_eq(afz_json_str(cur, "status"), "ready");
    cJSON_Delete(cur);

    EVP_PKEY *ck = new_key();
    const char *names[] = {"example.com"};
    t_finalize(&t, o, ck, names, 1, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(afz_headers_get(&r.headers, "Location"), url);
    ck_assert_ptr_null(afz_headers_get(&r.headers, "Retry-After"));
    cur = t_json(&r);
    afz_response_cleanup(&r);
    ck_assert_str_eq(afz_json_str(cur, "status"), "valid");
    const char *cert_url = afz_json_str(cur, "certificate");
    ck_assert_ptr_nonnull(cert_url);

    t_post(&t, cert_url, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(afz_headers_get(&r.headers, "Content-Type"),
                     "application/pem-certificate-chain");
    X509 *leaf = NULL;
    ck_assert_int_eq(parse_chain(&r, &leaf), 2);
    ck_assert_int_eq(X509_check_host(leaf, "example.com", 0, 0, NULL), 1);
    EVP_PKEY *pub = X509_get0_pubkey(leaf);
    ck_assert_int_eq(EVP_PKEY_eq(pub, ck), 1);
    X509_free(leaf);
    /* rel="up" names the issuer, served as PEM. */
    char up_url[256];
    snprintf(up_url, sizeof(up_url), "%s/up", cert_url);
    snprintf(up, sizeof(up), "<%s>;rel=\"up\"", up_url);
    ck_assert_str_eq(afz_headers_get(&r.headers, "Link"), up);
    afz_response_cleanup(&r);
    t_post(&t, up_url, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(parse_chain(&r, &leaf), 1);
    X509_free(leaf);
    afz_response_cleanup(&r);

    /* The events a property checker reads, in order. */
    static const afz_event_kind want[] = {
        AFZ_EV_ACCOUNT_CREATED, AFZ_EV_ORDER_CREATED,   AFZ_EV_CHALLENGE_STARTED,
        AFZ_EV_AUTHZ_VALID,     AFZ_EV_ORDER_READY,     AFZ_EV_FINALIZE_ACCEPTED,
        AFZ_EV_CERT_ISSUED,     AFZ_EV_CERT_DOWNLOADED,
    };
    ck_assert_uint_eq(t.hist.n_ev, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < t.hist.n_ev; i++)
        ck_assert_msg(t.hist.ev[i].kind == want[i], "event %zu is %s", i,
                      afz_event_kind_name(t.hist.ev[i].kind));
    const afz_event *iss = find_event(&t, AFZ_EV_CERT_ISSUED);
    const afz_event *dl = find_event(&t, AFZ_EV_CERT_DOWNLOADED);
    ck_assert_str_eq(iss->url, cert_url);
    ck_assert_str_eq(iss->related_url, url);
    ck_assert_str_eq(iss->identifiers, "example.com");
    ck_assert_ptr_nonnull(iss->serial);
    ck_assert_str_eq(dl->serial, iss->serial);
    ck_assert_str_eq(dl->related_url, url);
    ck_assert_str_eq(find_event(&t, AFZ_EV_FINALIZE_ACCEPTED)->url, url);

    /* Finalizing again: Boulder's orderNotReady. */
    t_finalize(&t, o, ck, names, 1, &r);
    t_assert_problem(&r, 403, "orderNotReady");
    char d[128];
    ck_assert_str_eq(problem_detail(&r, d, sizeof(d)),
                     "Order's status (\"valid\") is not acceptable for finalization");
    afz_response_cleanup(&r);
    EVP_PKEY_free(ck);
    cJSON_Delete(cur);
    cJSON_Delete(o);
    free(url);
    t_free(&t);
}
END_TEST

START_TEST(test_server_finalize_not_ready)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    cJSON *o = t_order(&t, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", NULL);
    EVP_PKEY *ck = new_key();
    const char *names[] = {"example.com"};
    afz_response r;
    t_finalize(&t, o, ck, names, 1, &r);
    t_assert_problem(&r, 403, "orderNotReady");
    char d[128];
    ck_assert_str_eq(problem_detail(&r, d, sizeof(d)),
                     "Order's status (\"pending\") is not acceptable for finalization");
    afz_response_cleanup(&r);
    ck_assert_uint_eq(count_events(&t, AFZ_EV_FINALIZE_ACCEPTED), 0);
    EVP_PKEY_free(ck);
    cJSON_Delete(o);
    t_free(&t);
}
END_TEST

/* badCSR: 0 names differ, 1 CSR key is the account key, 2 not a CSR. */
START_TEST(test_server_bad_csr)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    char *url = NULL;
    cJSON *o = t_order(&t, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", &url);
    t_validate(&t, o);
    EVP_PKEY *ck = new_key();
    afz_response r;
    afz_csr_verdict v;
    if (_i == 0) {
        const char *names[] = {"example.com", "extra.example.com"};
        t_finalize(&t, o, ck, names, 2, &r);
        v = AFZ_CSR_NAMES_MISMATCH;
    } else if (_i == 1) {
        const char *names[] = {"example.com"};
        t_finalize(&t, o, t.key, names, 1, &r);
        v = AFZ_CSR_ACCOUNT_KEY;
    } else {
        t_post(&t, afz_json_str(o, "finalize"), "{\"csr\":\"AAAA\"}", &r);
        v = AFZ_CSR_UNPARSABLE;
    }
    t_assert_problem(&r, 400, "badCSR");
    char d[256];
    ck_assert_str_eq(problem_detail(&r, d, sizeof(d)), afz_csr_verdict_detail(v));
    afz_response_cleanup(&r);
    ck_assert_str_eq(find_event(&t, AFZ_EV_FINALIZE_REJECTED)->url, url);
    /* The order stays ready, and a good CSR is then accepted. */
    cJSON *cur = t_fetch(&t, url, &r);
    afz_response_cleanup(&r);
    ck_assert_str_eq(afz_json_str(cur, "status"), "ready");
    cJSON_Delete(cur);
    const char *names[] = {"example.com"};
    t_finalize(&t, o, ck, names, 1, &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
    EVP_PKEY_free(ck);
    cJSON_Delete(o);
    free(url);
    t_free(&t);
}
END_TEST

START_TEST(test_server_finalize_bad_base64)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    cJSON *o = t_order(&t, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", NULL);
    t_validate(&t, o);
    afz_response r;
    t_post(&t, afz_json_str(o, "finalize"), "{\"csr\":\"a+b/\"}", &r);
    t_assert_problem(&r, 400, "malformed");
    afz_response_cleanup(&r);
    cJSON_Delete(o);
    t_free(&t);
}
END_TEST

START_TEST(test_server_async_finalize)
{
    t_env t;
    t_init(&t);
    t.cfg.async_finalize = 1;
    t.cfg.finalize_polls = 2;
    t.cfg.finalize_delay_ms = 1500;
    t.cfg.order_retry_after_s = 3;
    t_start(&t);
    t_account(&t);
    char *url = NULL;
    cJSON *o = t_order(&t, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", &url);
    t_validate(&t, o);
    EVP_PKEY *ck = new_key();
    const char *names[] = {"example.com"};
    afz_response r;
    t_finalize(&t, o, ck, names, 1, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(afz_headers_get(&r.headers, "Retry-After"), "3");
    cJSON *cur = t_json(&r);
    afz_response_cleanup(&r);
    ck_assert_str_eq(afz_json_str(cur, "status"), "processing");
    ck_assert_ptr_null(cJSON_GetObjectItem(cur, "certificate"));
    cJSON_Delete(cur);
    ck_assert_uint_eq(count_events(&t, AFZ_EV_CERT_ISSUED), 0);
    /* Two polls stay processing; the third one, once the delay passed, is
     * valid. */
    for (int i = 0; i < 3; i++) {
        if (i == 2) {
            cur = t_fetch(&t, url, &r);
            ck_assert_str_eq(afz_json_str(cur, "status"), "processing"); /* too early */
            cJSON_Delete(cur);
            afz_response_cleanup(&r);
            afz_clock_advance(&t.clock, 1500);
        }
        cur = t_fetch(&t, url, &r);
        const char *want = i < 2 ? "processing" : "valid";
        ck_assert_str_eq(afz_json_str(cur, "status"), want);
        if (i < 2) {
            ck_assert_str_eq(afz_headers_get(&r.headers, "Retry-After"), "3");
            ck_assert_ptr_null(cJSON_GetObjectItem(cur, "certificate"));
        } else {
            ck_assert_ptr_null(afz_headers_get(&r.headers, "Retry-After"));
            ck_assert_ptr_nonnull(afz_json_str(cur, "certificate"));
        }
        cJSON_Delete(cur);
        afz_response_cleanup(&r);
    }
    ck_assert_uint_eq(count_events(&t, AFZ_EV_CERT_ISSUED), 1);
    EVP_PKEY_free(ck);
    cJSON_Delete(o);
    free(url);
    t_free(&t);
}
END_TEST

START_TEST(test_server_authz_pending_polls)
{
    t_env t;
    t_init(&t);
    t.cfg.authz_pending_polls = 2;
    t.cfg.validation_delay_ms = 2000;
    t.cfg.authz_retry_after_s = 5;
    t_start(&t);
    t_account(&t);
    cJSON *o = t_order(&t, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", NULL);
    afz_response r;
    cJSON *az = t_fetch(&t, authz_url(o, 0), &r);
    ck_assert_ptr_null(afz_headers_get(&r.headers, "Retry-After")); /* nothing started */
    afz_response_cleanup(&r);
    const cJSON *ch = cJSON_GetArrayItem(afz_json_array(az, "challenges"), 0);
    t_post(&t, afz_json_str(ch, "url"), "{}", &r);
    afz_response_cleanup(&r);
    cJSON_Delete(az);
    for (int i = 0; i < 3; i++) {
        if (i == 2)
            afz_clock_advance(&t.clock, 2000);
        az = t_fetch(&t, authz_url(o, 0), &r);
        const char *want = i < 2 ? "pending" : "valid";
        ck_assert_str_eq(afz_json_str(az, "status"), want);
        if (i < 2)
            ck_assert_str_eq(afz_headers_get(&r.headers, "Retry-After"), "5");
        else
            ck_assert_ptr_null(afz_headers_get(&r.headers, "Retry-After"));
        cJSON_Delete(az);
        afz_response_cleanup(&r);
    }
    ck_assert_uint_eq(count_events(&t, AFZ_EV_AUTHZ_VALID), 1);
    cJSON_Delete(o);
    t_free(&t);
}
END_TEST

/* Which URL a waiting client reads after the challenge POST. RFC 8555
 * 7.1.6: "Once all of the authorizations listed in the order object are in
 * the "valid" state, the order transitions to the "ready" state", so
 * polling the order alone is a legal way to wait; every look counts the
 * same, whichever URL it names. */
typedef enum { LOOK_ORDER, LOOK_AUTHZ, LOOK_CHALLENGE, LOOK_ALTERNATE } look_at;
static const struct {
    look_at at;
    const char *ids;
    int n_names;
} authz_looks[] = {
    {LOOK_ORDER, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", 1},
    {LOOK_ORDER,
     "[{\"type\":\"dns\",\"value\":\"example.com\"},"
     "{\"type\":\"dns\",\"value\":\"www.example.com\"}]",
     2},
    {LOOK_AUTHZ, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", 1},
    {LOOK_CHALLENGE, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", 1},
    {LOOK_ALTERNATE, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", 1},
};

START_TEST(test_server_authz_pending_any_look)
{
    t_env t;
    t_init(&t);
    t.cfg.authz_pending_polls = 3;
    t.cfg.validation_delay_ms = 2000;
    t.cfg.authz_retry_after_s = 1;
    t_start(&t);
    t_account(&t);
    char *url = NULL;
    cJSON *o = t_order(&t, authz_looks[_i].ids, &url);
    afz_response r;
    /* Order polls before any challenge POST are no looks at a validation. */
    for (int k = 0; k < 3; k++) {
        cJSON *cur = t_fetch(&t, url, &r);
        ck_assert_str_eq(afz_json_str(cur, "status"), "pending");
        cJSON_Delete(cur);
        afz_response_cleanup(&r);
    }
    char *chall = NULL;
    for (int i = 0; i < authz_looks[_i].n_names; i++) {
        cJSON *az = t_fetch(&t, authz_url(o, i), &r);
        afz_response_cleanup(&r);
        const cJSON *ch = cJSON_GetArrayItem(afz_json_array(az, "challenges"), 0);
        if (i == 0)
            chall = afz_strdup(afz_json_str(ch, "url"));
        t_post(&t, afz_json_str(ch, "url"), "{}", &r);
        ck_assert_int_eq(r.status, 200);
        afz_response_cleanup(&r);
        cJSON_Delete(az);
    }
    /* Looks 1-3 at t = 0 are counted, look 4 still waits for the delay,
     * look 5 comes at 1 s, look 6 at 2 s: both conditions hold, and look 6
     * sees the result, whichever URL it reads. */
    int done_at = 0;
    for (int k = 1; k <= 12 && !done_at; k++) {
        if (k >= 5)
            afz_clock_advance(&t.clock, 1000);
        look_at at = authz_looks[_i].at;
        if (at == LOOK_ALTERNATE)
            at = k % 2 ? LOOK_ORDER : LOOK_AUTHZ;
        const char *target = at == LOOK_ORDER ? url : at == LOOK_AUTHZ ? authz_url(o, 0) : chall;
        cJSON *cur = t_fetch(&t, target, &r);
        const char *st = afz_json_str(cur, "status");
        if (strcmp(st, at == LOOK_ORDER ? "ready" : "valid") == 0)
            done_at = k;
        else if (at == LOOK_CHALLENGE)
            ck_assert_str_eq(st, "processing");
        else
            ck_assert_str_eq(st, "pending");
        cJSON_Delete(cur);
        afz_response_cleanup(&r);
    }
    ck_assert_int_eq(done_at, 6);
    ck_assert_uint_eq(count_events(&t, AFZ_EV_AUTHZ_VALID), (size_t)authz_looks[_i].n_names);
    cJSON *cur = t_fetch(&t, url, &r);
    ck_assert_str_eq(afz_json_str(cur, "status"), "ready");
    cJSON_Delete(cur);
    afz_response_cleanup(&r);
    ck_assert_uint_eq(count_events(&t, AFZ_EV_ORDER_READY), 1);
    free(chall);
    free(url);
    cJSON_Delete(o);
    t_free(&t);
}
END_TEST

START_TEST(test_server_authz_reuse)
{
    t_env t;
    t_init(&t);
    t.cfg.authz_reuse = 1;
    t_start(&t);
    t_account(&t);
    cJSON *o1 = t_order(&t, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", NULL);
    t_validate(&t, o1);
    cJSON *o2 = t_order(&t,
                        "[{\"type\":\"dns\",\"value\":\"example.com\"},"
                        "{\"type\":\"dns\",\"value\":\"new.example.com\"}]",
                        NULL);
    ck_assert_str_eq(authz_url(o2, 0), authz_url(o1, 0));
    ck_assert_str_ne(authz_url(o2, 1), authz_url(o1, 0));
    ck_assert_str_eq(afz_json_str(o2, "status"), "pending");
    cJSON *o3 = t_order(&t, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", NULL);
    ck_assert_str_eq(afz_json_str(o3, "status"), "ready");
    ck_assert_uint_eq(count_events(&t, AFZ_EV_ORDER_READY), 1);
    cJSON_Delete(o1);
    cJSON_Delete(o2);
    cJSON_Delete(o3);
    t_free(&t);
}
END_TEST

/* reuse_pattern makes 24 orders for a validated name with
 * authz_reuse_percent |pct| and PRNG seed |seed|; bit k of the result is
 * set when order k got the valid authorization (and so is "ready"). */
static uint32_t reuse_pattern(unsigned pct, uint64_t seed)
{
    t_env t;
    t_init(&t);
    afz_prng_seed(&t.prng, seed);
    t.cfg.authz_reuse_percent = pct;
    t_start(&t);
    t_account(&t);
    cJSON *o1 = t_order(&t, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", NULL);
    t_validate(&t, o1);
    uint32_t bits = 0;
    for (int k = 0; k < 24; k++) {
        cJSON *o = t_order(&t, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", NULL);
        int reused = strcmp(authz_url(o, 0), authz_url(o1, 0)) == 0;
        ck_assert_str_eq(afz_json_str(o, "status"), reused ? "ready" : "pending");
        if (reused)
            bits |= 1u << k;
        cJSON_Delete(o);
    }
    cJSON_Delete(o1);
    t_free(&t);
    return bits;
}

/* PEBBLE_AUTHZREUSE (authz_reuse_percent): 0 never reuses, 100 always,
 * 50 sometimes, and the same seed gives the same choices. */
START_TEST(test_server_authz_reuse_percent)
{
    ck_assert_uint_eq(reuse_pattern(0, 3), 0);
    ck_assert_uint_eq(reuse_pattern(100, 3), 0xffffffu);
    uint32_t a = reuse_pattern(50, 3), b = reuse_pattern(50, 3), c = reuse_pattern(50, 4);
    ck_assert_uint_ne(a, 0);
    ck_assert_uint_ne(a, 0xffffffu);
    ck_assert_uint_eq(a, b);
    ck_assert_uint_ne(a, c); /* 2^-24 to collide by chance */
}
END_TEST

START_TEST(test_server_order_ready_at_creation)
{
    t_env t;
    t_init(&t);
    t.cfg.order_ready_at_creation = 1;
    t_start(&t);
    t_account(&t);
    cJSON *o = t_order(&t, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", NULL);
    ck_assert_str_eq(afz_json_str(o, "status"), "ready");
    afz_response r;
    cJSON *az = t_fetch(&t, authz_url(o, 0), &r);
    afz_response_cleanup(&r);
    ck_assert_str_eq(afz_json_str(az, "status"), "valid");
    /* POSTing a challenge of a valid authorization changes nothing. */
    const cJSON *ch = cJSON_GetArrayItem(afz_json_array(az, "challenges"), 1);
    t_post(&t, afz_json_str(ch, "url"), "{}", &r);
    ck_assert_int_eq(r.status, 200);
    cJSON *c = t_json(&r);
    ck_assert_str_eq(afz_json_str(c, "status"), "pending");
    cJSON_Delete(c);
    afz_response_cleanup(&r);
    ck_assert_uint_eq(count_events(&t, AFZ_EV_CHALLENGE_STARTED), 0);
    cJSON_Delete(az);
    EVP_PKEY *ck = new_key();
    const char *names[] = {"example.com"};
    t_finalize(&t, o, ck, names, 1, &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
    EVP_PKEY_free(ck);
    cJSON_Delete(o);
    t_free(&t);
}
END_TEST

START_TEST(test_server_order_expiry)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    char *url = NULL;
    cJSON *o = t_order(&t, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", &url);
    afz_clock_advance(&t.clock, INT64_C(7) * 86400 * 1000);
    afz_response r;
    cJSON *cur = t_fetch(&t, url, &r);
    afz_response_cleanup(&r);
    ck_assert_str_eq(afz_json_str(cur, "status"), "invalid");
    ck_assert_ptr_nonnull(afz_json_str(afz_json_object(cur, "error"), "type"));
    cJSON_Delete(cur);
    ck_assert_uint_eq(count_events(&t, AFZ_EV_ORDER_INVALID), 1);
    EVP_PKEY *ck = new_key();
    const char *names[] = {"example.com"};
    t_finalize(&t, o, ck, names, 1, &r);
    t_assert_problem(&r, 403, "orderNotReady");
    afz_response_cleanup(&r);
    EVP_PKEY_free(ck);
    cJSON_Delete(o);
    free(url);
    t_free(&t);
}
END_TEST

START_TEST(test_server_order_limit_evicts_expired)
{
    t_env t;
    t_init(&t);
    t.cfg.max_orders = 2;
    t_start(&t);
    t_account(&t);
    cJSON *o1 = t_order(&t, "[{\"type\":\"dns\",\"value\":\"a.example.com\"}]", NULL);
    EVP_PKEY *ck = new_key();
    X509 *leaf = NULL;
    cJSON *done = t_issue(&t, "done.example.com", ck, &leaf);
    X509_free(leaf);
    /* Full: the finished (valid) order goes first, the pending one stays. */
    afz_response r;
    cJSON *o2 = t_order(&t, "[{\"type\":\"dns\",\"value\":\"b.example.com\"}]", NULL);
    t_post(&t, afz_json_str(done, "certificate"), NULL, &r); /* its order is gone */
    ck_assert_int_eq(r.status, 404);
    afz_response_cleanup(&r);
    t_post(&t, authz_url(o1, 0), NULL, &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
    /* Then the oldest expired one. */
    afz_clock_advance(&t.clock, INT64_C(8) * 86400 * 1000);
    cJSON *o3 = t_order(&t, "[{\"type\":\"dns\",\"value\":\"c.example.com\"}]", NULL);
    t_post(&t, authz_url(o1, 0), NULL, &r); /* its order is gone */
    t_assert_problem(&r, 404, "malformed");
    afz_response_cleanup(&r);
    t_post(&t, authz_url(o2, 0), NULL, &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
    EVP_PKEY_free(ck);
    cJSON_Delete(done);
    cJSON_Delete(o1);
    cJSON_Delete(o2);
    cJSON_Delete(o3);
    t_free(&t);
}
END_TEST

/* link_count counts the Link fields of |r| with relation |rel|; the
 * first URL goes to |first| (may be NULL). */
static size_t link_count(const afz_response *r, const char *rel, char first[256])
{
    char want[32];
    snprintf(want, sizeof(want), "rel=\"%s\"", rel);
    size_t n = 0;
    for (size_t i = 0; i < r->headers.n; i++) {
        const afz_header *hd = &r->headers.v[i];
        if (strcasecmp(hd->name, "Link") != 0 || !strstr(hd->value, want))
            continue;
        const char *lt = strchr(hd->value, '<'), *gt = strchr(hd->value, '>');
        ck_assert(lt && gt && gt > lt);
        if (n++ == 0 && first)
            snprintf(first, 256, "%.*s", (int)(gt - lt - 1), lt + 1);
    }
    return n;
}

/* issuer_signed: 1 when the PEM |intermediate| verifies |leaf| and is
 * verified by the PEM |root|. */
static int issuer_signed(X509 *leaf, const char *intermediate, const char *root)
{
    BIO *bi = BIO_new_mem_buf(intermediate, -1), *br = BIO_new_mem_buf(root, -1);
    X509 *xi = PEM_read_bio_X509(bi, NULL, NULL, NULL);
    X509 *xr = PEM_read_bio_X509(br, NULL, NULL, NULL);
    ck_assert(xi && xr);
    int ok =
        X509_verify(leaf, X509_get0_pubkey(xi)) == 1 && X509_verify(xi, X509_get0_pubkey(xr)) == 1;
    ERR_clear_error();
    X509_free(xi);
    X509_free(xr);
    BIO_free(bi);
    BIO_free(br);
    return ok;
}

/* PEBBLE_ALTERNATE_ROOTS in the model (alt_cas): the certificate URL
 * links one alternate per hierarchy; alternate k is the same leaf (key,
 * serial, names) issued under hierarchy k, links the certificate URL and
 * the other alternate (no "up"); revoking it by an alternate leaf revokes
 * the certificate. Without alt_cas there is no alternate (not flagged:
 * the in-process model is unchanged). */
START_TEST(test_server_alternate_roots)
{
    afz_ca *alt[2] = {afz_ca_new("alt one", AFZ_CLOCK_DEFAULT_EPOCH_MS / 1000),
                      afz_ca_new("alt two", AFZ_CLOCK_DEFAULT_EPOCH_MS / 1000)};
    ck_assert(alt[0] && alt[1]);
    for (int with = 0; with <= 1; with++) {
        t_env t;
        t_init(&t);
        if (with) {
            t.cfg.alt_cas = (const afz_ca *const *)alt;
            t.cfg.n_alt_cas = 2;
        }
        t_start(&t);
        t_account(&t);
        EVP_PKEY *ck = new_key();
        X509 *leaf = NULL;
        cJSON *fin = t_issue(&t, "example.com", ck, &leaf);
        const char *cert_url = afz_json_str(fin, "certificate");
        afz_response r;
        t_post(&t, cert_url, NULL, &r);
        ck_assert_int_eq(r.status, 200);
        ck_assert_uint_eq(link_count(&r, "alternate", NULL), with ? 2 : 0);
        ck_assert_uint_eq(link_count(&r, "up", NULL), 1);
        afz_response_cleanup(&r);
        ck_assert(
            issuer_signed(leaf, afz_ca_intermediate_pem(test_ca()), afz_ca_root_pem(test_ca())));
        for (int k = 1; with && k <= 2; k++) {
            char url[256];
            snprintf(url, sizeof(url), "%s", cert_url);
            char *id = strstr(url, "/cert/");
            ck_assert_ptr_nonnull(id);
            char alt_url[300];
            snprintf(alt_url, sizeof(alt_url), "%.*s/alt-cert/%s-%d", (int)(id - url), url,
                     id + strlen("/cert/"), k);
            t_post(&t, alt_url, NULL, &r);
            ck_assert_msg(r.status == 200, "%s: %d", alt_url, r.status);
            char first[256];
            ck_assert_uint_eq(link_count(&r, "alternate", first), 2);
            ck_assert_str_eq(first, cert_url);
            ck_assert_uint_eq(link_count(&r, "up", NULL), 0);
            X509 *al = NULL;
            ck_assert_int_eq(parse_chain(&r, &al), 2);
            afz_response_cleanup(&r);
            ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(al), X509_get0_pubkey(leaf)), 1);
            ck_assert_int_eq(
                ASN1_INTEGER_cmp(X509_get0_serialNumber(al), X509_get0_serialNumber(leaf)), 0);
            ck_assert_int_ne(X509_NAME_cmp(X509_get_issuer_name(al), X509_get_issuer_name(leaf)),
                             0);
            ck_assert(issuer_signed(al, afz_ca_intermediate_pem(alt[k - 1]),
                                    afz_ca_root_pem(alt[k - 1])));
            ck_assert(!issuer_signed(al, afz_ca_intermediate_pem(alt[2 - k]),
                                     afz_ca_root_pem(alt[2 - k])));
            if (k == 2) {
                /* revoked by the alternate leaf: the certificate is gone */
                afz_buf der = cert_der(al);
                char payload[4096];
                snprintf(payload, sizeof(payload), "{\"certificate\":\"%s\"}", afz_buf_cstr(&der));
                afz_buf_cleanup(&der);
                t_post(&t, U("/revoke-cert"), payload, &r);
                ck_assert_msg(r.status == 200, "revoke: %d %s", r.status, (const char *)r.body);
                afz_response_cleanup(&r);
                t_post(&t, cert_url, NULL, &r);
                ck_assert_int_eq(r.status, 404);
                afz_response_cleanup(&r);
            }
            X509_free(al);
        }
        X509_free(leaf);
        EVP_PKEY_free(ck);
        cJSON_Delete(fin);
        t_free(&t);
    }
    afz_ca_free(alt[0]);
    afz_ca_free(alt[1]);
}
END_TEST

/* ari_cert_id computes RFC 9773's certID of |leaf| the way a client
 * does: base64url(AKI keyIdentifier) "." base64url(serial content). */
static void ari_cert_id(X509 *leaf, char *out, size_t n)
{
    const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(leaf);
    ck_assert_ptr_nonnull(aki);
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
    unsigned char ser[32];
    int len = BN_num_bytes(bn);
    ck_assert(len > 0 && len < 31);
    ser[0] = 0;
    BN_bn2bin(bn, ser + 1);
    BN_free(bn);
    int pad = ser[1] & 0x80 ? 1 : 0; /* DER keeps a positive INTEGER positive */
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(
        afz_b64url_encode(ASN1_STRING_get0_data(aki), (size_t)ASN1_STRING_length(aki), &b), AFZ_OK);
    ck_assert_int_eq(afz_buf_putc(&b, '.'), AFZ_OK);
    ck_assert_int_eq(afz_b64url_encode(ser + 1 - pad, (size_t)(len + pad), &b), AFZ_OK);
    snprintf(out, n, "%s", afz_buf_cstr(&b));
    afz_buf_cleanup(&b);
}

/* ARI (RFC 9773, config.ari): the directory names renewalInfo; GET
 * renewal-info/<certID> answers a window (start < end, inside the
 * validity) with Retry-After; an unknown certID is 404, a malformed one
 * 400, POST 405; newOrder "replaces" is reflected, a second claim on the
 * same certificate is 409 alreadyReplaced, a certID of no certificate of
 * the account is refused. With ari off nothing of it exists (the
 * in-process model is unchanged). */
START_TEST(test_server_ari)
{
    for (int on = 0; on <= 1; on++) {
        t_env t;
        t_init(&t);
        t.cfg.ari = on;
        t_start(&t);
        afz_response r;
        t_plain(&t, "GET", U("/directory"), &r);
        cJSON *d = t_json(&r);
        afz_response_cleanup(&r);
        const char *ri = afz_json_str(d, "renewalInfo");
        if (on)
            ck_assert_str_eq(ri, U("/renewal-info"));
        else
            ck_assert_ptr_null(ri);
        cJSON_Delete(d);
        t_account(&t);
        EVP_PKEY *ck = new_key();
        X509 *leaf = NULL;
        cJSON *fin = t_issue(&t, "example.com", ck, &leaf);
        char id[200], url[300];
        ari_cert_id(leaf, id, sizeof id);
        snprintf(url, sizeof url, "%s/%s", U("/renewal-info"), id);
        t_plain(&t, "GET", url, &r);
        if (!on) {
            ck_assert_int_eq(r.status, 404);
            afz_response_cleanup(&r);
        } else {
            ck_assert_msg(r.status == 200, "%s: %d %s", url, r.status, (const char *)r.body);
            ck_assert_str_eq(afz_headers_get(&r.headers, "Retry-After"), "21600");
            cJSON *j = t_json(&r);
            const cJSON *win = cJSON_GetObjectItemCaseSensitive(j, "suggestedWindow");
            const char *start = afz_json_str(win, "start"), *end = afz_json_str(win, "end");
            ck_assert(start && end);
            ck_assert_int_lt(strcmp(start, end), 0); /* same RFC 3339 shape: text order */
            ASN1_TIME *ts = ASN1_TIME_new();
            char z[32];
            snprintf(z, sizeof z, "%.4s%.2s%.2s%.2s%.2s%.2sZ", start, start + 5, start + 8,
                     start + 11, start + 14, start + 17);
            ck_assert_int_eq(ASN1_TIME_set_string_X509(ts, z), 1);
            ck_assert_int_gt(ASN1_TIME_compare(ts, X509_get0_notBefore(leaf)), 0);
            ck_assert_int_lt(ASN1_TIME_compare(ts, X509_get0_notAfter(leaf)), 0);
            ASN1_TIME_free(ts);
            cJSON_Delete(j);
            afz_response_cleanup(&r);
            /* an unknown serial, a malformed certID, POST */
            char other[220];
            snprintf(other, sizeof other, "%s/%.*s.AQ", U("/renewal-info"),
                     (int)(strchr(id, '.') - id), id);
            t_plain(&t, "GET", other, &r);
            ck_assert_int_eq(r.status, 404);
            afz_response_cleanup(&r);
            t_plain(&t, "GET", U("/renewal-info/no-dot"), &r);
            t_assert_problem(&r, 400, "malformed");
            afz_response_cleanup(&r);
            t_post(&t, url, NULL, &r);
            ck_assert_int_eq(r.status, 405);
            afz_response_cleanup(&r);
            /* replaces: reflected, then alreadyReplaced */
            char payload[600];
            snprintf(payload, sizeof payload,
                     "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"example.com\"}],"
                     "\"replaces\":\"%s\"}",
                     id);
            t_post(&t, U("/new-order"), payload, &r);
            ck_assert_msg(r.status == 201, "%d %s", r.status, (const char *)r.body);
            j = t_json(&r);
            ck_assert_str_eq(afz_json_str(j, "replaces"), id);
            cJSON_Delete(j);
            afz_response_cleanup(&r);
            t_post(&t, U("/new-order"), payload, &r);
            t_assert_problem(&r, 409, "alreadyReplaced");
            afz_response_cleanup(&r);
            /* no identifier in common */
            snprintf(payload, sizeof payload,
                     "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"other.example\"}],"
                     "\"replaces\":\"%s\"}",
                     id);
            t_post(&t, U("/new-order"), payload, &r);
            t_assert_problem(&r, 400, "malformed");
            afz_response_cleanup(&r);
            snprintf(payload, sizeof payload,
                     "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"example.com\"}],"
                     "\"replaces\":\"%s\"}",
                     other + strlen(U("/renewal-info/")));
            t_post(&t, U("/new-order"), payload, &r);
            t_assert_problem(&r, 400, "malformed");
            afz_response_cleanup(&r);
        }
        X509_free(leaf);
        EVP_PKEY_free(ck);
        cJSON_Delete(fin);
        t_free(&t);
    }
}
END_TEST

/* ---- revocation ---- */

START_TEST(test_server_revoke)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    EVP_PKEY *ck = new_key();
    X509 *leaf = NULL;
    cJSON *fin = t_issue(&t, "example.com", ck, &leaf);
    afz_buf der = cert_der(leaf);
    char payload[4096];
    afz_response r;
    /* reason 7 is not a reason */
    snprintf(payload, sizeof(payload), "{\"certificate\":\"%s\",\"reason\":7}", afz_buf_cstr(&der));
    t_post(&t, U("/revoke-cert"), payload, &r);
    t_assert_problem(&r, 400, "badRevocationReason");
    afz_response_cleanup(&r);
    /* another account may not revoke it */
    EVP_PKEY *k2 = new_key();
    t_post_as(&t, U("/new-account"), k2, NULL, "{\"termsOfServiceAgreed\":true}", &r);
    char *kid2 = afz_strdup(afz_headers_get(&r.headers, "Location"));
    afz_response_cleanup(&r);
    snprintf(payload, sizeof(payload), "{\"certificate\":\"%s\",\"reason\":1}", afz_buf_cstr(&der));
    t_post_as(&t, U("/revoke-cert"), k2, kid2, payload, &r);
    t_assert_problem(&r, 403, "unauthorized");
    afz_response_cleanup(&r);
    /* the issuing account may */
    t_post(&t, U("/revoke-cert"), payload, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.body_len, 0);
    afz_response_cleanup(&r);
    const afz_event *ev = find_event(&t, AFZ_EV_CERT_REVOKED);
    ck_assert_str_eq(ev->url, afz_json_str(fin, "certificate"));
    ck_assert_ptr_nonnull(ev->serial);
    /* as Pebble: a revoked certificate is no longer served */
    t_post(&t, afz_json_str(fin, "certificate"), "", &r);
    t_assert_problem(&r, 404, "malformed");
    afz_response_cleanup(&r);
    t_post(&t, U("/revoke-cert"), payload, &r);
    t_assert_problem(&r, 400, "alreadyRevoked");
    afz_response_cleanup(&r);
    afz_buf_cleanup(&der);
    X509_free(leaf);
    cJSON_Delete(fin);

    /* A second certificate, revoked with its own key (jwk). */
    fin = t_issue(&t, "other.example.com", ck, &leaf);
    der = cert_der(leaf);
    snprintf(payload, sizeof(payload), "{\"certificate\":\"%s\"}", afz_buf_cstr(&der));
    t_post_as(&t, U("/revoke-cert"), ck, NULL, payload, &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
    ck_assert_uint_eq(count_events(&t, AFZ_EV_CERT_REVOKED), 2);
    afz_buf_cleanup(&der);
    X509_free(leaf);
    cJSON_Delete(fin);

    /* A certificate this server never issued. */
    BIO *bio = BIO_new_mem_buf(afz_ca_intermediate_pem(test_ca()), -1);
    X509 *inter = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    ck_assert_ptr_nonnull(inter);
    der = cert_der(inter);
    snprintf(payload, sizeof(payload), "{\"certificate\":\"%s\"}", afz_buf_cstr(&der));
    t_post(&t, U("/revoke-cert"), payload, &r);
    t_assert_problem(&r, 404, "malformed");
    afz_response_cleanup(&r);
    afz_buf_cleanup(&der);
    X509_free(inter);
    free(kid2);
    EVP_PKEY_free(k2);
    EVP_PKEY_free(ck);
    t_free(&t);
}
END_TEST

/* ---- hook, determinism, robustness ---- */

static void count_hook(void *ctx, afz_resource kind, size_t occurrence, const afz_request *req,
                       afz_response *resp)
{
    size_t *seen = ctx;
    (void)req;
    ck_assert_uint_eq(occurrence, seen[kind]);
    seen[kind]++;
    if (kind == AFZ_RES_DIRECTORY)
        ck_assert_int_eq(afz_headers_add(&resp->headers, "X-Hooked", "1"), AFZ_OK);
}

START_TEST(test_server_hook)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    size_t seen[AFZ_RES__COUNT] = {0};
    afz_server_set_hook(t.s, count_hook, seen);
    afz_response r;
    for (int i = 0; i < 3; i++) {
        t_plain(&t, "GET", U("/directory"), &r);
        ck_assert_str_eq(afz_headers_get(&r.headers, "X-Hooked"), "1");
        afz_response_cleanup(&r);
    }
    t_fresh_nonce(&t);
    t_account(&t);
    ck_assert_uint_eq(seen[AFZ_RES_DIRECTORY], 3);
    ck_assert_uint_eq(seen[AFZ_RES_NONCE], 1);
    ck_assert_uint_eq(seen[AFZ_RES_ACCOUNT], 1);
    afz_server_set_hook(t.s, NULL, NULL);
    t_free(&t);
}
END_TEST

/* Runs a whole asynchronous issuance; appends every response and the
 * history to |out|. */
static void record_run(afz_buf *out)
{
    (void)test_ca(); /* made before seeding, so both runs start alike */
    afz_detrand_seed(99);
    t_env t;
    t_init(&t);
    t.cfg.async_finalize = 1;
    t.rec = out;
    t_start(&t);
    t_account(&t);
    EVP_PKEY *ck = new_key();
    char *url = NULL;
    cJSON *o = t_order(&t, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", &url);
    t_validate(&t, o);
    afz_response r;
    const char *names[] = {"example.com"};
    t_finalize(&t, o, ck, names, 1, &r);
    afz_response_cleanup(&r);
    cJSON *cur = t_fetch(&t, url, &r);
    afz_response_cleanup(&r);
    t_post(&t, afz_json_str(cur, "certificate"), NULL, &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
    ck_assert_int_eq(afz_history_to_json(&t.hist, out), AFZ_OK);
    EVP_PKEY_free(ck);
    cJSON_Delete(cur);
    cJSON_Delete(o);
    free(url);
    t_free(&t);
}

START_TEST(test_server_determinism)
{
    afz_buf a, b;
    afz_buf_init(&a, 0);
    afz_buf_init(&b, 0);
    record_run(&a);
    record_run(&b);
    ck_assert_uint_gt(a.len, 0);
    ck_assert_uint_eq(a.len, b.len);
    ck_assert_int_eq(memcmp(a.data, b.data, a.len), 0);
    afz_buf_cleanup(&a);
    afz_buf_cleanup(&b);
}
END_TEST

START_TEST(test_server_garbage_bodies)
{
    static const char *const bodies[] = {
        "",
        "{",
        "[]",
        "null",
        "{\"protected\":1}",
        ("{\"protected\":\"\",\"payload\":\"\",\"signature\":\"\"}"),
        "{\"protected\":\"e30\",\"payload\":\"\",\"signature\":\"\"}",
        "{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\",\"payload\":\"\",\"signature\":\"AA\"}",
    };
    static const char *const paths[] = {"/new-account", "/new-order",         "/key-change",
                                        "/revoke-cert", "/order/abc",         "/chall/abc-1",
                                        "/cert/abc/up", "/account/abc/orders"};
    t_env t;
    t_init(&t);
    t_start(&t);
    for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
        for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
            afz_response r;
            t_post_body(&t, U(paths[p]), "application/jose+json", bodies[i], strlen(bodies[i]), &r);
            ck_assert_int_ge(r.status, 400);
            ck_assert_int_lt(r.status, 500);
            ck_assert_ptr_nonnull(afz_headers_get(&r.headers, "Replay-Nonce"));
            afz_response_cleanup(&r);
        }
    }
    t_free(&t);
}
END_TEST

/* ---- strictness at least Pebble's (issue 15, item 6) ---- */

/* RFC 7515 4.1.11: "If any of the listed extension Header Parameters are
 * not understood and supported by the recipient, then the JWS is
 * invalid." No extension is understood, so every crit form is refused. */
static const char *const crit_forms[] = {
    "\"crit\":[\"foo\"],\"foo\":1",
    "\"crit\":[\"b64\"],\"b64\":false",
    "\"crit\":\"foo\"",
    "\"crit\":[]",
};

START_TEST(test_server_crit_refused)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    t_fresh_nonce(&t);
    char used[128];
    snprintf(used, sizeof(used), "%s", t.nonce);
    char hdr[768];
    snprintf(hdr, sizeof(hdr),
             "{\"alg\":\"ES256\",\"nonce\":\"%s\",\"url\":\"%s\",\"kid\":\"%s\",%s}", t.nonce,
             t.kid, t.kid, crit_forms[_i]);
    afz_response r;
    t_post_crafted(&t, t.kid, hdr, "", &r);
    t_assert_problem(&r, 400, "malformed");
    char d[256];
    ck_assert_ptr_nonnull(strstr(problem_detail(&r, d, sizeof(d)), "'crit'"));
    afz_response_cleanup(&r);
    /* Refused before the nonce is spent: the same nonce still works in a
     * correct request (no crit), which must be accepted. */
    afz_buf b;
    t_sign(&t, t.kid, t.key, t.kid, used, NULL, &b);
    t_post_body(&t, t.kid, "application/jose+json", b.data, b.len, &r);
    afz_buf_cleanup(&b);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
    t_free(&t);
}
END_TEST

/* A jwk with private members (RFC 7515 A.3's P-256 key, d included) is
 * refused as an account key; the same key without d parses on. */
START_TEST(test_server_jwk_private_refused)
{
    static const char *const members[] = {"\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"",
                                          "\"p\":\"AAAA\"", "\"k\":\"AAAA\"", NULL};
    t_env t;
    t_init(&t);
    t_start(&t);
    const char *extra = members[_i];
    t_fresh_nonce(&t);
    char hdr[768];
    snprintf(hdr, sizeof(hdr),
             "{\"alg\":\"ES256\",\"nonce\":\"%s\",\"url\":\"%s\",\"jwk\":{\"kty\":\"EC\","
             "\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
             "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"%s%s}}",
             t.nonce, U("/new-account"), extra ? "," : "", extra ? extra : "");
    afz_response r;
    t_post_crafted(&t, U("/new-account"), hdr, "{\"termsOfServiceAgreed\":true}", &r);
    char d[256];
    if (extra) {
        t_assert_problem(&r, 400, "badPublicKey");
        ck_assert_ptr_nonnull(strstr(problem_detail(&r, d, sizeof(d)), "private key member"));
    } else {
        /* The public key is fine; only the crafted signature fails. */
        t_assert_problem(&r, 400, "malformed");
        ck_assert_str_eq(problem_detail(&r, d, sizeof(d)), "JWS verification error");
    }
    afz_response_cleanup(&r);
    t_free(&t);
}
END_TEST

/* A bad signature must not spend the nonce (Pebble and Boulder verify
 * first); a good request spends it as before. */
START_TEST(test_server_bad_signature_keeps_nonce)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    t_account(&t);
    t_fresh_nonce(&t);
    char used[128];
    snprintf(used, sizeof(used), "%s", t.nonce);
    char hdr[512];
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"nonce\":\"%s\",\"url\":\"%s\",\"kid\":\"%s\"}",
             used, t.kid, t.kid);
    afz_response r;
    t_post_crafted(&t, t.kid, hdr, "", &r);
    t_assert_problem(&r, 400, "malformed");
    afz_response_cleanup(&r);
    afz_buf b;
    t_sign(&t, t.kid, t.key, t.kid, used, NULL, &b);
    t_post_body(&t, t.kid, "application/jose+json", b.data, b.len, &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
    /* Spent now: replaying the good request is badNonce. */
    t_post_body(&t, t.kid, "application/jose+json", b.data, b.len, &r);
    afz_buf_cleanup(&b);
    t_assert_problem(&r, 400, "badNonce");
    afz_response_cleanup(&r);
    t_free(&t);
}
END_TEST

/* csr_with_digest: the DER of a CSR for |name| signed with |md|. */
static void csr_with_digest(EVP_PKEY *key, const char *name, const EVP_MD *md, afz_buf *der)
{
    X509_REQ *req = X509_REQ_new();
    ck_assert_ptr_nonnull(req);
    X509_NAME *subj = X509_REQ_get_subject_name(req);
    ck_assert_int_eq(X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC,
                                                (const unsigned char *)name, -1, -1, 0),
                     1);
    ck_assert_int_eq(X509_REQ_set_pubkey(req, key), 1);
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    char san[300];
    snprintf(san, sizeof(san), "DNS:%s", name);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
    ck_assert_ptr_nonnull(ext);
    sk_X509_EXTENSION_push(exts, ext);
    ck_assert_int_eq(X509_REQ_add_extensions(req, exts), 1);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    ck_assert_int_gt(X509_REQ_sign(req, key, md), 0);
    unsigned char *buf = NULL;
    int n = i2d_X509_REQ(req, &buf);
    ck_assert_int_gt(n, 0);
    afz_buf_init(der, 0);
    ck_assert_int_eq(afz_buf_append(der, buf, (size_t)n), AFZ_OK);
    OPENSSL_free(buf);
    X509_REQ_free(req);
}

/* Boulder refuses SHA-1-signed CSRs; so does the model unless
 * allow_weak_csr_digest. A SHA-256 CSR of the same key is accepted. */
START_TEST(test_server_sha1_csr)
{
    int allow = _i == 1, sha256 = _i == 2;
    t_env t;
    t_init(&t);
    t.cfg.allow_weak_csr_digest = allow;
    t_start(&t);
    t_account(&t);
    cJSON *o = t_order(&t, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", NULL);
    t_validate(&t, o);
    EVP_PKEY *ck = new_key();
    afz_buf der, b64, payload;
    csr_with_digest(ck, "example.com", sha256 ? EVP_sha256() : EVP_sha1(), &der);
    afz_buf_init(&b64, 0);
    afz_buf_init(&payload, 0);
    ck_assert_int_eq(afz_b64url_encode(der.data, der.len, &b64), AFZ_OK);
    ck_assert_int_eq(afz_buf_printf(&payload, "{\"csr\":\"%s\"}", afz_buf_cstr(&b64)), AFZ_OK);
    afz_response r;
    t_post(&t, afz_json_str(o, "finalize"), afz_buf_cstr(&payload), &r);
    if (allow || sha256) {
        ck_assert_int_eq(r.status, 200);
    } else {
        t_assert_problem(&r, 400, "badCSR");
        char d[256];
        ck_assert_str_eq(problem_detail(&r, d, sizeof(d)),
                         afz_csr_verdict_detail(AFZ_CSR_WEAK_SIGNATURE));
    }
    afz_response_cleanup(&r);
    afz_buf_cleanup(&der);
    afz_buf_cleanup(&b64);
    afz_buf_cleanup(&payload);
    EVP_PKEY_free(ck);
    cJSON_Delete(o);
    t_free(&t);
}
END_TEST

/* HEAD is allowed wherever GET is (the directory, as Pebble does). */
START_TEST(test_server_head_directory)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    afz_response r;
    t_plain(&t, "HEAD", U("/directory"), &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
    t_plain(&t, "PUT", U("/directory"), &r);
    ck_assert_int_eq(r.status, 405);
    ck_assert_str_eq(afz_headers_get(&r.headers, "Allow"), "GET, HEAD");
    afz_response_cleanup(&r);
    t_free(&t);
}
END_TEST

Suite *server_suite(void)
{
    Suite *s = suite_create("server");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_server_directory);
    tcase_add_test(tc, test_server_nonce_head_get);
    tcase_add_loop_test(tc, test_server_bad_nonce, 0, 3);
    tcase_add_test(tc, test_server_nonce_table_bounded);
    tcase_add_test(tc, test_server_url_mismatch);
    tcase_add_test(tc, test_server_kid_and_jwk);
    tcase_add_test(tc, test_server_jwk_where_kid_required);
    tcase_add_test(tc, test_server_unknown_kid);
    tcase_add_loop_test(tc, test_server_wrong_content_type, 0, 3);
    tcase_add_test(tc, test_server_bad_alg);
    tcase_add_test(tc, test_server_small_rsa_key);
    tcase_add_test(tc, test_server_bad_signature);
    tcase_add_test(tc, test_server_post_as_get_payload);
    tcase_add_test(tc, test_server_unknown_path);
    tcase_add_test(tc, test_server_new_account_existing);
    tcase_add_test(tc, test_server_only_return_existing);
    tcase_add_loop_test(tc, test_server_new_account_refused, 0,
                        (int)(sizeof(bad_accounts) / sizeof(bad_accounts[0])));
    tcase_add_test(tc, test_server_external_account_required);
    tcase_add_test(tc, test_server_account_limit);
    tcase_add_test(tc, test_server_account_limit_evicts_least_recently_used);
    tcase_add_test(tc, test_server_account_update_and_deactivate);
    tcase_add_test(tc, test_server_key_change);
    tcase_add_loop_test(tc, test_server_new_order_refused, 0,
                        (int)(sizeof(bad_orders) / sizeof(bad_orders[0])));
    tcase_add_test(tc, test_server_new_order_limits);
    tcase_add_test(tc, test_server_new_order_shape);
    tcase_add_test(tc, test_server_happy_path_sync);
    tcase_add_test(tc, test_server_finalize_not_ready);
    tcase_add_loop_test(tc, test_server_bad_csr, 0, 3);
    tcase_add_test(tc, test_server_finalize_bad_base64);
    tcase_add_test(tc, test_server_async_finalize);
    tcase_add_test(tc, test_server_authz_pending_polls);
    tcase_add_loop_test(tc, test_server_authz_pending_any_look, 0,
                        (int)(sizeof(authz_looks) / sizeof(authz_looks[0])));
    tcase_add_test(tc, test_server_authz_reuse);
    tcase_add_test(tc, test_server_authz_reuse_percent);
    tcase_add_test(tc, test_server_alternate_roots);
    tcase_add_test(tc, test_server_ari);
    tcase_add_test(tc, test_server_order_ready_at_creation);
    tcase_add_test(tc, test_server_order_expiry);
    tcase_add_test(tc, test_server_order_limit_evicts_expired);
    tcase_add_test(tc, test_server_revoke);
    tcase_add_test(tc, test_server_hook);
    tcase_add_test(tc, test_server_determinism);
    tcase_add_test(tc, test_server_garbage_bodies);
    tcase_add_loop_test(tc, test_server_crit_refused, 0,
                        (int)(sizeof(crit_forms) / sizeof(crit_forms[0])));
    tcase_add_loop_test(tc, test_server_jwk_private_refused, 0, 4);
    tcase_add_test(tc, test_server_bad_signature_keeps_nonce);
    tcase_add_loop_test(tc, test_server_sha1_csr, 0, 3);
    tcase_add_test(tc, test_server_head_directory);
    suite_add_tcase(s, tc);
    return s;
}
