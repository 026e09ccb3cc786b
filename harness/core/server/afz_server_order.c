/* afz_server_order.c - orders, authorizations and challenges (RFC 8555
 * 7.1.3-7.1.6, 7.4, 7.5): newOrder, the order, authorization and
 * challenge resources, and the state machines behind them. States are
 * derived lazily, on every access, from virtual time and poll counts. */
#include "afz_server_internal.h"

#include <stdlib.h>
#include <string.h>

/* Room for a checked name: 253 bytes, "*.", NUL. */
#define NAME_MAX_BUF SRV_NAME_MAX_BUF

static afz_rc answered(afz_rc problem_rc)
{
    return problem_rc == AFZ_OK ? AFZ_EPROTO : problem_rc;
}

static const char *const chall_type_names[] = {
    [SRV_HTTP01] = "http-01",
    [SRV_DNS01] = "dns-01",
    [SRV_TLSALPN01] = "tls-alpn-01",
};

/* ---- lifetime ---- */

void afz_srv_authz_free(afz_srv_authz *a)
{
    if (!a)
        return;
    free(a->url);
    free(a->value);
    free(a->name);
    for (size_t i = 0; i < a->n_chall; i++)
        free(a->chall[i].err_detail);
    free(a);
}

void afz_srv_order_free(afz_srv_order *o)
{
    if (!o)
        return;
    free(o->url);
    free(o->finalize_url);
    for (size_t i = 0; i < o->n_names; i++)
        free(o->names[i]);
    free(o->names);
    free(o->authz);
    free(o->names_joined);
    EVP_PKEY_free(o->csr_key);
    free(o->cert_url);
    free(o->cert_up_url);
    free(o->cert_pem);
    for (size_t i = 0; i < o->n_alt; i++)
        free(o->alt_pem[i]);
    free(o->alt_pem);
    free(o->alt_pem_len);
    free(o->ari_id);
    free(o->replaces);
    free(o);
}

static afz_srv_authz *authz_find(const afz_server *s, const char *id, size_t n)
{
    if (n != SRV_ID_LEN)
        return NULL;
    for (size_t i = 0; i < s->n_authzs; i++)
        if (memcmp(s->authzs[i]->id, id, n) == 0)
            return s->authzs[i];
    return NULL;
}

afz_srv_order *afz_srv_order_find(const afz_server *s, const char *id, size_t n)
{
    if (n != SRV_ID_LEN)
        return NULL;
    for (size_t i = 0; i < s->n_orders; i++)
        if (memcmp(s->orders[i]->id, id, n) == 0)
            return s->orders[i];
    return NULL;
}

/* Drops the order's authorization references, freeing the unreferenced. */
static void order_release(afz_server *s, afz_srv_order *o)
{
    for (size_t i = 0; i < o->n_names; i++) {
        afz_srv_authz *a = o->authz[i];
        if (!a || --a->refs > 0)
            continue;
        for (size_t j = 0; j < s->n_authzs; j++) {
            if (s->authzs[j] != a)
                continue;
            memmove(&s->authzs[j], &s->authzs[j + 1], (s->n_authzs - j - 1) * sizeof(a));
            s->n_authzs--;
            break;
        }
        afz_srv_authz_free(a);
    }
}

static void order_forget(afz_server *s, size_t i)
{
    afz_srv_order *o = s->orders[i];
    order_release(s, o);
    afz_srv_order_free(o);
    memmove(&s->orders[i], &s->orders[i + 1], (s->n_orders - i - 1) * sizeof(o));
    s->n_orders--;
}

/* Forgets one order so a long-lived server mode stays within max_orders
 * instead of refusing new ones (issue 15): the oldest expired one, else
 * the oldest finished one (valid or invalid), else the oldest one at all;
 * never one being processed. Returns 1 if it did. */
static int order_evict_one(afz_server *s)
{
    int64_t now = afz_srv_now(s);
    for (int pass = 0; pass < 3; pass++) {
        for (size_t i = 0; i < s->n_orders; i++) {
            afz_srv_order *o = s->orders[i];
            if (o->status == AFZ_ST_PROCESSING)
                continue;
            if (pass == 0 && now < o->expires_ms)
                continue;
            if (pass == 1 && o->status != AFZ_ST_VALID && o->status != AFZ_ST_INVALID)
                continue;
            order_forget(s, i);
            return 1;
        }
    }
    return 0;
}

size_t afz_srv_orders_forget_account(afz_server *s, const afz_srv_account *a)
{
    size_t left = 0;
    for (size_t i = 0; i < s->n_orders;) {
        afz_srv_order *o = s->orders[i];
        if (o->acct != a) {
            i++;
        } else if (o->status == AFZ_ST_PROCESSING) {
            left++;
            i++;
        } else {
            order_forget(s, i);
        }
    }
    return left;
}

static size_t grown(size_t cap, size_t need)
{
    size_t c = cap ? cap : 8;
    while (c < need)
        c *= 2;
    return c;
}

static afz_rc reserve_authzs(afz_server *s, size_t need)
{
    if (need <= s->cap_authzs)
        return AFZ_OK;
    size_t c = grown(s->cap_authzs, need);
    afz_srv_authz **v = realloc(s->authzs, c * sizeof(*v));
    if (!v)
        return AFZ_ENOMEM;
    s->authzs = v;
    s->cap_authzs = c;
    return AFZ_OK;
}

static afz_rc reserve_orders(afz_server *s, size_t need)
{
    if (need <= s->cap_orders)
        return AFZ_OK;
    size_t c = grown(s->cap_orders, need);
    afz_srv_order **v = realloc(s->orders, c * sizeof(*v));
    if (!v)
        return AFZ_ENOMEM;
    s->orders = v;
    s->cap_orders = c;
    return AFZ_OK;
}

/* ---- state machines ---- */

/* authz_refresh applies virtual time and polls to |a|. |poll| says this
 * access is a look that counts: a POST-as-GET of the authorization, of
 * one of its challenges, or of an order that lists it (afz_srv_order_refresh
 * passes its own |poll| down). A validation under way ends once
 * validation_delay_ms has passed since the challenge POST AND the look
 * counter has reached authz_pending_polls; the look that finds both true
 * sees the result, every earlier look is counted. Which URL the client
 * reads therefore changes nothing: one request is one look, whatever it
 * names. */
static void authz_refresh(afz_server *s, afz_srv_authz *a, int poll)
{
    int64_t now = afz_srv_now(s);
    if ((a->status == AFZ_ST_PENDING || a->status == AFZ_ST_VALID) && now >= a->expires_ms) {
        a->status = AFZ_ST_EXPIRED;
        return;
    }
    if (a->status != AFZ_ST_PENDING || a->active < 0)
        return;
    afz_srv_chall *c = &a->chall[a->active];
    int due =
        a->polls >= s->cfg.authz_pending_polls && now - a->started_ms >= s->cfg.validation_delay_ms;
    if (due && (s->cfg.validation_fails || c->ext == SRV_EXT_FAILED)) {
        /* RFC 8555 7.5.1: a failed validation leaves challenge and
         * authorization invalid, with the error on the challenge. */
        c->status = AFZ_ST_INVALID;
        a->status = AFZ_ST_INVALID;
        afz_srv_event(s, AFZ_EV_AUTHZ_INVALID, a->url, NULL, a->name, NULL,
                      c->ext == SRV_EXT_FAILED && c->err_detail
                          ? c->err_detail
                          : "incorrectResponse: the key authorization was not found");
    } else if (due && c->ext != SRV_EXT_PENDING) {
        c->status = AFZ_ST_VALID;
        c->validated_ms = now;
        a->status = AFZ_ST_VALID;
        afz_srv_event(s, AFZ_EV_AUTHZ_VALID, a->url, NULL, a->name, NULL, NULL);
    } else if (poll && a->polls < UINT32_MAX) {
        a->polls++;
    }
}

void afz_srv_order_fail(afz_server *s, afz_srv_order *o, const char *type, const char *detail)
{
    o->status = AFZ_ST_INVALID;
    o->err_type = type;
    o->err_detail = detail;
    afz_srv_event(s, AFZ_EV_ORDER_INVALID, o->url, NULL, o->names_joined, NULL, detail);
}

void afz_srv_order_refresh(afz_server *s, afz_srv_order *o, int poll)
{
    int64_t now = afz_srv_now(s);
    if (o->status == AFZ_ST_PENDING || o->status == AFZ_ST_READY) {
        if (now >= o->expires_ms) {
            afz_srv_order_fail(s, o, "malformed", "Order expired");
            return;
        }
        /* RFC 8555 7.1.6: "Once all of the authorizations listed in the
         * order object are in the "valid" state, the order transitions to
         * the "ready" state." A client may wait for that by polling the
         * order alone, so a poll of the order is a look at every
         * authorization it lists (one look each, as an authorization
         * appears once in an order). */
        int all_valid = 1;
        for (size_t i = 0; i < o->n_names; i++) {
            afz_srv_authz *a = o->authz[i];
            authz_refresh(s, a, poll);
            if (a->status == AFZ_ST_PENDING) {
                all_valid = 0;
            } else if (a->status != AFZ_ST_VALID) {
                afz_srv_order_fail(s, o, "unauthorized",
                                   "An authorization of the order is not valid");
                return;
            }
        }
        if (all_valid && o->status == AFZ_ST_PENDING) {
            o->status = AFZ_ST_READY;
            afz_srv_event(s, AFZ_EV_ORDER_READY, o->url, NULL, o->names_joined, NULL, NULL);
        }
    } else if (o->status == AFZ_ST_PROCESSING) {
        /* Only a POST-as-GET of the order URL is a poll here; the
         * finalize request that started processing is not one. */
        if (o->polls >= s->cfg.finalize_polls && now - o->finalized_ms >= s->cfg.finalize_delay_ms)
            afz_srv_order_issue(s, o);
        else if (poll && o->polls < UINT32_MAX)
            o->polls++;
    }
}

/* ---- JSON ---- */

static void write_identifier(afz_srv_w *w, const char *value)
{
    /* Only refused names can be long; echo no more than a name's worth. */
    size_t n = strlen(value);
    afz_srv_w_raw(w, "{\"type\":\"dns\",\"value\":");
    afz_srv_w_strn(w, value, n > NAME_MAX_BUF ? NAME_MAX_BUF : n);
    afz_srv_w_raw(w, "}");
}

static void write_chall_url(afz_server *s, afz_srv_w *w, const afz_srv_authz *a, size_t i)
{
    afz_buf_reset(&s->scratch);
    afz_rc rc = afz_buf_printf(&s->scratch, "%s/chall/%s-%zu", s->base, a->id, i);
    if (rc != AFZ_OK && w->rc == AFZ_OK)
        w->rc = rc;
    afz_srv_w_str(w, afz_buf_cstr(&s->scratch));
}

static void write_chall(afz_server *s, afz_srv_w *w, const afz_srv_authz *a, size_t i)
{
    const afz_srv_chall *c = &a->chall[i];
    afz_srv_w_raw(w, "{\"type\":");
    afz_srv_w_str(w, chall_type_names[c->type]);
    afz_srv_w_raw(w, ",\"url\":");
    write_chall_url(s, w, a, i);
    afz_srv_w_raw(w, ",\"token\":");
    afz_srv_w_str(w, c->token);
    afz_srv_w_raw(w, ",\"status\":");
    afz_srv_w_str(w, afz_status_name(c->status));
    if (c->status == AFZ_ST_VALID) {
        afz_srv_w_raw(w, ",\"validated\":");
        afz_srv_w_time(w, s, c->validated_ms);
    }
    if (c->status == AFZ_ST_INVALID && c->ext == SRV_EXT_FAILED) {
        /* The validator's finding: RFC 8555 8.3/8.4 error types; Boulder
         * answers 400 for connection-level failures, 403 otherwise. */
        const char *type = c->err_type ? c->err_type : "incorrectResponse";
        int connection =
            strcmp(type, "connection") == 0 || strcmp(type, "dns") == 0 || strcmp(type, "tls") == 0;
        afz_buf_reset(&s->scratch);
        afz_rc rc = afz_buf_printf(&s->scratch, AFZ_ACME_ERROR_PREFIX "%s", type);
        if (rc != AFZ_OK && w->rc == AFZ_OK)
            w->rc = rc;
        afz_srv_w_raw(w, ",\"error\":{\"type\":");
        afz_srv_w_str(w, afz_buf_cstr(&s->scratch));
        afz_srv_w_raw(w, ",\"detail\":");
        afz_srv_w_str(w, c->err_detail ? c->err_detail : "validation failed");
        afz_srv_w_raw(w, connection ? ",\"status\":400}" : ",\"status\":403}");
    } else if (c->status == AFZ_ST_INVALID) {
        afz_srv_w_raw(w, ",\"error\":{\"type\":\"" AFZ_ACME_ERROR_PREFIX "incorrectResponse\","
                         "\"detail\":\"The key authorization file was not found\",\"status\":403}");
    }
    afz_srv_w_raw(w, "}");
}

static afz_rc authz_respond(afz_server *s, const afz_srv_authz *a, afz_response *resp)
{
    afz_srv_w w;
    afz_srv_w_init(&w);
    afz_srv_w_raw(&w, "{\"identifier\":");
    write_identifier(&w, a->value);
    afz_srv_w_raw(&w, ",\"status\":");
    afz_srv_w_str(&w, afz_status_name(a->status));
    afz_srv_w_raw(&w, ",\"expires\":");
    afz_srv_w_time(&w, s, a->expires_ms);
    afz_srv_w_raw(&w, ",\"challenges\":[");
    for (size_t i = 0; i < a->n_chall; i++) {
        if (i)
            afz_srv_w_raw(&w, ",");
        write_chall(s, &w, a, i);
    }
    afz_srv_w_raw(&w, "]");
    if (a->wildcard)
        afz_srv_w_raw(&w, ",\"wildcard\":true");
    afz_srv_w_raw(&w, "}");
    afz_rc rc = afz_srv_w_finish(&w, resp, 200, "application/json");
    afz_srv_w_cleanup(&w);
    /* Validation under way: tell the client when to look again. */
    if (rc == AFZ_OK && a->status == AFZ_ST_PENDING && a->active >= 0)
        rc = afz_srv_add_retry_after(s, resp, s->cfg.authz_retry_after_s,
                                     s->cfg.authz_retry_after_date);
    return rc;
}

afz_rc afz_srv_order_respond(afz_server *s, afz_srv_order *o, int status, afz_response *resp)
{
    afz_srv_w w;
    afz_srv_w_init(&w);
    afz_srv_w_raw(&w, "{\"status\":");
    afz_srv_w_str(&w, afz_status_name(o->status));
    afz_srv_w_raw(&w, ",\"expires\":");
    afz_srv_w_time(&w, s, o->expires_ms);
    afz_srv_w_raw(&w, ",\"identifiers\":[");
    for (size_t i = 0; i < o->n_names; i++) {
        if (i)
            afz_srv_w_raw(&w, ",");
        write_identifier(&w, o->names[i]);
    }
    afz_srv_w_raw(&w, "],\"authorizations\":[");
    for (size_t i = 0; i < o->n_names; i++) {
        if (i)
            afz_srv_w_raw(&w, ",");
        afz_srv_w_str(&w, o->authz[i]->url);
    }
    afz_srv_w_raw(&w, "],\"finalize\":");
    afz_srv_w_str(&w, o->finalize_url);
    if (o->profile) { /* draft-aaron-acme-profiles-01 4 */
        afz_srv_w_raw(&w, ",\"profile\":");
        afz_srv_w_str(&w, o->profile->name);
    }
    if (o->replaces) { /* RFC 9773 5: reflected in every answer */
        afz_srv_w_raw(&w, ",\"replaces\":");
        afz_srv_w_str(&w, o->replaces);
    }
    if (o->status == AFZ_ST_VALID && o->cert_url) {
        afz_srv_w_raw(&w, ",\"certificate\":");
        afz_srv_w_str(&w, o->cert_url);
    } else if (o->status == AFZ_ST_PROCESSING && o->early_cert_id[0]) {
        /* cert_url_early: the URL the certificate will have (404 until then) */
        char *early = afz_srv_url(s, "/cert/", o->early_cert_id, NULL);
        if (!early && w.rc == AFZ_OK)
            w.rc = AFZ_ENOMEM;
        afz_srv_w_raw(&w, ",\"certificate\":");
        afz_srv_w_str(&w, early ? early : "");
        free(early);
    }
    if (o->status == AFZ_ST_INVALID && o->err_type) {
        afz_srv_w_raw(&w, ",\"error\":{\"type\":\"" AFZ_ACME_ERROR_PREFIX);
        afz_srv_w_raw(&w, o->err_type);
        afz_srv_w_raw(&w, "\",\"detail\":");
        afz_srv_w_str(&w, o->err_detail);
        afz_srv_w_raw(&w, "}");
    }
    afz_srv_w_raw(&w, "}");
    afz_rc rc = afz_srv_w_finish(&w, resp, status, "application/json");
    afz_srv_w_cleanup(&w);
    if (rc == AFZ_OK && o->status == AFZ_ST_PROCESSING)
        rc = afz_srv_add_retry_after(s, resp, s->cfg.order_retry_after_s,
                                     s->cfg.order_retry_after_date);
    return rc;
}

/* ---- newOrder ---- */

static afz_srv_authz *authz_new(afz_server *s, afz_srv_account *acct, const char *name,
                                int valid_now)
{
    afz_srv_authz *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    afz_srv_new_id(s, a->id);
    a->acct = acct;
    a->wildcard = name[0] == '*';
    a->name = afz_strdup(name);
    a->value = afz_strdup(a->wildcard ? name + 2 : name);
    a->url = afz_srv_url(s, "/authz/", a->id, NULL);
    if (!a->name || !a->value || !a->url)
        goto fail;
    a->status = valid_now ? AFZ_ST_VALID : AFZ_ST_PENDING;
    a->expires_ms = afz_srv_deadline(s, s->cfg.authz_lifetime_s);
    a->active = -1;
    /* RFC 8555 7.1.3: wildcard names can only be proven with dns-01. */
    static const afz_srv_chall_type all[] = {SRV_HTTP01, SRV_DNS01, SRV_TLSALPN01};
    static const afz_srv_chall_type dns_only[] = {SRV_DNS01};
    const afz_srv_chall_type *types = a->wildcard ? dns_only : all;
    a->n_chall = a->wildcard ? 1 : 3;
    for (size_t i = 0; i < a->n_chall; i++) {
        afz_srv_chall *c = &a->chall[i];
        c->type = types[i];
        c->status = AFZ_ST_PENDING;
        if (afz_srv_b64_random(s, 32, c->token, sizeof(c->token)) != AFZ_OK)
            goto fail;
    }
    if (valid_now) {
        a->chall[0].status = AFZ_ST_VALID;
        a->chall[0].validated_ms = afz_srv_now(s);
    }
    return a;
fail:
    afz_srv_authz_free(a);
    return NULL;
}

/* The account's valid, unexpired authorization for |name|, if any. */
static afz_srv_authz *authz_reusable(afz_server *s, const afz_srv_account *acct, const char *name)
{
    for (size_t i = 0; i < s->n_authzs; i++) {
        afz_srv_authz *a = s->authzs[i];
        if (a->acct != acct || strcmp(a->name, name) != 0)
            continue;
        authz_refresh(s, a, 0);
        if (a->status == AFZ_ST_VALID)
            return a;
    }
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join_sorted(char **names, size_t n)
{
    char **tmp = malloc(n * sizeof(*tmp));
    if (!tmp)
        return NULL;
    memcpy(tmp, names, n * sizeof(*tmp));
    qsort(tmp, n, sizeof(*tmp), cmp_str);
    afz_buf b;
    afz_buf_init(&b, 0);
    afz_rc rc = AFZ_OK;
    for (size_t i = 0; i < n && rc == AFZ_OK; i++) {
        if (i)
            rc = afz_buf_putc(&b, ',');
        if (rc == AFZ_OK)
            rc = afz_buf_puts(&b, tmp[i]);
    }
    free(tmp);
    char *p = rc == AFZ_OK ? afz_buf_take(&b, NULL) : NULL;
    afz_buf_cleanup(&b);
    return p;
}

/* Checks every identifier. AFZ_OK fills names[] (lower-cased, unique, in
 * request order) and *n; AFZ_EPROTO means a problem was written. */
static afz_rc check_identifiers(afz_server *s, const cJSON *ids, char (*names)[NAME_MAX_BUF],
                                size_t *n, afz_response *resp)
{
    const cJSON *e;
    *n = 0;
    cJSON_ArrayForEach(e, ids)
    {
        const char *type = afz_json_str(e, "type");
        const char *value = afz_json_str(e, "value");
        if (!type || !value)
            return answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                            "Each identifier must be an object with string "
                                            "\"type\" and \"value\""));
        if (strcmp(type, "dns") != 0)
            return answered(afz_srv_problem(resp, 400, "unsupportedIdentifier", NULL,
                                            "Identifier type \"%.*s\" is not supported",
                                            SRV_ECHO_MAX, type));
    }
    /* Collect every refused name as a subproblem (RFC 8555 6.7.1). */
    afz_srv_w sub;
    afz_srv_w_init(&sub);
    size_t refused = 0;
    const char *first_value = NULL, *first_why = NULL;
    cJSON_ArrayForEach(e, ids)
    {
        const char *value = afz_json_str(e, "value");
        char name[NAME_MAX_BUF];
        const char *why = afz_srv_dns_name_check(value, name, sizeof(name));
        if (!why && afz_srv_name_blocked(s, name))
            why = "The ACME server refuses to issue a certificate for this domain name, "
                  "because it is forbidden by policy";
        if (why) {
            if (refused++ == 0) {
                first_value = value;
                first_why = why;
                afz_srv_w_raw(&sub, ",\"subproblems\":[");
            } else {
                afz_srv_w_raw(&sub, ",");
            }
            afz_srv_w_raw(&sub, "{\"type\":\"" AFZ_ACME_ERROR_PREFIX "rejectedIdentifier\","
                                "\"detail\":");
            afz_srv_w_str(&sub, why);
            afz_srv_w_raw(&sub, ",\"status\":400,\"identifier\":");
            write_identifier(&sub, value);
            afz_srv_w_raw(&sub, "}");
            continue;
        }
        int dup = 0;
        for (size_t i = 0; i < *n && !dup; i++)
            dup = strcmp(names[i], name) == 0;
        if (!dup)
            memcpy(names[(*n)++], name, strlen(name) + 1);
    }
    afz_rc rc = AFZ_OK;
    if (refused) {
        afz_srv_w_raw(&sub, "]");
        if (sub.rc != AFZ_OK)
            rc = sub.rc;
        else if (refused == 1)
            rc = answered(afz_srv_problem(resp, 400, "rejectedIdentifier", afz_buf_cstr(&sub.b),
                                          "Cannot issue for \"%.*s\": %s", SRV_ECHO_MAX,
                                          first_value, first_why));
        else
            rc = answered(afz_srv_problem(resp, 400, "rejectedIdentifier", afz_buf_cstr(&sub.b),
                                          "Cannot issue for %zu identifiers", refused));
    }
    afz_srv_w_cleanup(&sub);
    return rc;
}

/* The account's pending or ready order for exactly |names|, if any. */
static afz_rc order_reusable(afz_server *s, const afz_srv_account *acct,
                             char (*names)[NAME_MAX_BUF], size_t n, afz_srv_order **out)
{
    *out = NULL;
    char **v = calloc(n ? n : 1, sizeof(*v));
    if (!v)
        return AFZ_ENOMEM;
    for (size_t i = 0; i < n; i++)
        v[i] = names[i];
    char *joined = join_sorted(v, n);
    free(v);
    if (!joined)
        return AFZ_ENOMEM;
    for (size_t i = s->n_orders; i-- > 0;) {
        afz_srv_order *o = s->orders[i];
        if (o->acct != acct || strcmp(o->names_joined, joined) != 0)
            continue;
        afz_srv_order_refresh(s, o, 0);
        if (o->status == AFZ_ST_PENDING || o->status == AFZ_ST_READY) {
            *out = o;
            break;
        }
    }
    free(joined);
    return AFZ_OK;
}

afz_rc afz_srv_new_order(afz_server *s, const afz_request *req, afz_response *resp)
{
    afz_srv_auth auth;
    cJSON *p = NULL;
    char(*names)[NAME_MAX_BUF] = NULL;
    afz_srv_order *o = NULL;
    char *replaces = NULL;
    size_t n = 0, n_new = 0;
    afz_rc rc = afz_srv_authenticate(s, req, SRV_KEY_KID, &auth, resp);
    if (rc != AFZ_OK)
        goto out;
    rc = afz_srv_payload_object(&auth, resp, &p);
    if (rc != AFZ_OK)
        goto out;
    /* Let's Encrypt refuses notBefore/notAfter; so does this model. */
    if (cJSON_GetObjectItemCaseSensitive(p, "notBefore") ||
        cJSON_GetObjectItemCaseSensitive(p, "notAfter")) {
        rc = answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                      "NotBefore and NotAfter are not supported"));
        goto out;
    }
    const cJSON *ids = afz_json_array(p, "identifiers");
    int count = ids ? cJSON_GetArraySize(ids) : 0;
    if (count == 0) {
        rc = answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                      "NewOrder request did not specify any identifiers"));
        goto out;
    }
    if (count > SRV_MAX_IDENTIFIERS) {
        rc = answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                      "Order cannot contain more than %d identifiers",
                                      SRV_MAX_IDENTIFIERS));
        goto out;
    }
    names = calloc((size_t)count, sizeof(*names));
    if (!names) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    rc = check_identifiers(s, ids, names, &n, resp);
    if (rc != AFZ_OK)
        goto out;
    rc = afz_srv_ari_replaces(s, auth.acct, p, names, n, resp, &replaces);
    if (rc != AFZ_OK)
        goto out;
    const afz_server_profile *profile = NULL;
    rc = afz_srv_profile_pick(s, p, resp, &profile);
    if (rc != AFZ_OK)
        goto out;
    if (s->cfg.order_reuse) {
        afz_srv_order *old = NULL;
        rc = order_reusable(s, auth.acct, names, n, &old);
        if (rc != AFZ_OK)
            goto out;
        if (old) {
            /* Boulder hands back an identical pending or ready order. */
            afz_srv_event(s, AFZ_EV_ORDER_REUSED, old->url, NULL, old->names_joined, NULL, NULL);
            rc = afz_srv_order_respond(s, old, 201, resp);
            if (rc == AFZ_OK)
                rc = afz_srv_add_header(resp, "Location", old->url);
            goto out;
        }
    }

    /* Make room first: evicting later could free an authorization this
     * order is about to reuse. */
    while ((s->n_orders >= s->cfg.max_orders || s->n_authzs + n > s->max_authzs) &&
           order_evict_one(s)) {
    }
    if (s->n_orders >= s->cfg.max_orders) {
        rc = answered(afz_srv_problem(resp, 429, "rateLimited", NULL, "too many orders"));
        goto out;
    }

    o = calloc(1, sizeof(*o));
    if (!o || !(o->names = calloc(n, sizeof(char *))) ||
        !(o->authz = calloc(n, sizeof(afz_srv_authz *)))) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    afz_srv_new_id(s, o->id);
    o->acct = auth.acct;
    o->replaces = replaces;
    replaces = NULL;
    o->profile = profile;
    o->url = afz_srv_url(s, "/order/", o->id, NULL);
    o->finalize_url = afz_srv_url(s, "/finalize/", o->id, NULL);
    if (!o->url || !o->finalize_url) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    o->status = AFZ_ST_PENDING;
    o->expires_ms = afz_srv_deadline(s, s->cfg.order_lifetime_s);
    for (size_t i = 0; i < n; i++) {
        o->names[i] = afz_strdup(names[i]);
        if (!o->names[i]) {
            rc = AFZ_ENOMEM;
            goto out;
        }
        o->n_names = i + 1;
        afz_srv_authz *a = NULL;
        if (s->cfg.authz_reuse || s->cfg.authz_reuse_percent) {
            a = authz_reusable(s, o->acct, names[i]);
            /* Pebble's PEBBLE_AUTHZREUSE: reused with that probability */
            if (a && !s->cfg.authz_reuse && s->cfg.authz_reuse_percent < 100 &&
                afz_prng_below(s->prng, 100) >= s->cfg.authz_reuse_percent)
                a = NULL;
        }
        if (!a) {
            if (s->n_authzs + n_new >= s->max_authzs) {
                rc = answered(
                    afz_srv_problem(resp, 429, "rateLimited", NULL, "too many authorizations"));
                goto out;
            }
            a = authz_new(s, o->acct, names[i],
                          s->cfg.order_ready_at_creation || (s->cfg.authz_prevalidated && i == 0));
            if (!a) {
                rc = AFZ_ENOMEM;
                goto out;
            }
            n_new++;
        }
        o->authz[i] = a;
    }
    o->names_joined = join_sorted(o->names, o->n_names);
    if (!o->names_joined || reserve_authzs(s, s->n_authzs + n_new) != AFZ_OK ||
        reserve_orders(s, s->n_orders + 1) != AFZ_OK) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    /* Commit: nothing below can fail. */
    for (size_t i = 0; i < o->n_names; i++) {
        afz_srv_authz *a = o->authz[i];
        if (a->refs++ == 0)
            s->authzs[s->n_authzs++] = a;
    }
    s->orders[s->n_orders++] = o;
    afz_srv_order *created = o;
    o = NULL;
    afz_srv_event(s, AFZ_EV_ORDER_CREATED, created->url, NULL, created->names_joined, NULL, NULL);
    afz_srv_order_refresh(s, created, 0);
    rc = afz_srv_order_respond(s, created, 201, resp);
    if (rc == AFZ_OK)
        rc = afz_srv_add_header(resp, "Location", created->url);
out:
    if (o) {
        /* Free the authorizations made for the order that never was. */
        for (size_t i = 0; i < o->n_names; i++)
            if (o->authz && o->authz[i] && o->authz[i]->refs == 0)
                afz_srv_authz_free(o->authz[i]);
        afz_srv_order_free(o);
    }
    free(names);
    free(replaces);
    cJSON_Delete(p);
    afz_srv_auth_cleanup(&auth);
    return rc;
}

/* ---- order, authorization, challenge resources ---- */

afz_rc afz_srv_order_op(afz_server *s, const afz_request *req, const afz_srv_route *rt,
                        afz_response *resp)
{
    afz_srv_auth auth;
    afz_rc rc = afz_srv_authenticate(s, req, SRV_KEY_KID, &auth, resp);
    if (rc != AFZ_OK)
        goto out;
    afz_srv_order *o = afz_srv_order_find(s, rt->id, rt->id_len);
    if (!o) {
        rc = afz_srv_not_found(resp, "Order not found");
        goto out;
    }
    if (o->acct != auth.acct) {
        rc = afz_srv_unauthorized(resp, "Account does not own this order");
        goto out;
    }
    rc = afz_srv_require_empty(&auth, resp);
    if (rc != AFZ_OK)
        goto out;
    afz_srv_order_refresh(s, o, 1);
    rc = afz_srv_order_respond(s, o, 200, resp);
out:
    afz_srv_auth_cleanup(&auth);
    return rc;
}

afz_rc afz_srv_authz_op(afz_server *s, const afz_request *req, const afz_srv_route *rt,
                        afz_response *resp)
{
    afz_srv_auth auth;
    cJSON *p = NULL;
    afz_rc rc = afz_srv_authenticate(s, req, SRV_KEY_KID, &auth, resp);
    if (rc != AFZ_OK)
        goto out;
    afz_srv_authz *a = authz_find(s, rt->id, rt->id_len);
    if (!a) {
        rc = afz_srv_not_found(resp, "Authorization not found");
        goto out;
    }
    if (a->acct != auth.acct) {
        rc = afz_srv_unauthorized(resp, "Account does not own this authorization");
        goto out;
    }
    if (auth.jws.payload_len == 0) {
        authz_refresh(s, a, 1);
        rc = authz_respond(s, a, resp);
        goto out;
    }
    /* RFC 8555 7.5.2: the only update is {"status":"deactivated"}. */
    const char *st = NULL;
    if (afz_json_parse_object(auth.jws.payload, auth.jws.payload_len, &p) == AFZ_OK)
        st = afz_json_str(p, "status");
    if (!st || strcmp(st, "deactivated") != 0) {
        rc = afz_srv_require_empty(&auth, resp);
        goto out;
    }
    authz_refresh(s, a, 0);
    if (a->status == AFZ_ST_PENDING || a->status == AFZ_ST_VALID)
        a->status = AFZ_ST_DEACTIVATED;
    rc = authz_respond(s, a, resp);
out:
    cJSON_Delete(p);
    afz_srv_auth_cleanup(&auth);
    return rc;
}

static afz_rc chall_respond(afz_server *s, const afz_srv_authz *a, size_t i, afz_response *resp)
{
    afz_srv_w w;
    afz_srv_w_init(&w);
    write_chall(s, &w, a, i);
    afz_rc rc = afz_srv_w_finish(&w, resp, 200, "application/json");
    afz_srv_w_cleanup(&w);
    if (rc == AFZ_OK)
        rc = afz_srv_add_link(resp, a->url, "up");
    return rc;
}

/* offer_validation hands a challenge that just started to the validator,
 * if one is set. */
static afz_rc offer_validation(afz_server *s, afz_srv_authz *a, size_t i,
                               const afz_srv_account *acct)
{
    if (!s->validator)
        return AFZ_OK;
    afz_srv_chall *c = &a->chall[i];
    afz_buf ka;
    afz_buf_init(&ka, 0);
    afz_rc rc = afz_buf_printf(&ka, "%s.%s", c->token, acct->thumb);
    if (rc != AFZ_OK) {
        afz_buf_cleanup(&ka);
        return rc;
    }
    afz_validation v = {
        .authz_id = a->id,
        .index = i,
        .type = chall_type_names[c->type],
        .identifier = a->value,
        .token = c->token,
        .key_authorization = afz_buf_cstr(&ka),
    };
    if (s->validator(s->validator_ctx, &v))
        c->ext = SRV_EXT_PENDING;
    afz_buf_cleanup(&ka);
    return AFZ_OK;
}

afz_rc afz_srv_challenge_op(afz_server *s, const afz_request *req, const afz_srv_route *rt,
                            afz_response *resp)
{
    afz_srv_auth auth;
    cJSON *p = NULL;
    afz_rc rc = afz_srv_authenticate(s, req, SRV_KEY_KID, &auth, resp);
    if (rc != AFZ_OK)
        goto out;
    afz_srv_authz *a = authz_find(s, rt->id, rt->id_len);
    if (!a || rt->chall_index < 0 || (size_t)rt->chall_index >= a->n_chall) {
        rc = afz_srv_not_found(resp, "Challenge not found");
        goto out;
    }
    if (a->acct != auth.acct) {
        rc = afz_srv_unauthorized(resp, "Account does not own this challenge");
        goto out;
    }
    size_t i = (size_t)rt->chall_index;
    if (auth.jws.payload_len == 0) {
        /* POST-as-GET: a fetch, which counts as a poll of the validation. */
        authz_refresh(s, a, 1);
        rc = chall_respond(s, a, i, resp);
        goto out;
    }
    /* RFC 8555 7.5.1: the response to a challenge is a JSON object ({});
     * members this server does not know are ignored. */
    if (afz_json_parse_object(auth.jws.payload, auth.jws.payload_len, &p) != AFZ_OK) {
        rc = answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                      "Challenge response must be a JSON object"));
        goto out;
    }
    authz_refresh(s, a, 0);
    if (a->status != AFZ_ST_PENDING && a->status != AFZ_ST_VALID) {
        rc = answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                      "Unable to update challenge: authorization is \"%s\"",
                                      afz_status_name(a->status)));
        goto out;
    }
    afz_srv_chall *c = &a->chall[i];
    if (a->status == AFZ_ST_PENDING && a->active < 0 && c->status == AFZ_ST_PENDING) {
        c->status = AFZ_ST_PROCESSING;
        a->active = (int)i;
        a->started_ms = afz_srv_now(s);
        a->polls = 0;
        afz_buf_reset(&s->scratch);
        rc = afz_buf_printf(&s->scratch, "%s/chall/%s-%zu", s->base, a->id, i);
        if (rc != AFZ_OK)
            goto out;
        afz_srv_event(s, AFZ_EV_CHALLENGE_STARTED, afz_buf_cstr(&s->scratch), a->url, a->name, NULL,
                      NULL);
        if ((rc = offer_validation(s, a, i, auth.acct)) != AFZ_OK)
            goto out;
    }
    rc = chall_respond(s, a, i, resp);
out:
    cJSON_Delete(p);
    afz_srv_auth_cleanup(&auth);
    return rc;
}

/* ---- validation by the caller ---- */

void afz_server_set_validator(afz_server *s, afz_server_validator fn, void *ctx)
{
    s->validator = fn;
    s->validator_ctx = ctx;
}

afz_rc afz_server_validation_result(afz_server *s, const char *authz_id, size_t index, int ok,
                                    const char *error_type, const char *detail)
{
    afz_srv_authz *a = authz_id ? authz_find(s, authz_id, strlen(authz_id)) : NULL;
    if (!a || index >= a->n_chall || a->chall[index].ext != SRV_EXT_PENDING)
        return AFZ_EINVAL;
    afz_srv_chall *c = &a->chall[index];
    if (ok) {
        c->ext = SRV_EXT_OK;
        return AFZ_OK;
    }
    char *d = afz_strdup(detail ? detail : "validation failed");
    if (!d)
        return AFZ_ENOMEM;
    free(c->err_detail);
    c->err_detail = d;
    c->err_type = error_type ? error_type : "incorrectResponse";
    c->ext = SRV_EXT_FAILED;
    return AFZ_OK;
}
