/* check_serve_session.c - tests for per-session verdicts in server mode
 * (afz_serve_session.h): histories of several client runs against one
 * server model, recorded the way `acmefuzz serve` records them, split by
 * account, by POST /session marks and by resets, and judged per session. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "afz_jose.h"
#include "afz_report.h"
#include "afz_serve.h"
#include "afz_serve_session.h"
#include "server_fixture.h"

/* Records every exchange into the fixture's history after the model
 * answered (its events are already there, as in afz_serve), and moves
 * the clock 1 s so no poll looks hot. */
static void record_hook(void *ctx, afz_resource kind, size_t occurrence, const afz_request *req,
                        afz_response *resp)
{
    (void)occurrence;
    t_env *t = ctx;
    ck_assert_int_eq(afz_history_add_exchange(&t->hist, req, resp, kind,
                                              afz_clock_mono_ms(&t->clock),
                                              afz_clock_wall_ms(&t->clock)),
                     AFZ_OK);
    ck_assert_int_eq(afz_clock_advance(&t->clock, 1000), AFZ_OK);
}

static void start_recording(t_env *t)
{
    t_init(t);
    t_start(t);
    afz_server_set_hook(t->s, record_hook, t);
}

/* A client's identity, to interleave two clients on one fixture. */
typedef struct ident {
    EVP_PKEY *key;
    char *kid;
    char nonce[128];
} ident;

static void swap_ident(t_env *t, ident *id)
{
    ident cur = {.key = t->key, .kid = t->kid};
    memcpy(cur.nonce, t->nonce, sizeof(cur.nonce));
    t->key = id->key;
    t->kid = id->kid;
    memcpy(t->nonce, id->nonce, sizeof(t->nonce));
    *id = cur;
}

static void get_directory(t_env *t)
{
    afz_response r;
    t_plain(t, "GET", U("/directory"), &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
}

/* One whole client run with a fresh account: directory, nonce,
 * newAccount, and an issuance of |name|. */
static void client_run(t_env *t, const char *name)
{
    EVP_PKEY_free(t->key);
    free(t->kid);
    t->key = NULL;
    t->kid = NULL;
    t->nonce[0] = '\0';
    get_directory(t);
    t_account(t);
    EVP_PKEY *ck = new_key();
    X509 *leaf = NULL;
    cJSON_Delete(t_issue(t, name, ck, &leaf));
    X509_free(leaf);
    EVP_PKEY_free(ck);
}

static afz_serve_current current(const t_env *t, uint64_t run)
{
    return (afz_serve_current){.history = &t->hist, .plan = NULL, .dropped = 0, .run = run};
}

static cJSON *verdict_of(const afz_serve_log *l, const afz_serve_current *cur, size_t session,
                         const afz_policy *policy)
{
    afz_serve_verdict_query q = {.policy = policy, .session = session};
    cJSON *j = NULL;
    ck_assert_int_eq(afz_serve_log_verdict(l, cur, &q, &j), AFZ_OK);
    ck_assert_ptr_nonnull(j);
    return j;
}

static const cJSON *session_at(const cJSON *v, int i)
{
    const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItem(v, "sessions"), i);
    ck_assert_ptr_nonnull(s);
    return s;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *n = cJSON_GetObjectItem(o, key);
    ck_assert_msg(cJSON_IsNumber(n), "no number \"%s\"", key);
    return n->valuedouble;
}

/* property_verdict returns the verdict ("pass", "violation", ...) of
 * |prop| in session object |s|. */
static const char *property_verdict(const cJSON *s, const char *prop)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(cJSON_GetObjectItem(s, "verdict"), "verdicts"))
    {
        if (strcmp(afz_json_str(v, "property"), prop) == 0)
            return afz_json_str(v, "verdict");
    }
    ck_abort_msg("no verdict for %s", prop);
    return NULL;
}

/* assert_clean: the session fails nothing under the default policy, and
 * the run-counting properties hold. */
static void assert_clean(const cJSON *s)
{
    char *text = cJSON_PrintUnformatted(s);
    ck_assert_msg(cJSON_IsFalse(cJSON_GetObjectItem(s, "fails")), "session fails: %.2000s", text);
    ck_assert_msg(cJSON_IsTrue(cJSON_GetObjectItem(s, "client_succeeded")), "%.2000s", text);
    ck_assert_str_eq(property_verdict(s, "terminates"), "pass");
    ck_assert_str_eq(property_verdict(s, "bounded-new-orders"), "pass");
    ck_assert_str_eq(property_verdict(s, "no-duplicate-issuance"), "pass");
    ck_assert_str_eq(property_verdict(s, "jws-headers"), "pass");
    ck_assert_str_eq(property_verdict(s, "nonce-discipline"), "pass");
    free(text);
}

START_TEST(test_serve_session_accounts_in_sequence)
{
    t_env t;
    start_recording(&t);
    client_run(&t, "a.example.com");
    size_t first_run = t.hist.n_ex;
    char *kid_a = afz_strdup(t.kid);
    client_run(&t, "b.example.com");

    afz_serve_sessions ss;
    ck_assert_int_eq(afz_serve_sessions_split(&t.hist, NULL, 0, &ss), AFZ_OK);
    ck_assert_uint_eq(ss.n, 2);
    ck_assert_str_eq(ss.v[0].account, kid_a);
    ck_assert_str_eq(ss.v[1].account, t.kid);
    /* the directory and the nonce go with the run they start */
    ck_assert_uint_eq(ss.v[0].n_ex, first_run);
    ck_assert_uint_eq(ss.v[1].n_ex, t.hist.n_ex - first_run);
    ck_assert_uint_eq(ss.v[1].ex[0], first_run);
    ck_assert_uint_eq(ss.v[0].n_ev + ss.v[1].n_ev, t.hist.n_ev);
    afz_serve_sessions_cleanup(&ss);

    afz_serve_log log = {0};
    afz_serve_current cur = current(&t, 1);
    cJSON *v = verdict_of(&log, &cur, 0, NULL);
    for (int i = 0; i < 2; i++)
        assert_clean(session_at(v, i));
    ck_assert_double_eq(num(session_at(v, 1), "id"), 2);
    ck_assert_double_eq(num(session_at(v, 1), "first_exchange"), (double)first_run + 1);
    const cJSON *sum = cJSON_GetObjectItem(v, "summary");
    ck_assert_double_eq(num(sum, "sessions"), 2);
    ck_assert_double_eq(num(sum, "judged"), 2);
    ck_assert_double_eq(num(sum, "failing"), 0);
    cJSON_Delete(v);
    free(kid_a);
    t_free(&t);
}
END_TEST

/* Two clients at once: each step of one between steps of the other. */
START_TEST(test_serve_session_accounts_interleaved)
{
    t_env t;
    start_recording(&t);
    ident other = {0};
    EVP_PKEY *ck = new_key();
    cJSON *order[2] = {NULL, NULL};
    const char *names[2] = {"a.example.com", "b.example.com"};
    for (int c = 0; c < 2; c++) {
        get_directory(&t);
        t_account(&t);
        swap_ident(&t, &other);
    }
    for (int c = 0; c < 2; c++) {
        char ids[200];
        snprintf(ids, sizeof(ids), "[{\"type\":\"dns\",\"value\":\"%s\"}]", names[c]);
        order[c] = t_order(&t, ids, NULL);
        swap_ident(&t, &other);
    }
    for (int c = 0; c < 2; c++) {
        t_validate(&t, order[c]);
        swap_ident(&t, &other);
    }
    for (int c = 0; c < 2; c++) {
        afz_response r;
        t_finalize(&t, order[c], ck, &names[c], 1, &r);
        ck_assert_int_eq(r.status, 200);
        cJSON *fin = t_json(&r);
        afz_response_cleanup(&r);
        t_post(&t, afz_json_str(fin, "certificate"), NULL, &r);
        ck_assert_int_eq(r.status, 200);
        afz_response_cleanup(&r);
        cJSON_Delete(fin);
        swap_ident(&t, &other);
    }

    afz_serve_sessions ss;
    ck_assert_int_eq(afz_serve_sessions_split(&t.hist, NULL, 0, &ss), AFZ_OK);
    ck_assert_uint_eq(ss.n, 2);
    ck_assert_str_eq(ss.v[0].account, t.kid);
    ck_assert_str_eq(ss.v[1].account, other.kid);
    ck_assert_uint_eq(ss.v[0].n_ex + ss.v[1].n_ex, t.hist.n_ex);
    /* every request signed with a kid sits in that account's session */
    size_t signed_kid = 0;
    for (size_t s = 0; s < 2; s++)
        for (size_t i = 0; i < ss.v[s].n_ex; i++) {
            const afz_exchange *x = &t.hist.ex[ss.v[s].ex[i]];
            afz_jws jws;
            memset(&jws, 0, sizeof(jws));
            if (x->req.body && afz_jws_parse(x->req.body, x->req.body_len, &jws, NULL) == AFZ_OK &&
                jws.kid) {
                ck_assert_str_eq(jws.kid, ss.v[s].account);
                signed_kid++;
            }
            afz_jws_cleanup(&jws);
        }
    ck_assert_uint_ge(signed_kid, 10);
    afz_serve_sessions_cleanup(&ss);

    afz_serve_log log = {0};
    afz_serve_current cur = current(&t, 1);
    cJSON *v = verdict_of(&log, &cur, 0, NULL);
    for (int i = 0; i < 2; i++)
        assert_clean(session_at(v, i));
    cJSON_Delete(v);
    cJSON_Delete(order[0]);
    cJSON_Delete(order[1]);
    EVP_PKEY_free(ck);
    EVP_PKEY_free(other.key);
    free(other.kid);
    t_free(&t);
}
END_TEST

/* The false alarm of issue 12: one long-lived server, 30 test runs with
 * fresh accounts, the same name each time. Judged as one run, the
 * history breaks the newOrder bound (and the request budget); per
 * session every run is clean. */
START_TEST(test_serve_session_thirty_runs_thirty_sessions)
{
    t_env t;
    start_recording(&t);
    for (int i = 0; i < 30; i++)
        client_run(&t, "example.com");

    afz_prop_limits lim;
    afz_serve_prop_limits(&lim);
    lim.max_virtual_ms = INT64_MAX / 4;
    afz_prop_input in;
    memset(&in, 0, sizeof(in));
    in.history = &t.hist;
    in.attempts = 1;
    in.client_succeeded = 1;
    afz_report_options opt = {.policy = NULL, .limits = &lim};
    afz_report whole;
    ck_assert_int_eq(afz_report_evaluate_input(&in, &opt, &whole), AFZ_OK);
    ck_assert_uint_gt(whole.violations, 0); /* the old answer */

    afz_serve_log log = {0};
    afz_serve_current cur = current(&t, 1);
    cJSON *v = verdict_of(&log, &cur, 0, NULL);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(v, "sessions")), 30);
    for (int i = 0; i < 30; i++) {
        assert_clean(session_at(v, i));
        ck_assert_double_eq(num(session_at(v, i), "id"), i + 1);
    }
    const cJSON *sum = cJSON_GetObjectItem(v, "summary");
    ck_assert_double_eq(num(sum, "failing"), 0);
    ck_assert_double_eq(num(sum, "violations"), 0);
    cJSON_Delete(v);
    t_free(&t);
}
END_TEST

/* POST /session: one account, two tests; each mark opens one named
 * session whatever the accounts, and an empty one is still a session. */
START_TEST(test_serve_session_marks_split_tests)
{
    t_env t;
    start_recording(&t);
    afz_serve_log log = {0};
    ck_assert_int_eq(afz_serve_log_mark(&log, 1, &t.hist, "test-one", 100), AFZ_OK);
    get_directory(&t);
    t_account(&t);
    EVP_PKEY *ck = new_key();
    X509 *leaf = NULL;
    cJSON_Delete(t_issue(&t, "one.example.com", ck, &leaf));
    X509_free(leaf);
    size_t first = t.hist.n_ex;
    ck_assert_int_eq(afz_serve_log_mark(&log, 1, &t.hist, "test-two", 100), AFZ_OK);
    /* the same account, no newAccount: only the mark splits it */
    cJSON_Delete(t_issue(&t, "two.example.com", ck, &leaf));
    X509_free(leaf);
    ck_assert_int_eq(afz_serve_log_mark(&log, 1, &t.hist, NULL, 100), AFZ_OK);

    afz_serve_current cur = current(&t, 1);
    size_t n = 0;
    ck_assert_int_eq(afz_serve_log_count(&log, &cur, &n), AFZ_OK);
    ck_assert_uint_eq(n, 3);
    cJSON *v = verdict_of(&log, &cur, 0, NULL);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(v, "sessions")), 3);
    ck_assert_str_eq(afz_json_str(session_at(v, 0), "name"), "test-one");
    ck_assert_str_eq(afz_json_str(session_at(v, 0), "split"), "session");
    ck_assert_str_eq(afz_json_str(session_at(v, 0), "account"), t.kid);
    ck_assert_double_eq(num(session_at(v, 0), "exchanges"), (double)first);
    ck_assert_str_eq(afz_json_str(session_at(v, 1), "name"), "test-two");
    ck_assert_double_eq(num(session_at(v, 1), "exchanges"), (double)(t.hist.n_ex - first));
    /* it fetched no directory: the run's latest is borrowed */
    ck_assert_double_eq(num(session_at(v, 1), "directory_from"), 1);
    assert_clean(session_at(v, 0));
    assert_clean(session_at(v, 1));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(session_at(v, 2), "name")));
    ck_assert_double_eq(num(session_at(v, 2), "exchanges"), 0);
    cJSON_Delete(v);
    /* a mark of an older run is dropped by the next one */
    ck_assert_int_eq(afz_serve_log_mark(&log, 2, &t.hist, "x", 100), AFZ_OK);
    ck_assert_uint_eq(log.n_marks, 1);
    ck_assert_int_eq(afz_serve_log_mark(&log, 2, &t.hist, "y", 1), AFZ_ELIMIT);
    afz_serve_log_cleanup(&log);
    EVP_PKEY_free(ck);
    t_free(&t);
}
END_TEST

/* POST /reset: the finished run is kept and judged, sessions keep their
 * ids, ?session=N picks one, outcome= applies to the latest, and runs
 * past the cap are forgotten but counted. */
START_TEST(test_serve_session_reset_keeps_runs)
{
    afz_serve_log log = {0};
    t_env t;
    start_recording(&t);
    client_run(&t, "example.com");
    client_run(&t, "example.com");
    size_t run1 = t.hist.n_ex;
    afz_history h = t.hist; /* the server's history moves into the log */
    afz_history_init(&t.hist);
    t_free(&t);
    ck_assert_int_eq(afz_serve_log_archive(&log, 1, &h, NULL, 0, 100000), AFZ_OK);
    ck_assert_uint_eq(h.n_ex, 0);

    start_recording(&t); /* run 2: fresh server state */
    client_run(&t, "example.com");
    afz_serve_current cur = current(&t, 2);
    cJSON *v = verdict_of(&log, &cur, 0, NULL);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(v, "sessions")), 3);
    ck_assert_double_eq(num(session_at(v, 0), "run"), 1);
    ck_assert_double_eq(num(session_at(v, 2), "run"), 2);
    ck_assert_double_eq(num(session_at(v, 2), "id"), 3);
    for (int i = 0; i < 3; i++)
        assert_clean(session_at(v, i));
    cJSON_Delete(v);

    v = verdict_of(&log, &cur, 2, NULL);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(v, "sessions")), 1);
    ck_assert_double_eq(num(session_at(v, 0), "id"), 2);
    ck_assert_double_eq(num(session_at(v, 0), "run"), 1);
    ck_assert_double_eq(num(cJSON_GetObjectItem(v, "summary"), "judged"), 1);
    cJSON_Delete(v);

    afz_serve_verdict_query q = {.session = 4};
    cJSON *none = NULL;
    ck_assert_int_eq(afz_serve_log_verdict(&log, &cur, &q, &none), AFZ_ENOTFOUND);
    ck_assert_ptr_null(none);

    /* the caller says the latest client failed: only that session changes */
    q = (afz_serve_verdict_query){.outcome = "failure"};
    ck_assert_int_eq(afz_serve_log_verdict(&log, &cur, &q, &v), AFZ_OK);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(session_at(v, 1), "client_succeeded")));
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(session_at(v, 2), "client_succeeded")));
    cJSON_Delete(v);

    /* a second reset with a small cap forgets run 1 and its 2 sessions */
    h = t.hist;
    afz_history_init(&t.hist);
    ck_assert_int_eq(afz_serve_log_archive(&log, 2, &h, NULL, 0, run1), AFZ_OK);
    ck_assert_uint_eq(log.n_past, 1);
    ck_assert_uint_eq(log.forgotten_sessions, 2);
    ck_assert_uint_eq(log.forgotten_runs, 1);
    cur = current(&t, 3); /* run 3, nothing yet */
    v = verdict_of(&log, &cur, 3, NULL);
    ck_assert_double_eq(num(session_at(v, 0), "id"), 3);
    ck_assert_double_eq(num(session_at(v, 0), "run"), 2);
    cJSON_Delete(v);
    afz_serve_log_cleanup(&log);
    t_free(&t);
}
END_TEST

/* The policy is the caller's: the same violation fails the session under
 * one and is a warning under another. */
START_TEST(test_serve_session_policy_applies)
{
    t_env t;
    start_recording(&t);
    afz_serve_log log = {0};
    /* one session for all three runs: bounded-new-orders (HARM) breaks */
    ck_assert_int_eq(afz_serve_log_mark(&log, 1, &t.hist, "all", 10), AFZ_OK);
    for (int i = 0; i < 3; i++)
        client_run(&t, "example.com");
    afz_serve_current cur = current(&t, 1);
    cJSON *v = verdict_of(&log, &cur, 0, NULL);
    ck_assert_str_eq(property_verdict(session_at(v, 0), "bounded-new-orders"), "violation");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(session_at(v, 0), "fails")));
    ck_assert_double_eq(num(cJSON_GetObjectItem(v, "summary"), "failing"), 1);
    cJSON_Delete(v);
    afz_policy p;
    afz_policy_default(&p);
    char err[128];
    ck_assert_int_eq(
        afz_policy_allow(&p, "bounded-new-orders,no-duplicate-issuance", err, sizeof(err)), AFZ_OK);
    v = verdict_of(&log, &cur, 0, &p);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(session_at(v, 0), "fails")));
    ck_assert_ptr_nonnull(
        strstr(afz_json_str(cJSON_GetObjectItem(v, "summary"), "policy"), "bounded-new-orders"));
    cJSON_Delete(v);
    afz_serve_log_cleanup(&log);
    t_free(&t);
}
END_TEST

/* Unsigned requests nobody follows still belong somewhere, and a history
 * of nothing but them is one session without an account. */
START_TEST(test_serve_session_unsigned_only)
{
    t_env t;
    start_recording(&t);
    get_directory(&t);
    t_fresh_nonce(&t);
    afz_serve_sessions ss;
    ck_assert_int_eq(afz_serve_sessions_split(&t.hist, NULL, 0, &ss), AFZ_OK);
    ck_assert_uint_eq(ss.n, 1);
    ck_assert_ptr_null(ss.v[0].account);
    ck_assert_uint_eq(ss.v[0].n_ex, 2);
    afz_serve_sessions_cleanup(&ss);
    afz_history empty;
    afz_history_init(&empty);
    ck_assert_int_eq(afz_serve_sessions_split(&empty, NULL, 0, &ss), AFZ_OK);
    ck_assert_uint_eq(ss.n, 0);
    afz_serve_sessions_cleanup(&ss);
    t_free(&t);
}
END_TEST

Suite *serve_session_suite(void)
{
    Suite *s = suite_create("serve_session");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_serve_session_accounts_in_sequence);
    tcase_add_test(tc, test_serve_session_accounts_interleaved);
    tcase_add_test(tc, test_serve_session_thirty_runs_thirty_sessions);
    tcase_add_test(tc, test_serve_session_marks_split_tests);
    tcase_add_test(tc, test_serve_session_reset_keeps_runs);
    tcase_add_test(tc, test_serve_session_policy_applies);
    tcase_add_test(tc, test_serve_session_unsigned_only);
    suite_add_tcase(s, tc);
    return s;
}
