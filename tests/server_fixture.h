/* server_fixture.h - a test client for the ACME server model: requests
 * signed by afz_jws_sign, sent straight to afz_server_handle, with
 * assertions (Check) on every step. Shared by check_server.c and
 * check_validation.c; the definitions are in server_fixture.c. */
#ifndef AFZ_SERVER_FIXTURE_H
#define AFZ_SERVER_FIXTURE_H

#include <check.h>
#include <openssl/x509.h>

#include "afz_buf.h"
#include "afz_ca.h"
#include "afz_history.h"
#include "afz_json.h"
#include "afz_prng.h"
#include "afz_server.h"

#define BASE "https://acme.test"

typedef struct t_env {
    afz_clock clock;
    afz_prng prng;
    afz_history hist;
    afz_server_config cfg;
    afz_server *s;
    char nonce[128];
    EVP_PKEY *key; /* account key */
    char *kid;     /* account URL */
    afz_buf *rec;  /* when set, every response is appended here */
} t_env;

afz_ca *test_ca(void);
const char *U(const char *path);
void t_init(t_env *t);
void t_start(t_env *t);
void t_free(t_env *t);
EVP_PKEY *new_key(void);
void t_send(t_env *t, const afz_request *req, afz_response *resp);
void t_plain(t_env *t, const char *method, const char *url, afz_response *resp);
void t_fresh_nonce(t_env *t);
void t_post_body(t_env *t, const char *url, const char *ctype, const void *body, size_t n,
                 afz_response *resp);
void t_sign(t_env *t, const char *url, EVP_PKEY *key, const char *kid, const char *nonce,
            const char *payload, afz_buf *out);
void t_post_as(t_env *t, const char *url, EVP_PKEY *key, const char *kid, const char *payload,
               afz_response *resp);
void t_post(t_env *t, const char *url, const char *payload, afz_response *resp);
void t_post_crafted(t_env *t, const char *url, const char *protected_json, const char *payload,
                    afz_response *resp);
cJSON *t_json(const afz_response *r);
void t_assert_problem(const afz_response *r, int status, const char *type);
const char *problem_detail(const afz_response *r, char *buf, size_t n);
void t_account(t_env *t);
cJSON *t_order(t_env *t, const char *ids_json, char **url);
cJSON *t_fetch(t_env *t, const char *url, afz_response *r);
const char *authz_url(const cJSON *order, int i);
void t_validate(t_env *t, const cJSON *order);
void t_finalize(t_env *t, const cJSON *order, EVP_PKEY *cert_key, const char *const *names,
                size_t n, afz_response *r);
size_t count_events(const t_env *t, afz_event_kind k);
const afz_event *find_event(const t_env *t, afz_event_kind k);
int parse_chain(const afz_response *r, X509 **leaf);
afz_buf cert_der(X509 *x);
cJSON *t_issue(t_env *t, const char *name, EVP_PKEY *cert_key, X509 **leaf);

#endif
