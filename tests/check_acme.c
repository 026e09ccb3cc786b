/* check_acme.c - tests for harness/core/acme/afz_acme.c: the ACME
 * vocabulary (statuses and the RFC 8555 7.1.6 diagrams, problem types,
 * the one problem-document writer), and that the server model's
 * objects move only along the diagrams. */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "afz_acme.h"
#include "afz_json.h"
#include "afz_run.h"

static afz_status st(const char *name)
{
    afz_status s = AFZ_ST__COUNT;
    ck_assert_msg(afz_status_parse(name, &s), "%s is a status", name);
    return s;
}

START_TEST(test_acme_status_names_round_trip)
{
    for (unsigned i = 0; i < AFZ_ST__COUNT; i++) {
        const char *name = afz_status_name((afz_status)i);
        ck_assert_ptr_nonnull(name);
        ck_assert_int_eq(st(name), (afz_status)i);
    }
    afz_status s = AFZ_ST_VALID;
    ck_assert_int_eq(afz_status_parse("Valid", &s), 0); /* case-sensitive */
    ck_assert_int_eq(afz_status_parse("", &s), 0);
    ck_assert_int_eq(afz_status_parse(NULL, &s), 0);
    ck_assert_int_eq(s, AFZ_ST_VALID); /* untouched on failure */
    ck_assert_ptr_null(afz_status_name(AFZ_ST__COUNT));
}
END_TEST

/* The statuses each object may carry, as RFC 8555 7.1.2-7.1.4 and 7.1.6
 * list them. */
START_TEST(test_acme_allowed_statuses)
{
    static const struct {
        afz_acme_obj obj;
        const char *allowed;
    } rows[] = {
        {AFZ_OBJ_ACCOUNT, "valid deactivated revoked"},
        {AFZ_OBJ_ORDER, "pending ready processing valid invalid"},
        {AFZ_OBJ_AUTHZ, "pending valid invalid expired deactivated revoked"},
        {AFZ_OBJ_CHALLENGE, "pending processing valid invalid"},
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
        for (unsigned i = 0; i < AFZ_ST__COUNT; i++) {
            const char *name = afz_status_name((afz_status)i);
            char padded[32];
            snprintf(padded, sizeof(padded), " %s ", name);
            char list[80];
            snprintf(list, sizeof(list), " %s ", rows[r].allowed);
            ck_assert_msg(afz_status_allowed(rows[r].obj, (afz_status)i) ==
                              (strstr(list, padded) != NULL),
                          "%s %s", afz_acme_obj_name(rows[r].obj), name);
        }
    ck_assert_int_eq(afz_status_initial(AFZ_OBJ_ACCOUNT), AFZ_ST_VALID);
    ck_assert_int_eq(afz_status_initial(AFZ_OBJ_ORDER), AFZ_ST_PENDING);
}
END_TEST

START_TEST(test_acme_transitions)
{
    /* order: the happy path, and its failures */
    ck_assert(afz_status_transition_allowed(AFZ_OBJ_ORDER, st("pending"), st("ready")));
    ck_assert(afz_status_transition_allowed(AFZ_OBJ_ORDER, st("ready"), st("processing")));
    ck_assert(afz_status_transition_allowed(AFZ_OBJ_ORDER, st("processing"), st("valid")));
    ck_assert(afz_status_transition_allowed(AFZ_OBJ_ORDER, st("processing"), st("invalid")));
    ck_assert(afz_status_transition_allowed(AFZ_OBJ_ORDER, st("pending"), st("invalid")));
    /* not an edge, but what a reader may see: "processing" in between */
    ck_assert(!afz_status_transition_allowed(AFZ_OBJ_ORDER, st("ready"), st("valid")));
    ck_assert(afz_status_reachable(AFZ_OBJ_ORDER, st("ready"), st("valid")));
    ck_assert(afz_status_reachable(AFZ_OBJ_ORDER, st("pending"), st("valid")));
    /* never backwards, never out of a final state, never to itself */
    ck_assert(!afz_status_reachable(AFZ_OBJ_ORDER, st("valid"), st("ready")));
    ck_assert(!afz_status_reachable(AFZ_OBJ_ORDER, st("processing"), st("ready")));
    ck_assert(!afz_status_reachable(AFZ_OBJ_ORDER, st("invalid"), st("valid")));
    ck_assert(!afz_status_reachable(AFZ_OBJ_ORDER, st("ready"), st("ready")));
    /* statuses the object cannot carry */
    ck_assert(!afz_status_reachable(AFZ_OBJ_ORDER, st("pending"), st("expired")));
    /* authorization: a valid one can still expire or be deactivated */
    ck_assert(afz_status_transition_allowed(AFZ_OBJ_AUTHZ, st("valid"), st("expired")));
    ck_assert(afz_status_transition_allowed(AFZ_OBJ_AUTHZ, st("pending"), st("deactivated")));
    ck_assert(!afz_status_reachable(AFZ_OBJ_AUTHZ, st("invalid"), st("valid")));
    /* challenge: validation starts with "processing" */
    ck_assert(!afz_status_transition_allowed(AFZ_OBJ_CHALLENGE, st("pending"), st("valid")));
    ck_assert(afz_status_reachable(AFZ_OBJ_CHALLENGE, st("pending"), st("valid")));
    /* account */
    ck_assert(afz_status_transition_allowed(AFZ_OBJ_ACCOUNT, st("valid"), st("revoked")));
    ck_assert(!afz_status_reachable(AFZ_OBJ_ACCOUNT, st("deactivated"), st("valid")));
}
END_TEST

START_TEST(test_acme_final_states)
{
    ck_assert(afz_status_final(AFZ_OBJ_ORDER, st("valid")));
    ck_assert(afz_status_final(AFZ_OBJ_ORDER, st("invalid")));
    ck_assert(!afz_status_final(AFZ_OBJ_ORDER, st("processing")));
    /* RFC 8555 7.1.6: a valid authorization can still leave "valid" */
    ck_assert(!afz_status_final(AFZ_OBJ_AUTHZ, st("valid")));
    ck_assert(afz_status_final(AFZ_OBJ_AUTHZ, st("expired")));
    ck_assert(afz_status_final(AFZ_OBJ_CHALLENGE, st("invalid")));
    ck_assert(afz_status_final(AFZ_OBJ_ACCOUNT, st("deactivated")));
    ck_assert(!afz_status_final(AFZ_OBJ_ACCOUNT, st("pending"))); /* not an account status */
    /* the failures final-states-final watches for, and nothing else */
    for (unsigned i = 0; i < AFZ_ST__COUNT; i++) {
        const char *name = afz_status_name((afz_status)i);
        int want = strcmp(name, "invalid") == 0 || strcmp(name, "expired") == 0 ||
                   strcmp(name, "deactivated") == 0 || strcmp(name, "revoked") == 0;
        ck_assert_msg(afz_status_final_failure((afz_status)i) == want, "%s", name);
    }
}
END_TEST

START_TEST(test_acme_problem_types)
{
    /* RFC 8555 6.7 lists 24 types */
    static const char *const rfc[] = {"accountDoesNotExist",
                                      "alreadyRevoked",
                                      "badCSR",
                                      "badNonce",
                                      "badPublicKey",
                                      "badRevocationReason",
                                      "badSignatureAlgorithm",
                                      "caa",
                                      "compound",
                                      "connection",
                                      "dns",
                                      "externalAccountRequired",
                                      "incorrectResponse",
                                      "invalidContact",
                                      "malformed",
                                      "orderNotReady",
                                      "rateLimited",
                                      "rejectedIdentifier",
                                      "serverInternal",
                                      "tls",
                                      "unauthorized",
                                      "unsupportedContact",
                                      "unsupportedIdentifier",
                                      "userActionRequired"};
    size_t n = 0;
    const afz_problem_type *t = afz_problem_types(&n);
    ck_assert_uint_eq(n, sizeof(rfc) / sizeof(rfc[0]));
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(t[i].name, rfc[i]);
        ck_assert_ptr_eq(afz_problem_type_find(rfc[i]), &t[i]);
        ck_assert(t[i].http_status >= 400 && t[i].http_status < 600);
    }
    ck_assert_int_eq(afz_problem_type_find("badNonce")->http_status, 400);
    ck_assert_int_eq(afz_problem_type_find("rateLimited")->http_status, 429);
    ck_assert_int_eq(afz_problem_type_find("orderNotReady")->http_status, 403);
    ck_assert_ptr_null(afz_problem_type_find("BadNonce"));
    ck_assert_ptr_null(afz_problem_type_find(NULL));
}
END_TEST

START_TEST(test_acme_problem_body)
{
    /* hostile detail: quotes, backslash, control bytes, non-UTF-8 */
    static const char detail[] = "a \"q\" \\ \n\t\x01 \xff\xfe end";
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(
        afz_problem_body(&b, 429, "rateLimited", detail, sizeof(detail) - 1, ",\"subproblems\":[]"),
        AFZ_OK);
    cJSON *j = NULL;
    ck_assert_int_eq(afz_json_parse(b.data, b.len, &j), AFZ_OK);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "type")->valuestring,
                     "urn:ietf:params:acme:error:rateLimited");
    ck_assert_str_eq(cJSON_GetObjectItem(j, "detail")->valuestring, "a \"q\" \\ \n\t\x01 ?? end");
    ck_assert_int_eq(cJSON_GetObjectItem(j, "status")->valueint, 429);
    ck_assert(cJSON_IsArray(cJSON_GetObjectItem(j, "subproblems")));
    cJSON_Delete(j);
    /* the member order every writer used before: type, detail, status */
    afz_buf_reset(&b);
    ck_assert_int_eq(afz_problem_body(&b, 400, "badNonce", "x", 1, NULL), AFZ_OK);
    ck_assert_str_eq(b.data, "{\"type\":\"urn:ietf:params:acme:error:badNonce\",\"detail\":\"x\","
                             "\"status\":400}");
    afz_buf_cleanup(&b);
}
END_TEST

/* The server model's objects move only along the 7.1.6 diagrams: every
 * status it shows for an order, authorization or challenge is one that
 * object may carry, and two reads of one URL show the same status or one
 * reachable from the first. Without faults, sync and async. */
static void check_model_follows_diagram(int async)
{
    afz_world w;
    ck_assert_int_eq(afz_world_init(&w), AFZ_OK);
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    cfg.seed = 11;
    cfg.server.async_finalize = async;
    cfg.server.finalize_polls = 2;
    cfg.server.authz_pending_polls = 2;
    afz_run_result res;
    afz_run_result_init(&res);
    ck_assert_int_eq(afz_run(&w, &afz_client_reference, &cfg, &res), AFZ_OK);
    ck_assert_int_eq(res.client_rc, AFZ_OK);
    const afz_history *h = &res.history;
    size_t seen = 0;
    for (size_t i = 0; i < h->n_ex; i++) {
        const afz_exchange *e = &h->ex[i];
        afz_acme_obj obj;
        if (e->resource == AFZ_RES_ORDER)
            obj = AFZ_OBJ_ORDER;
        else if (e->resource == AFZ_RES_AUTHZ)
            obj = AFZ_OBJ_AUTHZ;
        else if (e->resource == AFZ_RES_CHALLENGE)
            obj = AFZ_OBJ_CHALLENGE;
        else
            continue;
        cJSON *j = NULL;
        if (e->resp.status != 200 || afz_json_parse(e->resp.body, e->resp.body_len, &j) != AFZ_OK)
            continue;
        afz_status now;
        ck_assert(afz_status_parse(cJSON_GetStringValue(cJSON_GetObjectItem(j, "status")), &now));
        cJSON_Delete(j);
        ck_assert_msg(afz_status_allowed(obj, now), "#%zu %s %s", i + 1, afz_acme_obj_name(obj),
                      afz_status_name(now));
        seen++;
        /* the last earlier read of the same URL */
        for (size_t k = i; k-- > 0;) {
            const afz_exchange *p = &h->ex[k];
            if (p->resource != e->resource || strcmp(p->req.url, e->req.url) != 0 ||
                p->resp.status != 200)
                continue;
            cJSON *pj = NULL;
            ck_assert_int_eq(afz_json_parse(p->resp.body, p->resp.body_len, &pj), AFZ_OK);
            afz_status before;
            ck_assert(
                afz_status_parse(cJSON_GetStringValue(cJSON_GetObjectItem(pj, "status")), &before));
            cJSON_Delete(pj);
            ck_assert_msg(before == now || afz_status_reachable(obj, before, now),
                          "#%zu %s: %s after %s", i + 1, e->req.url, afz_status_name(now),
                          afz_status_name(before));
            break;
        }
    }
    ck_assert_uint_ge(seen, 5);
    afz_run_result_cleanup(&res);
    afz_world_cleanup(&w);
}

START_TEST(test_acme_model_follows_diagram_sync)
{
    check_model_follows_diagram(0);
}
END_TEST

START_TEST(test_acme_model_follows_diagram_async)
{
    check_model_follows_diagram(1);
}
END_TEST

Suite *acme_suite(void)
{
    Suite *s = suite_create("acme");
    TCase *tc = tcase_create("vocabulary");
    tcase_add_test(tc, test_acme_status_names_round_trip);
    tcase_add_test(tc, test_acme_allowed_statuses);
    tcase_add_test(tc, test_acme_transitions);
    tcase_add_test(tc, test_acme_final_states);
    tcase_add_test(tc, test_acme_problem_types);
    tcase_add_test(tc, test_acme_problem_body);
    suite_add_tcase(s, tc);
    TCase *model = tcase_create("model");
    tcase_set_timeout(model, 60);
    tcase_add_test(model, test_acme_model_follows_diagram_sync);
    tcase_add_test(model, test_acme_model_follows_diagram_async);
    suite_add_tcase(s, model);
    return s;
}
