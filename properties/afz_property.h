/* afz_property.h - protocol properties checked over a run's history.
 *
 * A property is pure: a function of the history (read through its trace,
 * afz_trace.h), the fault plan and the client's outcome, returning pass,
 * violation or inconclusive with a message and the offending exchange. It
 * never depends on which client produced the history, nor on the server
 * model's URL layout: it reads the resource kind recorded per exchange and
 * URLs as they appear in responses. Each has a stable id, the RFC section
 * it enforces, a level and a one-line rationale (DESIGN.md, "Properties").
 *
 * Levels say what a violation means, and a property's level is the level
 * of the sentence it cites (docs/PROPERTIES.md quotes each one):
 *   MUST   - breaks an RFC requirement on clients (an upper-case MUST or
 *            MUST NOT of RFC 8555, 7515 or 9773);
 *   SHOULD - breaks an upper-case SHOULD or SHOULD NOT of those RFCs;
 *   HARM   - measurably hurts the CA or the user whatever the RFC says,
 *            past a stated bound (duplicate issuance, hot loops, a crash,
 *            no end);
 *   ROBUST - fragile in production: the client does not cope with what a
 *            server may legally send, or with what real CAs do beyond the
 *            RFC (replica lag), where no RFC sentence makes coping a duty.
 * Which levels fail a run is the policy's business (afz_policy.h).
 *
 * Verdicts follow SQLite's fuzzinvariants: a property never blames the
 * client for what an injected fault excuses; when it cannot judge (no
 * trace), it says inconclusive.
 *
 * Typical use, once per run:
 *
 *   afz_trace t;
 *   afz_trace_build(&run.history, &t);          (parses every exchange once)
 *   afz_prop_limits lim;
 *   afz_prop_limits_default(&lim);
 *   afz_prop_input in;
 *   afz_prop_input_from_run(&in, &run, &cfg, &t, &lim);   (afz_report.h; or fill it)
 *   size_t n;
 *   const afz_property *p = afz_properties(&n);
 *   for (size_t i = 0; i < n; i++) { afz_prop_result r; p[i].check(&in, &r); ... }
 *   afz_trace_cleanup(&t);
 */
#ifndef AFZ_PROPERTY_H
#define AFZ_PROPERTY_H

#include <stddef.h>
#include <stdint.h>

#include "afz_fault.h"
#include "afz_history.h"
#include "afz_plan.h"

struct afz_trace;

typedef enum afz_level {
    AFZ_LEVEL_MUST = 0,
    AFZ_LEVEL_SHOULD = 1,
    AFZ_LEVEL_HARM = 2,
    AFZ_LEVEL_ROBUST = 3
} afz_level;

const char *afz_level_name(afz_level l); /* "MUST", "SHOULD", "HARM", "ROBUST" */

typedef enum afz_verdict {
    AFZ_VERDICT_PASS = 0,
    AFZ_VERDICT_VIOLATION = 1,
    AFZ_VERDICT_INCONCLUSIVE = 2
} afz_verdict;

const char *afz_verdict_name(afz_verdict v); /* "pass", "violation", "inconclusive" */

/* Bounds the properties use. Defaults (afz_prop_limits_default) come from
 * what RFC 8555 and Let's Encrypt expect; afz_property.c documents each. */
typedef struct afz_prop_limits {
    int64_t min_poll_interval_ms;    /* poll-backoff: least spacing without Retry-After (1000) */
    unsigned max_polls_per_resource; /* poll-backoff: polls of one pending/processing URL (50) */
    unsigned max_new_orders_per_attempt; /* bounded-new-orders: per identifier set and
                                        obtain call (2: one order, one fresh order after
                                        the first went invalid or expired) */
    size_t max_requests;                 /* terminates: exchanges per run (300, as afz_run) */
    int64_t max_virtual_ms;              /* terminates: virtual time per run (24 h, as afz_run) */
    int64_t retry_after_tolerance_ms;    /* respects-retry-after: clock granularity allowance
                                           (0 in-process; server mode sets ~1000) */
    int64_t malformed_retry_after_floor_ms; /* least wait after a malformed Retry-After (1000) */
    int64_t retry_after_cap_ms;             /* respects-retry-after: a well-formed delay above this
                                                is absurd and judged like a malformed one (1 h) */
    unsigned max_certless_valid_rereads;    /* bounded-valid-rereads: quick re-reads of a
                                           "valid" order without a certificate URL, per order
                                           and obtain call (10); all re-reads are bounded by
                                           max_polls_per_resource */
    int64_t certless_reread_quick_ms;       /* bounded-valid-rereads: a re-read sooner than this
                                              after the previous request to the order is quick
                                              (10000) */
    unsigned max_unasked_authz_rereads;     /* no-unasked-authz-polls: re-reads of a
                                            pending authorization none of whose challenges
                                            the client asked to validate (3) */
} afz_prop_limits;

/* afz_prop_limits_default fills |l| with the defaults above. */
void afz_prop_limits_default(afz_prop_limits *l);

/* What a property sees. Everything is borrowed for the call.
 *
 * Properties read |trace| (the parsed view of |history|, built once per
 * run by the caller with afz_trace_build) for exchanges, and |history|
 * directly only for its events. Properties that need exchanges report
 * inconclusive when |trace| is NULL. */
typedef struct afz_prop_input {
    const afz_history *history;
    const struct afz_trace *trace;  /* afz_trace_build(history); may be NULL (see above) */
    const afz_plan *plan;           /* NULL: no faults were injected */
    afz_fault_class plan_class;     /* afz_plan_class(plan), LEGAL without a plan */
    const char *const *identifiers; /* what the client was asked to obtain */
    size_t n_identifiers;
    int client_succeeded;          /* the last obtain returned a certificate */
    int budget_exhausted;          /* a run budget ran out */
    int aborted;                   /* the client ignored the spent budget */
    unsigned attempts;             /* obtain calls (campaign mode) */
    int client_crash_signal;       /* the signal that killed the client (a crash it
                                      caused, not the harness's timeout), or 0 */
    int client_stateless;          /* the client declared it keeps no state across
                                      obtain calls (AFZ_CLIENT_STATELESS) */
    const afz_prop_limits *limits; /* NULL: afz_prop_limits_default */
} afz_prop_input;

typedef struct afz_prop_result {
    afz_verdict verdict;
    size_t exchange;   /* 0-based index of the offending exchange, or SIZE_MAX */
    char message[320]; /* one line: what happened (exchanges named "#n", 1-based) */
} afz_prop_result;

typedef struct afz_property {
    const char *id;  /* stable, e.g. "no-refinalize" */
    const char *rfc; /* e.g. "RFC 8555 7.4" */
    afz_level level;
    const char *rationale; /* one line */
    void (*check)(const afz_prop_input *in, afz_prop_result *out);
    const char *basis; /* what the level rests on: the RFC sentences quoted
                          (docs/PROPERTIES.md, word for word), or, where no
                          client keyword exists, why HARM or ROBUST instead */
} afz_property;

/* afz_properties returns the table of every property (static) and its
 * length in *n. */
const afz_property *afz_properties(size_t *n);
/* afz_property_find returns the property with |id|, or NULL. */
const afz_property *afz_property_find(const char *id);

#endif
