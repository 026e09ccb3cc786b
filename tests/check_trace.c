/* check_trace.c - the trace parses each exchange once into what the
 * properties read (JWS fields, status, problem, Retry-After, nonces,
 * links, Accept) and ties resources together from what the server said,
 * not from its URL layout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "prop_fixtures.h"

static afz_trace *traced(fx *f)
{
    if (!f->traced) {
        ck_assert_int_eq(afz_trace_build(&f->h, &f->t), AFZ_OK);
        f->traced = 1;
    }
    return &f->t;
}

START_TEST(test_trace_empty_history)
{
    afz_history h;
    afz_history_init(&h);
    afz_trace t;
    ck_assert_int_eq(afz_trace_build(&h, &t), AFZ_OK);
    ck_assert_uint_eq(t.n_ex, 0);
    afz_trace_cleanup(&t);
    afz_trace_cleanup(&t); /* safe to repeat */
    afz_history_cleanup(&h);
}
END_TEST

START_TEST(test_trace_reads_jws_fields)
{
    fx f;
    fx_init(&f);
    fx_to_certificate(&f);
    const afz_trace *t = traced(&f);
    ck_assert_uint_eq(t->n_ex, f.h.n_ex);
    /* #1 GET directory: no JWS */
    ck_assert_int_eq(t->ex[0].is_post, 0);
    ck_assert_int_eq(t->ex[0].jws_ok, 0);
    ck_assert_int_eq(t->ex[0].kind, AFZ_RES_DIRECTORY);
    /* #3 newAccount: jwk, the directory's newAccount URL */
    const afz_trace_ex *acct = &t->ex[2];
    ck_assert_int_eq(acct->jws_ok, 1);
    ck_assert_int_eq(acct->has_jwk, 1);
    ck_assert_int_eq(acct->has_kid, 0);
    ck_assert_int_eq(acct->is_new_account, 1);
    ck_assert_str_eq(acct->alg, "ES256");
    ck_assert_str_eq(acct->jws_url, FX_NEW_ACCOUNT);
    ck_assert_str_eq(acct->nonce, "fxNonce0001");
    ck_assert_int_eq(acct->content_type_jose, 1);
    ck_assert_int_eq(acct->payload, AFZ_PAYLOAD_OTHER);
    ck_assert_str_eq(acct->location, FX_ACCOUNT);
    /* #4 newOrder: kid, identifier set, the order it created */
    const afz_trace_ex *no = &t->ex[3];
    ck_assert_str_eq(no->kid, FX_ACCOUNT);
    ck_assert_str_eq(no->new_order_ids, "example.com");
    ck_assert_str_eq(no->order_url, FX_ORDER);
    ck_assert_str_eq(no->obj_status, "pending");
    ck_assert_str_eq(no->finalize, FX_FINALIZE);
    /* #5 authorization read: POST-as-GET */
    ck_assert_int_eq(t->ex[4].payload, AFZ_PAYLOAD_EMPTY);
    ck_assert_int_eq(t->ex[4].is_new_account, 0);
    /* the certificate download asks for PEM */
    const afz_trace_ex *cert = &t->ex[t->n_ex - 1];
    ck_assert_int_eq(cert->kind, AFZ_RES_CERT);
    ck_assert_int_eq(cert->accept_cert, 1);
    ck_assert_ptr_null(cert->body);
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_trace_ties_finalize_to_order_and_account)
{
    fx f;
    fx_init(&f);
    fx_to_certificate(&f);
    const afz_trace *t = traced(&f);
    ck_assert_str_eq(afz_trace_order_of_finalize(t, FX_FINALIZE), FX_ORDER);
    ck_assert_ptr_null(afz_trace_order_of_finalize(t, FX_BASE "/other"));
    ck_assert_ptr_null(afz_trace_order_of_finalize(t, NULL));
    const afz_trace_ex *fin = &t->ex[8];
    ck_assert_int_eq(fin->kind, AFZ_RES_FINALIZE);
    ck_assert_str_eq(fin->order_url, FX_ORDER);
    ck_assert_str_eq(fin->certificate, FX_CERT);
    /* the account URL is known from #3 on */
    ck_assert_int_eq(afz_trace_account_known(t, FX_ACCOUNT, 2), 0);
    ck_assert_int_eq(afz_trace_account_known(t, FX_ACCOUNT, 3), 1);
    ck_assert_int_eq(afz_trace_account_known(t, FX_NEW_ACCOUNT, 99), 0);
    fx_cleanup(&f);
}
END_TEST

/* Only the finalize response's Location ties it (no "finalize" field). */
START_TEST(test_trace_finalize_location_alone_ties_the_order)
{
    fx f;
    fx_init(&f);
    fx_to_account(&f);
    fx_post(&f, AFZ_RES_FINALIZE, FX_BASE "/f/1", FX_CSR,
            (fx_resp){.status = 200,
                      .body = "{\"status\":\"processing\"}",
                      .location = FX_BASE "/ord/1"});
    const afz_trace *t = traced(&f);
    ck_assert_str_eq(afz_trace_order_of_finalize(t, FX_BASE "/f/1"), FX_BASE "/ord/1");
    ck_assert_str_eq(t->ex[3].order_url, FX_BASE "/ord/1");
    fx_cleanup(&f);
}
END_TEST

/* Without a directory, newAccount is the account-kind URL that is not an
 * account URL. */
START_TEST(test_trace_new_account_without_directory)
{
    fx f;
    fx_init(&f);
    fx_get(&f, "HEAD", FX_NEW_NONCE, AFZ_RES_NONCE, (fx_resp){.status = 200});
    f.use_jwk = 1;
    fx_post(&f, AFZ_RES_ACCOUNT, FX_NEW_ACCOUNT, "{}",
            (fx_resp){.status = 201, .body = "{\"status\":\"valid\"}", .location = FX_ACCOUNT});
    fx_post(&f, AFZ_RES_ACCOUNT, FX_ACCOUNT, "", fx_ok("{\"status\":\"valid\"}"));
    const afz_trace *t = traced(&f);
    ck_assert_int_eq(t->ex[1].is_new_account, 1);
    ck_assert_int_eq(t->ex[2].is_new_account, 0);
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_trace_reads_problem_and_status)
{
    fx f;
    fx_init(&f);
    fx_to_ready(&f);
    fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 400, .body = FX_PROBLEM("badNonce", 400)});
    /* "status" of a problem is a number: no object status */
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", (fx_resp){.status = 200, .body = "{\"status\":5}"});
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "", (fx_resp){.status = 200, .body = "[\"ready\"]"});
    const afz_trace *t = traced(&f);
    const afz_trace_ex *p = &t->ex[8];
    ck_assert_int_eq(afz_trace_problem_is(p, "badNonce"), 1);
    ck_assert_int_eq(afz_trace_problem_is(p, "badCSR"), 0);
    ck_assert_int_eq(afz_trace_problem_is(p, "bad"), 0);
    ck_assert_ptr_null(p->obj_status);
    ck_assert_ptr_null(t->ex[9].obj_status);
    ck_assert_ptr_nonnull(t->ex[9].body);
    ck_assert_ptr_null(t->ex[10].body);
    ck_assert_str_eq(t->ex[7].obj_status, "ready");
    ck_assert_ptr_null(t->ex[7].problem);
    fx_cleanup(&f);
}
END_TEST

/* Retry-After: seconds, HTTP-date (from the exchange's wall clock), junk,
 * and two headers. */
START_TEST(test_trace_reads_retry_after)
{
    fx f;
    fx_init(&f);
    fx_sleep(&f, 2500);
    char date[AFZ_HTTPDATE_LEN];
    afz_httpdate_format(AFZ_CLOCK_DEFAULT_EPOCH_MS / 1000 + 10, date);
    fx_get(&f, "HEAD", FX_NEW_NONCE, AFZ_RES_NONCE, (fx_resp){.status = 503, .retry_after = "3"});
    fx_get(&f, "HEAD", FX_NEW_NONCE, AFZ_RES_NONCE, (fx_resp){.status = 503, .retry_after = date});
    fx_get(&f, "HEAD", FX_NEW_NONCE, AFZ_RES_NONCE,
           (fx_resp){.status = 503, .retry_after = "soon"});
    fx_get(&f, "HEAD", FX_NEW_NONCE, AFZ_RES_NONCE,
           (fx_resp){.status = 503, .retry_after = "1", .retry_after2 = "2"});
    fx_get(&f, "HEAD", FX_NEW_NONCE, AFZ_RES_NONCE, fx_lost());
    const afz_trace *t = traced(&f);
    ck_assert_int_eq(t->ex[0].ra_kind, AFZ_RA_SECONDS);
    ck_assert_int_eq(t->ex[0].ra_delay_ms, 3000);
    ck_assert_int_eq(t->ex[0].ra_instant_ms, 5500);
    ck_assert_int_eq(t->ex[1].ra_kind, AFZ_RA_DATE);
    ck_assert_int_eq(t->ex[1].ra_delay_ms, 7500);
    ck_assert_int_eq(t->ex[1].ra_instant_ms, 10000);
    ck_assert_int_eq(t->ex[2].ra_kind, AFZ_RA_INVALID);
    ck_assert_str_eq(t->ex[2].retry_after, "soon");
    ck_assert_uint_eq(t->ex[3].n_retry_after, 2);
    ck_assert_int_eq(t->ex[3].ra_kind, AFZ_RA_INVALID);
    ck_assert_int_eq(t->ex[4].delivered, 0);
    ck_assert_int_eq(t->ex[4].status, 0);
    ck_assert_uint_eq(t->ex[4].n_retry_after, 0);
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_trace_reads_replay_nonces)
{
    fx f;
    fx_init(&f);
    fx_get(&f, "HEAD", FX_NEW_NONCE, AFZ_RES_NONCE, (fx_resp){.status = 200});
    fx_get(&f, "HEAD", FX_NEW_NONCE, AFZ_RES_NONCE,
           (fx_resp){.status = 200, .nonce = "not+base64/url="});
    fx_get(&f, "HEAD", FX_NEW_NONCE, AFZ_RES_NONCE, (fx_resp){.status = 200, .no_nonce = 1});
    const afz_trace *t = traced(&f);
    ck_assert_uint_eq(t->n_nonces, 2);
    ck_assert_uint_eq(t->ex[0].n_nonces, 1);
    ck_assert_int_eq(t->nonces[t->ex[0].nonce_first].valid, 1);
    ck_assert_str_eq(t->nonces[t->ex[1].nonce_first].value, "not+base64/url=");
    ck_assert_int_eq(t->nonces[t->ex[1].nonce_first].valid, 0);
    ck_assert_uint_eq(t->ex[2].n_nonces, 0);
    ck_assert_int_eq(afz_trace_nonce_syntax_ok("aZ09-_"), 1);
    ck_assert_int_eq(afz_trace_nonce_syntax_ok(""), 0);
    ck_assert_int_eq(afz_trace_nonce_syntax_ok("a=b"), 0);
    ck_assert_int_eq(afz_trace_nonce_syntax_ok(NULL), 0);
    fx_cleanup(&f);
}
END_TEST

/* Link (RFC 8288): several per field, quoted or bare rel, rel lists,
 * commas inside quoted parameters; only up and alternate are kept. */
START_TEST(test_trace_reads_certificate_links)
{
    fx f;
    fx_init(&f);
    fx_to_account(&f);
    fx_post(&f, AFZ_RES_CERT, FX_CERT, "",
            (fx_resp){.status = 200,
                      .body = FX_PEM,
                      .link = "<" FX_CERT_UP ">;rel=\"up\", <" FX_DIRECTORY ">;rel=\"index\", "
                              "<" FX_CERT_ALT ">; title=\"a, b\"; REL=\"alternate index\", "
                              "<" FX_BASE "/alt2>;rel=alternate"});
    /* links on other resources are not read */
    fx_post(&f, AFZ_RES_ORDER, FX_ORDER, "",
            (fx_resp){.status = 200,
                      .body = FX_ORDER_VALID,
                      .link = "<" FX_CERT_ALT ">;rel=\"alternate\""});
    /* junk stops the reader quietly */
    fx_post(&f, AFZ_RES_CERT, FX_CERT, "",
            (fx_resp){.status = 200, .body = FX_PEM, .link = "garbage <" FX_CERT_UP ">;rel=up"});
    const afz_trace *t = traced(&f);
    const afz_trace_ex *c = &t->ex[3];
    ck_assert_uint_eq(c->n_links, 3);
    ck_assert_int_eq(t->links[c->link_first].rel, AFZ_REL_UP);
    ck_assert_str_eq(t->links[c->link_first].url, FX_CERT_UP);
    ck_assert_int_eq(t->links[c->link_first + 1].rel, AFZ_REL_ALTERNATE);
    ck_assert_str_eq(t->links[c->link_first + 1].url, FX_CERT_ALT);
    ck_assert_str_eq(t->links[c->link_first + 2].url, FX_BASE "/alt2");
    ck_assert_uint_eq(t->ex[4].n_links, 0);
    ck_assert_uint_eq(t->ex[5].n_links, 0);
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_trace_reads_request_headers_and_bodies)
{
    fx f;
    fx_init(&f);
    fx_to_account(&f);
    f.use_ctype = "Application/JOSE+JSON ; charset=utf-8";
    f.use_accept = "application/json, application/pem-certificate-chain";
    fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "{\"status\":\"deactivated\"}",
            fx_ok(FX_AUTHZ_BODY("deactivated")));
    f.use_body = "not a jws";
    f.use_accept = "application/pkix-cert";
    fx_post(&f, AFZ_RES_CERT, FX_CERT, "", fx_ok(FX_PEM));
    f.use_ctype = "";
    fx_post(&f, AFZ_RES_AUTHZ, FX_AUTHZ, "{\"status\":\"valid\"}", fx_ok(FX_AUTHZ_BODY("valid")));
    const afz_trace *t = traced(&f);
    const afz_trace_ex *d = &t->ex[3];
    ck_assert_int_eq(d->content_type_jose, 1);
    ck_assert_int_eq(d->accept_cert, 0); /* asks for JSON too */
    ck_assert_int_eq(d->payload, AFZ_PAYLOAD_DEACTIVATE);
    const afz_trace_ex *junk = &t->ex[4];
    ck_assert_int_eq(junk->jws_ok, 0);
    ck_assert_ptr_nonnull(junk->jws_error);
    ck_assert_int_eq(junk->payload, AFZ_PAYLOAD_NONE);
    ck_assert_int_eq(junk->accept_cert, 1);
    ck_assert_ptr_null(t->ex[5].content_type);
    ck_assert_int_eq(t->ex[5].content_type_jose, 0);
    ck_assert_int_eq(t->ex[5].payload, AFZ_PAYLOAD_OTHER);
    fx_cleanup(&f);
}
END_TEST

START_TEST(test_trace_joins_identifiers_like_server_events)
{
    static const char *const names[] = {"WWW.example.com", "b.example", "example.com", "B.example"};
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_trace_join_identifiers(names, 4, &b), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&b), "b.example,example.com,www.example.com");
    afz_buf_reset(&b);
    ck_assert_int_eq(afz_trace_join_identifiers(NULL, 0, &b), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&b), "");
    afz_buf_cleanup(&b);

    fx f;
    fx_init(&f);
    fx_to_account(&f);
    fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, "{\"identifiers\":7}", fx_ok(NULL));
    fx_post(&f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, "x", fx_ok(NULL));
    const afz_trace *t = traced(&f);
    ck_assert_str_eq(t->ex[3].new_order_ids, "");
    ck_assert_str_eq(t->ex[4].new_order_ids, "");
    fx_cleanup(&f);
}
END_TEST

Suite *trace_suite(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("trace");
    tcase_add_test(tc, test_trace_empty_history);
    tcase_add_test(tc, test_trace_reads_jws_fields);
    tcase_add_test(tc, test_trace_ties_finalize_to_order_and_account);
    tcase_add_test(tc, test_trace_finalize_location_alone_ties_the_order);
    tcase_add_test(tc, test_trace_new_account_without_directory);
    tcase_add_test(tc, test_trace_reads_problem_and_status);
    tcase_add_test(tc, test_trace_reads_retry_after);
    tcase_add_test(tc, test_trace_reads_replay_nonces);
    tcase_add_test(tc, test_trace_reads_certificate_links);
    tcase_add_test(tc, test_trace_reads_request_headers_and_bodies);
    tcase_add_test(tc, test_trace_joins_identifiers_like_server_events);
    suite_add_tcase(s, tc);
    return s;
}
