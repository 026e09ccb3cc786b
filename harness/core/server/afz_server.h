/* afz_server.h - the in-process ACME server model (RFC 8555).
 *
 * Sans-I/O: afz_server_handle takes one HTTP request and produces one HTTP
 * response; it never touches sockets, the real clock or global state. Time
 * comes from the afz_clock it is given, randomness from the afz_prng, and
 * every server-side event goes to the afz_history. The same model serves
 * in-process fuzz runs (virtual time) and the HTTPS server mode (a clock
 * the caller keeps at real time).
 *
 * URL layout under config.base_url (no trailing slash):
 *   /directory  /new-nonce  /new-account  /account/<id>  /new-order
 *   /order/<id>  /authz/<id>  /chall/<id>  /finalize/<id>  /cert/<id>
 *   /revoke-cert  /key-change
 * plus /account/<id>/orders (the account's "orders" list, RFC 8555
 * 7.1.2.1) and /cert/<id>/up (the issuing intermediate as PEM, named by
 * the certificate response's Link rel="up"). Object ids are 16 hex digits
 * from the PRNG; a challenge id is "<authz id>-<index>". Clients must not
 * rely on any of it: they read URLs from the directory and from Location
 * headers and bodies, as RFC 8555 7.1.1 requires. The kind reported for
 * both account paths is AFZ_RES_ACCOUNT, for /cert/<id>/up AFZ_RES_CERT.
 *
 * State machines (RFC 8555 7.1.6), driven by virtual time and poll counts:
 *   challenge: pending -> processing (on POST {}) -> valid once both
 *     validation_delay_ms has passed since the POST and the authorization
 *     was looked at authz_pending_polls times after it; the next look then
 *     sees "valid". A look is a POST-as-GET of the authorization, of one
 *     of its challenges, or of an order that lists it (RFC 8555 7.1.6: a
 *     client may wait by polling the order until it is "ready"), one look
 *     per request whichever URL it names. The challenge POST itself, or a
 *     repeated POST {} to it, is no look and always answers "processing";
 *   authorization: pending -> valid with its challenge; -> expired;
 *   order: pending -> ready (all authorizations valid) -> processing (on an
 *     accepted finalize) -> valid (certificate issued); -> invalid on
 *     expiry. Synchronous mode (async_finalize = 0) issues inside the
 *     finalize request and answers "valid" with "certificate"; asynchronous
 *     mode answers "processing" and issues once finalize_delay_ms has passed
 *     and the order was polled finalize_polls times (POST-as-GETs of the
 *     order URL; the finalize response is not a poll).
 * A state is derived lazily whenever the object is read, so events such as
 * AUTHZ_VALID, ORDER_READY and CERT_ISSUED are recorded in the exchange
 * that first observes the transition.
 *
 * Bounds: at max_accounts newAccount first forgets the least recently
 * used account whose orders (none processing) it forgets too, and answers
 * 429 rateLimited only when none can go; at
 * max_orders (or max_authzs) newOrder first forgets the oldest expired
 * order, else the oldest finished (valid/invalid), else the oldest, never
 * one being processed, then answers 429 rateLimited; nonces
 * beyond max_nonces evict the oldest. Request bodies above 256 KiB are
 * refused (413). newAccount requires termsOfServiceAgreed:true whenever
 * terms_of_service is set (as Pebble does); an externalAccountBinding is
 * required when configured, and verified (RFC 8555 7.3.4) whenever MAC
 * keys are configured (see afz_server_eab.c for the answers).
 */
#ifndef AFZ_SERVER_H
#define AFZ_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "afz_ca.h"
#include "afz_clock.h"
#include "afz_history.h"
#include "afz_http.h"
#include "afz_prng.h"
#include "afz_resource.h"

typedef struct afz_server_config {
    const char *base_url; /* e.g. "https://acme.invalid" (borrowed) */
    /* finalize */
    int async_finalize;          /* 1: finalize answers "processing" */
    uint32_t finalize_polls;     /* async: order polls before "valid" */
    int64_t finalize_delay_ms;   /* async: virtual time before "valid" */
    int64_t order_retry_after_s; /* Retry-After on "processing" orders; < 0: none */
    /* validation */
    uint32_t authz_pending_polls; /* looks (authz, challenge or order polls) after the
                                   * challenge POST before "valid" */
    int64_t validation_delay_ms;  /* virtual time after the challenge POST before "valid" */
    int64_t authz_retry_after_s;  /* Retry-After on authz still being validated; < 0: none */
    int authz_reuse;              /* 1: reuse the account's valid authz for the same name
                                   * (always; authz_reuse_percent: by chance) */
    int order_ready_at_creation;  /* 1: authorizations start valid */
    /* lifetimes */
    int64_t nonce_lifetime_ms; /* a nonce older than this is badNonce; 0: forever */
    int64_t order_lifetime_s;  /* order "expires" (default 7 days) */
    int64_t authz_lifetime_s;  /* authorization "expires" (default 30 days) */
    int64_t cert_validity_s;   /* leaf validity (default 90 days) */
    /* directory meta */
    const char *terms_of_service; /* NULL: omitted */
    const char *website;          /* NULL: omitted */
    const char *caa_identity;     /* NULL: omitted */
    int external_account_required;
    /* names newOrder refuses with rejectedIdentifier (exact or parent
     * domain match), NULL-terminated, borrowed; may be NULL */
    const char *const *blocked_names;
    /* bounds that keep a long-lived server mode's memory flat */
    size_t max_accounts, max_orders, max_nonces;
    /* appended: cap on authorizations held at once (0: 4 * max_orders).
     * afz_server_new treats a zero bound or a non-positive lifetime as
     * "use the default", so a zeroed config with a base_url works. */
    size_t max_authzs;
    /* fault-engine knobs (CONFIG faults; all default to 0 / off) */
    int order_retry_after_date; /* order Retry-After as an HTTP-date (now + seconds) */
    int authz_retry_after_date; /* authz Retry-After as an HTTP-date */
    int authz_prevalidated;     /* the first authorization of an order starts valid */
    unsigned alternate_chains;  /* certificate responses link this many alternates */
    int order_reuse;            /* identical newOrder returns the pending/ready order */
    int finalize_fails;         /* accepted finalize ends in an "invalid" order */
    int validation_fails;       /* challenge validation ends "invalid" */
    /* appended: 1 accepts CSRs self-signed with SHA-1 or MD5; by default
     * finalize refuses them with badCSR, as Boulder does */
    int allow_weak_csr_digest;
    /* appended: 1 gives an order its certificate URL when finalize is
     * accepted (asynchronous mode), so a "processing" order already carries
     * "certificate"; the URL answers 404 until the certificate is issued
     * there, when the order turns "valid" (the certificate_early fault) */
    int cert_url_early;
    /* appended: external account binding (RFC 8555 7.3.4; Pebble's
     * externalAccountMACKeys). With n_eab_keys > 0 a newAccount carrying
     * "externalAccountBinding" is verified against these keys (afz_server_eab.c);
     * borrowed, kid and key strings live as long as the server */
    const struct afz_server_eab_key *eab_keys;
    size_t n_eab_keys;
    /* appended: 1 refuses RSA keys under AFZ_RSA_MIN_BITS (2048) and EC
     * P-521 keys for accounts (badPublicKey; the JWS alg ES512 gets
     * badSignatureAlgorithm) and CSRs (badCSR), as Boulder does; 0, the
     * default, accepts RSA from AFZ_RSA_MIN_BITS_PEBBLE (1024) on and
     * P-521 (afz_key_pebble), as Pebble does, so a drop-in passes the
     * tests written against it */
    int strict_keys;
    /* appended: Pebble's PEBBLE_AUTHZREUSE. When authz_reuse is 0 and this
     * is 1..100, a new order's identifier for which the account holds a
     * valid authorization gets that authorization with this probability
     * (100: always), drawn from the server's PRNG only when such an
     * authorization exists, so a run with the same seed replays. 0, the
     * default here, reuses none (saved corpora keep their meaning);
     * `acmefuzz serve` sets 50, Pebble's default. RFC 8555 7.1.3 allows
     * it: an order's authorizations are "the authorizations that the
     * client needs to complete before the requested certificate can be
     * issued (see Section 7.5), including unexpired authorizations that
     * the client has completed in the past for identifiers specified in
     * the order." */
    unsigned authz_reuse_percent;
    /* appended: Pebble's PEBBLE_ALTERNATE_ROOTS. Independent hierarchies
     * (borrowed; they outlive the server) besides the server's own CA:
     * every certificate is issued by each of them too (same key, names,
     * serial and validity, signed by that hierarchy's intermediate) and
     * served at /alt-cert/<id>-<k>, k = 1..n_alt_cas, as RFC 8555 7.4.2
     * allows ("The server MAY provide one or more link relation header
     * fields [RFC8288] with relation "alternate". Each such field SHOULD
     * express an alternative certificate chain starting with the same
     * end-entity certificate."). The certificate URL links each with
     * rel="alternate"; each alternate links the certificate URL and the
     * other alternates (no rel="up"). Alternates beyond n_alt_cas that the
     * alternate_chains fault asks for repeat the main chain, as before.
     * 0, the default, keeps the in-process model as it was. */
    const afz_ca *const *alt_cas;
    size_t n_alt_cas;
    /* appended: ACME Renewal Information (RFC 9773, afz_server_ari.c): 1
     * names "renewalInfo" in the directory, serves GET
     * <base>/renewal-info/<certID> (suggestedWindow and Retry-After:
     * ari_retry_after_s, <= 0 for 21600) and accepts newOrder's
     * "replaces". 0, the default, keeps the in-process model as it was;
     * `acmefuzz serve` sets 1. */
    int ari;
    int64_t ari_retry_after_s;
    /* appended: certificate profiles (draft-aaron-acme-profiles-01,
     * afz_server_profile.c). With n_profiles > 0 the directory's meta
     * names them ("profiles": name -> description), newOrder's "profile"
     * must name one (else 400 invalidProfile), an order without one gets
     * default_profile (NULL: "default" when offered, else the first),
     * every order object carries its "profile" and its certificate is
     * valid for the profile's validity_s (<= 0: cert_validity_s).
     * Borrowed; they outlive the server. 0, the default, keeps the
     * in-process model as it was (a "profile" field is then ignored, as
     * any field the server does not know); `acmefuzz serve` offers Let's
     * Encrypt's or a Pebble config's. */
    const struct afz_server_profile *profiles;
    size_t n_profiles;
    const char *default_profile;
} afz_server_config;

/* One certificate profile: |name| as newOrder names it, |description| for
 * the directory (prose or a URL), |validity_s| of its certificates. */
typedef struct afz_server_profile {
    const char *name;
    const char *description;
    int64_t validity_s;
} afz_server_profile;

/* One external account MAC key: |kid| as the CA gave it, |b64_key| the
 * key itself, base64url (padding tolerated), as Pebble's config holds it. */
typedef struct afz_server_eab_key {
    const char *kid;
    const char *b64_key;
} afz_server_eab_key;

/* afz_server_config_default fills |c| with the defaults: base_url
 * "https://acme.invalid", synchronous finalize, no delays, no Retry-After,
 * no reuse, 7-day orders, 30-day authorizations, 90-day certificates,
 * termsOfService/website set, max_accounts 1024, max_orders 4096,
 * max_nonces 4096, max_authzs 16384. */
void afz_server_config_default(afz_server_config *c);

typedef struct afz_server afz_server;

/* afz_server_response_hook, when set, sees every response after the model
 * built it and before it is returned (the fault engine edits it here).
 * |occurrence| counts responses of this resource kind, from 0. */
typedef void (*afz_server_response_hook)(void *ctx, afz_resource kind, size_t occurrence,
                                         const afz_request *req, afz_response *resp);

/* afz_server_new creates a server with no accounts. |config| is copied
 * (its strings are borrowed and must outlive the server); |ca|, |clock|,
 * |prng| and |history| are borrowed and must outlive the server. NULL on
 * allocation failure. */
afz_server *afz_server_new(const afz_server_config *config, const afz_ca *ca, afz_clock *clock,
                           afz_prng *prng, afz_history *history);
void afz_server_free(afz_server *s);

/* afz_server_set_hook installs (or with NULL removes) the response hook. */
void afz_server_set_hook(afz_server *s, afz_server_response_hook hook, void *ctx);

/* afz_server_request_hook, when set, sees every request (already
 * classified) before the model does. Returning 1 means it filled |resp|
 * itself: the model does not handle the request, adds nothing to the
 * response and does not call the response hook; the request still counts
 * as an occurrence of its kind. Returning 0 lets the model handle it. A
 * response with status 0 (from either hook) means "no response": the
 * transport drops the connection. */
typedef int (*afz_server_request_hook)(void *ctx, afz_resource kind, const afz_request *req,
                                       afz_response *resp);
void afz_server_set_request_hook(afz_server *s, afz_server_request_hook hook, void *ctx);
/* afz_server_get_request_hook returns the installed request hook (NULL:
 * none) and its context in *ctx (may be NULL), so a caller can chain its
 * own hook in front of it. */
afz_server_request_hook afz_server_get_request_hook(const afz_server *s, void **ctx);

/* Challenge validation by the caller. By default the model decides: a
 * challenge becomes valid after validation_delay_ms and
 * authz_pending_polls (invalid with validation_fails). A validator, when
 * set, is offered every challenge the moment a client POSTs to it (the
 * challenge is then "processing"). Returning 1 takes it: the challenge
 * stays processing until afz_server_validation_result, and the configured
 * delay and polls still apply on top of the result. Returning 0 leaves it
 * to the model. |v| and its strings are borrowed for the call only. */
typedef struct afz_validation {
    const char *authz_id;   /* with |index|: the handle for the result */
    size_t index;           /* challenge index in the authorization */
    const char *type;       /* "http-01", "dns-01" or "tls-alpn-01" */
    const char *identifier; /* the DNS name, without "*." */
    const char *token;
    const char *key_authorization; /* token "." base64url(JWK thumbprint) */
} afz_validation;
typedef int (*afz_server_validator)(void *ctx, const afz_validation *v);
void afz_server_set_validator(afz_server *s, afz_server_validator fn, void *ctx);

/* afz_server_validation_result delivers the outcome of a validation the
 * validator took. |ok| 1: the key authorization was found. |ok| 0:
 * |error_type| is the ACME error type without its URN prefix
 * ("connection", "unauthorized", "incorrectResponse", "tls", "dns"; NULL
 * means "incorrectResponse"; static or outliving the server) and |detail|
 * a sentence (copied), shown in the challenge's "error". Returns AFZ_OK,
 * AFZ_EINVAL when no such validation is waiting (a new run, an unknown
 * handle, a result already given) or AFZ_ENOMEM. */
afz_rc afz_server_validation_result(afz_server *s, const char *authz_id, size_t index, int ok,
                                    const char *error_type, const char *detail);

/* afz_server_fresh_nonce issues a new valid nonce and appends it to |out|
 * (for answers built outside the model, such as an injected badNonce). */
afz_rc afz_server_fresh_nonce(afz_server *s, afz_buf *out);

/* afz_server_spend_nonce spends the nonce of |req| as the model does
 * before it refuses a request it authenticated (RFC 8555 6.5: "Once a
 * nonce value has appeared in an ACME request, the server MUST consider
 * it invalid"), for answers built outside the model, such as an injected
 * 429: when |req| is a POST whose JWS passes the model's checks up to and
 * including the signature (content type, syntax, alg, url, jwk or kid as
 * the URL requires, key) and carries a live nonce, that nonce is spent.
 * Nothing else changes and no event is recorded. Returns 1 when a nonce
 * was spent, else 0 (a GET, an unauthenticated request, a nonce the
 * server never issued or already spent). */
int afz_server_spend_nonce(afz_server *s, const afz_request *req);

/* afz_server_base_url returns the configured base URL (borrowed). */
const char *afz_server_base_url(const afz_server *s);

/* afz_server_handle serves one request. It always fills |resp| (which it
 * initialises; the caller cleans it up): protocol errors become RFC 7807
 * problem documents (application/problem+json) with the
 * urn:ietf:params:acme:error:* type and the HTTP status Boulder uses. It
 * sets *kind (may be NULL) to the resource the URL named. Every answer
 * the model builds to a request other than GET carries a fresh
 * Replay-Nonce (RFC 8555 6.5 asks it of POST answers; Boulder gives one to
 * HEAD and the rest too), and so does newNonce's answer to GET. Returns
 * AFZ_OK, or AFZ_ENOMEM when it could not build a response at all. */
afz_rc afz_server_handle(afz_server *s, const afz_request *req, afz_response *resp,
                         afz_resource *kind);

/* afz_server_take_request_jws returns the model's own parse of the body of
 * the request the last afz_server_handle served, when the model parsed it
 * as a flattened JWS (afz_srv_authenticate: a POST to an authenticated
 * resource, reached past the Content-Type and size checks) and the parse
 * succeeded; else NULL. The caller owns it (afz_jws_cleanup, then free);
 * a second call returns NULL, and an untaken parse is freed by the next
 * afz_server_handle or afz_server_free. It equals afz_jws_parse of that
 * body, so a recorder can keep it (afz_history_set_request_jws) and the
 * trace need not parse the body again. */
struct afz_jws;
struct afz_jws *afz_server_take_request_jws(afz_server *s);

/* afz_server_directory_url returns base_url + "/directory" (borrowed). */
const char *afz_server_directory_url(const afz_server *s);

#endif
