/* afz_report.h - verdict reports: every property evaluated over one run,
 * printed for a person (the numbered exchange log with the offending
 * requests marked, injected faults flagged, and the replay command) or as
 * JSON for machines.
 *
 * Waivers: a CI user can waive a property by id (--allow ID), the way a
 * linter silences one rule; a waived violation is still reported, marked
 * as waived, and does not count toward the exit status. */
#ifndef AFZ_REPORT_H
#define AFZ_REPORT_H

#include <stddef.h>

#include "afz_buf.h"
#include "afz_property.h"
#include "afz_run.h"

#define AFZ_REPORT_MAX 32

typedef struct afz_report_entry {
    const afz_property *prop;
    afz_prop_result result;
    int waived;            /* its id was passed to --allow */
} afz_report_entry;

typedef struct afz_report {
    afz_report_entry entries[AFZ_REPORT_MAX];
    size_t n;
    size_t violations;     /* violations not waived */
    size_t waived;         /* violations waived */
    size_t inconclusive;
} afz_report;

typedef struct afz_report_options {
    const char *const *allow;      /* property ids waived, may be NULL */
    size_t n_allow;
    const afz_prop_limits *limits; /* NULL: afz_prop_limits_default */
} afz_report_options;

/* afz_report_unknown_allow returns the first id in |allow| that names no
 * property, or NULL when all are known (usage check for --allow). */
const char *afz_report_unknown_allow(const char *const *allow, size_t n_allow);

/* afz_report_evaluate runs every property over |run| (made with |cfg|).
 * Returns AFZ_ENOMEM if the trace could not be built. */
afz_rc afz_report_evaluate(const afz_run_result *run, const afz_run_config *cfg,
                           const afz_report_options *opt, afz_report *out);

/* afz_report_text appends the human report: the violations (property id,
 * level, RFC section, one line), the exchange log with offending requests
 * marked "=>" and injected faults flagged "!", a summary line, and the
 * replay command |replay| (may be NULL). |verbose| shows bodies too. */
afz_rc afz_report_text(const afz_report *r, const afz_run_result *run, int verbose,
                       const char *replay, afz_buf *out);

/* afz_report_json appends the same as one JSON object: client outcome,
 * verdicts (every property, with level, rfc, verdict, waived, exchange,
 * message), the plan in text form, the replay command and the history. */
afz_rc afz_report_json(const afz_report *r, const afz_run_result *run, const afz_run_config *cfg,
                       const char *client_name, const char *replay, afz_buf *out);

/* afz_report_evaluate_input runs every property over a history that no
 * in-process run produced (server mode, suites): |in| names the history,
 * plan, identifiers and outcome. When in->trace is NULL the trace is built
 * here (and freed before returning); opt->limits, when set, replaces
 * in->limits. Returns AFZ_ENOMEM if the trace could not be built. */
afz_rc afz_report_evaluate_input(const afz_prop_input *in, const afz_report_options *opt,
                                 afz_report *out);

#endif
