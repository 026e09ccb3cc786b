/* afz_suite.h - client-CI suites: a real client binary against the HTTPS
 * server mode, once per scenario, judged by every property.
 *
 * For each scenario (a .scn or binary plan file) the runner resets the
 * server (fresh state, empty history, the scenario's plan), makes a work
 * directory, runs the client command (a template, see afz_suite_expand)
 * under /bin/sh in its own process group with a per-run timeout, and then
 * evaluates every property over the history the server recorded. The
 * event loop serves the client while the runner waits for it: one
 * process, no threads.
 *
 * Outcome. The client succeeded when its command exited 0. A command that
 * outlives the timeout is sent SIGTERM, then SIGKILL two seconds later (the
 * whole process group), and the run counts as a spent time budget (the
 * `terminates` property). A plan with "attempts N" reruns a failed command
 * up to N times in the same work directory (a campaign), as a scheduler
 * would.
 *
 * Challenges. Each run gets two free loopback ports, {http_port} and
 * {tls_port}; the server's http-01 and tls-alpn-01 checks (when the
 * server validates, afz_serve_config.validate) go to them. The work
 * directory has webroot/.well-known/acme-challenge/ for webroot-mode
 * clients; with serve_webroot the runner publishes it on {http_port}.
 *
 * Real time. Properties are judged with afz_serve_prop_limits (250 ms of
 * Retry-After tolerance, 400 ms least poll spacing) and a time budget of
 * the timeout per attempt. With time_scale N > 1 the client runs under
 * libfaketime (FAKETIME="+0 xN") and the server's clock runs N times real
 * time as well: the history, the limits and the budget (N times the
 * timeout) are on the client's clock. A client that does not load the
 * preload (a static or Go binary) then looks N times slower than it is:
 * use it only for clients it works for (README, "Faster clocks"). */
#ifndef AFZ_SUITE_H
#define AFZ_SUITE_H

#include <stddef.h>
#include <stdint.h>

#include "afz_buf.h"
#include "afz_plan.h"
#include "afz_report.h"
#include "afz_serve.h"

struct afz_scn_error;

/* Placeholders of a command template. */
typedef struct afz_suite_vars {
    const char *directory; /* {directory}: the ACME directory URL */
    const char *domain;    /* {domain}: the first identifier */
    const char *domains;   /* {domains}: every identifier, comma-separated */
    const char *ca_bundle; /* {ca_bundle}: the CA bundle file */
    const char *workdir;   /* {workdir}: this run's work directory */
    const char *http_port; /* {http_port}: a free loopback port for http-01 */
    const char *tls_port;  /* {tls_port}: a free loopback port for tls-alpn-01 */
} afz_suite_vars;

/* afz_suite_expand appends |tmpl| with every {name} replaced by its value
 * from |v|, and {domains:FLAG} by "FLAG id1 FLAG id2 ..." (one FLAG per
 * identifier, e.g. {domains:--domain} or {domains:-d}). Values are inserted as they are, so each
 * must consist of shell-safe bytes only (letters, digits, and . _ - / : @ + = ,); "{{" stands for
 * "{". Returns AFZ_EINVAL (naming the culprit in |err|) for an unknown placeholder, an unterminated
 * one or an unsafe value. */
afz_rc afz_suite_expand(const char *tmpl, const afz_suite_vars *v, afz_buf *out, char *err,
                        size_t errlen);
/* afz_suite_template_passes_all says whether |tmpl| can pass every
 * identifier ({domains}, {domains:FLAG} or $AFZ_DOMAINS); when it cannot,
 * a scenario with several identifiers gets a warning (result.warning). */
int afz_suite_template_passes_all(const char *tmpl);

typedef struct afz_suite_config {
    const char *client;    /* name in reports (adapter name or "custom") */
    const char *command;   /* template */
    const char *workroot;  /* parent of the per-scenario work directories */
    const char *ca_bundle; /* file the server's CA bundle was written to */
    int timeout_s;         /* per attempt */
    afz_policy policy;     /* which violations fail a scenario (afz_policy.h) */
    int verbose;           /* echo the client's output */
    int serve_webroot;     /* 1: publish {workdir}/webroot on {http_port} during the
                              run (afz_webroot), for clients that only write files */
    /* What the client declared (--account-key-algs, --stateless), the suite
     * form of afz_client.account_algs and .flags (afz_client.h). A real
     * client brings its own account key and the server accepts all four
     * algorithms, so a scenario's "account-key" line is not applied in
     * suite mode and account_algs only documents the client. */
    uint32_t account_algs;    /* AFZ_CLIENT_ALG_* bits; 0: not declared */
    int client_stateless;     /* 1: keeps nothing across campaign attempts (for the
                                 properties, as afz_run_result.client_stateless) */
    const char *replay;       /* the suite command without --scenarios that reruns one
                                 scenario ("acmefuzz suite --client lego"), shell-quoted;
                                 NULL: built from client and command (afz_suite_replay) */
    int private_hosts;        /* 1 (root only): run the client in a private mount
                                 namespace whose /etc/hosts (WORKDIR/hosts: the
                                 system's, plus the identifiers on 127.0.0.1) makes
                                 the scenario's names resolve to loopback */
    unsigned time_scale;      /* > 1 (with faketime_lib): the client runs with its clocks and
                                 sleeps sped up this many times by libfaketime, and the
                                 server's clock runs as fast, so the history is judged
                                 on the client's clock (afz_serve_set_time_scale); the
                                 timeout stays in real seconds. 0 or 1: real time */
    const char *faketime_lib; /* libfaketime.so.1 to preload (time_scale > 1), or NULL */
} afz_suite_config;

typedef struct afz_suite_result {
    char name[128]; /* scenario file name without extension */
    char path[512];
    int loaded; /* 0: the scenario could not be read (see error) */
    char error[256];
    afz_plan plan;
    afz_fault_class cls;
    char *plan_text; /* canonical text (owned) */
    char workdir[512];
    int exit_code;   /* last attempt: exit status, or -1 when signalled */
    int term_signal; /* the signal that ended it, or 0 */
    int timed_out;
    unsigned attempts;
    double seconds;  /* wall time of all attempts */
    size_t requests; /* exchanges recorded */
    afz_report report;
    char *log;          /* the exchange log, offending exchanges marked (owned) */
    char *history_json; /* the history as JSON (owned) */
    char *client_tail;  /* the end of the client's output (owned) */
    char warning[256];  /* a template problem worth saying, or "" */
    int interrupted;    /* the signal that stopped the suite during this scenario
                           (afz_suite_interrupt), or 0; error says so */
} afz_suite_result;

/* afz_suite_plan_load reads a plan file as afz_plan_load does (text for
 * ".scn", binary otherwise), except that a file not named ".scn" whose
 * bytes are a text scenario (printable ASCII only, with a "->" rule, a
 * header statement or a '#' comment) is parsed as text rather than run as
 * a random binary plan; *as_text (may be NULL) says so, for the caller to
 * tell the user. */
afz_rc afz_suite_plan_load(const char *path, afz_plan *out, struct afz_scn_error *err,
                           int *as_text);

/* Interruption. afz_suite_interrupt(sig) is async-signal-safe: a SIGINT
 * or SIGTERM handler calls it. A client running then gets SIGTERM (its
 * whole process group), SIGKILL 2 s later, and afz_suite_run_one returns
 * AFZ_EFAIL with out->interrupted set; afz_suite_interrupted returns the
 * signal (0 when none came) so the caller stops before the next scenario. */
void afz_suite_interrupt(int sig);
int afz_suite_interrupted(void);

void afz_suite_result_cleanup(afz_suite_result *r);

/* afz_suite_rm_tree removes the directory tree |dir| (a run's work
 * directory, a campaign's root), not following symbolic links; what cannot
 * be removed stays, silently. */
void afz_suite_rm_tree(const char *dir);

/* afz_suite_passed returns 1 when the scenario loaded and no violation
 * fails it under the policy (warnings and waived violations aside). */
int afz_suite_passed(const afz_suite_result *r);

/* afz_suite_run_one runs the scenario at |path| against |srv| (whose
 * event loop must not be running). |out| is filled whatever happens
 * (cleanup it). Returns AFZ_OK when the client ran (whatever it did),
 * AFZ_EPARSE when the scenario did not load (out->error says why), AFZ_EIO
 * (or AFZ_ENOMEM) when the harness failed: the work directory, client.log
 * or the process could not be made, exchanges.log could not be written,
 * or the work directory's file system is full (a client failing then says
 * nothing of the client); AFZ_EFAIL when interrupted (out->interrupted). */
afz_rc afz_suite_run_one(afz_serve *srv, const afz_suite_config *cfg, const char *path,
                         afz_suite_result *out);

/* Reports over finished results (|n| of them), appended to |out|.
 * afz_suite_junit: JUnit XML, one <testsuite> per scenario and one
 * <testcase> per property (violations as <failure>, waived and
 * inconclusive verdicts as <skipped>, an unloadable scenario as <error>).
 * afz_suite_tap: TAP version 13, one test point per scenario with the
 * violations as diagnostics. afz_suite_json: one object with every
 * scenario, its outcome, verdicts and history. */
afz_rc afz_suite_junit(const afz_suite_config *cfg, const afz_suite_result *r, size_t n,
                       afz_buf *out);
afz_rc afz_suite_tap(const afz_suite_config *cfg, const afz_suite_result *r, size_t n,
                     afz_buf *out);
afz_rc afz_suite_json(const afz_suite_config *cfg, const afz_suite_result *r, size_t n,
                      afz_buf *out);
/* afz_suite_html: the HTML report (afz_report_html.h), one section per
 * scenario with its timeline, verdicts, exchanges and the client's output,
 * pass/fail of each at the top. */
afz_rc afz_suite_html(const afz_suite_config *cfg, const afz_suite_result *r, size_t n,
                      afz_buf *out);

/* afz_suite_replay appends the command that reruns the scenario at |path|
 * alone: cfg->replay, or "acmefuzz suite --client-cmd TEMPLATE --name
 * NAME", then " --time-scale N" when the clock was scaled, then
 * " --scenarios PATH", each argument shell-quoted when it
 * holds anything but letters, digits and . _ - / : @ + = , */
afz_rc afz_suite_replay(const afz_suite_config *cfg, const char *path, afz_buf *out);

/* ---- faster clocks (afz_suite_faketime.c) ---- */

/* afz_suite_faketime_lib returns libfaketime's preload library: the file
 * $AFZ_FAKETIME_LIB names, else Debian's (package faketime) under
 * /usr/lib/<multiarch>/faketime/; NULL when there is none. Static. */
const char *afz_suite_faketime_lib(void);
/* afz_suite_preload_blocker tells whether the program a command template
 * starts (its first word, looked up on PATH; a script is judged by its
 * "#!" interpreter) cannot load an LD_PRELOAD library: a Go binary (Go
 * makes its system calls itself) or a static one. Returns 1 with the
 * reason in |why|, 0 when it can or when that cannot be told (a program
 * that is not found, a shell construct). */
int afz_suite_preload_blocker(const char *command, char *why, size_t n);

/* ---- coverage (afz_suite_coverage.c) ----
 *
 * What a suite folder meets of the fault catalog. Scanning reads every
 * scenario under a root (recursively, as `suite --scenarios` does); its
 * tier is the first directory below the root (corpus/suite/quick ->
 * "quick"), "-" for a file at the root. Exercising runs every built-in
 * client (reference and zoo, clients/afz_clients.h) in process under each
 * scenario's plan and records which properties any of them violates: the
 * properties the scenario can catch, derived from the property table and
 * the fault engine, not from a hand-kept list. */

/* A catalog fault no scenario can meet over HTTPS, and why. */
typedef struct afz_suite_exclusion {
    const char *fault; /* catalog name */
    const char *reason;
} afz_suite_exclusion;

/* afz_suite_exclusions returns the documented exclusion list (static) and
 * its length in *n. */
const afz_suite_exclusion *afz_suite_exclusions(size_t *n);

typedef struct afz_suite_cov_entry {
    char path[512];
    char tier[64];
    int loaded; /* 0: see error */
    char error[256];
    afz_fault_class cls;
    unsigned char uses[AFZ_FAULT__COUNT]; /* 1: a rule of the plan injects fault i */
    char *caught; /* owned; "prop(client,...) ..." after exercise, or NULL */
} afz_suite_cov_entry;

typedef struct afz_suite_coverage {
    afz_suite_cov_entry *entries; /* owned */
    size_t n;
} afz_suite_coverage;

/* afz_suite_coverage_scan fills |out| (cleanup it whatever happens) with
 * the scenarios under |root| in path order. AFZ_EIO (reason in |err|) when
 * |root| cannot be read; an unloadable scenario is an entry with loaded 0. */
afz_rc afz_suite_coverage_scan(const char *root, afz_suite_coverage *out, char *err, size_t errlen);
/* afz_suite_coverage_exercise sets every loaded entry's caught list. */
afz_rc afz_suite_coverage_exercise(afz_suite_coverage *c);
/* afz_suite_coverage_missing appends to |names| (space-separated) every
 * catalog fault (retired ones aside) that no loaded entry injects and the
 * exclusion list does not name; returns how many. */
size_t afz_suite_coverage_missing(const afz_suite_coverage *c, afz_buf *names);
/* afz_suite_coverage_print appends the report: fault x tier x scenario,
 * then per scenario its class, faults and caught properties, then the
 * excluded and the missing faults. */
afz_rc afz_suite_coverage_print(const afz_suite_coverage *c, afz_buf *out);
void afz_suite_coverage_cleanup(afz_suite_coverage *c);

#endif
