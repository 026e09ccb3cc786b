/* check_independent.c - the independent client (clients/independent): its
 * own Retry-After and HTTP-date reading, and in-process runs against the
 * server model on legal plans, where it must obtain the certificate and
 * break no property at any level. */
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "afz_ind_internal.h"
#include "afz_independent.h"
#include "afz_report.h"
#include "afz_run.h"
#include "afz_scenario.h"

/* ---- pure: Retry-After (RFC 9110 10.2.3) --------------------------------- */

/* 2026-01-01T00:00:00Z, the instant the values below are read at. */
#define NOW_MS INT64_C(1767225600000)

static const struct {
    const char *value;
    afz_ind_ra want;
    int64_t delay_ms;
} ra_cases[] = {
    {"0", AFZ_IND_RA_OK, 0},
    {"  120 ", AFZ_IND_RA_OK, 120000},
    {"3600", AFZ_IND_RA_OK, 3600000},
    {"3601", AFZ_IND_RA_BAD, 0},                /* over the longest usable wait */
    {"9223372036854775808", AFZ_IND_RA_BAD, 0}, /* 2^63: saturates, never wraps */
    {"-1", AFZ_IND_RA_BAD, 0},
    {"1.5", AFZ_IND_RA_BAD, 0},
    {"", AFZ_IND_RA_BAD, 0},
    {"Thu, 01 Jan 2026 00:00:05 GMT", AFZ_IND_RA_OK, 5000},     /* IMF-fixdate */
    {"Thursday, 01-Jan-26 00:00:30 GMT", AFZ_IND_RA_OK, 30000}, /* RFC 850 */
    {"Thu Jan  1 00:01:00 2026", AFZ_IND_RA_OK, 60000},         /* asctime */
    {"Thu, 01 Jan 1970 00:00:00 GMT", AFZ_IND_RA_BAD, 0},       /* in the past */
    {"Thu, 31 Feb 2026 00:00:00 GMT", AFZ_IND_RA_BAD, 0},       /* no such day */
    {"Thu, 01 Jan 2026 00:00:05 UTC", AFZ_IND_RA_BAD, 0},
    {"Wed, 21 Oct", AFZ_IND_RA_BAD, 0},
};

START_TEST(test_independent_retry_after_reading)
{
    const char *v[1] = {ra_cases[_i].value};
    int64_t d = -1;
    afz_ind_ra got = afz_ind_retry_after(v, 1, NOW_MS, 3600000, &d);
    ck_assert_msg(got == ra_cases[_i].want, "\"%s\": %d", ra_cases[_i].value, (int)got);
    if (got == AFZ_IND_RA_OK)
        ck_assert_int_eq(d, ra_cases[_i].delay_ms);
}
END_TEST

START_TEST(test_independent_retry_after_twice_is_unusable)
{
    const char *v[2] = {"1", "2"};
    int64_t d = 0;
    ck_assert_int_eq(afz_ind_retry_after(v, 0, NOW_MS, 3600000, &d), AFZ_IND_RA_NONE);
    ck_assert_int_eq(afz_ind_retry_after(v, 2, NOW_MS, 3600000, &d), AFZ_IND_RA_BAD);
}
END_TEST

START_TEST(test_independent_http_date_leap_years)
{
    int64_t t = 0;
    ck_assert_int_eq(afz_ind_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &t), 1);
    ck_assert_int_eq(t, INT64_C(784111777));
    ck_assert_int_eq(afz_ind_http_date("Tue, 29 Feb 2000 00:00:00 GMT", &t), 1);
    ck_assert_int_eq(t, INT64_C(951782400));
    ck_assert_int_eq(afz_ind_http_date("Mon, 29 Feb 2100 00:00:00 GMT", &t), 0);
}
END_TEST

/* ---- runs against the server model --------------------------------------- */

static afz_world world;

static void world_setup(void)
{
    ck_assert_int_eq(afz_world_init(&world), AFZ_OK);
}

static void world_teardown(void)
{
    afz_world_cleanup(&world);
}

static const char *const legal_plans[] = {
    /* plain: synchronous finalize, challenges valid at once */
    "",
    /* asynchronous finalize, Retry-After as an HTTP-date (RFC 9110 10.2.3) */
    "finalize * -> async_finalize(polls=2, delay=0s, retry_after=date+5s)\n",
    /* badNonce on newOrder and finalize: resent with the error's nonce */
    "newOrder @1 -> bad_nonce()\n"
    "finalize @1 -> bad_nonce()\n",
    /* authorizations pending for two polls, Retry-After: 1 */
    "identifiers 2\n"
    "authorization * -> authz_pending(polls=2, delay=0s, retry_after=1)\n",
    /* the account key is Ed25519; the order is ready at creation */
    "account-key EdDSA\n"
    "newOrder * -> order_ready()\n",
};

START_TEST(test_independent_obtains_under_legal_plans)
{
    static afz_plan plan; /* the run config borrows it */
    const char *scn = legal_plans[_i];
    afz_scn_error err;
    memset(&err, 0, sizeof(err));
    ck_assert_msg(afz_scenario_parse(scn, strlen(scn), &plan, &err) == AFZ_OK, "%u:%u: %s",
                  err.line, err.col, err.msg);
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    afz_run_config_apply_plan(&cfg, &plan);
    afz_run_result res;
    afz_run_result_init(&res);
    ck_assert_int_eq(afz_run(&world, &afz_client_independent, &cfg, &res), AFZ_OK);
    ck_assert_msg(res.client_rc == AFZ_OK, "plan %d: %s", _i, res.reason);
    ck_assert_ptr_nonnull(res.cert_pem);
    ck_assert_int_eq(res.budget_exhausted, 0);
    ck_assert_int_eq(res.aborted, 0);
    ck_assert_int_eq(res.client_stateless, 1);

    /* No failing violation under the default policy, and no warning
     * either: every level holds on a legal plan. */
    afz_report rep;
    ck_assert_int_eq(afz_report_evaluate(&res, &cfg, NULL, &rep), AFZ_OK);
    for (size_t k = 0; k < rep.n; k++)
        ck_assert_msg(rep.entries[k].result.verdict != AFZ_VERDICT_VIOLATION,
                      "plan %d: %s violated: %s", _i, rep.entries[k].prop->id,
                      rep.entries[k].result.message);
    ck_assert_uint_eq(rep.violations, 0);
    ck_assert_uint_eq(rep.warnings, 0);
    afz_run_result_cleanup(&res);
}
END_TEST

Suite *independent_suite(void)
{
    Suite *s = suite_create("independent");

    TCase *pure = tcase_create("pure");
    tcase_add_loop_test(pure, test_independent_retry_after_reading, 0,
                        (int)(sizeof(ra_cases) / sizeof(ra_cases[0])));
    tcase_add_test(pure, test_independent_retry_after_twice_is_unusable);
    tcase_add_test(pure, test_independent_http_date_leap_years);
    suite_add_tcase(s, pure);

    TCase *run = tcase_create("run");
    tcase_add_unchecked_fixture(run, world_setup, world_teardown);
    tcase_set_timeout(run, 60);
    tcase_add_loop_test(run, test_independent_obtains_under_legal_plans, 0,
                        (int)(sizeof(legal_plans) / sizeof(legal_plans[0])));
    suite_add_tcase(s, run);
    return s;
}
