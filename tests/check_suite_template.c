/* check_suite_template.c - command templates of `acmefuzz suite`: the
 * repeated-flag placeholder, the several-identifiers check, and the text
 * scenario saved under a binary name. */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "afz_buf.h"
#include "afz_scenario.h"
#include "afz_suite.h"

static const afz_suite_vars vars = {
    .directory = "https://127.0.0.1:4000/directory",
    .domain = "example.com",
    .domains = "example.com,www.example.com,a.example.com",
    .ca_bundle = "/tmp/w/ca.pem",
    .workdir = "/tmp/w/plain",
    .http_port = "5002",
    .tls_port = "5001",
};

START_TEST(test_suite_template_repeats_a_flag_per_identifier)
{
    afz_buf out;
    afz_buf_init(&out, 0);
    char err[160] = "";
    ck_assert_int_eq(
        afz_suite_expand("c {domains:--domain} -x {domains:-d}", &vars, &out, err, sizeof(err)),
        AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&out),
                     "c --domain example.com --domain www.example.com --domain a.example.com -x "
                     "-d example.com -d www.example.com -d a.example.com");
    /* one identifier: one flag */
    afz_suite_vars one = vars;
    one.domains = "example.com";
    afz_buf_reset(&out);
    ck_assert_int_eq(afz_suite_expand("c {domains:-d}", &one, &out, err, sizeof(err)), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&out), "c -d example.com");
    afz_buf_cleanup(&out);
}
END_TEST

START_TEST(test_suite_template_rejects_an_unsafe_flag)
{
    afz_buf out;
    afz_buf_init(&out, 0);
    char err[160] = "";
    ck_assert_int_eq(afz_suite_expand("c {domains:-d;rm}", &vars, &out, err, sizeof(err)),
                     AFZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "unsafe"));
    afz_buf_reset(&out);
    ck_assert_int_eq(afz_suite_expand("c {domains:}", &vars, &out, err, sizeof(err)),
                     AFZ_EINVAL); /* an empty flag is no placeholder at all */
    afz_buf_cleanup(&out);
}
END_TEST

START_TEST(test_suite_template_knows_which_pass_every_identifier)
{
    ck_assert(afz_suite_template_passes_all("c -d {domains}"));
    ck_assert(afz_suite_template_passes_all("c {domains:-d}"));
    ck_assert(afz_suite_template_passes_all("c -d \"$AFZ_DOMAINS\""));
    ck_assert(!afz_suite_template_passes_all("c -d {domain} --dir {directory}"));
}
END_TEST

/* A text scenario saved as .bin is read as text (and said so); a real
 * binary plan stays binary. */
START_TEST(test_suite_template_text_scenario_under_a_binary_name)
{
    char path[] = "/tmp/afz-scn.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char *text = "# comment\nnewOrder @1 -> bad_nonce()\n";
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    afz_plan p;
    afz_scn_error err;
    int as_text = 0;
    ck_assert_int_eq(afz_suite_plan_load(path, &p, &err, &as_text), AFZ_OK);
    ck_assert_int_eq(as_text, 1);
    ck_assert_uint_eq(p.n_rules, 1);
    /* binary bytes */
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    const unsigned char bin[] = {0x00, 0x04, 0x01, 0x05, 0x00, 0x00, 0x00, 0x00};
    fwrite(bin, 1, sizeof(bin), f);
    fclose(f);
    ck_assert_int_eq(afz_suite_plan_load(path, &p, &err, &as_text), AFZ_OK);
    ck_assert_int_eq(as_text, 0);
    unlink(path);
}
END_TEST

Suite *suite_template_suite(void)
{
    Suite *s = suite_create("suite_template");
    TCase *tc = tcase_create("template");
    tcase_add_test(tc, test_suite_template_repeats_a_flag_per_identifier);
    tcase_add_test(tc, test_suite_template_rejects_an_unsafe_flag);
    tcase_add_test(tc, test_suite_template_knows_which_pass_every_identifier);
    tcase_add_test(tc, test_suite_template_text_scenario_under_a_binary_name);
    suite_add_tcase(s, tc);
    return s;
}
