/* check_server_keys.c - the key-size policy of the server model
 * (afz_server.h strict_keys): by default RSA keys from 1024 bits are
 * accepted for accounts and in CSRs, as Pebble accepts them (so a client
 * project's Pebble-based tests pass unchanged); with strict_keys they get
 * badPublicKey and badCSR, as from Boulder. Keys of 2048 bits pass both. */
#include <openssl/evp.h>

#include "afz_jose.h"
#include "server_fixture.h"

static EVP_PKEY *rsa_key(unsigned bits)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    ck_assert_ptr_nonnull(k);
    return k;
}

/* register_with posts newAccount signed by |key|; returns the status. */
static int register_with(t_env *t, EVP_PKEY *key, afz_response *r)
{
    t_post_as(t, U("/new-account"), key, NULL, "{\"termsOfServiceAgreed\":true}", r);
    return r->status;
}

START_TEST(test_server_keys_rsa1024_account)
{
    for (int strict = 0; strict <= 1; strict++) {
        t_env t;
        t_init(&t);
        t.cfg.strict_keys = strict;
        t_start(&t);
        EVP_PKEY *small = rsa_key(1024), *ok = rsa_key(2048), *tiny = rsa_key(768);
        afz_response r;
        if (strict) {
            register_with(&t, small, &r);
            t_assert_problem(&r, 400, "badPublicKey");
        } else {
            ck_assert_int_eq(register_with(&t, small, &r), 201);
        }
        afz_response_cleanup(&r);
        ck_assert_int_eq(register_with(&t, ok, &r), 201);
        afz_response_cleanup(&r);
        /* under 1024 bits: refused either way */
        register_with(&t, tiny, &r);
        t_assert_problem(&r, 400, "badPublicKey");
        afz_response_cleanup(&r);
        EVP_PKEY_free(small);
        EVP_PKEY_free(ok);
        EVP_PKEY_free(tiny);
        t_free(&t);
    }
}
END_TEST

START_TEST(test_server_keys_rsa1024_csr)
{
    static const char *const names[] = {"example.com"};
    for (int strict = 0; strict <= 1; strict++) {
        t_env t;
        t_init(&t);
        t.cfg.strict_keys = strict;
        t_start(&t);
        t_account(&t);
        cJSON *order = t_order(&t, "[{\"type\":\"dns\",\"value\":\"example.com\"}]", NULL);
        t_validate(&t, order);
        EVP_PKEY *small = rsa_key(1024);
        afz_response r;
        t_finalize(&t, order, small, names, 1, &r);
        if (strict)
            t_assert_problem(&r, 400, "badCSR");
        else
            ck_assert_msg(r.status == 200, "%d %s", r.status, (const char *)r.body);
        afz_response_cleanup(&r);
        ck_assert_uint_eq(count_events(&t, AFZ_EV_FINALIZE_ACCEPTED), strict ? 0 : 1);
        EVP_PKEY_free(small);
        cJSON_Delete(order);
        t_free(&t);
    }
}
END_TEST

Suite *server_keys_suite(void)
{
    Suite *s = suite_create("server_keys");
    TCase *tc = tcase_create("rsa");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_server_keys_rsa1024_account);
    tcase_add_test(tc, test_server_keys_rsa1024_csr);
    suite_add_tcase(s, tc);
    return s;
}
