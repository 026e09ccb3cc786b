/* check_prop_terminates.c - `terminates` when a suite kills the client
 * command at its wall-clock --timeout (afz_prop_outcome.c,
 * terminates_wall_clock): a patient client still backing off is not a
 * violation (the exchange shape of lego 4.9.1 on an authorization that
 * stays "pending", measured on corpus/suite/full/authz-pending-forever),
 * a busy loop, a hung client and one waiting out an absurd Retry-After
 * are. */
#include "prop_fixtures.h"

/* kill_at records the suite's kill at |ms| and marks the run as timed out. */
static void kill_at(fx *f, int64_t ms)
{
    f->now = ms;
    fx_event(f, AFZ_EV_BUDGET_EXHAUSTED, NULL, NULL, NULL, NULL, AFZ_BUDGET_WALL_CLOCK, 0);
    f->in.budget_exhausted = 1;
    f->in.client_succeeded = 0;
}

/* to_pending_authz: directory .. challenge started, authorization pending. */
static void to_pending_authz(fx *f)
{
    fx_to_account(f);
    fx_post(f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD,
            (fx_resp){.status = 201, .body = FX_ORDER_BODY("pending"), .location = FX_ORDER});
    fx_post(f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    fx_post(f, AFZ_RES_CHALLENGE, FX_CHALL, "{}", fx_ok(FX_CHALL_BODY("processing")));
}

static void poll_authz_at(fx *f, int64_t ms, const char *retry_after)
{
    f->now = ms;
    fx_post(f, AFZ_RES_AUTHZ, FX_AUTHZ, "",
            (fx_resp){.status = 200, .body = FX_AUTHZ_BODY("pending"), .retry_after = retry_after});
}

static afz_verdict verdict_of(fx *f, char *msg, size_t n)
{
    afz_prop_result r = fx_check(f, "terminates");
    snprintf(msg, n, "%s", r.message);
    return r.verdict;
}

/* lego: Retry-After 3 on every poll, its own exponential back-off (5.5 s,
 * 10.8 s, 13.2 s, 15.8 s, 17.9 s), killed at 90 s: still waiting. */
START_TEST(test_terminates_patient_client_is_inconclusive)
{
    fx f;
    fx_init(&f);
    to_pending_authz(&f);
    static const int64_t at[] = {178, 5729, 16566, 29719, 45571, 63480};
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
        poll_authz_at(&f, at[i], "3");
    kill_at(&f, 90047);
    char msg[320];
    ck_assert_msg(verdict_of(&f, msg, sizeof(msg)) == AFZ_VERDICT_INCONCLUSIVE, "%s", msg);
    ck_assert_ptr_nonnull(strstr(msg, "longer --timeout"));
    fx_cleanup(&f);
}
END_TEST

/* A poll every 2 s until the kill: 15 requests in the last 30 s. */
START_TEST(test_terminates_busy_loop_at_the_kill)
{
    fx f;
    fx_init(&f);
    to_pending_authz(&f);
    for (int64_t t = 1000; t < 90000; t += 2000)
        poll_authz_at(&f, t, "3");
    kill_at(&f, 90000);
    char msg[320];
    ck_assert_msg(verdict_of(&f, msg, sizeof(msg)) == AFZ_VERDICT_VIOLATION, "%s", msg);
    ck_assert_ptr_nonnull(strstr(msg, "a loop"));
    fx_cleanup(&f);
}
END_TEST

/* Asleep on "Retry-After: 2147483648" (68 years): waits out an absurd value. */
START_TEST(test_terminates_absurd_retry_after)
{
    fx f;
    fx_init(&f);
    to_pending_authz(&f);
    poll_authz_at(&f, 500, "2147483648");
    kill_at(&f, 60000);
    char msg[320];
    ck_assert_msg(verdict_of(&f, msg, sizeof(msg)) == AFZ_VERDICT_VIOLATION, "%s", msg);
    ck_assert_ptr_nonnull(strstr(msg, "Retry-After"));
    fx_cleanup(&f);
}
END_TEST

/* Quick requests, then nothing for 59 s with nothing asked of it: hung. */
START_TEST(test_terminates_hung_client)
{
    fx f;
    fx_init(&f);
    to_pending_authz(&f);
    kill_at(&f, 60000);
    char msg[320];
    ck_assert_msg(verdict_of(&f, msg, sizeof(msg)) == AFZ_VERDICT_VIOLATION, "%s", msg);
    ck_assert_ptr_nonnull(strstr(msg, "hung"));
    fx_cleanup(&f);
}
END_TEST

/* A 30 s Retry-After the client is honouring when killed at 40 s is not a
 * hang (twice the asked wait has not passed). */
START_TEST(test_terminates_honouring_a_long_retry_after)
{
    fx f;
    fx_init(&f);
    to_pending_authz(&f);
    poll_authz_at(&f, 1000, "30");
    poll_authz_at(&f, 31500, "30");
    kill_at(&f, 40000);
    char msg[320];
    ck_assert_msg(verdict_of(&f, msg, sizeof(msg)) == AFZ_VERDICT_INCONCLUSIVE, "%s", msg);
    fx_cleanup(&f);
}
END_TEST

/* A doubling back-off (5 s, 10 s, 20 s) caught 35 s into its 40 s sleep
 * is still waiting as it had been, not hung. */
START_TEST(test_terminates_doubling_backoff_mid_sleep)
{
    fx f;
    fx_init(&f);
    to_pending_authz(&f);
    static const int64_t at[] = {1000, 6000, 16000, 36000};
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
        poll_authz_at(&f, at[i], NULL);
    kill_at(&f, 71000);
    char msg[320];
    ck_assert_msg(verdict_of(&f, msg, sizeof(msg)) == AFZ_VERDICT_INCONCLUSIVE, "%s", msg);
    fx_cleanup(&f);
}
END_TEST

/* A client that sent nothing before a 2 s kill: the budget the user set
 * is spent with no request at all. */
START_TEST(test_terminates_no_request_at_all)
{
    fx f;
    fx_init(&f);
    kill_at(&f, 2100);
    char msg[320];
    ck_assert_msg(verdict_of(&f, msg, sizeof(msg)) == AFZ_VERDICT_VIOLATION, "%s", msg);
    ck_assert_ptr_nonnull(strstr(msg, "before it sent any request"));
    fx_cleanup(&f);
}
END_TEST

/* An in-process run's virtual-time budget is still a violation. */
START_TEST(test_terminates_virtual_budget_still_violates)
{
    fx f;
    fx_init(&f);
    to_pending_authz(&f);
    poll_authz_at(&f, 1000, "3");
    f.now = 86400000;
    fx_event(&f, AFZ_EV_BUDGET_EXHAUSTED, NULL, NULL, NULL, NULL, "time", 0);
    f.in.budget_exhausted = 1;
    char msg[320];
    ck_assert_msg(verdict_of(&f, msg, sizeof(msg)) == AFZ_VERDICT_VIOLATION, "%s", msg);
    fx_cleanup(&f);
}
END_TEST

Suite *prop_terminates_suite(void)
{
    Suite *s = suite_create("prop_terminates");
    TCase *tc = tcase_create("wall_clock");
    tcase_add_test(tc, test_terminates_patient_client_is_inconclusive);
    tcase_add_test(tc, test_terminates_busy_loop_at_the_kill);
    tcase_add_test(tc, test_terminates_absurd_retry_after);
    tcase_add_test(tc, test_terminates_hung_client);
    tcase_add_test(tc, test_terminates_honouring_a_long_retry_after);
    tcase_add_test(tc, test_terminates_virtual_budget_still_violates);
    tcase_add_test(tc, test_terminates_doubling_backoff_mid_sleep);
    tcase_add_test(tc, test_terminates_no_request_at_all);
    suite_add_tcase(s, tc);
    return s;
}
