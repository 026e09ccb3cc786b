/* server_fixture.c - see server_fixture.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/bio.h>
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

/* ---- fixture ---- */

/* One CA per process, as in fuzz runs; it stays reachable until exit. */
afz_ca *test_ca(void)
{
    static afz_ca *ca;
    if (!ca)
        ca = afz_ca_new("check_server", AFZ_CLOCK_DEFAULT_EPOCH_MS / 1000);
    ck_assert_ptr_nonnull(ca);
    return ca;
}

const char *U(const char *path)
{
    static char ring[8][256];
    static size_t next;
    char *p = ring[next++ % 8];
    snprintf(p, 256, "%s%s", BASE, path);
    return p;
}

/* t_init prepares defaults; tests may edit t->cfg before t_start. */
void t_init(t_env *t)
{
    memset(t, 0, sizeof(*t));
    afz_clock_init(&t->clock, AFZ_CLOCK_DEFAULT_EPOCH_MS);
    afz_prng_seed(&t->prng, 7);
    afz_history_init(&t->hist);
    afz_server_config_default(&t->cfg);
    t->cfg.base_url = BASE;
}

void t_start(t_env *t)
{
    t->s = afz_server_new(&t->cfg, test_ca(), &t->clock, &t->prng, &t->hist);
    ck_assert_ptr_nonnull(t->s);
}

void t_free(t_env *t)
{
    afz_server_free(t->s);
    afz_history_cleanup(&t->hist);
    EVP_PKEY_free(t->key);
    free(t->kid);
}

EVP_PKEY *new_key(void)
{
    EVP_PKEY *k = NULL;
    ck_assert_int_eq(afz_key_generate(AFZ_ALG_ES256, &k), AFZ_OK);
    return k;
}

void t_send(t_env *t, const afz_request *req, afz_response *resp)
{
    ck_assert_int_eq(afz_server_handle(t->s, req, resp, NULL), AFZ_OK);
    if (t->rec) {
        ck_assert_int_eq(afz_buf_printf(t->rec, "%d\n", resp->status), AFZ_OK);
        for (size_t i = 0; i < resp->headers.n; i++)
            ck_assert_int_eq(afz_buf_printf(t->rec, "%s: %s\n", resp->headers.v[i].name,
                                            resp->headers.v[i].value),
                             AFZ_OK);
        ck_assert_int_eq(afz_buf_append(t->rec, resp->body, resp->body_len), AFZ_OK);
    }
    const char *n = afz_headers_get(&resp->headers, "Replay-Nonce");
    if (n)
        snprintf(t->nonce, sizeof(t->nonce), "%s", n);
}

void t_plain(t_env *t, const char *method, const char *url, afz_response *resp)
{
    afz_request req;
    ck_assert_int_eq(afz_request_init(&req, method, url), AFZ_OK);
    t_send(t, &req, resp);
    afz_request_cleanup(&req);
}

void t_fresh_nonce(t_env *t)
{
    afz_response r;
    t_plain(t, "HEAD", U("/new-nonce"), &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
}

void t_post_body(t_env *t, const char *url, const char *ctype, const void *body, size_t n,
                 afz_response *resp)
{
    afz_request req;
    ck_assert_int_eq(afz_request_init(&req, "POST", url), AFZ_OK);
    if (ctype)
        ck_assert_int_eq(afz_headers_add(&req.headers, "Content-Type", ctype), AFZ_OK);
    ck_assert_int_eq(afz_request_set_body(&req, body, n), AFZ_OK);
    t_send(t, &req, resp);
    afz_request_cleanup(&req);
}

/* Signs |payload| (NULL: POST-as-GET) for |url| with |key| and |kid|
 * (NULL: embedded jwk), using |nonce| or the last one the server gave. */
void t_sign(t_env *t, const char *url, EVP_PKEY *key, const char *kid, const char *nonce,
            const char *payload, afz_buf *out)
{
    if (!nonce) {
        if (!t->nonce[0])
            t_fresh_nonce(t);
        nonce = t->nonce;
    }
    afz_jws_sign_params p = {.key = key, .kid = kid, .nonce = nonce, .url = url};
    afz_buf_init(out, 0);
    ck_assert_int_eq(afz_jws_sign(&p, payload ? payload : "", payload ? strlen(payload) : 0, out),
                     AFZ_OK);
}

void t_post_as(t_env *t, const char *url, EVP_PKEY *key, const char *kid, const char *payload,
               afz_response *resp)
{
    afz_buf b;
    t_sign(t, url, key, kid, NULL, payload, &b);
    t_post_body(t, url, "application/jose+json", b.data, b.len, resp);
    afz_buf_cleanup(&b);
}

/* POST as the test account. */
void t_post(t_env *t, const char *url, const char *payload, afz_response *resp)
{
    t_post_as(t, url, t->key, t->kid, payload, resp);
}

/* Posts a JWS with a hand-made protected header and a dummy signature,
 * for checks that come before signature verification. */
void t_post_crafted(t_env *t, const char *url, const char *protected_json, const char *payload,
                    afz_response *resp)
{
    afz_buf h, p, body;
    afz_buf_init(&h, 0);
    afz_buf_init(&p, 0);
    afz_buf_init(&body, 0);
    ck_assert_int_eq(afz_b64url_encode(protected_json, strlen(protected_json), &h), AFZ_OK);
    ck_assert_int_eq(afz_b64url_encode(payload, strlen(payload), &p), AFZ_OK);
    ck_assert_int_eq(afz_buf_printf(&body,
                                    "{\"protected\":\"%s\",\"payload\":\"%s\","
                                    "\"signature\":\"AAAA\"}",
                                    afz_buf_cstr(&h), afz_buf_cstr(&p)),
                     AFZ_OK);
    t_post_body(t, url, "application/jose+json", body.data, body.len, resp);
    afz_buf_cleanup(&h);
    afz_buf_cleanup(&p);
    afz_buf_cleanup(&body);
}

cJSON *t_json(const afz_response *r)
{
    cJSON *j = NULL;
    ck_assert_msg(afz_json_parse(r->body, r->body_len, &j) == AFZ_OK, "not JSON: %s",
                  r->body ? (const char *)r->body : "(none)");
    return j;
}

void t_assert_problem(const afz_response *r, int status, const char *type)
{
    ck_assert_msg(r->status == status, "status %d, want %d: %s", r->status, status,
                  r->body ? (const char *)r->body : "");
    ck_assert_str_eq(afz_headers_get(&r->headers, "Content-Type"), "application/problem+json");
    cJSON *j = t_json(r);
    char want[128];
    snprintf(want, sizeof(want), "urn:ietf:params:acme:error:%s", type);
    ck_assert_str_eq(afz_json_str(j, "type"), want);
    ck_assert_int_eq(cJSON_GetObjectItem(j, "status")->valueint, status);
    ck_assert_ptr_nonnull(afz_json_str(j, "detail"));
    cJSON_Delete(j);
}

const char *problem_detail(const afz_response *r, char *buf, size_t n)
{
    cJSON *j = t_json(r);
    snprintf(buf, n, "%s", afz_json_str(j, "detail"));
    cJSON_Delete(j);
    return buf;
}

void t_account(t_env *t)
{
    t->key = new_key();
    afz_response r;
    t_post_as(t, U("/new-account"), t->key, NULL,
              "{\"termsOfServiceAgreed\":true,\"contact\":[\"mailto:admin@example.com\"]}", &r);
    ck_assert_int_eq(r.status, 201);
    t->kid = afz_strdup(afz_headers_get(&r.headers, "Location"));
    ck_assert_ptr_nonnull(t->kid);
    afz_response_cleanup(&r);
}

/* Creates an order; returns its JSON and (if asked) its URL. */
cJSON *t_order(t_env *t, const char *ids_json, char **url)
{
    char payload[1024];
    snprintf(payload, sizeof(payload), "{\"identifiers\":%s}", ids_json);
    afz_response r;
    t_post(t, U("/new-order"), payload, &r);
    ck_assert_msg(r.status == 201, "newOrder: %d %s", r.status, (const char *)r.body);
    if (url)
        *url = afz_strdup(afz_headers_get(&r.headers, "Location"));
    cJSON *j = t_json(&r);
    afz_response_cleanup(&r);
    return j;
}

cJSON *t_fetch(t_env *t, const char *url, afz_response *r)
{
    t_post(t, url, NULL, r);
    ck_assert_msg(r->status == 200, "fetch %s: %d %s", url, r->status, (const char *)r->body);
    return t_json(r);
}

const char *authz_url(const cJSON *order, int i)
{
    return cJSON_GetArrayItem(afz_json_array(order, "authorizations"), i)->valuestring;
}

/* POSTs {} to the first challenge of every authorization of |order|, then
 * polls each authorization until it is valid. */
void t_validate(t_env *t, const cJSON *order)
{
    int n = cJSON_GetArraySize(afz_json_array(order, "authorizations"));
    for (int i = 0; i < n; i++) {
        afz_response r;
        cJSON *az = t_fetch(t, authz_url(order, i), &r);
        afz_response_cleanup(&r);
        if (strcmp(afz_json_str(az, "status"), "pending") == 0) {
            const cJSON *ch = cJSON_GetArrayItem(afz_json_array(az, "challenges"), 0);
            t_post(t, afz_json_str(ch, "url"), "{}", &r);
            ck_assert_int_eq(r.status, 200);
            afz_response_cleanup(&r);
        }
        cJSON_Delete(az);
        for (int k = 0; k < 20; k++) {
            az = t_fetch(t, authz_url(order, i), &r);
            afz_response_cleanup(&r);
            int valid = strcmp(afz_json_str(az, "status"), "valid") == 0;
            cJSON_Delete(az);
            if (valid)
                break;
            ck_assert_int_lt(k, 19);
        }
    }
}

void t_finalize(t_env *t, const cJSON *order, EVP_PKEY *cert_key, const char *const *names,
                size_t n, afz_response *r)
{
    afz_buf der, b64, payload;
    afz_buf_init(&der, 0);
    afz_buf_init(&b64, 0);
    afz_buf_init(&payload, 0);
    ck_assert_int_eq(afz_csr_build(cert_key, names, n, &der), AFZ_OK);
    ck_assert_int_eq(afz_b64url_encode(der.data, der.len, &b64), AFZ_OK);
    ck_assert_int_eq(afz_buf_printf(&payload, "{\"csr\":\"%s\"}", afz_buf_cstr(&b64)), AFZ_OK);
    t_post(t, afz_json_str(order, "finalize"), afz_buf_cstr(&payload), r);
    afz_buf_cleanup(&der);
    afz_buf_cleanup(&b64);
    afz_buf_cleanup(&payload);
}

size_t count_events(const t_env *t, afz_event_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < t->hist.n_ev; i++)
        n += t->hist.ev[i].kind == k;
    return n;
}

const afz_event *find_event(const t_env *t, afz_event_kind k)
{
    for (size_t i = 0; i < t->hist.n_ev; i++)
        if (t->hist.ev[i].kind == k)
            return &t->hist.ev[i];
    return NULL;
}

/* Parses a PEM chain; returns the number of certificates, leaf in *leaf. */
int parse_chain(const afz_response *r, X509 **leaf)
{
    BIO *bio = BIO_new_mem_buf(r->body, (int)r->body_len);
    ck_assert_ptr_nonnull(bio);
    int n = 0;
    X509 *x;
    *leaf = NULL;
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (n++ == 0)
            *leaf = x;
        else
            X509_free(x);
    }
    BIO_free(bio);
    return n;
}

afz_buf cert_der(X509 *x)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    unsigned char *p = NULL;
    int n = i2d_X509(x, &p);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(afz_b64url_encode(p, (size_t)n, &b), AFZ_OK);
    OPENSSL_free(p);
    return b;
}

/* Runs a whole issuance for |name| and returns the order URL and leaf. */
cJSON *t_issue(t_env *t, const char *name, EVP_PKEY *cert_key, X509 **leaf)
{
    char ids[300];
    snprintf(ids, sizeof(ids), "[{\"type\":\"dns\",\"value\":\"%s\"}]", name);
    cJSON *o = t_order(t, ids, NULL);
    t_validate(t, o);
    afz_response r;
    const char *names[] = {name};
    t_finalize(t, o, cert_key, names, 1, &r);
    ck_assert_int_eq(r.status, 200);
    cJSON *fin = t_json(&r);
    afz_response_cleanup(&r);
    ck_assert_str_eq(afz_json_str(fin, "status"), "valid");
    t_post(t, afz_json_str(fin, "certificate"), NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(parse_chain(&r, leaf), 2);
    afz_response_cleanup(&r);
    cJSON_Delete(o);
    return fin;
}
