/* afz_campaign_worker.c - a campaign's worker process and the line
 * protocol of its replies (afz_campaign_internal.h). A reply block:
 *   R ok interrupted exit_code timed_out seconds requests
 *   E error                       (when the run did not happen)
 *   V fails exchange|-1 property message      (one per violation)
 *   F feature                     (hex, one per feature)
 *   W workdir
 *   .
 */
#define _XOPEN_SOURCE 700 /* getline */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afz_campaign_internal.h"

void afzc_outcome_reset(outcome *o)
{
    afz_features f = o->feat;
    f.n = 0;
    memset(o, 0, sizeof(*o));
    o->feat = f;
}

const viol *afzc_outcome_fails(const outcome *o, const char *prop)
{
    for (size_t i = 0; i < o->n_v; i++)
        if (o->v[i].fails && strcmp(o->v[i].prop, prop) == 0)
            return &o->v[i];
    return NULL;
}

void afzc_one_line(char *s)
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
    afzc_one_line(err);
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
        afzc_one_line(msg);
        fprintf(out, "V %d %zd %s %s\n", e->fails && !e->waived,
                e->result.exchange == SIZE_MAX ? (ssize_t)-1 : (ssize_t)e->result.exchange,
                e->prop->id, msg);
    }
    for (size_t i = 0; f && i < f->n; i++)
        fprintf(out, "F %08" PRIx32 "\n", f->v[i]);
    fprintf(out, "W %s\n.\n", r->workdir);
    fflush(out);
}

void afzc_worker_main(const afz_campaign_config *cfg, unsigned id, int in_fd, int out_fd)
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
            afz_suite_rm_tree(r.workdir);
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

/* afzc_read_outcome reads one reply block; -1 when the worker is gone. */
int afzc_read_outcome(worker *w, outcome *o)
{
    afzc_outcome_reset(o);
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
            if (o->n_v == AFZC_MAX_VIOL)
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
