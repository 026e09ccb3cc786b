/* afz_run.c - see afz_run.h. */
#include "afz_run.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afz_client_abi.h"
#include "afz_clock.h"
#include "afz_crash.h"
#include "afz_cryptostat.h"
#include "afz_fault_engine.h"
#include "afz_prng.h"

#define AFZ_RUN_STATE_MAX 64
#define AFZ_RUN_STATE_VALUE_MAX 4096

/* Values the unwind landing (guarded_obtain) is reached with. */
#define UNWIND_BUDGET 1
#define UNWIND_CRASH 2

/* Seed for the per-process world when OpenSSL's RNG is deterministic. */
#define AFZ_WORLD_SEED UINT64_C(0x61636d6566757a7a)

static const afz_jws_alg world_algs[] = {AFZ_ALG_ES256, AFZ_ALG_ES384, AFZ_ALG_RS256,
                                         AFZ_ALG_EDDSA};

afz_rc afz_world_init(afz_world *w)
{
    memset(w, 0, sizeof(*w));
    if (afz_detrand_active())
        afz_detrand_seed(AFZ_WORLD_SEED);
    afz_cryptostat_setup_begin();
    afz_rc rc = AFZ_ECRYPTO;
    w->ca = afz_ca_new("acmefuzz", AFZ_CLOCK_DEFAULT_EPOCH_MS / 1000);
    if (!w->ca)
        goto fail;
    for (size_t i = 0; i < sizeof(world_algs) / sizeof(world_algs[0]); i++)
        if ((rc = afz_key_generate(world_algs[i], &w->account_keys[world_algs[i]])) != AFZ_OK)
            goto fail;
    if ((rc = afz_key_generate(AFZ_ALG_ES256, &w->cert_key)) != AFZ_OK)
        goto fail;
    afz_cryptostat_setup_end();
    return AFZ_OK;
fail:
    afz_cryptostat_setup_end();
    afz_world_cleanup(w);
    return rc;
}

void afz_world_cleanup(afz_world *w)
{
    afz_ca_free(w->ca);
    for (size_t i = 0; i < sizeof(w->account_keys) / sizeof(w->account_keys[0]); i++)
        EVP_PKEY_free(w->account_keys[i]);
    EVP_PKEY_free(w->cert_key);
    memset(w, 0, sizeof(*w));
}

EVP_PKEY *afz_world_account_key(const afz_world *w, afz_jws_alg alg)
{
    if ((int)alg <= 0 || (size_t)alg >= sizeof(w->account_keys) / sizeof(w->account_keys[0]) ||
        !w->account_keys[alg])
        return w->account_keys[AFZ_ALG_ES256];
    return w->account_keys[alg];
}

static const char *const default_identifiers[] = {"example.com"};

void afz_run_config_default(afz_run_config *c)
{
    memset(c, 0, sizeof(*c));
    afz_server_config_default(&c->server);
    c->seed = 1;
    c->identifiers = default_identifiers;
    c->n_identifiers = 1;
    c->account_alg = AFZ_ALG_ES256;
    c->attempts = 1;
    c->attempt_gap_ms = 60 * 1000;
    c->max_requests = 300;
    c->max_virtual_ms = INT64_C(24) * 3600 * 1000;
}

void afz_run_config_apply_plan(afz_run_config *c, const afz_plan *plan)
{
    c->plan = plan;
    c->identifiers = afz_plan_identifiers();
    c->n_identifiers = plan->n_identifiers;
    c->account_alg = plan->account_alg;
    c->attempts = plan->attempts;
    c->seed = afz_plan_seed(plan);
    afz_fault_configure(plan, &c->server);
}

void afz_run_result_init(afz_run_result *r)
{
    memset(r, 0, sizeof(*r));
    afz_history_init(&r->history);
}

void afz_run_result_reset(afz_run_result *r)
{
    afz_history h = r->history;
    afz_history_reset(&h);
    free(r->cert_pem);
    memset(r, 0, sizeof(*r));
    r->history = h;
}

void afz_run_result_cleanup(afz_run_result *r)
{
    afz_history_cleanup(&r->history);
    free(r->cert_pem);
    memset(r, 0, sizeof(*r));
}

/* The environment behind afz_env for one in-process run. */
typedef struct run_ctx {
    const afz_run_config *cfg;
    afz_server *server;
    afz_clock clock;
    afz_prng server_prng;
    afz_prng client_prng;
    afz_run_result *out;
    afz_fault_engine engine;
    unsigned overdraft;
    /* the client's state store (campaign mode) */
    char *state_keys[AFZ_RUN_STATE_MAX];
    char *state_vals[AFZ_RUN_STATE_MAX];
    /* Which env call the harness is serving for the client ("http"), or
     * NULL while the client's own code runs: a crash caught in between is
     * the harness's code failing on the client's behalf, and the crash
     * detail says so. */
    const char *volatile in_env;
    sigjmp_buf unwind;
} run_ctx;

static void spend_budget(run_ctx *rc, const char *which)
{
    if (!rc->out->budget_exhausted) {
        rc->out->budget_exhausted = 1;
        afz_event_in event = {.kind = AFZ_EV_BUDGET_EXHAUSTED,
                              .mono_ms = afz_clock_mono_ms(&rc->clock),
                              .detail = which};
        afz_history_add_event(&rc->out->history, &event);
    }
    if (++rc->overdraft > AFZ_RUN_OVERDRAFT)
        siglongjmp(rc->unwind, UNWIND_BUDGET);
}

static afz_rc serve_http(run_ctx *rc, const afz_request *req, afz_response *resp)
{
    afz_response_init(resp);
    if (rc->out->budget_exhausted || rc->out->n_requests >= rc->cfg->max_requests) {
        spend_budget(rc, "requests");
        return AFZ_EBUDGET;
    }
    rc->out->n_requests++;
    int64_t mono = afz_clock_mono_ms(&rc->clock), wall = afz_clock_wall_ms(&rc->clock);
    afz_resource kind = AFZ_RES_UNKNOWN;
    afz_rc r = afz_server_handle(rc->server, req, resp, &kind);
    if (r != AFZ_OK)
        return r;
    /* Status 0 means the fault engine dropped the connection. */
    int delivered = resp->status != 0;
    r = afz_history_add_exchange(&rc->out->history, req, delivered ? resp : NULL, kind, mono, wall);
    if (r != AFZ_OK) {
        afz_response_cleanup(resp);
        return r;
    }
    /* The model's parse of the request's JWS goes with the exchange, for
     * the trace to borrow (parse once). */
    afz_history_set_request_jws(&rc->out->history, rc->out->history.n_ex - 1,
                                afz_server_take_request_jws(rc->server));
    if (!delivered) {
        afz_response_cleanup(resp);
        return AFZ_ETRANSPORT;
    }
    return AFZ_OK;
}

static afz_rc env_http(void *ctx, const afz_request *req, afz_response *resp)
{
    run_ctx *rc = ctx;
    rc->in_env = "http";
    afz_rc r = serve_http(rc, req, resp);
    rc->in_env = NULL;
    return r;
}

static afz_rc serve_sleep(run_ctx *rc, int64_t ms)
{
    afz_event_in event = {
        .kind = AFZ_EV_SLEEP, .mono_ms = afz_clock_mono_ms(&rc->clock), .value = ms};
    afz_history_add_event(&rc->out->history, &event);
    if (rc->out->budget_exhausted) {
        spend_budget(rc, "virtual time");
        return AFZ_EBUDGET;
    }
    if (ms <= 0)
        return AFZ_OK;
    int64_t now = afz_clock_mono_ms(&rc->clock);
    if (ms > rc->cfg->max_virtual_ms - now) {
        afz_clock_advance(&rc->clock, rc->cfg->max_virtual_ms - now);
        spend_budget(rc, "virtual time");
        return AFZ_EBUDGET;
    }
    afz_clock_advance(&rc->clock, ms);
    return AFZ_OK;
}

static afz_rc env_sleep(void *ctx, int64_t ms)
{
    run_ctx *rc = ctx;
    rc->in_env = "sleep";
    afz_rc r = serve_sleep(rc, ms);
    rc->in_env = NULL;
    return r;
}

static int64_t env_now(void *ctx)
{
    run_ctx *rc = ctx;
    return afz_clock_wall_ms(&rc->clock);
}

static uint64_t env_random(void *ctx)
{
    run_ctx *rc = ctx;
    return afz_prng_next(&rc->client_prng);
}

static void env_log(void *ctx, const char *line)
{
    run_ctx *rc = ctx;
    rc->in_env = "log";
    afz_event_in event = {
        .kind = AFZ_EV_CLIENT_LOG, .mono_ms = afz_clock_mono_ms(&rc->clock), .detail = line};
    afz_history_add_event(&rc->out->history, &event);
    rc->in_env = NULL;
}

static const char *env_state_get(void *ctx, const char *key)
{
    run_ctx *rc = ctx;
    const char *value = NULL;
    rc->in_env = "state_get";
    for (size_t i = 0; key && i < AFZ_RUN_STATE_MAX && !value; i++)
        if (rc->state_keys[i] && strcmp(rc->state_keys[i], key) == 0)
            value = rc->state_vals[i];
    rc->in_env = NULL;
    return value;
}

static afz_rc serve_state_put(run_ctx *rc, const char *key, const char *value)
{
    if (!key || strlen(key) >= AFZ_RUN_STATE_VALUE_MAX ||
        (value && strlen(value) >= AFZ_RUN_STATE_VALUE_MAX))
        return AFZ_ELIMIT;
    size_t slot = AFZ_RUN_STATE_MAX;
    for (size_t i = 0; i < AFZ_RUN_STATE_MAX; i++) {
        if (rc->state_keys[i] && strcmp(rc->state_keys[i], key) == 0) {
            slot = i;
            break;
        }
        if (!rc->state_keys[i] && slot == AFZ_RUN_STATE_MAX)
            slot = i;
    }
    if (!value) {
        if (slot < AFZ_RUN_STATE_MAX && rc->state_keys[slot]) {
            free(rc->state_keys[slot]);
            free(rc->state_vals[slot]);
            rc->state_keys[slot] = rc->state_vals[slot] = NULL;
        }
        return AFZ_OK;
    }
    if (slot == AFZ_RUN_STATE_MAX)
        return AFZ_ELIMIT;
    char *v = afz_strdup(value);
    char *k = rc->state_keys[slot] ? rc->state_keys[slot] : afz_strdup(key);
    if (!v || !k) {
        free(v);
        if (!rc->state_keys[slot])
            free(k);
        return AFZ_ENOMEM;
    }
    free(rc->state_vals[slot]);
    rc->state_keys[slot] = k;
    rc->state_vals[slot] = v;
    return AFZ_OK;
}

static afz_rc env_state_put(void *ctx, const char *key, const char *value)
{
    run_ctx *rc = ctx;
    rc->in_env = "state_put";
    afz_rc r = serve_state_put(rc, key, value);
    rc->in_env = NULL;
    return r;
}

/* How guarded_obtain ended. */
typedef enum obtain_end {
    OBTAIN_RETURNED, /* obtain returned; *client_rc is what it said */
    OBTAIN_BUDGET,   /* unwound: the client ignored its spent budget */
    OBTAIN_CRASHED,  /* unwound: the client crashed (catch_crashes) */
    OBTAIN_NOT_RUN,  /* the crash catcher could not be armed; *client_rc says why */
} obtain_end;

/* Runs obtain under the unwind point: the budget's overdraft and, with
 * catch_crashes, the crash handler (afz_crash.h) land here. Kept apart so
 * that no local of afz_run changes between setjmp and longjmp. The caller
 * disarms the catcher whatever the end. */
static obtain_end guarded_obtain(run_ctx *rc, const afz_client *client, const afz_env *env,
                                 const afz_obtain_params *p, afz_obtain_result *res,
                                 afz_rc *client_rc)
{
    /* The crash handler runs with its signal blocked; saving the mask here
     * lets the jump unblock it. That costs a system call, so only when
     * crashes are caught. */
    switch (sigsetjmp(rc->unwind, rc->cfg->catch_crashes)) {
    case 0:
        break;
    case UNWIND_BUDGET:
        return OBTAIN_BUDGET;
    default:
        return OBTAIN_CRASHED;
    }
    rc->in_env = NULL;
    if (rc->cfg->catch_crashes) {
        afz_rc arm = afz_crash_arm(&rc->unwind, UNWIND_CRASH);
        if (arm != AFZ_OK) {
            *client_rc = arm;
            return OBTAIN_NOT_RUN;
        }
    }
    *client_rc = client->obtain(client, env, p, res);
    return OBTAIN_RETURNED;
}

/* record_crash fills in the crash caught in one attempt and leaves the
 * run's reason in |res|. */
static void record_crash(run_ctx *rc, const afz_crash_info *info, afz_obtain_result *res)
{
    afz_run_result *out = rc->out;
    char where[64] = "in the client";
    if (rc->in_env)
        snprintf(where, sizeof(where), "in the harness, serving the client's env->%s", rc->in_env);
    out->crash_signal = info->signo;
    afz_crash_describe(info, where, out->crash_detail, sizeof(out->crash_detail));
    afz_event_in event = {.kind = AFZ_EV_CLIENT_CRASHED,
                          .mono_ms = afz_clock_mono_ms(&rc->clock),
                          .detail = out->crash_detail,
                          .value = info->signo};
    afz_history_add_event(&out->history, &event);
    /* Whatever obtain had put in |res| is not to be trusted (nor freed):
     * the client died halfway. */
    memset(res, 0, sizeof(*res));
    snprintf(res->reason, sizeof(res->reason), "crashed with %s", out->crash_detail);
}

/* One obtain call; its outcome lands in rc->out (the last attempt's).
 * Fails only when the crash catcher cannot be armed. */
static afz_rc one_attempt(run_ctx *rc, const afz_client *client, const afz_env *env,
                          const afz_obtain_params *params)
{
    afz_run_result *out = rc->out;
    afz_obtain_result res;
    memset(&res, 0, sizeof(res));
    afz_rc client_rc = AFZ_EFAIL;
    obtain_end end = guarded_obtain(rc, client, env, params, &res, &client_rc);
    afz_crash_info crash;
    memset(&crash, 0, sizeof(crash));
    if (rc->cfg->catch_crashes)
        afz_crash_disarm(&crash);
    if (end == OBTAIN_NOT_RUN)
        return client_rc;
    if (end == OBTAIN_BUDGET) {
        out->aborted = 1;
        client_rc = AFZ_EBUDGET;
        snprintf(res.reason, sizeof(res.reason),
                 "client kept calling after its budget was spent; unwound");
    } else if (end == OBTAIN_CRASHED) {
        client_rc = AFZ_EFAIL;
        record_crash(rc, &crash, &res);
    }
    res.reason[sizeof(res.reason) - 1] = '\0';
    out->client_rc = client_rc;
    out->reason[0] = '\0';
    free(out->cert_pem);
    out->cert_pem = NULL;
    out->cert_pem_len = 0;
    if (client_rc == AFZ_OK && res.cert_pem) {
        out->cert_pem = res.cert_pem;
        out->cert_pem_len = res.cert_pem_len;
        res.cert_pem = NULL;
    } else {
        free(res.cert_pem);
        if (client_rc == AFZ_OK) {
            out->client_rc = AFZ_EFAIL;
            snprintf(out->reason, sizeof(out->reason),
                     "client reported success without a certificate");
        }
    }
    if (out->reason[0] == '\0' && out->client_rc != AFZ_OK)
        snprintf(out->reason, sizeof(out->reason), "%s",
                 res.reason[0] ? res.reason : afz_rc_str(client_rc));
    afz_event_in event = {.kind = AFZ_EV_CLIENT_DONE,
                          .mono_ms = afz_clock_mono_ms(&rc->clock),
                          .detail = out->client_rc == AFZ_OK ? "certificate obtained" : out->reason,
                          .value = out->client_rc == AFZ_OK};
    afz_history_add_event(&out->history, &event);
    return AFZ_OK;
}

afz_rc afz_run(const afz_world *w, const afz_client *client, const afz_run_config *cfg,
               afz_run_result *out)
{
    afz_run_result_reset(out);
    afz_client_caps caps;
    if (!client || client->abi_version != AFZ_CLIENT_ABI_VERSION ||
        client->struct_size < AFZ_CLIENT_MIN_SIZE || !client->obtain ||
        afz_client_caps_get(client, &caps) != AFZ_OK)
        return AFZ_EINVAL;
    out->client_stateless = caps.stateless;
    if (afz_detrand_active())
        afz_detrand_seed(cfg->seed);

    run_ctx *rc = calloc(1, sizeof(*rc));
    if (!rc)
        return AFZ_ENOMEM;
    rc->cfg = cfg;
    rc->out = out;
    afz_clock_init(&rc->clock, AFZ_CLOCK_DEFAULT_EPOCH_MS);
    afz_prng_seed(&rc->server_prng, cfg->seed);
    afz_prng_seed(&rc->client_prng, cfg->seed ^ UINT64_C(0x636c69656e74));
    rc->server = afz_server_new(&cfg->server, w->ca, &rc->clock, &rc->server_prng, &out->history);
    if (!rc->server) {
        free(rc);
        return AFZ_ENOMEM;
    }
    if (cfg->plan)
        afz_fault_engine_init(&rc->engine, cfg->plan, rc->server, &rc->clock, &out->history);

    afz_env env = {
        .abi_version = AFZ_CLIENT_ABI_VERSION,
        .struct_size = sizeof(afz_env),
        .ctx = rc,
        .http = env_http,
        .sleep = env_sleep,
        .now = env_now,
        .random = env_random,
        .log = env_log,
        .state_get = env_state_get,
        .state_put = env_state_put,
    };
    afz_obtain_params params = {
        .struct_size = sizeof(afz_obtain_params),
        .directory_url = afz_server_directory_url(rc->server),
        .identifiers = cfg->identifiers,
        .n_identifiers = cfg->n_identifiers,
        /* The plan's (or the caller's) algorithm, mapped onto what the
         * client declared: a client is never handed a key it said it
         * cannot sign with. */
        .account_key = afz_world_account_key(w, afz_client_caps_pick_alg(&caps, cfg->account_alg)),
        .cert_key = w->cert_key,
        .contact = cfg->contact,
        .challenge_dir = NULL,
    };
    afz_rc result = AFZ_OK;
    unsigned attempts = cfg->attempts ? cfg->attempts : 1;
    for (unsigned a = 1; a <= attempts; a++) {
        if (attempts > 1) {
            afz_event_in event = {
                .kind = AFZ_EV_ATTEMPT_START, .mono_ms = afz_clock_mono_ms(&rc->clock), .value = a};
            afz_history_add_event(&out->history, &event);
        }
        out->attempts = a;
        if ((result = one_attempt(rc, client, &env, &params)) != AFZ_OK)
            break;
        /* A scheduler retries a failed issuance later; success, a spent
         * budget or a crash (the finding; the client's state may be wrecked)
         * ends the campaign. */
        if (out->client_rc == AFZ_OK || out->budget_exhausted || out->crash_signal || a == attempts)
            break;
        int64_t now = afz_clock_mono_ms(&rc->clock);
        if (cfg->attempt_gap_ms > cfg->max_virtual_ms - now)
            break;
        afz_clock_advance(&rc->clock, cfg->attempt_gap_ms);
    }
    out->virtual_ms = afz_clock_mono_ms(&rc->clock);
    for (size_t i = 0; i < AFZ_RUN_STATE_MAX; i++) {
        free(rc->state_keys[i]);
        free(rc->state_vals[i]);
    }
    afz_server_free(rc->server);
    free(rc);
    return result;
}
