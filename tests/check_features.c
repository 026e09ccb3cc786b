/* check_features.c - coverage features of `acmefuzz fuzz` read from a
 * history: the same history gives the same features, a fault or another
 * answer adds features the plain run lacks, a client bug shows as new
 * features, and an empty history has none. */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "afz_clients.h"
#include "afz_features.h"
#include "afz_prng.h"
#include "afz_run.h"
#include "afz_scenario.h"

static afz_world world;

static void world_setup(void)
{
    afz_detrand_install();
    ck_assert_int_eq(afz_world_init(&world), AFZ_OK);
}

static void world_teardown(void)
{
    afz_world_cleanup(&world);
}

/* features of |client| under the plan |scn| */
static void features_of(const char *client, const char *scn, afz_features *out)
{
    afz_plan plan;
    afz_scn_error err;
    ck_assert_int_eq(afz_scenario_parse(scn, strlen(scn), &plan, &err), AFZ_OK);
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    afz_run_config_apply_plan(&cfg, &plan);
    afz_run_result r;
    afz_run_result_init(&r);
    const afz_client *c = afz_client_find(client);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(afz_run(&world, c, &cfg, &r), AFZ_OK);
    ck_assert_int_eq(afz_features_from_history(&r.history, out), AFZ_OK);
    afz_run_result_cleanup(&r);
}

/* how many features of |b| |a| lacks */
static size_t new_in(const afz_features *a, const afz_features *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        n += !afz_features_contains(a, b->v[i]);
    return n;
}

START_TEST(test_features_same_history_same_features)
{
    afz_features a, b;
    afz_features_init(&a);
    afz_features_init(&b);
    const char *scn = "finalize * -> async_finalize(polls=2, delay=1s, retry_after=2)\n";
    features_of("reference", scn, &a);
    features_of("reference", scn, &b);
    ck_assert_uint_gt(a.n, 10);
    ck_assert_uint_eq(a.n, b.n);
    ck_assert_int_eq(memcmp(a.v, b.v, a.n * sizeof(a.v[0])), 0);
    for (size_t i = 1; i < a.n; i++)
        ck_assert_uint_lt(a.v[i - 1], a.v[i]); /* sorted, no duplicates */
    afz_features_cleanup(&a);
    afz_features_cleanup(&b);
}
END_TEST

START_TEST(test_features_a_fault_adds_features)
{
    static const char *const faulty[] = {
        "newOrder @1 -> bad_nonce()\n",
        "order * -> retry_after(value=2)\n",
        "finalize * -> async_finalize(polls=2, delay=1s, retry_after=2)\n",
        "authorization @1 -> unavailable(retry_after=1)\n",
    };
    afz_features plain, f;
    afz_features_init(&plain);
    afz_features_init(&f);
    features_of("reference", "", &plain);
    features_of("reference", faulty[_i], &f);
    ck_assert_msg(new_in(&plain, &f) > 0, "%s: no feature the plain run lacks", faulty[_i]);
    afz_features_cleanup(&plain);
    afz_features_cleanup(&f);
}
END_TEST

START_TEST(test_features_a_client_bug_adds_features)
{
    /* the same plan: a client that re-finalizes a processing order does
     * something the reference client never does */
    const char *scn = "finalize * -> async_finalize(polls=3, delay=2s, retry_after=3)\n";
    afz_features ref, bug;
    afz_features_init(&ref);
    afz_features_init(&bug);
    features_of("reference", scn, &ref);
    features_of("zoo-refinalizer-2023", scn, &bug);
    ck_assert_uint_gt(new_in(&ref, &bug), 0);
    afz_features_cleanup(&ref);
    afz_features_cleanup(&bug);
}
END_TEST

START_TEST(test_features_empty_history_has_none)
{
    afz_history h;
    afz_history_init(&h);
    afz_features f;
    afz_features_init(&f);
    ck_assert_int_eq(afz_features_from_history(&h, &f), AFZ_OK);
    ck_assert_uint_eq(f.n, 0);
    ck_assert_int_eq(afz_features_contains(&f, 0), 0);
    afz_features_cleanup(&f);
    afz_history_cleanup(&h);
}
END_TEST

Suite *features_suite(void)
{
    Suite *s = suite_create("features");
    TCase *tc = tcase_create("features");
    tcase_add_unchecked_fixture(tc, world_setup, world_teardown);
    tcase_add_test(tc, test_features_same_history_same_features);
    tcase_add_loop_test(tc, test_features_a_fault_adds_features, 0, 4);
    tcase_add_test(tc, test_features_a_client_bug_adds_features);
    tcase_add_test(tc, test_features_empty_history_has_none);
    suite_add_tcase(s, tc);
    return s;
}
