/* afz_campaign.h - fuzzing campaigns against real client binaries
 * (`acmefuzz fuzz`): fault plans generated and mutated (afz_mutate.h),
 * each run by the suite runner (afz_suite_run_one: a fresh server state,
 * the client command, the properties), kept when the server saw the
 * client do something new (afz_features.h), findings re-run and shrunk.
 *
 * Processes. The campaign forks |jobs| workers; each opens its own
 * afz_serve (own ports and TLS root, CA bundle in WORKROOT/wN) and runs
 * the inputs the parent hands it, one at a time, under WORKROOT/wN/in-SEQ.
 * The parent writes each input as canonical text to WORKROOT/inputs,
 * gathers the verdicts and features over pipes, and alone decides what
 * to keep, so a campaign with --jobs 1 is deterministic for a
 * deterministic client (the same seed gives the same inputs).
 *
 * Inputs. First every seed plan (the seed folders, then the corpus
 * folder, which is how a campaign resumes), then mutations: a plan drawn
 * from the corpus, 1 to 3 mutations (a second corpus plan as the donor of
 * a splice), never an input already run. A plan whose run shows a
 * feature no earlier run showed joins the corpus (saved in the corpus
 * folder as NAME.scn, NAME from a hash of its text).
 *
 * Findings. A violation that fails under the policy is a finding, one
 * per property. The first input to show it is re-run |reruns| times
 * (stable when every run violates the property again; otherwise flaky,
 * with the count), then shrunk: fewer identifiers and attempts, rules
 * dropped, arguments set to the first value of their domain, occurrences
 * to the first, each candidate run by the real client and kept when it
 * still violates the same property (at most |max_shrink_runs| runs and
 * |shrink_s| seconds; reruns and shrinking count in the time budget, so a
 * campaign may end that much after it). The
 * result is written to the findings folder as PROPERTY.scn (comments:
 * the verdict, stability, the replay command), PROPERTY.exchanges.log
 * and PROPERTY.client.log (the run of the smallest plan that violated).
 * Later inputs that violate the same property only count. */
#ifndef AFZ_CAMPAIGN_H
#define AFZ_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "afz_fault.h"
#include "afz_property.h"
#include "afz_serve.h"
#include "afz_suite.h"

typedef struct afz_campaign_config {
    afz_suite_config suite; /* client, command, timeout, policy, ... (workroot and
                               ca_bundle are set per worker) */
    afz_serve_config serve; /* each worker's server */
    const char *workroot;   /* an existing, absolute directory */
    unsigned jobs;          /* 1..64 */
    double time_s;          /* 0: no time budget */
    unsigned long runs;     /* 0: no input budget (one of the two is needed) */
    uint64_t seed;
    const char *const *seed_dirs; /* scenario folders or files, read recursively */
    size_t n_seed_dirs;
    const char *corpus_dir;       /* NULL: the corpus is not saved */
    const char *findings_dir;     /* NULL: findings are not written */
    unsigned reruns;              /* extra runs of a violating input (2) */
    unsigned max_shrink_runs;     /* per finding (40) */
    double shrink_s;              /* per finding, seconds of shrinking at most; 0: a quarter of
                                     time_s, at least 60 (300 without a time budget) */
    const unsigned char *allowed; /* AFZ_FAULT__COUNT flags; NULL: every fault */
    FILE *progress;               /* a line at most once a second; NULL: quiet */
} afz_campaign_config;

/* afz_campaign_config_default: 1 job, 2 reruns, 40 shrink runs, seed 1,
 * progress on stderr; the caller sets the rest. */
void afz_campaign_config_default(afz_campaign_config *c);

typedef struct afz_campaign_finding {
    const afz_property *prop;
    char message[320];         /* the minimized run's verdict (or the first's) */
    size_t exchange;           /* its offending exchange, or SIZE_MAX */
    unsigned long count;       /* inputs that violated it */
    unsigned long first_input; /* the number of the first (1-based) among the inputs run */
    unsigned reproduced;       /* of |tries| runs of the first input, how many violated */
    unsigned tries;            /* 1 + reruns */
    unsigned shrink_runs;      /* client runs spent shrinking */
    char *first_text;          /* the first violating input (owned) */
    char *plan_text;           /* the shrunk reproducer (owned) */
    char path[640];            /* its file in the findings folder, or "" */
} afz_campaign_finding;

typedef struct afz_campaign_result {
    unsigned long inputs; /* client runs for inputs (reruns and shrinking aside) */
    unsigned long extra;  /* client runs for reruns and shrinking */
    double seconds;
    size_t features; /* distinct features seen */
    size_t corpus;   /* plans in the corpus */
    afz_campaign_finding *findings;
    size_t n_findings;
    int interrupted; /* the signal that stopped it, or 0 */
    char error[256]; /* why the campaign failed (harness), or "" */
} afz_campaign_result;

/* afz_campaign_interrupt(sig) is async-signal-safe: the parent's SIGINT
 * and SIGTERM handler calls it; the campaign stops its workers, keeps
 * what it found and returns. */
void afz_campaign_interrupt(int sig);

/* afz_campaign_run runs a campaign. |out| is filled whatever happens
 * (cleanup it). AFZ_OK when it ran to its budget or was interrupted,
 * AFZ_EIO (out->error) when a worker or a file failed, AFZ_ENOMEM. */
afz_rc afz_campaign_run(const afz_campaign_config *cfg, afz_campaign_result *out);
void afz_campaign_result_cleanup(afz_campaign_result *r);

/* afz_campaign_replay appends the command that replays the finding file
 * |path|: afz_suite_replay's, plus the policy options when they are not
 * the default. */
afz_rc afz_campaign_replay(const afz_campaign_config *cfg, const char *path, afz_buf *out);

/* afz_campaign_allowed_default fills |allowed| (AFZ_FAULT__COUNT bytes)
 * with every catalog fault that is neither retired nor on the list of
 * faults no scenario can meet over HTTPS (afz_suite_exclusions). */
void afz_campaign_allowed_default(unsigned char *allowed);

#endif
