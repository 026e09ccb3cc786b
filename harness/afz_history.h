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
    AFZ_EV_ACCOUNT_CREATED = 0,   /* url: account URL */
    AFZ_EV_ACCOUNT_UPDATED = 1,   /* url: account URL */
    AFZ_EV_ACCOUNT_DEACTIVATED = 2,
    AFZ_EV_KEY_CHANGED = 3,       /* url: account URL */
    AFZ_EV_ORDER_CREATED = 4,     /* url: order URL, identifiers */
    AFZ_EV_ORDER_REUSED = 5,      /* url: order URL handed back for a newOrder */
    AFZ_EV_CHALLENGE_STARTED = 6, /* url: challenge URL, related: authz URL */
    AFZ_EV_AUTHZ_VALID = 7,       /* url: authz URL, identifiers */
    AFZ_EV_AUTHZ_INVALID = 8,
    AFZ_EV_ORDER_READY = 9,       /* url: order URL */
    AFZ_EV_ORDER_INVALID = 10,    /* url: order URL, detail: why */
    AFZ_EV_FINALIZE_ACCEPTED = 11,/* url: order URL, identifiers */
    AFZ_EV_FINALIZE_REJECTED = 12,/* url: order URL, detail: problem type */
    AFZ_EV_CERT_ISSUED = 13,      /* url: cert URL, related: order URL, identifiers, serial */
    AFZ_EV_CERT_DOWNLOADED = 14,  /* url: cert URL, related: order URL, serial */
    AFZ_EV_CERT_REVOKED = 15,     /* url: cert URL, serial */
    AFZ_EV_SLEEP = 16,            /* value: milliseconds asked for */
    AFZ_EV_CLIENT_LOG = 17,       /* detail: the client's log line */
    AFZ_EV_CLIENT_DONE = 18,      /* value: 1 success, 0 failure; detail: reason */
    AFZ_EV_BUDGET_EXHAUSTED = 19, /* detail: which budget */
    AFZ_EV_ATTEMPT_START = 20,    /* value: attempt number (campaign mode) */
    AFZ_EV_FAULT = 21,            /* detail: the injected fault, value: rule (1-based) */
    AFZ_EV_FAULT_CONFIG = 22,     /* detail: a CONFIG rule set up before the run, value: rule */
    AFZ_EV_VALIDATION = 23,       /* server mode checked a challenge for real: url: challenge
                                     URL, identifiers, detail: what it found, value: 1 ok, 0 not */
    AFZ_EV__COUNT
} afz_event_kind;

/* afz_event_kind_name returns a stable snake_case name for |k|. */
const char *afz_event_kind_name(afz_event_kind k);

typedef struct afz_event {
    afz_event_kind kind;
    size_t seq;          /* position among all exchanges and events */
    size_t exchange;     /* index of the exchange it belongs to: the one
                            being served when it happened, else the next */
    int64_t mono_ms;     /* virtual time */
    char *url;           /* owned, may be NULL */
    char *related_url;   /* owned, may be NULL */
    char *identifiers;   /* owned, sorted comma-joined identifier set, may be NULL */
    char *serial;        /* owned, lower-case hex, may be NULL */
    char *detail;        /* owned, may be NULL */
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
afz_rc afz_history_add_exchange(afz_history *h, const afz_request *req,
                                const afz_response *resp, afz_resource resource,
                                int64_t mono_ms, int64_t wall_ms);
/* afz_history_add_event records an event; every string may be NULL and is
 * copied. The event's exchange is the number of exchanges recorded so far,
 * that is, the exchange being served or the next one. */
afz_rc afz_history_add_event(afz_history *h, afz_event_kind kind, int64_t mono_ms,
                             const char *url, const char *related_url,
                             const char *identifiers, const char *serial,
                             const char *detail, int64_t value);

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

#endif
