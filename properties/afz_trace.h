/* afz_trace.h - a derived, read-only view of a history for the property
 * checkers.
 *
 * afz_trace_build walks the exchanges once and parses what the thirteen
 * properties need, so none of them re-parses a JWS or a JSON body: per
 * exchange the request's JWS fields and Content-Type, the response's
 * object "status", problem type, order fields, Location, Replay-Nonce,
 * Retry-After (parsed with afz_retry_after_parse against the exchange's
 * own wall clock) and, for certificates, Link rel="up" / "alternate".
 * It then links exchanges the way a client must, from what the server
 * said and not from its URL layout: finalize URL -> order URL (an order
 * body's "finalize", the newOrder Location, the finalize response's
 * Location), account URLs (newAccount Location) and the directory's
 * entries.
 *
 * Parse once. Where the server model parsed a request's JWS (in-process
 * runs keep that parse in afz_exchange.req_jws), the trace borrows it;
 * otherwise (a history read from JSON, server mode, an exchange the model
 * did not authenticate) it parses the body itself with the same
 * afz_jws_parse, so both give the same trace.
 *
 * Lifetime. A trace borrows the history (afz_exchange pointers, header
 * strings and the model's JWS parses) and owns the other parsed JWS and
 * JSON trees its string fields point into; everything stays valid until
 * afz_trace_cleanup, provided the history is neither changed nor freed
 * before. */
#ifndef AFZ_TRACE_H
#define AFZ_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "afz_clock.h"
#include "afz_history.h"
#include "afz_jose.h"
#include "afz_rc.h"

/* What a request's JWS payload holds, for POST-as-GET checks. */
typedef enum afz_trace_payload {
    AFZ_PAYLOAD_NONE = 0,       /* no JWS (not a POST, or the body is no JWS) */
    AFZ_PAYLOAD_EMPTY = 1,      /* "" : a POST-as-GET (RFC 8555 6.3) */
    AFZ_PAYLOAD_DEACTIVATE = 2, /* an object whose "status" is "deactivated" (7.5.2) */
    AFZ_PAYLOAD_OTHER = 3       /* anything else */
} afz_trace_payload;

typedef enum afz_trace_rel { AFZ_REL_UP = 1, AFZ_REL_ALTERNATE = 2 } afz_trace_rel;

/* One Link of a certificate response. */
typedef struct afz_trace_link {
    size_t ex; /* exchange whose response carried it */
    afz_trace_rel rel;
    char *url; /* owned */
} afz_trace_link;

/* One Replay-Nonce header value. */
typedef struct afz_trace_nonce {
    size_t ex;         /* exchange whose response carried it */
    const char *value; /* borrowed from the history */
    int valid;         /* 1*base64url (RFC 8555 6.5.1) */
} afz_trace_nonce;

/* finalize URL -> order URL, as the server told the client. */
typedef struct afz_trace_order_map {
    const char *finalize_url;
    const char *order_url;
} afz_trace_order_map;

/* An account URL, and the exchange that first told it to the client. */
typedef struct afz_trace_account {
    const char *url;
    size_t ex;
} afz_trace_account;

typedef struct afz_trace_ex {
    const afz_exchange *x; /* the recorded exchange (borrowed) */
    afz_resource kind;     /* what the server model took the URL for */
    const char *url;       /* request URL (never NULL: "" when absent) */
    int is_post;
    int delivered; /* the response reached the client */
    int status;    /* HTTP status; 0 when not delivered */

    /* ---- request ---- */
    const char *content_type; /* request Content-Type, NULL if absent */
    int content_type_jose;    /* media type is application/jose+json */
    int accept_cert;          /* Accept names a certificate format (RFC 8555 7.4.2:
                                 application/pem-certificate-chain, pkix-cert,
                                 pkcs7-mime) and no JSON type: a certificate download */
    int jws_ok;               /* POST body parsed as a flattened JWS */
    const char *jws_error;    /* static reason when it did not, else NULL */
    afz_jws jws;              /* the parse (zeroed unless jws_ok): the trace's own,
                                 or, when jws_borrowed, a shallow copy of the
                                 server model's (afz_exchange.req_jws), whose
                                 pointers the history owns */
    int jws_borrowed;
    const char *alg;      /* protected "alg" string, or NULL */
    const char *nonce;    /* protected "nonce" string, or NULL */
    const char *jws_url;  /* protected "url" string, or NULL */
    const char *kid;      /* protected "kid" string, or NULL */
    int has_kid, has_jwk; /* members present (any type) */
    afz_trace_payload payload;
    char *new_order_ids; /* newOrder with a JWS: the payload's identifier values,
                            lower-cased, de-duplicated, sorted, comma-joined
                            ("" if it names none); NULL otherwise; owned */
    int is_new_account;  /* a request to the directory's newAccount URL */

    /* ---- response (all NULL / 0 unless delivered) ---- */
    cJSON *body;             /* the body when it is a JSON object (owned) */
    const char *obj_status;  /* its "status" when a string */
    const char *problem;     /* its "type" when status >= 400 (problem document) */
    const char *certificate; /* order body "certificate" when a string */
    const char *finalize;    /* order body "finalize" when a string */
    const char *location;    /* Location header (first) */
    size_t n_location;
    size_t nonce_first, n_nonces; /* into afz_trace.nonces */
    size_t n_retry_after;         /* Retry-After headers */
    const char *retry_after;      /* the first one's value */
    afz_retry_after_kind ra_kind; /* AFZ_RA_INVALID unless exactly one and well-formed */
    int64_t ra_delay_ms;          /* its delay from this exchange's wall clock */
    int64_t ra_instant_ms;        /* mono_ms + delay (saturating): the earliest next request */
    size_t link_first, n_links;   /* into afz_trace.links (certificate responses) */

    /* ---- linking ---- */
    const char *order_url; /* the order this exchange is about: an order URL
                              request, the newOrder Location, or the order
                              the finalize URL belongs to; NULL if unknown */
} afz_trace_ex;

typedef struct afz_trace {
    const afz_history *history;
    afz_trace_ex *ex; /* one per history exchange, same index */
    size_t n_ex;
    afz_trace_link *links;
    size_t n_links, cap_links;
    afz_trace_nonce *nonces;
    size_t n_nonces, cap_nonces;
    afz_trace_order_map *orders;
    size_t n_orders, cap_orders;
    afz_trace_account *accounts;
    size_t n_accounts, cap_accounts;
} afz_trace;

/* afz_trace_build parses |h| into |t| (which needs no initialisation).
 * AFZ_OK, or AFZ_ENOMEM with |t| left empty (cleanup is still safe). */
afz_rc afz_trace_build(const afz_history *h, afz_trace *t);
/* afz_trace_cleanup frees what the trace owns; safe to repeat. */
void afz_trace_cleanup(afz_trace *t);

/* afz_trace_order_of_finalize returns the order URL the server tied to
 * |finalize_url|, or NULL. */
const char *afz_trace_order_of_finalize(const afz_trace *t, const char *finalize_url);
/* afz_trace_account_known returns 1 when |url| is an account URL the
 * client had been told by a response of an exchange before |before|. */
int afz_trace_account_known(const afz_trace *t, const char *url, size_t before);
/* afz_trace_problem_is returns 1 when |e|'s response is a problem document
 * of ACME type |name| ("badNonce" matches
 * "urn:ietf:params:acme:error:badNonce"). */
int afz_trace_problem_is(const afz_trace_ex *e, const char *name);
/* afz_trace_nonce_syntax_ok returns 1 when |s| is 1*base64url. */
int afz_trace_nonce_syntax_ok(const char *s);
/* afz_trace_join_identifiers writes into |out| the canonical form of a set
 * of DNS names: lower-cased, de-duplicated, sorted (strcmp), joined by
 * ','; the form server events use. Returns AFZ_OK or AFZ_ENOMEM. */
afz_rc afz_trace_join_identifiers(const char *const *names, size_t n, afz_buf *out);

#endif
