/* check_history_json.c - afz_history_from_json reads back what
 * afz_history_to_json writes, byte for byte, and refuses anything else
 * with a reason, leaving nothing allocated. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "afz_clients.h"
#include "afz_clock.h"
#include "afz_history.h"
#include "afz_run.h"
#include "afz_scenario.h"

static afz_world world;

static void world_setup(void)
{
    ck_assert_int_eq(afz_world_init(&world), AFZ_OK);
}

static void world_teardown(void)
{
    afz_world_cleanup(&world);
}

/* to_json(from_json(to_json(h))) == to_json(h), and the loaded history
 * has the same shape as |h|. */
static void assert_round_trip(const afz_history *h)
{
    afz_buf a, b;
    afz_buf_init(&a, 0);
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_history_to_json(h, &a), AFZ_OK);
    afz_history back;
    char why[256] = "";
    ck_assert_msg(afz_history_from_json(a.data, a.len, &back, why, sizeof(why)) == AFZ_OK, "%s",
                  why);
    ck_assert_uint_eq(back.n_ex, h->n_ex);
    ck_assert_uint_eq(back.n_ev, h->n_ev);
    ck_assert_uint_eq(back.next_seq, h->next_seq);
    for (size_t i = 0; i < h->n_ex; i++) {
        ck_assert_uint_eq(back.ex[i].seq, h->ex[i].seq);
        ck_assert_int_eq(back.ex[i].delivered, h->ex[i].delivered);
        ck_assert_int_eq(back.ex[i].resource, h->ex[i].resource);
        ck_assert_uint_eq(back.ex[i].req.body_len, h->ex[i].req.body_len);
        ck_assert_uint_eq(back.ex[i].resp.body_len, h->ex[i].resp.body_len);
    }
    for (size_t i = 0; i < h->n_ev; i++) {
        ck_assert_int_eq(back.ev[i].kind, h->ev[i].kind);
        ck_assert_uint_eq(back.ev[i].exchange, h->ev[i].exchange);
        ck_assert_int_eq(back.ev[i].value, h->ev[i].value);
    }
    ck_assert_int_eq(afz_history_to_json(&back, &b), AFZ_OK);
    ck_assert_uint_eq(a.len, b.len);
    ck_assert_msg(memcmp(a.data, b.data, a.len) == 0, "the round trip changed the JSON");
    afz_history_cleanup(&back);
    afz_buf_cleanup(&a);
    afz_buf_cleanup(&b);
}

/* A real run: the reference client under faults that leave bodies
 * binary, drop a response and inject events of every sort. */
START_TEST(test_history_json_round_trips_a_reference_run)
{
    static const char scn[] = "identifiers 2\n"
                              "attempts 2\n"
                              "finalize * -> async_finalize(polls=2, delay=0s, retry_after=1)\n"
                              "newOrder @1 -> bad_nonce()\n"
                              "order @1 -> drop_connection()\n"
                              "certificate @1 -> truncate_body()\n"
                              "any * -> unknown_fields()\n";
    afz_plan plan;
    afz_scn_error err;
    ck_assert_msg(afz_scenario_parse(scn, sizeof(scn) - 1, &plan, &err) == AFZ_OK, "%u: %s",
                  err.line, err.msg);
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    afz_run_config_apply_plan(&cfg, &plan);
    cfg.plan = &plan;
    afz_run_result r;
    afz_run_result_init(&r);
    ck_assert_int_eq(afz_run(&world, &afz_client_reference, &cfg, &r), AFZ_OK);
    ck_assert_uint_ge(r.history.n_ex, 10);
    int undelivered = 0;
    for (size_t i = 0; i < r.history.n_ex; i++)
        undelivered += !r.history.ex[i].delivered;
    ck_assert_int_ge(undelivered, 1);
    assert_round_trip(&r.history);

    /* In-process runs keep the default epoch: the wall clock comes back. */
    afz_buf a;
    afz_buf_init(&a, 0);
    ck_assert_int_eq(afz_history_to_json(&r.history, &a), AFZ_OK);
    afz_history back;
    ck_assert_int_eq(afz_history_from_json(a.data, a.len, &back, NULL, 0), AFZ_OK);
    for (size_t i = 0; i < back.n_ex; i++)
        ck_assert_int_eq(back.ex[i].wall_ms, r.history.ex[i].wall_ms);
    afz_history_cleanup(&back);
    afz_buf_cleanup(&a);
    afz_run_result_cleanup(&r);
}
END_TEST

/* Hand-made corners: a binary body, an empty one, a transport failure,
 * every optional event string, negative and saturated times. */
START_TEST(test_history_json_round_trips_corners)
{
    afz_history h;
    afz_history_init(&h);
    afz_request rq;
    afz_response rs;
    static const uint8_t bin[] = {0x30, 0x82, 0x00, 0x01, 0xff, '\n'};
    ck_assert_int_eq(afz_request_init(&rq, "POST", "https://acme.invalid/finalize/1"), AFZ_OK);
    ck_assert_int_eq(afz_request_set_body(&rq, bin, sizeof(bin)), AFZ_OK);
    ck_assert_int_eq(afz_headers_add(&rq.headers, "Content-Type", "application/jose+json"), AFZ_OK);
    afz_response_init(&rs);
    rs.status = 200;
    ck_assert_int_eq(afz_headers_add(&rs.headers, "Retry-After", "1"), AFZ_OK);
    ck_assert_int_eq(afz_headers_add(&rs.headers, "Retry-After", "\t\"odd\\value\""), AFZ_OK);
    ck_assert_int_eq(afz_response_set_body(&rs, "caf\xc3\xa9 {\"a\":1}\r\n", 14), AFZ_OK);
    ck_assert_int_eq(
        afz_history_add_event(
            &h, &(afz_event_in){.kind = AFZ_EV_FAULT_CONFIG, .detail = "config", .value = 1}),
        AFZ_OK);
    ck_assert_int_eq(afz_history_add_exchange(&h, &rq, &rs, AFZ_RES_FINALIZE, -5, 7), AFZ_OK);
    ck_assert_int_eq(afz_history_add_exchange(&h, &rq, NULL, AFZ_RES_UNKNOWN, INT64_MAX, 0),
                     AFZ_OK);
    ck_assert_int_eq(
        afz_history_add_event(&h, &(afz_event_in){.kind = AFZ_EV_CERT_ISSUED,
                                                  .mono_ms = 123456789012345,
                                                  .url = "https://acme.invalid/cert/1",
                                                  .related_url = "https://acme.invalid/order/1",
                                                  .identifiers = "a.example,b.example",
                                                  .serial = "0aff",
                                                  .detail = "why \x01 not",
                                                  .value = INT64_MIN}),
        AFZ_OK);
    afz_request_cleanup(&rq);
    ck_assert_int_eq(afz_request_init(&rq, "GET", "https://acme.invalid/directory"), AFZ_OK);
    rs.status = 404;
    afz_response_set_body(&rs, NULL, 0);
    ck_assert_int_eq(afz_history_add_exchange(&h, &rq, &rs, AFZ_RES_DIRECTORY, 9, 9), AFZ_OK);
    assert_round_trip(&h);
    afz_request_cleanup(&rq);
    afz_response_cleanup(&rs);
    afz_history_cleanup(&h);

    /* The empty history too. */
    afz_history_init(&h);
    assert_round_trip(&h);
    afz_history_cleanup(&h);
}
END_TEST

#define EX(fields) "{\"index\":0,\"seq\":0,\"t_ms\":0,\"resource\":\"order\"," fields "}"
#define RQ "\"request\":{\"method\":\"GET\",\"url\":\"u\",\"headers\":[],\"body\":\"\"}"
#define RS "\"response\":{\"status\":200,\"headers\":[],\"body\":\"\"}"
#define DOC(xs, es) "{\"exchanges\":[" xs "],\"events\":[" es "]}"

static const struct {
    const char *json;
    const char *why; /* a piece of the reason */
} bad_inputs[] = {
    {"", "not valid JSON"},
    {"[]", "JSON object"},
    {"\"history\"", "JSON object"},
    {"{\"exchanges\":[]}", "\"events\" is missing"},
    {"{\"exchanges\":{},\"events\":[]}", "\"exchanges\" is not an array"},
    {"{\"exchanges\":[],\n\"events\":[\n", "line 2"},
    {"{\"exchanges\":[],\"events\":[]} x", "line 1, column 30"},
    {"{\"exchanges\":[],\"events\":[],\"events\":[]}", "appears twice"},
    {DOC("1", ""), "exchanges[0]: not an object"},
    {DOC(EX(RQ), ""), "\"response\" is missing"},
    {DOC(EX(RQ "," RS ",\"index\":1"), ""), "appears twice"},
    {DOC("{\"index\":0,\"seq\":0,\"t_ms\":\"0\",\"resource\":\"order\"," RQ "," RS "}", ""),
     "\"t_ms\" is not a number"},
    {DOC("{\"index\":0,\"seq\":0,\"t_ms\":0.5,\"resource\":\"order\"," RQ "," RS "}", ""),
     "not an integer"},
    {DOC("{\"index\":0,\"seq\":0,\"t_ms\":1e300,\"resource\":\"order\"," RQ "," RS "}", ""),
     "out of range"},
    {DOC("{\"index\":3,\"seq\":0,\"t_ms\":0,\"resource\":\"order\"," RQ "," RS "}", ""),
     "\"index\" is 3"},
    {DOC("{\"index\":0,\"seq\":0,\"t_ms\":0,\"resource\":\"orders\"," RQ "," RS "}", ""),
     "unknown resource"},
    {DOC(EX("\"request\":{\"method\":\"GET\",\"url\":\"u\",\"headers\":[[\"a\"]],\"body\":\"\"}"
            "," RS),
         ""),
     "exchanges[0].request.headers[0]: not a [name, value] pair"},
    {DOC(EX("\"request\":{\"method\":\"GET\",\"url\":\"u\",\"headers\":[[\"a\",1]],\"body\":\"\"}"
            "," RS),
         ""),
     "headers[0]"},
    {DOC(EX("\"request\":{\"method\":\"\",\"url\":\"u\",\"headers\":[],\"body\":\"\"}," RS), ""),
     "\"method\""},
    {DOC(EX("\"request\":{\"method\":\"GETGETGETGETGETGET\",\"url\":\"u\",\"headers\":[],"
            "\"body\":\"\"}," RS),
         ""),
     "\"method\""},
    {DOC(EX("\"request\":{\"method\":\"GET\",\"url\":7,\"headers\":[],\"body\":\"\"}," RS), ""),
     "\"url\" is not a string"},
    {DOC(EX("\"request\":{\"method\":\"GET\",\"url\":\"u\",\"headers\":[]}," RS), ""),
     "exactly one of"},
    {DOC(EX("\"request\":{\"method\":\"GET\",\"url\":\"u\",\"headers\":[],\"body\":\"\","
            "\"body_b64\":\"\"}," RS),
         ""),
     "exactly one of"},
    {DOC(EX(RQ ",\"response\":{\"status\":200,\"headers\":[],\"body_b64\":\"a=\"}"), ""),
     "exchanges[0].response: \"body_b64\" is not base64url"},
    {DOC(EX(RQ ",\"response\":{\"status\":1000,\"headers\":[],\"body\":\"\"}"), ""),
     "\"status\" is out of range"},
    {DOC(EX(RQ ",\"response\":[]"), ""), "neither an object nor null"},
    {DOC("", "{\"kind\":\"sleep\",\"seq\":0,\"exchange\":0,\"t_ms\":0,\"value\":0,\"url\":null}"),
     "events[0]: \"url\" is not a string"},
    {DOC("", "{\"kind\":\"nap\",\"seq\":0,\"exchange\":0,\"t_ms\":0,\"value\":0}"),
     "unknown event kind"},
    {DOC("", "{\"kind\":\"sleep\",\"seq\":0,\"exchange\":1,\"t_ms\":0,\"value\":0}"),
     "exchanges come before it"},
    {DOC("", "{\"kind\":\"sleep\",\"seq\":1,\"exchange\":0,\"t_ms\":0,\"value\":0}"),
     "seq 0 is neither"},
    {DOC("", "{\"kind\":\"sleep\",\"seq\":-1,\"exchange\":0,\"t_ms\":0,\"value\":0}"),
     "\"seq\" is out of range"},
    {DOC(EX(RQ "," RS), "{\"kind\":\"sleep\",\"seq\":0,\"exchange\":0,\"t_ms\":0,\"value\":0}"),
     "seq 1 is neither"},
};

START_TEST(test_history_json_rejects_malformed)
{
    afz_history h;
    char why[256] = "";
    const char *in = bad_inputs[_i].json;
    ck_assert_int_eq(afz_history_from_json(in, strlen(in), &h, why, sizeof(why)), AFZ_EPARSE);
    ck_assert_msg(strstr(why, bad_inputs[_i].why), "input %d: '%s' lacks '%s'", _i, why,
                  bad_inputs[_i].why);
    /* nothing is left to free */
    ck_assert_uint_eq(h.n_ex, 0);
    ck_assert_uint_eq(h.n_ev, 0);
    ck_assert_ptr_null(h.ex);
    ck_assert_ptr_null(h.ev);
    afz_history_cleanup(&h);
}
END_TEST

/* Counts and sizes past the caps are refused before anything is built. */
static void assert_refused(afz_buf *doc, const char *want)
{
    afz_history h;
    char why[256] = "";
    ck_assert_int_eq(afz_history_from_json(doc->data, doc->len, &h, why, sizeof(why)), AFZ_EPARSE);
    ck_assert_msg(strstr(why, want), "'%s' lacks '%s'", why, want);
    ck_assert_ptr_null(h.ex);
    ck_assert_ptr_null(h.ev);
    afz_buf_reset(doc);
}

START_TEST(test_history_json_rejects_huge_arrays)
{
    afz_buf doc;
    afz_buf_init(&doc, 0);
    afz_buf_puts(&doc, "{\"events\":[],\"exchanges\":[0");
    for (int i = 0; i < AFZ_HISTORY_JSON_MAX_EXCHANGES; i++)
        afz_buf_puts(&doc, ",0");
    afz_buf_puts(&doc, "]}");
    assert_refused(&doc, "more than 20000");

    afz_buf_puts(&doc, "{\"exchanges\":[],\"events\":[0");
    for (int i = 0; i < AFZ_HISTORY_JSON_MAX_EVENTS; i++)
        afz_buf_puts(&doc, ",0");
    afz_buf_puts(&doc, "]}");
    assert_refused(&doc, "more than 200000");

    afz_buf_puts(&doc, "{\"events\":[],\"exchanges\":[{\"index\":0,\"seq\":0,\"t_ms\":0,"
                       "\"resource\":\"order\",\"response\":null,\"request\":{\"method\":\"GET\","
                       "\"url\":\"u\",\"body\":\"\",\"headers\":[[\"a\",\"b\"]");
    for (int i = 0; i < AFZ_HISTORY_JSON_MAX_HEADERS; i++)
        afz_buf_puts(&doc, ",[\"a\",\"b\"]");
    afz_buf_puts(&doc, "]}}]}");
    assert_refused(&doc, "exchanges[0].request: 257 headers");

    afz_buf_puts(&doc, "{\"events\":[],\"exchanges\":[{\"index\":0,\"seq\":0,\"t_ms\":0,"
                       "\"resource\":\"order\",\"response\":null,\"request\":{\"method\":\"GET\","
                       "\"url\":\"u\",\"headers\":[],\"body_b64\":\"");
    for (int i = 0; i < AFZ_HISTORY_JSON_MAX_BODY / 3 + 2; i++)
        afz_buf_puts(&doc, "AAAA");
    afz_buf_puts(&doc, "\"}}]}");
    assert_refused(&doc, "\"body_b64\" is longer than");

    afz_buf_puts(&doc, "{\"events\":[{\"kind\":\"client_log\",\"seq\":0,\"exchange\":0,\"t_ms\":0,"
                       "\"value\":0,\"detail\":\"");
    for (int i = 0; i <= AFZ_HISTORY_JSON_MAX_STRING / 8; i++)
        afz_buf_puts(&doc, "12345678");
    afz_buf_puts(&doc, "\"}],\"exchanges\":[]}");
    assert_refused(&doc, "events[0]: \"detail\" is longer than");
    afz_buf_cleanup(&doc);
}
END_TEST

/* A failure part-way leaves nothing behind: the exchanges loaded before
 * it are freed. */
START_TEST(test_history_json_failure_late_frees_what_was_built)
{
    static const char doc[] = DOC(EX("\"wall_ms\":42," RQ "," RS),
                                  "{\"kind\":\"sleep\",\"seq\":1,\"exchange\":1,\"t_ms\":0,"
                                  "\"value\":0},{\"kind\":\"sleep\",\"seq\":2,\"exchange\":0,"
                                  "\"t_ms\":0,\"value\":0}");
    afz_history h;
    char why[256] = "";
    ck_assert_int_eq(afz_history_from_json(doc, sizeof(doc) - 1, &h, why, sizeof(why)), AFZ_EPARSE);
    ck_assert_msg(strstr(why, "events[1]: \"exchange\" is 0 but 1 exchanges"), "%s", why);
    ck_assert_ptr_null(h.ex);
    ck_assert_ptr_null(h.ev);

    /* Without the bad event it loads, and wall_ms is taken as written. */
    static const char good[] = DOC(EX("\"wall_ms\":42," RQ "," RS), "");
    ck_assert_int_eq(afz_history_from_json(good, sizeof(good) - 1, &h, why, sizeof(why)), AFZ_OK);
    ck_assert_uint_eq(h.n_ex, 1);
    ck_assert_int_eq(h.ex[0].wall_ms, 42);
    ck_assert_int_eq(h.ex[0].delivered, 1);
    ck_assert_int_eq(h.ex[0].resp.status, 200);
    afz_history_cleanup(&h);
}
END_TEST

Suite *history_json_suite(void)
{
    Suite *s = suite_create("history_json");
    TCase *tc = tcase_create("core");
    tcase_add_unchecked_fixture(tc, world_setup, world_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_history_json_round_trips_a_reference_run);
    tcase_add_test(tc, test_history_json_round_trips_corners);
    tcase_add_loop_test(tc, test_history_json_rejects_malformed, 0,
                        (int)(sizeof(bad_inputs) / sizeof(bad_inputs[0])));
    tcase_add_test(tc, test_history_json_rejects_huge_arrays);
    tcase_add_test(tc, test_history_json_failure_late_frees_what_was_built);
    suite_add_tcase(s, tc);
    return s;
}
