/* afz_serve_session.h - per-run verdicts in server mode: the history of a
 * long-lived `acmefuzz serve` split into sessions, one client run each,
 * and every session judged on its own.
 *
 * A server that a whole test suite uses sees many client runs. Judged as
 * one run, they trip properties that count per run: `terminates` (300
 * requests), `bounded-new-orders` and `no-duplicate-issuance` (the same
 * names ordered and issued again by the next test). So GET /verdict
 * judges each session alone; a session is one client run.
 *
 * Where sessions start.
 *   - POST /reset (a new server run: empty state and history). The run's
 *     history is kept, read-only, for later verdicts (see afz_serve_log).
 *   - POST /session[?name=NAME], made by a test harness between tests:
 *     everything from that call to the next boundary is one session,
 *     whatever accounts it uses. POST /reset?name=NAME is a reset followed
 *     by POST /session?name=NAME.
 *     Requests before a run's first POST /session that named no account
 *     (a harness polling GET /directory until the server is up) join the
 *     first such session rather than make one of their own.
 *   - Otherwise (before the first POST /session of a run) by account:
 *     - a request signed with "kid" belongs to that account's session;
 *     - a newAccount request ("jwk" to the account resource) that the
 *       server answered with an account URL (Location) starts a new
 *       session for that account, unless the account's current session
 *       has made no other signed request yet. A client that keeps its
 *       account key between runs posts newAccount at the start of each,
 *       so each run is a session of its own; one that never posts
 *       newAccount again needs POST /session to be split;
 *     - every other request (GET /directory, newNonce, a refused
 *       newAccount, a "jwk" revokeCert, anything unreadable) is held
 *       until it can be placed: an exchange whose response carried a
 *       Replay-Nonce goes to the session of the request that used that
 *       nonce (exact, even with concurrent clients); the others go to the
 *       session of the next placed signed request (the directory a client
 *       fetched before its newAccount). What is still held at the end
 *       goes to the session of the nearest later placed exchange, else of
 *       the nearest earlier one, else to one session without an account.
 *
 * Events go where they belong: to the session of the exchange being
 * served when the event names that exchange's URL; else to the session
 * that last sent or was told (Location) the URL the event names (a
 * challenge checked for real finishes between requests); else to the
 * session of the event's exchange; else to the run's last session.
 *
 * A session's own history. Properties read an afz_history, so a session
 * is judged over a copy of its exchanges and events (made on demand and
 * freed at once; only one session is copied at a time), with its clock
 * rebased to the session's first record. When the session fetched no
 * directory itself, a copy of the latest directory exchange before it is
 * put first (the trace recognises newAccount by the directory), and
 * reported as "directory_from". Exchange numbers in a session's verdict
 * messages count the session's own copy; "run_exchange" gives the number
 * in the run's history (GET /history while the run is current). */
#ifndef AFZ_SERVE_SESSION_H
#define AFZ_SERVE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "afz_history.h"
#include "afz_plan.h"
#include "afz_policy.h"
#include "afz_property.h"
#include "afz_rc.h"

#define AFZ_SERVE_SESSION_NAME_MAX 128 /* longest session name, bytes */

/* A POST /session boundary: what the run's history held at the call. */
typedef struct afz_serve_mark {
    size_t ex;  /* exchanges recorded before it */
    size_t ev;  /* events recorded before it */
    char *name; /* owned; NULL when unnamed */
} afz_serve_mark;

/* How a session was delimited. */
typedef enum afz_serve_split {
    AFZ_SERVE_SPLIT_ACCOUNT = 0, /* by account (no POST /session before it) */
    AFZ_SERVE_SPLIT_MARK = 1     /* by POST /session */
} afz_serve_split;

/* One session of one history: indexes into that history. */
typedef struct afz_serve_session {
    afz_serve_split split;
    const char *name; /* borrowed from its mark; NULL when unnamed */
    char *account;    /* owned: the account URL (the first seen), or NULL */
    size_t *ex;       /* exchange indexes, ascending (owned) */
    size_t n_ex, cap_ex;
    size_t *ev; /* event indexes, ascending (owned) */
    size_t n_ev, cap_ev;
    int open_account; /* internal: no signed request but newAccount yet */
} afz_serve_session;

typedef struct afz_serve_sessions {
    afz_serve_session *v;
    size_t n, cap;
} afz_serve_sessions;

/* afz_serve_sessions_split splits |h| (with the |n_marks| POST /session
 * boundaries |marks|, in call order) into sessions, in the order they
 * started, as described above. |out| needs no initialisation; it borrows
 * the marks' names. AFZ_OK or AFZ_ENOMEM (|out| is then empty; cleanup
 * is safe either way). */
afz_rc afz_serve_sessions_split(const afz_history *h, const afz_serve_mark *marks, size_t n_marks,
                                afz_serve_sessions *out);
void afz_serve_sessions_cleanup(afz_serve_sessions *s);

/* afz_serve_session_history copies session |s| of |h| into |out| (which
 * needs no initialisation; the caller cleans it up): its exchanges and
 * events in their order, the clock rebased to its first record, and the
 * borrowed directory (above) first when it has none. |map| (may be NULL)
 * gets a malloc'd array, one entry per exchange of |out|: its index in
 * |h|; *directory_from is that directory's index in |h|, or SIZE_MAX.
 * AFZ_OK or AFZ_ENOMEM. */
afz_rc afz_serve_session_history(const afz_history *h, const afz_serve_session *s, afz_history *out,
                                 size_t **map, size_t *directory_from);

/* One server run: its history, plan and POST /session marks. */
typedef struct afz_serve_run_rec {
    afz_history history;   /* owned when archived; see afz_serve_log_view */
    const afz_plan *plan;  /* borrowed (plans outlive the server) */
    afz_serve_mark *marks; /* owned */
    size_t n_marks, cap_marks;
    size_t dropped; /* exchanges past the history cap */
    uint64_t run;   /* 1-based run number (resets + 1) */
    size_t bytes;   /* afz_serve_exchange_bytes of its exchanges */
} afz_serve_run_rec;

/* afz_serve_log keeps what per-session verdicts need across resets: the
 * finished runs (oldest first, at most max_exchanges exchanges together;
 * older runs are forgotten, and counted, so session ids stay stable) and
 * the marks of the current run. Zero-initialised is empty. */
typedef struct afz_serve_log {
    afz_serve_run_rec *past;
    size_t n_past, cap_past;
    size_t past_exchanges;
    size_t past_bytes; /* afz_serve_exchange_bytes of the finished runs */
    size_t forgotten_sessions, forgotten_runs;
    afz_serve_mark *marks; /* of the current run */
    size_t n_marks, cap_marks;
    uint64_t marks_run; /* the run the marks belong to */
} afz_serve_log;

void afz_serve_log_cleanup(afz_serve_log *l);

/* afz_serve_log_mark records a POST /session boundary at the current end
 * of |h| (run number |run|; marks of an older run are dropped first, as
 * after a reset no management call made). |name| (may be NULL) is
 * copied. AFZ_ENOMEM, or AFZ_ELIMIT past |max_marks| marks in a run. */
afz_rc afz_serve_log_mark(afz_serve_log *l, uint64_t run, const afz_history *h, const char *name,
                          size_t max_marks);

/* afz_serve_log_archive moves the current run's history |h| (left empty
 * and initialised) and marks into the log as finished run |run|, then
 * forgets the oldest runs while the archive holds more than
 * |max_exchanges| exchanges. AFZ_OK or AFZ_ENOMEM (|h| is then left as
 * it was). */
afz_rc afz_serve_log_archive(afz_serve_log *l, uint64_t run, afz_history *h, const afz_plan *plan,
                             size_t dropped, size_t max_exchanges);

/* afz_serve_exchange_bytes is what one recorded exchange costs the
 * history's byte budget: request and response bodies, URL, header names
 * and values, plus a fixed overhead for the record itself. |resp| may be
 * NULL (nothing delivered). */
size_t afz_serve_exchange_bytes(const afz_request *req, const afz_response *resp);

/* afz_serve_log_trim_bytes forgets the oldest finished runs (counted, as
 * afz_serve_log_archive does) until they hold at most |max_bytes|
 * together; the newest is forgotten too when it alone is over. */
void afz_serve_log_trim_bytes(afz_serve_log *l, size_t max_bytes);

/* The current run, as the server holds it (everything borrowed). */
typedef struct afz_serve_current {
    const afz_history *history;
    const afz_plan *plan;
    size_t dropped;
    uint64_t run;
} afz_serve_current;

/* afz_serve_log_count returns, through *n, how many sessions the log and
 * the current run |cur| (its marks are the log's) hold, forgotten ones
 * included: the id of the last session. AFZ_OK or AFZ_ENOMEM. */
afz_rc afz_serve_log_count(const afz_serve_log *l, const afz_serve_current *cur, size_t *n);

/* What GET /verdict asks. */
typedef struct afz_serve_verdict_query {
    const afz_policy *policy;      /* NULL: afz_policy_default */
    const afz_prop_limits *limits; /* NULL: afz_serve_prop_limits, no time limit */
    const char *outcome;           /* "success", "failure" or NULL: the latest
                                      session's outcome; the others (and it, when
                                      NULL) succeeded when a certificate was downloaded */
    size_t session;                /* 0: every session; N: session N only */
} afz_serve_verdict_query;

/* afz_serve_log_verdict judges the sessions of the log's runs and of the
 * current run |cur| (as for afz_serve_log_count) and returns in *out a
 * new cJSON object (the caller deletes it):
 *   {"sessions":[{"id","run","name","split","account","exchanges",
 *                 "first_exchange","last_exchange","directory_from",
 *                 "client_succeeded","fails","verdict":<afz_serve_verdict_tree,
 *                 each entry with "run_exchange">}...],
 *    "summary":{"sessions","judged","failing","violations","warnings",
 *               "policy","runs","current_run","forgotten_sessions",
 *               "forgotten_runs","exchanges","dropped"}}
 * "fails" is whether a violation fails the session under the policy.
 * AFZ_ENOTFOUND when q->session names no session that is still kept,
 * AFZ_ENOMEM. */
afz_rc afz_serve_log_verdict(const afz_serve_log *l, const afz_serve_current *cur,
                             const afz_serve_verdict_query *q, cJSON **out);

#endif
