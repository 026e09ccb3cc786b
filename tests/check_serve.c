/* check_serve.c - tests for the server mode's pure parts and its set-up:
 * command templates (afz_suite_expand), the JUnit/TAP writers, the
 * adapter table, and afz_serve_open / reset / the CA bundle (no client:
 * tests/integration/serve_*.sh drive real ones). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "afz_external.h"
#include "afz_serve.h"
#include "afz_suite.h"

#define NELEM(a) (int)(sizeof(a) / sizeof((a)[0]))

static const afz_suite_vars vars = {
    .directory = "https://127.0.0.1:4000/directory",
    .domain = "example.com",
    .domains = "example.com,www.example.com",
    .ca_bundle = "/tmp/w/ca.pem",
    .workdir = "/tmp/w/plain",
    .http_port = "5002",
    .tls_port = "5001",
};

START_TEST(test_serve_expand_fills_every_placeholder)
{
    afz_buf out;
    afz_buf_init(&out, 0);
    char err[128] = "";
    ck_assert_int_eq(afz_suite_expand("c --server {directory} -d {domain} -D {domains} "
                                      "--ca {ca_bundle} --path {workdir}/x --port {http_port} {{} "
                                      "--tls {tls_port}",
                                      &vars, &out, err, sizeof(err)),
                     AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&out),
                     "c --server https://127.0.0.1:4000/directory -d example.com -D "
                     "example.com,www.example.com --ca /tmp/w/ca.pem --path /tmp/w/plain/x "
                     "--port 5002 {} --tls 5001");
    afz_buf_cleanup(&out);
}
END_TEST

static const char *const bad_templates[] = {
    "lego {nope}",     /* unknown placeholder */
    "lego {directory", /* unterminated */
    "lego {}",         /* empty name */
};

START_TEST(test_serve_expand_rejects_bad_templates)
{
    afz_buf out;
    afz_buf_init(&out, 0);
    char err[128] = "";
    ck_assert_int_eq(afz_suite_expand(bad_templates[_i], &vars, &out, err, sizeof(err)),
                     AFZ_EINVAL);
    ck_assert(err[0] != '\0');
    afz_buf_cleanup(&out);
}
END_TEST

START_TEST(test_serve_expand_rejects_unsafe_values)
{
    /* A value with shell syntax must never reach /bin/sh. */
    afz_suite_vars v = vars;
    v.workdir = "/tmp/a b;rm -rf x";
    afz_buf out;
    afz_buf_init(&out, 0);
    char err[128] = "";
    ck_assert_int_eq(afz_suite_expand("ls {workdir}", &v, &out, err, sizeof(err)), AFZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "workdir"));
    afz_buf_cleanup(&out);
}
END_TEST

START_TEST(test_serve_adapters_are_complete)
{
    ck_assert_uint_ge(afz_external_count(), 3);
    for (size_t i = 0; i < afz_external_count(); i++) {
        const afz_external_client *c = afz_external_get(i);
        ck_assert_ptr_eq(afz_external_find(c->name), c);
        afz_buf out;
        afz_buf_init(&out, 0);
        char err[128] = "";
        /* every template expands, names the directory and its trust file */
        ck_assert_int_eq(afz_suite_expand(c->command, &vars, &out, err, sizeof(err)), AFZ_OK);
        ck_assert_ptr_nonnull(strstr(afz_buf_cstr(&out), vars.directory));
        ck_assert_ptr_nonnull(strstr(afz_buf_cstr(&out), vars.ca_bundle));
        /* and answers http-01 on the run's port: by itself or through the
         * webroot the suite publishes */
        ck_assert_msg(strstr(afz_buf_cstr(&out), "127.0.0.1:5002") ||
                          strstr(afz_buf_cstr(&out), "--http-01-port 5002") ||
                          (c->serve_webroot && strstr(afz_buf_cstr(&out), "/webroot/")) ||
                          /* or its driver writes {workdir}/webroot itself */
                          (c->serve_webroot && strstr(afz_buf_cstr(&out), vars.workdir)),
                      "%s does not answer http-01 on {http_port}", c->name);
        afz_buf_cleanup(&out);
    }
    ck_assert_ptr_null(afz_external_find("no-such-client"));
}
END_TEST

START_TEST(test_serve_parse_validate)
{
    unsigned b = 99;
    ck_assert_int_eq(afz_serve_parse_validate("http-01", &b), AFZ_OK);
    ck_assert_uint_eq(b, AFZ_SERVE_VALIDATE_HTTP01);
    ck_assert_int_eq(afz_serve_parse_validate("tls-alpn-01,http-01", &b), AFZ_OK);
    ck_assert_uint_eq(b, AFZ_SERVE_VALIDATE_HTTP01 | AFZ_SERVE_VALIDATE_TLSALPN01);
    ck_assert_int_eq(afz_serve_parse_validate("all", &b), AFZ_OK);
    ck_assert_uint_eq(b, AFZ_SERVE_VALIDATE_HTTP01 | AFZ_SERVE_VALIDATE_TLSALPN01);
    ck_assert_int_eq(afz_serve_parse_validate("none", &b), AFZ_OK);
    ck_assert_uint_eq(b, 0);
    b = 5;
    static const char *const bad[] = {
        "", "dns-01", "http-01,", ",http-01", "http-1", "ALL", "http-01,,tls-alpn-01", "http-01 "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(afz_serve_parse_validate(bad[i], &b) == AFZ_EINVAL, "accepted '%s'", bad[i]);
    ck_assert_uint_eq(b, 5); /* untouched on error */
    ck_assert_int_eq(afz_serve_parse_validate(NULL, &b), AFZ_EINVAL);
}
END_TEST

/* A finished result with one violation whose text needs escaping. */
static void fake_result(afz_suite_result *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "a<b>&\"c\"");
    snprintf(r->path, sizeof(r->path), "corpus/suite/x.scn");
    r->loaded = 1;
    afz_plan_init(&r->plan);
    r->plan_text = strdup("");
    r->log = strdup("#1 GET /directory -> 200\x01\n");
    r->client_tail = strdup("client said <oops> \xff\n");
    r->exit_code = 1;
    r->requests = 1;
    r->attempts = 1;
    r->report.n = 2;
    r->report.entries[0].prop = afz_property_find("terminates");
    r->report.entries[0].result.verdict = AFZ_VERDICT_PASS;
    r->report.entries[0].result.exchange = SIZE_MAX;
    r->report.entries[1].prop = afz_property_find("jws-headers");
    r->report.entries[1].result.verdict = AFZ_VERDICT_VIOLATION;
    r->report.entries[1].fails = 1;
    r->report.entries[1].result.exchange = 0;
    snprintf(r->report.entries[1].result.message, sizeof(r->report.entries[1].result.message),
             "failed: x < y & \"z\"");
    r->report.violations = 1;
}

START_TEST(test_serve_junit_escapes_and_counts)
{
    afz_suite_result r;
    fake_result(&r);
    afz_suite_config cfg = {.client = "lego", .command = "lego", .timeout_s = 5};
    afz_buf out;
    afz_buf_init(&out, 0);
    ck_assert_int_eq(afz_suite_junit(&cfg, &r, 1, &out), AFZ_OK);
    const char *x = afz_buf_cstr(&out);
    ck_assert_ptr_nonnull(strstr(x, "tests=\"2\" failures=\"1\""));
    ck_assert_ptr_nonnull(strstr(x, "a&lt;b&gt;&amp;&quot;c&quot;"));
    ck_assert_ptr_nonnull(strstr(x, "failed: x &lt; y &amp; &quot;z&quot;"));
    ck_assert_ptr_nonnull(strstr(x, "<failure type=\"MUST\""));
    /* no raw control or non-ASCII byte survives */
    for (const unsigned char *p = (const unsigned char *)x; *p; p++)
        ck_assert(*p == '\n' || (*p >= 0x20 && *p < 0x7f));
    afz_buf_reset(&out);
    ck_assert_int_eq(afz_suite_tap(&cfg, &r, 1, &out), AFZ_OK);
    ck_assert_ptr_nonnull(strstr(afz_buf_cstr(&out), "1..1\nnot ok 1 - lego "));
    ck_assert_ptr_nonnull(strstr(afz_buf_cstr(&out), "# violation jws-headers"));
    afz_buf_cleanup(&out);
    afz_suite_result_cleanup(&r);
}
END_TEST

START_TEST(test_serve_open_reset_and_bundle)
{
    afz_serve_config cfg;
    afz_serve_config_default(&cfg);
    afz_serve *s = NULL;
    char err[256] = "";
    ck_assert_int_eq(afz_serve_open(&cfg, &s, err, sizeof(err)), AFZ_OK);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_ne(afz_serve_port(s), 0);
    ck_assert_uint_eq(afz_serve_management_port(s), 0);
    char want[64];
    snprintf(want, sizeof(want), "https://127.0.0.1:%u/directory", (unsigned)afz_serve_port(s));
    ck_assert_str_eq(afz_serve_directory_url(s), want);
    /* the bundle: the TLS root, then the issuing root */
    const char *b = afz_serve_ca_bundle_pem(s);
    const char *first = strstr(b, "-----BEGIN CERTIFICATE-----");
    ck_assert_ptr_nonnull(first);
    ck_assert_ptr_nonnull(strstr(first + 1, "-----BEGIN CERTIFICATE-----"));
    ck_assert_ptr_nonnull(strstr(b, afz_ca_root_pem(afz_serve_ca(s))));
    afz_plan plan;
    afz_plan_init(&plan);
    ck_assert_int_eq(afz_serve_reset(s, &plan), AFZ_OK);
    ck_assert_ptr_eq(afz_serve_plan(s), &plan);
    ck_assert_uint_eq(afz_serve_history(s)->n_ex, 0);
    ck_assert_int_ge(afz_serve_now_ms(s), 0);
    afz_serve_free(s);
}
END_TEST

START_TEST(test_serve_open_reports_a_taken_port)
{
    afz_serve_config cfg;
    afz_serve_config_default(&cfg);
    afz_serve *a = NULL, *b = NULL;
    char err[256] = "";
    ck_assert_int_eq(afz_serve_open(&cfg, &a, err, sizeof(err)), AFZ_OK);
    cfg.port = afz_serve_port(a);
    ck_assert_int_eq(afz_serve_open(&cfg, &b, err, sizeof(err)), AFZ_EIO);
    ck_assert_ptr_null(b);
    ck_assert_ptr_nonnull(strstr(err, "cannot listen"));
    afz_serve_free(a);
}
END_TEST

Suite *serve_suite(void)
{
    Suite *s = suite_create("serve");
    TCase *tc = tcase_create("templates");
    tcase_add_test(tc, test_serve_expand_fills_every_placeholder);
    tcase_add_loop_test(tc, test_serve_expand_rejects_bad_templates, 0, NELEM(bad_templates));
    tcase_add_test(tc, test_serve_expand_rejects_unsafe_values);
    tcase_add_test(tc, test_serve_adapters_are_complete);
    tcase_add_test(tc, test_serve_parse_validate);
    suite_add_tcase(s, tc);
    tc = tcase_create("reports");
    tcase_add_test(tc, test_serve_junit_escapes_and_counts);
    suite_add_tcase(s, tc);
    tc = tcase_create("server");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_serve_open_reset_and_bundle);
    tcase_add_test(tc, test_serve_open_reports_a_taken_port);
    suite_add_tcase(s, tc);
    return s;
}
