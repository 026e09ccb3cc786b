/* afz_campaign_internal.h - what the three files of a campaign share
 * (afz_campaign.h is the API): afz_campaign.c runs the parent's loop
 * (inputs, corpus, feedback, workers), afz_campaign_worker.c the worker
 * process and the line protocol of its replies, afz_campaign_finding.c a
 * finding's reruns, shrinking and files. Not for other modules. */
#ifndef AFZ_CAMPAIGN_INTERNAL_H
#define AFZ_CAMPAIGN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "afz_campaign.h"
#include "afz_features.h"
#include "afz_prng.h"

#define AFZC_MAX_JOBS 64
#define AFZC_MAX_VIOL 32

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
    viol v[AFZC_MAX_VIOL];
    size_t n_v;
    afz_features feat;
    char workdir[512];
} outcome;

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

#define AFZC_MAX_PENDING 16

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
    worker w[AFZC_MAX_JOBS];
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
    pending pending[AFZC_MAX_PENDING];
    size_t n_pending;
    double started, last_progress;
    double shrink_started, shrink_limit_s; /* of the finding being shrunk */
    unsigned long progress_inputs;
} campaign;

/* The parent's clock (CLOCK_MONOTONIC, seconds). */
double afzc_now_s(void);
/* FNV-1a of a string (corpus file names, inputs already run). */
uint64_t afzc_fnv64(const char *s);
/* afzc_write_text writes |text| to |path|: 0, or -1 (errno). */
int afzc_write_text(const char *path, const char *text);
/* afzc_plan_text: the canonical text of |p| (malloc'd; "# no fault" for
 * the empty plan), NULL when out of memory. */
char *afzc_plan_text(const afz_plan *p);
/* afzc_stopped: the signal that stops the campaign, or 0. */
int afzc_stopped(void);

/* ---- afz_campaign_worker.c ---- */
/* afzc_one_line turns line breaks into spaces (a protocol line). */
void afzc_one_line(char *s);
void afzc_outcome_reset(outcome *o);
/* the failing violation of |prop| in |o|, or NULL */
const viol *afzc_outcome_fails(const outcome *o, const char *prop);
/* afzc_worker_main is the worker process: it opens worker |id|'s server,
 * says "X ok" (or "X reason") on |out_fd|, then runs each input path
 * read from |in_fd| and replies with one block; it never returns. */
void afzc_worker_main(const afz_campaign_config *cfg, unsigned id, int in_fd, int out_fd);
/* afzc_read_outcome reads one reply block of |w| into |o|; -1 when the
 * worker is gone (marked dead). */
int afzc_read_outcome(worker *w, outcome *o);

/* ---- afz_campaign.c ---- */
/* afzc_run_sync runs |p| on the idle worker |w| and waits for it: 0, or
 * -1 when the run did not happen. */
int afzc_run_sync(campaign *c, worker *w, const afz_plan *p, outcome *o);

/* ---- afz_campaign_finding.c ---- */
/* afzc_new_finding reruns, shrinks and writes the finding |pd| on the
 * idle worker |w| and appends it to the result: 0, or -1 (ENOMEM). */
int afzc_new_finding(campaign *c, worker *w, const pending *pd);

#endif
