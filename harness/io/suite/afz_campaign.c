/* afz_campaign.c - see afz_campaign.h. */
#define _XOPEN_SOURCE 700 /* getline, strdup */
#include "afz_campaign_internal.h"

#include <errno.h>
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

#include "afz_mutate.h"
#include "afz_prng.h"
#include "afz_scenario.h"

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

int afzc_stopped(void)
{
    return (int)stop_signal;
}

double afzc_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t afzc_fnv64(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

int afzc_write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    ok = fclose(f) == 0 && ok;
    return ok ? 0 : -1;
}

/* ---- the parent ---- */

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

char *afzc_plan_text(const afz_plan *p)
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
        char *t = afzc_plan_text(p);
        if (!t)
            return -1;
        char path[700];
        snprintf(path, sizeof(path), "%s/%016" PRIx64 ".scn", c->cfg->corpus_dir, afzc_fnv64(t));
        int rc = afzc_write_text(path, t);
        free(t);
        if (rc != 0) {
            snprintf(c->res->error, sizeof(c->res->error), "cannot write %.200s: %s", path,
                     strerror(errno));
            return -1;
        }
    }
    return 0;
}

static int send_input(campaign *c, worker *w, const afz_plan *p, int is_seed)
{
    char *t = afzc_plan_text(p);
    if (!t)
        return -1;
    char path[700];
    c->seq++;
    snprintf(path, sizeof(path), "%s/inputs/in-%06lu.scn", c->cfg->workroot, c->seq);
    int rc = afzc_write_text(path, t);
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

/* afzc_run_sync runs |p| on worker |w| and waits for its outcome. */
int afzc_run_sync(campaign *c, worker *w, const afz_plan *p, outcome *o)
{
    if (send_input(c, w, p, 0) != 0)
        return -1;
    unsigned long seq = w->seq;
    int rc = afzc_read_outcome(w, o);
    char path[700];
    input_path(c, seq, path, sizeof(path));
    remove(path);
    c->res->extra++;
    return rc == 0 && o->ok ? 0 : -1;
}

static void progress(campaign *c, int force)
{
    FILE *f = c->cfg->progress;
    double t = afzc_now_s();
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

/* pick_input: the next seed, else a mutation of the corpus not run yet */
static int pick_input(campaign *c, afz_plan *p, int *is_seed)
{
    while (c->next_seed < c->n_seeds) {
        *p = c->seeds[c->next_seed++];
        char *t = afzc_plan_text(p);
        if (!t)
            return -1;
        uint64_t h = afzc_fnv64(t);
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
        char *t = afzc_plan_text(p);
        if (!t)
            return -1;
        uint64_t h = afzc_fnv64(t);
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
    if (c->cfg->time_s > 0 && afzc_now_s() - c->started >= c->cfg->time_s)
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
        if (c->n_pending == AFZC_MAX_PENDING)
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
        afz_suite_rm_tree(o->workdir);
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
            afzc_worker_main(cfg, i, to[0], from[1]);
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
        afzc_one_line(c->res->error);
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
    if (cfg->jobs < 1 || cfg->jobs > AFZC_MAX_JOBS || (!cfg->runs && cfg->time_s <= 0)) {
        snprintf(out->error, sizeof(out->error), "jobs 1..%d and a budget are needed",
                 AFZC_MAX_JOBS);
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
    c.started = afzc_now_s();
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
                    if (!w || afzc_new_finding(&c, w, &c.pending[k]) != 0) {
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
        struct pollfd pfd[AFZC_MAX_JOBS];
        unsigned idx[AFZC_MAX_JOBS], n = 0;
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
            if (afzc_read_outcome(w, &o) != 0) {
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
    out->seconds = c.started ? afzc_now_s() - c.started : 0;
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
