/* afz_fault.h - the fault catalog: every server misbehaviour acmefuzz can
 * inject, defined once.
 *
 * One X-macro table (AFZ_FAULT_TABLE) generates the fault enum, the
 * decoder's and encoder's numbering, the names of the text scenario form,
 * `acmefuzz list faults` and the fuzzing dictionary. A fault's number is
 * its position in the table (byte b of a binary plan is fault b, see
 * afz_plan.h): the table is append-only, and a retired fault keeps its
 * row, listed in AFZ_FAULT_RETIRED, so old inputs keep their meaning.
 *
 * Classes (DESIGN.md), in order of severity (a plan's class is the worst
 * of its rules'):
 *   legal     - a server following RFC 8555 could send it; a robust client
 *               still obtains the certificate.
 *   real-world - what production CAs do although no transition of RFC 8555
 *               7.1.6 allows it (a lagging replica's stale read); a robust
 *               client survives it, one that does not is fragile, not in
 *               breach of the RFC.
 *   degraded  - a legal error; the client may fail, but safely.
 *   malformed - no server should send it; the client must fail safely.
 *
 * Mechanisms:
 *   CONFIG  - changes the server model's state machine for the whole run
 *             (timing, reuse, failures); the selector is documentation.
 *   BEFORE  - answers the selected request itself; the model never sees it
 *             (injected errors: the server did nothing).
 *   AFTER   - the model handles the request, then the response is edited
 *             (fields, headers, body, status) or lost. */
#ifndef AFZ_FAULT_H
#define AFZ_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "afz_resource.h"

typedef enum afz_fault_class {
    AFZ_CLASS_LEGAL = 0,
    AFZ_CLASS_REAL_WORLD = 1,
    AFZ_CLASS_DEGRADED = 2,
    AFZ_CLASS_MALFORMED = 3,
    AFZ_CLASS__COUNT
} afz_fault_class;

typedef enum afz_fault_mech {
    AFZ_MECH_CONFIG = 0,
    AFZ_MECH_BEFORE = 1,
    AFZ_MECH_AFTER = 2
} afz_fault_mech;

/* Argument types. Every type has a finite domain of |n| values, numbered
 * 0..n-1, so a decoder can map any byte onto it (byte % n). */
typedef enum afz_arg_type {
    AFZ_ARG_NONE = 0,
    AFZ_ARG_COUNT,   /* 0..15 */
    AFZ_ARG_SECONDS, /* 0,1,2,3,5,10,30,60 seconds */
    AFZ_ARG_RA,      /* a well-formed Retry-After or none (afz_fault_ra_*) */
    AFZ_ARG_RA_BAD,  /* a malformed or absurd Retry-After value */
    AFZ_ARG_FIELD,   /* a JSON member name of ACME objects */
    AFZ_ARG_JTYPE,   /* a JSON type to put in its place */
    AFZ_ARG_STATUS,  /* a status string no RFC 8555 object has */
    AFZ_ARG_STALE,   /* an earlier order status: ready, pending */
    AFZ_ARG_JUNK,    /* an invalid JSON body */
    AFZ_ARG_PEM,     /* a broken certificate chain */
    AFZ_ARG_CTYPE,   /* a wrong Content-Type */
    AFZ_ARG_PERCENT, /* 0..99 */
    AFZ_ARG__COUNT
} afz_arg_type;

#define AFZ_FAULT_MAX_ARGS 3

/* X(ENUM, "name", CLASS, MECH, RESOURCE,
 *   "arg0", TYPE0, "arg1", TYPE1, "arg2", TYPE2, "description", "reference")
 * RESOURCE is the natural target (AFZ_RES_UNKNOWN: any resource). */
#define AFZ_FAULT_TABLE(X)                                                                         \
    /* ---- legal ---- */                                                                          \
    X(ASYNC_FINALIZE, "async_finalize", LEGAL, CONFIG, FINALIZE, "polls", COUNT, "delay", SECONDS, \
      "retry_after", RA,                                                                           \
      "finalize answers \"processing\" without a certificate; the order stays processing for "     \
      "N polls and T seconds",                                                                     \
      "RFC 8555 7.4; Let's Encrypt 2023-07-13 incident")                                           \
    X(AUTHZ_PENDING, "authz_pending", LEGAL, CONFIG, AUTHZ, "polls", COUNT, "delay", SECONDS,      \
      "retry_after", RA,                                                                           \
      "after the challenge POST the authorization stays pending for N polls and T seconds",        \
      "RFC 8555 7.5.1")                                                                            \
    X(AUTHZ_REUSE, "authz_reuse", LEGAL, CONFIG, NEW_ORDER, "", NONE, "", NONE, "", NONE,          \
      "authorizations are already valid when the order is created (reuse)",                        \
      "RFC 8555 7.1.4; boulder#1796; Pebble PEBBLE_AUTHZREUSE")                                    \
    X(ORDER_READY, "order_ready", LEGAL, CONFIG, NEW_ORDER, "", NONE, "", NONE, "", NONE,          \
      "the order is \"ready\" at creation", "RFC 8555 7.1.6; PKISharp/ACMESharpCore#26")           \
    X(SYNC_FINALIZE, "sync_finalize", LEGAL, CONFIG, FINALIZE, "", NONE, "", NONE, "", NONE,       \
      "finalize answers \"valid\" with the certificate URL at once", "RFC 8555 7.4")               \
    X(BAD_NONCE, "bad_nonce", LEGAL, BEFORE, UNKNOWN, "", NONE, "", NONE, "", NONE,                \
      "400 badNonce with a fresh Replay-Nonce; the request is not processed",                      \
      "RFC 8555 6.5; Pebble PEBBLE_WFE_NONCEREJECT")                                               \
    X(RETRY_AFTER, "retry_after", LEGAL, AFTER, UNKNOWN, "value", RA, "", NONE, "", NONE,          \
      "adds a well-formed Retry-After (delta-seconds or HTTP-date)", "RFC 9110 10.2.3")            \
    X(RATE_LIMITED, "rate_limited", LEGAL, BEFORE, UNKNOWN, "retry_after", RA, "", NONE, "", NONE, \
      "429 rateLimited with Retry-After; the request is not processed", "RFC 8555 6.6")            \
    X(UNAVAILABLE, "unavailable", LEGAL, BEFORE, UNKNOWN, "retry_after", RA, "", NONE, "", NONE,   \
      "503 Service Unavailable with Retry-After; the request is not processed", "RFC 9110 15.6.4") \
    X(UNKNOWN_FIELDS, "unknown_fields", LEGAL, AFTER, UNKNOWN, "", NONE, "", NONE, "", NONE,       \
      "adds members no client knows to the JSON object", "RFC 8555 7.1 (unknown fields ignored)")  \
    X(UNKNOWN_CHALLENGE, "unknown_challenge", LEGAL, AFTER, AUTHZ, "", NONE, "", NONE, "", NONE,   \
      "offers an extra challenge of an unknown type first", "RFC 8555 8")                          \
    X(DIRECTORY_EXTRAS, "directory_extras", LEGAL, AFTER, DIRECTORY, "", NONE, "", NONE, "", NONE, \
      "adds unknown directory entries and meta fields", "RFC 8555 7.1.1")                          \
    X(ALTERNATE_CHAINS, "alternate_chains", LEGAL, CONFIG, CERT, "count", COUNT, "", NONE, "",     \
      NONE, "the certificate response links N alternate chains (Link rel=\"alternate\")",          \
      "RFC 8555 7.4.2")                                                                            \
    X(STALE_STATUS, "stale_status", REAL_WORLD, AFTER, ORDER, "status", STALE, "", NONE, "", NONE, \
      "the order shows an earlier status and no certificate, as a lagging replica does",           \
      "Boulder replica lag (LE community 246205); RFC 8555 7.4")                                   \
    X(SHUFFLE, "shuffle", LEGAL, AFTER, UNKNOWN, "", NONE, "", NONE, "", NONE,                     \
      "reverses identifiers, authorizations and challenges arrays", "RFC 8555 7.1.3; Pebble")      \
    X(ORDER_REUSE, "order_reuse", LEGAL, CONFIG, NEW_ORDER, "", NONE, "", NONE, "", NONE,          \
      "an identical newOrder gets the account's existing pending or ready order back",             \
      "Boulder docs/acme-implementation_details.md")                                               \
    /* ---- degraded ---- */                                                                       \
    X(RATE_LIMITED_BARE, "rate_limited_bare", DEGRADED, BEFORE, UNKNOWN, "", NONE, "", NONE, "",   \
      NONE, "429 rateLimited without Retry-After", "RFC 8555 6.6; traefik#11912")                  \
    X(SERVER_INTERNAL, "server_internal", DEGRADED, BEFORE, UNKNOWN, "", NONE, "", NONE, "", NONE, \
      "500 serverInternal without Retry-After; the request is not processed", "RFC 8555 6.7")      \
    X(ORDER_NOT_READY, "order_not_ready", DEGRADED, BEFORE, FINALIZE, "", NONE, "", NONE, "",      \
      NONE, "403 orderNotReady although the order is ready", "certbot#9766")                       \
    X(ORDER_INVALID, "order_invalid", DEGRADED, CONFIG, FINALIZE, "", NONE, "", NONE, "", NONE,    \
      "finalize is accepted, then issuance fails and the order turns \"invalid\" with an error",   \
      "RFC 8555 7.1.6; certbot#9296")                                                              \
    X(AUTHZ_INVALID, "authz_invalid", DEGRADED, CONFIG, AUTHZ, "", NONE, "", NONE, "", NONE,       \
      "validation fails: challenge, authorization and order turn \"invalid\"", "RFC 8555 7.5.1")   \
    X(ORDER_EXPIRES, "order_expires", DEGRADED, CONFIG, NEW_ORDER, "after", SECONDS, "", NONE, "", \
      NONE, "orders expire T seconds after creation", "RFC 8555 7.1.3")                            \
    X(DROP_CONNECTION, "drop_connection", DEGRADED, AFTER, UNKNOWN, "", NONE, "", NONE, "", NONE,  \
      "the request is processed but the connection drops before the response",                     \
      "Jepsen indeterminate operations")                                                           \
    X(TRUNCATE_BODY, "truncate_body", DEGRADED, AFTER, UNKNOWN, "keep", PERCENT, "", NONE, "",     \
      NONE, "the response body is cut after N percent", "connection reset mid-body")               \
    X(TIMEOUT, "timeout", DEGRADED, AFTER, UNKNOWN, "after", SECONDS, "", NONE, "", NONE,          \
      "the request is processed; no response arrives and T seconds pass", "client timeouts")       \
    X(PROCESSING_FOREVER, "processing_forever", DEGRADED, CONFIG, FINALIZE, "retry_after", RA, "", \
      NONE, "", NONE, "the order never leaves \"processing\"", "acme.sh#6103")                     \
    X(AUTHZ_PENDING_FOREVER, "authz_pending_forever", DEGRADED, CONFIG, AUTHZ, "retry_after", RA,  \
      "", NONE, "", NONE, "the authorization never leaves \"pending\"", "boulder#2125")            \
    X(BAD_NONCE_BARE, "bad_nonce_bare", DEGRADED, BEFORE, UNKNOWN, "", NONE, "", NONE, "", NONE,   \
      "400 badNonce without a Replay-Nonce header", "RFC 8555 6.5 (SHOULD)")                       \
    X(USER_ACTION_REQUIRED, "user_action_required", DEGRADED, BEFORE, UNKNOWN, "", NONE, "", NONE, \
      "", NONE, "403 userActionRequired with a terms-of-service Link", "RFC 8555 7.3.3")           \
    X(UNKNOWN_ERROR, "unknown_error", DEGRADED, BEFORE, UNKNOWN, "", NONE, "", NONE, "", NONE,     \
      "400 with a problem type no client knows", "RFC 8555 6.7 (list not exhaustive)")             \
    X(HTML_ERROR, "html_error", DEGRADED, BEFORE, UNKNOWN, "", NONE, "", NONE, "", NONE,           \
      "502 with an HTML page from a proxy", "RFC 8555 6.7; non-JSON 5xx")                          \
    /* ---- malformed ---- */                                                                      \
    X(VALID_NO_CERT, "valid_without_certificate", MALFORMED, AFTER, ORDER, "", NONE, "", NONE, "", \
      NONE, "the order is \"valid\" but has no certificate field",                                 \
      "RFC 8555 7.1.3; 'Certificate location not specified in response'")                          \
    X(CERT_LATE, "certificate_late", MALFORMED, AFTER, ORDER, "polls", COUNT, "", NONE, "", NONE,  \
      "the certificate field appears only N responses after \"valid\"", "RFC 8555 7.1.3")          \
    X(DROP_FIELD, "drop_field", MALFORMED, AFTER, UNKNOWN, "field", FIELD, "", NONE, "", NONE,     \
      "removes a member from the JSON object", "RFC 8555 7.1")                                     \
    X(WRONG_TYPE, "wrong_type", MALFORMED, AFTER, UNKNOWN, "field", FIELD, "type", JTYPE, "",      \
      NONE, "replaces a member with a value of another JSON type", "RFC 8555 7.1")                 \
    X(BOGUS_STATUS, "bogus_status", MALFORMED, AFTER, UNKNOWN, "status", STATUS, "", NONE, "",     \
      NONE, "sets \"status\" to a string no RFC 8555 object has", "RFC 8555 7.1.6")                \
    X(INVALID_JSON, "invalid_json", MALFORMED, AFTER, UNKNOWN, "body", JUNK, "", NONE, "", NONE,   \
      "replaces the body with invalid or truncated JSON", "RFC 8259")                              \
    X(EMPTY_BODY, "empty_body", MALFORMED, AFTER, UNKNOWN, "", NONE, "", NONE, "", NONE,           \
      "removes the body", "RFC 8555 7.1")                                                          \
    X(CONTENT_TYPE, "content_type", MALFORMED, AFTER, UNKNOWN, "value", CTYPE, "", NONE, "", NONE, \
      "sends a wrong Content-Type", "RFC 8555 7.1, 7.4.2")                                         \
    X(RETRY_AFTER_BAD, "retry_after_bad", MALFORMED, AFTER, UNKNOWN, "value", RA_BAD, "", NONE,    \
      "", NONE, "adds an absurd or malformed Retry-After (huge, negative, decimal, junk, past)",   \
      "RFC 9110 10.2.3; acme.sh#4543; lego#2829")                                                  \
    X(RETRY_AFTER_TWICE, "retry_after_twice", MALFORMED, AFTER, UNKNOWN, "", NONE, "", NONE, "",   \
      NONE, "sends two Retry-After headers that disagree", "RFC 9110 5.3")                         \
    X(NO_REPLAY_NONCE, "no_replay_nonce", MALFORMED, AFTER, UNKNOWN, "", NONE, "", NONE, "", NONE, \
      "removes Replay-Nonce from the response", "RFC 8555 6.5")                                    \
    X(BAD_REPLAY_NONCE, "bad_replay_nonce", MALFORMED, AFTER, UNKNOWN, "", NONE, "", NONE, "",     \
      NONE, "sends a Replay-Nonce with characters outside base64url", "RFC 8555 6.5.1")            \
    X(INVALID_PEM, "invalid_pem", MALFORMED, AFTER, CERT, "chain", PEM, "", NONE, "", NONE,        \
      "breaks the certificate chain (junk, a private key block, DER, nothing)",                    \
      "RFC 8555 7.4.2, 11.4")                                                                      \
    X(CHAIN_REVERSED, "chain_reversed", MALFORMED, AFTER, CERT, "", NONE, "", NONE, "", NONE,      \
      "the chain lists the intermediate before the leaf", "RFC 8555 7.4.2")                        \
    X(NO_LOCATION, "no_location", MALFORMED, AFTER, UNKNOWN, "", NONE, "", NONE, "", NONE,         \
      "removes the Location header", "RFC 8555 7.3, 7.4")                                          \
    /* ---- appended later, whatever their class (a number is a position) ---- */                  \
    X(SPARE_NONCE, "spare_nonce", LEGAL, AFTER, UNKNOWN, "", NONE, "", NONE, "", NONE,             \
      "adds a fresh Replay-Nonce to a response that has none (an answer to a GET, such as the "    \
      "directory), a spare nonce a client may keep and use later",                                 \
      "RFC 8555 6.5.1; Boulder (a nonce on every answer to a non-GET request)")                    \
    X(CERT_EARLY, "certificate_early", MALFORMED, CONFIG, FINALIZE, "", NONE, "", NONE, "", NONE,  \
      "finalize answers \"processing\" and the order already carries its \"certificate\" URL, "    \
      "which answers 404 until the order is \"valid\"",                                            \
      "RFC 8555 7.1.3, 7.4; certbot#7997")

typedef enum afz_fault_id {
#define AFZ_FAULT_ENUM(e, ...) AFZ_FAULT_##e,
    AFZ_FAULT_TABLE(AFZ_FAULT_ENUM)
#undef AFZ_FAULT_ENUM
        AFZ_FAULT__COUNT
} afz_fault_id;

/* Retiring a fault: keep its row (its number must not move) and list it
 * here as R(a, ENUM); the decoder then drops its rules as no-ops like
 * those of a byte no fault holds, the encoder and the text form refuse
 * it, and `list faults` marks it retired. No fault is retired today.
 * Example: #define AFZ_FAULT_RETIRED(R, a) R(a, SHUFFLE) R(a, TIMEOUT) */
#define AFZ_FAULT_RETIRED(R, a)
/* AFZ_FAULT_IS_RETIRED(id) is a constant expression: 1 when |id| is listed. */
#define AFZ_FAULT_RETIRED_EQ(id, e) || (id) == AFZ_FAULT_##e
#define AFZ_FAULT_IS_RETIRED(id) (0 AFZ_FAULT_RETIRED(AFZ_FAULT_RETIRED_EQ, id))

typedef struct afz_fault_arg_def {
    const char *name; /* "" when unused */
    afz_arg_type type;
} afz_fault_arg_def;

typedef struct afz_fault_def {
    afz_fault_id id;
    const char *name;
    afz_fault_class cls;
    afz_fault_mech mech;
    afz_resource resource; /* natural target; AFZ_RES_UNKNOWN: any */
    afz_fault_arg_def args[AFZ_FAULT_MAX_ARGS];
    size_t n_args;
    const char *description;
    const char *reference;
    int retired; /* 1: kept for its number only (a no-op) */
} afz_fault_def;

/* afz_fault_get returns the definition of |id|, NULL when out of range. */
const afz_fault_def *afz_fault_get(afz_fault_id id);
/* afz_fault_find returns the fault named |name| (exact), NULL if none. */
const afz_fault_def *afz_fault_find(const char *name);
const char *afz_fault_class_name(afz_fault_class c);
const char *afz_fault_mech_name(afz_fault_mech m);

/* afz_arg_domain returns how many values an argument type has (>= 1). */
unsigned afz_arg_domain(afz_arg_type t);
/* afz_arg_value_name returns the text-form token of value |v| of type |t|
 * ("3", "date+5s", "certificate", ...); NULL when v is out of range. The
 * pointer is static, or for numeric types points into |scratch| (>= 16
 * bytes). */
const char *afz_arg_value_name(afz_arg_type t, unsigned v, char scratch[16]);
/* afz_arg_value_parse maps a text-form token back to its value. Returns 0,
 * or -1 when |token| names no value of |t|. */
int afz_arg_value_parse(afz_arg_type t, const char *token, unsigned *v);
/* afz_arg_type_name names the type for `list faults` ("0..15", ...). */
const char *afz_arg_type_name(afz_arg_type t);

/* Interpretation of argument values, for the fault engine. */
/* Seconds for AFZ_ARG_SECONDS value v. */
int64_t afz_arg_seconds(unsigned v);
/* Retry-After forms (AFZ_ARG_RA): v == 0 is "none". Otherwise *is_date
 * says HTTP-date and *seconds the delay from now. Returns 0 for none. */
int afz_arg_ra(unsigned v, int *is_date, int64_t *seconds);
/* Literal malformed Retry-After header value for AFZ_ARG_RA_BAD v. */
const char *afz_arg_ra_bad(unsigned v);
/* JSON member name for AFZ_ARG_FIELD v. */
const char *afz_arg_field(unsigned v);
/* Status string for AFZ_ARG_STATUS v, and for AFZ_ARG_STALE v. */
const char *afz_arg_status(unsigned v);
const char *afz_arg_stale(unsigned v);
/* Body bytes for AFZ_ARG_JUNK v (NUL-terminated literal). */
const char *afz_arg_junk(unsigned v);
/* Content-Type for AFZ_ARG_CTYPE v; NULL means "remove the header". */
const char *afz_arg_ctype(unsigned v);

/* AFZ_ARG_JTYPE values. */
typedef enum afz_jtype {
    AFZ_JTYPE_NULL = 0,
    AFZ_JTYPE_NUMBER,
    AFZ_JTYPE_BOOL,
    AFZ_JTYPE_OBJECT,
    AFZ_JTYPE_ARRAY,
    AFZ_JTYPE_STRING,
    AFZ_JTYPE_HUGE_STRING,
    AFZ_JTYPE__COUNT
} afz_jtype;

/* AFZ_ARG_PEM values. */
typedef enum afz_pem_fault {
    AFZ_PEM_JUNK = 0,    /* not PEM at all */
    AFZ_PEM_PRIVATE_KEY, /* the chain plus a PRIVATE KEY block */
    AFZ_PEM_DER,         /* the leaf as DER bytes */
    AFZ_PEM_EMPTY_CHAIN, /* PEM armour with nothing inside */
    AFZ_PEM_TRUNCATED,   /* the chain cut mid-block */
    AFZ_PEM_BAD_BASE64,  /* a CERTIFICATE block of invalid base64 */
    AFZ_PEM__COUNT
} afz_pem_fault;

#endif
