/* check_server_profile.c - certificate profiles in the server model
 * (draft-aaron-acme-profiles-01, afz_server_profile.c): the directory
 * names them, newOrder's "profile" is reflected and sets the validity,
 * an order without one gets the default, an unknown one is 400
 * invalidProfile; and without profiles (the in-process model) nothing
 * changes: no meta.profiles, a "profile" field ignored. */
#include <string.h>

#include <openssl/x509.h>

#include "server_fixture.h"

#define DAY_S INT64_C(86400)

static const afz_server_profile profiles[] = {
    {"default", "The profile you know and love", 90 * DAY_S},
    {"shortlived", "https://example.com/docs#shortlived", 6 * DAY_S},
};

static void start(t_env *t, int with_profiles)
{
    t_init(t);
    if (with_profiles) {
        t->cfg.profiles = profiles;
        t->cfg.n_profiles = sizeof(profiles) / sizeof(profiles[0]);
    }
    t_start(t);
    t_account(t);
}

/* validity_days: notAfter - notBefore of |leaf| in whole days */
static int validity_days(X509 *leaf)
{
    int days = 0, secs = 0;
    ck_assert_int_eq(
        ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(leaf), X509_get0_notAfter(leaf)), 1);
    return days;
}

/* issue_with: an order for |name| with the payload members |extra|,
 * validated, finalized, its certificate fetched; returns the order as
 * newOrder answered it and *leaf */
static cJSON *issue_with(t_env *t, const char *name, const char *extra, X509 **leaf)
{
    char ids[300];
    snprintf(ids, sizeof ids, "[{\"type\":\"dns\",\"value\":\"%s\"}]%s", name, extra);
    cJSON *o = t_order(t, ids, NULL);
    t_validate(t, o);
    EVP_PKEY *ck = new_key();
    afz_response r;
    const char *names[] = {name};
    t_finalize(t, o, ck, names, 1, &r);
    ck_assert_int_eq(r.status, 200);
    cJSON *fin = t_json(&r);
    afz_response_cleanup(&r);
    ck_assert_str_eq(afz_json_str(fin, "status"), "valid");
    /* the profile stays in every answer about the order */
    ck_assert_str_eq(afz_json_str(fin, "profile") ? afz_json_str(fin, "profile") : "(none)",
                     afz_json_str(o, "profile") ? afz_json_str(o, "profile") : "(none)");
    t_post(t, afz_json_str(fin, "certificate"), NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(parse_chain(&r, leaf), 2);
    afz_response_cleanup(&r);
    cJSON_Delete(fin);
    EVP_PKEY_free(ck);
    return o;
}

START_TEST(test_profiles_directory)
{
    for (int on = 0; on <= 1; on++) {
        t_env t;
        start(&t, on);
        afz_response r;
        t_plain(&t, "GET", U("/directory"), &r);
        cJSON *d = t_json(&r);
        afz_response_cleanup(&r);
        const cJSON *p = afz_json_object(afz_json_object(d, "meta"), "profiles");
        if (!on) {
            ck_assert_ptr_null(p);
        } else {
            ck_assert_int_eq(cJSON_GetArraySize(p), 2);
            ck_assert_str_eq(afz_json_str(p, "default"), "The profile you know and love");
            ck_assert_str_eq(afz_json_str(p, "shortlived"), "https://example.com/docs#shortlived");
        }
        cJSON_Delete(d);
        t_free(&t);
    }
}
END_TEST

START_TEST(test_profiles_order)
{
    t_env t;
    start(&t, 1);
    X509 *leaf = NULL;
    /* asked for: reflected, and the certificate is short-lived */
    cJSON *o = issue_with(&t, "short.example.com", ",\"profile\":\"shortlived\"", &leaf);
    ck_assert_str_eq(afz_json_str(o, "profile"), "shortlived");
    ck_assert_int_eq(validity_days(leaf), 6);
    cJSON_Delete(o);
    X509_free(leaf);
    /* not asked for (and ""): the default, with its validity */
    o = issue_with(&t, "plain.example.com", "", &leaf);
    ck_assert_str_eq(afz_json_str(o, "profile"), "default");
    ck_assert_int_eq(validity_days(leaf), 90);
    cJSON_Delete(o);
    X509_free(leaf);
    o = issue_with(&t, "empty.example.com", ",\"profile\":\"\"", &leaf);
    ck_assert_str_eq(afz_json_str(o, "profile"), "default");
    cJSON_Delete(o);
    X509_free(leaf);
    /* unknown: invalidProfile, and no order is made */
    size_t before = count_events(&t, AFZ_EV_ORDER_CREATED);
    afz_response r;
    t_post(&t, U("/new-order"),
           "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"x.example.com\"}],"
           "\"profile\":\"classic\"}",
           &r);
    t_assert_problem(&r, 400, "invalidProfile");
    afz_response_cleanup(&r);
    t_post(&t, U("/new-order"),
           "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"x.example.com\"}],\"profile\":7}", &r);
    t_assert_problem(&r, 400, "malformed");
    afz_response_cleanup(&r);
    ck_assert_uint_eq(count_events(&t, AFZ_EV_ORDER_CREATED), before);
    t_free(&t);
}
END_TEST

/* default_profile names the default when there is no "default" */
START_TEST(test_profiles_default_named)
{
    static const afz_server_profile le[] = {
        {"classic", "c", 90 * DAY_S},
        {"shortlived", "s", 6 * DAY_S},
    };
    t_env t;
    t_init(&t);
    t.cfg.profiles = le;
    t.cfg.n_profiles = 2;
    t.cfg.default_profile = "shortlived";
    t_start(&t);
    t_account(&t);
    cJSON *o = t_order(&t, "[{\"type\":\"dns\",\"value\":\"d.example.com\"}]", NULL);
    ck_assert_str_eq(afz_json_str(o, "profile"), "shortlived");
    cJSON_Delete(o);
    t_free(&t);
}
END_TEST

/* Without profiles nothing changes: a "profile" field is ignored, the
 * order names none, the validity is cert_validity_s. */
START_TEST(test_profiles_off)
{
    t_env t;
    start(&t, 0);
    X509 *leaf = NULL;
    cJSON *o = issue_with(&t, "off.example.com", ",\"profile\":\"shortlived\"", &leaf);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(o, "profile"));
    ck_assert_int_eq(validity_days(leaf), 90);
    cJSON_Delete(o);
    X509_free(leaf);
    t_free(&t);
}
END_TEST

Suite *server_profile_suite(void)
{
    Suite *s = suite_create("server_profile");
    TCase *tc = tcase_create("profiles");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_profiles_directory);
    tcase_add_test(tc, test_profiles_order);
    tcase_add_test(tc, test_profiles_default_named);
    tcase_add_test(tc, test_profiles_off);
    suite_add_tcase(s, tc);
    return s;
}
