/* afz_suite_coverage.c - what a suite folder meets of the fault catalog
 * (afz_suite.h, "coverage"): scenarios by tier, the faults they inject,
 * and the properties the built-in clients break under them in process. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "afz_clients.h"
#include "afz_prng.h"
#include "afz_report.h"
#include "afz_run.h"
#include "afz_scenario.h"
#include "afz_suite.h"

/* Catalog faults no suite scenario can meet over HTTPS. Every fault of
 * the catalog is either injected by a scenario of corpus/suite or listed
 * here with the reason (tests/check_suite_coverage.c holds both sides).
 * Empty today: every fault is met by corpus/suite/quick or full. The
 * sentinel row keeps the array non-empty. */
static const afz_suite_exclusion exclusions[] = {
    {NULL, NULL},
};

const afz_suite_exclusion *afz_suite_exclusions(size_t *n)
{
    *n = sizeof(exclusions) / sizeof(exclusions[0]) - 1;
    return exclusions;
}

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n > m && strcmp(s + n - m, suf) == 0;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const afz_suite_cov_entry *)a)->path, ((const afz_suite_cov_entry *)b)->path);
}

static afz_rc add_entry(afz_suite_coverage *c, size_t *cap, const char *path, const char *tier)
{
    if (c->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        afz_suite_cov_entry *e = realloc(c->entries, ncap * sizeof(*e));
        if (!e)
            return AFZ_ENOMEM;
        c->entries = e;
        *cap = ncap;
    }
    afz_suite_cov_entry *e = &c->entries[c->n++];
    memset(e, 0, sizeof(*e));
    snprintf(e->path, sizeof(e->path), "%s", path);
    snprintf(e->tier, sizeof(e->tier), "%s", tier);
    afz_plan plan;
    afz_scn_error err;
    memset(&err, 0, sizeof(err));
    if (afz_plan_load(path, &plan, &err) != AFZ_OK) {
        if (err.line)
            snprintf(e->error, sizeof(e->error), "line %u:%u: %s", err.line, err.col, err.msg);
        else
            snprintf(e->error, sizeof(e->error), "%s", err.msg);
        return AFZ_OK;
    }
    e->loaded = 1;
    e->cls = afz_plan_class(&plan);
    for (size_t i = 0; i < plan.n_rules; i++)
        if ((size_t)plan.rules[i].fault < AFZ_FAULT__COUNT)
            e->uses[plan.rules[i].fault] = 1;
    return AFZ_OK;
}

static afz_rc scan_dir(const char *dir, const char *tier, int depth, afz_suite_coverage *c,
                       size_t *cap, char *err, size_t errlen)
{
    if (depth > 8) {
        snprintf(err, errlen, "%s: directories nested too deep", dir);
        return AFZ_EIO;
    }
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return AFZ_EIO;
    }
    afz_rc rc = AFZ_OK;
    afz_buf p;
    afz_buf_init(&p, 0);
    struct dirent *de;
    while (rc == AFZ_OK && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        afz_buf_reset(&p);
        afz_buf_printf(&p, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(afz_buf_cstr(&p), &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            rc = scan_dir(afz_buf_cstr(&p), depth == 0 ? de->d_name : tier, depth + 1, c, cap, err,
                          errlen);
        else if (has_suffix(de->d_name, ".scn") || has_suffix(de->d_name, ".bin"))
            rc = add_entry(c, cap, afz_buf_cstr(&p), tier);
    }
    afz_buf_cleanup(&p);
    closedir(d);
    return rc;
}

afz_rc afz_suite_coverage_scan(const char *root, afz_suite_coverage *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    err[0] = '\0';
    size_t cap = 0;
    struct stat st;
    if (stat(root, &st) != 0) {
        snprintf(err, errlen, "%s: %s", root, strerror(errno));
        return AFZ_EIO;
    }
    afz_rc rc = S_ISDIR(st.st_mode) ? scan_dir(root, "-", 0, out, &cap, err, errlen)
                                    : add_entry(out, &cap, root, "-");
    if (rc == AFZ_ENOMEM)
        snprintf(err, errlen, "out of memory");
    if (out->n)
        qsort(out->entries, out->n, sizeof(out->entries[0]), cmp_entry);
    return rc;
}

/* exercise_one runs every built-in client under the plan of |e| and
 * records "prop(client,...)" for each property any of them violates. */
static afz_rc exercise_one(const afz_world *w, afz_suite_cov_entry *e)
{
    afz_plan plan;
    afz_scn_error serr;
    if (afz_plan_load(e->path, &plan, &serr) != AFZ_OK)
        return AFZ_OK;
    size_t n_props = 0;
    const afz_property *props = afz_properties(&n_props);
    afz_buf *per = calloc(n_props ? n_props : 1, sizeof(afz_buf));
    if (!per)
        return AFZ_ENOMEM;
    for (size_t k = 0; k < n_props; k++)
        afz_buf_init(&per[k], 0);
    afz_run_result res;
    afz_run_result_init(&res);
    afz_rc rc = AFZ_OK;
    afz_policy policy;
    afz_policy_default(&policy);
    for (size_t i = 0; rc == AFZ_OK && i < afz_clients_count(); i++) {
        const afz_client *cl = afz_clients_get(i);
        afz_run_config cfg;
        afz_run_config_default(&cfg);
        afz_run_config_apply_plan(&cfg, &plan);
        afz_run_result_reset(&res);
        if (afz_run(w, cl, &cfg, &res) != AFZ_OK)
            continue;
        afz_report rep;
        afz_report_options ropt = {.policy = &policy, .limits = NULL};
        if (afz_report_evaluate(&res, &cfg, &ropt, &rep) != AFZ_OK) {
            rc = AFZ_ENOMEM;
            break;
        }
        for (size_t k = 0; k < rep.n; k++) {
            if (rep.entries[k].result.verdict != AFZ_VERDICT_VIOLATION)
                continue;
            size_t idx = (size_t)(rep.entries[k].prop - props);
            if (idx >= n_props)
                continue;
            afz_buf_printf(&per[idx], "%s%s", per[idx].len ? "," : "", cl->name);
        }
    }
    afz_run_result_cleanup(&res);
    afz_buf all;
    afz_buf_init(&all, 0);
    for (size_t k = 0; k < n_props; k++) {
        if (per[k].len)
            afz_buf_printf(&all, "%s%s(%s)", all.len ? " " : "", props[k].id,
                           afz_buf_cstr(&per[k]));
        afz_buf_cleanup(&per[k]);
    }
    free(per);
    free(e->caught);
    e->caught = afz_buf_take(&all, NULL);
    afz_buf_cleanup(&all);
    if (!e->caught)
        e->caught = afz_strdup("");
    return rc;
}

afz_rc afz_suite_coverage_exercise(afz_suite_coverage *c)
{
    afz_detrand_install();
    afz_world w;
    if (afz_world_init(&w) != AFZ_OK)
        return AFZ_ENOMEM;
    afz_rc rc = AFZ_OK;
    for (size_t i = 0; rc == AFZ_OK && i < c->n; i++)
        if (c->entries[i].loaded)
            rc = exercise_one(&w, &c->entries[i]);
    afz_world_cleanup(&w);
    return rc;
}

static const afz_suite_exclusion *find_exclusion(const char *fault)
{
    for (size_t i = 0; exclusions[i].fault; i++)
        if (strcmp(exclusions[i].fault, fault) == 0)
            return &exclusions[i];
    return NULL;
}

static int fault_met(const afz_suite_coverage *c, size_t f)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->entries[i].loaded && c->entries[i].uses[f])
            return 1;
    return 0;
}

size_t afz_suite_coverage_missing(const afz_suite_coverage *c, afz_buf *names)
{
    size_t missing = 0;
    for (size_t f = 0; f < AFZ_FAULT__COUNT; f++) {
        const afz_fault_def *d = afz_fault_get((afz_fault_id)f);
        if (!d || d->retired || fault_met(c, f) || find_exclusion(d->name))
            continue;
        if (names)
            afz_buf_printf(names, "%s%s", missing ? " " : "", d->name);
        missing++;
    }
    return missing;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

afz_rc afz_suite_coverage_print(const afz_suite_coverage *c, afz_buf *out)
{
    afz_buf_printf(out, "faults x tiers (scenarios that inject each):\n");
    for (size_t f = 0; f < AFZ_FAULT__COUNT; f++) {
        const afz_fault_def *d = afz_fault_get((afz_fault_id)f);
        if (!d || d->retired)
            continue;
        afz_buf_printf(out, "  %-26s %-10s", d->name, afz_fault_class_name(d->cls));
        if (!fault_met(c, f)) {
            const afz_suite_exclusion *x = find_exclusion(d->name);
            afz_buf_printf(out, " %s%s\n", x ? "excluded: " : "MISSING", x ? x->reason : "");
            continue;
        }
        const char *tier = NULL;
        for (size_t i = 0; i < c->n; i++) {
            const afz_suite_cov_entry *e = &c->entries[i];
            if (!e->loaded || !e->uses[f])
                continue;
            if (!tier || strcmp(tier, e->tier) != 0) {
                afz_buf_printf(out, " %s:", e->tier);
                tier = e->tier;
            }
            afz_buf_printf(out, " %s", base_name(e->path));
        }
        afz_buf_putc(out, '\n');
    }
    afz_buf_printf(out, "\nscenarios (tier, class, faults; properties built-in clients break "
                        "under it in process, and which clients):\n");
    for (size_t i = 0; i < c->n; i++) {
        const afz_suite_cov_entry *e = &c->entries[i];
        if (!e->loaded) {
            afz_buf_printf(out, "  %s [%s] UNLOADABLE: %s\n", e->path, e->tier, e->error);
            continue;
        }
        afz_buf_printf(out, "  %s [%s, %s]", e->path, e->tier, afz_fault_class_name(e->cls));
        int any = 0;
        for (size_t f = 0; f < AFZ_FAULT__COUNT; f++)
            if (e->uses[f]) {
                const afz_fault_def *d = afz_fault_get((afz_fault_id)f);
                afz_buf_printf(out, "%s%s", any++ ? "," : " ", d ? d->name : "?");
            }
        if (!any)
            afz_buf_puts(out, " (no fault)");
        afz_buf_putc(out, '\n');
        if (e->caught)
            afz_buf_printf(out, "      catches: %s\n", *e->caught ? e->caught : "(nothing)");
    }
    size_t nx = 0;
    afz_suite_exclusions(&nx);
    afz_buf missing;
    afz_buf_init(&missing, 0);
    size_t nm = afz_suite_coverage_missing(c, &missing);
    afz_buf_printf(out,
                   "\n%zu scenario(s); %zu catalog fault(s) excluded (cannot be met over "
                   "HTTPS); missing from the tiers: %s\n",
                   c->n, nx, nm ? afz_buf_cstr(&missing) : "none");
    afz_buf_cleanup(&missing);
    return AFZ_OK;
}

void afz_suite_coverage_cleanup(afz_suite_coverage *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->entries[i].caught);
    free(c->entries);
    c->entries = NULL;
    c->n = 0;
}
