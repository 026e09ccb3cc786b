/* afz_server_internal.h - what the afz_server_*.c files share: the state
 * of the ACME server model (accounts, orders, authorizations, nonces),
 * the parsed route of a request, the authenticated JWS, and the helpers
 * that write JSON and problem documents. Not part of the public API.
 *
 * Files:
 *   afz_server.c          construction, routing, directory, newNonce, the
 *                         common response tail (nonce, Link, hook)
 *   afz_server_util.c     JSON writer, problem documents, ids, RFC 3339,
 *                         DNS name and contact syntax
 *   afz_server_jws.c      nonces and request authentication (RFC 8555 6.2-6.5)
 *   afz_server_account.c  newAccount, account, keyChange
 *   afz_server_order.c    newOrder, order, authorization, challenge and the
 *                         lazy state machines
 *   afz_server_cert.c     finalize, issuance, certificate, revokeCert
 *
 * Conventions: a handler returns AFZ_OK when it filled |resp| (success or
 * problem document alike) and AFZ_ENOMEM when it could not; the dispatcher
 * then answers 500 serverInternal. */
#ifndef AFZ_SERVER_INTERNAL_H
#define AFZ_SERVER_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "afz_acme.h"
#include "afz_buf.h"
#include "afz_jose.h"
#include "afz_json.h"
#include "afz_server.h"

/* Object ids are 16 lower-case hex digits from the run's PRNG. */
#define SRV_ID_LEN 16
/* A nonce is the base64url form of 16 PRNG bytes. */
#define SRV_NONCE_LEN 22
/* A challenge token is the base64url form of 32 PRNG bytes. */
#define SRV_TOKEN_LEN 43
/* RFC 8555 leaves the bound to the CA; Let's Encrypt allows 100 names. */
#define SRV_MAX_IDENTIFIERS 100
#define SRV_MAX_CONTACTS 10
#define SRV_MAX_CONTACT_LEN 320
/* Request bodies above this are refused before any parsing. */
#define SRV_MAX_BODY ((size_t)256 * 1024)
/* Untrusted text echoed in a problem detail is cut to this many bytes. */
#define SRV_ECHO_MAX 128

/* Object statuses are afz_status (afz_acme.h), the one ACME vocabulary. */

typedef struct afz_srv_account {
    char id[SRV_ID_LEN + 1];
    char *url;
    char *orders_url;
    EVP_PKEY *key;  /* owned */
    char *thumb;    /* base64url JWK thumbprint of key, owned */
    char **contact; /* owned strings, validated mailto: URIs */
    size_t n_contact;
    int deactivated;
    char *jwk_json;     /* the public JWK, compact JSON, owned: the account
                           object's "key" field (as Boulder and Pebble give it) */
    uint64_t last_used; /* afz_server.acct_tick at its latest request: the
                           least recently used account is evicted first */
} afz_srv_account;

typedef enum afz_srv_chall_type { SRV_HTTP01 = 0, SRV_DNS01, SRV_TLSALPN01 } afz_srv_chall_type;

/* Who decides a challenge's validation (afz_server_set_validator). */
typedef enum afz_srv_ext {
    SRV_EXT_NONE = 0, /* the model: valid after the configured delay and polls */
    SRV_EXT_PENDING,  /* the validator took it; no result yet */
    SRV_EXT_OK,       /* the validator found the key authorization */
    SRV_EXT_FAILED    /* the validator did not: err_type, err_detail */
} afz_srv_ext;

typedef struct afz_srv_chall {
    afz_srv_chall_type type;
    afz_status status; /* pending, processing, valid, invalid */
    char token[SRV_TOKEN_LEN + 1];
    int64_t validated_ms; /* mono time it became valid */
    afz_srv_ext ext;
    const char *err_type; /* static ACME error type suffix, when failed */
    char *err_detail;     /* owned, when failed */
} afz_srv_chall;

typedef struct afz_srv_authz {
    char id[SRV_ID_LEN + 1];
    char *url;
    afz_srv_account *acct;
    char *value; /* identifier value without "*." */
    char *name;  /* order form: "*.value" when wildcard */
    int wildcard;
    afz_status status;  /* pending, valid, expired, deactivated */
    int64_t expires_ms; /* mono */
    afz_srv_chall chall[3];
    size_t n_chall;
    int active;         /* challenge being validated, -1: none */
    int64_t started_ms; /* mono time of the challenge POST */
    uint32_t polls;     /* looks since the POST: POST-as-GETs of it,
                         * its challenges or an order listing it */
    size_t refs;        /* orders that hold it */
} afz_srv_authz;

typedef struct afz_srv_order {
    char id[SRV_ID_LEN + 1];
    char *url;
    char *finalize_url;
    afz_srv_account *acct;
    char **names;          /* identifier values, "*.x" for wildcards */
    afz_srv_authz **authz; /* parallel to names; one reference each */
    size_t n_names;
    char *names_joined;     /* sorted, comma-joined, for events */
    afz_status status;      /* pending ready processing valid invalid */
    int64_t expires_ms;     /* mono */
    const char *err_type;   /* static; set when invalid */
    const char *err_detail; /* static */
    /* finalize */
    EVP_PKEY *csr_key; /* owned while processing */
    int64_t finalized_ms;
    uint32_t polls; /* order URL polls counted while processing */
    /* cert_url_early: the id the certificate will have, drawn when
     * finalize is accepted ("" otherwise) */
    char early_cert_id[SRV_ID_LEN + 1];
    /* certificate, once issued */
    char cert_id[SRV_ID_LEN + 1];
    char *cert_url;
    char *cert_up_url;
    char *cert_pem;
    size_t cert_pem_len;
    char **alt_pem; /* cfg.n_alt_cas chains from the alternate CAs */
    size_t *alt_pem_len;
    size_t n_alt;
    char *ari_id;                      /* RFC 9773 certID of the main leaf (config.ari) */
    char *replaces;                    /* newOrder's "replaces", when accepted (config.ari) */
    const afz_server_profile *profile; /* config.profiles entry; NULL: none */
    int64_t issued_ms;                 /* mono time of issuance */
    uint64_t serial;
    char serial_hex[17];
    int revoked;
} afz_srv_order;

typedef struct afz_srv_nonce {
    char v[SRV_NONCE_LEN + 1];
    int live;
    int64_t issued_ms;
} afz_srv_nonce;

struct afz_server {
    afz_server_config cfg;
    char *base; /* base_url, owned copy */
    size_t base_len;
    char *dir_url;
    char *index_link; /* <dir>;rel="index" */
    char *new_account_url, *new_order_url, *revoke_url, *key_change_url;
    char *directory_json;
    size_t directory_len;
    const afz_ca *ca;
    afz_clock *clock;
    afz_prng *prng;
    afz_history *hist;
    afz_server_response_hook hook;
    void *hook_ctx;
    afz_server_request_hook req_hook;
    void *req_hook_ctx;
    afz_server_validator validator;
    void *validator_ctx;
    size_t occurrence[AFZ_RES__COUNT];
    /* nonces: append until max_nonces, then a ring over the oldest */
    afz_srv_nonce *nonces;
    size_t n_nonces, cap_nonces, nonce_head;
    afz_srv_account **accts;
    size_t n_accts, cap_accts;
    uint64_t acct_tick; /* counts account uses (afz_srv_account.last_used) */
    afz_srv_order **orders;
    size_t n_orders, cap_orders;
    afz_srv_authz **authzs;
    size_t n_authzs, cap_authzs;
    size_t max_authzs;
    afz_buf scratch; /* reused for short encodings */
    /* The parse of the body of the request being (or last) served, when
     * afz_srv_authenticate made one that succeeded (afz_srv_auth_cleanup moves
     * it here); owned until afz_server_take_request_jws gives it away,
     * freed by the next afz_server_handle. */
    afz_jws *req_jws;
};

/* Which operation a URL names. */
typedef enum afz_srv_op {
    SRV_OP_UNKNOWN = 0,
    SRV_OP_DIRECTORY,
    SRV_OP_NONCE,
    SRV_OP_NEW_ACCOUNT,
    SRV_OP_ACCOUNT,
    SRV_OP_ACCOUNT_ORDERS,
    SRV_OP_NEW_ORDER,
    SRV_OP_ORDER,
    SRV_OP_AUTHZ,
    SRV_OP_CHALLENGE,
    SRV_OP_FINALIZE,
    SRV_OP_CERT,
    SRV_OP_CERT_UP,
    SRV_OP_CERT_ALT,
    SRV_OP_REVOKE,
    SRV_OP_KEY_CHANGE,
    SRV_OP_RENEWAL_INFO /* appended: RFC 9773 renewalInfo (config.ari) */
} afz_srv_op;

typedef struct afz_srv_route {
    afz_srv_op op;
    afz_resource kind;
    const char *id; /* points into the request URL; not NUL-terminated */
    size_t id_len;
    int chall_index; /* SRV_OP_CHALLENGE: which challenge of the authz */
} afz_srv_route;

/* What the request's key may be. */
typedef enum afz_srv_keymode { SRV_KEY_KID, SRV_KEY_JWK, SRV_KEY_EITHER } afz_srv_keymode;

/* An authenticated POST. |acct| is set when the JWS named a kid; |jwk_key|
 * (owned) when it embedded a jwk. */
typedef struct afz_srv_auth {
    afz_jws jws;
    afz_srv_account *acct;
    EVP_PKEY *jwk_key;
    /* set by afz_srv_authenticate when |jws| is a successful parse of the
     * request body: afz_srv_auth_cleanup hands it to server->req_jws */
    afz_server *keep_to;
} afz_srv_auth;

/* ---- JSON writer (afz_server_util.c): appends with a sticky error ---- */

typedef struct afz_srv_w {
    afz_buf b;
    afz_rc rc;
} afz_srv_w;

void afz_srv_w_init(afz_srv_w *w);
void afz_srv_w_cleanup(afz_srv_w *w);
void afz_srv_w_raw(afz_srv_w *w, const char *s);
/* afz_srv_w_str writes |s| as a JSON string; bytes outside printable ASCII
 * are escaped or replaced so the output is always valid UTF-8 JSON. */
void afz_srv_w_str(afz_srv_w *w, const char *s);
/* afz_srv_w_strn is afz_srv_w_str over |n| bytes that need not be terminated. */
void afz_srv_w_strn(afz_srv_w *w, const char *s, size_t n);
void afz_srv_w_fmt(afz_srv_w *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* afz_srv_w_time writes mono time |mono_ms| as a quoted RFC 3339 UTC time. */
void afz_srv_w_time(afz_srv_w *w, const afz_server *s, int64_t mono_ms);
/* afz_srv_w_finish moves the text into |resp| as its body with |status| and
 * Content-Type |ctype|. Returns the sticky error. */
afz_rc afz_srv_w_finish(afz_srv_w *w, afz_response *resp, int status, const char *ctype);

/* ---- problems and small helpers (afz_server_util.c) ---- */

/* afz_srv_problem fills |resp| with an RFC 7807 problem document of type
 * urn:ietf:params:acme:error:|type|. |extra| (may be NULL) is raw JSON
 * text starting with ',' appended inside the object. */
afz_rc afz_srv_problem(afz_response *resp, int status, const char *type, const char *extra,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* afz_srv_new_id writes SRV_ID_LEN hex digits from the PRNG. */
void afz_srv_new_id(afz_server *s, char out[SRV_ID_LEN + 1]);
/* afz_srv_b64_random writes the base64url form of |n| PRNG bytes (n <= 32). */
afz_rc afz_srv_b64_random(afz_server *s, size_t n, char *out, size_t out_size);
/* afz_srv_url builds base + |mid| + |id| + |tail| (tail may be NULL). */
char *afz_srv_url(const afz_server *s, const char *mid, const char *id, const char *tail);
int64_t afz_srv_now(const afz_server *s);
/* afz_srv_deadline returns now + |seconds| (saturating). */
int64_t afz_srv_deadline(const afz_server *s, int64_t seconds);
/* afz_srv_event records a server event at the current virtual time. */
void afz_srv_event(afz_server *s, afz_event_kind kind, const char *url, const char *related,
                   const char *identifiers, const char *serial, const char *detail);
afz_rc afz_srv_add_header(afz_response *resp, const char *name, const char *value);
/* afz_srv_add_retry_after adds Retry-After: |seconds| when seconds >= 0, as
 * delta-seconds, or with |as_date| as the HTTP-date now + seconds (rounded
 * up to the next whole second so it never names an earlier instant). */
afz_rc afz_srv_add_retry_after(const afz_server *s, afz_response *resp, int64_t seconds,
                               int as_date);
afz_rc afz_srv_add_link(afz_response *resp, const char *url, const char *rel);

/* Why a DNS identifier is refused, or NULL when it is acceptable. On
 * success |out| (size >= 254 + 2) receives the lower-cased name. */
const char *afz_srv_dns_name_check(const char *value, char *out, size_t out_size);
/* afz_srv_name_blocked says whether |name| (lower-case, may start "*.") is
 * config.blocked_names or a subdomain of one of them. */
int afz_srv_name_blocked(const afz_server *s, const char *name);
/* afz_srv_contact_check validates one contact URI: returns NULL when fine,
 * else sets *type to "unsupportedContact" or "invalidContact" and returns
 * the detail. */
const char *afz_srv_contact_check(const cJSON *c, const char **type);

/* ---- nonces and authentication (afz_server_jws.c) ---- */

/* afz_srv_nonce_issue mints a nonce and adds it as Replay-Nonce to |resp|. */
afz_rc afz_srv_nonce_issue(afz_server *s, afz_response *resp);
/* afz_srv_nonce_new issues a nonce into |out| (SRV_NONCE_LEN + 1 bytes). */
afz_rc afz_srv_nonce_new(afz_server *s, char out[SRV_NONCE_LEN + 1]);
void afz_srv_nonces_free(afz_server *s);
/* afz_srv_authenticate runs the RFC 8555 6.2-6.5 checks in order. AFZ_OK:
 * |auth| is ready (clean it with afz_srv_auth_cleanup either way). AFZ_EPROTO:
 * |resp| holds the problem document. AFZ_ENOMEM. */
afz_rc afz_srv_authenticate(afz_server *s, const afz_request *req, afz_srv_keymode mode,
                            afz_srv_auth *auth, afz_response *resp);
void afz_srv_auth_cleanup(afz_srv_auth *auth);
/* afz_srv_req_jws_drop frees s->req_jws, if any. */
void afz_srv_req_jws_drop(afz_server *s);
/* afz_srv_key_acceptable returns NULL when |key| may be an account key, else
 * the badPublicKey detail. */
const char *afz_srv_key_acceptable(const afz_server *s, EVP_PKEY *key);
/* afz_srv_alg_refused returns NULL when the JWS "alg" |alg| is one this server
 * verifies, else the problem's ",\"algorithms\":[...]" member for
 * badSignatureAlgorithm (RFC 8555 6.2): NONE always, ES512 under
 * strict_keys. A static string. */
const char *afz_srv_alg_refused(const afz_server *s, afz_jws_alg alg);
/* afz_srv_require_empty answers 400 malformed and returns AFZ_EPROTO unless
 * the payload is the empty string (POST-as-GET, RFC 8555 6.3). */
afz_rc afz_srv_require_empty(const afz_srv_auth *auth, afz_response *resp);
/* afz_srv_payload_object parses the payload as a JSON object, or answers 400
 * malformed and returns AFZ_EPROTO. */
afz_rc afz_srv_payload_object(const afz_srv_auth *auth, afz_response *resp, cJSON **out);
afz_rc afz_srv_unauthorized(afz_response *resp, const char *what);
afz_rc afz_srv_not_found(afz_response *resp, const char *what);

/* ---- accounts (afz_server_account.c) ---- */

afz_rc afz_srv_new_account(afz_server *s, const afz_request *req, afz_response *resp);
/* afz_srv_eab_check verifies a newAccount's externalAccountBinding |eab|
 * (RFC 8555 7.3.4) against config.eab_keys, for the outer request |outer|
 * whose account key has thumbprint |thumb|. AFZ_OK: it binds. AFZ_EPROTO:
 * |resp| holds the problem (afz_server_eab.c lists them). AFZ_ENOMEM,
 * AFZ_ECRYPTO. */
afz_rc afz_srv_eab_check(afz_server *s, const cJSON *eab, const afz_srv_auth *outer,
                         const char *thumb, afz_response *resp);
afz_rc afz_srv_account_op(afz_server *s, const afz_request *req, const afz_srv_route *rt,
                          afz_response *resp);
afz_rc afz_srv_key_change(afz_server *s, const afz_request *req, afz_response *resp);
afz_srv_account *afz_srv_account_by_url(const afz_server *s, const char *url);
void afz_srv_account_free(afz_srv_account *a);

/* ---- orders, authorizations, challenges (afz_server_order.c) ---- */

afz_rc afz_srv_new_order(afz_server *s, const afz_request *req, afz_response *resp);
afz_rc afz_srv_order_op(afz_server *s, const afz_request *req, const afz_srv_route *rt,
                        afz_response *resp);
afz_rc afz_srv_authz_op(afz_server *s, const afz_request *req, const afz_srv_route *rt,
                        afz_response *resp);
afz_rc afz_srv_challenge_op(afz_server *s, const afz_request *req, const afz_srv_route *rt,
                            afz_response *resp);
afz_srv_order *afz_srv_order_find(const afz_server *s, const char *id, size_t n);
/* afz_srv_order_refresh applies virtual time and authorization states to the
 * order; |poll| says this access is a poll that counts (a POST-as-GET of
 * the order URL). A poll of a pending order also counts as a look at each
 * authorization it lists, so polling the order alone advances validation. */
void afz_srv_order_refresh(afz_server *s, afz_srv_order *o, int poll);
/* afz_srv_order_fail makes the order invalid with an error of |type| (static
 * strings) and records ORDER_INVALID. */
void afz_srv_order_fail(afz_server *s, afz_srv_order *o, const char *type, const char *detail);
/* afz_srv_order_respond answers |status| with the order object (and
 * Retry-After while it is processing). */
afz_rc afz_srv_order_respond(afz_server *s, afz_srv_order *o, int status, afz_response *resp);
void afz_srv_order_free(afz_srv_order *o);

/* ---- renewal information, RFC 9773 (afz_server_ari.c) ---- */

/* The size of one identifier value buffer (a DNS name, "*." included). */
#define SRV_NAME_MAX_BUF 258
/* afz_srv_ari_cert_id computes the certID of the first certificate of the PEM
 * |pem| into *out (caller frees). AFZ_ECRYPTO when it has no AKI. */
afz_rc afz_srv_ari_cert_id(const char *pem, size_t len, char **out);
/* afz_srv_ari_find returns the order whose certificate has certID |id|. */
afz_srv_order *afz_srv_ari_find(const afz_server *s, const char *id, size_t n);
/* afz_srv_renewal_info answers GET <base>/renewal-info/<certID>. */
afz_rc afz_srv_renewal_info(afz_server *s, const afz_request *req, const afz_srv_route *rt,
                            afz_response *resp);
/* afz_srv_ari_replaces checks newOrder's "replaces" in |payload| for the
 * order of |acct| naming |names|: AFZ_OK with *out the accepted value
 * (owned; NULL when absent or config.ari is off), AFZ_EPROTO with the
 * problem in |resp|, AFZ_ENOMEM. */
afz_rc afz_srv_ari_replaces(afz_server *s, const afz_srv_account *acct, const cJSON *payload,
                            char (*names)[SRV_NAME_MAX_BUF], size_t n, afz_response *resp,
                            char **out);
/* ---- certificate profiles (afz_server_profile.c) ---- */

/* afz_srv_profile_pick reads newOrder's "profile" in |payload|: AFZ_OK with
 * *out the profile of the new order (NULL when none are offered),
 * AFZ_EPROTO with the problem in |resp|, AFZ_ENOMEM. */
afz_rc afz_srv_profile_pick(afz_server *s, const cJSON *payload, afz_response *resp,
                            const afz_server_profile **out);
/* afz_srv_profile_validity: the validity of |o|'s certificate in seconds. */
int64_t afz_srv_profile_validity(const afz_server *s, const afz_srv_order *o);

/* afz_srv_orders_forget_account forgets every order of |a| not being
 * processed and returns how many are left. */
size_t afz_srv_orders_forget_account(afz_server *s, const afz_srv_account *a);
void afz_srv_authz_free(afz_srv_authz *a);

/* ---- finalize, certificates, revocation (afz_server_cert.c) ---- */

afz_rc afz_srv_finalize(afz_server *s, const afz_request *req, const afz_srv_route *rt,
                        afz_response *resp);
afz_rc afz_srv_cert_op(afz_server *s, const afz_request *req, const afz_srv_route *rt,
                       afz_response *resp);
afz_rc afz_srv_revoke(afz_server *s, const afz_request *req, afz_response *resp);
/* afz_srv_order_issue issues the certificate of a processing order: valid on
 * success, invalid (serverInternal) when the CA fails. */
void afz_srv_order_issue(afz_server *s, afz_srv_order *o);

#endif
