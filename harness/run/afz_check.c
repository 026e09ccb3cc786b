/* afz_check.c - see afz_check.h. */
#include "afz_check.h"

#include <string.h>

void afz_check_init(afz_check *c)
{
    memset(c, 0, sizeof(*c));
    afz_plan_init(&c->plan);
    afz_run_result_init(&c->run);
    afz_policy_default(&c->policy);
}

void afz_check_cleanup(afz_check *c)
{
    afz_run_result_cleanup(&c->run);
    memset(c, 0, sizeof(*c));
}

afz_rc afz_check_input(afz_check *c, const afz_world *w, const afz_client *client,
                       const uint8_t *data, size_t n)
{
    afz_plan_decode(data, n, &c->plan);
    afz_run_config_default(&c->cfg);
    afz_run_config_apply_plan(&c->cfg, &c->plan);
    afz_rc rc = afz_run(w, client, &c->cfg, &c->run);
    if (rc != AFZ_OK)
        return rc;
    afz_report_options opt = {.policy = &c->policy, .limits = NULL};
    return afz_report_evaluate(&c->run, &c->cfg, &opt, &c->report);
}

const afz_report_entry *afz_check_first_violation(const afz_check *c)
{
    for (size_t i = 0; i < c->report.n; i++)
        if (c->report.entries[i].result.verdict == AFZ_VERDICT_VIOLATION &&
            c->report.entries[i].fails)
            return &c->report.entries[i];
    return NULL;
}
