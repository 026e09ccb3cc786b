/* afz_report.h - verdict reports: every property evaluated over one run,
 * printed for a person (the numbered exchange log with the offending
 * requests marked, injected faults flagged, and the replay command) or as
 * JSON for machines.
 *
 * Which violations fail the run is decided by a policy (afz_policy.h):
 * its fail set of levels, and waivers (--allow ID, the way a linter
 * silences one rule). A violation outside the fail set is still reported,
 * as a warning; a waived one as waived; neither counts toward the exit
 * status. */
#ifndef AFZ_REPORT_H
#define AFZ_REPORT_H

#include <stddef.h>

#include "afz_buf.h"
#include "afz_policy.h"
#include "afz_property.h"
#include "afz_run.h"

#define AFZ_REPORT_MAX 32

typedef struct afz_report_entry {
    const afz_property *prop;
    afz_prop_result result;
    int waived; /* a violation whose id the policy waives */
    int fails;  /* a violation that fails the run under the policy */
} afz_report_entry;

typedef struct afz_report {
    afz_report_entry entries[AFZ_REPORT_MAX];
    size_t n;
    afz_policy policy; /* the policy the verdicts were judged under */
    size_t violations; /* violations that fail the run */
    size_t warnings;   /* violations of levels outside the fail set */
    size_t waived;     /* violations waived */
    size_t inconclusive;
} afz_report;

typedef struct afz_report_options {
    const afz_policy *policy;      /* NULL: afz_policy_default */
    const afz_prop_limits *limits; /* NULL: afz_prop_limits_default */
} afz_report_options;

/* afz_report_entry_label returns how a violated entry is shown:
 * "VIOLATION" (fails the run), "WARNING" (level outside the fail set) or
 * "WAIVED". */
const char *afz_report_entry_label(const afz_report_entry *e);

/* afz_prop_input_from_run fills |in| (afz_property.h) from a finished
 * in-process run: the history, plan, class, identifiers and outcome of |r|
 * and |cfg|, plus |trace| and |limits| (all borrowed; trace and limits may
 * be NULL). It lives here, above the properties, because the properties
 * judge histories and know nothing of how a run was made. */
void afz_prop_input_from_run(afz_prop_input *in, const afz_run_result *r, const afz_run_config *cfg,
                             const struct afz_trace *trace, const afz_prop_limits *limits);

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
