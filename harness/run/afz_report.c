/* afz_report.c - see afz_report.h. */
#include "afz_report.h"

#include <stdint.h>
#include <string.h>

#include "afz_json.h"
#include "afz_scenario.h"
#include "afz_trace.h"

const char *afz_report_entry_label(const afz_report_entry *e)
{
    if (e->waived)
        return "WAIVED";
    return e->fails ? "VIOLATION" : "WARNING";
}

void afz_prop_input_from_run(afz_prop_input *in, const afz_run_result *r, const afz_run_config *cfg,
                             const struct afz_trace *trace, const afz_prop_limits *limits)
{
    memset(in, 0, sizeof(*in));
    in->history = &r->history;
    in->trace = trace;
    in->plan = cfg->plan;
    in->plan_class = cfg->plan ? afz_plan_class(cfg->plan) : AFZ_CLASS_LEGAL;
    in->identifiers = cfg->identifiers;
    in->n_identifiers = cfg->n_identifiers;
    in->client_succeeded = r->client_rc == AFZ_OK;
    in->budget_exhausted = r->budget_exhausted;
    in->aborted = r->aborted;
    in->attempts = r->attempts;
    in->client_crash_signal = r->crash_signal;
    in->client_stateless = r->client_stateless;
    in->limits = limits;
}

afz_rc afz_report_evaluate(const afz_run_result *run, const afz_run_config *cfg,
                           const afz_report_options *opt, afz_report *out)
{
    afz_prop_input in;
    afz_prop_input_from_run(&in, run, cfg, NULL, NULL);
    return afz_report_evaluate_input(&in, opt, out);
}

afz_rc afz_report_text(const afz_report *r, const afz_run_result *run, int verbose,
                       const char *replay, afz_buf *out)
{
    size_t marks[AFZ_REPORT_MAX], n_marks = 0;
    for (size_t i = 0; i < r->n; i++) {
        const afz_report_entry *e = &r->entries[i];
        if (e->result.verdict != AFZ_VERDICT_VIOLATION)
            continue;
        afz_buf_printf(out, "%s %s (%s, %s): %s", afz_report_entry_label(e), e->prop->id,
                       afz_level_name(e->prop->level), e->prop->rfc, e->result.message);
        if (e->result.exchange != SIZE_MAX) {
            afz_buf_printf(out, " [exchange #%zu]", e->result.exchange + 1);
            marks[n_marks++] = e->result.exchange;
        }
        afz_buf_putc(out, '\n');
    }
    if (r->violations + r->warnings + r->waived)
        afz_buf_putc(out, '\n');
    afz_rc rc = afz_history_print_log_marked(&run->history, verbose, marks, n_marks, out);
    if (rc != AFZ_OK)
        return rc;
    if (run->client_rc == AFZ_OK)
        afz_buf_printf(out, "\noutcome: certificate obtained, %zu requests, %.3f s virtual",
                       run->n_requests, (double)run->virtual_ms / 1000.0);
    else
        afz_buf_printf(out, "\noutcome: client failed: %s (%zu requests, %.3f s virtual)",
                       run->reason, run->n_requests, (double)run->virtual_ms / 1000.0);
    if (run->attempts > 1)
        afz_buf_printf(out, ", %u attempts", run->attempts);
    afz_buf_printf(out,
                   "\nproperties: %zu hold, %zu violated, %zu warned, %zu waived, %zu "
                   "inconclusive (",
                   r->n - r->violations - r->warnings - r->waived - r->inconclusive, r->violations,
                   r->warnings, r->waived, r->inconclusive);
    afz_policy_print(&r->policy, out);
    afz_buf_puts(out, ")\n");
    for (size_t i = 0; i < r->n; i++) {
        const afz_report_entry *e = &r->entries[i];
        if (e->result.verdict == AFZ_VERDICT_INCONCLUSIVE)
            afz_buf_printf(out, "  inconclusive %s: %s\n", e->prop->id, e->result.message);
    }
    if (replay && (r->violations || r->warnings || r->waived))
        afz_buf_printf(out, "replay: %s\n", replay);
    return AFZ_OK;
}

afz_rc afz_report_json(const afz_report *r, const afz_run_result *run, const afz_run_config *cfg,
                       const char *client_name, const char *replay, afz_buf *out)
{
    afz_rc rc = AFZ_ENOMEM;
    afz_buf tmp;
    afz_buf_init(&tmp, 0);
    cJSON *hist = NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        goto out;
    cJSON_AddStringToObject(root, "client", client_name ? client_name : "");
    if (cfg->plan && afz_scenario_print(cfg->plan, &tmp) == AFZ_OK) {
        cJSON_AddStringToObject(root, "plan", afz_buf_cstr(&tmp));
        cJSON_AddStringToObject(root, "plan_class",
                                afz_fault_class_name(afz_plan_class(cfg->plan)));
    }
    cJSON *o = cJSON_AddObjectToObject(root, "outcome");
    if (!o)
        goto out;
    cJSON_AddBoolToObject(o, "certificate", run->client_rc == AFZ_OK);
    cJSON_AddStringToObject(o, "reason", run->client_rc == AFZ_OK ? "" : run->reason);
    cJSON_AddNumberToObject(o, "requests", (double)run->n_requests);
    cJSON_AddNumberToObject(o, "virtual_ms", (double)run->virtual_ms);
    cJSON_AddNumberToObject(o, "attempts", run->attempts);
    cJSON_AddBoolToObject(o, "budget_exhausted", run->budget_exhausted);
    cJSON_AddBoolToObject(o, "client_stateless", run->client_stateless);
    cJSON_AddNumberToObject(o, "crash_signal", run->crash_signal);
    cJSON *vs = cJSON_AddArrayToObject(root, "verdicts");
    if (!vs)
        goto out;
    for (size_t i = 0; i < r->n; i++) {
        const afz_report_entry *e = &r->entries[i];
        cJSON *v = cJSON_CreateObject();
        if (!v)
            goto out;
        cJSON_AddItemToArray(vs, v);
        cJSON_AddStringToObject(v, "property", e->prop->id);
        cJSON_AddStringToObject(v, "level", afz_level_name(e->prop->level));
        cJSON_AddStringToObject(v, "rfc", e->prop->rfc);
        cJSON_AddStringToObject(v, "verdict", afz_verdict_name(e->result.verdict));
        cJSON_AddBoolToObject(v, "waived", e->waived);
        cJSON_AddBoolToObject(v, "fails", e->fails);
        if (e->result.exchange != SIZE_MAX)
            cJSON_AddNumberToObject(v, "exchange", (double)e->result.exchange + 1);
        else
            cJSON_AddNullToObject(v, "exchange");
        cJSON_AddStringToObject(v, "message", e->result.message);
    }
    cJSON_AddNumberToObject(root, "violations", (double)r->violations);
    cJSON_AddNumberToObject(root, "warnings", (double)r->warnings);
    afz_buf_reset(&tmp);
    if (afz_policy_print(&r->policy, &tmp) == AFZ_OK)
        cJSON_AddStringToObject(root, "policy", afz_buf_cstr(&tmp));
    if (replay)
        cJSON_AddStringToObject(root, "replay", replay);
    afz_buf_reset(&tmp);
    if ((rc = afz_history_to_json(&run->history, &tmp)) != AFZ_OK)
        goto out;
    rc = afz_json_parse(tmp.data, tmp.len, &hist);
    if (rc != AFZ_OK)
        goto out;
    cJSON_AddItemToObject(root, "history", hist);
    hist = NULL;
    char *s = cJSON_Print(root);
    rc = s ? afz_buf_puts(out, s) : AFZ_ENOMEM;
    if (rc == AFZ_OK)
        rc = afz_buf_putc(out, '\n');
    cJSON_free(s);
out:
    cJSON_Delete(hist);
    cJSON_Delete(root);
    afz_buf_cleanup(&tmp);
    return rc;
}

afz_rc afz_report_evaluate_input(const afz_prop_input *input, const afz_report_options *opt,
                                 afz_report *out)
{
    memset(out, 0, sizeof(*out));
    if (opt && opt->policy)
        out->policy = *opt->policy;
    else
        afz_policy_default(&out->policy);
    afz_prop_input in = *input;
    afz_trace trace;
    int own_trace = 0;
    if (!in.trace) {
        afz_rc rc = afz_trace_build(in.history, &trace);
        if (rc != AFZ_OK)
            return rc;
        in.trace = &trace;
        own_trace = 1;
    }
    if (opt && opt->limits)
        in.limits = opt->limits;
    size_t n = 0;
    const afz_property *props = afz_properties(&n);
    for (size_t i = 0; i < n && out->n < AFZ_REPORT_MAX; i++) {
        afz_report_entry *e = &out->entries[out->n++];
        e->prop = &props[i];
        e->result.exchange = SIZE_MAX;
        props[i].check(&in, &e->result);
        if (e->result.verdict == AFZ_VERDICT_VIOLATION) {
            e->waived = afz_policy_waives(&out->policy, props[i].id);
            e->fails = afz_policy_fails(&out->policy, &props[i]);
            if (e->waived)
                out->waived++;
            else if (e->fails)
                out->violations++;
            else
                out->warnings++;
        } else if (e->result.verdict == AFZ_VERDICT_INCONCLUSIVE) {
            out->inconclusive++;
        }
    }
    if (own_trace)
        afz_trace_cleanup(&trace);
    return AFZ_OK;
}
