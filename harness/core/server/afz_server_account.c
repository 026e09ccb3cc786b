/* afz_server_account.c - accounts (RFC 8555 7.3): newAccount, the account
 * resource (fetch, contact update, deactivation, orders list) and
 * keyChange (7.3.5). */
#include "afz_server_internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

static afz_rc answered(afz_rc problem_rc)
{
    return problem_rc == AFZ_OK ? AFZ_EPROTO : problem_rc;
}

static void contacts_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void afz_srv_account_free(afz_srv_account *a)
{
    if (!a)
        return;
    free(a->url);
    free(a->orders_url);
    EVP_PKEY_free(a->key);
    free(a->thumb);
    contacts_free(a->contact, a->n_contact);
    free(a->jwk_json);
    free(a);
}

/* jwk_text returns |key|'s public JWK as compact JSON (malloc'd), or NULL. */
static char *jwk_text(EVP_PKEY *key)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    char *t = afz_jwk_text(key, &b) == AFZ_OK ? afz_buf_take(&b, NULL) : NULL;
    afz_buf_cleanup(&b);
    return t;
}

afz_srv_account *afz_srv_account_by_url(const afz_server *s, const char *url)
{
    for (size_t i = 0; i < s->n_accts; i++)
        if (strcmp(s->accts[i]->url, url) == 0)
            return s->accts[i];
    return NULL;
}

static afz_srv_account *account_by_id(const afz_server *s, const char *id, size_t n)
{
    if (n != SRV_ID_LEN)
        return NULL;
    for (size_t i = 0; i < s->n_accts; i++)
        if (memcmp(s->accts[i]->id, id, n) == 0)
            return s->accts[i];
    return NULL;
}

static afz_srv_account *account_by_thumb(const afz_server *s, const char *thumb)
{
    for (size_t i = 0; i < s->n_accts; i++)
        if (strcmp(s->accts[i]->thumb, thumb) == 0)
            return s->accts[i];
    return NULL;
}

/* *out is a new string with the base64url JWK thumbprint of |key|. */
static afz_rc thumbprint(EVP_PKEY *key, char **out)
{
    afz_buf b;
    afz_buf_init(&b, 1024);
    afz_rc rc = afz_jwk_thumbprint(key, &b);
    *out = NULL;
    if (rc == AFZ_OK) {
        *out = afz_buf_take(&b, NULL);
        if (!*out)
            rc = AFZ_ENOMEM;
    }
    afz_buf_cleanup(&b);
    return rc;
}

/* Reads payload.contact (absent: nothing). AFZ_EPROTO: problem written. */
static afz_rc parse_contacts(const cJSON *payload, afz_response *resp, char ***out, size_t *n_out,
                             int *present)
{
    *out = NULL;
    *n_out = 0;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(payload, "contact");
    *present = c != NULL;
    if (!c)
        return AFZ_OK;
    if (!cJSON_IsArray(c))
        return answered(afz_srv_problem(resp, 400, "malformed", NULL, "contact must be an array"));
    int count = cJSON_GetArraySize(c);
    if (count > SRV_MAX_CONTACTS)
        return answered(afz_srv_problem(resp, 400, "invalidContact", NULL,
                                        "too many contacts: at most %d are allowed",
                                        SRV_MAX_CONTACTS));
    const cJSON *e;
    cJSON_ArrayForEach(e, c)
    {
        const char *type = NULL;
        const char *why = afz_srv_contact_check(e, &type);
        if (why)
            return answered(afz_srv_problem(resp, 400, type, NULL, "%s", why));
    }
    if (count == 0)
        return AFZ_OK;
    char **v = calloc((size_t)count, sizeof(*v));
    if (!v)
        return AFZ_ENOMEM;
    size_t n = 0;
    cJSON_ArrayForEach(e, c)
    {
        v[n] = afz_strdup(e->valuestring);
        if (!v[n]) {
            contacts_free(v, n);
            return AFZ_ENOMEM;
        }
        n++;
    }
    *out = v;
    *n_out = n;
    return AFZ_OK;
}

/* Answers |status| with the account object (and Location when asked). */
static afz_rc account_respond(afz_server *s, const afz_srv_account *a, int status, int location,
                              afz_response *resp)
{
    (void)s;
    afz_srv_w w;
    afz_srv_w_init(&w);
    afz_srv_w_raw(&w, "{\"status\":");
    afz_srv_w_str(&w, a->deactivated ? "deactivated" : "valid");
    if (a->n_contact) {
        afz_srv_w_raw(&w, ",\"contact\":[");
        for (size_t i = 0; i < a->n_contact; i++) {
            if (i)
                afz_srv_w_raw(&w, ",");
            afz_srv_w_str(&w, a->contact[i]);
        }
        afz_srv_w_raw(&w, "]");
    }
    if (a->jwk_json) {
        afz_srv_w_raw(&w, ",\"key\":");
        afz_srv_w_raw(&w, a->jwk_json);
    }
    afz_srv_w_raw(&w, ",\"orders\":");
    afz_srv_w_str(&w, a->orders_url);
    afz_srv_w_raw(&w, "}");
    afz_rc rc = afz_srv_w_finish(&w, resp, status, "application/json");
    afz_srv_w_cleanup(&w);
    if (rc == AFZ_OK && location)
        rc = afz_srv_add_header(resp, "Location", a->url);
    return rc;
}

static void account_forget(afz_server *s, size_t i)
{
    afz_srv_account_free(s->accts[i]);
    memmove(&s->accts[i], &s->accts[i + 1], (s->n_accts - i - 1) * sizeof(s->accts[0]));
    s->n_accts--;
}

/* processing_orders counts |a|'s orders being processed (never evicted). */
static size_t processing_orders(const afz_server *s, const afz_srv_account *a)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_orders; i++)
        n += s->orders[i]->acct == a && s->orders[i]->status == AFZ_ST_PROCESSING;
    return n;
}

/* At max_accounts a new account makes room instead of getting 429 (issue
 * 15): the least recently used account goes, with its orders, unless one
 * of them is being processed. Least recently used, not "oldest without
 * orders": under concurrent clients the account without orders is most
 * often the one just created, whose client is about to order (measured:
 * 35 of 2000 issuances by 4 concurrent clients failed accountDoesNotExist
 * with that rule at the default cap, bench/serve_soak.sh). Returns 1 if
 * one went. A client that comes back with a forgotten account's key
 * simply registers again. */
static int account_evict_one(afz_server *s)
{
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < s->n_accts; i++) {
        if (best != SIZE_MAX && s->accts[i]->last_used >= s->accts[best]->last_used)
            continue;
        if (processing_orders(s, s->accts[i]) == 0)
            best = i;
    }
    if (best == SIZE_MAX)
        return 0;
    afz_srv_orders_forget_account(s, s->accts[best]);
    account_forget(s, best);
    return 1;
}

static afz_rc account_add(afz_server *s, afz_srv_account *a)
{
    if (s->n_accts == s->cap_accts) {
        size_t cap = s->cap_accts ? s->cap_accts * 2 : 4;
        afz_srv_account **v = realloc(s->accts, cap * sizeof(*v));
        if (!v)
            return AFZ_ENOMEM;
        s->accts = v;
        s->cap_accts = cap;
    }
    s->accts[s->n_accts++] = a;
    return AFZ_OK;
}

afz_rc afz_srv_new_account(afz_server *s, const afz_request *req, afz_response *resp)
{
    afz_srv_auth auth;
    cJSON *p = NULL;
    char *thumb = NULL;
    char **contact = NULL;
    size_t n_contact = 0;
    afz_srv_account *a = NULL;
    afz_rc rc = afz_srv_authenticate(s, req, SRV_KEY_JWK, &auth, resp);
    if (rc != AFZ_OK)
        goto out;
    rc = afz_srv_payload_object(&auth, resp, &p);
    if (rc != AFZ_OK)
        goto out;
    rc = thumbprint(auth.jwk_key, &thumb);
    if (rc != AFZ_OK)
        goto out;

    /* RFC 8555 7.3.1: a known key answers 200 with the existing account. */
    afz_srv_account *existing = account_by_thumb(s, thumb);
    if (existing) {
        if (existing->deactivated)
            rc = afz_srv_unauthorized(resp, "Account is not valid, has status \"deactivated\"");
        else {
            existing->last_used = ++s->acct_tick; /* a client coming back */
            rc = account_respond(s, existing, 200, 1, resp);
        }
        goto out;
    }
    int only = 0;
    if (afz_json_bool(p, "onlyReturnExisting", &only) == 0 && only) {
        rc = answered(afz_srv_problem(resp, 400, "accountDoesNotExist", NULL,
                                      "No account exists with the provided key"));
        goto out;
    }
    const cJSON *eab = cJSON_GetObjectItemCaseSensitive(p, "externalAccountBinding");
    /* 403 as Pebble answers (RFC 8555 7.3.4 names the type, not the
     * status) */
    if (s->cfg.external_account_required && !eab) {
        rc = answered(afz_srv_problem(resp, 403, "externalAccountRequired", NULL,
                                      "External account binding is required for new accounts"));
        goto out;
    }
    /* RFC 8555 7.3.4: with MAC keys configured, a binding is checked
     * (without keys, and not required, it is ignored as Pebble does) */
    if (eab && (s->cfg.n_eab_keys || s->cfg.external_account_required)) {
        rc = afz_srv_eab_check(s, eab, &auth, thumb, resp);
        if (rc != AFZ_OK)
            goto out;
    }
    int agreed = 0;
    if (s->cfg.terms_of_service &&
        (afz_json_bool(p, "termsOfServiceAgreed", &agreed) != 0 || !agreed)) {
        rc = answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                      "Provided account did not agree to the terms of service"));
        goto out;
    }
    int present = 0;
    rc = parse_contacts(p, resp, &contact, &n_contact, &present);
    if (rc != AFZ_OK)
        goto out;
    if (s->n_accts >= s->cfg.max_accounts && !account_evict_one(s)) {
        rc = answered(afz_srv_problem(resp, 429, "rateLimited", NULL, "too many accounts"));
        goto out;
    }

    a = calloc(1, sizeof(*a));
    if (!a) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    afz_srv_new_id(s, a->id);
    a->url = afz_srv_url(s, "/account/", a->id, NULL);
    a->orders_url = afz_srv_url(s, "/account/", a->id, "/orders");
    if (!a->url || !a->orders_url) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    a->key = auth.jwk_key;
    auth.jwk_key = NULL;
    a->last_used = ++s->acct_tick;
    a->jwk_json = jwk_text(a->key);
    if (!a->jwk_json) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    a->thumb = thumb;
    thumb = NULL;
    a->contact = contact;
    a->n_contact = n_contact;
    contact = NULL;
    n_contact = 0;
    rc = account_add(s, a);
    if (rc != AFZ_OK)
        goto out;
    afz_srv_account *created = a;
    a = NULL;
    afz_srv_event(s, AFZ_EV_ACCOUNT_CREATED, created->url, NULL, NULL, NULL, NULL);
    rc = account_respond(s, created, 201, 1, resp);
out:
    afz_srv_account_free(a);
    contacts_free(contact, n_contact);
    free(thumb);
    cJSON_Delete(p);
    afz_srv_auth_cleanup(&auth);
    return rc;
}

static afz_rc orders_list(afz_server *s, const afz_srv_account *a, afz_response *resp)
{
    afz_srv_w w;
    afz_srv_w_init(&w);
    afz_srv_w_raw(&w, "{\"orders\":[");
    int first = 1;
    for (size_t i = 0; i < s->n_orders; i++) {
        if (s->orders[i]->acct != a)
            continue;
        if (!first)
            afz_srv_w_raw(&w, ",");
        first = 0;
        afz_srv_w_str(&w, s->orders[i]->url);
    }
    afz_srv_w_raw(&w, "]}");
    afz_rc rc = afz_srv_w_finish(&w, resp, 200, "application/json");
    afz_srv_w_cleanup(&w);
    return rc;
}

afz_rc afz_srv_account_op(afz_server *s, const afz_request *req, const afz_srv_route *rt,
                          afz_response *resp)
{
    afz_srv_auth auth;
    cJSON *p = NULL;
    char **contact = NULL;
    size_t n_contact = 0;
    afz_rc rc = afz_srv_authenticate(s, req, SRV_KEY_KID, &auth, resp);
    if (rc != AFZ_OK)
        goto out;
    afz_srv_account *a = account_by_id(s, rt->id, rt->id_len);
    if (!a) {
        rc = afz_srv_not_found(resp, "Account not found");
        goto out;
    }
    if (a != auth.acct) {
        rc = afz_srv_unauthorized(resp, "Request signing key does not match the account");
        goto out;
    }
    if (rt->op == SRV_OP_ACCOUNT_ORDERS) {
        rc = afz_srv_require_empty(&auth, resp);
        if (rc == AFZ_OK)
            rc = orders_list(s, a, resp);
        goto out;
    }
    if (auth.jws.payload_len == 0) {
        rc = account_respond(s, a, 200, 0, resp);
        goto out;
    }
    /* RFC 8555 7.3.2 update and 7.3.6 deactivation. */
    rc = afz_srv_payload_object(&auth, resp, &p);
    if (rc != AFZ_OK)
        goto out;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(p, "status");
    if (st && !(cJSON_IsString(st) && strcmp(st->valuestring, "deactivated") == 0)) {
        rc = answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                      "Invalid value provided for status field"));
        goto out;
    }
    int present = 0;
    rc = parse_contacts(p, resp, &contact, &n_contact, &present);
    if (rc != AFZ_OK)
        goto out;
    if (present) {
        contacts_free(a->contact, a->n_contact);
        a->contact = contact;
        a->n_contact = n_contact;
        contact = NULL;
        n_contact = 0;
        afz_srv_event(s, AFZ_EV_ACCOUNT_UPDATED, a->url, NULL, NULL, NULL, NULL);
    }
    if (st) {
        a->deactivated = 1;
        afz_srv_event(s, AFZ_EV_ACCOUNT_DEACTIVATED, a->url, NULL, NULL, NULL, NULL);
    }
    rc = account_respond(s, a, 200, 0, resp);
out:
    contacts_free(contact, n_contact);
    cJSON_Delete(p);
    afz_srv_auth_cleanup(&auth);
    return rc;
}

/* Parses a JWK member into a key, or answers the problem. */
static afz_rc jwk_key(const cJSON *jwk, const char *what, afz_response *resp, EVP_PKEY **out)
{
    *out = NULL;
    if (!cJSON_IsObject(jwk))
        return answered(
            afz_srv_problem(resp, 400, "malformed", NULL, "%s must be a JWK object", what));
    afz_rc rc = afz_jwk_to_key(jwk, out);
    if (rc == AFZ_ENOMEM)
        return rc;
    if (rc != AFZ_OK)
        return answered(afz_srv_problem(resp, 400, rc == AFZ_ECRYPTO ? "badPublicKey" : "malformed",
                                        NULL, "%s: error parsing JWK", what));
    return AFZ_OK;
}

afz_rc afz_srv_key_change(afz_server *s, const afz_request *req, afz_response *resp)
{
    afz_srv_auth auth;
    afz_jws inner;
    cJSON *p = NULL;
    EVP_PKEY *new_key = NULL, *old_key = NULL;
    char *thumb = NULL;
    memset(&inner, 0, sizeof(inner));
    afz_rc rc = afz_srv_authenticate(s, req, SRV_KEY_KID, &auth, resp);
    if (rc != AFZ_OK)
        goto out;
    afz_srv_account *a = auth.acct;

    /* RFC 8555 7.3.5: the payload is a JWS signed by the new key. */
    const char *why = NULL;
    rc = afz_jws_parse(auth.jws.payload, auth.jws.payload_len, &inner, &why);
    if (rc == AFZ_ENOMEM)
        goto out;
    if (rc != AFZ_OK) {
        rc = answered(afz_srv_problem(resp, 400, "malformed", NULL, "Inner JWS: %s",
                                      why ? why : "invalid JWS"));
        goto out;
    }
    if (afz_srv_alg_refused(s, inner.alg)) {
        rc = answered(afz_srv_problem(resp, 400, "badSignatureAlgorithm",
                                      afz_srv_alg_refused(s, inner.alg),
                                      "Inner JWS signature algorithm is not supported"));
        goto out;
    }
    if (inner.has_kid || !inner.has_jwk) {
        rc = answered(
            afz_srv_problem(resp, 400, "malformed", NULL, "Inner JWS must carry a jwk and no kid"));
        goto out;
    }
    if (cJSON_GetObjectItemCaseSensitive(inner.protected_hdr, "nonce")) {
        rc = answered(
            afz_srv_problem(resp, 400, "malformed", NULL, "Inner JWS must not carry a nonce"));
        goto out;
    }
    if (!inner.url || strcmp(inner.url, auth.jws.url) != 0) {
        rc = answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                      "Inner JWS url does not match the outer JWS url"));
        goto out;
    }
    rc = jwk_key(inner.jwk, "Inner JWS jwk", resp, &new_key);
    if (rc != AFZ_OK)
        goto out;
    const char *bad = afz_srv_key_acceptable(s, new_key);
    if (bad) {
        rc = answered(afz_srv_problem(resp, 400, "badPublicKey", NULL, "%s", bad));
        goto out;
    }
    rc = afz_jws_verify(&inner, new_key);
    if (rc == AFZ_ENOMEM)
        goto out;
    if (rc != AFZ_OK) {
        rc =
            answered(afz_srv_problem(resp, 400, "malformed", NULL, "Inner JWS verification error"));
        goto out;
    }
    if (afz_json_parse_object(inner.payload, inner.payload_len, &p) != AFZ_OK) {
        rc = answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                      "Inner JWS payload did not parse as a JSON object"));
        goto out;
    }
    const char *acct_url = afz_json_str(p, "account");
    if (!acct_url || strcmp(acct_url, a->url) != 0) {
        rc = answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                      "Inner JWS 'account' does not name the signing account"));
        goto out;
    }
    rc = jwk_key(cJSON_GetObjectItemCaseSensitive(p, "oldKey"), "oldKey", resp, &old_key);
    if (rc != AFZ_OK)
        goto out;
    if (EVP_PKEY_eq(old_key, a->key) != 1) {
        rc = afz_srv_unauthorized(resp, "oldKey does not match the current account key");
        goto out;
    }
    rc = thumbprint(new_key, &thumb);
    if (rc != AFZ_OK)
        goto out;
    afz_srv_account *holder = account_by_thumb(s, thumb);
    if (holder) {
        rc = afz_srv_problem(resp, 409, "malformed", NULL,
                             "New key is already in use for an account");
        if (rc == AFZ_OK)
            rc = afz_srv_add_header(resp, "Location", holder->url);
        goto out;
    }
    char *new_jwk = jwk_text(new_key);
    if (!new_jwk) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    free(a->jwk_json);
    a->jwk_json = new_jwk;
    EVP_PKEY_free(a->key);
    a->key = new_key;
    new_key = NULL;
    free(a->thumb);
    a->thumb = thumb;
    thumb = NULL;
    afz_srv_event(s, AFZ_EV_KEY_CHANGED, a->url, NULL, NULL, NULL, NULL);
    rc = account_respond(s, a, 200, 0, resp);
out:
    /* EVP_PKEY_eq of keys of different types leaves an OpenSSL error; none
     * may outlive the request (see afz_srv_revoke). */
    ERR_clear_error();
    free(thumb);
    EVP_PKEY_free(new_key);
    EVP_PKEY_free(old_key);
    cJSON_Delete(p);
    afz_jws_cleanup(&inner);
    afz_srv_auth_cleanup(&auth);
    return rc;
}
