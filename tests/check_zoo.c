/* check_zoo.c - the bug zoo: every zoo client is registered with a
 * description, a known expected property and exactly one quirk of the
 * reference client; on its corpus/zoo scenario the property it names
 * reports it, while the reference client on the same scenario breaks no
 * property at all; the crash client dies; and the reference client's
 * state resume keeps a retried campaign to one certificate where the
 * stateless zoo client issues two. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "afz_clients.h"
#include "afz_property.h"
#include "afz_report.h"
#include "afz_reference.h"
#include "afz_run.h"
#include "afz_scenario.h"
#include "afz_trace.h"
#include "afz_zoo.h"

/* The zoo needs at least this many clients (issue 5). */
#define ZOO_MIN_CLIENTS 13

static afz_world world;

static void world_setup(void)
{
    ck_assert_int_eq(afz_world_init(&world), AFZ_OK);
}

static void world_teardown(void)
{
    afz_world_cleanup(&world);
}

/* source_path writes SOURCE_ROOT/|rel| into |out|. The root is
 * $AFZ_SOURCE_DIR when set, else derived from this file's path, which
 * CMake passes to the compiler as an absolute path. */
static void source_path(const char *rel, char *out, size_t n)
{
    const char *env = getenv("AFZ_SOURCE_DIR");
    if (env && *env) {
        snprintf(out, n, "%s/%s", env, rel);
        return;
    }
    const char *self = __FILE__;
    const char *tail = strstr(self, "tests/check_zoo.c");
    int root_len = tail ? (int)(tail - self) : 0;
    snprintf(out, n, "%.*s%s", root_len, self, rel);
}

/* zoo_client returns the |k|-th zoo client of the registry (every
 * built-in client that names the property it breaks: not the reference
 * nor the independent client), or NULL past the end. */
static const afz_client *zoo_client(size_t k)
{
    for (size_t i = 0; i < afz_clients_count(); i++) {
        const afz_client *c = afz_clients_get(i);
        if (c == &afz_client_reference || !c->expected_property)
            continue;
        if (k-- == 0)
            return c;
    }
    return NULL;
}

static size_t zoo_count(void)
{
    size_t n = 0;
    while (zoo_client(n))
        n++;
    return n;
}

static unsigned popcount32(uint32_t v)
{
    unsigned n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

static void load_scenario(const afz_client *c, afz_plan *plan)
{
    char rel[160], path[1024];
    snprintf(rel, sizeof(rel), "corpus/zoo/%s.scn", c->name);
    source_path(rel, path, sizeof(path));
    afz_scn_error err;
    memset(&err, 0, sizeof(err));
    ck_assert_msg(afz_plan_load(path, plan, &err) == AFZ_OK, "%s:%u:%u: %s", path, err.line,
                  err.col, err.msg);
}

/* verdicts runs every property over a finished run; it returns how many
 * were violated and writes their ids, space-separated, into |ids|. */
static unsigned verdicts(const afz_run_result *r, const afz_run_config *cfg, char *ids, size_t n)
{
    afz_trace t;
    ck_assert_int_eq(afz_trace_build(&r->history, &t), AFZ_OK);
    afz_prop_input in;
    afz_prop_input_from_run(&in, r, cfg, &t, NULL);
    size_t n_props = 0;
    const afz_property *props = afz_properties(&n_props);
    unsigned violated = 0;
    ids[0] = '\0';
    for (size_t k = 0; k < n_props; k++) {
        afz_prop_result res;
        memset(&res, 0, sizeof(res));
        props[k].check(&in, &res);
        if (res.verdict != AFZ_VERDICT_VIOLATION)
            continue;
        violated++;
        size_t len = strlen(ids);
        snprintf(ids + len, n - len, " %s", props[k].id);
    }
    afz_trace_cleanup(&t);
    return violated;
}

/* run_on runs |c| on the scenario of zoo client |zoo|. */
static void run_on(const afz_client *c, const afz_client *zoo, afz_plan *plan, afz_run_config *cfg,
                   afz_run_result *r)
{
    load_scenario(zoo, plan);
    afz_run_config_default(cfg);
    afz_run_config_apply_plan(cfg, plan);
    afz_run_result_init(r);
    ck_assert_int_eq(afz_run(&world, c, cfg, r), AFZ_OK);
}

static size_t count_events(const afz_history *h, afz_event_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n_ev; i++)
        n += h->ev[i].kind == k;
    return n;
}

/* ---- the registry ------------------------------------------------------- */

START_TEST(test_zoo_registry_lists_one_quirk_per_client)
{
    ck_assert_uint_ge(zoo_count(), ZOO_MIN_CLIENTS);
    uint32_t seen = 0;
    for (size_t k = 0; k < zoo_count(); k++) {
        const afz_client *c = zoo_client(k);
        ck_assert_ptr_nonnull(c);
        ck_assert_msg(strncmp(c->name, "zoo-", 4) == 0, "%s", c->name);
        ck_assert_ptr_eq(afz_client_find(c->name), c);
        ck_assert_uint_eq(c->abi_version, AFZ_CLIENT_ABI_VERSION);
        ck_assert_uint_eq(c->struct_size, sizeof(afz_client));
        ck_assert_msg(c->description && strlen(c->description) > 10, "%s", c->name);
        ck_assert_ptr_nonnull(c->expected_property);
        ck_assert_msg(strcmp(c->expected_property, "crash") == 0 ||
                          afz_property_find(c->expected_property),
                      "%s names unknown property %s", c->name, c->expected_property);
        /* the reference client with exactly one behaviour changed */
        ck_assert_msg(c->obtain == afz_reference_obtain, "%s", c->name);
        const afz_reference_config *cfg = c->config;
        ck_assert_ptr_nonnull(cfg);
        ck_assert_uint_eq(cfg->struct_size, sizeof(afz_reference_config));
        ck_assert_msg(popcount32(cfg->quirks) == 1, "%s has quirks %#x", c->name, cfg->quirks);
        ck_assert_uint_eq(cfg->quirks & ~AFZ_REF_QUIRKS_ALL, 0);
        ck_assert_msg(!(seen & cfg->quirks), "%s repeats a quirk", c->name);
        seen |= cfg->quirks;
        ck_assert_ptr_null(cfg->user_agent);
        ck_assert_uint_eq(cfg->max_polls, 0);
        ck_assert_uint_eq(cfg->max_requests, 0);
        ck_assert_int_eq(cfg->max_wait_ms, 0);
        /* its scenario exists and parses */
        afz_plan plan;
        load_scenario(c, &plan);
    }
    ck_assert_ptr_null(zoo_client(zoo_count()));
}
END_TEST

/* ---- every zoo client is caught; the reference is clean ----------------- */

START_TEST(test_zoo_client_is_caught_by_its_property)
{
    const afz_client *c = zoo_client((size_t)_i);
    ck_assert_ptr_nonnull(c);
    if (strcmp(c->expected_property, "crash") == 0)
        return; /* test_zoo_crash_client_dies */
    afz_plan plan;
    afz_run_config cfg;
    afz_run_result r;
    run_on(c, c, &plan, &cfg, &r);
    int aborted = r.aborted;
    char ids[512];
    verdicts(&r, &cfg, ids, sizeof(ids));
    afz_run_result_cleanup(&r); /* before asserting: no leak when it fails */
    ck_assert_int_eq(aborted, 0);
    char want[64];
    snprintf(want, sizeof(want), " %s", c->expected_property);
    size_t wl = strlen(want);
    const char *hit = strstr(ids, want);
    while (hit && hit[wl] != '\0' && hit[wl] != ' ')
        hit = strstr(hit + 1, want);
    ck_assert_msg(hit, "%s on its scenario: expected %s, violated:%s", c->name,
                  c->expected_property, ids[0] ? ids : " (none)");
}
END_TEST

START_TEST(test_zoo_reference_is_clean_on_zoo_scenario)
{
    const afz_client *zoo = zoo_client((size_t)_i);
    ck_assert_ptr_nonnull(zoo);
    afz_plan plan;
    afz_run_config cfg;
    afz_run_result r;
    run_on(&afz_client_reference, zoo, &plan, &cfg, &r);
    char ids[512], reason[256];
    unsigned n = verdicts(&r, &cfg, ids, sizeof(ids));
    int ok = r.client_rc == AFZ_OK, aborted = r.aborted, spent = r.budget_exhausted;
    snprintf(reason, sizeof(reason), "%s", r.reason);
    afz_run_result_cleanup(&r);
    ck_assert_msg(n == 0, "reference on %s's scenario violates%s", zoo->name, ids);
    ck_assert_int_eq(aborted, 0);
    ck_assert_int_eq(spent, 0);
    /* under a purely legal plan it must also have its certificate */
    if (afz_plan_class(&plan) == AFZ_CLASS_LEGAL)
        ck_assert_msg(ok, "%s: %s", zoo->name, reason);
}
END_TEST

/* ---- the crash client --------------------------------------------------- */

START_TEST(test_zoo_crash_client_dies)
{
    const afz_client *c = afz_client_find("zoo-crash-missing-status");
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->expected_property, "crash");
    afz_plan plan;
    load_scenario(c, &plan);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* the child runs it; sanitizer reports go nowhere */
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            dup2(fd, STDOUT_FILENO);
        }
        afz_run_config cfg;
        afz_run_config_default(&cfg);
        afz_run_config_apply_plan(&cfg, &plan);
        afz_run_result r;
        afz_run_result_init(&r);
        afz_run(&world, c, &cfg, &r);
        _exit(0); /* survived: the test fails */
    }
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    /* a signal (SIGSEGV), or a sanitizer's non-zero exit */
    ck_assert_msg(WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) != 0),
                  "the crash client survived a missing status");
}
END_TEST

START_TEST(test_zoo_crash_client_is_latent_without_the_fault)
{
    /* with "status" present it is the reference client */
    const afz_client *c = afz_client_find("zoo-crash-missing-status");
    const afz_client *scn = afz_client_find("zoo-refinalizer-2023");
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(scn);
    afz_plan plan;
    afz_run_config cfg;
    afz_run_result r;
    run_on(c, scn, &plan, &cfg, &r);
    ck_assert_msg(r.client_rc == AFZ_OK, "%s", r.reason);
    char ids[512];
    ck_assert_msg(verdicts(&r, &cfg, ids, sizeof(ids)) == 0, "violates%s", ids);
    afz_run_result_cleanup(&r);
}
END_TEST

/* ---- state: the scheduler's retry --------------------------------------- */

static const char broken_download[] = "attempts 3\n"
                                      "certificate @1 -> invalid_pem(chain=junk)\n";

START_TEST(test_zoo_stateless_retry_issues_twice_reference_once)
{
    afz_plan plan;
    afz_scn_error err;
    ck_assert_int_eq(afz_scenario_parse(broken_download, strlen(broken_download), &plan, &err),
                     AFZ_OK);
    const afz_client *clients[] = {&afz_client_reference,
                                   afz_client_find("zoo-scheduler-no-resume")};
    ck_assert_ptr_nonnull(clients[1]);
    for (size_t k = 0; k < 2; k++) {
        afz_run_config cfg;
        afz_run_config_default(&cfg);
        afz_run_config_apply_plan(&cfg, &plan);
        afz_run_result r;
        afz_run_result_init(&r);
        ck_assert_int_eq(afz_run(&world, clients[k], &cfg, &r), AFZ_OK);
        /* both end with a certificate on the second attempt ... */
        ck_assert_msg(r.client_rc == AFZ_OK, "%s: %s", clients[k]->name, r.reason);
        ck_assert_uint_eq(r.attempts, 2);
        /* ... but only the one that kept its order issued once */
        ck_assert_uint_eq(count_events(&r.history, AFZ_EV_CERT_ISSUED), k == 0 ? 1 : 2);
        ck_assert_uint_eq(count_events(&r.history, AFZ_EV_ORDER_CREATED), k == 0 ? 1 : 2);
        afz_run_result_cleanup(&r);
    }
}
END_TEST

Suite *zoo_suite(void)
{
    Suite *s = suite_create("zoo");

    TCase *reg = tcase_create("registry");
    tcase_add_test(reg, test_zoo_registry_lists_one_quirk_per_client);
    suite_add_tcase(s, reg);

    TCase *run = tcase_create("run");
    tcase_add_unchecked_fixture(run, world_setup, world_teardown);
    tcase_set_timeout(run, 120);
    tcase_add_loop_test(run, test_zoo_client_is_caught_by_its_property, 0, (int)zoo_count());
    tcase_add_loop_test(run, test_zoo_reference_is_clean_on_zoo_scenario, 0, (int)zoo_count());
    tcase_add_test(run, test_zoo_crash_client_dies);
    tcase_add_test(run, test_zoo_crash_client_is_latent_without_the_fault);
    tcase_add_test(run, test_zoo_stateless_retry_issues_twice_reference_once);
    suite_add_tcase(s, run);
    return s;
}
