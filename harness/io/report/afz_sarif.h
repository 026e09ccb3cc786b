/* afz_sarif.h - findings as SARIF 2.1.0 (OASIS Static Analysis Results
 * Interchange Format), so code-scanning dashboards list a client's
 * protocol violations next to its other alerts.
 *
 * One SARIF log with one run: tool.driver "acmefuzz" with every property
 * as a rule (id, rationale, cited section, default level), and one result
 * per violation: ruleId the property id, the level below, the message
 * (what happened, the exchange, and the command that reproduces it), the
 * scenario file as the location. A waived violation (--allow) is still a
 * result, with a suppression of kind "external" (the waiver lives outside
 * the analysed artifact: on the command line). A scenario that
 * could not run is a tool execution notification of level "error" and
 * makes invocations[0].executionSuccessful false.
 *
 * Levels. SARIF 2.1.0 3.27.10 defines "error" as "A serious problem was
 * found", "warning" as "A problem was found" and "note" as "A minor
 * problem or an opportunity to improve the code was found". acmefuzz has
 * four levels (afz_property.h), mapped by what a violation means:
 *   MUST   -> error:   an RFC requirement on clients is broken;
 *   HARM   -> error:   measurable harm to the CA or the user (duplicate
 *                      issuance, hot loops, a crash, no end); the policy
 *                      fails runs on it by default, like MUST, and the
 *                      2023-07 incident was of this kind: not "minor";
 *   SHOULD -> warning: an RFC recommendation is broken;
 *   ROBUST -> note:    fragile against what servers may send, where no
 *                      RFC sentence makes coping a duty.
 * The level is the rule's, whatever the policy: whether a violation
 * failed this run (or was a warning) is in the result's properties
 * ("verdict": VIOLATION, WARNING or WAIVED).
 *
 * Built with cJSON; every string is a JSON string, so hostile bytes from
 * a client reach the log escaped by cJSON (non-UTF-8 bytes are replaced
 * by '?' first: a SARIF file is UTF-8). */
#ifndef AFZ_SARIF_H
#define AFZ_SARIF_H

#include <stddef.h>

#include "afz_buf.h"
#include "afz_report.h"

struct afz_suite_config;
struct afz_suite_result;

/* afz_sarif_level returns the SARIF level of acmefuzz level |l|. */
const char *afz_sarif_level(afz_level l);

/* One violation to report. Everything is borrowed for the call. */
typedef struct afz_sarif_finding {
    const afz_report_entry *entry; /* a VIOLATION entry of a report */
    const char *location;          /* the scenario (or input) file, as given */
    const char *scenario;          /* its name in the message, or NULL */
    const char *replay;            /* the command that reproduces it, or NULL */
} afz_sarif_finding;

/* A scenario or input that could not be run. */
typedef struct afz_sarif_failure {
    const char *location;
    const char *message;
} afz_sarif_failure;

/* afz_sarif_write appends a SARIF 2.1.0 log of |n| findings and
 * |n_failures| failures (may be 0 and NULL) to |out|; any command that
 * finds violations (suite, a future fuzz) calls it. AFZ_OK, AFZ_ENOMEM,
 * or AFZ_ELIMIT from |out|. */
afz_rc afz_sarif_write(const afz_sarif_finding *f, size_t n, const afz_sarif_failure *failures,
                       size_t n_failures, afz_buf *out);

/* afz_sarif_suite appends the SARIF log of a suite's |n| results: every
 * violation of every scenario that ran, and every scenario that did not.
 * The replay command of each is afz_suite_replay's. */
afz_rc afz_sarif_suite(const struct afz_suite_config *cfg, const struct afz_suite_result *r,
                       size_t n, afz_buf *out);

#endif
