/* check_validation.c - challenge validation by the caller
 * (afz_server_set_validator, afz_server_validation_result): what the
 * validator is offered, that the authorization waits for its result, and
 * how a failure shows in the challenge. Server mode's real checks over
 * loopback are exercised by tests/integration/serve_validate.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "afz_jose.h"
#include "server_fixture.h"

typedef struct offers {
    int take_http; /* 1: take http-01 offers */
    size_t n;
    char type[16], identifier[64], token[64], key_auth[160], authz_id[32];
    size_t index;
} offers;

static int record_offer(void *ctx, const afz_validation *v)
{
    offers *o = ctx;
    o->n++;
    snprintf(o->type, sizeof(o->type), "%s", v->type);
    snprintf(o->identifier, sizeof(o->identifier), "%s", v->identifier);
    snprintf(o->token, sizeof(o->token), "%s", v->token);
    snprintf(o->key_auth, sizeof(o->key_auth), "%s", v->key_authorization);
    snprintf(o->authz_id, sizeof(o->authz_id), "%s", v->authz_id);
    o->index = v->index;
    return o->take_http && strcmp(v->type, "http-01") == 0;
}

/* Starts the challenge of type |type| of the order's first authorization
 * and returns its authorization URL (borrowed from |order|). */
static const char *start_challenge(t_env *t, const cJSON *order, const char *type)
{
    const char *az_url = authz_url(order, 0);
    afz_response r;
    cJSON *az = t_fetch(t, az_url, &r);
    afz_response_cleanup(&r);
    const cJSON *ch;
    const char *url = NULL;
    cJSON_ArrayForEach(ch, afz_json_array(az, "challenges"))
    {
        if (strcmp(afz_json_str(ch, "type"), type) == 0)
            url = afz_json_str(ch, "url");
    }
    ck_assert_ptr_nonnull(url);
    t_post(t, url, "{}", &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
    cJSON_Delete(az);
    return az_url;
}

static cJSON *authz_now(t_env *t, const char *url)
{
    afz_response r;
    cJSON *az = t_fetch(t, url, &r);
    afz_response_cleanup(&r);
    return az;
}

static const cJSON *challenge_of(const cJSON *az, const char *type)
{
    const cJSON *ch;
    cJSON_ArrayForEach(ch, afz_json_array(az, "challenges"))
    {
        if (strcmp(afz_json_str(ch, "type"), type) == 0)
            return ch;
    }
    return NULL;
}

static void setup(t_env *t, offers *o)
{
    t_init(t);
    t_start(t);
    afz_server_set_validator(t->s, record_offer, o);
    t_account(t);
}

START_TEST(test_validation_offer_carries_the_key_authorization)
{
    t_env t;
    offers o = {.take_http = 1};
    setup(&t, &o);
    cJSON *order = t_order(&t, "[{\"type\":\"dns\",\"value\":\"a.example.com\"}]", NULL);
    start_challenge(&t, order, "http-01");
    ck_assert_uint_eq(o.n, 1);
    ck_assert_str_eq(o.type, "http-01");
    ck_assert_str_eq(o.identifier, "a.example.com");
    /* RFC 8555 8.1: keyAuthorization = token || '.' || base64url(Thumbprint(accountKey)) */
    afz_buf want;
    afz_buf_init(&want, 0);
    ck_assert_int_eq(afz_buf_printf(&want, "%s.", o.token), AFZ_OK);
    ck_assert_int_eq(afz_jwk_thumbprint(t.key, &want), AFZ_OK);
    ck_assert_str_eq(o.key_auth, afz_buf_cstr(&want));
    afz_buf_cleanup(&want);
    /* A second POST to the same challenge starts nothing new. */
    start_challenge(&t, order, "http-01");
    ck_assert_uint_eq(o.n, 1);
    cJSON_Delete(order);
    t_free(&t);
}
END_TEST

START_TEST(test_validation_authorization_waits_for_the_result)
{
    t_env t;
    offers o = {.take_http = 1};
    setup(&t, &o);
    cJSON *order = t_order(&t, "[{\"type\":\"dns\",\"value\":\"a.example.com\"}]", NULL);
    const char *az_url = start_challenge(&t, order, "http-01");
    for (int i = 0; i < 5; i++) {
        afz_clock_advance(&t.clock, 10000);
        cJSON *az = authz_now(&t, az_url);
        ck_assert_str_eq(afz_json_str(az, "status"), "pending");
        ck_assert_str_eq(afz_json_str(challenge_of(az, "http-01"), "status"), "processing");
        cJSON_Delete(az);
    }
    ck_assert_uint_eq(count_events(&t, AFZ_EV_AUTHZ_VALID), 0);
    ck_assert_int_eq(afz_server_validation_result(t.s, o.authz_id, o.index, 1, NULL, NULL), AFZ_OK);
    cJSON *az = authz_now(&t, az_url);
    ck_assert_str_eq(afz_json_str(az, "status"), "valid");
    ck_assert_str_eq(afz_json_str(challenge_of(az, "http-01"), "status"), "valid");
    ck_assert_ptr_nonnull(afz_json_str(challenge_of(az, "http-01"), "validated"));
    cJSON_Delete(az);
    ck_assert_uint_eq(count_events(&t, AFZ_EV_AUTHZ_VALID), 1);
    /* One result per validation. */
    ck_assert_int_eq(afz_server_validation_result(t.s, o.authz_id, o.index, 1, NULL, NULL),
                     AFZ_EINVAL);
    cJSON_Delete(order);
    t_free(&t);
}
END_TEST

START_TEST(test_validation_failure_shows_in_the_challenge)
{
    t_env t;
    offers o = {.take_http = 1};
    setup(&t, &o);
    char *order_url = NULL;
    cJSON *order = t_order(&t, "[{\"type\":\"dns\",\"value\":\"a.example.com\"}]", &order_url);
    const char *az_url = start_challenge(&t, order, "http-01");
    ck_assert_int_eq(afz_server_validation_result(t.s, o.authz_id, o.index, 0, "connection",
                                                  "http-01: nothing listens on 127.0.0.1:5002"),
                     AFZ_OK);
    cJSON *az = authz_now(&t, az_url);
    ck_assert_str_eq(afz_json_str(az, "status"), "invalid");
    const cJSON *ch = challenge_of(az, "http-01");
    ck_assert_str_eq(afz_json_str(ch, "status"), "invalid");
    const cJSON *err = afz_json_object(ch, "error");
    ck_assert_ptr_nonnull(err);
    ck_assert_str_eq(afz_json_str(err, "type"), "urn:ietf:params:acme:error:connection");
    ck_assert_str_eq(afz_json_str(err, "detail"), "http-01: nothing listens on 127.0.0.1:5002");
    ck_assert_int_eq(cJSON_GetObjectItem(err, "status")->valueint, 400);
    cJSON_Delete(az);
    const afz_event *e = find_event(&t, AFZ_EV_AUTHZ_INVALID);
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->detail, "http-01: nothing listens on 127.0.0.1:5002");
    /* The order follows its authorization (RFC 8555 7.1.6). */
    afz_response r;
    cJSON *ord = t_fetch(&t, order_url, &r);
    afz_response_cleanup(&r);
    ck_assert_str_eq(afz_json_str(ord, "status"), "invalid");
    cJSON_Delete(ord);
    free(order_url);
    cJSON_Delete(order);
    t_free(&t);
}
END_TEST

START_TEST(test_validation_unauthorized_is_403)
{
    t_env t;
    offers o = {.take_http = 1};
    setup(&t, &o);
    cJSON *order = t_order(&t, "[{\"type\":\"dns\",\"value\":\"b.example.com\"}]", NULL);
    const char *az_url = start_challenge(&t, order, "http-01");
    ck_assert_int_eq(
        afz_server_validation_result(t.s, o.authz_id, o.index, 0, "unauthorized", "wrong body"),
        AFZ_OK);
    cJSON *az = authz_now(&t, az_url);
    const cJSON *err = afz_json_object(challenge_of(az, "http-01"), "error");
    ck_assert_str_eq(afz_json_str(err, "type"), "urn:ietf:params:acme:error:unauthorized");
    ck_assert_int_eq(cJSON_GetObjectItem(err, "status")->valueint, 403);
    cJSON_Delete(az);
    cJSON_Delete(order);
    t_free(&t);
}
END_TEST

START_TEST(test_validation_declined_offer_is_left_to_the_model)
{
    t_env t;
    offers o = {.take_http = 1};
    setup(&t, &o);
    cJSON *order = t_order(&t, "[{\"type\":\"dns\",\"value\":\"c.example.com\"}]", NULL);
    const char *az_url = start_challenge(&t, order, "dns-01");
    ck_assert_uint_eq(o.n, 1);
    ck_assert_str_eq(o.type, "dns-01");
    cJSON *az = authz_now(&t, az_url);
    ck_assert_str_eq(afz_json_str(az, "status"), "valid");
    cJSON_Delete(az);
    /* Nothing waits for a result: delivering one is refused. */
    ck_assert_int_eq(afz_server_validation_result(t.s, o.authz_id, o.index, 1, NULL, NULL),
                     AFZ_EINVAL);
    cJSON_Delete(order);
    t_free(&t);
}
END_TEST

START_TEST(test_validation_result_for_nothing_is_einval)
{
    t_env t;
    offers o = {.take_http = 1};
    setup(&t, &o);
    ck_assert_int_eq(afz_server_validation_result(t.s, "0123456789abcdef", 0, 1, NULL, NULL),
                     AFZ_EINVAL);
    ck_assert_int_eq(afz_server_validation_result(t.s, NULL, 0, 1, NULL, NULL), AFZ_EINVAL);
    cJSON *order = t_order(&t, "[{\"type\":\"dns\",\"value\":\"d.example.com\"}]", NULL);
    start_challenge(&t, order, "http-01");
    ck_assert_int_eq(afz_server_validation_result(t.s, o.authz_id, 7, 1, NULL, NULL), AFZ_EINVAL);
    cJSON_Delete(order);
    t_free(&t);
}
END_TEST

START_TEST(test_validation_scenario_failure_wins)
{
    /* The validation_fails knob (a fault) fails the challenge even when
     * the real check passed: the scenario decides what the client sees. */
    t_env t;
    offers o = {.take_http = 1};
    t_init(&t);
    t.cfg.validation_fails = 1;
    t_start(&t);
    afz_server_set_validator(t.s, record_offer, &o);
    t_account(&t);
    cJSON *order = t_order(&t, "[{\"type\":\"dns\",\"value\":\"e.example.com\"}]", NULL);
    const char *az_url = start_challenge(&t, order, "http-01");
    ck_assert_int_eq(afz_server_validation_result(t.s, o.authz_id, o.index, 1, NULL, NULL), AFZ_OK);
    cJSON *az = authz_now(&t, az_url);
    ck_assert_str_eq(afz_json_str(az, "status"), "invalid");
    cJSON_Delete(az);
    cJSON_Delete(order);
    t_free(&t);
}
END_TEST

static int answer_418(void *ctx, afz_resource kind, const afz_request *req, afz_response *resp)
{
    (void)kind;
    (void)req;
    ++*(int *)ctx;
    resp->status = 418;
    return 1;
}

START_TEST(test_validation_request_hook_can_be_read_back)
{
    /* Server mode chains its own hook in front of the installed one. */
    t_env t;
    t_init(&t);
    t_start(&t);
    void *ctx = &t;
    ck_assert_ptr_null(afz_server_get_request_hook(t.s, &ctx));
    ck_assert_ptr_null(ctx);
    int calls = 0;
    afz_server_set_request_hook(t.s, answer_418, &calls);
    afz_server_request_hook h = afz_server_get_request_hook(t.s, &ctx);
    ck_assert_ptr_eq(ctx, &calls);
    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_nonnull(afz_server_get_request_hook(t.s, NULL));
    afz_response r;
    t_plain(&t, "GET", U("/directory"), &r);
    ck_assert_int_eq(r.status, 418);
    ck_assert_int_eq(calls, 1);
    afz_response_cleanup(&r);
    t_free(&t);
}
END_TEST

Suite *validation_suite(void)
{
    Suite *s = suite_create("validation");
    TCase *tc = tcase_create("validator");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_validation_offer_carries_the_key_authorization);
    tcase_add_test(tc, test_validation_authorization_waits_for_the_result);
    tcase_add_test(tc, test_validation_failure_shows_in_the_challenge);
    tcase_add_test(tc, test_validation_unauthorized_is_403);
    tcase_add_test(tc, test_validation_declined_offer_is_left_to_the_model);
    tcase_add_test(tc, test_validation_result_for_nothing_is_einval);
    tcase_add_test(tc, test_validation_scenario_failure_wins);
    tcase_add_test(tc, test_validation_request_hook_can_be_read_back);
    suite_add_tcase(s, tc);
    return s;
}
