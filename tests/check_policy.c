/* check_policy.c - the verdict policy (afz_policy.h): fail sets in text
 * form round-trip, unknown words are refused with a reason, waivers name
 * real properties, and the report applies the policy: a violation fails,
 * warns or is waived by its level and id. */
#include <string.h>

#include <check.h>

#include "afz_policy.h"
#include "afz_report.h"
#include "prop_fixtures.h"

static const struct {
    const char *text;
    unsigned levels;
    const char *canonical;
} level_texts[] = {
    {"must,harm", AFZ_POLICY_DEFAULT_LEVELS, "must,harm"},
    {"HARM,Must", AFZ_POLICY_DEFAULT_LEVELS, "must,harm"},
    {"all", AFZ_POLICY_ALL_LEVELS, "must,should,harm,robust"},
    {"none", 0, "none"},
    {"robust", AFZ_LEVEL_BIT(AFZ_LEVEL_ROBUST), "robust"},
    {"should,should", AFZ_LEVEL_BIT(AFZ_LEVEL_SHOULD), "should"},
    {"must,should,harm,robust", AFZ_POLICY_ALL_LEVELS, "must,should,harm,robust"},
};

START_TEST(test_policy_levels_parse_and_print)
{
    unsigned got = 12345;
    char err[160];
    ck_assert_int_eq(afz_policy_levels_parse(level_texts[_i].text, &got, err, sizeof(err)), AFZ_OK);
    ck_assert_uint_eq(got, level_texts[_i].levels);
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_policy_levels_print(got, &b), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&b), level_texts[_i].canonical);
    /* canonical text parses back to the same set */
    unsigned again = 0;
    ck_assert_int_eq(afz_policy_levels_parse(afz_buf_cstr(&b), &again, err, sizeof(err)), AFZ_OK);
    ck_assert_uint_eq(again, got);
    afz_buf_cleanup(&b);
}
END_TEST

START_TEST(test_policy_bad_text_is_refused_with_a_reason)
{
    static const char *const bad[] = {"", "must,", "mustt", "must;harm", ",", "warn"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unsigned got = 7;
        char err[160] = "";
        ck_assert_int_eq(afz_policy_levels_parse(bad[i], &got, err, sizeof(err)), AFZ_EINVAL);
        ck_assert_uint_eq(got, 7); /* untouched */
        ck_assert(err[0] != '\0');
    }
    afz_policy p;
    afz_policy_default(&p);
    char err[160] = "";
    ck_assert_int_eq(afz_policy_allow(&p, "no-such-property", err, sizeof(err)), AFZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "no-such-property"));
    ck_assert_int_eq(afz_policy_allow(&p, "poll-backoff,", err, sizeof(err)), AFZ_EINVAL);
    ck_assert_int_eq(afz_policy_allow(&p, "poll-backoff,terminates", err, sizeof(err)), AFZ_OK);
    ck_assert(afz_policy_waives(&p, "terminates"));
    ck_assert(afz_policy_waives(&p, "poll-backoff"));
    ck_assert(!afz_policy_waives(&p, "no-refinalize"));
}
END_TEST

START_TEST(test_policy_fails_by_level_and_waiver)
{
    afz_policy p;
    afz_policy_default(&p);
    ck_assert(afz_policy_fails(&p, afz_property_find("jws-headers")));           /* MUST */
    ck_assert(afz_policy_fails(&p, afz_property_find("terminates")));            /* HARM */
    ck_assert(!afz_policy_fails(&p, afz_property_find("no-refinalize")));        /* SHOULD */
    ck_assert(!afz_policy_fails(&p, afz_property_find("succeeds-under-legal"))); /* ROBUST */
    ck_assert(afz_policy_fails(NULL, afz_property_find("terminates")));
    char err[160];
    ck_assert_int_eq(afz_policy_allow(&p, "terminates", err, sizeof(err)), AFZ_OK);
    ck_assert(!afz_policy_fails(&p, afz_property_find("terminates")));
    p.fail_levels = AFZ_POLICY_ALL_LEVELS;
    ck_assert(afz_policy_fails(&p, afz_property_find("no-refinalize")));
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_policy_print(&p, &b), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&b), "fail-on must,should,harm,robust; allow terminates");
    afz_buf_cleanup(&b);
}
END_TEST

/* The report sorts each violation into violation / warning / waived. */
START_TEST(test_policy_report_sorts_violations)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    /* finalize accepted, then finalized again (no-refinalize, SHOULD), and
     * the client gives up without a certificate under a legal plan
     * (succeeds-under-legal, ROBUST) */
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_BODY("processing"), .location = FX_ORDER});
    fx_sleep(&f, 1000);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 403, .body = FX_PROBLEM("orderNotReady", 403)});
    f.in.client_succeeded = 0;
    f.in.trace = NULL;
    afz_report r;
    ck_assert_int_eq(afz_report_evaluate_input(&f.in, NULL, &r), AFZ_OK);
    ck_assert_uint_eq(r.violations, 0);
    ck_assert_uint_eq(r.warnings, 2);
    for (size_t i = 0; i < r.n; i++)
        if (r.entries[i].result.verdict == AFZ_VERDICT_VIOLATION)
            ck_assert_str_eq(afz_report_entry_label(&r.entries[i]), "WARNING");

    afz_policy p;
    afz_policy_default(&p);
    p.fail_levels = AFZ_POLICY_ALL_LEVELS;
    char err[160];
    ck_assert_int_eq(afz_policy_allow(&p, "succeeds-under-legal", err, sizeof(err)), AFZ_OK);
    afz_report_options opt = {.policy = &p, .limits = NULL};
    ck_assert_int_eq(afz_report_evaluate_input(&f.in, &opt, &r), AFZ_OK);
    ck_assert_uint_eq(r.violations, 1);
    ck_assert_uint_eq(r.warnings, 0);
    ck_assert_uint_eq(r.waived, 1);
    for (size_t i = 0; i < r.n; i++) {
        const afz_report_entry *e = &r.entries[i];
        if (e->result.verdict != AFZ_VERDICT_VIOLATION)
            continue;
        ck_assert_str_eq(afz_report_entry_label(e),
                         strcmp(e->prop->id, "no-refinalize") == 0 ? "VIOLATION" : "WAIVED");
    }
    fx_cleanup(&f);
}
END_TEST

Suite *policy_suite(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("policy");
    tcase_add_loop_test(tc, test_policy_levels_parse_and_print, 0,
                        sizeof(level_texts) / sizeof(level_texts[0]));
    tcase_add_test(tc, test_policy_bad_text_is_refused_with_a_reason);
    tcase_add_test(tc, test_policy_fails_by_level_and_waiver);
    tcase_add_test(tc, test_policy_report_sorts_violations);
    suite_add_tcase(s, tc);
    return s;
}
