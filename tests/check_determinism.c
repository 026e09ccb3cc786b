/* check_determinism.c - the same input twice gives a byte-identical history
 * (afz_history_to_json) and the same verdicts, whatever ran in between,
 * and a different input gives a different history. Covered: whole checks
 * (afz_check_input: decode, run, evaluate) for the reference client and a
 * zoo client on legal and malformed plans, and the server model's
 * request sequences (afz_fuzz_request_run, the fuzz_server target). */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "afz_check.h"
#include "afz_clients.h"
#include "afz_fuzz_request.h"
#include "afz_prng.h"
#include "afz_scenario.h"

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

/* ---- inputs ---- */

typedef struct plan_input {
    const char *name;
    const char *scn;   /* text form, or NULL for |bytes| */
    uint8_t bytes[40]; /* a raw (often malformed) plan */
    size_t n;
} plan_input;

static const plan_input plan_inputs[] = {
    {"empty plan", "", {0}, 0},
    {"legal: badNonce twice", "newOrder @1 -> bad_nonce()\nfinalize @1 -> bad_nonce()\n", {0}, 0},
    {"legal: async finalize, shuffled",
     "finalize * -> async_finalize(polls=2, delay=0s, retry_after=1)\n"
     "any * -> shuffle()\n",
     {0},
     0},
    {"malformed: random rules",
     NULL,
     {0x3f, 0x11, 0x80, 0x07, 0xff, 0x13, 0x21, 0x05, 0x02, 0x9c, 0x44, 0x01,
      0x7e, 0x08, 0x00, 0x2d, 0xc3, 0x10, 0x55, 0x03, 0x81, 0x0b, 0x66, 0xf0},
     24},
    {"malformed: all ones",
     NULL,
     {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
     13},
    {"malformed: partial rule, two names, ES384", NULL, {0x05, 0x04, 0x00, 0x0e}, 4},
};
#define N_PLAN_INPUTS (sizeof(plan_inputs) / sizeof(plan_inputs[0]))

static void plan_bytes(const plan_input *in, afz_buf *out)
{
    afz_buf_init(out, 0);
    if (!in->scn) {
        ck_assert_int_eq(afz_buf_append(out, in->bytes, in->n), AFZ_OK);
        return;
    }
    afz_plan p;
    afz_scn_error err;
    ck_assert_msg(afz_scenario_parse(in->scn, strlen(in->scn), &p, &err) == AFZ_OK, "%s: %s",
                  in->name, err.msg);
    ck_assert_int_eq(afz_plan_encode(&p, out), AFZ_OK);
}

static const char *const clients[] = {"reference", "zoo-no-badnonce-retry"};

/* ---- whole checks ---- */

/* Checks |in| with |c| and appends the history and every verdict. */
static void check_once(afz_check *c, const char *client, const plan_input *in, afz_buf *out)
{
    const afz_client *cl = afz_client_find(client);
    ck_assert_ptr_nonnull(cl);
    afz_buf bytes;
    plan_bytes(in, &bytes);
    ck_assert_int_eq(afz_check_input(c, &world, cl, (const uint8_t *)bytes.data, bytes.len),
                     AFZ_OK);
    ck_assert_int_eq(afz_history_to_json(&c->run.history, out), AFZ_OK);
    for (size_t i = 0; i < c->report.n; i++) {
        const afz_report_entry *e = &c->report.entries[i];
        ck_assert_int_eq(afz_buf_printf(out, "\n%s %d %zu %s", e->prop->id, (int)e->result.verdict,
                                        e->result.exchange, e->result.message),
                         AFZ_OK);
    }
    afz_buf_cleanup(&bytes);
}

/* _i: client (i / N_PLAN_INPUTS) on input (i % N_PLAN_INPUTS), twice in one
 * afz_check with another input between, and once in a fresh one. */
START_TEST(test_determinism_check_input_repeats)
{
    const char *client = clients[(size_t)_i / N_PLAN_INPUTS];
    const plan_input *in = &plan_inputs[(size_t)_i % N_PLAN_INPUTS];
    const plan_input *other = &plan_inputs[((size_t)_i + 1) % N_PLAN_INPUTS];
    afz_check reused, fresh;
    afz_check_init(&reused);
    afz_check_init(&fresh);
    afz_buf a, between, b, c;
    afz_buf_init(&a, 0);
    afz_buf_init(&between, 0);
    afz_buf_init(&b, 0);
    afz_buf_init(&c, 0);
    check_once(&reused, client, in, &a);
    check_once(&reused, client, other, &between);
    check_once(&reused, client, in, &b);
    check_once(&fresh, client, in, &c);
    ck_assert_msg(a.len > 0 && a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
                  "%s on \"%s\": a second run in the same afz_check differs", client, in->name);
    ck_assert_msg(a.len == c.len && memcmp(a.data, c.data, a.len) == 0,
                  "%s on \"%s\": a run in a fresh afz_check differs", client, in->name);
    afz_buf_cleanup(&a);
    afz_buf_cleanup(&between);
    afz_buf_cleanup(&b);
    afz_buf_cleanup(&c);
    afz_check_cleanup(&reused);
    afz_check_cleanup(&fresh);
}
END_TEST

/* _i as above: input i and input i + 1 give different histories. */
START_TEST(test_determinism_check_input_differs)
{
    const char *client = clients[(size_t)_i / N_PLAN_INPUTS];
    const plan_input *in = &plan_inputs[(size_t)_i % N_PLAN_INPUTS];
    const plan_input *other = &plan_inputs[((size_t)_i + 1) % N_PLAN_INPUTS];
    afz_check c;
    afz_check_init(&c);
    afz_buf a, b, ha, hb;
    afz_buf_init(&a, 0);
    afz_buf_init(&b, 0);
    afz_buf_init(&ha, 0);
    afz_buf_init(&hb, 0);
    check_once(&c, client, in, &a);
    ck_assert_int_eq(afz_history_to_json(&c.run.history, &ha), AFZ_OK);
    check_once(&c, client, other, &b);
    ck_assert_int_eq(afz_history_to_json(&c.run.history, &hb), AFZ_OK);
    ck_assert_msg(ha.len != hb.len || memcmp(ha.data, hb.data, ha.len) != 0,
                  "%s: \"%s\" and \"%s\" give the same history", client, in->name, other->name);
    afz_buf_cleanup(&a);
    afz_buf_cleanup(&b);
    afz_buf_cleanup(&ha);
    afz_buf_cleanup(&hb);
    afz_check_cleanup(&c);
}
END_TEST

/* ---- server request sequences ---- */

/* Records of afz_fuzz_request.h: sel (target | method << 4), flags (key
 * slot, jwk << 2, body << 3), var, run length. */
#define POST(t) (t), 0, 0, 0
#define GET(t, m) (uint8_t)((t) | (m) << 4), AFZ_FREQ_BODY_NONE << 3, 0, 0

/* The whole flow: account, order, challenge, finalize, certificate,
 * revocation, key change. */
static const uint8_t seq_happy[] = {
    0,
    GET(AFZ_FREQ_DIRECTORY, 4),
    GET(AFZ_FREQ_NEW_NONCE, 5),
    AFZ_FREQ_NEW_ACCOUNT,
    1 << 2,
    1,
    0, /* jwk, termsOfServiceAgreed */
    POST(AFZ_FREQ_NEW_ORDER),
    POST(AFZ_FREQ_AUTHZ),
    POST(AFZ_FREQ_CHALLENGE),
    POST(AFZ_FREQ_AUTHZ),
    POST(AFZ_FREQ_ORDER),
    POST(AFZ_FREQ_FINALIZE),
    POST(AFZ_FREQ_CERT),
    POST(AFZ_FREQ_REVOKE),
    AFZ_FREQ_KEY_CHANGE,
    0,
    1,
    0, /* to the EdDSA key */
    AFZ_FREQ_ACCOUNT,
    1,
    0,
    0, /* signed with the EdDSA key */
};

/* Junk: every byte string is a sequence. */
static const uint8_t seq_junk[] = {0x5a, 0xf3, 0x2b, 0x91, 0x00, 0x7c, 0xee, 0x13, 0x42,
                                   0x08, 0xa5, 0x3e, 0xd0, 0x66, 0x01, 0xbf, 0x27, 0x9a};

/* Async issuance, tiny bounds, a broken JWS (alg none) and a raw body. */
static const uint8_t seq_mixed[] = {
    AFZ_FREQ_CFG_ASYNC | AFZ_FREQ_CFG_TINY | AFZ_FREQ_CFG_READY,
    GET(AFZ_FREQ_NEW_NONCE, 5),
    AFZ_FREQ_NEW_ACCOUNT,
    1 << 2,
    1,
    0,
    POST(AFZ_FREQ_NEW_ORDER),
    POST(AFZ_FREQ_FINALIZE),
    AFZ_FREQ_ORDER,
    AFZ_FREQ_BODY_BROKEN << 3,
    0,
    AFZ_FREQ_BREAK_ALG_NONE,
    POST(AFZ_FREQ_ORDER),
    AFZ_FREQ_NEW_ORDER,
    AFZ_FREQ_BODY_RAW << 3,
    0,
    2,
    '{',
    '}',
};

typedef struct seq_input {
    const char *name;
    const uint8_t *bytes;
    size_t n;
} seq_input;

static const seq_input seq_inputs[] = {
    {"happy path", seq_happy, sizeof(seq_happy)},
    {"junk", seq_junk, sizeof(seq_junk)},
    {"mixed", seq_mixed, sizeof(seq_mixed)},
    {"empty", seq_happy, 0},
};
#define N_SEQ_INPUTS (sizeof(seq_inputs) / sizeof(seq_inputs[0]))

static void serve_once(const seq_input *in, afz_history *h, afz_buf *out)
{
    static afz_fuzz_requests seq;
    afz_buf why;
    afz_buf_init(&why, 0);
    afz_history_reset(h);
    afz_fuzz_request_decode(in->bytes, in->n, &seq);
    afz_rc rc = afz_fuzz_request_run(&world, &seq, h, &why);
    ck_assert_msg(rc == AFZ_OK, "%s: %s: %s", in->name, afz_rc_str(rc), afz_buf_cstr(&why));
    ck_assert_int_eq(afz_history_to_json(h, out), AFZ_OK);
    afz_buf_cleanup(&why);
}

START_TEST(test_determinism_server_sequence_repeats)
{
    const seq_input *in = &seq_inputs[_i];
    afz_history h;
    afz_history_init(&h);
    afz_buf a, between, b;
    afz_buf_init(&a, 0);
    afz_buf_init(&between, 0);
    afz_buf_init(&b, 0);
    serve_once(in, &h, &a);
    serve_once(&seq_inputs[((size_t)_i + 1) % N_SEQ_INPUTS], &h, &between);
    serve_once(in, &h, &b);
    ck_assert_msg(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
                  "sequence \"%s\": a second run differs", in->name);
    if (_i + 1 < (int)N_SEQ_INPUTS)
        ck_assert_msg(a.len != between.len || memcmp(a.data, between.data, a.len) != 0,
                      "sequences \"%s\" and the next give the same history", in->name);
    afz_buf_cleanup(&a);
    afz_buf_cleanup(&between);
    afz_buf_cleanup(&b);
    afz_history_cleanup(&h);
}
END_TEST

/* The happy path reaches every deep handler the sequence names. */
START_TEST(test_determinism_server_sequence_reaches_issuance)
{
    afz_history h;
    afz_history_init(&h);
    afz_buf json;
    afz_buf_init(&json, 0);
    serve_once(&seq_inputs[0], &h, &json);
    const afz_event_kind want[] = {
        AFZ_EV_ACCOUNT_CREATED, AFZ_EV_ORDER_CREATED, AFZ_EV_AUTHZ_VALID, AFZ_EV_CERT_ISSUED,
        AFZ_EV_CERT_DOWNLOADED, AFZ_EV_CERT_REVOKED,  AFZ_EV_KEY_CHANGED};
    for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
        size_t n = 0;
        for (size_t i = 0; i < h.n_ev; i++)
            n += h.ev[i].kind == want[k];
        ck_assert_msg(n == 1, "event %s seen %zu times", afz_event_kind_name(want[k]), n);
    }
    ck_assert_int_eq(h.n_ex, 13);
    ck_assert_int_eq(h.ex[12].resp.status, 200); /* the account answers to its new key */
    afz_buf_cleanup(&json);
    afz_history_cleanup(&h);
}
END_TEST

Suite *determinism_suite(void)
{
    Suite *s = suite_create("determinism");
    TCase *tc = tcase_create("determinism");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, world_setup, world_teardown);
    int n_checks = (int)(N_PLAN_INPUTS * (sizeof(clients) / sizeof(clients[0])));
    tcase_add_loop_test(tc, test_determinism_check_input_repeats, 0, n_checks);
    tcase_add_loop_test(tc, test_determinism_check_input_differs, 0, n_checks);
    tcase_add_loop_test(tc, test_determinism_server_sequence_repeats, 0, (int)N_SEQ_INPUTS);
    tcase_add_test(tc, test_determinism_server_sequence_reaches_issuance);
    suite_add_tcase(s, tc);
    return s;
}
