/* check_history.c - the history records copies, orders exchanges and
 * events, resets cleanly and exports JSON and a readable log. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "afz_history.h"
#include "afz_json.h"

static void add_one(afz_history *h, const char *url, int status, const char *body)
{
    afz_request rq;
    afz_response rs;
    ck_assert_int_eq(afz_request_init(&rq, "POST", url), AFZ_OK);
    ck_assert_int_eq(afz_request_set_body(&rq, "{}", 2), AFZ_OK);
    afz_response_init(&rs);
    rs.status = status;
    ck_assert_int_eq(afz_headers_add(&rs.headers, "Content-Type", "application/json"), AFZ_OK);
    ck_assert_int_eq(afz_response_set_body(&rs, body, strlen(body)), AFZ_OK);
    ck_assert_int_eq(afz_history_add_exchange(h, &rq, &rs, AFZ_RES_ORDER, 5, 1005), AFZ_OK);
    /* The history holds copies: the caller's objects may go away. */
    afz_request_cleanup(&rq);
    afz_response_cleanup(&rs);
}

START_TEST(test_history_records_copies_in_order)
{
    afz_history h;
    afz_history_init(&h);
    ck_assert_int_eq(
        afz_history_add_event(&h, &(afz_event_in){.kind = AFZ_EV_SLEEP, .value = 1000}), AFZ_OK);
    add_one(&h, "https://acme.invalid/order/1", 200, "{\"status\":\"processing\"}");
    ck_assert_int_eq(
        afz_history_add_event(&h, &(afz_event_in){.kind = AFZ_EV_CERT_ISSUED,
                                                  .mono_ms = 7,
                                                  .url = "https://acme.invalid/cert/1",
                                                  .related_url = "https://acme.invalid/order/1",
                                                  .identifiers = "example.com",
                                                  .serial = "1f"}),
        AFZ_OK);
    ck_assert_uint_eq(h.n_ex, 1);
    ck_assert_uint_eq(h.n_ev, 2);
    ck_assert_uint_eq(h.ev[0].seq, 0);
    ck_assert_uint_eq(h.ex[0].seq, 1);
    ck_assert_uint_eq(h.ev[1].seq, 2);
    ck_assert_uint_eq(h.ev[0].exchange, 0);
    ck_assert_uint_eq(h.ev[1].exchange, 1);
    ck_assert_str_eq(h.ex[0].req.url, "https://acme.invalid/order/1");
    ck_assert_int_eq(h.ex[0].resp.status, 200);
    ck_assert_int_eq(h.ex[0].delivered, 1);
    ck_assert_str_eq(h.ev[1].serial, "1f");
    ck_assert_ptr_null(h.ev[0].url);
    afz_history_cleanup(&h);
}
END_TEST

START_TEST(test_history_transport_failure_has_no_response)
{
    afz_history h;
    afz_history_init(&h);
    afz_request rq;
    ck_assert_int_eq(afz_request_init(&rq, "POST", "https://acme.invalid/finalize/1"), AFZ_OK);
    ck_assert_int_eq(afz_history_add_exchange(&h, &rq, NULL, AFZ_RES_FINALIZE, 0, 0), AFZ_OK);
    afz_request_cleanup(&rq);
    ck_assert_int_eq(h.ex[0].delivered, 0);
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_history_to_json(&h, &b), AFZ_OK);
    cJSON *j = NULL;
    ck_assert_int_eq(afz_json_parse_object(b.data, b.len, &j), AFZ_OK);
    const cJSON *xs = afz_json_array(j, "exchanges");
    ck_assert_ptr_nonnull(xs);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(xs, 0), "response")));
    cJSON_Delete(j);
    afz_buf_reset(&b);
    ck_assert_int_eq(afz_history_print_log(&h, 0, &b), AFZ_OK);
    ck_assert_ptr_nonnull(strstr(b.data, "transport error"));
    afz_buf_cleanup(&b);
    afz_history_cleanup(&h);
}
END_TEST

START_TEST(test_history_json_round_trips_bodies)
{
    afz_history h;
    afz_history_init(&h);
    add_one(&h, "https://acme.invalid/order/1", 200, "{\"status\":\"valid\"}");
    /* A binary body is exported as base64url, not mangled text. */
    afz_request rq;
    afz_response rs;
    ck_assert_int_eq(afz_request_init(&rq, "POST", "https://acme.invalid/cert/1"), AFZ_OK);
    afz_response_init(&rs);
    rs.status = 200;
    static const uint8_t bin[] = {0x30, 0x82, 0x00, 0xff};
    ck_assert_int_eq(afz_response_set_body(&rs, bin, sizeof(bin)), AFZ_OK);
    ck_assert_int_eq(afz_history_add_exchange(&h, &rq, &rs, AFZ_RES_CERT, 9, 9), AFZ_OK);
    afz_request_cleanup(&rq);
    afz_response_cleanup(&rs);

    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_history_to_json(&h, &b), AFZ_OK);
    cJSON *j = NULL;
    ck_assert_int_eq(afz_json_parse_object(b.data, b.len, &j), AFZ_OK);
    const cJSON *xs = afz_json_array(j, "exchanges");
    ck_assert_int_eq(cJSON_GetArraySize(xs), 2);
    const cJSON *r0 = afz_json_object(cJSON_GetArrayItem(xs, 0), "response");
    ck_assert_str_eq(afz_json_str(r0, "body"), "{\"status\":\"valid\"}");
    const cJSON *r1 = afz_json_object(cJSON_GetArrayItem(xs, 1), "response");
    ck_assert_str_eq(afz_json_str(r1, "body_b64"), "MIIA_w");
    ck_assert_str_eq(afz_json_str(cJSON_GetArrayItem(xs, 1), "resource"), "certificate");
    cJSON_Delete(j);
    afz_buf_cleanup(&b);
    afz_history_cleanup(&h);
}
END_TEST

START_TEST(test_history_reset_keeps_nothing)
{
    afz_history h;
    afz_history_init(&h);
    for (int i = 0; i < 100; i++)
        add_one(&h, "https://acme.invalid/order/1", 200, "{}");
    afz_history_add_event(
        &h, &(afz_event_in){
                .kind = AFZ_EV_ORDER_CREATED, .mono_ms = 1, .url = "u", .identifiers = "a,b"});
    afz_history_reset(&h);
    ck_assert_uint_eq(h.n_ex, 0);
    ck_assert_uint_eq(h.n_ev, 0);
    ck_assert_uint_eq(h.next_seq, 0);
    add_one(&h, "https://acme.invalid/order/2", 201, "{}");
    ck_assert_uint_eq(h.ex[0].seq, 0);
    ck_assert_uint_eq(h.ex[0].index, 0);
    afz_history_cleanup(&h);
}
END_TEST

START_TEST(test_history_log_names_status_and_retry_after)
{
    afz_history h;
    afz_history_init(&h);
    afz_request rq;
    afz_response rs;
    ck_assert_int_eq(afz_request_init(&rq, "POST", "https://acme.invalid/order/7"), AFZ_OK);
    afz_response_init(&rs);
    rs.status = 200;
    afz_headers_add(&rs.headers, "Retry-After", "3");
    const char *body = "{\"status\":\"processing\",\"finalize\":\"x\"}";
    afz_response_set_body(&rs, body, strlen(body));
    afz_history_add_exchange(&h, &rq, &rs, AFZ_RES_ORDER, 2500, 0);
    afz_request_cleanup(&rq);
    afz_response_cleanup(&rs);
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_history_print_log(&h, 0, &b), AFZ_OK);
    ck_assert_ptr_nonnull(strstr(b.data, "#1"));
    ck_assert_ptr_nonnull(strstr(b.data, "/order/7"));
    ck_assert_ptr_nonnull(strstr(b.data, "status=processing"));
    ck_assert_ptr_nonnull(strstr(b.data, "Retry-After=3"));
    ck_assert_ptr_nonnull(strstr(b.data, "t=   2.500s"));
    afz_buf_cleanup(&b);
    afz_history_cleanup(&h);
}
END_TEST

Suite *history_suite(void)
{
    Suite *s = suite_create("history");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_history_records_copies_in_order);
    tcase_add_test(tc, test_history_transport_failure_has_no_response);
    tcase_add_test(tc, test_history_json_round_trips_bodies);
    tcase_add_test(tc, test_history_reset_keeps_nothing);
    tcase_add_test(tc, test_history_log_names_status_and_retry_after);
    suite_add_tcase(s, tc);
    return s;
}
