/* afz_history.h - the record of one run: every HTTP exchange between the
 * client and the server model, and every server-side event (account
 * created, order created, finalize accepted, certificate issued and
 * downloaded, ...), in the order they happened, with virtual time.
 *
 * Properties read a history and nothing else. The history owns deep
 * copies of everything it records.
 *
 * Identity. Two runs with the same inputs produce byte-identical
 * afz_history_to_json output: in-process runs make OpenSSL's randomness
 * deterministic (afz_detrand_install), so even ECDSA signatures in JWS
 * bodies, CSRs and certificates repeat. No field is elided. */
#ifndef AFZ_HISTORY_H
#define AFZ_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "afz_buf.h"
#include "afz_http.h"
#include "afz_resource.h"

typedef enum afz_event_kind {
    AFZ_EV_ACCOUNT_CREATED = 0, /* url: account URL */
    AFZ_EV_ACCOUNT_UPDATED = 1, /* url: account URL */
    AFZ_EV_ACCOUNT_DEACTIVATED = 2,
    AFZ_EV_KEY_CHANGED = 3,       /* url: account URL */
    AFZ_EV_ORDER_CREATED = 4,     /* url: order URL, identifiers */
    AFZ_EV_ORDER_REUSED = 5,      /* url: order URL handed back for a newOrder */
    AFZ_EV_CHALLENGE_STARTED = 6, /* url: challenge URL, related: authz URL */
    AFZ_EV_AUTHZ_VALID = 7,       /* url: authz URL, identifiers */
    AFZ_EV_AUTHZ_INVALID = 8,
    AFZ_EV_ORDER_READY = 9,        /* url: order URL */
    AFZ_EV_ORDER_INVALID = 10,     /* url: order URL, detail: why */
    AFZ_EV_FINALIZE_ACCEPTED = 11, /* url: order URL, identifiers */
    AFZ_EV_FINALIZE_REJECTED = 12, /* url: order URL, detail: problem type */
    AFZ_EV_CERT_ISSUED = 13,       /* url: cert URL, related: order URL, identifiers, serial */
    AFZ_EV_CERT_DOWNLOADED = 14,   /* url: cert URL, related: order URL, serial */
    AFZ_EV_CERT_REVOKED = 15,      /* url: cert URL, serial */
    AFZ_EV_SLEEP = 16,             /* value: milliseconds asked for */
    AFZ_EV_CLIENT_LOG = 17,        /* detail: the client's log line */
    AFZ_EV_CLIENT_DONE = 18,       /* value: 1 success, 0 failure; detail: reason */
    AFZ_EV_BUDGET_EXHAUSTED = 19,  /* detail: which budget */
    AFZ_EV_ATTEMPT_START = 20,     /* value: attempt number (campaign mode) */
    AFZ_EV_FAULT = 21,             /* detail: the injected fault, value: rule (1-based) */
    AFZ_EV_FAULT_CONFIG = 22,      /* detail: a CONFIG rule set up before the run, value: rule */
    AFZ_EV_VALIDATION = 23,        /* server mode checked a challenge for real: url: challenge
                                      URL, identifiers, detail: what it found, value: 1 ok, 0 not */
    AFZ_EV_CLIENT_CRASHED = 24,    /* the client died by a signal (caught, afz_crash.h):
                                      value: the signal, detail: how and where */
    AFZ_EV__COUNT
} afz_event_kind;

/* The detail of AFZ_EV_BUDGET_EXHAUSTED when `acmefuzz suite` killed the
 * client command at its wall-clock --timeout (afz_suite.c); `terminates`
 * judges such a kill apart from a run's own budgets (afz_prop_outcome.c). */
#define AFZ_BUDGET_WALL_CLOCK "wall-clock"

/* afz_event_kind_name returns a stable snake_case name for |k|. */
const char *afz_event_kind_name(afz_event_kind k);

typedef struct afz_event {
    afz_event_kind kind;
    size_t seq;        /* position among all exchanges and events */
    size_t exchange;   /* index of the exchange it belongs to: the one
                          being served when it happened, else the next */
    int64_t mono_ms;   /* virtual time */
    char *url;         /* owned, may be NULL */
    char *related_url; /* owned, may be NULL */
    char *identifiers; /* owned, sorted comma-joined identifier set, may be NULL */
    char *serial;      /* owned, lower-case hex, may be NULL */
    char *detail;      /* owned, may be NULL */
    int64_t value;
} afz_event;

typedef struct afz_exchange {
    size_t seq;            /* position among all exchanges and events */
    size_t index;          /* 0-based exchange number */
    int64_t mono_ms;       /* virtual time the request was made */
    int64_t wall_ms;       /* virtual wall clock at that instant */
    afz_resource resource; /* what the server model took the URL for */
    int delivered;         /* 1: |resp| reached the client; 0: the transport
                              failed (connection dropped) and |resp| is empty */
    afz_request req;       /* owned copy */
    afz_response resp;     /* owned copy */
    /* The server model's own parse of req.body as a flattened JWS
     * (afz_jws_parse, afz_jose.h), when the model made one and it
     * succeeded; else NULL. Owned (afz_history_set_request_jws). The
     * trace borrows it instead of parsing the body again. Not part of
     * the JSON form: a history read back by afz_history_from_json has
     * none, and the trace parses the body itself, with the same function
     * over the same bytes, so both give the same trace. */
    struct afz_jws *req_jws;
} afz_exchange;

typedef struct afz_history {
    afz_exchange *ex;
    size_t n_ex, cap_ex;
    afz_event *ev;
    size_t n_ev, cap_ev;
    size_t next_seq;
} afz_history;

void afz_history_init(afz_history *h);
/* afz_history_reset empties |h| and frees what it recorded, keeping the
 * arrays for reuse (per-iteration reset in fuzz loops). */
void afz_history_reset(afz_history *h);
void afz_history_cleanup(afz_history *h);

/* afz_history_add_exchange records a copy of |req| and, when |resp| is not
 * NULL, of |resp| (delivered = 1); NULL records a transport failure. */
afz_rc afz_history_add_exchange(afz_history *h, const afz_request *req, const afz_response *resp,
                                afz_resource resource, int64_t mono_ms, int64_t wall_ms);
/* afz_history_set_request_jws hands |jws| (NULL: nothing), the server
 * model's successful afz_jws_parse of the body of exchange |i|'s request,
 * to the history, which frees it (afz_jws_cleanup, then free) with the
 * exchange. Any parse held before is freed. |jws| must be the parse of
 * exactly that request body; with |i| out of range it is freed at once. */
struct afz_jws;
void afz_history_set_request_jws(afz_history *h, size_t i, struct afz_jws *jws);
/* An event to record, by named fields; what a kind does not use stays
 * NULL or 0 (afz_event says what each kind fills in):
 *
 *   afz_event_in ev = {.kind = AFZ_EV_SLEEP, .mono_ms = now, .value = ms};
 *   afz_history_add_event(h, &ev);
 */
typedef struct afz_event_in {
    afz_event_kind kind;
    int64_t mono_ms;
    const char *url;         /* borrowed; copied */
    const char *related_url; /* borrowed; copied */
    const char *identifiers; /* borrowed; copied */
    const char *serial;      /* borrowed; copied */
    const char *detail;      /* borrowed; copied */
    int64_t value;
} afz_event_in;

/* afz_history_add_event records a copy of |in| (every string may be
 * NULL). The event's exchange is the number of exchanges recorded so far,
 * that is, the exchange being served or the next one. */
afz_rc afz_history_add_event(afz_history *h, const afz_event_in *in);

/* afz_history_to_json appends the whole history as one JSON document:
 * {"exchanges":[...],"events":[...]} with bodies as text when they are
 * valid UTF-8 without NUL, else base64url under "body_b64". */
afz_rc afz_history_to_json(const afz_history *h, afz_buf *out);
/* afz_history_print_log appends the human log: one numbered line per
 * exchange (time, method, path, resource, status, key fields of the
 * response) with the events between them indented. |verbose| adds
 * the client's log lines, decoded JWS requests and response bodies. */
afz_rc afz_history_print_log(const afz_history *h, int verbose, afz_buf *out);
/* afz_history_print_log_marked is afz_history_print_log with the exchanges
 * whose indexes are in |marks| (|n_marks| of them) flagged with "=>", the
 * way a verdict report points at the offending request. */
afz_rc afz_history_print_log_marked(const afz_history *h, int verbose, const size_t *marks,
                                    size_t n_marks, afz_buf *out);

/* Caps of afz_history_from_json (afz_history_json.c): as many exchanges as
 * server mode records (afz_serve_config.max_exchanges), ten events per
 * exchange, bodies four times server mode's request cap, and headers and
 * strings far above anything a client or the model sends. */
#define AFZ_HISTORY_JSON_MAX_EXCHANGES 20000
#define AFZ_HISTORY_JSON_MAX_EVENTS 200000
#define AFZ_HISTORY_JSON_MAX_BODY (1024 * 1024)
#define AFZ_HISTORY_JSON_MAX_HEADERS 256
#define AFZ_HISTORY_JSON_MAX_STRING (64 * 1024)

/* afz_history_from_json is the inverse of afz_history_to_json: it parses
 * |n| bytes at |p| and rebuilds into |out| (initialized here) every
 * exchange (index, seq, time, resource, request method, URL, headers and
 * body, response status, headers and body or the transport failure) and
 * every event, so that afz_history_to_json of the result is byte for byte
 * the text it was read from. The history is rebuilt in seq order through
 * afz_history_add_exchange and afz_history_add_event, and the recorded
 * index, seq and exchange numbers must agree with what those assign.
 * Exchanges without "wall_ms" (afz_history_to_json does not write it) get
 * AFZ_CLOCK_DEFAULT_EPOCH_MS + t_ms, the wall clock of in-process runs.
 * Unknown members are ignored; a repeated known member is an error.
 * Returns AFZ_EPARSE for input that is not such a document (bad JSON,
 * a missing or mistyped member, a count or length past the caps above)
 * with a one-line reason in |why| (|whylen| bytes; the JSON line and
 * column of a syntax error, else the path of the member, e.g.
 * "exchanges[3].request.headers[1]: not a [name, value] pair of
 * strings"), or AFZ_ENOMEM. On error |out| is left empty (nothing to
 * free); on success the caller frees it with afz_history_cleanup. */
afz_rc afz_history_from_json(const void *p, size_t n, afz_history *out, char *why, size_t whylen);
/* afz_history_from_json_tree is afz_history_from_json over an already
 * parsed document (a cJSON object, borrowed), e.g. the "history" member
 * of a report. */
struct cJSON;
afz_rc afz_history_from_json_tree(const struct cJSON *root, afz_history *out, char *why,
                                  size_t whylen);

#endif
