/* check_suite_coverage.c - the suite tiers meet the whole fault catalog
 * (or name why a fault cannot be met over HTTPS), and what the coverage
 * report derives from the in-process runs. */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "afz_buf.h"
#include "afz_fault.h"
#include "afz_suite.h"

/* SOURCE_ROOT/|rel|: $AFZ_SOURCE_DIR when set, else derived from this
 * file's path (absolute, passed by CMake). */
static void source_path(const char *rel, char *out, size_t n)
{
    const char *env = getenv("AFZ_SOURCE_DIR");
    if (env && *env) {
        snprintf(out, n, "%s/%s", env, rel);
        return;
    }
    const char *self = __FILE__;
    const char *tail = strstr(self, "tests/check_suite_coverage.c");
    int root_len = tail ? (int)(tail - self) : 0;
    snprintf(out, n, "%.*s%s", root_len, self, rel);
}

/* Every catalog fault is injected by a scenario of corpus/suite or is on
 * the exclusion list; a new fault without either fails here. */
START_TEST(test_suite_coverage_every_fault_met_or_excluded)
{
    char root[1024], err[256];
    source_path("corpus/suite", root, sizeof(root));
    afz_suite_coverage cov;
    ck_assert_int_eq(afz_suite_coverage_scan(root, &cov, err, sizeof(err)), AFZ_OK);
    ck_assert_uint_gt(cov.n, 0);
    for (size_t i = 0; i < cov.n; i++)
        ck_assert_msg(cov.entries[i].loaded, "%s: %s", cov.entries[i].path, cov.entries[i].error);
    afz_buf names;
    afz_buf_init(&names, 0);
    size_t missing = afz_suite_coverage_missing(&cov, &names);
    ck_assert_msg(missing == 0,
                  "catalog faults neither met by corpus/suite nor excluded: %s (add a scenario "
                  "to corpus/suite/quick or full, or an exclusion with its reason to "
                  "harness/io/suite/afz_suite_coverage.c)",
                  afz_buf_cstr(&names));
    /* both tiers exist and hold scenarios */
    int quick = 0, full = 0;
    for (size_t i = 0; i < cov.n; i++) {
        quick += strcmp(cov.entries[i].tier, "quick") == 0;
        full += strcmp(cov.entries[i].tier, "full") == 0;
    }
    ck_assert_int_gt(quick, 0);
    ck_assert_int_gt(full, 0);
    afz_buf_cleanup(&names);
    afz_suite_coverage_cleanup(&cov);
}
END_TEST

/* An exclusion names a real, non-retired catalog fault, gives a reason,
 * and is not stale (no scenario meets it). */
START_TEST(test_suite_coverage_exclusions_are_real_and_not_stale)
{
    size_t n = 0;
    const afz_suite_exclusion *x = afz_suite_exclusions(&n);
    char root[1024], err[256];
    source_path("corpus/suite", root, sizeof(root));
    afz_suite_coverage cov;
    ck_assert_int_eq(afz_suite_coverage_scan(root, &cov, err, sizeof(err)), AFZ_OK);
    for (size_t i = 0; i < n; i++) {
        const afz_fault_def *d = afz_fault_find(x[i].fault);
        ck_assert_msg(d != NULL, "exclusion %s is no catalog fault", x[i].fault);
        ck_assert_msg(x[i].reason && *x[i].reason, "exclusion %s has no reason", x[i].fault);
        for (size_t k = 0; k < cov.n; k++)
            ck_assert_msg(!cov.entries[k].uses[d->id], "%s is excluded but %s meets it", x[i].fault,
                          cov.entries[k].path);
    }
    afz_suite_coverage_cleanup(&cov);
}
END_TEST

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* A folder with a single fault-free scenario misses faults, names them,
 * and the reference client breaks nothing under it (what the report must
 * not claim); a broken scenario is an unloadable entry, not an error. */
START_TEST(test_suite_coverage_small_folder_names_missing_faults)
{
    char dir[] = "/tmp/afz-cov.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char tier[64], p1[96], p2[96];
    snprintf(tier, sizeof(tier), "%s/quick", dir);
    ck_assert_int_eq(mkdir(tier, 0700), 0);
    snprintf(p1, sizeof(p1), "%s/plain.scn", tier);
    snprintf(p2, sizeof(p2), "%s/broken.scn", tier);
    write_text(p1, "# no fault\n");
    write_text(p2, "order @1 -> no_such_fault()\n");
    afz_suite_coverage cov;
    char err[256];
    ck_assert_int_eq(afz_suite_coverage_scan(dir, &cov, err, sizeof(err)), AFZ_OK);
    ck_assert_uint_eq(cov.n, 2);
    ck_assert_str_eq(cov.entries[0].tier, "quick");
    ck_assert_int_eq(cov.entries[0].loaded, 0); /* broken.scn sorts first */
    ck_assert_int_eq(cov.entries[1].loaded, 1);
    afz_buf names;
    afz_buf_init(&names, 0);
    ck_assert_uint_gt(afz_suite_coverage_missing(&cov, &names), 10);
    ck_assert_ptr_nonnull(strstr(afz_buf_cstr(&names), "async_finalize"));
    ck_assert_int_eq(afz_suite_coverage_exercise(&cov), AFZ_OK);
    ck_assert_ptr_nonnull(cov.entries[1].caught);
    ck_assert_ptr_null(strstr(cov.entries[1].caught, "reference"));
    afz_buf out;
    afz_buf_init(&out, 0);
    afz_suite_coverage_print(&cov, &out);
    ck_assert_ptr_nonnull(strstr(afz_buf_cstr(&out), "MISSING"));
    ck_assert_ptr_nonnull(strstr(afz_buf_cstr(&out), "UNLOADABLE"));
    afz_buf_cleanup(&out);
    afz_buf_cleanup(&names);
    afz_suite_coverage_cleanup(&cov);
    unlink(p1);
    unlink(p2);
    rmdir(tier);
    rmdir(dir);
}
END_TEST

/* Over the quick tier, the reference client breaks no property in
 * process, and the tier catches the zoo clients under their own property
 * for the Retry-After, refinalize and badNonce shapes. */
START_TEST(test_suite_coverage_quick_tier_catches_zoo_not_reference)
{
    char root[1024], err[256];
    source_path("corpus/suite/quick", root, sizeof(root));
    afz_suite_coverage cov;
    ck_assert_int_eq(afz_suite_coverage_scan(root, &cov, err, sizeof(err)), AFZ_OK);
    ck_assert_int_eq(afz_suite_coverage_exercise(&cov), AFZ_OK);
    afz_buf all;
    afz_buf_init(&all, 0);
    for (size_t i = 0; i < cov.n; i++) {
        ck_assert_ptr_nonnull(cov.entries[i].caught);
        ck_assert_msg(!strstr(cov.entries[i].caught, "(reference") &&
                          !strstr(cov.entries[i].caught, ",reference"),
                      "%s: the reference client breaks %s", cov.entries[i].path,
                      cov.entries[i].caught);
        afz_buf_printf(&all, "%s\n", cov.entries[i].caught);
    }
    ck_assert_ptr_nonnull(strstr(afz_buf_cstr(&all), "zoo-ignores-retry-after"));
    ck_assert_ptr_nonnull(strstr(afz_buf_cstr(&all), "zoo-refinalizer-2023"));
    afz_buf_cleanup(&all);
    afz_suite_coverage_cleanup(&cov);
}
END_TEST

Suite *suite_coverage_suite(void)
{
    Suite *s = suite_create("suite_coverage");
    TCase *tc = tcase_create("coverage");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_suite_coverage_every_fault_met_or_excluded);
    tcase_add_test(tc, test_suite_coverage_exclusions_are_real_and_not_stale);
    tcase_add_test(tc, test_suite_coverage_small_folder_names_missing_faults);
    tcase_add_test(tc, test_suite_coverage_quick_tier_catches_zoo_not_reference);
    suite_add_tcase(s, tc);
    return s;
}
