/* check_server_eab.c - external account binding on newAccount (RFC 8555
 * 7.3.4, afz_server_eab.c) and the account object's "key" field: a
 * correct binding is accepted (what must not be refused), and each of the
 * RFC's checks refuses the binding that breaks it. */
#include <stdio.h>
#include <string.h>

#include <openssl/hmac.h>

#include "afz_b64.h"
#include "afz_jose.h"
#include "server_fixture.h"

/* "a-key-the-ca-gave-out" as base64url (no padding) */
#define EAB_KID "kid-1"
#define EAB_KEY_B64 "YS1rZXktdGhlLWNhLWdhdmUtb3V0"
#define EAB_KEY_RAW "a-key-the-ca-gave-out"

static const afz_server_eab_key eab_keys[] = {
    {.kid = "kid-0", .b64_key = "b3RoZXIta2V5"},
    {.kid = EAB_KID, .b64_key = EAB_KEY_B64 "=="}, /* padding tolerated */
};

static void start_eab(t_env *t, int required)
{
    t_init(t);
    t->cfg.eab_keys = eab_keys;
    t->cfg.n_eab_keys = sizeof(eab_keys) / sizeof(eab_keys[0]);
    t->cfg.external_account_required = required;
    t_start(t);
}

static void b64(const void *p, size_t n, afz_buf *out)
{
    ck_assert_int_eq(afz_b64url_encode(p, n, out), AFZ_OK);
}

/* jwk_json returns |key|'s public JWK as compact JSON (caller frees). */
static char *jwk_json(EVP_PKEY *key)
{
    cJSON *j = NULL;
    ck_assert_int_eq(afz_jwk_from_key(key, &j), AFZ_OK);
    char *t = afz_json_print_alloc(j, NULL);
    cJSON_Delete(j);
    ck_assert_ptr_nonnull(t);
    return t;
}

/* make_eab writes the binding JWS {"protected","payload","signature"}
 * with header |protected_json|, payload |payload| and an HMAC of |alg_md|
 * under |mac_key|. */
static void make_eab(const char *protected_json, const char *payload, const EVP_MD *alg_md,
                     const char *mac_key, afz_buf *out)
{
    afz_buf ph, pl, sig, input;
    afz_buf_init(&ph, 0);
    afz_buf_init(&pl, 0);
    afz_buf_init(&sig, 0);
    afz_buf_init(&input, 0);
    b64(protected_json, strlen(protected_json), &ph);
    b64(payload, strlen(payload), &pl);
    afz_buf_printf(&input, "%s.%s", afz_buf_cstr(&ph), afz_buf_cstr(&pl));
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    ck_assert_ptr_nonnull(HMAC(alg_md, mac_key, (int)strlen(mac_key),
                               (const unsigned char *)input.data, input.len, mac, &mac_len));
    b64(mac, mac_len, &sig);
    afz_buf_printf(out, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
                   afz_buf_cstr(&ph), afz_buf_cstr(&pl), afz_buf_cstr(&sig));
    afz_buf_cleanup(&ph);
    afz_buf_cleanup(&pl);
    afz_buf_cleanup(&sig);
    afz_buf_cleanup(&input);
}

/* new_account posts newAccount with |key| and the binding |eab| (NULL:
 * none). */
static void new_account(t_env *t, EVP_PKEY *key, const char *eab, afz_response *r)
{
    afz_buf payload;
    afz_buf_init(&payload, 0);
    afz_buf_printf(&payload, "{\"termsOfServiceAgreed\":true%s%s%s}",
                   eab ? ",\"externalAccountBinding\":" : "", eab ? eab : "", "");
    t_post_as(t, U("/new-account"), key, NULL, afz_buf_cstr(&payload), r);
    afz_buf_cleanup(&payload);
}

/* binding makes the usual binding of |key|: HS256, kid-1, the newAccount URL. */
static void binding(EVP_PKEY *key, const char *kid, const char *mac_key, afz_buf *out)
{
    char hdr[256];
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"kid\":\"%s\",\"url\":\"%s\"}", kid,
             U("/new-account"));
    char *jwk = jwk_json(key);
    make_eab(hdr, jwk, EVP_sha256(), mac_key, out);
    free(jwk);
}

START_TEST(test_eab_correct_binding_accepted_and_key_shown)
{
    t_env t;
    start_eab(&t, 1);
    EVP_PKEY *key = new_key();
    afz_buf eab;
    afz_buf_init(&eab, 0);
    binding(key, EAB_KID, EAB_KEY_RAW, &eab);
    afz_response r;
    new_account(&t, key, afz_buf_cstr(&eab), &r);
    ck_assert_msg(r.status == 201, "%d %s", r.status, (const char *)r.body);
    /* the account object carries its key, as Pebble and Boulder give it */
    cJSON *acct = t_json(&r);
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(acct, "key");
    ck_assert(cJSON_IsObject(k));
    EVP_PKEY *back = NULL;
    ck_assert_int_eq(afz_jwk_to_key(k, &back), AFZ_OK);
    ck_assert_int_eq(EVP_PKEY_eq(back, key), 1);
    EVP_PKEY_free(back);
    cJSON_Delete(acct);
    afz_response_cleanup(&r);
    /* HS512 is a MAC algorithm too */
    EVP_PKEY *key2 = new_key();
    char hdr[256];
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS512\",\"kid\":\"%s\",\"url\":\"%s\"}", EAB_KID,
             U("/new-account"));
    char *jwk = jwk_json(key2);
    afz_buf_reset(&eab);
    make_eab(hdr, jwk, EVP_sha512(), EAB_KEY_RAW, &eab);
    new_account(&t, key2, afz_buf_cstr(&eab), &r);
    ck_assert_msg(r.status == 201, "%d %s", r.status, (const char *)r.body);
    afz_response_cleanup(&r);
    free(jwk);
    EVP_PKEY_free(key2);
    EVP_PKEY_free(key);
    afz_buf_cleanup(&eab);
    t_free(&t);
}
END_TEST

START_TEST(test_eab_each_check_refuses)
{
    t_env t;
    start_eab(&t, 1);
    EVP_PKEY *key = new_key(), *other = new_key();
    afz_buf eab;
    afz_buf_init(&eab, 0);
    afz_response r;
    char hdr[256];

    /* 4. a MAC under another key */
    binding(key, EAB_KID, "not-the-key", &eab);
    new_account(&t, key, afz_buf_cstr(&eab), &r);
    t_assert_problem(&r, 403, "unauthorized");
    afz_response_cleanup(&r);

    /* 3. a kid the CA never gave out */
    afz_buf_reset(&eab);
    binding(key, "kid-unknown", EAB_KEY_RAW, &eab);
    new_account(&t, key, afz_buf_cstr(&eab), &r);
    t_assert_problem(&r, 403, "unauthorized");
    afz_response_cleanup(&r);

    /* 5. the payload names another key than the outer JWS's */
    afz_buf_reset(&eab);
    binding(other, EAB_KID, EAB_KEY_RAW, &eab);
    new_account(&t, key, afz_buf_cstr(&eab), &r);
    t_assert_problem(&r, 403, "unauthorized");
    afz_response_cleanup(&r);

    /* 2. header rules: url, nonce, alg */
    char *jwk = jwk_json(key);
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"kid\":\"%s\",\"url\":\"%s\"}", EAB_KID,
             U("/new-order"));
    afz_buf_reset(&eab);
    make_eab(hdr, jwk, EVP_sha256(), EAB_KEY_RAW, &eab);
    new_account(&t, key, afz_buf_cstr(&eab), &r);
    t_assert_problem(&r, 400, "malformed");
    afz_response_cleanup(&r);

    snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"kid\":\"%s\",\"url\":\"%s\",\"nonce\":\"x\"}",
             EAB_KID, U("/new-account"));
    afz_buf_reset(&eab);
    make_eab(hdr, jwk, EVP_sha256(), EAB_KEY_RAW, &eab);
    new_account(&t, key, afz_buf_cstr(&eab), &r);
    t_assert_problem(&r, 400, "malformed");
    afz_response_cleanup(&r);

    snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%s\",\"url\":\"%s\"}", EAB_KID,
             U("/new-account"));
    afz_buf_reset(&eab);
    make_eab(hdr, jwk, EVP_sha256(), EAB_KEY_RAW, &eab);
    new_account(&t, key, afz_buf_cstr(&eab), &r);
    t_assert_problem(&r, 400, "badSignatureAlgorithm");
    afz_response_cleanup(&r);

    /* 1. not a JWS at all */
    new_account(&t, key, "{\"protected\":1}", &r);
    t_assert_problem(&r, 400, "malformed");
    afz_response_cleanup(&r);
    new_account(&t, key, "\"a string\"", &r);
    t_assert_problem(&r, 400, "malformed");
    afz_response_cleanup(&r);

    /* required and absent */
    new_account(&t, key, NULL, &r);
    t_assert_problem(&r, 403, "externalAccountRequired");
    afz_response_cleanup(&r);
    /* no account was made by any of them */
    ck_assert_uint_eq(count_events(&t, AFZ_EV_ACCOUNT_CREATED), 0);
    free(jwk);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
    afz_buf_cleanup(&eab);
    t_free(&t);
}
END_TEST

/* Without MAC keys and not required, a binding is not checked (Pebble
 * ignores it then): a client that always sends one still registers. */
START_TEST(test_eab_ignored_without_keys)
{
    t_env t;
    t_init(&t);
    t_start(&t);
    EVP_PKEY *key = new_key();
    afz_buf eab;
    afz_buf_init(&eab, 0);
    binding(key, EAB_KID, "whatever", &eab);
    afz_response r;
    new_account(&t, key, afz_buf_cstr(&eab), &r);
    ck_assert_msg(r.status == 201, "%d %s", r.status, (const char *)r.body);
    afz_response_cleanup(&r);
    EVP_PKEY_free(key);
    afz_buf_cleanup(&eab);
    t_free(&t);
}
END_TEST

Suite *server_eab_suite(void)
{
    Suite *s = suite_create("server_eab");
    TCase *tc = tcase_create("eab");
    tcase_add_test(tc, test_eab_correct_binding_accepted_and_key_shown);
    tcase_add_test(tc, test_eab_each_check_refuses);
    tcase_add_test(tc, test_eab_ignored_without_keys);
    suite_add_tcase(s, tc);
    return s;
}
