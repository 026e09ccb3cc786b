/* afz_campaign_finding.c - a finding of a campaign: reruns for
 * stability, shrinking by the real client, the files in the findings
 * folder (afz_campaign.h, "Findings"). */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afz_campaign_internal.h"

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    if (!in)
        return -1;
    FILE *out = fopen(to, "wb");
    if (!out) {
        fclose(in);
        return -1;
    }
    char buf[8192];
    size_t n;
    int ok = 1;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        ok = ok && fwrite(buf, 1, n, out) == n;
    fclose(in);
    ok = fclose(out) == 0 && ok;
    return ok ? 0 : -1;
}

/* shrink_step: candidates, in order, for the plan |p| */
static int shrink_try(campaign *c, worker *w, const char *prop, const afz_plan *cand,
                      afz_plan *best, outcome *o, char *evidence, size_t evlen,
                      afz_campaign_finding *f)
{
    if (f->shrink_runs >= c->cfg->max_shrink_runs || afzc_stopped() || afz_plan_equal(cand, best) ||
        afzc_now_s() - c->shrink_started > c->shrink_limit_s)
        return 0;
    f->shrink_runs++;
    if (afzc_run_sync(c, w, cand, o) != 0)
        return 0;
    const viol *v = afzc_outcome_fails(o, prop);
    if (!v) {
        if (o->workdir[0])
            afz_suite_rm_tree(o->workdir);
        return 0;
    }
    *best = *cand;
    snprintf(f->message, sizeof(f->message), "%s", v->message);
    f->exchange = v->exchange;
    if (evidence[0])
        afz_suite_rm_tree(evidence);
    snprintf(evidence, evlen, "%s", o->workdir);
    return 1;
}

static void shrink(campaign *c, worker *w, const char *prop, afz_plan *best, char *evidence,
                   size_t evlen, afz_campaign_finding *f)
{
    outcome o;
    memset(&o, 0, sizeof(o));
    afz_plan cand;
    int changed = 1;
    for (int round = 0; changed && round < 4; round++) {
        changed = 0;
        cand = *best;
        if (best->n_identifiers > 1) {
            cand = *best;
            cand.n_identifiers = 1;
            changed |= shrink_try(c, w, prop, &cand, best, &o, evidence, evlen, f);
        }
        if (best->attempts > 1) {
            cand = *best;
            cand.attempts = 1;
            changed |= shrink_try(c, w, prop, &cand, best, &o, evidence, evlen, f);
        }
        for (size_t i = best->n_rules; i-- > 0;) {
            cand = *best;
            memmove(&cand.rules[i], &cand.rules[i + 1],
                    (cand.n_rules - i - 1) * sizeof(cand.rules[0]));
            cand.n_rules--;
            changed |= shrink_try(c, w, prop, &cand, best, &o, evidence, evlen, f);
        }
        for (size_t i = 0; i < best->n_rules; i++) {
            for (size_t a = 0; a < AFZ_FAULT_MAX_ARGS; a++) {
                if (!best->rules[i].args[a])
                    continue;
                cand = *best;
                cand.rules[i].args[a] = 0;
                changed |= shrink_try(c, w, prop, &cand, best, &o, evidence, evlen, f);
            }
            if (best->rules[i].occ != AFZ_OCC_EVERY && best->rules[i].k > 1) {
                cand = *best;
                cand.rules[i].k = 1;
                changed |= shrink_try(c, w, prop, &cand, best, &o, evidence, evlen, f);
            }
        }
    }
    afz_features_cleanup(&o.feat);
}

/* policy_args appends the --fail-on and --allow options of |p| when it
 * is not the default, so a replay judges as the campaign did. */
static void policy_args(const afz_policy *p, afz_buf *out)
{
    afz_policy def;
    afz_policy_default(&def);
    if (p->fail_levels != def.fail_levels) {
        afz_buf_puts(out, " --fail-on ");
        afz_policy_levels_print(p->fail_levels, out);
    }
    for (size_t i = 0; i < p->n_allow; i++)
        afz_buf_printf(out, " --allow %s", p->allow[i]);
}

afz_rc afz_campaign_replay(const afz_campaign_config *cfg, const char *path, afz_buf *out)
{
    afz_rc rc = afz_suite_replay(&cfg->suite, path, out);
    if (rc == AFZ_OK)
        policy_args(&cfg->suite.policy, out);
    return rc;
}

static void write_finding(campaign *c, afz_campaign_finding *f, const afz_plan *best,
                          const char *evidence)
{
    f->plan_text = afzc_plan_text(best);
    if (!c->cfg->findings_dir || !f->plan_text)
        return;
    afz_buf b, replay;
    afz_buf_init(&b, 0);
    afz_buf_init(&replay, 0);
    snprintf(f->path, sizeof(f->path), "%s/%s.scn", c->cfg->findings_dir, f->prop->id);
    afz_campaign_replay(c->cfg, f->path, &replay);
    afz_buf_printf(&b, "# acmefuzz fuzz finding: %s (%s, %s)\n", f->prop->id,
                   afz_level_name(f->prop->level), f->prop->rfc);
    afz_buf_printf(&b, "# %s\n", f->message);
    afz_buf_printf(&b, "# client: %s; reproduced %u of %u runs of the first input%s\n",
                   c->cfg->suite.client, f->reproduced, f->tries,
                   f->reproduced < f->tries ? " (FLAKY)" : "");
    afz_buf_printf(&b, "# shrunk in %u client runs from:\n", f->shrink_runs);
    for (const char *p = f->first_text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        afz_buf_printf(&b, "#   %.*s\n", (int)n, p);
        p += n + (nl ? 1 : 0);
    }
    afz_buf_printf(&b, "# replay: %s\n", afz_buf_cstr(&replay));
    afz_buf_puts(&b, f->plan_text);
    if (afzc_write_text(f->path, afz_buf_cstr(&b)) != 0)
        f->path[0] = '\0';
    char from[700], to[700];
    if (evidence && evidence[0]) {
        snprintf(from, sizeof(from), "%s/exchanges.log", evidence);
        snprintf(to, sizeof(to), "%s/%s.exchanges.log", c->cfg->findings_dir, f->prop->id);
        copy_file(from, to);
        snprintf(from, sizeof(from), "%s/client.log", evidence);
        snprintf(to, sizeof(to), "%s/%s.client.log", c->cfg->findings_dir, f->prop->id);
        copy_file(from, to);
    }
    afz_buf_cleanup(&b);
    afz_buf_cleanup(&replay);
}

/* afzc_new_finding: stability reruns and shrinking of |first| (which violated
 * |v|), on worker |w| (idle). */
int afzc_new_finding(campaign *c, worker *w, const pending *pd)
{
    const afz_plan *first = &pd->plan;
    const viol *v = &pd->v;
    const char *first_workdir = pd->dir;
    afz_campaign_finding *nf = realloc(c->res->findings, (c->res->n_findings + 1) * sizeof(*nf));
    if (!nf)
        return -1;
    c->res->findings = nf;
    afz_campaign_finding *f = &nf[c->res->n_findings++];
    memset(f, 0, sizeof(*f));
    f->prop = afz_property_find(v->prop);
    snprintf(f->message, sizeof(f->message), "%s", v->message);
    f->exchange = v->exchange;
    f->count = pd->count;
    f->first_input = pd->input;
    f->first_text = afzc_plan_text(first);
    f->reproduced = 1;
    if (c->cfg->progress)
        fprintf(c->cfg->progress,
                "fuzz: finding %s (%s) at input %lu: %s; rerunning it %u time(s)\n", v->prop,
                afz_level_name(f->prop->level), pd->input, v->message, c->cfg->reruns);
    char evidence[512];
    snprintf(evidence, sizeof(evidence), "%s", first_workdir);
    outcome o;
    memset(&o, 0, sizeof(o));
    f->tries = 1;
    for (unsigned i = 0; i < c->cfg->reruns && !afzc_stopped(); i++) {
        f->tries++;
        if (afzc_run_sync(c, w, first, &o) != 0)
            continue;
        const viol *again = afzc_outcome_fails(&o, v->prop);
        if (again)
            f->reproduced++;
        /* a finding found second in its run has no evidence yet */
        if (again && !evidence[0])
            snprintf(evidence, sizeof(evidence), "%s", o.workdir);
        else if (o.workdir[0])
            afz_suite_rm_tree(o.workdir);
    }
    afz_features_cleanup(&o.feat);
    afz_plan best = *first;
    c->shrink_started = afzc_now_s();
    if (!afzc_stopped())
        shrink(c, w, v->prop, &best, evidence, sizeof(evidence), f);
    write_finding(c, f, &best, evidence);
    if (evidence[0])
        afz_suite_rm_tree(evidence);
    if (c->cfg->progress) {
        fprintf(c->cfg->progress,
                "fuzz: finding %s: reproduced %u/%u%s, shrunk in %u runs to %zu rule(s)%s%s\n",
                v->prop, f->reproduced, f->tries, f->reproduced < f->tries ? " (flaky)" : "",
                f->shrink_runs, best.n_rules, f->path[0] ? ": " : "", f->path);
        fflush(c->cfg->progress);
    }
    return 0;
}
