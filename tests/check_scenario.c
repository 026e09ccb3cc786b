/* check_scenario.c - the text form of fault plans: canonical texts print
 * back byte for byte, every decodable plan survives print and parse,
 * layout freedom (comments, blank lines, CRLF, tabs), errors with their
 * line and column, and loading plans from files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "afz_buf.h"
#include "afz_plan.h"
#include "afz_prng.h"
#include "afz_scenario.h"

static afz_plan parse_ok(const char *text, size_t n)
{
    afz_plan p;
    afz_scn_error err;
    afz_rc rc = afz_scenario_parse(text, n, &p, &err);
    ck_assert_msg(rc == AFZ_OK, "parse failed at %u:%u: %s\n--- text ---\n%.*s", err.line, err.col,
                  err.msg, (int)n, text);
    return p;
}

/* ---- canonical texts ---- */

static const char *const canonical_texts[] = {
    "",
    "identifiers 2\n",
    "account-key ES384\n",
    "account-key RS256\n",
    "account-key EdDSA\n",
    "attempts 4\n",
    "identifiers 4\naccount-key EdDSA\nattempts 3\n",
    "finalize * -> async_finalize(polls=3, delay=2s, retry_after=3)\n",
    "order @2 -> stale_status(status=ready)\n",
    "any @1 -> bad_nonce()\n",
    "newOrder @127 -> bad_nonce()\n",
    "any @128+ -> server_internal()\n",
    "order @1 after finalize -> stale_status(status=ready)\n",
    "authorization @2+ after challenge -> server_internal()\n",
    "any * after newOrder -> bad_nonce()\n",
    "order @1+ -> retry_after(value=date+5s)\n",
    "authorization * -> authz_pending(polls=15, delay=60s, retry_after=none)\n",
    "directory @3 -> wrong_type(field=newOrder, type=huge_string)\n",
    "certificate @1 -> invalid_pem(chain=bad_base64)\n",
    "any * -> retry_after_bad(value=2^63)\n",
    "challenge @2 -> bogus_status(status=s7)\n",
    "nonce @1 -> no_replay_nonce()\n",
    "account @1 -> user_action_required()\n",
    "revokeCert @1 -> html_error()\nkeyChange * -> content_type(value=json_for_pem)\n",
    "certificate * -> alternate_chains(count=15)\n",
    "any @5+ -> truncate_body(keep=99)\n",
    "identifiers 2\n"
    "attempts 2\n"
    "finalize * -> async_finalize(polls=3, delay=0s, retry_after=date+30s)\n"
    "order @2 -> stale_status(status=pending)\n"
    "newOrder * -> order_reuse()\n"
    "any @7 -> timeout(after=30s)\n",
};

START_TEST(test_scenario_canonical_text_prints_back_unchanged)
{
    const char *text = canonical_texts[_i];
    afz_plan p = parse_ok(text, strlen(text));
    afz_buf out;
    afz_buf_init(&out, 0);
    ck_assert_int_eq(afz_scenario_print(&p, &out), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&out), text);
    /* and the binary form carries the same plan */
    afz_buf bin;
    afz_buf_init(&bin, 0);
    ck_assert_int_eq(afz_plan_encode(&p, &bin), AFZ_OK);
    afz_plan q;
    afz_plan_decode((const uint8_t *)bin.data, bin.len, &q);
    ck_assert(afz_plan_equal(&p, &q));
    afz_buf_cleanup(&bin);
    afz_buf_cleanup(&out);
}
END_TEST

START_TEST(test_scenario_every_decoded_plan_survives_print_and_parse)
{
    afz_prng g;
    afz_prng_seed(&g, UINT64_C(0x73636e) + (uint64_t)_i);
    uint8_t in[120];
    afz_buf text, again;
    afz_buf_init(&text, 0);
    afz_buf_init(&again, 0);
    for (int iter = 0; iter < 1000; iter++) {
        size_t n = (size_t)afz_prng_below(&g, sizeof(in) + 1);
        afz_prng_bytes(&g, in, n);
        afz_plan p, q;
        afz_plan_decode(in, n, &p);
        afz_buf_reset(&text);
        afz_buf_reset(&again);
        if (afz_scenario_print(&p, &text) != AFZ_OK)
            ck_abort_msg("iteration %d: print failed", iter);
        afz_scn_error err;
        if (afz_scenario_parse(text.data ? text.data : "", text.len, &q, &err) != AFZ_OK)
            ck_abort_msg("iteration %d: %u:%u %s\n%s", iter, err.line, err.col, err.msg,
                         afz_buf_cstr(&text));
        if (!afz_plan_equal(&p, &q))
            ck_abort_msg("iteration %d: parse(print(p)) != p\n%s", iter, afz_buf_cstr(&text));
        if (afz_scenario_print(&q, &again) != AFZ_OK || again.len != text.len ||
            memcmp(again.data, text.data, text.len) != 0)
            ck_abort_msg("iteration %d: print is not stable\n%s", iter, afz_buf_cstr(&text));
    }
    afz_buf_cleanup(&text);
    afz_buf_cleanup(&again);
}
END_TEST

/* ---- layout ---- */

static const struct {
    const char *in;
    const char *canonical;
} layout_cases[] = {
    {"# only a comment\n", ""},
    {"\n\n   \n\t\n", ""},
    {"# header\n\nidentifiers 2 # two names\n\n# rules\norder @2 -> stale_status(status=ready)\n",
     "identifiers 2\norder @2 -> stale_status(status=ready)\n"},
    {"identifiers 2\r\norder @2 -> stale_status(status=ready)\r\n",
     "identifiers 2\norder @2 -> stale_status(status=ready)\n"},
    {"\torder\t@2\t->\tstale_status(\tstatus=ready\t)\t\n",
     "order @2 -> stale_status(status=ready)\n"},
    {"   order    @2   ->   stale_status( status=ready )   # trailing\r\n",
     "order @2 -> stale_status(status=ready)\n"},
    {"order @1 -> shuffle()", "order @1 -> shuffle()\n"},
    {"order @1 -> shuffle()#comment", "order @1 -> shuffle()\n"},
    {"finalize * -> async_finalize()\n",
     "finalize * -> async_finalize(polls=0, delay=0s, retry_after=none)\n"},
    {"finalize * -> async_finalize(retry_after=3,polls=2)\n",
     "finalize * -> async_finalize(polls=2, delay=0s, retry_after=3)\n"},
    {"any @3 -> async_finalize(polls=1)\n",
     "finalize * -> async_finalize(polls=1, delay=0s, retry_after=none)\n"},
    {"finalize @1+ -> sync_finalize()\n", "finalize * -> sync_finalize()\n"},
    {"any @01 -> bad_nonce()\n", "any @1 -> bad_nonce()\n"},
    {"identifiers 1\naccount-key ES256\nattempts 1\n", ""},
    {"order @1 -> shuffle()\nattempts 3\nidentifiers 3\n",
     "identifiers 3\nattempts 3\norder @1 -> shuffle()\n"},
    {"identifiers 2\nidentifiers 3\n", "identifiers 3\n"},
    {"directory @1 -> wrong_type(field=url,type=bool)\n",
     "directory @1 -> wrong_type(field=url, type=bool)\n"},
    {"\xef\xbb\xbf", NULL}, /* a BOM is not a statement (see below) */
};

START_TEST(test_scenario_accepts_comments_blank_lines_crlf_and_tabs)
{
    const char *in = layout_cases[_i].in;
    afz_plan p;
    afz_scn_error err;
    afz_rc rc = afz_scenario_parse(in, strlen(in), &p, &err);
    if (!layout_cases[_i].canonical) {
        ck_assert_int_eq(rc, AFZ_EPARSE);
        ck_assert_uint_eq(err.line, 1);
        ck_assert_uint_eq(err.col, 1);
        return;
    }
    ck_assert_msg(rc == AFZ_OK, "%u:%u %s", err.line, err.col, err.msg);
    afz_buf out;
    afz_buf_init(&out, 0);
    ck_assert_int_eq(afz_scenario_print(&p, &out), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&out), layout_cases[_i].canonical);
    afz_buf_cleanup(&out);
}
END_TEST

START_TEST(test_scenario_parses_exactly_n_bytes)
{
    /* the text need not be NUL-terminated: only n bytes count */
    const char text[] = "identifiers 2\nidentifiers 3\n";
    afz_plan p = parse_ok(text, 14);
    ck_assert_uint_eq(p.n_identifiers, 2);
    p = parse_ok(text, 13); /* no newline at the end */
    ck_assert_uint_eq(p.n_identifiers, 2);
    p = parse_ok(text, 0);
    ck_assert_uint_eq(p.n_identifiers, 1);
    ck_assert_uint_eq(p.n_rules, 0);
}
END_TEST

/* ---- errors ---- */

static const char *const seventeen_rules = "order @1 -> shuffle()\n"
                                           "order @2 -> shuffle()\n"
                                           "order @3 -> shuffle()\n"
                                           "order @4 -> shuffle()\n"
                                           "order @5 -> shuffle()\n"
                                           "order @6 -> shuffle()\n"
                                           "order @7 -> shuffle()\n"
                                           "order @8 -> shuffle()\n"
                                           "# a comment does not count\n"
                                           "order @9 -> shuffle()\n"
                                           "order @10 -> shuffle()\n"
                                           "order @11 -> shuffle()\n"
                                           "order @12 -> shuffle()\n"
                                           "order @13 -> shuffle()\n"
                                           "order @14 -> shuffle()\n"
                                           "order @15 -> shuffle()\n"
                                           "order @16 -> shuffle()\n"
                                           "order @17 -> shuffle()\n";

static const struct {
    const char *text;
    size_t len; /* 0: strlen */
    unsigned line, col;
    const char *msg; /* a fragment of the message */
} errors[] = {
    {"bogus\n", 0, 1, 1, "unknown statement or resource 'bogus'"},
    {"order @1 -> nosuch()\n", 0, 1, 13, "unknown fault 'nosuch'"},
    {"order @1 -> stale_status(colour=ready)\n", 0, 1, 26, "has no argument 'colour'"},
    {"finalize * -> async_finalize(polls=1, polls=2)\n", 0, 1, 39, "'polls' given twice"},
    {"order @1 -> stale_status(status=valid)\n", 0, 1, 33, "'valid' is not a value of 'status'"},
    {"finalize * -> async_finalize(delay=4s)\n", 0, 1, 36, "not a value of 'delay'"},
    {"certificate * -> alternate_chains(count=16)\n", 0, 1, 41, "not a value of 'count'"},
    {"order @1 stale_status()\n", 0, 1, 10, "expected '->'"},
    {"order @1 - > shuffle()\n", 0, 1, 10, "expected '->'"},
    {"order @1 after nosuch -> shuffle()\n", 0, 1, 16, "unknown resource 'nosuch' after 'after'"},
    {"order @1 after  -> shuffle()\n", 0, 1, 17, "expected a resource after 'after'"},
    {"finalize * after order -> async_finalize()\n", 0, 1, 1, "no 'after'"},
    {"order @1 -> stale_status(status=ready\n", 0, 1, 38, "expected ',' or ')'"},
    {"order @1 -> stale_status(status=ready;\n", 0, 1, 38, "expected ',' or ')'"},
    {"order @1 -> shuffle\n", 0, 1, 20, "expected '(' after 'shuffle'"},
    {"order @1 -> stale_status (status=ready)\n", 0, 1, 25, "expected '('"},
    {"order @1 -> stale_status(status)\n", 0, 1, 32, "expected '=' after 'status'"},
    {"order @1 -> stale_status(status=)\n", 0, 1, 33, "expected a value for 'status'"},
    {"order @1 -> stale_status(status=ready,)\n", 0, 1, 39, "expected an argument name"},
    {"order @1 -> ()\n", 0, 1, 13, "expected a fault name"},
    {"order @0 -> shuffle()\n", 0, 1, 7, "@1..@127"},
    {"order @128 -> shuffle()\n", 0, 1, 7, "@1..@127"},
    {"order @0+ -> shuffle()\n", 0, 1, 7, "@1..@128"},
    {"order @129+ -> shuffle()\n", 0, 1, 7, "@1..@128"},
    {"order @ -> shuffle()\n", 0, 1, 7, "@1..@127"},
    {"order -> shuffle()\n", 0, 1, 7, "expected an occurrence"},
    {"order\n", 0, 1, 6, "expected an occurrence"},
    {"identifiers 0\n", 0, 1, 13, "'identifiers' wants a number from 1 to 4"},
    {"identifiers 5\n", 0, 1, 13, "'identifiers' wants a number from 1 to 4"},
    {"identifiers\n", 0, 1, 12, "'identifiers' wants a number"},
    {"identifiers two\n", 0, 1, 13, "'identifiers' wants a number"},
    {"attempts 5\n", 0, 1, 10, "'attempts' wants a number from 1 to 4"},
    {"attempts 0\n", 0, 1, 10, "'attempts' wants a number from 1 to 4"},
    {"account-key bogus\n", 0, 1, 13, "'account-key' wants ES256, ES384, RS256 or EdDSA"},
    {"account-key none\n", 0, 1, 13, "'account-key' wants"},
    {"account-key es256\n", 0, 1, 13, "'account-key' wants"},
    {"order @1 -> shuffle()\x01\n", 0, 1, 22, "control character 0x01"},
    {"identifiers 2\norder @1\r -> shuffle()\n", 0, 2, 9, "control character 0x0d"},
    {"order @1 -> shuffle()\0\n", 23, 1, 22, "control character 0x00"},
    {"order * -> async_finalize()\n", 0, 1, 1,
     "fault 'async_finalize' applies to 'finalize', not 'order'"},
    {"directory @1 -> invalid_pem(chain=junk)\n", 0, 1, 1, "applies to 'certificate'"},
    {"order @1 -> shuffle() extra\n", 0, 1, 23, "unexpected text 'extra'"},
    {"identifiers 2 3\n", 0, 1, 15, "unexpected text '3'"},
    {"account-key ES256 ES384\n", 0, 1, 19, "unexpected text"},
    {"order @1 -> shuffle())\n", 0, 1, 22, "unexpected text ')'"},
    {"# fine\n\nidentifiers 2\r\norder @1 -> stale_status(\r\n", 0, 4, 26,
     "expected an argument name"},
    {"identifiers 2\r\nbogus\r\n", 0, 2, 1, "unknown statement"},
    {"order @1 -> aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa()\n", 0, 1, 13,
     "expected a fault name"},
    {"any * -> drop_field(field=status, field=url)\n", 0, 1, 35, "'field' given twice"},
    {"=\n", 0, 1, 1, "expected a statement"},
    {NULL, 0, 18, 1, "more than 16 rules"}, /* seventeen_rules */
};

START_TEST(test_scenario_errors_name_line_and_column)
{
    const char *text = errors[_i].text ? errors[_i].text : seventeen_rules;
    size_t len = errors[_i].len ? errors[_i].len : strlen(text);
    afz_plan p;
    afz_scn_error err;
    ck_assert_int_eq(afz_scenario_parse(text, len, &p, &err), AFZ_EPARSE);
    ck_assert_msg(err.line == errors[_i].line && err.col == errors[_i].col,
                  "%s: at %u:%u, want %u:%u (%s)", text, err.line, err.col, errors[_i].line,
                  errors[_i].col, err.msg);
    ck_assert_msg(strstr(err.msg, errors[_i].msg) != NULL, "message '%s' lacks '%s'", err.msg,
                  errors[_i].msg);
}
END_TEST

START_TEST(test_scenario_sixteen_rules_are_enough)
{
    /* the first 16 of the 17 lines (and the comment) parse */
    const char *cut = strstr(seventeen_rules, "order @17");
    ck_assert_ptr_nonnull(cut);
    afz_plan p = parse_ok(seventeen_rules, (size_t)(cut - seventeen_rules));
    ck_assert_uint_eq(p.n_rules, AFZ_PLAN_MAX_RULES);
    ck_assert_uint_eq(p.rules[15].k, 16);
}
END_TEST

START_TEST(test_scenario_format_refuses_out_of_range_rules)
{
    afz_rule r;
    memset(&r, 0, sizeof(r));
    r.fault = AFZ_FAULT__COUNT;
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_rule_format(&r, &b), AFZ_EINVAL);
    r.fault = AFZ_FAULT_STALE_STATUS;
    r.occ = AFZ_OCC_NTH;
    r.k = 2;
    r.args[0] = 2; /* ready|pending only */
    ck_assert_int_eq(afz_rule_format(&r, &b), AFZ_EINVAL);
    r.args[0] = 1;
    ck_assert_int_eq(afz_rule_format(&r, &b), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&b), "order @2 -> stale_status(status=pending)");
    afz_plan p;
    afz_plan_init(&p);
    p.n_rules = 1;
    p.rules[0] = r;
    p.rules[0].k = 0; /* @0 */
    afz_buf_reset(&b);
    ck_assert_int_eq(afz_scenario_print(&p, &b), AFZ_EINVAL);
    afz_buf_cleanup(&b);
}
END_TEST

/* ---- files ---- */

static char tmpdir[64];

static void tmp_setup(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/afz-check-scenario-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
    static const char *const names[] = {"a.scn",   "a.bin",   "a.txt",     "big.bin",  "big.scn",
                                        "max.bin", "bad.scn", "empty.scn", "empty.bin"};
    char path[128];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    rmdir(tmpdir);
}

static const char *tmp_write(const char *name, const void *data, size_t n)
{
    static char path[128];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

START_TEST(test_scenario_load_reads_scn_as_text)
{
    const char *text = "# the 2023 incident\nidentifiers 2\n"
                       "finalize * -> async_finalize(polls=3, delay=2s, retry_after=3)\n";
    afz_plan p, want = parse_ok(text, strlen(text));
    afz_scn_error err;
    ck_assert_int_eq(afz_plan_load(tmp_write("a.scn", text, strlen(text)), &p, &err), AFZ_OK);
    ck_assert(afz_plan_equal(&p, &want));
    ck_assert_uint_eq(p.n_rules, 1);
    /* an empty .scn is the empty plan */
    afz_plan empty;
    afz_plan_init(&empty);
    ck_assert_int_eq(afz_plan_load(tmp_write("empty.scn", "", 0), &p, &err), AFZ_OK);
    ck_assert(afz_plan_equal(&p, &empty));
}
END_TEST

START_TEST(test_scenario_load_reads_other_files_as_binary)
{
    const uint8_t bin[] = {0x11, 5, 2, AFZ_FAULT_STALE_STATUS, 1, 0, 0};
    afz_plan p, want;
    afz_scn_error err;
    afz_plan_decode(bin, sizeof(bin), &want);
    ck_assert_int_eq(afz_plan_load(tmp_write("a.bin", bin, sizeof(bin)), &p, &err), AFZ_OK);
    ck_assert(afz_plan_equal(&p, &want));
    ck_assert_uint_eq(p.n_identifiers, 2);
    ck_assert_uint_eq(p.attempts, 2);
    ck_assert_uint_eq(p.n_rules, 1);
    ck_assert_int_eq(p.rules[0].fault, AFZ_FAULT_STALE_STATUS);
    /* scenario text in a file not named .scn is bytes like any others */
    const char *text = "order @1 -> shuffle()\n";
    afz_plan_decode((const uint8_t *)text, strlen(text), &want);
    ck_assert_int_eq(afz_plan_load(tmp_write("a.txt", text, strlen(text)), &p, &err), AFZ_OK);
    ck_assert(afz_plan_equal(&p, &want));
    afz_plan empty;
    afz_plan_init(&empty);
    ck_assert_int_eq(afz_plan_load(tmp_write("empty.bin", "", 0), &p, &err), AFZ_OK);
    ck_assert(afz_plan_equal(&p, &empty));
}
END_TEST

START_TEST(test_scenario_load_reports_parse_errors)
{
    const char *text = "identifiers 2\norder @0 -> shuffle()\n";
    afz_plan p;
    afz_scn_error err;
    ck_assert_int_eq(afz_plan_load(tmp_write("bad.scn", text, strlen(text)), &p, &err), AFZ_EPARSE);
    ck_assert_uint_eq(err.line, 2);
    ck_assert_uint_eq(err.col, 7);
    ck_assert_ptr_nonnull(strstr(err.msg, "@1..@127"));
}
END_TEST

START_TEST(test_scenario_load_fails_cleanly_on_missing_and_odd_files)
{
    afz_plan p;
    afz_scn_error err;
    char path[128];
    snprintf(path, sizeof(path), "%s/missing.scn", tmpdir);
    ck_assert_int_eq(afz_plan_load(path, &p, &err), AFZ_EIO);
    ck_assert_uint_eq(err.line, 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "cannot open"));
    snprintf(path, sizeof(path), "%s/missing.bin", tmpdir);
    ck_assert_int_eq(afz_plan_load(path, &p, &err), AFZ_EIO);
    ck_assert_uint_eq(err.line, 0);
    /* a directory is no plan */
    ck_assert_int_ne(afz_plan_load(tmpdir, &p, &err), AFZ_OK);
    ck_assert_uint_eq(err.line, 0);
    ck_assert_uint_gt(strlen(err.msg), 0);
}
END_TEST

START_TEST(test_scenario_load_caps_files_at_one_mib)
{
    size_t mib = (size_t)1 << 20;
    char *big = malloc(mib + 1);
    ck_assert_ptr_nonnull(big);
    memset(big, '#', mib + 1); /* a .scn of comment only */
    big[mib - 1] = '\n';
    afz_plan p, want;
    afz_scn_error err;
    /* exactly 1 MiB loads */
    ck_assert_int_eq(afz_plan_load(tmp_write("max.bin", big, mib), &p, &err), AFZ_OK);
    afz_plan_decode((const uint8_t *)big, mib, &want);
    ck_assert(afz_plan_equal(&p, &want));
    ck_assert_uint_eq(p.n_rules, AFZ_PLAN_MAX_RULES);
    ck_assert_int_eq(afz_plan_load(tmp_write("big.scn", big, mib), &p, &err), AFZ_OK);
    ck_assert_uint_eq(p.n_rules, 0);
    /* one byte more does not */
    ck_assert_int_eq(afz_plan_load(tmp_write("big.bin", big, mib + 1), &p, &err), AFZ_ELIMIT);
    ck_assert_uint_eq(err.line, 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "1 MiB"));
    ck_assert_int_eq(afz_plan_load(tmp_write("big.scn", big, mib + 1), &p, &err), AFZ_ELIMIT);
    ck_assert_ptr_nonnull(strstr(err.msg, "1 MiB"));
    free(big);
}
END_TEST

Suite *scenario_suite(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("text");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_scenario_canonical_text_prints_back_unchanged, 0,
                        (int)(sizeof(canonical_texts) / sizeof(canonical_texts[0])));
    tcase_add_loop_test(tc, test_scenario_every_decoded_plan_survives_print_and_parse, 0, 10);
    tcase_add_loop_test(tc, test_scenario_accepts_comments_blank_lines_crlf_and_tabs, 0,
                        (int)(sizeof(layout_cases) / sizeof(layout_cases[0])));
    tcase_add_test(tc, test_scenario_parses_exactly_n_bytes);
    tcase_add_loop_test(tc, test_scenario_errors_name_line_and_column, 0,
                        (int)(sizeof(errors) / sizeof(errors[0])));
    tcase_add_test(tc, test_scenario_sixteen_rules_are_enough);
    tcase_add_test(tc, test_scenario_format_refuses_out_of_range_rules);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, test_scenario_load_reads_scn_as_text);
    tcase_add_test(tc, test_scenario_load_reads_other_files_as_binary);
    tcase_add_test(tc, test_scenario_load_reports_parse_errors);
    tcase_add_test(tc, test_scenario_load_fails_cleanly_on_missing_and_odd_files);
    tcase_add_test(tc, test_scenario_load_caps_files_at_one_mib);
    suite_add_tcase(s, tc);
    return s;
}
