/* check_property.c - every property on hand-built histories that hold and
 * that break it, the boundaries its rule names, the property table, and
 * end to end: the reference client's own runs break none. Histories use
 * their own URL layout (prop_fixtures.h): properties must not depend on
 * the server model's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "afz_clients.h"
#include "afz_report.h"
#include "afz_run.h"
#include "prop_fixtures.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static fx_resp problem(int status, const char *body)
{
    return (fx_resp){.status = status, .body = body};
}

/* ---- the table ---------------------------------------------------------- */

START_TEST(test_property_table_has_stable_ids)
{
    static const char *const ids[] = {
        "no-refinalize",         "no-duplicate-issuance",
        "no-orphan-issuance",    "bounded-new-orders",
        "respects-retry-after",  "poll-backoff",
        "post-as-get-empty",     "nonce-discipline",
        "jws-headers",           "cert-url-from-order",
        "final-states-final",    "terminates",
        "succeeds-under-legal",  "no-crash",
        "nonce-fresh",           "retries-bad-nonce",
        "bounded-valid-rereads", "no-unasked-authz-polls",
    };
    size_t n = 0;
    const afz_property *p = afz_properties(&n);
    ck_assert_uint_eq(n, NELEM(ids));
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(p[i].id, ids[i]);
        ck_assert_ptr_eq(afz_property_find(ids[i]), &p[i]);
        ck_assert_ptr_nonnull(p[i].check);
        ck_assert(p[i].rfc && *p[i].rfc && p[i].rationale && *p[i].rationale);
        ck_assert_str_ne(afz_level_name(p[i].level), "?");
    }
    ck_assert_ptr_null(afz_property_find("no-such-property"));
    ck_assert_ptr_null(afz_property_find(NULL));
    /* levels are those of the sentences cited (docs/PROPERTIES.md) */
    ck_assert_int_eq(afz_property_find("poll-backoff")->level, AFZ_LEVEL_HARM);
    ck_assert_int_eq(afz_property_find("respects-retry-after")->level, AFZ_LEVEL_ROBUST);
    ck_assert_int_eq(afz_property_find("no-refinalize")->level, AFZ_LEVEL_SHOULD);
    ck_assert_int_eq(afz_property_find("final-states-final")->level, AFZ_LEVEL_SHOULD);
    ck_assert_int_eq(afz_property_find("succeeds-under-legal")->level, AFZ_LEVEL_ROBUST);
    ck_assert_int_eq(afz_property_find("cert-url-from-order")->level, AFZ_LEVEL_ROBUST);
    ck_assert_int_eq(afz_property_find("nonce-fresh")->level, AFZ_LEVEL_ROBUST);
    ck_assert_int_eq(afz_property_find("retries-bad-nonce")->level, AFZ_LEVEL_SHOULD);
    ck_assert_int_eq(afz_property_find("no-crash")->level, AFZ_LEVEL_HARM);
    ck_assert_int_eq(afz_property_find("nonce-discipline")->level, AFZ_LEVEL_MUST);
    ck_assert_int_eq(afz_property_find("post-as-get-empty")->level, AFZ_LEVEL_MUST);
    ck_assert_int_eq(afz_property_find("terminates")->level, AFZ_LEVEL_HARM);
    ck_assert_int_eq(afz_property_find("no-duplicate-issuance")->level, AFZ_LEVEL_HARM);
    ck_assert_int_eq(afz_property_find("bounded-valid-rereads")->level, AFZ_LEVEL_HARM);
    ck_assert_int_eq(afz_property_find("no-unasked-authz-polls")->level, AFZ_LEVEL_HARM);
    ck_assert_int_eq(afz_property_find("jws-headers")->level, AFZ_LEVEL_MUST);
    ck_assert_str_eq(afz_verdict_name(AFZ_VERDICT_INCONCLUSIVE), "inconclusive");
    ck_assert_str_eq(afz_level_name(AFZ_LEVEL_MUST), "MUST");
}
END_TEST

START_TEST(test_property_limits_defaults)
{
    afz_prop_limits l;
    afz_prop_limits_default(&l);
    ck_assert_int_eq(l.min_poll_interval_ms, 1000);
    ck_assert_uint_eq(l.max_polls_per_resource, 50);
    ck_assert_uint_eq(l.max_new_orders_per_attempt, 2);
    ck_assert_uint_eq(l.max_requests, 300);
    ck_assert_int_eq(l.max_virtual_ms, INT64_C(86400000));
    ck_assert_int_eq(l.retry_after_tolerance_ms, 0);
    ck_assert_int_eq(l.malformed_retry_after_floor_ms, 1000);
    ck_assert_int_eq(l.retry_after_cap_ms, INT64_C(3600000));
    ck_assert_uint_eq(l.max_certless_valid_rereads, 10);
    ck_assert_int_eq(l.certless_reread_quick_ms, 10000);
    ck_assert_uint_eq(l.max_unasked_authz_rereads, 3);
}
END_TEST

START_TEST(test_property_without_trace_is_inconclusive)
{
    fx f;
    fx_init(&f);
    fx_to_certificate(&f);
    afz_prop_result r;
    afz_property_find("no-refinalize")->check(&f.in, &r);
    ck_assert_int_eq(r.verdict, AFZ_VERDICT_INCONCLUSIVE);
    /* the event-only ones still judge */
    afz_property_find("no-duplicate-issuance")->check(&f.in, &r);
    ck_assert_int_eq(r.verdict, AFZ_VERDICT_PASS);
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_property_clean_history_holds_everything)
{
    fx f;
    fx_init(&f);
    fx_to_certificate(&f);
    fx_event(&f, AFZ_EV_CLIENT_DONE, NULL, NULL, NULL, NULL, "certificate obtained", 1);
    static const char *const names[] = {"example.com"};
    f.in.identifiers = names;
    f.in.n_identifiers = 1;
    f.in.client_succeeded = 1;
    size_t n;
    const afz_property *p = afz_properties(&n);
    for (size_t i = 0; i < n; i++)
        fx_assert_pass(&f, p[i].id);
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_property_messages_are_one_line)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    /* a payload with a newline must not break the message */
    size_t bad = fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "{\n}", fx_ok(FX_ORDER_BODY("ready")));
    afz_prop_result r = fx_check(&f, "post-as-get-empty");
    ck_assert_int_eq(r.verdict, AFZ_VERDICT_VIOLATION);
    ck_assert_uint_eq(r.exchange, bad);
    ck_assert_ptr_null(strchr(r.message, '\n'));
    char tag[16];
    snprintf(tag, sizeof(tag), "#%zu ", bad + 1);
    ck_assert_ptr_nonnull(strstr(r.message, tag));
    fx_cleanup(&f);
}
END_TEST

/* ---- no-refinalize ------------------------------------------------------ */

START_TEST(test_property_no_refinalize_holds_async_flow)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_BODY("processing"), .location = FX_ORDER});
    fx_sleep(&f, 1000);
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_VALID));
    fx_assert_pass(&f, "no-refinalize");
    fx_cleanup(&f);
}
END_TEST

/* The first finalize is never judged (RFC 8555 7.4: the client finalizes
 * "once the client believes it has fulfilled the server's requirements";
 * a premature one earns orderNotReady, the server's job). Then, once the
 * refusal is in, a retry is fair while the order shows "pending"/"ready",
 * and a violation once it shows "processing". */
START_TEST(test_property_no_refinalize_first_finalize_of_pending_order_passes)
{
    fx f;
    fx_init(&f);
    fx_to_account(&f);
    fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD,
            (fx_resp){.status = 201, .body = FX_ORDER_BODY("pending"), .location = FX_ORDER});
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            problem(403, FX_PROBLEM("orderNotReady", 403)));
    fx_assert_pass(&f, "no-refinalize");
    fx_cleanup(&f);
}
END_TEST

/* RFC 8555 7.4 lets a client finalize once it believes the requirements
 * are met: lego and certbot finalize a "pending" order as soon as its
 * challenges or authorizations show "valid", without reading the order
 * again (node acme-client too). A first finalize passes whatever the
 * client last saw; the exchange shape is the one that tripped the old
 * check on those clients ("last seen "pending", not "ready""). */
START_TEST(test_property_no_refinalize_pending_order_with_valid_authzs_passes)
{
    for (int authz_valid = 0; authz_valid <= 1; authz_valid++) {
        fx f;
        fx_init(&f);
        fx_to_account(&f);
        fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD,
                (fx_resp){.status = 201, .body = FX_ORDER_BODY("pending"), .location = FX_ORDER});
        fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
        fx_post(&f, AFZ_RES_CHALLENGE, FX_CHALL, "{}", fx_ok(FX_CHALL_BODY("processing")));
        fx_sleep(&f, 1000);
        fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "",
                fx_ok(authz_valid ? FX_AUTHZ_BODY("valid") : FX_AUTHZ_BODY("pending")));
        size_t fin = fx_post(
            &f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_BODY("processing"), .location = FX_ORDER});
        (void)fin;
        fx_assert_pass(&f, "no-refinalize");
        fx_cleanup(&f);
    }
}
END_TEST

/* The 2023-07 pattern: finalize answered "processing", the client
 * finalizes again instead of polling. */
START_TEST(test_property_no_refinalize_finalize_after_processing_is_violation)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_BODY("processing"), .location = FX_ORDER});
    size_t bad = fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
                         problem(403, FX_PROBLEM("orderNotReady", 403)));
    fx_assert_violation(&f, "no-refinalize", bad);
    fx_cleanup(&f);
}
END_TEST

/* A lagging replica shows "ready" after the finalize was accepted: the
 * client knows better (it got a 200). */
START_TEST(test_property_no_refinalize_stale_ready_after_accepted_finalize_is_violation)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_BODY("processing"), .location = FX_ORDER});
    fx_sleep(&f, 1000);
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("ready")));
    size_t bad = fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
                         problem(403, FX_PROBLEM("orderNotReady", 403)));
    fx_assert_violation(&f, "no-refinalize", bad);
    afz_prop_result r = fx_check(&f, "no-refinalize");
    ck_assert_ptr_nonnull(strstr(r.message, "already accepted"));
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_property_no_refinalize_lost_response_then_ready_poll_passes)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR, fx_lost());
    fx_sleep(&f, 1000);
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("ready")));
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_VALID, .location = FX_ORDER});
    fx_assert_pass(&f, "no-refinalize");
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_property_no_refinalize_blind_retry_after_lost_response_is_violation)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR, fx_lost());
    fx_sleep(&f, 1000);
    size_t bad = fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
                         (fx_resp){.status = 200, .body = FX_ORDER_VALID, .location = FX_ORDER});
    fx_assert_violation(&f, "no-refinalize", bad);
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_property_no_refinalize_retry_after_bad_csr_passes)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR, problem(400, FX_PROBLEM("badCSR", 400)));
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_VALID, .location = FX_ORDER});
    fx_assert_pass(&f, "no-refinalize");
    fx_cleanup(&f);
}
END_TEST

/* Injected refusals (503, 429, 500, badNonce): the server did nothing. */
START_TEST(test_property_no_refinalize_retry_after_refusals_passes)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_post(
        &f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
        (fx_resp){.status = 503, .body = FX_PROBLEM("serverInternal", 503), .retry_after = "1"});
    fx_sleep(&f, 1000);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 429, .body = FX_PROBLEM("rateLimited", 429), .retry_after = "2"});
    fx_sleep(&f, 2000);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            problem(500, FX_PROBLEM("serverInternal", 500)));
    fx_sleep(&f, 1000);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR, problem(400, FX_PROBLEM("badNonce", 400)));
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_VALID, .location = FX_ORDER});
    fx_assert_pass(&f, "no-refinalize");
    fx_assert_pass(&f, "nonce-discipline");
    fx_assert_pass(&f, "respects-retry-after");
    fx_cleanup(&f);
}
END_TEST

/* orderNotReady is a refusal the server never processed: a retry is fair,
 * with or without a look in between, unless a look showed the order past
 * "ready" ("processing"). */
START_TEST(test_property_no_refinalize_order_not_ready_then_retry)
{
    static const char *const seen[] = {NULL, "ready", "pending", "processing"};
    for (size_t k = 0; k < NELEM(seen); k++) {
        fx f;
        fx_init(&f);
        fx_to_ready(&f);
        fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
                problem(403, FX_PROBLEM("orderNotReady", 403)));
        fx_sleep(&f, 1000);
        if (seen[k])
            fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "",
                    fx_ok(strcmp(seen[k], "ready") == 0     ? FX_ORDER_BODY("ready")
                          : strcmp(seen[k], "pending") == 0 ? FX_ORDER_BODY("pending")
                                                            : FX_ORDER_BODY("processing")));
        size_t again = fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
                               (fx_resp){.status = 200, .body = FX_ORDER_VALID});
        if (k == 3)
            fx_assert_violation(&f, "no-refinalize", again);
        else
            fx_assert_pass(&f, "no-refinalize");
        fx_cleanup(&f);
    }
}
END_TEST

/* Without a Location or "finalize" field tying the finalize URL to an
 * order, it is judged by itself (its own responses): a first finalize
 * passes, a second after an accepted one does not. */
START_TEST(test_property_no_refinalize_unmapped_finalize_url)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    const char *other = FX_BASE "/elsewhere/fin";
    fx_post(&f, AFZ_RES_FINALIZE, other, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_BODY("processing")});
    fx_assert_pass(&f, "no-refinalize");
    size_t bad = fx_post(&f, AFZ_RES_FINALIZE, other, FX_CSR,
                         problem(403, FX_PROBLEM("orderNotReady", 403)));
    fx_retrace(&f);
    fx_assert_violation(&f, "no-refinalize", bad);
    fx_cleanup(&f);
}
END_TEST

/* ---- no-duplicate-issuance ---------------------------------------------- */

START_TEST(test_property_no_duplicate_issuance_single_certificate_passes)
{
    fx f;
    fx_init(&f);
    fx_to_certificate(&f);
    fx_event(&f, AFZ_EV_CERT_ISSUED, FX_BASE "/pem/x", FX_BASE "/o/6", "www.example.com", "0b",
             NULL, 0);
    fx_post(&f, AFZ_RES_ORDER, FX_BASE "/o/6", "", fx_ok(FX_ORDER_VALID));
    fx_assert_pass(&f, "no-duplicate-issuance");
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_property_no_duplicate_issuance_second_certificate_is_violation)
{
    fx f;
    fx_init(&f);
    fx_to_certificate(&f);
    fx_event(&f, AFZ_EV_CERT_ISSUED, FX_BASE "/pem/x", FX_BASE "/o/6", FX_IDS, "0b", NULL, 0);
    size_t bad = fx_post(&f, AFZ_RES_ORDER, FX_BASE "/o/6", "", fx_ok(FX_ORDER_VALID));
    fx_assert_violation(&f, "no-duplicate-issuance", bad);
    afz_prop_result r = fx_check(&f, "no-duplicate-issuance");
    ck_assert_ptr_nonnull(strstr(r.message, "0b"));
    ck_assert_ptr_nonnull(strstr(r.message, "0a"));
    fx_cleanup(&f);
}
END_TEST

/* ---- no-orphan-issuance ------------------------------------------------- */

START_TEST(test_property_no_orphan_issuance_download_then_reorder_passes)
{
    fx f;
    fx_init(&f);
    fx_to_certificate(&f);
    fx_event(&f, AFZ_EV_ORDER_CREATED, FX_BASE "/o/6", NULL, FX_IDS, NULL, NULL, 0);
    fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD,
            (fx_resp){.status = 201, .body = FX_ORDER_BODY("pending"), .location = FX_BASE "/o/6"});
    fx_assert_pass(&f, "no-orphan-issuance");
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_property_no_orphan_issuance_reorder_before_download_is_violation)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_BODY("processing"), .location = FX_ORDER});
    fx_sleep(&f, 3000);
    fx_event(&f, AFZ_EV_CERT_ISSUED, FX_CERT, FX_ORDER, FX_IDS, "0a", NULL, 0);
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_VALID));
    /* the client gives up and orders the same names again */
    fx_event(&f, AFZ_EV_ORDER_CREATED, FX_BASE "/o/6", NULL, FX_IDS, NULL, NULL, 0);
    size_t bad = fx_post(
        &f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD,
        (fx_resp){.status = 201, .body = FX_ORDER_BODY("pending"), .location = FX_BASE "/o/6"});
    fx_assert_violation(&f, "no-orphan-issuance", bad);
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_property_no_orphan_issuance_other_names_pass)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_event(&f, AFZ_EV_CERT_ISSUED, FX_CERT, FX_ORDER, FX_IDS, "0a", NULL, 0);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_VALID, .location = FX_ORDER});
    fx_event(&f, AFZ_EV_ORDER_CREATED, FX_BASE "/o/6", NULL, "example.com,www.example.com", NULL,
             NULL, 0);
    fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD,
            (fx_resp){.status = 201, .body = FX_ORDER_BODY("pending"), .location = FX_BASE "/o/6"});
    fx_assert_pass(&f, "no-orphan-issuance");
    fx_cleanup(&f);
}
END_TEST

/* ---- bounded-new-orders ------------------------------------------------- */

static size_t new_order(fx *f, const char *payload, fx_resp r)
{
    return fx_post(f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, payload, r);
}

static fx_resp created(void)
{
    return (fx_resp){.status = 201, .body = FX_ORDER_BODY("pending"), .location = FX_ORDER};
}

START_TEST(test_property_bounded_new_orders_two_per_attempt_pass)
{
    fx f;
    fx_init(&f);
    fx_to_account(&f);
    new_order(&f, FX_NEW_ORDER_PAYLOAD, created());
    new_order(&f, FX_NEW_ORDER_PAYLOAD, created());
    fx_assert_pass(&f, "bounded-new-orders");
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_property_bounded_new_orders_third_is_violation)
{
    fx f;
    fx_init(&f);
    fx_to_account(&f);
    new_order(&f, FX_NEW_ORDER_PAYLOAD, created());
    new_order(&f, FX_NEW_ORDER_PAYLOAD, fx_lost()); /* may have created one: counts */
    size_t bad = new_order(&f, FX_NEW_ORDER_PAYLOAD, created());
    fx_assert_violation(&f, "bounded-new-orders", bad);
    /* two obtain calls allow four */
    f.in.attempts = 2;
    fx_assert_pass(&f, "bounded-new-orders");
    fx_cleanup(&f);
}
END_TEST

/* Refused requests created nothing. */
START_TEST(test_property_bounded_new_orders_refusals_do_not_count)
{
    fx f;
    fx_init(&f);
    fx_to_account(&f);
    new_order(&f, FX_NEW_ORDER_PAYLOAD, problem(400, FX_PROBLEM("badNonce", 400)));
    new_order(
        &f, FX_NEW_ORDER_PAYLOAD,
        (fx_resp){.status = 503, .body = FX_PROBLEM("serverInternal", 503), .retry_after = "0"});
    new_order(&f, FX_NEW_ORDER_PAYLOAD, problem(429, FX_PROBLEM("rateLimited", 429)));
    new_order(&f, FX_NEW_ORDER_PAYLOAD, created());
    new_order(&f, FX_NEW_ORDER_PAYLOAD, created());
    fx_assert_pass(&f, "bounded-new-orders");
    fx_cleanup(&f);
}
END_TEST

/* Identifier sets compare lower-cased, sorted, de-duplicated. */
START_TEST(test_property_bounded_new_orders_identifier_sets_are_canonical)
{
    fx f;
    fx_init(&f);
    fx_to_account(&f);
    new_order(&f,
              "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"WWW.Example.com\"},"
              "{\"type\":\"dns\",\"value\":\"example.com\"}]}",
              created());
    new_order(&f, FX_NEW_ORDER_PAYLOAD, created()); /* another set */
    new_order(&f,
              "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"example.com\"},"
              "{\"type\":\"dns\",\"value\":\"www.example.com\"}]}",
              created());
    size_t bad = new_order(&f,
                           "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"www.example.com\"},"
                           "{\"type\":\"dns\",\"value\":\"EXAMPLE.COM\"},"
                           "{\"type\":\"dns\",\"value\":\"example.com\"}]}",
                           created());
    fx_assert_violation(&f, "bounded-new-orders", bad);
    afz_prop_result r = fx_check(&f, "bounded-new-orders");
    ck_assert_ptr_nonnull(strstr(r.message, "[example.com,www.example.com]"));
    fx_cleanup(&f);
}
END_TEST

/* ---- respects-retry-after ----------------------------------------------- */

/* finalize answers "processing" with Retry-After: 3, then the order is
 * polled |wait| ms later. */
static const struct {
    int64_t wait;
    int violation;
} ra_boundary[] = {
    {3000, 0}, /* exactly at the instant */
    {2999, 1}, /* 1 ms before */
    {4000, 0},
    {0, 1},
};

START_TEST(test_property_respects_retry_after_instant_boundary)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200,
                      .body = FX_ORDER_BODY("processing"),
                      .location = FX_ORDER,
                      .retry_after = "3"});
    if (ra_boundary[_i].wait)
        fx_sleep(&f, ra_boundary[_i].wait);
    size_t poll =
        fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "",
                (fx_resp){.status = 200, .body = FX_ORDER_BODY("processing"), .retry_after = "3"});
    /* the order's own Retry-After binds its next poll the same way */
    fx_sleep(&f, 3000 - (ra_boundary[_i].violation ? 1 : 0));
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_VALID));
    if (ra_boundary[_i].violation)
        fx_assert_violation(&f, "respects-retry-after", poll);
    else
        fx_assert_pass(&f, "respects-retry-after");
    fx_cleanup(&f);
}
END_TEST

/* An HTTP-date counts from the response's wall clock: a response 1.5 s
 * into the run naming the whole second 8 s in asks for 6.5 s. */
START_TEST(test_property_respects_retry_after_http_date)
{
    for (int early = 0; early <= 1; early++) {
        fx f;
        fx_init(&f);
        fx_to_ready(&f); /* now = 1000 ms */
        fx_sleep(&f, 500);
        char date[AFZ_HTTPDATE_LEN];
        afz_httpdate_format(AFZ_CLOCK_DEFAULT_EPOCH_MS / 1000 + 8, date);
        fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
                (fx_resp){.status = 200,
                          .body = FX_ORDER_BODY("processing"),
                          .location = FX_ORDER,
                          .retry_after = date});
        fx_sleep(&f, 6500 - early);
        size_t poll = fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_VALID));
        ck_assert_int_eq(f.h.ex[poll].mono_ms, 8000 - early);
        if (early)
            fx_assert_violation(&f, "respects-retry-after", poll);
        else
            fx_assert_pass(&f, "respects-retry-after");
        fx_cleanup(&f);
    }
}
END_TEST

/* A malformed Retry-After gives no instant, only a floor of 1 s. */
START_TEST(test_property_respects_retry_after_malformed_floor)
{
    static const char *const bad_values[] = {"soon", "-1", "1.5", "", "2026-01-01T00:00:30Z"};
    for (size_t v = 0; v < NELEM(bad_values); v++) {
        for (int wait = 0; wait <= 1; wait++) {
            fx f;
            fx_init(&f);
            fx_to_ready(&f);
            fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
                    (fx_resp){.status = 200,
                              .body = FX_ORDER_BODY("processing"),
                              .location = FX_ORDER,
                              .retry_after = bad_values[v]});
            if (wait)
                fx_sleep(&f, 1000);
            size_t poll = fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_VALID));
            if (wait)
                fx_assert_pass(&f, "respects-retry-after");
            else
                fx_assert_violation(&f, "respects-retry-after", poll);
            fx_cleanup(&f);
        }
    }
}
END_TEST

/* Two disagreeing headers are as unusable as a malformed one; an absurd
 * delay (a day) is judged the same way. */
START_TEST(test_property_respects_retry_after_twice_or_absurd_is_floor)
{
    for (int absurd = 0; absurd <= 1; absurd++) {
        for (int wait = 0; wait <= 1; wait++) {
            fx f;
            fx_init(&f);
            fx_to_ready(&f);
            fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
                    (fx_resp){.status = 200,
                              .body = FX_ORDER_BODY("processing"),
                              .location = FX_ORDER,
                              .retry_after = absurd ? "86400" : "1",
                              .retry_after2 = absurd ? NULL : "30"});
            fx_sleep(&f, wait ? 1000 : 500);
            size_t poll = fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_VALID));
            if (wait)
                fx_assert_pass(&f, "respects-retry-after");
            else
                fx_assert_violation(&f, "respects-retry-after", poll);
            fx_cleanup(&f);
        }
    }
}
END_TEST

/* Errors bind their URL (RFC 8555 6.6); a Retry-After on a finished
 * resource or the directory means nothing. */
START_TEST(test_property_respects_retry_after_binds_errors_not_finished_resources)
{
    fx f;
    fx_init(&f);
    fx_get(&f, "GET", FX_DIRECTORY, AFZ_RES_DIRECTORY,
           (fx_resp){.status = 200, .body = FX_DIRECTORY_BODY, .retry_after = "30", .no_nonce = 1});
    fx_get(&f, "GET", FX_DIRECTORY, AFZ_RES_DIRECTORY,
           (fx_resp){.status = 200, .body = FX_DIRECTORY_BODY, .no_nonce = 1});
    fx_get(&f, "HEAD", FX_NEW_NONCE, AFZ_RES_NONCE, (fx_resp){.status = 200});
    f.use_jwk = 1;
    fx_post(&f, AFZ_RES_ACCOUNT, FX_NEW_ACCOUNT, "{}",
            (fx_resp){.status = 201, .body = "{\"status\":\"valid\"}", .location = FX_ACCOUNT});
    fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD,
            (fx_resp){.status = 429, .body = FX_PROBLEM("rateLimited", 429), .retry_after = "5"});
    fx_sleep(&f, 5000);
    fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD,
            (fx_resp){.status = 201,
                      .body = FX_ORDER_BODY("ready"),
                      .location = FX_ORDER,
                      .retry_after = "30"});
    /* a "pending" order waits for the client, not the server (7.4) */
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "",
            (fx_resp){.status = 200, .body = FX_ORDER_BODY("pending"), .retry_after = "30"});
    fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("valid")));
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("ready")));
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_VALID, .retry_after = "30"});
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_VALID));
    fx_assert_pass(&f, "respects-retry-after");
    /* ... but the rate-limited newOrder again 1 ms early is a violation */
    fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD,
            (fx_resp){.status = 429, .body = FX_PROBLEM("rateLimited", 429), .retry_after = "5"});
    fx_sleep(&f, 4999);
    size_t bad = fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD, created());
    fx_retrace(&f);
    fx_assert_violation(&f, "respects-retry-after", bad);
    fx_cleanup(&f);
}
END_TEST

/* Server mode allows for clock granularity. */
START_TEST(test_property_respects_retry_after_tolerance)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200,
                      .body = FX_ORDER_BODY("processing"),
                      .location = FX_ORDER,
                      .retry_after = "3"});
    fx_sleep(&f, 2001);
    size_t poll = fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_VALID));
    fx_assert_violation(&f, "respects-retry-after", poll);
    f.lim.retry_after_tolerance_ms = 1000;
    fx_assert_pass(&f, "respects-retry-after");
    fx_cleanup(&f);
}
END_TEST

/* ---- poll-backoff ------------------------------------------------------- */

/* newOrder, authorization read, challenge POST, then |n| polls of the
 * authorization |gap| ms apart, all "pending" with |ra| (or none). */
static size_t authz_polls(fx *f, int n, int64_t gap, const char *ra)
{
    fx_to_account(f);
    fx_post(f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD, created());
    fx_post(f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    fx_event(f, AFZ_EV_CHALLENGE_STARTED, FX_CHALL, FX_AUTHZ, FX_IDS, NULL, NULL, 0);
    fx_post(f, AFZ_RES_CHALLENGE, FX_CHALL, "{}", fx_ok(FX_CHALL_BODY("processing")));
    size_t last = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && gap)
            fx_sleep(f, gap);
        last =
            fx_post(f, AFZ_RES_AUTHZ, FX_AUTHZ, "",
                    (fx_resp){.status = 200, .body = FX_AUTHZ_BODY("pending"), .retry_after = ra});
    }
    return last;
}

START_TEST(test_property_poll_backoff_pending_authz_without_pause_is_violation)
{
    fx f;
    fx_init(&f);
    /* the first read after the challenge is no poll; the second is a poll
     * that may come at once; the third, right after it, is a hot loop */
    authz_polls(&f, 2, 0, NULL);
    fx_assert_pass(&f, "poll-backoff");
    fx_cleanup(&f);
    fx_init(&f);
    size_t bad = authz_polls(&f, 3, 0, NULL);
    fx_assert_violation(&f, "poll-backoff", bad);
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_property_poll_backoff_spaced_polls_pass)
{
    fx f;
    fx_init(&f);
    authz_polls(&f, 5, 1000, NULL);
    fx_assert_pass(&f, "poll-backoff");
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_property_poll_backoff_999ms_is_violation)
{
    fx f;
    fx_init(&f);
    size_t bad = authz_polls(&f, 3, 999, NULL);
    fx_assert_violation(&f, "poll-backoff", bad);
    fx_cleanup(&f);
}
END_TEST

/* With Retry-After, spacing is respects-retry-after's to judge. */
START_TEST(test_property_poll_backoff_retry_after_defers_spacing)
{
    fx f;
    fx_init(&f);
    size_t bad = authz_polls(&f, 2, 0, "1");
    fx_assert_pass(&f, "poll-backoff");
    fx_assert_violation(&f, "respects-retry-after", bad);
    fx_cleanup(&f);
}
END_TEST

/* Before any challenge was started, "pending" waits for the client: reading
 * it twice is no poll. */
START_TEST(test_property_poll_backoff_authz_before_challenge_is_no_poll)
{
    fx f;
    fx_init(&f);
    fx_to_account(&f);
    fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD, created());
    fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    fx_assert_pass(&f, "poll-backoff");
    fx_cleanup(&f);
}
END_TEST

/* badNonce is retried at once; a lost answer is retried too. */
START_TEST(test_property_poll_backoff_bad_nonce_and_lost_retries_pass)
{
    fx f;
    fx_init(&f);
    authz_polls(&f, 1, 0, NULL);
    fx_sleep(&f, 1000);
    fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", problem(400, FX_PROBLEM("badNonce", 400)));
    fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_lost());
    fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    fx_assert_pass(&f, "poll-backoff");
    fx_cleanup(&f);
}
END_TEST

/* An order "processing" after finalize is polled with back-off. */
START_TEST(test_property_poll_backoff_processing_order)
{
    for (int wait = 0; wait <= 1; wait++) {
        fx f;
        fx_init(&f);
        fx_to_ready(&f);
        fx_post(
            &f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_BODY("processing"), .location = FX_ORDER});
        /* the first poll right after "processing" without Retry-After is
         * fair (RFC 8555 gives no interval); the second one at once is not */
        fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("processing")));
        fx_assert_pass(&f, "poll-backoff");
        if (wait)
            fx_sleep(&f, 1000);
        size_t poll = fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_VALID));
        fx_retrace(&f);
        if (wait)
            fx_assert_pass(&f, "poll-backoff");
        else
            fx_assert_violation(&f, "poll-backoff", poll);
        fx_cleanup(&f);
    }
}
END_TEST

/* RFC 8555 7.4: "pending": check the authorizations - then a fresh look at
 * the order is no poll. */
START_TEST(test_property_poll_backoff_pending_order_after_authz_check_is_no_poll)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("pending")));
    fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("valid")));
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("pending")));
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("pending")));
    fx_assert_pass(&f, "poll-backoff");
    size_t bad = fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("ready")));
    fx_retrace(&f);
    fx_assert_violation(&f, "poll-backoff", bad);
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_property_poll_backoff_bounded_per_obtain_call)
{
    fx f;
    fx_init(&f);
    f.lim.max_polls_per_resource = 3;
    size_t last = authz_polls(&f, 4, 1000, NULL); /* 3 polls after the first read */
    fx_assert_pass(&f, "poll-backoff");
    fx_sleep(&f, 1000);
    size_t bad = fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    ck_assert_uint_eq(bad, last + 1);
    fx_retrace(&f);
    fx_assert_violation(&f, "poll-backoff", bad);
    fx_cleanup(&f);

    /* a campaign's next obtain call counts afresh */
    fx_init(&f);
    f.lim.max_polls_per_resource = 3;
    authz_polls(&f, 4, 1000, NULL);
    fx_sleep(&f, 60000);
    fx_event(&f, AFZ_EV_ATTEMPT_START, NULL, NULL, NULL, NULL, NULL, 2);
    for (int i = 0; i < 3; i++) {
        fx_sleep(&f, 1000);
        fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    }
    fx_assert_pass(&f, "poll-backoff");
    fx_cleanup(&f);
}
END_TEST

/* ---- bounded-valid-rereads ---------------------------------------------- */

/* fx_to_valid_without_cert: ... a finalize answered "valid" without a
 * certificate URL (a server that never provisions it). */
static void to_valid_without_cert(fx *f)
{
    fx_to_ready(f);
    fx_post(f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_BODY("valid"), .location = FX_ORDER});
}

/* certbot's shape (issue 13: 59-89 polls in 30-94 s): re-read the order
 * once a second until the certificate URL appears or a deadline passes. */
START_TEST(test_property_bounded_valid_rereads_loop_is_violation)
{
    fx f;
    fx_init(&f);
    to_valid_without_cert(&f);
    for (int i = 0; i < 10; i++) {
        fx_sleep(&f, 1000);
        fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("valid")));
    }
    fx_assert_pass(&f, "bounded-valid-rereads");
    fx_sleep(&f, 1000);
    size_t bad = fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("valid")));
    fx_retrace(&f);
    fx_assert_violation(&f, "bounded-valid-rereads", bad);
    afz_prop_result r = fx_check(&f, "bounded-valid-rereads");
    ck_assert_ptr_nonnull(strstr(r.message, "re-read number 11"));
    /* the other properties have nothing to say about it */
    fx_assert_pass(&f, "poll-backoff");
    fx_assert_pass(&f, "final-states-final");
    fx_cleanup(&f);
}
END_TEST

/* Slow re-reads (a minute apart) are not a hot loop, but they are
 * bounded like any poll (max_polls_per_resource). */
START_TEST(test_property_bounded_valid_rereads_slow_ones_bounded_in_all)
{
    fx f;
    fx_init(&f);
    f.lim.max_polls_per_resource = 5;
    to_valid_without_cert(&f);
    for (int i = 0; i < 5; i++) {
        fx_sleep(&f, 60000);
        fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("valid")));
    }
    fx_assert_pass(&f, "bounded-valid-rereads");
    fx_sleep(&f, 60000);
    size_t bad = fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("valid")));
    fx_retrace(&f);
    fx_assert_violation(&f, "bounded-valid-rereads", bad);
    fx_cleanup(&f);
}
END_TEST

/* A read that shows the certificate URL, or any other answer, ends the
 * run of re-reads; a campaign's next obtain call counts afresh. */
START_TEST(test_property_bounded_valid_rereads_counts_runs_per_obtain_call)
{
    fx f;
    fx_init(&f);
    f.lim.max_certless_valid_rereads = 2;
    to_valid_without_cert(&f);
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("valid")));
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_VALID));
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("valid"))); /* not counted */
    fx_assert_pass(&f, "bounded-valid-rereads");
    fx_sleep(&f, 60000);
    /* the first look of the next obtain call is a look, then two re-reads */
    fx_event(&f, AFZ_EV_ATTEMPT_START, NULL, NULL, NULL, NULL, NULL, 2);
    for (int i = 0; i < 3; i++)
        fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("valid")));
    fx_retrace(&f);
    fx_assert_pass(&f, "bounded-valid-rereads");
    size_t bad = fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("valid")));
    fx_retrace(&f);
    fx_assert_violation(&f, "bounded-valid-rereads", bad);
    fx_cleanup(&f);
}
END_TEST

/* ---- no-unasked-authz-polls ----------------------------------------- */

/* The bug of issue 13: "" (a POST-as-GET read) to the challenge URL where
 * the response {} was due (RFC 8555 7.5.1), then polls of the
 * authorization, spaced and with back-off, that validation never moves. */
START_TEST(test_property_no_unasked_authz_polls_empty_challenge_payload_is_violation)
{
    fx f;
    fx_init(&f);
    fx_to_account(&f);
    fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD, created());
    fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    size_t empty = fx_post(&f, AFZ_RES_CHALLENGE, FX_CHALL, "", fx_ok(FX_CHALL_BODY("pending")));
    for (int i = 0; i < 3; i++) {
        fx_sleep(&f, 1000 << i);
        fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    }
    fx_assert_pass(&f, "no-unasked-authz-polls");
    fx_sleep(&f, 8000);
    size_t bad = fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    fx_retrace(&f);
    fx_assert_violation(&f, "no-unasked-authz-polls", bad);
    afz_prop_result r = fx_check(&f, "no-unasked-authz-polls");
    char tag[32];
    snprintf(tag, sizeof(tag), "#%zu POSTed \"\"", empty + 1);
    ck_assert_msg(strstr(r.message, tag) != NULL, "%s", r.message);
    ck_assert_ptr_nonnull(strstr(r.message, "7.5.1"));
    /* what judged nothing before: "" to a challenge is a legal read, and
     * poll-backoff ignores polls of an authorization never started */
    fx_assert_pass(&f, "post-as-get-empty");
    fx_assert_pass(&f, "poll-backoff");
    fx_cleanup(&f);
}
END_TEST

/* The same bug with the challenge as the thing polled: "" meant as the
 * response, then "" again and again to see it validated. */
START_TEST(test_property_no_unasked_authz_polls_challenge_polled_by_empty_payload)
{
    fx f;
    fx_init(&f);
    fx_to_account(&f);
    fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD, created());
    fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    size_t first = fx_post(&f, AFZ_RES_CHALLENGE, FX_CHALL, "", fx_ok(FX_CHALL_BODY("pending")));
    size_t bad = 0;
    for (int i = 0; i < 4; i++) {
        fx_sleep(&f, 2000);
        bad = fx_post(&f, AFZ_RES_CHALLENGE, FX_CHALL, "", fx_ok(FX_CHALL_BODY("pending")));
    }
    fx_assert_violation(&f, "no-unasked-authz-polls", bad);
    afz_prop_result r = fx_check(&f, "no-unasked-authz-polls");
    char tag[32];
    snprintf(tag, sizeof(tag), "#%zu POSTed \"\"", first + 1);
    ck_assert_msg(strstr(r.message, tag) && strstr(r.message, "challenge"), "%s", r.message);
    fx_cleanup(&f);
}
END_TEST

/* No request to the challenge at all; a hot loop of reads. A campaign's
 * next obtain call counts afresh. */
START_TEST(test_property_no_unasked_authz_polls_without_challenge_post)
{
    fx f;
    fx_init(&f);
    fx_to_account(&f);
    fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD, created());
    size_t bad = 0;
    for (int i = 0; i < 5; i++)
        bad = fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    fx_assert_violation(&f, "no-unasked-authz-polls", bad);
    afz_prop_result r = fx_check(&f, "no-unasked-authz-polls");
    ck_assert_ptr_nonnull(strstr(r.message, "no response POSTed"));
    fx_cleanup(&f);

    fx_init(&f);
    fx_to_account(&f);
    fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD, created());
    for (int i = 0; i < 4; i++)
        fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    fx_event(&f, AFZ_EV_ATTEMPT_START, NULL, NULL, NULL, NULL, NULL, 2);
    for (int i = 0; i < 4; i++)
        fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    fx_assert_pass(&f, "no-unasked-authz-polls");
    fx_cleanup(&f);

    /* a badNonce retry is no re-read (RFC 8555 6.5) */
    fx_init(&f);
    fx_to_account(&f);
    fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD, created());
    for (int i = 0; i < 3; i++)
        fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "",
            (fx_resp){.status = 400, .body = FX_PROBLEM("badNonce", 400)});
    fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    fx_assert_pass(&f, "no-unasked-authz-polls");
    bad = fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    fx_retrace(&f);
    fx_assert_violation(&f, "no-unasked-authz-polls", bad);
    fx_cleanup(&f);
}
END_TEST

/* ---- post-as-get-empty -------------------------------------------------- */

START_TEST(test_property_post_as_get_empty_braces_on_order_is_violation)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    size_t bad = fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "{}", fx_ok(FX_ORDER_BODY("ready")));
    fx_assert_violation(&f, "post-as-get-empty", bad);
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_property_post_as_get_empty_payload_on_certificate_is_violation)
{
    fx f;
    fx_init(&f);
    fx_to_certificate(&f);
    size_t bad = fx_post(&f, AFZ_RES_CERT, FX_CERT, "null", fx_ok(FX_PEM));
    fx_assert_violation(&f, "post-as-get-empty", bad);
    fx_cleanup(&f);
}
END_TEST

/* An authorization takes "" or a deactivation; challenges and accounts
 * take objects. */
START_TEST(test_property_post_as_get_empty_allows_deactivation_and_updates)
{
    fx f;
    fx_init(&f);
    fx_to_certificate(&f);
    fx_post(&f, AFZ_RES_ACCOUNT, FX_ACCOUNT, "{\"contact\":[\"mailto:a@example.com\"]}",
            fx_ok("{\"status\":\"valid\"}"));
    fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "{\"status\":\"deactivated\"}",
            fx_ok(FX_AUTHZ_BODY("deactivated")));
    fx_assert_pass(&f, "post-as-get-empty");
    size_t bad = fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "{\"status\":\"valid\"}",
                         problem(400, FX_PROBLEM("malformed", 400)));
    fx_retrace(&f);
    fx_assert_violation(&f, "post-as-get-empty", bad);
    fx_cleanup(&f);
}
END_TEST

/* ---- nonce-discipline --------------------------------------------------- */

START_TEST(test_property_nonce_discipline_bad_nonce_retried_with_fresh_nonce_passes)
{
    fx f;
    fx_init(&f);
    fx_to_account(&f);
    new_order(&f, FX_NEW_ORDER_PAYLOAD, problem(400, FX_PROBLEM("badNonce", 400)));
    new_order(&f, FX_NEW_ORDER_PAYLOAD, created()); /* uses the error's nonce */
    fx_assert_pass(&f, "nonce-discipline");
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_property_nonce_discipline_bad_nonce_retried_with_stale_nonce_is_violation)
{
    fx f;
    fx_init(&f);
    fx_to_account(&f);
    char stale[48];
    snprintf(stale, sizeof(stale), "%s", f.nonce);
    new_order(&f, FX_NEW_ORDER_PAYLOAD, problem(400, FX_PROBLEM("badNonce", 400)));
    f.use_nonce = stale;
    size_t bad = new_order(&f, FX_NEW_ORDER_PAYLOAD, created());
    fx_assert_violation(&f, "nonce-discipline", bad);
    fx_cleanup(&f);
}
END_TEST

/* RFC 8555 6.5: "when retrying in response to a "badNonce" error, the
 * client MUST use the nonce provided in the error response" - not one it
 * fetched from newNonce. A new obtain call retries nothing. */
START_TEST(test_property_nonce_discipline_bad_nonce_retry_uses_the_error_nonce)
{
    for (int new_attempt = 0; new_attempt <= 1; new_attempt++) {
        fx f;
        fx_init(&f);
        fx_to_account(&f);
        new_order(&f, FX_NEW_ORDER_PAYLOAD, problem(400, FX_PROBLEM("badNonce", 400)));
        if (new_attempt)
            fx_event(&f, AFZ_EV_ATTEMPT_START, NULL, NULL, NULL, NULL, NULL, 2);
        fx_get(&f, "HEAD", FX_NEW_NONCE, AFZ_RES_NONCE, (fx_resp){.status = 200});
        size_t retry = new_order(&f, FX_NEW_ORDER_PAYLOAD, created());
        if (new_attempt)
            fx_assert_pass(&f, "nonce-discipline");
        else
            fx_assert_violation(&f, "nonce-discipline", retry);
        fx_cleanup(&f);
    }
}
END_TEST

START_TEST(test_property_nonce_discipline_reused_or_invented_nonce_is_violation)
{
    static const char *const why[] = {"reuses", "no earlier response", "invalid Replay-Nonce",
                                      "no \"nonce\""};
    for (size_t k = 0; k < NELEM(why); k++) {
        fx f;
        fx_init(&f);
        fx_to_account(&f);
        if (k == 2) /* the server sends a value outside base64url */
            fx_get(&f, "HEAD", FX_NEW_NONCE, AFZ_RES_NONCE,
                   (fx_resp){.status = 200, .nonce = "not+base64/url="});
        f.use_nonce = k == 0   ? "fxNonce0001"
                      : k == 1 ? "inventedByClient"
                      : k == 2 ? "not+base64/url="
                               : "";
        size_t bad = new_order(&f, FX_NEW_ORDER_PAYLOAD, created());
        /* reuse and invention break only the server's rule (nonce-fresh,
         * ROBUST); an invalid value or no nonce break client MUSTs */
        const char *id = k < 2 ? "nonce-fresh" : "nonce-discipline";
        fx_assert_violation(&f, id, bad);
        fx_assert_pass(&f, k < 2 ? "nonce-discipline" : "nonce-fresh");
        afz_prop_result r = fx_check(&f, id);
        ck_assert_msg(strstr(r.message, why[k]) != NULL, "%s", r.message);
        fx_cleanup(&f);
    }
}
END_TEST

/* ---- jws-headers -------------------------------------------------------- */

/* A flattened JWS with the protected header |hdr| (not signed). */
static void raw_jws(const char *hdr, char *out, size_t n)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_b64url_encode(hdr, strlen(hdr), &b), AFZ_OK);
    snprintf(out, n, "{\"protected\":\"%s\",\"payload\":\"\",\"signature\":\"c2ln\"}",
             afz_buf_cstr(&b));
    afz_buf_cleanup(&b);
}

enum { JWS_CTYPE, JWS_URL, JWS_JWK_ON_ORDER, JWS_KID_OTHER, JWS_NOT_JWS, JWS_HS256, JWS_BOTH };

static const char *const jws_why[] = {
    [JWS_CTYPE] = "Content-Type",
    [JWS_URL] = "protected \"url\"",
    [JWS_JWK_ON_ORDER] = "only newAccount and revokeCert",
    [JWS_KID_OTHER] = "not the account URL",
    [JWS_NOT_JWS] = "not a flattened JWS",
    [JWS_HS256] = "HS256",
    [JWS_BOTH] = "both",
};

START_TEST(test_property_jws_headers_each_fault_is_violation)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    char body[512];
    switch (_i) {
    case JWS_CTYPE:
        f.use_ctype = "application/json";
        break;
    case JWS_URL:
        f.use_url = FX_BASE "/o/5?";
        break;
    case JWS_JWK_ON_ORDER:
        f.use_jwk = 1;
        break;
    case JWS_KID_OTHER:
        f.use_kid = FX_BASE "/acct/78";
        break;
    case JWS_NOT_JWS:
        f.use_body = "{\"payload\":\"\"}";
        break;
    case JWS_HS256:
        raw_jws("{\"alg\":\"HS256\",\"kid\":\"" FX_ACCOUNT "\",\"nonce\":\"fxNonce0009\","
                "\"url\":\"" FX_ORDER "\"}",
                body, sizeof(body));
        f.use_body = body;
        break;
    case JWS_BOTH:
        raw_jws("{\"alg\":\"ES256\",\"kid\":\"" FX_ACCOUNT "\",\"jwk\":{},"
                "\"nonce\":\"fxNonce0009\",\"url\":\"" FX_ORDER "\"}",
                body, sizeof(body));
        f.use_body = body;
        break;
    }
    size_t bad = fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("ready")));
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("ready")));
    if (_i == JWS_CTYPE) {
        /* "must have the Content-Type header field set to
         * "application/jose+json"" is lower case in RFC 8555 6.2: no MUST,
         * so jws-headers does not judge it (the server's 415 does). */
        fx_assert_pass(&f, "jws-headers");
        fx_cleanup(&f);
        return;
    }
    fx_assert_violation(&f, "jws-headers", bad);
    afz_prop_result r = fx_check(&f, "jws-headers");
    ck_assert_msg(strstr(r.message, jws_why[_i]) != NULL, "%s", r.message);
    ck_assert_msg(strstr(r.message, "(1 such") != NULL, "%s", r.message);
    fx_cleanup(&f);
}
END_TEST

/* newAccount must carry jwk; revokeCert may. */
START_TEST(test_property_jws_headers_jwk_only_on_new_account_and_revoke)
{
    fx f;
    fx_init(&f);
    fx_to_certificate(&f);
    f.use_jwk = 1;
    fx_post(&f, AFZ_RES_REVOKE, FX_REVOKE, "{\"certificate\":\"MIIB\"}", fx_ok(NULL));
    fx_assert_pass(&f, "jws-headers");
    fx_cleanup(&f);

    fx_init(&f);
    fx_get(&f, "GET", FX_DIRECTORY, AFZ_RES_DIRECTORY,
           (fx_resp){.status = 200, .body = FX_DIRECTORY_BODY, .no_nonce = 1});
    fx_get(&f, "HEAD", FX_NEW_NONCE, AFZ_RES_NONCE, (fx_resp){.status = 200});
    size_t bad =
        fx_post(&f, AFZ_RES_ACCOUNT, FX_NEW_ACCOUNT, "{}",
                (fx_resp){.status = 201, .body = "{\"status\":\"valid\"}", .location = FX_ACCOUNT});
    fx_assert_violation(&f, "jws-headers", bad);
    fx_cleanup(&f);
}
END_TEST

/* ---- cert-url-from-order ------------------------------------------------ */

START_TEST(test_property_cert_url_from_order_guessed_url_is_violation)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_BODY("processing"), .location = FX_ORDER});
    size_t bad = fx_post(&f, AFZ_RES_CERT, FX_CERT, "", problem(404, FX_PROBLEM("malformed", 404)));
    fx_assert_violation(&f, "cert-url-from-order", bad);
    fx_cleanup(&f);
}
END_TEST

/* A "certificate" on an order that is not "valid" is no download link. */
START_TEST(test_property_cert_url_from_order_needs_valid_order)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200,
                      .body = "{\"status\":\"processing\",\"finalize\":\"" FX_FINALIZE
                              "\",\"certificate\":\"" FX_CERT "\"}",
                      .location = FX_ORDER});
    size_t bad = fx_post(&f, AFZ_RES_CERT, FX_CERT, "", fx_ok(FX_PEM));
    fx_assert_violation(&f, "cert-url-from-order", bad);
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_property_cert_url_from_order_links_are_given_urls)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_VALID, .location = FX_ORDER});
    fx_post(&f, AFZ_RES_CERT, FX_CERT, "",
            (fx_resp){.status = 200,
                      .body = FX_PEM,
                      .link = "<" FX_CERT_UP ">;rel=\"up\", <" FX_CERT_ALT ">; rel=alternate"});
    fx_post(&f, AFZ_RES_CERT, FX_CERT_ALT, "", fx_ok(FX_PEM));
    fx_post(&f, AFZ_RES_CERT, FX_CERT_UP, "", fx_ok(FX_PEM));
    fx_assert_pass(&f, "cert-url-from-order");
    fx_cleanup(&f);
}
END_TEST

/* A download (Accept: a certificate format) from another URL, such as the
 * finalize response's Location (win-acme#1225). */
START_TEST(test_property_cert_url_from_order_download_from_order_url_is_violation)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_VALID, .location = FX_ORDER});
    f.use_accept = "application/pem-certificate-chain";
    size_t bad = fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_VALID));
    fx_assert_violation(&f, "cert-url-from-order", bad);
    fx_cleanup(&f);
}
END_TEST

/* ---- final-states-final ------------------------------------------------- */

START_TEST(test_property_final_states_final_poll_after_invalid_is_violation)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_BODY("processing"), .location = FX_ORDER});
    fx_sleep(&f, 1000);
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("invalid")));
    fx_sleep(&f, 1000);
    /* one more look is no loop (a last read before clean-up) */
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("invalid")));
    fx_assert_pass(&f, "final-states-final");
    fx_sleep(&f, 1000);
    size_t bad = fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("invalid")));
    fx_retrace(&f);
    fx_assert_violation(&f, "final-states-final", bad);
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_property_final_states_final_authz_after_deactivation_is_violation)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "{\"status\":\"deactivated\"}",
            fx_ok(FX_AUTHZ_BODY("deactivated")));
    fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("deactivated")));
    fx_assert_pass(&f, "final-states-final");
    size_t bad = fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("deactivated")));
    fx_retrace(&f);
    fx_assert_violation(&f, "final-states-final", bad);
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_property_final_states_final_finalize_after_valid_is_violation)
{
    fx f;
    fx_init(&f);
    fx_to_certificate(&f);
    /* re-reading a valid order and authorization is fine */
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_VALID));
    fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("valid")));
    fx_assert_pass(&f, "final-states-final");
    size_t bad = fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
                         problem(403, FX_PROBLEM("orderNotReady", 403)));
    fx_retrace(&f);
    fx_assert_violation(&f, "final-states-final", bad);
    fx_assert_violation(&f, "no-refinalize", bad);
    fx_cleanup(&f);
}
END_TEST

/* ---- terminates --------------------------------------------------------- */

START_TEST(test_property_terminates_spent_budget_is_violation)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_event(&f, AFZ_EV_BUDGET_EXHAUSTED, NULL, NULL, NULL, NULL, "requests", 0);
    f.in.budget_exhausted = 1;
    afz_prop_result r = fx_check(&f, "terminates");
    ck_assert_int_eq(r.verdict, AFZ_VERDICT_VIOLATION);
    ck_assert_ptr_nonnull(strstr(r.message, "requests budget"));
    f.in.aborted = 1;
    r = fx_check(&f, "terminates");
    ck_assert_int_eq(r.verdict, AFZ_VERDICT_VIOLATION);
    ck_assert_ptr_nonnull(strstr(r.message, "unwound"));
    fx_cleanup(&f);
}
END_TEST

/* A campaign's attempts share the budget: a short later attempt that finds
 * it spent shows no loop. */
START_TEST(test_property_terminates_shared_campaign_budget_is_inconclusive)
{
    fx f;
    fx_init(&f);
    fx_event(&f, AFZ_EV_ATTEMPT_START, NULL, NULL, NULL, NULL, NULL, 1);
    fx_to_ready(&f);
    fx_event(&f, AFZ_EV_ATTEMPT_START, NULL, NULL, NULL, NULL, NULL, 2);
    fx_to_account(&f);
    fx_event(&f, AFZ_EV_BUDGET_EXHAUSTED, NULL, NULL, NULL, NULL, "virtual time", 0);
    f.in.budget_exhausted = 1;
    f.in.attempts = 2;
    afz_prop_result r = fx_check(&f, "terminates");
    ck_assert_int_eq(r.verdict, AFZ_VERDICT_INCONCLUSIVE);
    ck_assert_ptr_nonnull(strstr(r.message, "virtual time"));
    fx_cleanup(&f);
}
END_TEST

/* A history from elsewhere (server mode) is held to the limits. */
START_TEST(test_property_terminates_limits_without_budget)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_assert_pass(&f, "terminates");
    f.lim.max_requests = 5;
    fx_assert_violation(&f, "terminates", 5);
    f.lim.max_requests = 300;
    f.lim.max_virtual_ms = 999;
    afz_prop_result r = fx_check(&f, "terminates");
    ck_assert_int_eq(r.verdict, AFZ_VERDICT_VIOLATION);
    fx_cleanup(&f);
}
END_TEST

/* ---- succeeds-under-legal ----------------------------------------------- */

START_TEST(test_property_succeeds_under_legal_failure_is_violation)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_event(&f, AFZ_EV_CLIENT_DONE, NULL, NULL, NULL, NULL, "gave up", 0);
    afz_prop_result r = fx_check(&f, "succeeds-under-legal");
    ck_assert_int_eq(r.verdict, AFZ_VERDICT_VIOLATION);
    ck_assert_ptr_nonnull(strstr(r.message, "gave up"));
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_property_succeeds_under_legal_not_applicable_with_degraded_plan)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    afz_plan plan;
    afz_plan_init(&plan);
    plan.n_rules = 1;
    plan.rules[0] = (afz_rule){
        .kind = AFZ_RES_FINALIZE, .occ = AFZ_OCC_EVERY, .fault = AFZ_FAULT_SERVER_INTERNAL};
    f.in.plan = &plan;
    f.in.plan_class = afz_plan_class(&plan);
    ck_assert_int_eq(f.in.plan_class, AFZ_CLASS_DEGRADED);
    afz_prop_result r = fx_check(&f, "succeeds-under-legal");
    ck_assert_int_eq(r.verdict, AFZ_VERDICT_PASS);
    ck_assert_str_eq(r.message, "not applicable: the plan has degraded faults");
    fx_cleanup(&f);
}
END_TEST

/* Success means a certificate for exactly the names asked for. */
START_TEST(test_property_succeeds_under_legal_needs_certificate_for_the_names)
{
    static const char *const asked[] = {"www.example.com", "EXAMPLE.com"};
    static const char *const one[] = {"example.com"};
    fx f;
    fx_init(&f);
    fx_to_certificate(&f);
    f.in.client_succeeded = 1;
    f.in.identifiers = one;
    f.in.n_identifiers = 1;
    fx_assert_pass(&f, "succeeds-under-legal");
    f.in.identifiers = asked;
    f.in.n_identifiers = 2;
    afz_prop_result r = fx_check(&f, "succeeds-under-legal");
    ck_assert_int_eq(r.verdict, AFZ_VERDICT_VIOLATION);
    ck_assert_ptr_nonnull(strstr(r.message, "[example.com,www.example.com]"));
    fx_cleanup(&f);
}
END_TEST

/* ---- end to end: the reference client ----------------------------------- */

static afz_world world;

static void world_setup(void)
{
    ck_assert_int_eq(afz_world_init(&world), AFZ_OK);
}

static void world_teardown(void)
{
    afz_world_cleanup(&world);
}

/* Runs the reference client with |cfg| and asserts every property holds. */
static void reference_holds_everything(const afz_run_config *cfg)
{
    afz_run_result r;
    afz_run_result_init(&r);
    ck_assert_int_eq(afz_run(&world, &afz_client_reference, cfg, &r), AFZ_OK);
    ck_assert_msg(r.client_rc == AFZ_OK, "client failed: %s", r.reason);
    afz_trace t;
    ck_assert_int_eq(afz_trace_build(&r.history, &t), AFZ_OK);
    afz_prop_input in;
    afz_prop_input_from_run(&in, &r, cfg, &t, NULL);
    size_t n;
    const afz_property *p = afz_properties(&n);
    for (size_t i = 0; i < n; i++) {
        afz_prop_result res;
        p[i].check(&in, &res);
        ck_assert_msg(res.verdict == AFZ_VERDICT_PASS, "%s: %s: %s", p[i].id,
                      afz_verdict_name(res.verdict), res.message);
    }
    afz_trace_cleanup(&t);
    afz_run_result_cleanup(&r);
}

START_TEST(test_property_reference_client_sync_holds_everything)
{
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    reference_holds_everything(&cfg);
}
END_TEST

START_TEST(test_property_reference_client_async_holds_everything)
{
    static const char *const names[] = {"example.com", "www.example.com"};
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    cfg.identifiers = names;
    cfg.n_identifiers = 2;
    cfg.server.async_finalize = 1;
    cfg.server.finalize_polls = 3;
    cfg.server.order_retry_after_s = 2;
    cfg.server.authz_pending_polls = 2;
    cfg.server.authz_retry_after_s = 1;
    reference_holds_everything(&cfg);
}
END_TEST

/* Async without any Retry-After: poll-backoff judges the spacing. */
START_TEST(test_property_reference_client_async_without_retry_after_holds_everything)
{
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    cfg.server.async_finalize = 1;
    cfg.server.finalize_polls = 4;
    cfg.server.order_retry_after_s = -1;
    cfg.server.authz_pending_polls = 3;
    cfg.server.authz_retry_after_s = -1;
    reference_holds_everything(&cfg);
}
END_TEST

/* Each property's basis is docs/PROPERTIES.md's text, word for word, and
 * a MUST or SHOULD property quotes a sentence with that keyword. */
static void normalize(const char *in, afz_buf *out)
{
    int space = 0;
    for (const char *c = in; *c; c++) {
        if (*c == ' ' || *c == '\n' || *c == '\t' || *c == '>') {
            space = out->len > 0;
            continue;
        }
        if (space)
            afz_buf_putc(out, ' ');
        space = 0;
        afz_buf_putc(out, *c);
    }
}

START_TEST(test_property_basis_is_the_audit_text)
{
    char path[4096];
    const char *env = getenv("AFZ_SOURCE_DIR");
    const char *self = __FILE__;
    const char *tail = strstr(self, "tests/check_property.c");
    if (env && *env)
        snprintf(path, sizeof(path), "%s/docs/PROPERTIES.md", env);
    else
        snprintf(path, sizeof(path), "%.*sdocs/PROPERTIES.md", tail ? (int)(tail - self) : 0, self);
    afz_buf doc, flat, want;
    afz_buf_init(&doc, 0);
    afz_buf_init(&flat, 0);
    afz_buf_init(&want, 0);
    ck_assert_msg(afz_buf_read_file(&doc, path) == AFZ_OK, "cannot read %s", path);
    normalize(afz_buf_cstr(&doc), &flat);
    size_t n = 0;
    const afz_property *p = afz_properties(&n);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(p[i].basis && strlen(p[i].basis) > 40, "%s: no basis", p[i].id);
        afz_buf_reset(&want);
        normalize(p[i].basis, &want);
        ck_assert_msg(strstr(afz_buf_cstr(&flat), afz_buf_cstr(&want)) != NULL,
                      "%s: basis not in docs/PROPERTIES.md: %s", p[i].id, p[i].basis);
        if (p[i].level == AFZ_LEVEL_MUST)
            ck_assert_msg(strstr(p[i].basis, "MUST"), "%s: MUST without a MUST", p[i].id);
        if (p[i].level == AFZ_LEVEL_SHOULD)
            ck_assert_msg(strstr(p[i].basis, "SHOULD"), "%s: SHOULD without a SHOULD", p[i].id);
    }
    afz_buf_cleanup(&doc);
    afz_buf_cleanup(&flat);
    afz_buf_cleanup(&want);
}
END_TEST

Suite *property_suite(void)
{
    Suite *s = suite_create("property");

    TCase *tc = tcase_create("table");
    tcase_add_test(tc, test_property_basis_is_the_audit_text);
    tcase_add_test(tc, test_property_table_has_stable_ids);
    tcase_add_test(tc, test_property_limits_defaults);
    tcase_add_test(tc, test_property_without_trace_is_inconclusive);
    tcase_add_test(tc, test_property_clean_history_holds_everything);
    tcase_add_test(tc, test_property_messages_are_one_line);
    suite_add_tcase(s, tc);

    tc = tcase_create("order");
    tcase_add_test(tc, test_property_no_refinalize_holds_async_flow);
    tcase_add_test(tc, test_property_no_refinalize_first_finalize_of_pending_order_passes);
    tcase_add_test(tc, test_property_no_refinalize_pending_order_with_valid_authzs_passes);
    tcase_add_test(tc, test_property_no_refinalize_finalize_after_processing_is_violation);
    tcase_add_test(tc,
                   test_property_no_refinalize_stale_ready_after_accepted_finalize_is_violation);
    tcase_add_test(tc, test_property_no_refinalize_lost_response_then_ready_poll_passes);
    tcase_add_test(tc, test_property_no_refinalize_blind_retry_after_lost_response_is_violation);
    tcase_add_test(tc, test_property_no_refinalize_retry_after_bad_csr_passes);
    tcase_add_test(tc, test_property_no_refinalize_retry_after_refusals_passes);
    tcase_add_test(tc, test_property_no_refinalize_order_not_ready_then_retry);
    tcase_add_test(tc, test_property_no_refinalize_unmapped_finalize_url);
    tcase_add_test(tc, test_property_cert_url_from_order_guessed_url_is_violation);
    tcase_add_test(tc, test_property_cert_url_from_order_needs_valid_order);
    tcase_add_test(tc, test_property_cert_url_from_order_links_are_given_urls);
    tcase_add_test(tc, test_property_cert_url_from_order_download_from_order_url_is_violation);
    tcase_add_test(tc, test_property_final_states_final_poll_after_invalid_is_violation);
    tcase_add_test(tc, test_property_final_states_final_authz_after_deactivation_is_violation);
    tcase_add_test(tc, test_property_final_states_final_finalize_after_valid_is_violation);
    suite_add_tcase(s, tc);

    tc = tcase_create("outcome");
    tcase_add_test(tc, test_property_no_duplicate_issuance_single_certificate_passes);
    tcase_add_test(tc, test_property_no_duplicate_issuance_second_certificate_is_violation);
    tcase_add_test(tc, test_property_no_orphan_issuance_download_then_reorder_passes);
    tcase_add_test(tc, test_property_no_orphan_issuance_reorder_before_download_is_violation);
    tcase_add_test(tc, test_property_no_orphan_issuance_other_names_pass);
    tcase_add_test(tc, test_property_bounded_new_orders_two_per_attempt_pass);
    tcase_add_test(tc, test_property_bounded_new_orders_third_is_violation);
    tcase_add_test(tc, test_property_bounded_new_orders_refusals_do_not_count);
    tcase_add_test(tc, test_property_bounded_new_orders_identifier_sets_are_canonical);
    tcase_add_test(tc, test_property_terminates_spent_budget_is_violation);
    tcase_add_test(tc, test_property_terminates_shared_campaign_budget_is_inconclusive);
    tcase_add_test(tc, test_property_terminates_limits_without_budget);
    tcase_add_test(tc, test_property_succeeds_under_legal_failure_is_violation);
    tcase_add_test(tc, test_property_succeeds_under_legal_not_applicable_with_degraded_plan);
    tcase_add_test(tc, test_property_succeeds_under_legal_needs_certificate_for_the_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("timing");
    tcase_add_loop_test(tc, test_property_respects_retry_after_instant_boundary, 0,
                        NELEM(ra_boundary));
    tcase_add_test(tc, test_property_respects_retry_after_http_date);
    tcase_add_test(tc, test_property_respects_retry_after_malformed_floor);
    tcase_add_test(tc, test_property_respects_retry_after_twice_or_absurd_is_floor);
    tcase_add_test(tc, test_property_respects_retry_after_binds_errors_not_finished_resources);
    tcase_add_test(tc, test_property_respects_retry_after_tolerance);
    tcase_add_test(tc, test_property_poll_backoff_pending_authz_without_pause_is_violation);
    tcase_add_test(tc, test_property_poll_backoff_spaced_polls_pass);
    tcase_add_test(tc, test_property_poll_backoff_999ms_is_violation);
    tcase_add_test(tc, test_property_poll_backoff_retry_after_defers_spacing);
    tcase_add_test(tc, test_property_poll_backoff_authz_before_challenge_is_no_poll);
    tcase_add_test(tc, test_property_poll_backoff_bad_nonce_and_lost_retries_pass);
    tcase_add_test(tc, test_property_poll_backoff_processing_order);
    tcase_add_test(tc, test_property_poll_backoff_pending_order_after_authz_check_is_no_poll);
    tcase_add_test(tc, test_property_poll_backoff_bounded_per_obtain_call);
    tcase_add_test(tc, test_property_bounded_valid_rereads_loop_is_violation);
    tcase_add_test(tc, test_property_bounded_valid_rereads_slow_ones_bounded_in_all);
    tcase_add_test(tc, test_property_bounded_valid_rereads_counts_runs_per_obtain_call);
    tcase_add_test(tc, test_property_no_unasked_authz_polls_empty_challenge_payload_is_violation);
    tcase_add_test(tc, test_property_no_unasked_authz_polls_without_challenge_post);
    tcase_add_test(tc, test_property_no_unasked_authz_polls_challenge_polled_by_empty_payload);
    suite_add_tcase(s, tc);

    tc = tcase_create("jws");
    tcase_add_test(tc, test_property_post_as_get_empty_braces_on_order_is_violation);
    tcase_add_test(tc, test_property_post_as_get_empty_payload_on_certificate_is_violation);
    tcase_add_test(tc, test_property_post_as_get_empty_allows_deactivation_and_updates);
    tcase_add_test(tc, test_property_nonce_discipline_bad_nonce_retried_with_fresh_nonce_passes);
    tcase_add_test(tc,
                   test_property_nonce_discipline_bad_nonce_retried_with_stale_nonce_is_violation);
    tcase_add_test(tc, test_property_nonce_discipline_bad_nonce_retry_uses_the_error_nonce);
    tcase_add_test(tc, test_property_nonce_discipline_reused_or_invented_nonce_is_violation);
    tcase_add_loop_test(tc, test_property_jws_headers_each_fault_is_violation, 0, NELEM(jws_why));
    tcase_add_test(tc, test_property_jws_headers_jwk_only_on_new_account_and_revoke);
    suite_add_tcase(s, tc);

    tc = tcase_create("end_to_end");
    tcase_add_unchecked_fixture(tc, world_setup, world_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_property_reference_client_sync_holds_everything);
    tcase_add_test(tc, test_property_reference_client_async_holds_everything);
    tcase_add_test(tc, test_property_reference_client_async_without_retry_after_holds_everything);
    suite_add_tcase(s, tc);
    return s;
}
