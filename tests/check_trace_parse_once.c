/* check_trace_parse_once.c - the trace of an in-process run, which borrows
 * the server model's own parse of each request's JWS (afz_exchange.req_jws),
 * equals the trace of the same history read back from its JSON form, where
 * the trace parses every body itself: field by field, for the reference
 * client and zoo clients over legal and malformed plans. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "afz_check.h"
#include "afz_clients.h"
#include "afz_jose.h"
#include "afz_prng.h"
#include "afz_scenario.h"
#include "afz_trace.h"

static afz_world world;

static void world_setup(void)
{
    afz_detrand_install();
    if (afz_world_init(&world) != AFZ_OK)
        abort();
}

static void world_teardown(void)
{
    afz_world_cleanup(&world);
}

static const char *const scenarios[] = {
    "",
    "newOrder @1 -> bad_nonce()\nfinalize @1 -> bad_nonce()\n",
    "finalize * -> async_finalize(polls=2, delay=0s, retry_after=1)\nany * -> shuffle()\n",
};
#define N_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))
/* Byte plans drawn from a fixed generator, most of them malformed. */
#define N_RANDOM 12
#define N_INPUTS (N_SCENARIOS + N_RANDOM)

static const char *const clients[] = {"reference", "zoo-no-badnonce-retry", "zoo-retry-same-jws",
                                      "zoo-post-as-get-braces"};
#define N_CLIENTS (sizeof(clients) / sizeof(clients[0]))

static void input_bytes(size_t i, afz_buf *out)
{
    afz_buf_init(out, 0);
    if (i < N_SCENARIOS) {
        afz_plan p;
        afz_scn_error err;
        ck_assert_msg(afz_scenario_parse(scenarios[i], strlen(scenarios[i]), &p, &err) == AFZ_OK,
                      "%s", err.msg);
        ck_assert_int_eq(afz_plan_encode(&p, out), AFZ_OK);
        return;
    }
    uint64_t x = 0x9e3779b97f4a7c15u * (uint64_t)(i + 1);
    size_t n = 4 + (size_t)(x % 60);
    for (size_t k = 0; k < n; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint8_t b = (uint8_t)(x >> 24);
        ck_assert_int_eq(afz_buf_append(out, &b, 1), AFZ_OK);
    }
}

static void str_eq(const char *a, const char *b, size_t ex, const char *what)
{
    ck_assert_msg((a == NULL) == (b == NULL) && (!a || strcmp(a, b) == 0),
                  "exchange %zu: %s differs: \"%s\" / \"%s\"", ex, what, a ? a : "(null)",
                  b ? b : "(null)");
}

static void mem_eq(const void *a, size_t na, const void *b, size_t nb, size_t ex, const char *what)
{
    ck_assert_msg(na == nb && (na == 0 || memcmp(a, b, na) == 0), "exchange %zu: %s differs", ex,
                  what);
}

/* cJSON_Compare calls two NULLs different. */
static int json_eq(const cJSON *a, const cJSON *b)
{
    return (a == NULL) == (b == NULL) && (!a || cJSON_Compare(a, b, 1));
}

#define INT_EQ(field) ck_assert_msg(a->field == b->field, "exchange %zu: " #field " differs", i)
#define STR_EQ(field) str_eq(a->field, b->field, i, #field)

static void jws_eq(const afz_jws *a, const afz_jws *b, size_t i)
{
    INT_EQ(alg);
    STR_EQ(alg_name);
    STR_EQ(nonce);
    STR_EQ(url);
    STR_EQ(kid);
    INT_EQ(has_kid);
    INT_EQ(has_jwk);
    ck_assert_msg(json_eq(a->protected_hdr, b->protected_hdr), "exchange %zu: header", i);
    ck_assert_msg(json_eq(a->jwk, b->jwk), "exchange %zu: jwk", i);
    mem_eq(a->payload, a->payload_len, b->payload, b->payload_len, i, "payload");
    mem_eq(a->signing_input, a->signing_input_len, b->signing_input, b->signing_input_len, i,
           "signing input");
    mem_eq(a->sig, a->sig_len, b->sig, b->sig_len, i, "signature");
}

static void ex_eq(const afz_trace_ex *a, const afz_trace_ex *b, size_t i)
{
    INT_EQ(kind);
    STR_EQ(url);
    INT_EQ(is_post);
    INT_EQ(delivered);
    INT_EQ(status);
    STR_EQ(content_type);
    INT_EQ(content_type_jose);
    INT_EQ(accept_cert);
    INT_EQ(jws_ok);
    STR_EQ(jws_error);
    jws_eq(&a->jws, &b->jws, i);
    STR_EQ(alg);
    STR_EQ(nonce);
    STR_EQ(jws_url);
    STR_EQ(kid);
    INT_EQ(has_kid);
    INT_EQ(has_jwk);
    INT_EQ(payload);
    STR_EQ(new_order_ids);
    INT_EQ(is_new_account);
    ck_assert_msg(json_eq(a->body, b->body), "exchange %zu: body", i);
    STR_EQ(obj_status);
    STR_EQ(problem);
    STR_EQ(certificate);
    STR_EQ(finalize);
    STR_EQ(location);
    INT_EQ(n_location);
    INT_EQ(nonce_first);
    INT_EQ(n_nonces);
    INT_EQ(n_retry_after);
    STR_EQ(retry_after);
    INT_EQ(ra_kind);
    INT_EQ(ra_delay_ms);
    INT_EQ(ra_instant_ms);
    INT_EQ(link_first);
    INT_EQ(n_links);
    STR_EQ(order_url);
}

static void trace_eq(const afz_trace *ta, const afz_trace *tb)
{
    ck_assert_uint_eq(ta->n_ex, tb->n_ex);
    for (size_t i = 0; i < ta->n_ex; i++)
        ex_eq(&ta->ex[i], &tb->ex[i], i);
    ck_assert_uint_eq(ta->n_links, tb->n_links);
    for (size_t i = 0; i < ta->n_links; i++) {
        const afz_trace_link *a = &ta->links[i], *b = &tb->links[i];
        INT_EQ(ex);
        INT_EQ(rel);
        STR_EQ(url);
    }
    ck_assert_uint_eq(ta->n_nonces, tb->n_nonces);
    for (size_t i = 0; i < ta->n_nonces; i++) {
        const afz_trace_nonce *a = &ta->nonces[i], *b = &tb->nonces[i];
        INT_EQ(ex);
        STR_EQ(value);
        INT_EQ(valid);
    }
    ck_assert_uint_eq(ta->n_orders, tb->n_orders);
    for (size_t i = 0; i < ta->n_orders; i++) {
        const afz_trace_order_map *a = &ta->orders[i], *b = &tb->orders[i];
        STR_EQ(finalize_url);
        STR_EQ(order_url);
    }
    ck_assert_uint_eq(ta->n_accounts, tb->n_accounts);
    for (size_t i = 0; i < ta->n_accounts; i++) {
        const afz_trace_account *a = &ta->accounts[i], *b = &tb->accounts[i];
        STR_EQ(url);
        INT_EQ(ex);
    }
}

/* _i: client (i / N_INPUTS) on input (i % N_INPUTS). */
START_TEST(test_trace_parse_once_same_both_ways)
{
    const afz_client *cl = afz_client_find(clients[(size_t)_i / N_INPUTS]);
    ck_assert_ptr_nonnull(cl);
    afz_buf bytes, json;
    input_bytes((size_t)_i % N_INPUTS, &bytes);
    afz_buf_init(&json, 0);
    afz_check c;
    afz_check_init(&c);
    ck_assert_int_eq(afz_check_input(&c, &world, cl, (const uint8_t *)bytes.data, bytes.len),
                     AFZ_OK);
    const afz_history *ha = &c.run.history;
    ck_assert_int_eq(afz_history_to_json(ha, &json), AFZ_OK);
    afz_history hb;
    char why[256];
    ck_assert_msg(afz_history_from_json(json.data, json.len, &hb, why, sizeof why) == AFZ_OK, "%s",
                  why);
    ck_assert_uint_eq(ha->n_ex, hb.n_ex);
    for (size_t i = 0; i < hb.n_ex; i++)
        ck_assert_ptr_null(hb.ex[i].req_jws); /* JSON carries no parse */
    afz_trace ta, tb;
    ck_assert_int_eq(afz_trace_build(ha, &ta), AFZ_OK);
    ck_assert_int_eq(afz_trace_build(&hb, &tb), AFZ_OK);
    size_t borrowed = 0;
    for (size_t i = 0; i < ta.n_ex; i++) {
        ck_assert_int_eq(ta.ex[i].jws_borrowed, ha->ex[i].req_jws != NULL);
        ck_assert_int_eq(tb.ex[i].jws_borrowed, 0);
        borrowed += (size_t)ta.ex[i].jws_borrowed;
    }
    /* The reference client's plain issuance (the empty plan): every POST
     * (newAccount, newOrder, authz, challenge, finalize, order, cert). */
    if (_i == 0)
        ck_assert_uint_ge(borrowed, 6);
    trace_eq(&ta, &tb);
    afz_trace_cleanup(&ta);
    afz_trace_cleanup(&tb);
    afz_history_cleanup(&hb);
    afz_check_cleanup(&c);
    afz_buf_cleanup(&bytes);
    afz_buf_cleanup(&json);
}
END_TEST

Suite *trace_parse_once_suite(void)
{
    Suite *s = suite_create("trace_parse_once");
    TCase *tc = tcase_create("core");
    tcase_add_unchecked_fixture(tc, world_setup, world_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_trace_parse_once_same_both_ways, 0, (int)(N_CLIENTS * N_INPUTS));
    suite_add_tcase(s, tc);
    return s;
}
