/* afz_check.h - one input, end to end: decode the bytes into a fault plan,
 * run a client under it in-process (campaign mode included), evaluate every
 * property. The fuzz targets, the random-plan sweep, `acmefuzz replay` and
 * the tests share it, so a finding means the same thing everywhere.
 *
 * An afz_check holds everything one input produces and is reused across
 * inputs (afz_check_input resets it), so a fuzz loop allocates little. */
#ifndef AFZ_CHECK_H
#define AFZ_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "afz_plan.h"
#include "afz_report.h"
#include "afz_run.h"

typedef struct afz_check {
    afz_plan plan;      /* the decoded plan */
    afz_run_config cfg; /* the run configuration derived from it */
    afz_run_result run; /* the run */
    afz_report report;  /* every property's verdict */
    afz_policy policy;  /* which violations count (afz_check_init: the default) */
} afz_check;

/* afz_check_init prepares |c| with the default policy; set c->policy to
 * change it. */
void afz_check_init(afz_check *c);
void afz_check_cleanup(afz_check *c);

/* afz_check_input decodes |n| bytes (afz_plan_decode: any bytes are a
 * plan), runs |client| in world |w| and evaluates the properties under
 * c->policy. Returns AFZ_OK when the run and the evaluation happened, whatever
 * the verdicts; AFZ_EINVAL for a client with another ABI; AFZ_ENOMEM. */
afz_rc afz_check_input(afz_check *c, const afz_world *w, const afz_client *client,
                       const uint8_t *data, size_t n);

/* afz_check_first_violation returns the first violation that fails the
 * run under c->policy, or NULL when none does. */
const afz_report_entry *afz_check_first_violation(const afz_check *c);

#endif
