/* check_sarif.c - SARIF 2.1.0 logs of suite results (afz_sarif.h): one
 * result per violation with the property as rule id, the level mapped,
 * the scenario file as location and the replay command in the message;
 * waivers as suppressions; unloadable scenarios as notifications. The
 * full schema check is tests/integration/suite_reports.sh. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "afz_json.h"
#include "afz_sarif.h"
#include "afz_suite.h"

START_TEST(test_sarif_level_mapping)
{
    ck_assert_str_eq(afz_sarif_level(AFZ_LEVEL_MUST), "error");
    ck_assert_str_eq(afz_sarif_level(AFZ_LEVEL_HARM), "error");
    ck_assert_str_eq(afz_sarif_level(AFZ_LEVEL_SHOULD), "warning");
    ck_assert_str_eq(afz_sarif_level(AFZ_LEVEL_ROBUST), "note");
}
END_TEST

static void entry(afz_report *r, const char *id, afz_verdict v, size_t ex, int waived,
                  const char *msg)
{
    afz_report_entry *e = &r->entries[r->n++];
    e->prop = afz_property_find(id);
    ck_assert_ptr_nonnull(e->prop);
    e->result.verdict = v;
    e->result.exchange = ex;
    snprintf(e->result.message, sizeof(e->result.message), "%s", msg);
    e->waived = waived;
    e->fails = v == AFZ_VERDICT_VIOLATION && !waived;
    r->violations += e->fails;
    r->waived += waived;
}

/* Three scenarios: one with two violations (one waived) and a pass, one
 * clean, one that did not load. */
static cJSON *suite_log(void)
{
    static afz_suite_result res[3];
    memset(res, 0, sizeof(res));
    snprintf(res[0].name, sizeof(res[0].name), "async finalize");
    snprintf(res[0].path, sizeof(res[0].path), "corpus/suite/quick/async finalize.scn");
    res[0].loaded = 1;
    entry(&res[0].report, "no-refinalize", AFZ_VERDICT_VIOLATION, 9, 0,
          "#10 finalizes order /order/1 again \xff<bad utf-8>");
    entry(&res[0].report, "poll-backoff", AFZ_VERDICT_VIOLATION, SIZE_MAX, 1, "polled hot");
    entry(&res[0].report, "jws-headers", AFZ_VERDICT_PASS, SIZE_MAX, 0, "fine");
    snprintf(res[1].name, sizeof(res[1].name), "plain");
    snprintf(res[1].path, sizeof(res[1].path), "corpus/suite/quick/plain.scn");
    res[1].loaded = 1;
    entry(&res[1].report, "jws-headers", AFZ_VERDICT_PASS, SIZE_MAX, 0, "fine");
    snprintf(res[2].name, sizeof(res[2].name), "broken");
    snprintf(res[2].path, sizeof(res[2].path), "scn/broken.scn");
    snprintf(res[2].error, sizeof(res[2].error), "scn/broken.scn:1:1: unknown statement");
    afz_suite_config cfg = {.client = "zoo x", .command = "acmefuzz client --client 'zoo x'"};
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_sarif_suite(&cfg, res, 3, &b), AFZ_OK);
    cJSON *j = NULL;
    ck_assert_int_eq(afz_json_parse(b.data, b.len, &j), AFZ_OK);
    afz_buf_cleanup(&b);
    return j;
}

static const cJSON *get(const cJSON *o, const char *k)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, k);
    ck_assert_msg(m != NULL, "no member %s", k);
    return m;
}

START_TEST(test_sarif_suite_structure)
{
    cJSON *j = suite_log();
    ck_assert_str_eq(get(j, "version")->valuestring, "2.1.0");
    ck_assert_ptr_nonnull(strstr(get(j, "$schema")->valuestring, "sarif-2.1.0"));
    const cJSON *runs = get(j, "runs");
    ck_assert_int_eq(cJSON_GetArraySize(runs), 1);
    const cJSON *run = cJSON_GetArrayItem(runs, 0);
    const cJSON *driver = get(get(run, "tool"), "driver");
    ck_assert_str_eq(get(driver, "name")->valuestring, "acmefuzz");
    /* every property is a rule, with its default level */
    size_t n = 0;
    const afz_property *p = afz_properties(&n);
    const cJSON *rules = get(driver, "rules");
    ck_assert_int_eq(cJSON_GetArraySize(rules), (int)n);
    for (size_t i = 0; i < n; i++) {
        const cJSON *r = cJSON_GetArrayItem(rules, (int)i);
        ck_assert_str_eq(get(r, "id")->valuestring, p[i].id);
        ck_assert_str_eq(get(get(r, "defaultConfiguration"), "level")->valuestring,
                         afz_sarif_level(p[i].level));
    }
    cJSON_Delete(j);
}
END_TEST

START_TEST(test_sarif_suite_one_result_per_violation)
{
    cJSON *j = suite_log();
    const cJSON *run = cJSON_GetArrayItem(get(j, "runs"), 0);
    const cJSON *results = get(run, "results");
    ck_assert_int_eq(cJSON_GetArraySize(results), 2); /* passes are not results */
    const cJSON *r0 = cJSON_GetArrayItem(results, 0), *r1 = cJSON_GetArrayItem(results, 1);
    ck_assert_str_eq(get(r0, "ruleId")->valuestring, "no-refinalize");
    ck_assert_str_eq(get(r0, "level")->valuestring, "warning"); /* SHOULD */
    const cJSON *rules = get(get(get(run, "tool"), "driver"), "rules");
    const cJSON *rule = cJSON_GetArrayItem(rules, (int)get(r0, "ruleIndex")->valuedouble);
    ck_assert_str_eq(get(rule, "id")->valuestring, "no-refinalize");
    /* the scenario file, percent-encoded into a URI reference */
    const cJSON *loc = cJSON_GetArrayItem(get(r0, "locations"), 0);
    ck_assert_str_eq(get(get(get(loc, "physicalLocation"), "artifactLocation"), "uri")->valuestring,
                     "corpus/suite/quick/async%20finalize.scn");
    /* the message: property, what happened, exchange, replay command */
    const char *msg = get(get(r0, "message"), "text")->valuestring;
    ck_assert_ptr_nonnull(strstr(msg, "no-refinalize (SHOULD, RFC 8555"));
    ck_assert_ptr_nonnull(strstr(msg, "in scenario async finalize"));
    ck_assert_ptr_nonnull(strstr(msg, "again ?<bad utf-8>")); /* 0xFF replaced */
    ck_assert_ptr_nonnull(strstr(msg, "[exchange #10]"));
    ck_assert_ptr_nonnull(strstr(msg, "Replay: acmefuzz suite --client-cmd 'acmefuzz client "
                                      "--client '\\''zoo x'\\''' --name 'zoo x' --scenarios "
                                      "'corpus/suite/quick/async finalize.scn'"));
    ck_assert_str_eq(get(get(r0, "properties"), "verdict")->valuestring, "VIOLATION");
    ck_assert_int_eq((int)get(get(r0, "properties"), "exchange")->valuedouble, 10);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(r0, "suppressions"));
    /* the waived one: still a result, HARM as error, suppressed */
    ck_assert_str_eq(get(r1, "ruleId")->valuestring, "poll-backoff");
    ck_assert_str_eq(get(r1, "level")->valuestring, "error");
    const cJSON *sup = cJSON_GetArrayItem(get(r1, "suppressions"), 0);
    ck_assert_str_eq(get(sup, "kind")->valuestring, "external");
    ck_assert_str_eq(get(get(r1, "properties"), "verdict")->valuestring, "WAIVED");
    cJSON_Delete(j);
}
END_TEST

START_TEST(test_sarif_suite_unloaded_scenario_is_notification)
{
    cJSON *j = suite_log();
    const cJSON *run = cJSON_GetArrayItem(get(j, "runs"), 0);
    const cJSON *inv = cJSON_GetArrayItem(get(run, "invocations"), 0);
    ck_assert(cJSON_IsFalse(get(inv, "executionSuccessful")));
    const cJSON *notes = get(inv, "toolExecutionNotifications");
    ck_assert_int_eq(cJSON_GetArraySize(notes), 1);
    const cJSON *n0 = cJSON_GetArrayItem(notes, 0);
    ck_assert_str_eq(get(n0, "level")->valuestring, "error");
    ck_assert_ptr_nonnull(
        strstr(get(get(n0, "message"), "text")->valuestring, "unknown statement"));
    cJSON_Delete(j);
}
END_TEST

START_TEST(test_sarif_write_empty_is_a_clean_run)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_sarif_write(NULL, 0, NULL, 0, &b), AFZ_OK);
    cJSON *j = NULL;
    ck_assert_int_eq(afz_json_parse(b.data, b.len, &j), AFZ_OK);
    const cJSON *run = cJSON_GetArrayItem(get(j, "runs"), 0);
    ck_assert_int_eq(cJSON_GetArraySize(get(run, "results")), 0);
    ck_assert(
        cJSON_IsTrue(get(cJSON_GetArrayItem(get(run, "invocations"), 0), "executionSuccessful")));
    cJSON_Delete(j);
    afz_buf_cleanup(&b);
}
END_TEST

Suite *sarif_suite(void)
{
    Suite *s = suite_create("sarif");
    TCase *tc = tcase_create("sarif");
    tcase_add_test(tc, test_sarif_level_mapping);
    tcase_add_test(tc, test_sarif_suite_structure);
    tcase_add_test(tc, test_sarif_suite_one_result_per_violation);
    tcase_add_test(tc, test_sarif_suite_unloaded_scenario_is_notification);
    tcase_add_test(tc, test_sarif_write_empty_is_a_clean_run);
    suite_add_tcase(s, tc);
    return s;
}
