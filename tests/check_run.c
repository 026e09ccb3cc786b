/* check_run.c - end to end in-process: the reference client against the
 * server model, determinism of histories, budgets that stop runaway
 * clients, and runs that respect what a client declared it does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "afz_client_lib.h"
#include "afz_clients.h"
#include "afz_jose.h"
#include "afz_json.h"
#include "afz_run.h"

static afz_world world;

static void world_setup(void)
{
    ck_assert_int_eq(afz_world_init(&world), AFZ_OK);
}

static void world_teardown(void)
{
    afz_world_cleanup(&world);
}

static size_t count_events(const afz_history *h, afz_event_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n_ev; i++)
        n += h->ev[i].kind == k;
    return n;
}

static size_t count_status(const afz_history *h, afz_resource r, const char *status)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n_ex; i++) {
        const afz_exchange *x = &h->ex[i];
        if (x->resource != r || !x->delivered)
            continue;
        cJSON *j = NULL;
        if (afz_json_parse_object(x->resp.body, x->resp.body_len, &j) != AFZ_OK)
            continue;
        const char *s = afz_json_str(j, "status");
        n += s && strcmp(s, status) == 0;
        cJSON_Delete(j);
    }
    return n;
}

/* The leaf of |pem| names exactly |names| in its SAN, in any order. */
static void assert_leaf_names(const char *pem, const char *const *names, size_t n)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    ck_assert_ptr_nonnull(leaf);
    GENERAL_NAMES *san = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    ck_assert_ptr_nonnull(san);
    ck_assert_int_eq(sk_GENERAL_NAME_num(san), (int)n);
    for (size_t i = 0; i < n; i++) {
        int found = 0;
        for (int k = 0; k < sk_GENERAL_NAME_num(san); k++) {
            const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, k);
            if (g->type != GEN_DNS)
                continue;
            const unsigned char *d = ASN1_STRING_get0_data(g->d.dNSName);
            int len = ASN1_STRING_length(g->d.dNSName);
            found |= (size_t)len == strlen(names[i]) && memcmp(d, names[i], (size_t)len) == 0;
        }
        ck_assert_msg(found, "leaf lacks %s", names[i]);
    }
    GENERAL_NAMES_free(san);
    X509_free(leaf);
    BIO_free(bio);
}

START_TEST(test_run_reference_obtains_certificate_sync)
{
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    afz_run_result r;
    afz_run_result_init(&r);
    ck_assert_int_eq(afz_run(&world, &afz_client_reference, &cfg, &r), AFZ_OK);
    ck_assert_msg(r.client_rc == AFZ_OK, "client failed: %s", r.reason);
    ck_assert_ptr_nonnull(r.cert_pem);
    ck_assert_int_eq(r.aborted, 0);
    ck_assert_int_eq(r.budget_exhausted, 0);
    assert_leaf_names(r.cert_pem, cfg.identifiers, cfg.n_identifiers);
    const afz_history *h = &r.history;
    ck_assert_uint_eq(count_events(h, AFZ_EV_ACCOUNT_CREATED), 1);
    ck_assert_uint_eq(count_events(h, AFZ_EV_ORDER_CREATED), 1);
    ck_assert_uint_eq(count_events(h, AFZ_EV_FINALIZE_ACCEPTED), 1);
    ck_assert_uint_eq(count_events(h, AFZ_EV_CERT_ISSUED), 1);
    ck_assert_uint_eq(count_events(h, AFZ_EV_CERT_DOWNLOADED), 1);
    ck_assert_uint_eq(count_status(h, AFZ_RES_ORDER, "processing"), 0);
    ck_assert_uint_eq(r.n_requests, h->n_ex);
    afz_run_result_cleanup(&r);
}
END_TEST

START_TEST(test_run_reference_waits_out_async_finalize)
{
    static const char *const names[] = {"example.com", "www.example.com"};
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    cfg.identifiers = names;
    cfg.n_identifiers = 2;
    cfg.server.async_finalize = 1;
    cfg.server.finalize_polls = 3;
    cfg.server.order_retry_after_s = 2;
    cfg.server.authz_pending_polls = 2;
    cfg.server.authz_retry_after_s = 1;
    afz_run_result r;
    afz_run_result_init(&r);
    ck_assert_int_eq(afz_run(&world, &afz_client_reference, &cfg, &r), AFZ_OK);
    ck_assert_msg(r.client_rc == AFZ_OK, "client failed: %s", r.reason);
    assert_leaf_names(r.cert_pem, names, 2);
    const afz_history *h = &r.history;
    /* The finalize answer was "processing"; the client polled the order
     * until valid and finalized exactly once. */
    ck_assert_uint_eq(count_status(h, AFZ_RES_FINALIZE, "processing"), 1);
    ck_assert_uint_ge(count_status(h, AFZ_RES_ORDER, "processing"), 2);
    ck_assert_uint_eq(count_events(h, AFZ_EV_FINALIZE_ACCEPTED), 1);
    ck_assert_uint_eq(count_events(h, AFZ_EV_CERT_ISSUED), 1);
    /* It honoured Retry-After: 2 s between order polls, 1 s between
     * authorization polls, so virtual time moved by at least that. */
    ck_assert_int_ge(r.virtual_ms, 3 * 2000);
    afz_run_result_cleanup(&r);
}
END_TEST

static void history_json(const afz_run_config *cfg, afz_buf *out)
{
    afz_run_result r;
    afz_run_result_init(&r);
    ck_assert_int_eq(afz_run(&world, &afz_client_reference, cfg, &r), AFZ_OK);
    ck_assert_int_eq(r.client_rc, AFZ_OK);
    ck_assert_int_eq(afz_history_to_json(&r.history, out), AFZ_OK);
    afz_run_result_cleanup(&r);
}

START_TEST(test_run_same_seed_gives_identical_history)
{
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    cfg.server.async_finalize = 1;
    cfg.server.finalize_polls = 2;
    cfg.seed = 42;
    afz_buf a, b, c;
    afz_buf_init(&a, 0);
    afz_buf_init(&b, 0);
    afz_buf_init(&c, 0);
    history_json(&cfg, &a);
    history_json(&cfg, &b);
    ck_assert_uint_eq(a.len, b.len);
    ck_assert_mem_eq(a.data, b.data, a.len);
    /* Signatures are inside that text: they repeat too. */
    ck_assert_ptr_nonnull(strstr(a.data, "\"signature\\\""));
    cfg.seed = 43;
    history_json(&cfg, &c);
    ck_assert(a.len != c.len || memcmp(a.data, c.data, a.len) != 0);
    afz_buf_cleanup(&a);
    afz_buf_cleanup(&b);
    afz_buf_cleanup(&c);
}
END_TEST

/* Test clients that ignore the budget, and one that respects it. */
static afz_rc hammer_obtain(const afz_client *self, const afz_env *env, const afz_obtain_params *p,
                            afz_obtain_result *out)
{
    (void)self;
    (void)out;
    /* The request lives on the stack: the unwind must not leak it. */
    afz_request rq = {.method = "GET", .url = (char *)p->directory_url};
    for (;;) {
        afz_response rs;
        env->http(env->ctx, &rq, &rs);
        afz_response_cleanup(&rs);
    }
    return AFZ_EFAIL; /* not reached */
}

static afz_rc sleeper_obtain(const afz_client *self, const afz_env *env, const afz_obtain_params *p,
                             afz_obtain_result *out)
{
    (void)self;
    (void)p;
    (void)out;
    for (;;)
        env->sleep(env->ctx, 3600 * 1000);
    return AFZ_EFAIL; /* not reached */
}

static afz_rc polite_obtain(const afz_client *self, const afz_env *env, const afz_obtain_params *p,
                            afz_obtain_result *out)
{
    (void)self;
    for (;;) {
        afz_request rq;
        afz_response rs;
        afz_request_init(&rq, "GET", p->directory_url);
        afz_rc rc = env->http(env->ctx, &rq, &rs);
        afz_request_cleanup(&rq);
        afz_response_cleanup(&rs);
        if (rc == AFZ_EBUDGET) {
            strcpy(out->reason, "gave up");
            return rc;
        }
    }
}

#define TEST_CLIENT(fn)                                                                            \
    {                                                                                              \
        .abi_version = AFZ_CLIENT_ABI_VERSION, .struct_size = sizeof(afz_client), .name = #fn,     \
        .description = "test client", .obtain = fn                                                 \
    }

static const afz_client runaway_clients[] = {
    TEST_CLIENT(hammer_obtain),
    TEST_CLIENT(sleeper_obtain),
    TEST_CLIENT(polite_obtain),
};

START_TEST(test_run_budget_stops_runaway_clients)
{
    const afz_client *c = &runaway_clients[_i];
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    cfg.max_requests = 10;
    afz_run_result r;
    afz_run_result_init(&r);
    ck_assert_int_eq(afz_run(&world, c, &cfg, &r), AFZ_OK);
    ck_assert_int_eq(r.budget_exhausted, 1);
    ck_assert_int_ne(r.client_rc, AFZ_OK);
    ck_assert_uint_le(r.n_requests, 10);
    ck_assert_uint_eq(count_events(&r.history, AFZ_EV_BUDGET_EXHAUSTED), 1);
    /* Only the polite client returns by itself. */
    ck_assert_int_eq(r.aborted, c->obtain != polite_obtain);
    if (c->obtain == polite_obtain)
        ck_assert_str_eq(r.reason, "gave up");
    afz_run_result_cleanup(&r);
}
END_TEST

START_TEST(test_run_rejects_other_abi_version)
{
    afz_client c = afz_client_reference;
    c.abi_version = AFZ_CLIENT_ABI_VERSION + 1;
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    afz_run_result r;
    afz_run_result_init(&r);
    ck_assert_int_eq(afz_run(&world, &c, &cfg, &r), AFZ_EINVAL);
    c = afz_client_reference;
    c.struct_size = 8;
    ck_assert_int_eq(afz_run(&world, &c, &cfg, &r), AFZ_EINVAL);
    afz_run_result_cleanup(&r);
}
END_TEST

/* A correct third-party client that signs with P-256 only: it refuses any
 * other account key up front, as the one that raised the false alarm did,
 * and otherwise behaves as the reference client. */
static afz_rc p256_only_obtain(const afz_client *self, const afz_env *env,
                               const afz_obtain_params *p, afz_obtain_result *out)
{
    if (afz_jws_alg_for_key(p->account_key) != AFZ_ALG_ES256) {
        memset(out, 0, sizeof(*out));
        snprintf(out->reason, sizeof(out->reason), "keys must be P-256");
        return AFZ_EFAIL;
    }
    return afz_client_reference.obtain(self, env, p, out);
}

static const afz_client p256_only_client = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "p256-only",
    .description = "signs with ES256 only",
    .obtain = p256_only_obtain,
    .account_algs = AFZ_CLIENT_ALG_ES256,
    .flags = AFZ_CLIENT_STATELESS,
};

/* alg_of_posts returns the one JWS alg every POST of |h| is signed with,
 * AFZ_ALG_NONE when there is no POST or they differ. */
static afz_jws_alg alg_of_posts(const afz_history *h)
{
    afz_jws_alg seen = AFZ_ALG_NONE;
    size_t posts = 0;
    for (size_t i = 0; i < h->n_ex; i++) {
        const afz_request *q = &h->ex[i].req;
        if (strcmp(q->method, "POST") != 0)
            continue;
        afz_jws j;
        ck_assert_int_eq(afz_jws_parse(q->body, q->body_len, &j, NULL), AFZ_OK);
        if (posts++ == 0)
            seen = j.alg;
        else if (j.alg != seen)
            seen = AFZ_ALG_NONE;
        afz_jws_cleanup(&j);
    }
    return seen;
}

/* Plan header bytes whose bits 6-7 are 11 and bits 2-3 pick ES384, RS256
 * and EdDSA (afz_plan.h). */
static const struct {
    uint8_t header;
    afz_jws_alg picks;
} alg_headers[] = {
    {0xc4, AFZ_ALG_ES384},
    {0xc8, AFZ_ALG_RS256},
    {0xcc, AFZ_ALG_EDDSA},
};

/* The plan decodes as before, picking another algorithm; the run hands a
 * client that declared ES256 only its P-256 key, and it succeeds. The
 * reference client, which declares all four, gets what the plan asks. */
START_TEST(test_run_plan_alg_maps_onto_declared_algs)
{
    afz_plan plan;
    afz_plan_decode(&alg_headers[_i].header, 1, &plan);
    ck_assert_int_eq(plan.account_alg, alg_headers[_i].picks);
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    afz_run_config_apply_plan(&cfg, &plan);
    ck_assert_int_eq(cfg.account_alg, alg_headers[_i].picks);
    afz_run_result r;
    afz_run_result_init(&r);

    ck_assert_int_eq(afz_run(&world, &p256_only_client, &cfg, &r), AFZ_OK);
    ck_assert_msg(r.client_rc == AFZ_OK, "client failed: %s", r.reason);
    ck_assert_int_eq(alg_of_posts(&r.history), AFZ_ALG_ES256);
    ck_assert_int_eq(r.client_stateless, 1);

    ck_assert_int_eq(afz_run(&world, &afz_client_reference, &cfg, &r), AFZ_OK);
    ck_assert_msg(r.client_rc == AFZ_OK, "reference failed: %s", r.reason);
    ck_assert_int_eq(alg_of_posts(&r.history), alg_headers[_i].picks);
    ck_assert_int_eq(r.client_stateless, 0);
    afz_run_result_cleanup(&r);
}
END_TEST

/* A table built with the first version-1 header ends at obtain. It still
 * runs, and the harness reads nothing past its struct_size: the bytes
 * there (here a contradictory declaration that would be refused, and an
 * ES256-only set) are someone else's, so it gets the defaults: every
 * algorithm, no statefulness declared. */
START_TEST(test_run_old_struct_size_client_gets_defaults)
{
    afz_client c = afz_client_reference;
    c.struct_size = (uint32_t)AFZ_CLIENT_MIN_SIZE;
    c.account_algs = AFZ_CLIENT_ALG_ES256;
    c.flags = AFZ_CLIENT_STATEFUL | AFZ_CLIENT_STATELESS;
    afz_plan plan;
    afz_plan_decode(&alg_headers[0].header, 1, &plan);
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    afz_run_config_apply_plan(&cfg, &plan);
    afz_run_result r;
    afz_run_result_init(&r);
    ck_assert_int_eq(afz_run(&world, &c, &cfg, &r), AFZ_OK);
    ck_assert_msg(r.client_rc == AFZ_OK, "client failed: %s", r.reason);
    ck_assert_int_eq(alg_of_posts(&r.history), AFZ_ALG_ES384);
    ck_assert_int_eq(r.client_stateless, 0);

    /* The same table at full size declares the contradiction: refused. */
    c.struct_size = sizeof(afz_client);
    ck_assert_int_eq(afz_run(&world, &c, &cfg, &r), AFZ_EINVAL);
    afz_run_result_cleanup(&r);
}
END_TEST

static afz_rc always_fails_obtain(const afz_client *self, const afz_env *env,
                                  const afz_obtain_params *p, afz_obtain_result *out)
{
    (void)self;
    (void)env;
    (void)p;
    snprintf(out->reason, sizeof(out->reason), "no");
    return AFZ_EFAIL;
}

/* Campaigns run for a stateless client too (a scheduler retries it all
 * the same); the run only reports the declaration. */
START_TEST(test_run_stateless_client_still_runs_campaigns)
{
    static const afz_client c = {
        .abi_version = AFZ_CLIENT_ABI_VERSION,
        .struct_size = sizeof(afz_client),
        .name = "stateless-fails",
        .obtain = always_fails_obtain,
        .flags = AFZ_CLIENT_STATELESS,
    };
    const uint8_t header = 0x20; /* bits 4-5: 3 attempts */
    afz_plan plan;
    afz_plan_decode(&header, 1, &plan);
    ck_assert_uint_eq(plan.attempts, 3);
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    afz_run_config_apply_plan(&cfg, &plan);
    afz_run_result r;
    afz_run_result_init(&r);
    ck_assert_int_eq(afz_run(&world, &c, &cfg, &r), AFZ_OK);
    ck_assert_uint_eq(r.attempts, 3);
    ck_assert_int_eq(r.client_stateless, 1);
    ck_assert_uint_eq(count_events(&r.history, AFZ_EV_ATTEMPT_START), 3);
    afz_run_result_cleanup(&r);
}
END_TEST

START_TEST(test_run_registry_finds_reference)
{
    ck_assert_ptr_eq(afz_client_find("reference"), &afz_client_reference);
    ck_assert_ptr_null(afz_client_find("no-such-client"));
    ck_assert_uint_ge(afz_clients_count(), 1);
    ck_assert_ptr_null(afz_clients_get(afz_clients_count()));
}
END_TEST

Suite *run_suite(void)
{
    Suite *s = suite_create("run");
    TCase *tc = tcase_create("end_to_end");
    tcase_add_unchecked_fixture(tc, world_setup, world_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_run_reference_obtains_certificate_sync);
    tcase_add_test(tc, test_run_reference_waits_out_async_finalize);
    tcase_add_test(tc, test_run_same_seed_gives_identical_history);
    tcase_add_loop_test(tc, test_run_budget_stops_runaway_clients, 0,
                        (int)(sizeof(runaway_clients) / sizeof(runaway_clients[0])));
    tcase_add_test(tc, test_run_rejects_other_abi_version);
    tcase_add_loop_test(tc, test_run_plan_alg_maps_onto_declared_algs, 0,
                        (int)(sizeof(alg_headers) / sizeof(alg_headers[0])));
    tcase_add_test(tc, test_run_old_struct_size_client_gets_defaults);
    tcase_add_test(tc, test_run_stateless_client_still_runs_campaigns);
    tcase_add_test(tc, test_run_registry_finds_reference);
    suite_add_tcase(s, tc);
    return s;
}
