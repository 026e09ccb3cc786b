/* check_prop_false_alarms.c - the exchange shapes that made acmefuzz raise
 * alarms on correct clients it was not written with (issue 12), each
 * rebuilt as a history a correct client produces, and the checks added
 * with the audit of property levels, each with what it must flag and what
 * it must not. Histories come from prop_fixtures.h. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "afz_b64.h"
#include "prop_fixtures.h"

static fx_resp problem(int status, const char *body)
{
    return (fx_resp){.status = status, .body = body};
}

static fx_resp created(void)
{
    return (fx_resp){.status = 201, .body = FX_ORDER_BODY("pending"), .location = FX_ORDER};
}

/* lego / certbot / node acme-client: after the challenge POST they poll the
 * challenge until "valid" and finalize at once, never reading the
 * authorization or the order again; the first finalize is not judged. */
START_TEST(test_prop_false_alarms_finalize_after_challenge_valid)
{
    fx f;
    fx_init(&f);
    fx_to_account(&f);
    fx_event(&f, AFZ_EV_ORDER_CREATED, FX_ORDER, NULL, FX_IDS, NULL, NULL, 0);
    fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD, created());
    fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    fx_event(&f, AFZ_EV_CHALLENGE_STARTED, FX_CHALL, FX_AUTHZ, FX_IDS, NULL, NULL, 0);
    fx_post(&f, AFZ_RES_CHALLENGE, FX_CHALL, "{}", fx_ok(FX_CHALL_BODY("processing")));
    fx_sleep(&f, 1000);
    fx_post(&f, AFZ_RES_CHALLENGE, FX_CHALL, "", fx_ok(FX_CHALL_BODY("valid")));
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_BODY("processing"), .location = FX_ORDER});
    fx_sleep(&f, 1000);
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_VALID));
    fx_assert_pass(&f, "no-refinalize");
    fx_assert_pass(&f, "final-states-final");
    fx_assert_pass(&f, "poll-backoff");
    fx_assert_pass(&f, "no-unasked-authz-polls");
    fx_cleanup(&f);
}
END_TEST

/* A client offers ES512 on newAccount, the server refuses it with
 * badSignatureAlgorithm and the client tries ES256: RFC 8555 6.2 forbids
 * only "none" and MAC algorithms. */
START_TEST(test_prop_false_alarms_unsupported_alg_refused_by_server)
{
    fx f;
    fx_init(&f);
    fx_get(&f, "GET", FX_DIRECTORY, AFZ_RES_DIRECTORY,
           (fx_resp){.status = 200, .body = FX_DIRECTORY_BODY, .no_nonce = 1});
    fx_get(&f, "HEAD", FX_NEW_NONCE, AFZ_RES_NONCE, (fx_resp){.status = 200});
    char hdr[256], body[512];
    snprintf(hdr, sizeof(hdr),
             "{\"alg\":\"ES512\",\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"AA\","
             "\"y\":\"AA\"},\"nonce\":\"%s\",\"url\":\"" FX_NEW_ACCOUNT "\"}",
             f.nonce);
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_b64url_encode(hdr, strlen(hdr), &b), AFZ_OK);
    snprintf(body, sizeof(body),
             "{\"protected\":\"%s\",\"payload\":\"e30\",\"signature\":\"c2ln\"}", afz_buf_cstr(&b));
    afz_buf_cleanup(&b);
    f.use_body = body;
    fx_post(&f, AFZ_RES_ACCOUNT, FX_NEW_ACCOUNT, "{}",
            problem(400, FX_PROBLEM("badSignatureAlgorithm", 400)));
    f.use_jwk = 1;
    fx_post(&f, AFZ_RES_ACCOUNT, FX_NEW_ACCOUNT, "{\"termsOfServiceAgreed\":true}",
            (fx_resp){.status = 201, .body = "{\"status\":\"valid\"}", .location = FX_ACCOUNT});
    fx_assert_pass(&f, "jws-headers");
    fx_cleanup(&f);
}
END_TEST

/* retries-bad-nonce (SHOULD, RFC 8555 6.5): giving up after a badNonce
 * that carried a fresh nonce is flagged; a retry (even through newNonce
 * first, or after other requests) is not; a badNonce without a fresh
 * nonce (bad_nonce_bare) is not the client's to retry. */
START_TEST(test_prop_false_alarms_retries_bad_nonce)
{
    for (int k = 0; k < 4; k++) {
        fx f;
        fx_init(&f);
        fx_to_account(&f);
        size_t refused = fx_post(
            &f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD,
            (fx_resp){.status = 400, .body = FX_PROBLEM("badNonce", 400), .no_nonce = k == 3});
        if (k == 1)
            fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD, created());
        if (k == 2) {
            fx_get(&f, "HEAD", FX_NEW_NONCE, AFZ_RES_NONCE, (fx_resp){.status = 200});
            fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD, created());
        }
        if (k == 0)
            fx_assert_violation(&f, "retries-bad-nonce", refused);
        else
            fx_assert_pass(&f, "retries-bad-nonce");
        /* giving up breaks no MUST; a retry with a nonce from newNonce
         * instead of the error's does (6.5 MUST; certbot 2.1.0's shape) */
        if (k == 2)
            fx_assert_violation(&f, "nonce-discipline", refused + 2);
        else
            fx_assert_pass(&f, "nonce-discipline");
        fx_cleanup(&f);
    }
}
END_TEST

/* no-crash: a crash signal is a violation under any plan; none is not. */
START_TEST(test_prop_false_alarms_no_crash)
{
    fx f;
    fx_init(&f);
    fx_to_certificate(&f);
    fx_assert_pass(&f, "no-crash");
    f.in.client_crash_signal = SIGSEGV;
    f.in.plan_class = AFZ_CLASS_MALFORMED;
    afz_prop_result r = fx_check(&f, "no-crash");
    ck_assert_int_eq(r.verdict, AFZ_VERDICT_VIOLATION);
    ck_assert_ptr_nonnull(strstr(r.message, "SIGSEGV"));
    fx_cleanup(&f);
}
END_TEST

/* succeeds-under-legal applies to real-world plans too (a stale read), at
 * its ROBUST level, and not to degraded ones. */
START_TEST(test_prop_false_alarms_succeeds_under_real_world)
{
    static const afz_fault_class cls[] = {AFZ_CLASS_LEGAL, AFZ_CLASS_REAL_WORLD,
                                          AFZ_CLASS_DEGRADED};
    for (size_t k = 0; k < sizeof(cls) / sizeof(cls[0]); k++) {
        fx f;
        fx_init(&f);
        fx_to_ready(&f);
        afz_plan plan;
        afz_plan_init(&plan);
        f.in.plan = &plan;
        f.in.plan_class = cls[k];
        f.in.client_succeeded = 0;
        afz_prop_result r = fx_check(&f, "succeeds-under-legal");
        ck_assert_int_eq(r.verdict,
                         cls[k] == AFZ_CLASS_DEGRADED ? AFZ_VERDICT_PASS : AFZ_VERDICT_VIOLATION);
        fx_cleanup(&f);
    }
}
END_TEST

/* Campaigns: a stateless client (it declared AFZ_CLIENT_STATELESS) whose
 * finalize answer was lost cannot resume: ordering again in its next run
 * is excused, and so is one that was shown "processing" and kept polling
 * while every read was lost. Not when it is stateful, not when it was shown
 * "processing" and gave up at once (the 2023 shape: told, gave up, ordered
 * again), and not within the same obtain call. */
static void lost_finalize_then_reorder(fx *f, int stateless, int seen_processing, int new_call,
                                       int kept_polling)
{
    fx_to_ready(f);
    f->in.client_stateless = stateless;
    fx_event(f, AFZ_EV_FINALIZE_ACCEPTED, FX_ORDER, NULL, FX_IDS, NULL, NULL, 0);
    fx_event(f, AFZ_EV_CERT_ISSUED, FX_CERT, FX_ORDER, FX_IDS, "0a", NULL, 0);
    if (seen_processing)
        fx_post(
            f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_BODY("processing"), .location = FX_ORDER});
    else
        fx_post(f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR, fx_lost());
    if (kept_polling) /* every later read of the order is lost */
        for (int i = 0; i < 3; i++) {
            fx_sleep(f, 2000);
            fx_post(f, AFZ_RES_ORDER, FX_ORDER, "", fx_lost());
        }
    fx_sleep(f, 60000);
    if (new_call)
        fx_event(f, AFZ_EV_ATTEMPT_START, NULL, NULL, NULL, NULL, NULL, 2);
    fx_event(f, AFZ_EV_ORDER_CREATED, FX_BASE "/o/6", NULL, FX_IDS, NULL, NULL, 0);
    fx_post(f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD,
            (fx_resp){.status = 201, .body = FX_ORDER_BODY("pending"), .location = FX_BASE "/o/6"});
    fx_event(f, AFZ_EV_CERT_ISSUED, FX_BASE "/pem/6", FX_BASE "/o/6", FX_IDS, "0b", NULL, 0);
}

START_TEST(test_prop_false_alarms_stateless_campaign)
{
    static const struct {
        int stateless, seen_processing, new_call, kept_polling, excused;
    } cases[] = {
        {1, 0, 1, 0, 1}, /* stateless, never told, next run: excused */
        {0, 0, 1, 0, 0}, /* stateful: it should have resumed */
        {1, 1, 1, 0, 0}, /* told "processing", gave up at once: the 2023 shape */
        {1, 1, 1, 1, 1}, /* told "processing", kept polling, every read lost */
        {1, 0, 0, 0, 0}, /* same obtain call: never excused */
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        fx f;
        fx_init(&f);
        lost_finalize_then_reorder(&f, cases[k].stateless, cases[k].seen_processing,
                                   cases[k].new_call, cases[k].kept_polling);
        afz_prop_result o = fx_check(&f, "no-orphan-issuance");
        afz_prop_result d = fx_check(&f, "no-duplicate-issuance");
        afz_verdict want = cases[k].excused ? AFZ_VERDICT_PASS : AFZ_VERDICT_VIOLATION;
        ck_assert_msg(o.verdict == want, "case %zu orphan: %s", k, o.message);
        ck_assert_msg(d.verdict == want, "case %zu duplicate: %s", k, d.message);
        fx_cleanup(&f);
    }
}
END_TEST

/* no-unasked-authz-polls must not flag what correct clients do before
 * and after asking for validation (RFC 8555 7.5.1):
 *   0 read the challenge by POST-as-GET (""), then answer it with {} and
 *     poll the authorization while the server validates (legal, 6.3);
 *   1 read the authorization twice before answering (a look after
 *     provisioning), then answer;
 *   2 answer, be refused (503, the server never saw it), read the
 *     authorization, answer again: it asked, whatever the answer;
 *   3 find a challenge already "processing" (asked before, by this
 *     account in an earlier run): waiting for it is waiting for progress;
 *   4 answer a challenge of another authorization only: this one is read
 *     once per order and never polled. */
START_TEST(test_prop_false_alarms_authz_reads_before_answering)
{
    for (int k = 0; k < 5; k++) {
        fx f;
        fx_init(&f);
        fx_to_account(&f);
        fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD, created());
        const char *pending =
            k == 3 ? "{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\","
                     "\"value\":\"example.com\"},\"challenges\":[{\"type\":\"http-01\","
                     "\"url\":\"" FX_CHALL "\",\"status\":\"processing\",\"token\":\"tok\"}]}"
                   : FX_AUTHZ_BODY("pending");
        fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(pending));
        if (k == 0)
            fx_post(&f, AFZ_RES_CHALLENGE, FX_CHALL, "", fx_ok(FX_CHALL_BODY("pending")));
        if (k == 1)
            for (int i = 0; i < 2; i++) {
                fx_sleep(&f, 2000);
                fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
            }
        if (k == 2) {
            fx_post(&f, AFZ_RES_CHALLENGE, FX_CHALL, "{}",
                    (fx_resp){.status = 503,
                              .body = FX_PROBLEM("serverInternal", 503),
                              .retry_after = "1"});
            fx_sleep(&f, 1000);
            fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
        }
        if (k != 3 && k != 4) {
            fx_event(&f, AFZ_EV_CHALLENGE_STARTED, FX_CHALL, FX_AUTHZ, FX_IDS, NULL, NULL, 0);
            fx_post(&f, AFZ_RES_CHALLENGE, FX_CHALL, "{}", fx_ok(FX_CHALL_BODY("processing")));
        }
        if (k == 4)
            fx_post(&f, AFZ_RES_CHALLENGE, FX_BASE "/a/10/c/http", "{}",
                    fx_ok("{\"type\":\"http-01\",\"url\":\"" FX_BASE "/a/10/c/http\","
                          "\"status\":\"processing\",\"token\":\"tok2\"}"));
        /* validation takes a while: eight polls, a second apart */
        for (int i = 0; k != 4 && i < 8; i++) {
            fx_sleep(&f, 1000);
            fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(pending));
        }
        fx_sleep(&f, 1000);
        fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("valid")));
        afz_prop_result r = fx_check(&f, "no-unasked-authz-polls");
        ck_assert_msg(r.verdict == AFZ_VERDICT_PASS, "case %d: %s", k, r.message);
        fx_assert_pass(&f, "post-as-get-empty");
        fx_assert_pass(&f, "poll-backoff");
        fx_cleanup(&f);
    }
}
END_TEST

/* lego's shape with a look first: read the challenge by POST-as-GET twice
 * before answering it with {}, then poll the challenge (not the
 * authorization) while the server validates. */
START_TEST(test_prop_false_alarms_challenge_read_then_answered_then_polled)
{
    fx f;
    fx_init(&f);
    fx_to_account(&f);
    fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD, created());
    fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    for (int i = 0; i < 2; i++)
        fx_post(&f, AFZ_RES_CHALLENGE, FX_CHALL, "", fx_ok(FX_CHALL_BODY("pending")));
    fx_event(&f, AFZ_EV_CHALLENGE_STARTED, FX_CHALL, FX_AUTHZ, FX_IDS, NULL, NULL, 0);
    fx_post(&f, AFZ_RES_CHALLENGE, FX_CHALL, "{}", fx_ok(FX_CHALL_BODY("pending")));
    for (int i = 0; i < 8; i++) {
        fx_sleep(&f, 1000);
        fx_post(&f, AFZ_RES_CHALLENGE, FX_CHALL, "",
                fx_ok(i < 7 ? FX_CHALL_BODY("pending") : FX_CHALL_BODY("valid")));
    }
    fx_assert_pass(&f, "no-unasked-authz-polls");
    fx_assert_pass(&f, "post-as-get-empty");
    fx_cleanup(&f);
}
END_TEST

/* bounded-valid-rereads must not flag a client that re-reads a "valid"
 * order without a certificate URL a few times until the URL appears (a
 * lagging replica; the fault certificate_late), with or without back-off,
 * nor the reference client's answer (no re-read: it fails at once), nor
 * re-reads of an order that shows its certificate, nor a client that
 * backs off and gives up after 40 reads. */
START_TEST(test_prop_false_alarms_valid_order_reread_until_certificate)
{
    for (int rereads = 0; rereads <= 3; rereads++) {
        fx f;
        fx_init(&f);
        fx_to_ready(&f);
        fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
                (fx_resp){.status = 200, .body = FX_ORDER_BODY("valid"), .location = FX_ORDER});
        for (int i = 0; i < rereads; i++) {
            fx_sleep(&f, rereads == 3 ? 0 : 1000 << i);
            fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "",
                    fx_ok(i + 1 == rereads ? FX_ORDER_VALID : FX_ORDER_BODY("valid")));
        }
        if (rereads > 0) {
            /* a look or two more at the order that shows the URL */
            fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_VALID));
            f.use_accept = "application/pem-certificate-chain";
            fx_post(&f, AFZ_RES_CERT, FX_CERT, "", fx_ok(FX_PEM));
        }
        afz_prop_result r = fx_check(&f, "bounded-valid-rereads");
        ck_assert_msg(r.verdict == AFZ_VERDICT_PASS, "%d re-reads: %s", rereads, r.message);
        fx_cleanup(&f);
    }

    /* the independent client's shape (clients/independent): back-off
     * doubling from 1 s up to 60 s, 40 reads in all, then it gives up */
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_BODY("valid"), .location = FX_ORDER});
    int64_t wait = 1000;
    for (int i = 0; i < 40; i++) {
        fx_sleep(&f, wait);
        wait = wait * 2 > 60000 ? 60000 : wait * 2;
        fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("valid")));
    }
    fx_assert_pass(&f, "bounded-valid-rereads");
    fx_cleanup(&f);
}
END_TEST

Suite *prop_false_alarms_suite(void)
{
    Suite *s = suite_create("prop_false_alarms");
    TCase *tc = tcase_create("shapes");
    tcase_add_test(tc, test_prop_false_alarms_finalize_after_challenge_valid);
    tcase_add_test(tc, test_prop_false_alarms_unsupported_alg_refused_by_server);
    tcase_add_test(tc, test_prop_false_alarms_retries_bad_nonce);
    tcase_add_test(tc, test_prop_false_alarms_no_crash);
    tcase_add_test(tc, test_prop_false_alarms_succeeds_under_real_world);
    tcase_add_test(tc, test_prop_false_alarms_stateless_campaign);
    tcase_add_test(tc, test_prop_false_alarms_authz_reads_before_answering);
    tcase_add_test(tc, test_prop_false_alarms_challenge_read_then_answered_then_polled);
    tcase_add_test(tc, test_prop_false_alarms_valid_order_reread_until_certificate);
    suite_add_tcase(s, tc);
    return s;
}
