/* afz_ref_internal.h - the reference client's private parts, shared by its
 * source files and its unit tests (tests/check_reference.c). Nothing here
 * is part of the client ABI.
 *
 *   afz_ref_parse.c    pure checks: nonce, URL and token syntax, status
 *                      names, problem documents, PEM chain validation
 *   afz_ref_objects.c  pure parsing of order and authorization objects
 *   afz_ref_wait.c     pure back-off and Retry-After wait decisions
 *   afz_ref_authz.c    authorizations and challenges (RFC 8555 7.5)
 *   afz_ref_http.c     the session: request counting, nonces, signing,
 *                      retries, waits, logging, failure reasons
 *   afz_ref_state.c    the saved order in the environment's state store
 *   afz_client_reference.c  the RFC 8555 flow and the client table */
#ifndef AFZ_REF_INTERNAL_H
#define AFZ_REF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "afz_buf.h"
#include "afz_client.h"
#include "afz_clock.h"
#include "afz_http.h"
#include "afz_rc.h"
#include "afz_reference.h"

/* ---- pure checks (afz_ref_parse.c) ---------------------------------- */

/* AFZ_REF_NONCE_MAX: longest Replay-Nonce value kept; longer ones are
 * ignored like invalid ones (a fresh one comes from newNonce). */
#define AFZ_REF_NONCE_MAX 512
/* AFZ_REF_URL_MAX: longest URL accepted from a server. */
#define AFZ_REF_URL_MAX 2048

/* afz_ref_nonce_ok: 1 when |s| is 1*base64url (RFC 8555 6.5.1) of at most
 * AFZ_REF_NONCE_MAX characters, else 0. */
int afz_ref_nonce_ok(const char *s);
/* afz_ref_url_ok: 1 when |s| is an absolute http:// or https:// URL with
 * a host, no whitespace or control characters, at most AFZ_REF_URL_MAX. */
int afz_ref_url_ok(const char *s);
/* afz_ref_token_ok: 1 when a challenge token is 1..256 base64url
 * characters (RFC 8555 8.3), so it is safe as a file name. */
int afz_ref_token_ok(const char *s);

/* afz_ref_sanitize copies |s| (at most |n| bytes, stopping at NUL) into
 * |out| of |cap| bytes as one printable ASCII line: control and non-ASCII
 * bytes become '?', and the copy is truncated with "..." if needed. */
void afz_ref_sanitize(const char *s, size_t n, char *out, size_t cap);

typedef enum afz_ref_status {
    AFZ_REF_ST_UNKNOWN = 0, /* absent, not a string, or not allowed here */
    AFZ_REF_ST_PENDING,
    AFZ_REF_ST_READY,
    AFZ_REF_ST_PROCESSING,
    AFZ_REF_ST_VALID,
    AFZ_REF_ST_INVALID,
    AFZ_REF_ST_DEACTIVATED,
    AFZ_REF_ST_EXPIRED,
    AFZ_REF_ST_REVOKED
} afz_ref_status;

typedef enum afz_ref_obj {
    AFZ_REF_OBJ_ORDER,    /* pending ready processing valid invalid (7.1.3) */
    AFZ_REF_OBJ_AUTHZ,    /* pending valid invalid deactivated expired revoked (7.1.4) */
    AFZ_REF_OBJ_CHALLENGE /* pending processing valid invalid (7.1.6) */
} afz_ref_obj;

/* afz_ref_status_parse maps a status string to its value when RFC 8555
 * allows it for |kind| (exact, case-sensitive), else AFZ_REF_ST_UNKNOWN. */
afz_ref_status afz_ref_status_parse(const char *s, afz_ref_obj kind);
/* afz_ref_status_name returns the RFC name, "unknown" for UNKNOWN. */
const char *afz_ref_status_name(afz_ref_status st);

#define AFZ_REF_ACME_ERR_PREFIX "urn:ietf:params:acme:error:"

/* afz_ref_problem is what the client reads from an error response. */
typedef struct afz_ref_problem {
    char type[64];    /* short name without AFZ_REF_ACME_ERR_PREFIX, or the
                         sanitized full type URI, or "" when none */
    char detail[160]; /* sanitized "detail", or "" */
} afz_ref_problem;

/* afz_ref_problem_read fills |out| from a response body that should be an
 * RFC 7807 problem document; anything else leaves both fields "". */
void afz_ref_problem_read(const afz_response *resp, afz_ref_problem *out);
/* afz_ref_problem_is: 1 when |p| has the ACME error type |short_name|. */
int afz_ref_problem_is(const afz_ref_problem *p, const char *short_name);

/* afz_ref_pem_chain_check validates a certificate download (RFC 8555
 * 7.4.2, 9.1, 11.4): one or more PEM blocks, every one labelled
 * CERTIFICATE with a matching END line and parsing as an X.509
 * certificate, at most 32 of them; text between blocks is ignored as RFC
 * 7468 2 requires. The first (leaf) certificate's public key must equal
 * |cert_key|. AFZ_OK, or AFZ_EPROTO with a reason in |why|. */
afz_rc afz_ref_pem_chain_check(const char *body, size_t n, EVP_PKEY *cert_key, char *why,
                               size_t why_len);

/* ---- order and authorization objects (afz_ref_objects.c) ------------ */

typedef struct afz_ref_order {
    afz_ref_status status;
    char **authz; /* authorization URLs, deduplicated, owned */
    size_t n_authz;
    char *finalize;    /* owned, NULL when absent */
    char *certificate; /* owned, NULL when absent */
    char error[200];   /* "type: detail" of the order's error, or "" */
} afz_ref_order;

/* afz_ref_order_parse reads an order object (RFC 8555 7.1.3). It needs a
 * known order status; authorizations, finalize and certificate, when
 * present, must have the right types and hold valid URLs; identifiers,
 * when present, must equal |ids| as a set (ASCII case-insensitive), since
 * they are immutable. Unknown members are ignored. AFZ_OK, AFZ_EPROTO
 * with |why| set, or AFZ_ENOMEM. |o| needs afz_ref_order_cleanup either
 * way. */
afz_rc afz_ref_order_parse(const void *body, size_t n, const char *const *ids, size_t n_ids,
                           afz_ref_order *o, char *why, size_t why_len);
void afz_ref_order_cleanup(afz_ref_order *o);

typedef enum afz_ref_chal_type {
    AFZ_REF_CHAL_OTHER = 0, /* a type this client does not answer */
    AFZ_REF_CHAL_HTTP01,
    AFZ_REF_CHAL_DNS01,
    AFZ_REF_CHAL_TLSALPN01
} afz_ref_chal_type;

typedef struct afz_ref_chal {
    afz_ref_chal_type type;
    afz_ref_status status; /* UNKNOWN when absent or not a challenge status */
    char *url;             /* owned */
    char *token;           /* owned, NULL when absent or not a valid token */
    char error[200];       /* "type: detail" of the challenge error, or "" */
} afz_ref_chal;

typedef struct afz_ref_authz {
    afz_ref_status status;
    int wildcard;
    char identifier[256]; /* sanitized identifier value, for messages */
    afz_ref_chal *chal;   /* the challenges of known types with valid URLs */
    size_t n_chal;
} afz_ref_authz;

/* afz_ref_authz_parse reads an authorization object (RFC 8555 7.1.4). It
 * needs a known authorization status and, when present, a "challenges"
 * array; challenges of unknown types or with unusable URLs are skipped.
 * AFZ_OK, AFZ_EPROTO with |why| set, or AFZ_ENOMEM. |a| needs
 * afz_ref_authz_cleanup either way. */
afz_rc afz_ref_authz_parse(const void *body, size_t n, afz_ref_authz *a, char *why, size_t why_len);
void afz_ref_authz_cleanup(afz_ref_authz *a);

/* afz_ref_authz_pick chooses the challenge to answer: http-01, then
 * dns-01, then tls-alpn-01 (a wildcard authorization: dns-01 only),
 * skipping challenges without a token or in an unknown or invalid status. NULL when
 * none fits. The pointer is borrowed from |a|. */
const afz_ref_chal *afz_ref_authz_pick(const afz_ref_authz *a);
/* afz_ref_authz_error returns the first challenge error in |a| ("" when
 * none): what a failure message quotes. Borrowed from |a|. */
const char *afz_ref_authz_error(const afz_ref_authz *a);

/* afz_ref_challenge_parse reads the status and error of a challenge
 * object (the answer to the challenge POST). AFZ_OK, or AFZ_EPROTO when
 * the body is not an object with a known challenge status. */
afz_rc afz_ref_challenge_parse(const void *body, size_t n, afz_ref_status *st, char *err,
                               size_t err_len);

/* ---- waits (afz_ref_wait.c) ----------------------------------------- */

typedef struct afz_ref_wait {
    int64_t ms;                  /* how long to wait */
    afz_retry_after_kind source; /* SECONDS/DATE: from Retry-After;
                                    INVALID: back-off */
    int header_seen;             /* a Retry-After header was present */
} afz_ref_wait_plan;

/* afz_ref_backoff_ms returns the back-off before retry or poll number
 * |attempt| (0-based): backoff_base_ms doubled per attempt up to
 * backoff_cap_ms, plus jitter in [0, step/8] drawn from |rnd|; 0 with
 * AFZ_REF_QUIRK_NO_BACKOFF. Never negative, never overflows. */
int64_t afz_ref_backoff_ms(const afz_reference_config *c, unsigned attempt, uint64_t rnd);

/* afz_ref_retry_after_read reads one Retry-After value as the configured
 * client does: afz_retry_after_parse against |now_wall_ms|, bent by
 * AFZ_REF_QUIRK_HTTPDATE_AS_ZERO (a date reads as 0) and
 * AFZ_REF_QUIRK_RETRY_AFTER_INT32 (delay-seconds wrap in 32 bits; a
 * negative result reads as 0). AFZ_OK with *kind and *delay_ms (>= 0), or
 * AFZ_EPARSE. */
afz_rc afz_ref_retry_after_read(const afz_reference_config *c, const char *value,
                                int64_t now_wall_ms, afz_retry_after_kind *kind, int64_t *delay_ms);

/* afz_ref_wait_decide decides how long to wait before the next request
 * after a response with headers |h| (NULL: none). Exactly one valid
 * Retry-After (RFC 9110 10.2.3, read with afz_ref_retry_after_read
 * against |now_wall_ms|) is a lower bound, floored by the back-off step
 * (afz_ref_backoff_ms with |attempt|, |rnd|); no header, several, or an
 * invalid value mean back-off alone, as does
 * AFZ_REF_QUIRK_IGNORE_RETRY_AFTER. Under AFZ_REF_QUIRK_RETRY_AFTER_INT32
 * a delay-seconds read as 0 means no wait at all. Returns AFZ_OK; AFZ_ELIMIT
 * when the wait exceeds max_wait_ms (out->ms says how long was asked;
 * never under AFZ_REF_QUIRK_NO_WAIT_LIMIT);
 * AFZ_EPARSE for an HTTP-date under AFZ_REF_QUIRK_HTTPDATE_FATAL. */
afz_rc afz_ref_wait_decide(const afz_reference_config *c, const afz_headers *h, int64_t now_wall_ms,
                           unsigned attempt, uint64_t rnd, afz_ref_wait_plan *out);

/* ---- the session (afz_ref_http.c) ----------------------------------- */

/* AFZ_REF_NB_SLOTS: how many URLs the session remembers a Retry-After
 * instant for. */
#define AFZ_REF_NB_SLOTS 16

typedef struct afz_ref_not_before {
    char *url;        /* owned, NULL when the slot is free */
    int64_t until_ms; /* wall-clock instant before which no request goes */
} afz_ref_not_before;

/* afz_ref is one obtain call's state. It borrows env, params, result. */
typedef struct afz_ref {
    const afz_env *env;
    const afz_obtain_params *p;
    afz_obtain_result *out;
    afz_reference_config cfg;
    char *nonce;         /* the one cached nonce, owned, or NULL */
    char *new_nonce_url; /* from the directory, owned */
    char *new_account_url;
    char *new_order_url;
    char *kid;           /* the account URL, owned */
    unsigned n_requests; /* HTTP requests sent so far */
    int stopped;         /* the run's budget is spent: send nothing more */
    afz_ref_not_before nb[AFZ_REF_NB_SLOTS];
    size_t nb_next;  /* next slot to overwrite when all are used */
    char *state_key; /* the saved order's key, built on first use; owned */
} afz_ref;

/* afz_ref_quirk_on: 1 when the session's config has quirk |q|. */
int afz_ref_quirk_on(const afz_ref *r, afz_ref_quirk q);
/* afz_ref_poll_limit_hit: 1 when |polls| polls of one resource reached
 * max_polls (never under AFZ_REF_QUIRK_UNBOUNDED_POLLS). */
int afz_ref_poll_limit_hit(const afz_ref *r, unsigned polls);

/* afz_ref_init prepares |r| for one obtain; afz_ref_cleanup frees it. */
void afz_ref_init(afz_ref *r, const afz_reference_config *cfg, const afz_env *env,
                  const afz_obtain_params *p, afz_obtain_result *out);
void afz_ref_cleanup(afz_ref *r);

/* afz_ref_log sends one formatted line to env->log. */
void afz_ref_log(afz_ref *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* afz_ref_fail writes the failure reason (replacing any earlier one), logs
 * it and returns |rc|. Whoever detects a failure calls it; callers that
 * only propagate an error do not. */
afz_rc afz_ref_fail(afz_ref *r, afz_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* afz_ref_fail_problem fails with "<what>: HTTP <status> <type>: <detail>". */
afz_rc afz_ref_fail_problem(afz_ref *r, const char *what, const afz_response *resp);

/* afz_ref_sleep sleeps |ms| (nothing for ms <= 0). AFZ_EBUDGET fails the
 * obtain with "budget exhausted". */
afz_rc afz_ref_sleep(afz_ref *r, int64_t ms);
/* afz_ref_wait waits after a response with headers |h| before the next
 * request to |what| (afz_ref_wait_decide), logging the reason. A wait
 * above max_wait_ms fails with "server asked to wait N s". */
afz_rc afz_ref_wait(afz_ref *r, const char *what, const afz_headers *h, unsigned attempt);
/* afz_ref_note_retry_after remembers a valid Retry-After in |h| as the
 * earliest instant for the next request to |url|. Every response's own
 * URL is noted automatically; the flow adds the order URL for a finalize
 * response and the authorization URL for a challenge response. */
void afz_ref_note_retry_after(afz_ref *r, const char *url, const afz_headers *h);

typedef struct afz_ref_req {
    const char *what;   /* for messages: "newOrder", "order", ... */
    const char *method; /* "GET", "HEAD" or "POST" */
    const char *url;
    int sign;            /* 1: JWS body (POST); 0: plain request */
    int use_jwk;         /* sign with "jwk" instead of "kid" (newAccount) */
    const void *payload; /* JWS payload (signed requests) */
    size_t payload_len;
    int idempotent;             /* 1: resend after a transport error */
    int outcome_unknown_on_5xx; /* 1: return a 5xx at once (AFZ_EPROTO) instead
                                   of retrying: the caller must first learn
                                   whether the request took effect (finalize) */
    const char *accept;         /* Accept header, or NULL */
} afz_ref_req;

/* afz_ref_send performs one logical request with the RFC 8555 error
 * handling: badNonce retried with the fresh nonce (max_bad_nonce_retries),
 * 429/502/503/504 after Retry-After or back-off (max_rate_limit_retries),
 * 500 after back-off (max_server_error_retries), transport errors of
 * idempotent requests after back-off (max_transport_retries). It returns
 * AFZ_OK with a 2xx response in |resp|; AFZ_EPROTO with the final error
 * response still in |resp| (the reason set; a caller may recover, e.g.
 * from orderNotReady); AFZ_ETRANSPORT (no response, reason set);
 * AFZ_EBUDGET; AFZ_EFAIL (a limit); AFZ_ENOMEM. Every response's valid
 * Replay-Nonce is kept and its Retry-After noted for its URL; no request
 * goes to a URL before the instant noted for it. |resp| must be
 * initialised; the caller cleans it up in every case. */
afz_rc afz_ref_send(afz_ref *r, const afz_ref_req *q, afz_response *resp);
/* afz_ref_fetch is a POST-as-GET of |url| (payload exactly "", RFC 8555
 * 6.3) through afz_ref_send. */
afz_rc afz_ref_fetch(afz_ref *r, const char *what, const char *url, const char *accept,
                     afz_response *resp);

/* ---- the saved order (afz_ref_state.c) ------------------------------ */

/* afz_ref_state_encode writes a saved order as text: "url=<order URL>\n"
 * then "finalized=1\n" when a finalize was accepted. */
afz_rc afz_ref_state_encode(const char *order_url, int finalized, afz_buf *out);
/* afz_ref_state_decode reads that text back: AFZ_OK with *order_url
 * (malloc'd) and *finalized; AFZ_EPARSE when there is no valid url line
 * (unknown lines are ignored); AFZ_ENOMEM. */
afz_rc afz_ref_state_decode(const char *value, char **order_url, int *finalized);
/* afz_ref_state_key_build writes the key of |ids|: "order:" and the
 * identifiers lower-cased, sorted and joined by ',', or "order:sha256:"
 * and the hex SHA-256 of that list when it is longer than 1024 bytes. */
afz_rc afz_ref_state_key_build(const char *const *ids, size_t n_ids, afz_buf *out);

/* afz_ref_state_on: 1 when the environment has a state store (its
 * struct_size covers state_get and state_put and both are set) and the
 * config does not have AFZ_REF_QUIRK_IGNORE_STATE. */
int afz_ref_state_on(const afz_ref *r);
/* afz_ref_state_load reads the saved order for this obtain's identifiers:
 * AFZ_OK with *order_url (malloc'd, or NULL when nothing usable is saved;
 * an unreadable value is deleted) and *finalized. AFZ_ENOMEM. */
afz_rc afz_ref_state_load(afz_ref *r, char **order_url, int *finalized);
/* afz_ref_state_save saves |order_url| (and whether a finalize was
 * accepted); afz_ref_state_forget deletes it. Both are best effort: a
 * store that refuses is logged, and the issuance goes on. No-ops when
 * afz_ref_state_on is 0. */
void afz_ref_state_save(afz_ref *r, const char *order_url, int finalized);
void afz_ref_state_forget(afz_ref *r);

/* afz_ref_authz_run brings one authorization to "valid" (RFC 8555 7.5):
 * POST-as-GET it; when pending, answer the preferred challenge with {}
 * (writing the http-01 key authorization to challenge_dir/<token> when
 * challenge_dir is set, removed afterwards) unless a challenge is already
 * processing or valid; poll until valid. A final status other than valid
 * fails, quoting the challenge error. */
afz_rc afz_ref_authz_run(afz_ref *r, const char *url);

#endif
