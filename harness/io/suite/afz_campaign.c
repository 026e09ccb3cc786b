/* afz_campaign.c - see afz_campaign.h. */
#define _XOPEN_SOURCE 700 /* nftw, getline, strdup */
#include "afz_campaign.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "afz_features.h"
#include "afz_mutate.h"
#include "afz_prng.h"
#include "afz_scenario.h"

#define MAX_JOBS 64
#define MAX_VIOL 32

static volatile sig_atomic_t stop_signal;

void afz_campaign_interrupt(int sig)
{
    stop_signal = sig;
    afz_suite_interrupt(sig);
}

void afz_campaign_config_default(afz_campaign_config *c)
{
    memset(c, 0, sizeof(*c));
    afz_serve_config_default(&c->serve);
    c->serve.server.finalize_polls = 1;
    c->jobs = 1;
    c->seed = 1;
    c->reruns = 2;
    c->max_shrink_runs = 40;
    c->progress = stderr;
}

void afz_campaign_allowed_default(unsigned char *allowed)
{
    for (unsigned f = 0; f < AFZ_FAULT__COUNT; f++) {
        const afz_fault_def *d = afz_fault_get((afz_fault_id)f);
        allowed[f] = d && !d->retired;
    }
    size_t n = 0;
    const afz_suite_exclusion *ex = afz_suite_exclusions(&n);
    for (size_t i = 0; i < n; i++) {
        const afz_fault_def *d = afz_fault_find(ex[i].fault);
        if (d)
            allowed[d->id] = 0;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t fnv64(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(p);
    return 0;
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    ok = fclose(f) == 0 && ok;
    return ok ? 0 : -1;
}

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

/* ---- one run's outcome, as a worker reports it ---- */

typedef struct viol {
    char prop[64];
    int fails;
    size_t exchange;
    char message[320];
} viol;

typedef struct outcome {
    int ok;          /* the run happened (else error) */
    int interrupted; /* the worker was interrupted */
    char error[256];
    int exit_code, timed_out;
    double seconds;
    size_t requests;
    viol v[MAX_VIOL];
    size_t n_v;
    afz_features feat;
    char workdir[512];
} outcome;

static void outcome_reset(outcome *o)
{
    afz_features f = o->feat;
    f.n = 0;
    memset(o, 0, sizeof(*o));
    o->feat = f;
}

static const viol *outcome_fails(const outcome *o, const char *prop)
{
    for (size_t i = 0; i < o->n_v; i++)
        if (o->v[i].fails && strcmp(o->v[i].prop, prop) == 0)
            return &o->v[i];
    return NULL;
}

static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r')
            *s = ' ';
}

/* ---- worker process ---- */

static void on_worker_signal(int sig)
{
    afz_suite_interrupt(sig);
}

static void worker_reply(FILE *out, const afz_suite_result *r, afz_rc rc, const afz_features *f)
{
    char err[256];
    snprintf(err, sizeof(err), "%s", r->error);
    one_line(err);
    fprintf(out, "R %d %d %d %d %.3f %zu\n", rc == AFZ_OK, r->interrupted, r->exit_code,
            r->timed_out, r->seconds, r->requests);
    if (rc != AFZ_OK)
        fprintf(out, "E %s\n", err);
    for (size_t k = 0; rc == AFZ_OK && k < r->report.n; k++) {
        const afz_report_entry *e = &r->report.entries[k];
        if (e->result.verdict != AFZ_VERDICT_VIOLATION)
            continue;
        char msg[320];
        snprintf(msg, sizeof(msg), "%s", e->result.message);
        one_line(msg);
        fprintf(out, "V %d %zd %s %s\n", e->fails && !e->waived,
                e->result.exchange == SIZE_MAX ? (ssize_t)-1 : (ssize_t)e->result.exchange,
                e->prop->id, msg);
    }
    for (size_t i = 0; f && i < f->n; i++)
        fprintf(out, "F %08" PRIx32 "\n", f->v[i]);
    fprintf(out, "W %s\n.\n", r->workdir);
    fflush(out);
}

static void worker_main(const afz_campaign_config *cfg, unsigned id, int in_fd, int out_fd)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_worker_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    FILE *in = fdopen(in_fd, "r"), *out = fdopen(out_fd, "w");
    if (!in || !out)
        _exit(3);
    char root[600], bundle[700], err[256];
    snprintf(root, sizeof(root), "%s/w%u", cfg->workroot, id);
    snprintf(bundle, sizeof(bundle), "%s/ca-bundle.pem", root);
    afz_serve *srv = NULL;
    if ((mkdir(root, 0700) != 0 && errno != EEXIST) ||
        afz_serve_open(&cfg->serve, &srv, err, sizeof(err)) != AFZ_OK ||
        afz_serve_write_ca_bundle(srv, bundle) != AFZ_OK) {
        fprintf(out, "X cannot start the server of worker %u: %s\n", id,
                srv ? "cannot write its CA bundle" : err);
        fflush(out);
        afz_serve_free(srv);
        _exit(3);
    }
    fprintf(out, "X ok\n");
    fflush(out);
    afz_suite_config sc = cfg->suite;
    sc.workroot = root;
    sc.ca_bundle = bundle;
    sc.verbose = 0;
    afz_features f;
    afz_features_init(&f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, in)) > 0) {
        if (line[len - 1] == '\n')
            line[len - 1] = '\0';
        afz_suite_result r;
        afz_rc rc = afz_suite_run_one(srv, &sc, line, &r);
        const afz_features *fp = NULL;
        if (rc == AFZ_OK && afz_features_from_history(afz_serve_history(srv), &f) == AFZ_OK)
            fp = &f;
        worker_reply(out, &r, rc, fp);
        /* the evidence of a violation stays for the parent; the rest goes */
        int keep = 0;
        for (size_t k = 0; rc == AFZ_OK && k < r.report.n; k++)
            keep |= r.report.entries[k].result.verdict == AFZ_VERDICT_VIOLATION &&
                    r.report.entries[k].fails;
        if (!keep && r.workdir[0])
            rm_tree(r.workdir);
        afz_suite_result_cleanup(&r);
        if (afz_suite_interrupted())
            break;
    }
    free(line);
    afz_features_cleanup(&f);
    afz_serve_free(srv);
    fclose(in);
    fclose(out);
    _exit(0);
}

/* ---- the parent ---- */

typedef struct worker {
    pid_t pid;
    int to_fd;
    FILE *from;
    int busy;
    int dead;
    unsigned long seq; /* the input it runs */
    afz_plan plan;
    int is_seed;
} worker;

#define MAX_PENDING 16

/* A finding waiting for the other workers to finish before its reruns. */
typedef struct pending {
    afz_plan plan;
    viol v;
    unsigned long count;
    unsigned long input; /* its number among the inputs run */
    char dir[512];
} pending;

typedef struct campaign {
    const afz_campaign_config *cfg;
    afz_campaign_result *res;
    worker w[MAX_JOBS];
    unsigned n_w;
    afz_prng rng;
    unsigned long seq;
    /* feature set: open addressing, 0 is the empty slot (feature 0 is
     * stored as 1, a collision the campaign can live with) */
    uint32_t *fset;
    size_t fcap, fn;
    /* inputs already run: hashes of their text */
    uint64_t *seen;
    size_t scap, sn;
    afz_plan *corpus;
    size_t n_corpus, cap_corpus;
    afz_plan *seeds;
    size_t n_seeds, next_seed;
    pending pending[MAX_PENDING];
    size_t n_pending;
    double started, last_progress;
    double shrink_started, shrink_limit_s; /* of the finding being shrunk */
    unsigned long progress_inputs;
} campaign;

static int set_grow_u32(campaign *c)
{
    size_t ncap = c->fcap ? c->fcap * 2 : 4096;
    uint32_t *n = calloc(ncap, sizeof(*n));
    if (!n)
        return -1;
    for (size_t i = 0; i < c->fcap; i++) {
        uint32_t x = c->fset[i];
        if (!x)
            continue;
        size_t j = (x * 2654435761u) & (ncap - 1);
        while (n[j])
            j = (j + 1) & (ncap - 1);
        n[j] = x;
    }
    free(c->fset);
    c->fset = n;
    c->fcap = ncap;
    return 0;
}

/* feature_add returns 1 when |x| is new, 0 when known, -1 on ENOMEM. */
static int feature_add(campaign *c, uint32_t x)
{
    if (!x)
        x = 1;
    if ((c->fn + 1) * 2 > c->fcap && set_grow_u32(c) != 0)
        return -1;
    size_t j = (x * 2654435761u) & (c->fcap - 1);
    while (c->fset[j]) {
        if (c->fset[j] == x)
            return 0;
        j = (j + 1) & (c->fcap - 1);
    }
    c->fset[j] = x;
    c->fn++;
    return 1;
}

static int seen_has(const campaign *c, uint64_t h)
{
    for (size_t i = 0; i < c->sn; i++)
        if (c->seen[i] == h)
            return 1;
    return 0;
}

static int seen_add(campaign *c, uint64_t h)
{
    if (c->sn == c->scap) {
        size_t n = c->scap ? c->scap * 2 : 256;
        uint64_t *s = realloc(c->seen, n * sizeof(*s));
        if (!s)
            return -1;
        c->seen = s;
        c->scap = n;
    }
    c->seen[c->sn++] = h;
    return 0;
}

static char *plan_text(const afz_plan *p)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    if (afz_scenario_print(p, &b) != AFZ_OK) {
        afz_buf_cleanup(&b);
        return NULL;
    }
    if (!b.len)
        afz_buf_puts(&b, "# no fault\n");
    char *t = afz_buf_take(&b, NULL);
    afz_buf_cleanup(&b);
    return t;
}

static int corpus_add(campaign *c, const afz_plan *p)
{
    if (c->n_corpus == c->cap_corpus) {
        size_t n = c->cap_corpus ? c->cap_corpus * 2 : 64;
        afz_plan *np = realloc(c->corpus, n * sizeof(*np));
        if (!np)
            return -1;
        c->corpus = np;
        c->cap_corpus = n;
    }
    c->corpus[c->n_corpus++] = *p;
    c->res->corpus = c->n_corpus;
    if (c->cfg->corpus_dir) {
        char *t = plan_text(p);
        if (!t)
            return -1;
        char path[700];
        snprintf(path, sizeof(path), "%s/%016" PRIx64 ".scn", c->cfg->corpus_dir, fnv64(t));
        int rc = write_text(path, t);
        free(t);
        if (rc != 0) {
            snprintf(c->res->error, sizeof(c->res->error), "cannot write %.200s: %s", path,
                     strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* read_outcome reads one reply block; -1 when the worker is gone. */
static int read_outcome(worker *w, outcome *o)
{
    outcome_reset(o);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int got_r = 0, done = 0;
    while (!done && (len = getline(&line, &cap, w->from)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        switch (line[0]) {
        case 'R': {
            int ok = 0, intr = 0;
            if (sscanf(line, "R %d %d %d %d %lf %zu", &ok, &intr, &o->exit_code, &o->timed_out,
                       &o->seconds, &o->requests) == 6)
                got_r = 1;
            o->ok = ok;
            o->interrupted = intr;
            break;
        }
        case 'E':
            snprintf(o->error, sizeof(o->error), "%s", line + (len > 2 ? 2 : len));
            break;
        case 'V': {
            if (o->n_v == MAX_VIOL)
                break;
            viol *v = &o->v[o->n_v];
            long ex = -1;
            int off = 0;
            if (sscanf(line, "V %d %ld %63s %n", &v->fails, &ex, v->prop, &off) >= 3) {
                v->exchange = ex < 0 ? SIZE_MAX : (size_t)ex;
                snprintf(v->message, sizeof(v->message), "%s", off ? line + off : "");
                o->n_v++;
            }
            break;
        }
        case 'F': {
            unsigned x;
            if (sscanf(line, "F %x", &x) == 1) {
                if (o->feat.n == o->feat.cap) {
                    size_t n = o->feat.cap ? o->feat.cap * 2 : 128;
                    uint32_t *v = realloc(o->feat.v, n * sizeof(*v));
                    if (!v)
                        break;
                    o->feat.v = v;
                    o->feat.cap = n;
                }
                o->feat.v[o->feat.n++] = (uint32_t)x;
            }
            break;
        }
        case 'W':
            snprintf(o->workdir, sizeof(o->workdir), "%s", line + (len > 2 ? 2 : len));
            break;
        case '.':
            done = 1;
            break;
        default:
            break;
        }
    }
    free(line);
    w->busy = 0;
    if (!done || !got_r) {
        w->dead = 1;
        return -1;
    }
    return 0;
}

static int send_input(campaign *c, worker *w, const afz_plan *p, int is_seed)
{
    char *t = plan_text(p);
    if (!t)
        return -1;
    char path[700];
    c->seq++;
    snprintf(path, sizeof(path), "%s/inputs/in-%06lu.scn", c->cfg->workroot, c->seq);
    int rc = write_text(path, t);
    free(t);
    if (rc != 0) {
        snprintf(c->res->error, sizeof(c->res->error), "cannot write %.200s: %s", path,
                 strerror(errno));
        return -1;
    }
    char line[720];
    int n = snprintf(line, sizeof(line), "%s\n", path);
    if (write(w->to_fd, line, (size_t)n) != n) {
        w->dead = 1;
        return -1;
    }
    w->busy = 1;
    w->seq = c->seq;
    w->plan = *p;
    w->is_seed = is_seed;
    return 0;
}

static void input_path(const campaign *c, unsigned long seq, char *out, size_t n)
{
    snprintf(out, n, "%s/inputs/in-%06lu.scn", c->cfg->workroot, seq);
}

/* run_sync runs |p| on worker |w| and waits for its outcome. */
static int run_sync(campaign *c, worker *w, const afz_plan *p, outcome *o)
{
    if (send_input(c, w, p, 0) != 0)
        return -1;
    unsigned long seq = w->seq;
    int rc = read_outcome(w, o);
    char path[700];
    input_path(c, seq, path, sizeof(path));
    remove(path);
    c->res->extra++;
    return rc == 0 && o->ok ? 0 : -1;
}

static void progress(campaign *c, int force)
{
    FILE *f = c->cfg->progress;
    double t = now_s();
    if (!f || (!force && (t - c->last_progress < 1.0 || c->res->inputs == c->progress_inputs)))
        return;
    c->last_progress = t;
    c->progress_inputs = c->res->inputs;
    double el = t - c->started;
    fprintf(f, "fuzz: %5.0f s  %lu inputs (%.1f/min)  %zu features  corpus %zu  %zu finding(s)\n",
            el, c->res->inputs, el > 0 ? (double)c->res->inputs * 60.0 / el : 0.0, c->fn,
            c->n_corpus, c->res->n_findings);
    fflush(f);
}

static afz_campaign_finding *finding_of(campaign *c, const char *prop)
{
    for (size_t i = 0; i < c->res->n_findings; i++)
        if (strcmp(c->res->findings[i].prop->id, prop) == 0)
            return &c->res->findings[i];
    return NULL;
}

/* shrink_step: candidates, in order, for the plan |p| */
static int shrink_try(campaign *c, worker *w, const char *prop, const afz_plan *cand,
                      afz_plan *best, outcome *o, char *evidence, size_t evlen,
                      afz_campaign_finding *f)
{
    if (f->shrink_runs >= c->cfg->max_shrink_runs || stop_signal || afz_plan_equal(cand, best) ||
        now_s() - c->shrink_started > c->shrink_limit_s)
        return 0;
    f->shrink_runs++;
    if (run_sync(c, w, cand, o) != 0)
        return 0;
    const viol *v = outcome_fails(o, prop);
    if (!v) {
        if (o->workdir[0])
            rm_tree(o->workdir);
        return 0;
    }
    *best = *cand;
    snprintf(f->message, sizeof(f->message), "%s", v->message);
    f->exchange = v->exchange;
    if (evidence[0])
        rm_tree(evidence);
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
    f->plan_text = plan_text(best);
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
    if (write_text(f->path, afz_buf_cstr(&b)) != 0)
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

/* new_finding: stability reruns and shrinking of |first| (which violated
 * |v|), on worker |w| (idle). */
static int new_finding(campaign *c, worker *w, const pending *pd)
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
    f->first_text = plan_text(first);
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
    for (unsigned i = 0; i < c->cfg->reruns && !stop_signal; i++) {
        f->tries++;
        if (run_sync(c, w, first, &o) != 0)
            continue;
        const viol *again = outcome_fails(&o, v->prop);
        if (again)
            f->reproduced++;
        /* a finding found second in its run has no evidence yet */
        if (again && !evidence[0])
            snprintf(evidence, sizeof(evidence), "%s", o.workdir);
        else if (o.workdir[0])
            rm_tree(o.workdir);
    }
    afz_features_cleanup(&o.feat);
    afz_plan best = *first;
    c->shrink_started = now_s();
    if (!stop_signal)
        shrink(c, w, v->prop, &best, evidence, sizeof(evidence), f);
    write_finding(c, f, &best, evidence);
    if (evidence[0])
        rm_tree(evidence);
    if (c->cfg->progress) {
        fprintf(c->cfg->progress,
                "fuzz: finding %s: reproduced %u/%u%s, shrunk in %u runs to %zu rule(s)%s%s\n",
                v->prop, f->reproduced, f->tries, f->reproduced < f->tries ? " (flaky)" : "",
                f->shrink_runs, best.n_rules, f->path[0] ? ": " : "", f->path);
        fflush(c->cfg->progress);
    }
    return 0;
}

/* pick_input: the next seed, else a mutation of the corpus not run yet */
static int pick_input(campaign *c, afz_plan *p, int *is_seed)
{
    while (c->next_seed < c->n_seeds) {
        *p = c->seeds[c->next_seed++];
        char *t = plan_text(p);
        if (!t)
            return -1;
        uint64_t h = fnv64(t);
        free(t);
        if (seen_has(c, h))
            continue;
        *is_seed = 1;
        return seen_add(c, h);
    }
    *is_seed = 0;
    for (int tries = 0; tries < 32; tries++) {
        if (c->n_corpus)
            *p = c->corpus[afz_prng_below(&c->rng, c->n_corpus)];
        else
            afz_plan_init(p);
        const afz_plan *donor =
            c->n_corpus ? &c->corpus[afz_prng_below(&c->rng, c->n_corpus)] : NULL;
        unsigned n = 1 + (unsigned)afz_prng_below(&c->rng, 3);
        for (unsigned i = 0; i < n; i++)
            afz_plan_mutate(p, donor, c->cfg->allowed, &c->rng);
        char *t = plan_text(p);
        if (!t)
            return -1;
        uint64_t h = fnv64(t);
        free(t);
        if (!seen_has(c, h))
            return seen_add(c, h);
    }
    return 0; /* everything nearby was run: run this one again */
}

static int budget_left(const campaign *c)
{
    if (stop_signal)
        return 0;
    if (c->cfg->runs && c->res->inputs >= c->cfg->runs)
        return 0;
    if (c->cfg->time_s > 0 && now_s() - c->started >= c->cfg->time_s)
        return 0;
    return 1;
}

static unsigned busy_count(const campaign *c)
{
    unsigned n = 0;
    for (unsigned i = 0; i < c->n_w; i++)
        n += c->w[i].busy;
    return n;
}

static int load_seeds(campaign *c, const char *dir)
{
    afz_suite_coverage cov;
    char err[256];
    afz_rc rc = afz_suite_coverage_scan(dir, &cov, err, sizeof(err));
    if (rc != AFZ_OK) {
        snprintf(c->res->error, sizeof(c->res->error), "seeds: %.240s", err);
        afz_suite_coverage_cleanup(&cov);
        return -1;
    }
    for (size_t i = 0; i < cov.n; i++) {
        if (!cov.entries[i].loaded)
            continue;
        afz_plan p;
        afz_scn_error e;
        if (afz_suite_plan_load(cov.entries[i].path, &p, &e, NULL) != AFZ_OK)
            continue;
        p.account_alg = AFZ_ALG_ES256; /* not applied in suite mode */
        afz_plan *n = realloc(c->seeds, (c->n_seeds + 1) * sizeof(*n));
        if (!n) {
            afz_suite_coverage_cleanup(&cov);
            return -1;
        }
        c->seeds = n;
        c->seeds[c->n_seeds++] = p;
    }
    afz_suite_coverage_cleanup(&cov);
    return 0;
}

/* handle: what a finished input tells the campaign. A new finding is
 * returned in |*pending| (the caller stabilizes and shrinks it once the
 * other workers are idle). */
static int handle(campaign *c, worker *w, outcome *o)
{
    char path[700];
    input_path(c, w->seq, path, sizeof(path));
    remove(path);
    if (!o->ok) {
        if (o->interrupted)
            return 0;
        snprintf(c->res->error, sizeof(c->res->error), "harness error: %.230s", o->error);
        return -1;
    }
    c->res->inputs++;
    int fresh = 0;
    for (size_t i = 0; i < o->feat.n; i++) {
        int r = feature_add(c, o->feat.v[i]);
        if (r < 0)
            return -1;
        fresh |= r;
    }
    c->res->features = c->fn;
    if ((fresh || w->is_seed) && corpus_add(c, &w->plan) != 0)
        return -1;
    int keep_dir = 0;
    for (size_t i = 0; i < o->n_v; i++) {
        const viol *v = &o->v[i];
        if (!v->fails || !afz_property_find(v->prop))
            continue;
        afz_campaign_finding *f = finding_of(c, v->prop);
        if (f) {
            f->count++;
            continue;
        }
        pending *pd = NULL;
        for (size_t k = 0; k < c->n_pending && !pd; k++)
            if (strcmp(c->pending[k].v.prop, v->prop) == 0)
                pd = &c->pending[k];
        if (pd) {
            pd->count++;
            continue;
        }
        if (c->n_pending == MAX_PENDING)
            continue; /* a later input shows it again */
        pd = &c->pending[c->n_pending++];
        pd->plan = w->plan;
        pd->v = *v;
        pd->count = 1;
        pd->input = c->res->inputs;
        /* one run's work directory is the evidence of one finding */
        if (!keep_dir)
            snprintf(pd->dir, sizeof(pd->dir), "%s", o->workdir);
        else
            pd->dir[0] = '\0';
        keep_dir = 1;
    }
    if (!keep_dir && o->workdir[0] && o->n_v)
        rm_tree(o->workdir);
    return 0;
}

static int start_workers(campaign *c)
{
    const afz_campaign_config *cfg = c->cfg;
    for (unsigned i = 0; i < cfg->jobs; i++) {
        int to[2], from[2];
        if (pipe(to) != 0)
            return -1;
        if (pipe(from) != 0) {
            close(to[0]);
            close(to[1]);
            return -1;
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
            return -1;
        if (pid == 0) {
            close(to[1]);
            close(from[0]);
            for (unsigned k = 0; k < i; k++) {
                close(c->w[k].to_fd);
                fclose(c->w[k].from);
            }
            worker_main(cfg, i, to[0], from[1]);
        }
        close(to[0]);
        close(from[1]);
        worker *w = &c->w[c->n_w++];
        memset(w, 0, sizeof(*w));
        w->pid = pid;
        w->to_fd = to[1];
        w->from = fdopen(from[0], "r");
        if (!w->from)
            return -1;
        char *line = NULL;
        size_t cap = 0;
        ssize_t len = getline(&line, &cap, w->from);
        int ok = len > 0 && strncmp(line, "X ok", 4) == 0;
        if (!ok)
            snprintf(c->res->error, sizeof(c->res->error), "%s",
                     len > 2 ? line + 2 : "a worker failed to start");
        one_line(c->res->error);
        free(line);
        if (!ok)
            return -1;
    }
    return 0;
}

static void stop_workers(campaign *c)
{
    for (unsigned i = 0; i < c->n_w; i++) {
        worker *w = &c->w[i];
        if (stop_signal && w->busy)
            kill(w->pid, SIGTERM);
        close(w->to_fd);
    }
    for (unsigned i = 0; i < c->n_w; i++) {
        worker *w = &c->w[i];
        if (w->from)
            fclose(w->from);
        int st;
        while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
            ;
    }
    c->n_w = 0;
}

afz_rc afz_campaign_run(const afz_campaign_config *cfg, afz_campaign_result *out)
{
    memset(out, 0, sizeof(*out));
    stop_signal = 0;
    campaign c;
    memset(&c, 0, sizeof(c));
    c.cfg = cfg;
    c.res = out;
    afz_prng_seed(&c.rng, cfg->seed);
    afz_rc rc = AFZ_EIO;
    outcome o;
    memset(&o, 0, sizeof(o));
    if (cfg->jobs < 1 || cfg->jobs > MAX_JOBS || (!cfg->runs && cfg->time_s <= 0)) {
        snprintf(out->error, sizeof(out->error), "jobs 1..%d and a budget are needed", MAX_JOBS);
        return AFZ_EINVAL;
    }
    char inputs[600];
    snprintf(inputs, sizeof(inputs), "%s/inputs", cfg->workroot);
    if (mkdir(inputs, 0700) != 0 && errno != EEXIST) {
        snprintf(out->error, sizeof(out->error), "cannot create %.200s: %s", inputs,
                 strerror(errno));
        return AFZ_EIO;
    }
    for (size_t i = 0; i < cfg->n_seed_dirs; i++)
        if (load_seeds(&c, cfg->seed_dirs[i]) != 0)
            goto done;
    if (cfg->corpus_dir) {
        struct stat st;
        if (stat(cfg->corpus_dir, &st) == 0 && load_seeds(&c, cfg->corpus_dir) != 0)
            goto done;
    }
    if (!c.n_seeds) {
        c.seeds = malloc(sizeof(*c.seeds));
        if (!c.seeds)
            goto done;
        afz_plan_init(&c.seeds[0]);
        c.n_seeds = 1;
    }
    c.started = now_s();
    c.shrink_limit_s = cfg->shrink_s > 0 ? cfg->shrink_s
                       : cfg->time_s > 0 ? (cfg->time_s / 4 > 60 ? cfg->time_s / 4 : 60)
                                         : 300;
    if (start_workers(&c) != 0) {
        if (!out->error[0])
            snprintf(out->error, sizeof(out->error), "cannot start the workers: %s",
                     strerror(errno));
        goto done;
    }
    int failed = 0;
    unsigned long issued = 0;
    for (;;) {
        /* hand out inputs while the budget lasts and no finding waits */
        for (unsigned i = 0; i < c.n_w && !c.n_pending && !failed; i++) {
            worker *w = &c.w[i];
            if (w->busy || w->dead || !budget_left(&c) || (cfg->runs && issued >= cfg->runs))
                continue;
            afz_plan p;
            int is_seed = 0;
            if (pick_input(&c, &p, &is_seed) != 0 || send_input(&c, w, &p, is_seed) != 0) {
                failed = 1;
                break;
            }
            issued++;
        }
        if (!busy_count(&c)) {
            if (c.n_pending && !failed) {
                worker *w = NULL;
                for (unsigned i = 0; i < c.n_w && !w; i++)
                    if (!c.w[i].dead)
                        w = &c.w[i];
                for (size_t k = 0; k < c.n_pending && !failed; k++)
                    if (!w || new_finding(&c, w, &c.pending[k]) != 0) {
                        if (!out->error[0])
                            snprintf(out->error, sizeof(out->error), "no worker left");
                        failed = 1;
                    }
                c.n_pending = 0;
                progress(&c, 1);
                continue;
            }
            break;
        }
        struct pollfd pfd[MAX_JOBS];
        unsigned idx[MAX_JOBS], n = 0;
        for (unsigned i = 0; i < c.n_w; i++)
            if (c.w[i].busy) {
                pfd[n].fd = fileno(c.w[i].from);
                pfd[n].events = POLLIN;
                idx[n++] = i;
            }
        int pr = poll(pfd, n, 1000);
        if (pr < 0 && errno != EINTR)
            break;
        for (unsigned k = 0; pr > 0 && k < n; k++) {
            if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            worker *w = &c.w[idx[k]];
            if (read_outcome(w, &o) != 0) {
                snprintf(out->error, sizeof(out->error), "worker %u (pid %ld) died", idx[k],
                         (long)w->pid);
                failed = 1;
                continue;
            }
            if (handle(&c, w, &o) != 0)
                failed = 1;
        }
        if (stop_signal)
            for (unsigned i = 0; i < c.n_w; i++)
                if (c.w[i].busy)
                    kill(c.w[i].pid, SIGTERM);
        progress(&c, 0);
    }
    progress(&c, 1);
    rc = failed && !stop_signal ? AFZ_EIO : AFZ_OK;
done:
    out->seconds = c.started ? now_s() - c.started : 0;
    out->interrupted = (int)stop_signal;
    stop_workers(&c);
    afz_features_cleanup(&o.feat);
    free(c.fset);
    free(c.seen);
    free(c.corpus);
    free(c.seeds);
    if (rc != AFZ_OK && !out->error[0])
        snprintf(out->error, sizeof(out->error), "out of memory");
    return rc;
}

void afz_campaign_result_cleanup(afz_campaign_result *r)
{
    for (size_t i = 0; i < r->n_findings; i++) {
        free(r->findings[i].first_text);
        free(r->findings[i].plan_text);
    }
    free(r->findings);
    memset(r, 0, sizeof(*r));
}
