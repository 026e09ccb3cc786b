/* afz_run.h - run orchestration: one client against the in-process server
 * model on a virtual clock, recorded into a history.
 *
 * Per-process state (expensive: the CA, the account and certificate keys)
 * lives in an afz_world made once. Everything else (server, clock, PRNG,
 * history) is made per run from the run's seed, so no state leaks from one
 * run to the next and a run is a pure function of (world, client, config).
 *
 * Budgets. A run has a request budget and a virtual-time budget. Once one
 * is spent, the environment answers every http and sleep call with
 * AFZ_EBUDGET and records a budget_exhausted event; a client that still
 * keeps calling (AFZ_RUN_OVERDRAFT more calls) is unwound with longjmp back
 * to afz_run, which then reports it as aborted. Memory the client held at
 * that point is lost to it (not to the harness): in-tree clients stop on
 * AFZ_EBUDGET, so the unwind is for foreign clients that ignore errors.
 *
 * Crashes. With catch_crashes set, a crash signal (SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL, SIGABRT) while the client's obtain runs unwinds to the
 * same landing (afz_crash.h): the run records a client_crashed event after
 * the exchanges made so far, ends the campaign, and reports crash_signal,
 * so the caller still prints the log, the verdicts (no-crash) and the
 * replay line. As with the budget unwind, whatever the client held is
 * lost; worse, a crash may leave the client's own static state or libc's
 * (a crash inside malloc) broken, so a process that caught one should
 * report and exit rather than run on. It is for the CLI (run, replay);
 * fuzz targets leave it off, since libFuzzer takes a crash as a finding
 * itself and a caught one would hide it. Under ASan the catcher replaces
 * ASan's SEGV handler while obtain runs (see afz_crash.h). */
#ifndef AFZ_RUN_H
#define AFZ_RUN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "afz_ca.h"
#include "afz_client.h"
#include "afz_history.h"
#include "afz_jose.h"
#include "afz_plan.h"
#include "afz_server.h"

/* Calls past a spent budget before the client is unwound. */
#define AFZ_RUN_OVERDRAFT 64

typedef struct afz_world {
    afz_ca *ca;
    EVP_PKEY *account_keys[5]; /* indexed by afz_jws_alg (0 unused) */
    EVP_PKEY *cert_key;        /* P-256 */
} afz_world;

/* afz_world_init makes the CA, one account key per algorithm (ES256,
 * ES384, RS256, EdDSA) and a P-256 certificate key. When afz_detrand is
 * installed it is reseeded with a fixed value first, so every process gets
 * the same world. */
afz_rc afz_world_init(afz_world *w);
void afz_world_cleanup(afz_world *w);
/* afz_world_account_key returns the account key for |alg| (ES256 when
 * |alg| is not one of the four). Borrowed from |w|. */
EVP_PKEY *afz_world_account_key(const afz_world *w, afz_jws_alg alg);

typedef struct afz_run_config {
    afz_server_config server;       /* server model knobs */
    uint64_t seed;                  /* seeds the PRNG and OpenSSL (detrand) */
    const char *const *identifiers; /* borrowed; default {"example.com"} */
    size_t n_identifiers;
    afz_jws_alg account_alg; /* which world account key (default ES256); afz_run
                                maps it onto the client's declared account_algs */
    const afz_plan *plan;    /* fault plan applied by the engine, or NULL */
    unsigned attempts;       /* campaign: obtain calls while they fail (default 1) */
    int64_t attempt_gap_ms;  /* virtual time between attempts (default 60 s) */
    size_t max_requests;     /* request budget for the run (default 300) */
    int64_t max_virtual_ms;  /* virtual-time budget (default 24 h) */
    const char *contact;     /* passed to the client (default NULL) */
    int catch_crashes;       /* 1: a crash of the client ends the run with
                                crash_signal set instead of the process
                                (default 0; the CLI sets it, fuzz targets must
                                not) */
} afz_run_config;

/* afz_run_config_default fills |c| with the defaults above and the server
 * model's defaults. */
void afz_run_config_default(afz_run_config *c);
/* afz_run_config_apply_plan takes from |plan| (borrowed; must outlive the
 * runs) its identifiers, account algorithm, attempts and seed, and folds
 * its CONFIG faults into c->server. The account algorithm is taken as the
 * plan decodes it; afz_run then hands the client the key of that
 * algorithm only if the client declared it (afz_client.account_algs), and
 * otherwise the key of the first one it declared, in the order ES256,
 * ES384, RS256, EdDSA (afz_client_caps_pick_alg). So the same plan bytes
 * decode the same way for every client, and a client that signs with
 * P-256 only is run with its P-256 key whatever the header byte says.
 * Campaign attempts run for every client, stateless or not. */
void afz_run_config_apply_plan(afz_run_config *c, const afz_plan *plan);

typedef struct afz_run_result {
    afz_history history; /* every exchange and event of the run */
    afz_rc client_rc;    /* what the last obtain returned (AFZ_OK: certificate) */
    unsigned attempts;   /* obtain calls made (campaign mode) */
    char reason[256];    /* the client's failure reason, or "" */
    char *cert_pem;      /* the client's certificate chain (owned) */
    size_t cert_pem_len;
    int budget_exhausted;   /* a budget ran out */
    int aborted;            /* the client ignored the spent budget and was unwound */
    int crash_signal;       /* catch_crashes: the signal the client crashed with, or 0 */
    char crash_detail[160]; /* catch_crashes: how and where, e.g. "SIGSEGV: address not
                               mapped (NULL dereference) in the client", or "" */
    int client_stateless;   /* the client declared AFZ_CLIENT_STATELESS: it keeps nothing
                               across campaign attempts (afz_client.h) */
    size_t n_requests;
    int64_t virtual_ms; /* virtual time the run took */
} afz_run_result;

void afz_run_result_init(afz_run_result *r);
/* afz_run_result_reset frees what a run left, keeping the history's arrays
 * for reuse by the next run. */
void afz_run_result_reset(afz_run_result *r);
void afz_run_result_cleanup(afz_run_result *r);

/* afz_run runs |client| once. |out| must have been initialised; it is reset
 * first. Returns AFZ_OK when the run happened (whatever the client's
 * outcome: see out->client_rc and out->crash_signal), AFZ_EINVAL for a
 * client with another ABI version, a too-small struct or contradictory
 * capabilities (afz_client_caps_get), or when
 * catch_crashes is set while another run's catcher is armed, AFZ_EIO when
 * the signal handlers could not be installed, AFZ_ENOMEM. */
afz_rc afz_run(const afz_world *w, const afz_client *client, const afz_run_config *cfg,
               afz_run_result *out);

#endif
