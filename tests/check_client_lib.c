/* check_client_lib.c - tests for harness/io/net/afz_client_lib.c: the client table
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
static afz_rc fixture_obtain(const afz_client *self, const afz_env *env, const afz_obtain_params *p,
                             afz_obtain_result *out)
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
#include "afz_clients.h"
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

/* A table of the first version-1 size (ending at obtain) is accepted;
 * what lies past its struct_size is never read, even when it would be
 * refused as a declaration. */
START_TEST(test_client_lib_validate_accepts_old_struct_size)
{
    afz_client c = {
        .abi_version = AFZ_CLIENT_ABI_VERSION,
        .struct_size = (uint32_t)AFZ_CLIENT_MIN_SIZE,
        .name = "old",
        .obtain = fake_obtain,
        .account_algs = AFZ_CLIENT_ALG_ES384,
        .flags = AFZ_CLIENT_STATEFUL | AFZ_CLIENT_STATELESS,
    };
    char err[256];
    ck_assert_msg(afz_client_validate(&c, err, sizeof(err)) == AFZ_OK, "%s", err);
    afz_client_caps caps;
    ck_assert_int_eq(afz_client_caps_get(&c, &caps), AFZ_OK);
    ck_assert_uint_eq(caps.account_algs, AFZ_CLIENT_ALGS_ALL);
    ck_assert_int_eq(caps.stateful, 0);
    ck_assert_int_eq(caps.stateless, 0);
    /* One byte short of the first layout is refused. */
    c.struct_size = (uint32_t)AFZ_CLIENT_MIN_SIZE - 1;
    ck_assert_int_eq(afz_client_validate(&c, err, sizeof(err)), AFZ_EINVAL);
    ck_assert_msg(strstr(err, "smaller"), "%s", err);
}
END_TEST

/* afz_client_caps_get over struct sizes and declarations. */
static const struct {
    size_t struct_size;
    uint32_t account_algs, flags;
    afz_rc rc;
    uint32_t want_algs;
    int stateful, stateless;
} caps_cases[] = {
    /* nothing declared: all algorithms, neither state flag */
    {sizeof(afz_client), 0, 0, AFZ_OK, AFZ_CLIENT_ALGS_ALL, 0, 0},
    {sizeof(afz_client), AFZ_CLIENT_ALG_ES256, AFZ_CLIENT_STATELESS, AFZ_OK, AFZ_CLIENT_ALG_ES256,
     0, 1},
    {sizeof(afz_client), AFZ_CLIENT_ALG_RS256 | AFZ_CLIENT_ALG_EDDSA, AFZ_CLIENT_STATEFUL, AFZ_OK,
     AFZ_CLIENT_ALG_RS256 | AFZ_CLIENT_ALG_EDDSA, 1, 0},
    /* bits a later acmefuzz may define are dropped */
    {sizeof(afz_client), AFZ_CLIENT_ALG_ES384 | (1u << 20), 0x100u, AFZ_OK, AFZ_CLIENT_ALG_ES384, 0,
     0},
    /* contradictions */
    {sizeof(afz_client), 0, AFZ_CLIENT_STATEFUL | AFZ_CLIENT_STATELESS, AFZ_EINVAL,
     AFZ_CLIENT_ALGS_ALL, 0, 0},
    {sizeof(afz_client), 1u << 20, 0, AFZ_EINVAL, AFZ_CLIENT_ALGS_ALL, 0, 0},
    {sizeof(afz_client), 1u << 0, 0, AFZ_EINVAL, AFZ_CLIENT_ALGS_ALL, 0, 0}, /* AFZ_ALG_NONE */
    /* a struct that reaches account_algs but not flags */
    {offsetof(afz_client, flags), AFZ_CLIENT_ALG_ES256, AFZ_CLIENT_STATEFUL | AFZ_CLIENT_STATELESS,
     AFZ_OK, AFZ_CLIENT_ALG_ES256, 0, 0},
};

START_TEST(test_client_lib_caps_read_within_struct_size)
{
    afz_client c = {
        .abi_version = AFZ_CLIENT_ABI_VERSION,
        .struct_size = (uint32_t)caps_cases[_i].struct_size,
        .name = "x",
        .obtain = fake_obtain,
        .account_algs = caps_cases[_i].account_algs,
        .flags = caps_cases[_i].flags,
    };
    afz_client_caps caps;
    ck_assert_int_eq(afz_client_caps_get(&c, &caps), caps_cases[_i].rc);
    ck_assert_uint_eq(caps.account_algs, caps_cases[_i].want_algs);
    ck_assert_int_eq(caps.stateful, caps_cases[_i].stateful);
    ck_assert_int_eq(caps.stateless, caps_cases[_i].stateless);
    char err[256];
    ck_assert_int_eq(afz_client_validate(&c, err, sizeof(err)) == AFZ_OK,
                     caps_cases[_i].rc == AFZ_OK);
    if (caps_cases[_i].rc != AFZ_OK)
        ck_assert_msg(strstr(err, "contradictory capabilities"), "%s", err);
}
END_TEST

/* The asked algorithm when declared, else the first declared in the order
 * ES256, ES384, RS256, EdDSA. */
START_TEST(test_client_lib_caps_pick_alg_first_declared)
{
    afz_client_caps caps = {.account_algs = AFZ_CLIENT_ALGS_ALL};
    ck_assert_int_eq(afz_client_caps_pick_alg(&caps, AFZ_ALG_EDDSA), AFZ_ALG_EDDSA);
    ck_assert_int_eq(afz_client_caps_pick_alg(&caps, AFZ_ALG_ES384), AFZ_ALG_ES384);
    caps.account_algs = AFZ_CLIENT_ALG_ES256;
    ck_assert_int_eq(afz_client_caps_pick_alg(&caps, AFZ_ALG_ES384), AFZ_ALG_ES256);
    ck_assert_int_eq(afz_client_caps_pick_alg(&caps, AFZ_ALG_EDDSA), AFZ_ALG_ES256);
    caps.account_algs = AFZ_CLIENT_ALG_EDDSA | AFZ_CLIENT_ALG_RS256;
    ck_assert_int_eq(afz_client_caps_pick_alg(&caps, AFZ_ALG_ES256), AFZ_ALG_RS256);
    ck_assert_int_eq(afz_client_caps_pick_alg(&caps, AFZ_ALG_EDDSA), AFZ_ALG_EDDSA);
    ck_assert_int_eq(afz_client_caps_pick_alg(&caps, AFZ_ALG_NONE), AFZ_ALG_RS256);
    caps.account_algs = 0; /* not through afz_client_caps_get: taken as all */
    ck_assert_int_eq(afz_client_caps_pick_alg(&caps, AFZ_ALG_RS256), AFZ_ALG_RS256);
    ck_assert_int_eq(afz_client_caps_pick_alg(NULL, AFZ_ALG_ES384), AFZ_ALG_ES384);
}
END_TEST

START_TEST(test_client_lib_algs_parse_and_format)
{
    uint32_t a = 99;
    ck_assert_int_eq(afz_client_algs_parse("ES256", &a), AFZ_OK);
    ck_assert_uint_eq(a, AFZ_CLIENT_ALG_ES256);
    ck_assert_int_eq(afz_client_algs_parse("EdDSA,ES384", &a), AFZ_OK);
    ck_assert_uint_eq(a, AFZ_CLIENT_ALG_EDDSA | AFZ_CLIENT_ALG_ES384);
    ck_assert_int_eq(afz_client_algs_parse("all", &a), AFZ_OK);
    ck_assert_uint_eq(a, AFZ_CLIENT_ALGS_ALL);
    static const char *const bad[] = {"",      "es256",  "ES256,", ",ES256", "ES256,,RS256",
                                      "HS256", "ES2560", "none"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        a = 99;
        ck_assert_msg(afz_client_algs_parse(bad[i], &a) == AFZ_EINVAL, "'%s' accepted", bad[i]);
        ck_assert_uint_eq(a, 0);
    }
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_client_algs_format(AFZ_CLIENT_ALG_EDDSA | AFZ_CLIENT_ALG_ES256, &b),
                     AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&b), "ES256,EdDSA");
    afz_buf_reset(&b);
    ck_assert_int_eq(afz_client_algs_format(0, &b), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&b), "all");
    afz_buf_cleanup(&b);
}
END_TEST

/* Every built-in client says what it does (the reference client and the
 * zoo built on it: all four algorithms, state kept across attempts). */
START_TEST(test_client_lib_builtins_declare_capabilities)
{
    for (size_t i = 0; i < afz_clients_count(); i++) {
        const afz_client *c = afz_clients_get(i);
        char err[256];
        ck_assert_msg(afz_client_validate(c, err, sizeof(err)) == AFZ_OK, "%s: %s", c->name, err);
        ck_assert_msg(c->account_algs == AFZ_CLIENT_ALGS_ALL, "%s declares no algorithms", c->name);
        /* the independent client keeps nothing between attempts */
        unsigned want =
            strcmp(c->name, "independent") == 0 ? AFZ_CLIENT_STATELESS : AFZ_CLIENT_STATEFUL;
        ck_assert_msg(c->flags == want, "%s declares no state", c->name);
    }
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
    afz_client_caps caps;
    ck_assert_int_eq(afz_client_caps_get(c, &caps), AFZ_OK);
    ck_assert_uint_eq(caps.account_algs, AFZ_CLIENT_ALGS_ALL);
    ck_assert_int_eq(caps.stateful, 1); /* as examples/my_client.c declares */

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
    tcase_add_test(tc, test_client_lib_validate_accepts_old_struct_size);
    tcase_add_loop_test(tc, test_client_lib_caps_read_within_struct_size, 0,
                        (int)(sizeof(caps_cases) / sizeof(caps_cases[0])));
    tcase_add_test(tc, test_client_lib_caps_pick_alg_first_declared);
    tcase_add_test(tc, test_client_lib_algs_parse_and_format);
    tcase_add_test(tc, test_client_lib_builtins_declare_capabilities);
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
