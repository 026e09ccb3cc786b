/* check_serve_budget.c - the byte budget of server mode's history
 * (afz_serve_session.h: afz_serve_exchange_bytes, afz_serve_log_trim_bytes;
 * afz_serve.h "Hardening"): what an exchange costs, and finished runs
 * forgotten oldest first, their sessions counted so ids stay stable. */
#include <string.h>

#include <check.h>

#include "afz_history.h"
#include "afz_http.h"
#include "afz_serve_session.h"

/* add_exchange records a POST with a |body_len|-byte body and a small answer. */
static void add_exchange(afz_history *h, size_t body_len, int64_t t)
{
    afz_request rq;
    afz_response rs;
    ck_assert_int_eq(afz_request_init(&rq, "POST", "https://127.0.0.1:1/new-order"), AFZ_OK);
    char *body = malloc(body_len ? body_len : 1);
    ck_assert_ptr_nonnull(body);
    memset(body, 'x', body_len);
    ck_assert_int_eq(afz_request_set_body(&rq, body, body_len), AFZ_OK);
    free(body);
    ck_assert_int_eq(afz_headers_add(&rq.headers, "Content-Type", "application/jose+json"), AFZ_OK);
    afz_response_init(&rs);
    rs.status = 400;
    ck_assert_int_eq(afz_response_set_body(&rs, "{}", 2), AFZ_OK);
    ck_assert_int_eq(afz_history_add_exchange(h, &rq, &rs, AFZ_RES_NEW_ORDER, t, t), AFZ_OK);
    afz_request_cleanup(&rq);
    afz_response_cleanup(&rs);
}

START_TEST(test_serve_budget_exchange_bytes_counts_bodies)
{
    afz_request rq;
    afz_response rs;
    ck_assert_int_eq(afz_request_init(&rq, "POST", "https://127.0.0.1:1/x"), AFZ_OK);
    afz_response_init(&rs);
    size_t empty = afz_serve_exchange_bytes(&rq, NULL);
    static char big[256 * 1024];
    ck_assert_int_eq(afz_request_set_body(&rq, big, sizeof(big)), AFZ_OK);
    ck_assert_uint_eq(afz_serve_exchange_bytes(&rq, NULL), empty + sizeof(big));
    ck_assert_int_eq(afz_response_set_body(&rs, "hello", 5), AFZ_OK);
    ck_assert_uint_eq(afz_serve_exchange_bytes(&rq, &rs), empty + sizeof(big) + 5);
    afz_request_cleanup(&rq);
    afz_response_cleanup(&rs);
}
END_TEST

START_TEST(test_serve_budget_trim_forgets_oldest_runs)
{
    afz_serve_log log;
    memset(&log, 0, sizeof(log));
    size_t per_run[3];
    for (int run = 1; run <= 3; run++) {
        afz_history h;
        afz_history_init(&h);
        for (int i = 0; i < 4; i++)
            add_exchange(&h, 10000, i);
        ck_assert_int_eq(afz_serve_log_archive(&log, (uint64_t)run, &h, NULL, 0, 100000), AFZ_OK);
        per_run[run - 1] = log.past[log.n_past - 1].bytes;
        ck_assert_uint_ge(per_run[run - 1], 40000);
        afz_history_cleanup(&h);
    }
    ck_assert_uint_eq(log.n_past, 3);
    ck_assert_uint_eq(log.past_bytes, per_run[0] + per_run[1] + per_run[2]);
    /* room for two runs: the oldest goes, and its session is counted */
    afz_serve_log_trim_bytes(&log, per_run[1] + per_run[2]);
    ck_assert_uint_eq(log.n_past, 2);
    ck_assert_uint_eq(log.past[0].run, 2);
    ck_assert_uint_eq(log.forgotten_runs, 1);
    ck_assert_uint_eq(log.forgotten_sessions, 1);
    ck_assert_uint_eq(log.past_bytes, per_run[1] + per_run[2]);
    /* within the budget: nothing goes */
    afz_serve_log_trim_bytes(&log, log.past_bytes);
    ck_assert_uint_eq(log.n_past, 2);
    /* no room at all: every finished run goes, the newest too */
    afz_serve_log_trim_bytes(&log, 0);
    ck_assert_uint_eq(log.n_past, 0);
    ck_assert_uint_eq(log.past_bytes, 0);
    ck_assert_uint_eq(log.past_exchanges, 0);
    ck_assert_uint_eq(log.forgotten_runs, 3);
    afz_serve_log_cleanup(&log);
}
END_TEST

Suite *serve_budget_suite(void)
{
    Suite *s = suite_create("serve_budget");
    TCase *tc = tcase_create("bytes");
    tcase_add_test(tc, test_serve_budget_exchange_bytes_counts_bodies);
    tcase_add_test(tc, test_serve_budget_trim_forgets_oldest_runs);
    suite_add_tcase(s, tc);
    return s;
}
