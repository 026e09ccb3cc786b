/* check_report_html.c - the HTML report (afz_report_html.h): hostile bytes
 * never reach the page unescaped, and the page shows what a run did: the
 * re-finalize of zoo-refinalizer-2023 in the verdict table linked to its
 * mark on the timeline, Retry-After windows from the answer to the instant
 * it named, and an early request outlined. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afz_clients.h"
#include "afz_policy.h"
#include "afz_report.h"
#include "afz_report_html.h"
#include "afz_run.h"
#include "afz_scenario.h"

/* ---- helpers ---- */

/* valid_utf8 returns 1 when the |n| bytes at |p| are well-formed UTF-8. */
static int valid_utf8(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        size_t len = c < 0x80                   ? 1
                     : (c >= 0xC2 && c <= 0xDF) ? 2
                     : (c >= 0xE0 && c <= 0xEF) ? 3
                     : (c >= 0xF0 && c <= 0xF4) ? 4
                                                : 0;
        if (!len || i + len > n)
            return 0;
        for (size_t k = 1; k < len; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xBF)
                return 0;
        if ((c == 0xE0 && p[i + 1] < 0xA0) || (c == 0xED && p[i + 1] > 0x9F) ||
            (c == 0xF0 && p[i + 1] < 0x90) || (c == 0xF4 && p[i + 1] > 0x8F))
            return 0;
        i += len;
    }
    return 1;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- escaping, byte by byte ---- */

static const struct {
    const char *in;
    size_t n;
    const char *want;
} esc_cases[] = {
    {"<script>alert(1)</script>", 25, "&lt;script&gt;alert(1)&lt;/script&gt;"},
    {"</style><b>", 11, "&lt;/style&gt;&lt;b&gt;"},
    {"a\" onmouseover=\"x", 17, "a&quot; onmouseover=&quot;x"},
    {"it's & 'that'", 13, "it&#39;s &amp; &#39;that&#39;"},
    {"nul\0byte", 8, "nul&#xFFFD;byte"},
    {"\x01\x1b[31m\x7f", 7, "&#xFFFD;&#xFFFD;[31m&#xFFFD;"},
    {"tab\tnl\ncr\r.", 11, "tab\tnl\ncr."},
    /* overlong '/', a surrogate, a lone continuation, 0xFF, a cut sequence */
    {"\xC0\xAF", 2, "&#xFFFD;&#xFFFD;"},
    {"\xED\xA0\x80", 3, "&#xFFFD;&#xFFFD;&#xFFFD;"},
    {"\x80", 1, "&#xFFFD;"},
    {"\xFF", 1, "&#xFFFD;"},
    {"\xE2\x82", 2, "&#xFFFD;&#xFFFD;"},
    {"\xF4\x90\x80\x80", 4, "&#xFFFD;&#xFFFD;&#xFFFD;&#xFFFD;"},
    /* a C1 control (NEL) */
    {"\xC2\x85", 2, "&#xFFFD;&#xFFFD;"},
    /* well-formed UTF-8 passes: e-acute, euro sign, an emoji */
    {"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 9, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"},
};

START_TEST(test_report_html_escape_cases)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_html_escape(&b, esc_cases[_i].in, esc_cases[_i].n), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&b), esc_cases[_i].want);
    ck_assert_ptr_null(memchr(b.data ? b.data : "", '\0', b.len));
    ck_assert(valid_utf8((const unsigned char *)afz_buf_cstr(&b), b.len));
    afz_buf_cleanup(&b);
}
END_TEST

/* Every byte value, alone and after every other: the output never holds
 * < > " ' NUL, nor a bare & that starts no reference, and is UTF-8. */
START_TEST(test_report_html_escape_every_byte_pair)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    unsigned char in[2];
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned c = 0; c < 256; c++) {
            in[0] = (unsigned char)a;
            in[1] = (unsigned char)c;
            afz_buf_reset(&b);
            ck_assert_int_eq(afz_html_escape(&b, in, 2), AFZ_OK);
            const char *s = afz_buf_cstr(&b);
            ck_assert_msg(!strpbrk(s, "<>\"'"), "bytes %02x %02x: %s", a, c, s);
            ck_assert_ptr_null(memchr(s, '\0', b.len));
            ck_assert_msg(valid_utf8((const unsigned char *)s, b.len), "bytes %02x %02x", a, c);
            for (const char *amp = strchr(s, '&'); amp; amp = strchr(amp + 1, '&'))
                ck_assert_msg(strncmp(amp, "&amp;", 5) == 0 || strncmp(amp, "&lt;", 4) == 0 ||
                                  strncmp(amp, "&gt;", 4) == 0 || strncmp(amp, "&quot;", 6) == 0 ||
                                  strncmp(amp, "&#39;", 5) == 0 || strncmp(amp, "&#xFFFD;", 8) == 0,
                              "bytes %02x %02x: %s", a, c, s);
        }
    }
    afz_buf_cleanup(&b);
}
END_TEST

/* ---- a whole page over a hostile history ---- */

static const char hostile[] = "<script>alert(1)</script></style>\"'";

START_TEST(test_report_html_hostile_history_stays_text)
{
    afz_history h;
    afz_history_init(&h);
    afz_request req;
    afz_response resp;
    ck_assert_int_eq(
        afz_request_init(&req, "POST", "https://acme.invalid/x<script>alert(1)</script>"), AFZ_OK);
    ck_assert_int_eq(afz_headers_add(&req.headers, "X-Evil\"", hostile), AFZ_OK);
    /* a body with NUL and invalid UTF-8 around the script */
    static const char body[] = "\0\xff\xfe<script>alert(1)</script>\xc0\xaf</style>";
    ck_assert_int_eq(afz_request_set_body(&req, body, sizeof(body) - 1), AFZ_OK);
    afz_response_init(&resp);
    resp.status = 400;
    ck_assert_int_eq(afz_headers_add(&resp.headers, "Retry-After", hostile), AFZ_OK);
    ck_assert_int_eq(afz_headers_add(&resp.headers, "Content-Type", "application/problem+json"),
                     AFZ_OK);
    static const char pbody[] =
        "{\"type\":\"urn:ietf:params:acme:error:<script>alert(1)</script>\","
        "\"status\":\"</style><script>alert(1)</script>\"}";
    ck_assert_int_eq(afz_response_set_body(&resp, pbody, sizeof(pbody) - 1), AFZ_OK);
    /* a fault is recorded while its exchange is served, before the exchange */
    ck_assert_int_eq(
        afz_history_add_event(
            &h,
            &(afz_event_in){.kind = AFZ_EV_FAULT, .url = hostile, .detail = hostile, .value = 1}),
        AFZ_OK);
    ck_assert_int_eq(afz_history_add_exchange(&h, &req, &resp, AFZ_RES_ORDER, 0, 0), AFZ_OK);
    ck_assert_int_eq(afz_history_add_exchange(&h, &req, NULL, AFZ_RES_FINALIZE, 1500, 1500),
                     AFZ_OK);
    ck_assert_int_eq(
        afz_history_add_event(
            &h, &(afz_event_in){.kind = AFZ_EV_CLIENT_LOG,
                                .mono_ms = 1500,
                                .detail = "client says <script>alert(1)</script>\x01\xff"}),
        AFZ_OK);

    afz_html_section sec = {.name = hostile,
                            .client = hostile,
                            .scenario = "scn</style>.scn",
                            .plan_text = hostile,
                            .outcome = hostile,
                            .replay = hostile,
                            .history = &h};
    afz_buf page;
    afz_buf_init(&page, 0);
    ck_assert_int_eq(afz_report_html(hostile, &sec, 1, &page), AFZ_OK);
    const char *s = afz_buf_cstr(&page);
    /* only the template's own style and script elements */
    ck_assert_uint_eq(count(s, "<style"), 1);
    ck_assert_uint_eq(count(s, "</style>"), 1);
    ck_assert_uint_eq(count(s, "<script"), 1);
    ck_assert_uint_eq(count(s, "</script>"), 1);
    ck_assert_ptr_null(strstr(s, "alert(1)<"));
    ck_assert_ptr_null(strstr(s, "X-Evil\""));
    ck_assert_ptr_nonnull(strstr(s, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    ck_assert_ptr_null(memchr(page.data, '\0', page.len));
    ck_assert(valid_utf8((const unsigned char *)page.data, page.len));
    /* the client's log line is there, as text */
    ck_assert_ptr_nonnull(strstr(s, "client says &lt;script&gt;alert(1)&lt;/script&gt;&#xFFFD;"
                                    "&#xFFFD;"));
    /* the fault ringed the first mark, the dropped connection is grey */
    ck_assert_ptr_nonnull(strstr(s, "class=\"mk st4 fault\" id=\"s0-x0\""));
    ck_assert_ptr_nonnull(strstr(s, "class=\"mk st0\" id=\"s0-x1\""));
    afz_buf_cleanup(&page);
    afz_request_cleanup(&req);
    afz_response_cleanup(&resp);
    afz_history_cleanup(&h);
}
END_TEST

/* ---- real runs ---- */

static afz_world world;

static void world_setup(void)
{
    ck_assert_int_eq(afz_world_init(&world), AFZ_OK);
}

static void world_teardown(void)
{
    afz_world_cleanup(&world);
}

/* run_page runs |client| under the scenario |text| in process, judges it
 * at --fail-on all and writes the page into |page|; the caller cleans up
 * |r|. */
static void run_page(const char *client, const char *text, afz_run_result *r, afz_report *rep,
                     afz_buf *page)
{
    afz_plan plan;
    afz_scn_error err;
    ck_assert_int_eq(afz_scenario_parse(text, strlen(text), &plan, &err), AFZ_OK);
    const afz_client *c = afz_client_find(client);
    ck_assert_ptr_nonnull(c);
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    afz_run_config_apply_plan(&cfg, &plan);
    afz_run_result_init(r);
    ck_assert_int_eq(afz_run(&world, c, &cfg, r), AFZ_OK);
    afz_policy pol;
    afz_policy_default(&pol);
    char why[128];
    ck_assert_int_eq(afz_policy_levels_parse("all", &pol.fail_levels, why, sizeof(why)), AFZ_OK);
    afz_report_options opt = {.policy = &pol, .limits = NULL};
    ck_assert_int_eq(afz_report_evaluate(r, &cfg, &opt, rep), AFZ_OK);
    afz_html_section sec = {
        .name = client, .client = client, .history = &r->history, .report = rep};
    afz_buf_init(page, 0);
    ck_assert_int_eq(afz_report_html("t", &sec, 1, page), AFZ_OK);
}

static const afz_report_entry *violation_of(const afz_report *rep, const char *id)
{
    for (size_t k = 0; k < rep->n; k++)
        if (strcmp(rep->entries[k].prop->id, id) == 0 &&
            rep->entries[k].result.verdict == AFZ_VERDICT_VIOLATION)
            return &rep->entries[k];
    return NULL;
}

/* corpus/suite/quick/async-finalize.scn */
static const char async_finalize[] =
    "finalize * -> async_finalize(polls=2, delay=0s, retry_after=1)\n";

START_TEST(test_report_html_refinalize_linked_to_timeline)
{
    afz_run_result r;
    afz_report rep;
    afz_buf page;
    run_page("zoo-refinalizer-2023", async_finalize, &r, &rep, &page);
    const char *s = afz_buf_cstr(&page);
    const afz_report_entry *e = violation_of(&rep, "no-refinalize");
    ck_assert_ptr_nonnull(e);
    size_t x = e->result.exchange;
    ck_assert_uint_lt(x, r.history.n_ex);
    ck_assert_str_eq(r.history.ex[x].req.method, "POST");
    ck_assert_int_eq(r.history.ex[x].resource, AFZ_RES_FINALIZE);
    char want[160];
    /* the verdict row, its link to the mark and to the full exchange ... */
    snprintf(want, sizeof(want), "<tr class=\"v-fail\" id=\"s0-v%zu\">", (size_t)(e - rep.entries));
    ck_assert_ptr_nonnull(strstr(s, want));
    const char *row = strstr(s, want);
    const char *row_end = strstr(row, "</tr>");
    ck_assert_ptr_nonnull(strstr(row, "<code>no-refinalize</code>"));
    snprintf(want, sizeof(want), "href=\"#s0-x%zu\"", x);
    const char *link = strstr(row, want);
    ck_assert(link && link < row_end);
    snprintf(want, sizeof(want), "href=\"#s0-d%zu\"", x);
    link = strstr(row, want);
    ck_assert(link && link < row_end);
    /* ... point at a mark that exists on the timeline, ringed as offending,
     * in the lane of the order it re-finalized */
    snprintf(want, sizeof(want), "id=\"s0-x%zu\"", x);
    const char *mark = strstr(s, want);
    ck_assert_ptr_nonnull(mark);
    ck_assert_ptr_nonnull(strstr(strstr(s, "id=\"s0-tl\""), want));
    const char *cls = mark;
    while (cls > s && strncmp(cls, "<a class=\"mk", 12) != 0)
        cls--;
    ck_assert(strncmp(cls, "<a class=\"mk st4", 16) == 0); /* 403 orderNotReady */
    ck_assert_ptr_nonnull(strstr(cls, " off\""));
    const char *lane = cls;
    while (lane > s && strncmp(lane, "<div class=\"lane\">", 18) != 0)
        lane--;
    ck_assert(strncmp(lane + 18, "<div class=\"lname\" title=\"order ", 31) == 0);
    /* ... and at the exchange in full, opened, with its JWS decoded */
    snprintf(want, sizeof(want), "<details id=\"s0-d%zu\" class=\"off\" open>", x);
    const char *det = strstr(s, want);
    ck_assert_ptr_nonnull(det);
    const char *det_end = strstr(det, "</details>");
    const char *hdr = strstr(det, "JWS protected header (decoded)");
    ck_assert(hdr && hdr < det_end);
    const char *kid = strstr(det, "&quot;kid&quot;");
    ck_assert(kid && kid < det_end);
    const char *csr = strstr(det, "&quot;csr&quot;");
    ck_assert(csr && csr < det_end);
    afz_buf_cleanup(&page);
    afz_run_result_cleanup(&r);
}
END_TEST

START_TEST(test_report_html_retry_after_windows)
{
    afz_run_result r;
    afz_report rep;
    afz_buf page;
    run_page("zoo-refinalizer-2023", async_finalize, &r, &rep, &page);
    const char *s = afz_buf_cstr(&page);
    size_t windows = 0;
    for (size_t i = 0; i < r.history.n_ex; i++) {
        const afz_exchange *x = &r.history.ex[i];
        const char *ra = x->delivered ? afz_headers_get(&x->resp.headers, "Retry-After") : NULL;
        char want[160];
        snprintf(want, sizeof(want), "id=\"s0-ra%zu\"", i);
        if (!ra) {
            ck_assert_ptr_null(strstr(s, want));
            continue;
        }
        /* "1" (delta-seconds): from the answer to one second later */
        ck_assert_str_eq(ra, "1");
        snprintf(want, sizeof(want),
                 "id=\"s0-ra%zu\" data-start-ms=\"%" PRId64 "\" data-end-ms=\"%" PRId64 "\"", i,
                 x->mono_ms, x->mono_ms + 1000);
        ck_assert_msg(strstr(s, want), "no window %s", want);
        windows++;
    }
    /* finalize "processing" and two order polls "processing" */
    ck_assert_uint_eq(windows, 3);
    /* the client waited each out: no mark is early */
    ck_assert_ptr_null(strstr(s, " early\" id=\"s0-x"));
    ck_assert_ptr_null(strstr(s, " early off\" id=\"s0-x"));
    afz_buf_cleanup(&page);
    afz_run_result_cleanup(&r);
}
END_TEST

/* corpus/suite/quick/rate-limited-neworder.scn */
static const char rate_limited[] = "newOrder @1 -> rate_limited(retry_after=3)\n";

START_TEST(test_report_html_early_request_outlined)
{
    afz_run_result r;
    afz_report rep;
    afz_buf page;
    run_page("zoo-ignores-retry-after", rate_limited, &r, &rep, &page);
    const char *s = afz_buf_cstr(&page);
    const afz_report_entry *e = violation_of(&rep, "respects-retry-after");
    ck_assert_ptr_nonnull(e);
    size_t x = e->result.exchange;
    char want[96];
    snprintf(want, sizeof(want), " early off\" id=\"s0-x%zu\"", x);
    ck_assert_msg(strstr(s, want), "exchange #%zu not outlined as early", x + 1);
    /* the 429's window runs 3 s from the answer, past the early request */
    ck_assert_uint_gt(x, 0);
    const afz_exchange *prev = NULL;
    for (size_t i = x; i-- > 0;)
        if (strcmp(r.history.ex[i].req.url, r.history.ex[x].req.url) == 0) {
            prev = &r.history.ex[i];
            break;
        }
    ck_assert_ptr_nonnull(prev);
    ck_assert_int_eq(prev->resp.status, 429);
    char win[160];
    snprintf(win, sizeof(win),
             "id=\"s0-ra%zu\" data-start-ms=\"%" PRId64 "\" data-end-ms=\"%" PRId64 "\"",
             prev->index, prev->mono_ms, prev->mono_ms + 3000);
    ck_assert_msg(strstr(s, win), "no window %s", win);
    ck_assert_int_lt(r.history.ex[x].mono_ms, prev->mono_ms + 3000);
    afz_buf_cleanup(&page);
    afz_run_result_cleanup(&r);
}
END_TEST

/* A finalize answer's Retry-After governs its order too (RFC 8555 7.4, as
 * respects-retry-after reads it): the order read 0.5 s later is early, the
 * one after the instant is not, and a 200 "valid" with a Retry-After draws
 * no window (it binds nothing). */
START_TEST(test_report_html_finalize_retry_after_governs_order)
{
    afz_history h;
    afz_history_init(&h);
    static const char processing[] =
        "{\"status\":\"processing\",\"finalize\":\"https://x.invalid/finalize/1\"}";
    static const char valid[] = "{\"status\":\"valid\"}";
    const struct {
        const char *url;
        afz_resource kind;
        int64_t t;
        const char *body;
        const char *ra;
    } xs[] = {
        {"https://x.invalid/finalize/1", AFZ_RES_FINALIZE, 1000, processing, "3"},
        {"https://x.invalid/order/1", AFZ_RES_ORDER, 1500, processing, NULL},
        {"https://x.invalid/order/1", AFZ_RES_ORDER, 5000, valid, "7"},
    };
    for (size_t i = 0; i < 3; i++) {
        afz_request req;
        afz_response resp;
        ck_assert_int_eq(afz_request_init(&req, "POST", xs[i].url), AFZ_OK);
        afz_response_init(&resp);
        resp.status = 200;
        ck_assert_int_eq(afz_headers_add(&resp.headers, "Content-Type", "application/json"),
                         AFZ_OK);
        ck_assert_int_eq(afz_headers_add(&resp.headers, "Location", "https://x.invalid/order/1"),
                         AFZ_OK);
        if (xs[i].ra)
            ck_assert_int_eq(afz_headers_add(&resp.headers, "Retry-After", xs[i].ra), AFZ_OK);
        ck_assert_int_eq(afz_response_set_body(&resp, xs[i].body, strlen(xs[i].body)), AFZ_OK);
        ck_assert_int_eq(afz_history_add_exchange(&h, &req, &resp, xs[i].kind, xs[i].t, xs[i].t),
                         AFZ_OK);
        afz_request_cleanup(&req);
        afz_response_cleanup(&resp);
    }
    afz_html_section sec = {.name = "finalize", .history = &h};
    afz_buf page;
    afz_buf_init(&page, 0);
    ck_assert_int_eq(afz_report_html("t", &sec, 1, &page), AFZ_OK);
    const char *s = afz_buf_cstr(&page);
    ck_assert_ptr_nonnull(strstr(s, "id=\"s0-ra0\" data-start-ms=\"1000\" data-end-ms=\"4000\""));
    ck_assert_ptr_nonnull(strstr(s, "class=\"mk st2 early\" id=\"s0-x1\""));
    ck_assert_ptr_nonnull(strstr(s, "class=\"mk st2\" id=\"s0-x2\""));
    ck_assert_ptr_null(strstr(s, "id=\"s0-ra2\""));
    /* the three share the order's lane */
    ck_assert_uint_eq(count(s, "<div class=\"lane\">"), 1);
    afz_buf_cleanup(&page);
    afz_history_cleanup(&h);
}
END_TEST

Suite *report_html_suite(void)
{
    Suite *s = suite_create("report_html");
    TCase *tc = tcase_create("escape");
    tcase_add_loop_test(tc, test_report_html_escape_cases, 0,
                        (int)(sizeof(esc_cases) / sizeof(esc_cases[0])));
    tcase_add_test(tc, test_report_html_escape_every_byte_pair);
    tcase_add_test(tc, test_report_html_hostile_history_stays_text);
    tcase_add_test(tc, test_report_html_finalize_retry_after_governs_order);
    suite_add_tcase(s, tc);
    tc = tcase_create("runs");
    tcase_add_unchecked_fixture(tc, world_setup, world_teardown);
    tcase_add_test(tc, test_report_html_refinalize_linked_to_timeline);
    tcase_add_test(tc, test_report_html_retry_after_windows);
    tcase_add_test(tc, test_report_html_early_request_outlined);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
