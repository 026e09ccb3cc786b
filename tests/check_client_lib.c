/* check_client_lib.c - tests for harness/afz_client_lib.c: the client table
 * check and loading clients built as shared objects.
 *
 * The loaded objects are built by CMake (packaging block of the top-level
 * CMakeLists.txt), which passes their paths in:
 *   AFZ_TEST_CLIENT_SO    examples/my_client.c, a working client;
 *   AFZ_TEST_NOENTRY_SO   this file with AFZ_CLIENT_LIB_FIXTURE=1: a shared
 *                         object without afz_client_entry;
 *   AFZ_TEST_BADABI_SO    this file with AFZ_CLIENT_LIB_FIXTURE=2: a client
 *                         table of ABI version 99. */
#include <stddef.h>
#include <stdint.h>

#include "afz_client.h"

#if defined(AFZ_CLIENT_LIB_FIXTURE)

/* Only the fixture objects' code: no Check, nothing else. */
#if AFZ_CLIENT_LIB_FIXTURE == 1
int afz_fixture_not_a_client(void);
int afz_fixture_not_a_client(void)
{
    return 42;
}
#else
static afz_rc fixture_obtain(const afz_client *self, const afz_env *env,
                             const afz_obtain_params *p, afz_obtain_result *out)
{
    (void)self;
    (void)env;
    (void)p;
    (void)out;
    return AFZ_EFAIL;
}

static const afz_client fixture_client = {
    .abi_version = 99,
    .struct_size = sizeof(afz_client),
    .name = "fixture-bad-abi",
    .description = "a client from a future ABI",
    .obtain = fixture_obtain,
};

const afz_client *afz_client_entry(void)
{
    return &fixture_client;
}
#endif

#else /* the Check suite */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "afz_client_lib.h"
#include "afz_run.h"

static afz_rc fake_obtain(const afz_client *self, const afz_env *env, const afz_obtain_params *p,
                          afz_obtain_result *out)
{
    (void)self;
    (void)env;
    (void)p;
    (void)out;
    return AFZ_EFAIL;
}

START_TEST(test_client_lib_validate_accepts_builtin)
{
    char err[256];
    ck_assert_int_eq(afz_client_validate(&afz_client_reference, err, sizeof(err)), AFZ_OK);
    ck_assert_str_eq(err, "");
}
END_TEST

/* Each broken table is refused with AFZ_EINVAL and a message that says
 * what is wrong. */
static const struct {
    uint32_t abi_version;
    uint32_t struct_size;
    const char *name;
    int has_obtain;
    const char *want[2]; /* substrings of the message */
} bad_tables[] = {
    {2, sizeof(afz_client), "x", 1, {"client ABI version 2", "speaks client ABI version 1"}},
    {0, sizeof(afz_client), "x", 1, {"client ABI version 0", "version 1"}},
    {AFZ_CLIENT_ABI_VERSION, 8, "x", 1, {"struct_size 8", "smaller"}},
    {AFZ_CLIENT_ABI_VERSION, sizeof(afz_client), NULL, 1, {"no name", NULL}},
    {AFZ_CLIENT_ABI_VERSION, sizeof(afz_client), "", 1, {"no name", NULL}},
    {AFZ_CLIENT_ABI_VERSION, sizeof(afz_client), "x", 0, {"'x' has no obtain", NULL}},
};

START_TEST(test_client_lib_validate_refuses_broken_tables)
{
    afz_client c = {
        .abi_version = bad_tables[_i].abi_version,
        .struct_size = bad_tables[_i].struct_size,
        .name = bad_tables[_i].name,
        .obtain = bad_tables[_i].has_obtain ? fake_obtain : NULL,
    };
    char err[256];
    ck_assert_int_eq(afz_client_validate(&c, err, sizeof(err)), AFZ_EINVAL);
    for (size_t k = 0; k < 2 && bad_tables[_i].want[k]; k++)
        ck_assert_msg(strstr(err, bad_tables[_i].want[k]), "'%s' lacks '%s'", err,
                      bad_tables[_i].want[k]);
}
END_TEST

START_TEST(test_client_lib_validate_refuses_null)
{
    char err[256];
    ck_assert_int_eq(afz_client_validate(NULL, err, sizeof(err)), AFZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "NULL"));
    /* No room for a message is fine too. */
    ck_assert_int_eq(afz_client_validate(NULL, NULL, 0), AFZ_EINVAL);
}
END_TEST

START_TEST(test_client_lib_open_missing_file_is_eio)
{
    afz_client_lib *lib = (afz_client_lib *)&lib; /* must be reset to NULL */
    char err[512];
    ck_assert_int_eq(afz_client_lib_open("/nonexistent/libnothing.so", &lib, err, sizeof(err)),
                     AFZ_EIO);
    ck_assert_ptr_null(lib);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/libnothing.so"));
    ck_assert_ptr_nonnull(strstr(err, "No such file"));
    ck_assert_int_eq(afz_client_lib_open("", &lib, err, sizeof(err)), AFZ_EINVAL);
    afz_client_lib_close(NULL);
}
END_TEST

START_TEST(test_client_lib_open_not_a_shared_object_is_eio)
{
    char path[] = "/tmp/afz-client-lib-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "not an ELF file\n", 16), 16);
    close(fd);
    afz_client_lib *lib = NULL;
    char err[512];
    afz_rc rc = afz_client_lib_open(path, &lib, err, sizeof(err));
    unlink(path);
    ck_assert_int_eq(rc, AFZ_EIO);
    ck_assert_ptr_null(lib);
    ck_assert_msg(strstr(err, "cannot load"), "%s", err);
}
END_TEST

#ifdef AFZ_TEST_CLIENT_SO
START_TEST(test_client_lib_open_loads_and_runs_a_client)
{
    afz_client_lib *lib = NULL;
    char err[512];
    ck_assert_msg(afz_client_lib_open(AFZ_TEST_CLIENT_SO, &lib, err, sizeof(err)) == AFZ_OK, "%s",
                  err);
    const afz_client *c = afz_client_lib_client(lib);
    ck_assert_str_eq(c->name, "my-client");
    ck_assert_uint_eq(c->abi_version, AFZ_CLIENT_ABI_VERSION);

    /* It runs like a built-in client and obtains a certificate. */
    afz_world world;
    ck_assert_int_eq(afz_world_init(&world), AFZ_OK);
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    afz_run_result res;
    afz_run_result_init(&res);
    ck_assert_int_eq(afz_run(&world, c, &cfg, &res), AFZ_OK);
    ck_assert_msg(res.client_rc == AFZ_OK, "client failed: %s", res.reason);
    ck_assert_ptr_nonnull(res.cert_pem);
    afz_run_result_cleanup(&res);
    afz_world_cleanup(&world);
    afz_client_lib_close(lib);
}
END_TEST

START_TEST(test_client_lib_open_without_entry_is_enotfound)
{
    afz_client_lib *lib = NULL;
    char err[512];
    ck_assert_int_eq(afz_client_lib_open(AFZ_TEST_NOENTRY_SO, &lib, err, sizeof(err)),
                     AFZ_ENOTFOUND);
    ck_assert_ptr_null(lib);
    ck_assert_msg(strstr(err, "no symbol afz_client_entry"), "%s", err);
}
END_TEST

START_TEST(test_client_lib_open_other_abi_is_einval_naming_both)
{
    afz_client_lib *lib = NULL;
    char err[512];
    ck_assert_int_eq(afz_client_lib_open(AFZ_TEST_BADABI_SO, &lib, err, sizeof(err)), AFZ_EINVAL);
    ck_assert_ptr_null(lib);
    ck_assert_msg(strstr(err, "client ABI version 99"), "%s", err);
    ck_assert_msg(strstr(err, "speaks client ABI version 1"), "%s", err);
    ck_assert_msg(strstr(err, AFZ_TEST_BADABI_SO), "%s", err);
}
END_TEST
#endif

Suite *client_lib_suite(void);

Suite *client_lib_suite(void)
{
    Suite *s = suite_create("client_lib");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_client_lib_validate_accepts_builtin);
    tcase_add_loop_test(tc, test_client_lib_validate_refuses_broken_tables, 0,
                        (int)(sizeof(bad_tables) / sizeof(bad_tables[0])));
    tcase_add_test(tc, test_client_lib_validate_refuses_null);
    tcase_add_test(tc, test_client_lib_open_missing_file_is_eio);
    tcase_add_test(tc, test_client_lib_open_not_a_shared_object_is_eio);
#ifdef AFZ_TEST_CLIENT_SO
    tcase_add_test(tc, test_client_lib_open_loads_and_runs_a_client);
    tcase_add_test(tc, test_client_lib_open_without_entry_is_enotfound);
    tcase_add_test(tc, test_client_lib_open_other_abi_is_einval_naming_both);
#endif
    suite_add_tcase(s, tc);
    return s;
}

#endif
