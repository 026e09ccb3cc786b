/* afz_server.c - the ACME server model: construction, routing, the
 * directory and newNonce resources, and the tail every response gets
 * (Replay-Nonce on every non-GET answer, Link rel="index", the response
 * hook). The resources themselves live in afz_server_{account,order,cert}.c. */
#include "afz_server_internal.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_BASE_URL "https://acme.invalid"
#define DAY_S INT64_C(86400)

void afz_server_config_default(afz_server_config *c)
{
    memset(c, 0, sizeof(*c));
    c->base_url = DEFAULT_BASE_URL;
    c->async_finalize = 0;
    c->finalize_polls = 0;
    c->finalize_delay_ms = 0;
    c->order_retry_after_s = -1;
    c->authz_pending_polls = 0;
    c->validation_delay_ms = 0;
    c->authz_retry_after_s = -1;
    c->authz_reuse = 0;
    c->order_ready_at_creation = 0;
    c->nonce_lifetime_ms = 0;
    c->order_lifetime_s = 7 * DAY_S;
    c->authz_lifetime_s = 30 * DAY_S;
    c->cert_validity_s = 90 * DAY_S;
    c->terms_of_service = DEFAULT_BASE_URL "/terms";
    c->website = DEFAULT_BASE_URL "/";
    c->caa_identity = NULL;
    c->external_account_required = 0;
    c->blocked_names = NULL;
    c->max_accounts = 1024;
    c->max_orders = 4096;
    c->max_nonces = 4096;
    c->max_authzs = 4 * c->max_orders;
}

/* Zero bounds and non-positive lifetimes take the defaults. */
static void config_normalize(afz_server_config *c)
{
    afz_server_config d;
    afz_server_config_default(&d);
    if (!c->base_url)
        c->base_url = d.base_url;
    if (c->order_lifetime_s <= 0)
        c->order_lifetime_s = d.order_lifetime_s;
    if (c->authz_lifetime_s <= 0)
        c->authz_lifetime_s = d.authz_lifetime_s;
    if (c->cert_validity_s <= 0)
        c->cert_validity_s = d.cert_validity_s;
    if (c->max_accounts == 0)
        c->max_accounts = d.max_accounts;
    if (c->max_orders == 0)
        c->max_orders = d.max_orders;
    if (c->max_nonces == 0)
        c->max_nonces = d.max_nonces;
    if (c->max_authzs == 0)
        c->max_authzs = c->max_orders > SIZE_MAX / 4 ? SIZE_MAX : 4 * c->max_orders;
}

static afz_rc build_directory(afz_server *s)
{
    const afz_server_config *c = &s->cfg;
    afz_srv_w w;
    afz_srv_w_init(&w);
    char *nonce_url = afz_srv_url(s, "/new-nonce", NULL, NULL);
    if (!nonce_url)
        w.rc = AFZ_ENOMEM;
    afz_srv_w_raw(&w, "{\"newNonce\":");
    afz_srv_w_str(&w, nonce_url);
    afz_srv_w_raw(&w, ",\"newAccount\":");
    afz_srv_w_str(&w, s->new_account_url);
    afz_srv_w_raw(&w, ",\"newOrder\":");
    afz_srv_w_str(&w, s->new_order_url);
    afz_srv_w_raw(&w, ",\"revokeCert\":");
    afz_srv_w_str(&w, s->revoke_url);
    afz_srv_w_raw(&w, ",\"keyChange\":");
    afz_srv_w_str(&w, s->key_change_url);
    if (c->ari) {
        char *ri = afz_srv_url(s, "/renewal-info", NULL, NULL);
        if (!ri)
            w.rc = AFZ_ENOMEM;
        afz_srv_w_raw(&w, ",\"renewalInfo\":");
        afz_srv_w_str(&w, ri ? ri : "");
        free(ri);
    }
    int meta = c->terms_of_service || c->website || c->caa_identity ||
               c->external_account_required || c->n_profiles;
    if (meta) {
        const char *sep = "";
        afz_srv_w_raw(&w, ",\"meta\":{");
        if (c->terms_of_service) {
            afz_srv_w_raw(&w, "\"termsOfService\":");
            afz_srv_w_str(&w, c->terms_of_service);
            sep = ",";
        }
        if (c->website) {
            afz_srv_w_raw(&w, sep);
            afz_srv_w_raw(&w, "\"website\":");
            afz_srv_w_str(&w, c->website);
            sep = ",";
        }
        if (c->caa_identity) {
            afz_srv_w_raw(&w, sep);
            afz_srv_w_raw(&w, "\"caaIdentities\":[");
            afz_srv_w_str(&w, c->caa_identity);
            afz_srv_w_raw(&w, "]");
            sep = ",";
        }
        if (c->external_account_required) {
            afz_srv_w_raw(&w, sep);
            afz_srv_w_raw(&w, "\"externalAccountRequired\":true");
            sep = ",";
        }
        if (c->n_profiles && c->profiles) { /* draft-aaron-acme-profiles-01 3 */
            afz_srv_w_raw(&w, sep);
            afz_srv_w_raw(&w, "\"profiles\":{");
            for (size_t i = 0; i < c->n_profiles; i++) {
                if (i)
                    afz_srv_w_raw(&w, ",");
                afz_srv_w_str(&w, c->profiles[i].name ? c->profiles[i].name : "");
                afz_srv_w_raw(&w, ":");
                afz_srv_w_str(&w, c->profiles[i].description ? c->profiles[i].description : "");
            }
            afz_srv_w_raw(&w, "}");
        }
        afz_srv_w_raw(&w, "}");
    }
    afz_srv_w_raw(&w, "}");
    free(nonce_url);
    afz_rc rc = w.rc;
    if (rc == AFZ_OK) {
        s->directory_json = afz_buf_take(&w.b, &s->directory_len);
        if (!s->directory_json)
            rc = AFZ_ENOMEM;
    }
    afz_srv_w_cleanup(&w);
    return rc;
}

afz_server *afz_server_new(const afz_server_config *config, const afz_ca *ca, afz_clock *clock,
                           afz_prng *prng, afz_history *history)
{
    afz_server *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->cfg = *config;
    config_normalize(&s->cfg);
    s->ca = ca;
    s->clock = clock;
    s->prng = prng;
    s->hist = history;
    s->max_authzs = s->cfg.max_authzs;
    afz_buf_init(&s->scratch, 4096);
    size_t n = strlen(s->cfg.base_url);
    while (n > 0 && s->cfg.base_url[n - 1] == '/')
        n--;
    s->base = afz_strndup(s->cfg.base_url, n);
    s->base_len = n;
    if (!s->base)
        goto fail;
    s->dir_url = afz_srv_url(s, "/directory", NULL, NULL);
    s->new_account_url = afz_srv_url(s, "/new-account", NULL, NULL);
    s->new_order_url = afz_srv_url(s, "/new-order", NULL, NULL);
    s->revoke_url = afz_srv_url(s, "/revoke-cert", NULL, NULL);
    s->key_change_url = afz_srv_url(s, "/key-change", NULL, NULL);
    if (!s->dir_url || !s->new_account_url || !s->new_order_url || !s->revoke_url ||
        !s->key_change_url)
        goto fail;
    afz_buf b;
    afz_buf_init(&b, 0);
    if (afz_buf_printf(&b, "<%s>;rel=\"index\"", s->dir_url) != AFZ_OK) {
        afz_buf_cleanup(&b);
        goto fail;
    }
    s->index_link = afz_buf_take(&b, NULL);
    afz_buf_cleanup(&b);
    if (!s->index_link || build_directory(s) != AFZ_OK)
        goto fail;
    return s;
fail:
    afz_server_free(s);
    return NULL;
}

void afz_server_free(afz_server *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_orders; i++)
        afz_srv_order_free(s->orders[i]);
    free(s->orders);
    for (size_t i = 0; i < s->n_authzs; i++)
        afz_srv_authz_free(s->authzs[i]);
    free(s->authzs);
    for (size_t i = 0; i < s->n_accts; i++)
        afz_srv_account_free(s->accts[i]);
    free(s->accts);
    afz_srv_nonces_free(s);
    afz_srv_req_jws_drop(s);
    afz_buf_cleanup(&s->scratch);
    free(s->base);
    free(s->dir_url);
    free(s->index_link);
    free(s->new_account_url);
    free(s->new_order_url);
    free(s->revoke_url);
    free(s->key_change_url);
    free(s->directory_json);
    free(s);
}

afz_jws *afz_server_take_request_jws(afz_server *s)
{
    afz_jws *j = s->req_jws;
    s->req_jws = NULL;
    return j;
}

void afz_server_set_hook(afz_server *s, afz_server_response_hook hook, void *ctx)
{
    s->hook = hook;
    s->hook_ctx = ctx;
}

void afz_server_set_request_hook(afz_server *s, afz_server_request_hook hook, void *ctx)
{
    s->req_hook = hook;
    s->req_hook_ctx = ctx;
}

afz_server_request_hook afz_server_get_request_hook(const afz_server *s, void **ctx)
{
    if (ctx)
        *ctx = s->req_hook_ctx;
    return s->req_hook;
}

afz_rc afz_server_fresh_nonce(afz_server *s, afz_buf *out)
{
    char v[SRV_NONCE_LEN + 1];
    afz_rc rc = afz_srv_nonce_new(s, v);
    return rc == AFZ_OK ? afz_buf_puts(out, v) : rc;
}

const char *afz_server_base_url(const afz_server *s)
{
    return s->base;
}

const char *afz_server_directory_url(const afz_server *s)
{
    return s->dir_url;
}

/* ---- routing ---- */

typedef struct route_entry {
    const char *prefix; /* exact path, or a prefix when it ends in '/' */
    afz_srv_op op;
    afz_resource kind;
    const char *sub; /* optional "/tail" after the id */
    afz_srv_op sub_op;
} route_entry;

static const route_entry routes[] = {
    {"/directory", SRV_OP_DIRECTORY, AFZ_RES_DIRECTORY, NULL, SRV_OP_UNKNOWN},
    {"/new-nonce", SRV_OP_NONCE, AFZ_RES_NONCE, NULL, SRV_OP_UNKNOWN},
    {"/new-account", SRV_OP_NEW_ACCOUNT, AFZ_RES_ACCOUNT, NULL, SRV_OP_UNKNOWN},
    {"/new-order", SRV_OP_NEW_ORDER, AFZ_RES_NEW_ORDER, NULL, SRV_OP_UNKNOWN},
    {"/revoke-cert", SRV_OP_REVOKE, AFZ_RES_REVOKE, NULL, SRV_OP_UNKNOWN},
    {"/key-change", SRV_OP_KEY_CHANGE, AFZ_RES_KEY_CHANGE, NULL, SRV_OP_UNKNOWN},
    {"/account/", SRV_OP_ACCOUNT, AFZ_RES_ACCOUNT, "/orders", SRV_OP_ACCOUNT_ORDERS},
    {"/order/", SRV_OP_ORDER, AFZ_RES_ORDER, NULL, SRV_OP_UNKNOWN},
    {"/authz/", SRV_OP_AUTHZ, AFZ_RES_AUTHZ, NULL, SRV_OP_UNKNOWN},
    {"/chall/", SRV_OP_CHALLENGE, AFZ_RES_CHALLENGE, NULL, SRV_OP_UNKNOWN},
    {"/finalize/", SRV_OP_FINALIZE, AFZ_RES_FINALIZE, NULL, SRV_OP_UNKNOWN},
    {"/cert/", SRV_OP_CERT, AFZ_RES_CERT, "/up", SRV_OP_CERT_UP},
    {"/alt-cert/", SRV_OP_CERT_ALT, AFZ_RES_CERT, NULL, SRV_OP_UNKNOWN},
    /* RFC 9773 (config.ari); no resource kind names it yet */
    {"/renewal-info/", SRV_OP_RENEWAL_INFO, AFZ_RES_UNKNOWN, NULL, SRV_OP_UNKNOWN},
};

static void route(const afz_server *s, const char *url, afz_srv_route *rt)
{
    memset(rt, 0, sizeof(*rt));
    rt->op = SRV_OP_UNKNOWN;
    rt->kind = AFZ_RES_UNKNOWN;
    rt->chall_index = -1;
    if (strncmp(url, s->base, s->base_len) != 0)
        return;
    const char *path = url + s->base_len;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const route_entry *r = &routes[i];
        size_t n = strlen(r->prefix);
        if (strncmp(path, r->prefix, n) != 0)
            continue;
        if (r->prefix[n - 1] != '/') {
            if (path[n] != '\0')
                return;
            rt->op = r->op;
            rt->kind = r->kind;
            return;
        }
        const char *id = path + n;
        const char *slash = strchr(id, '/');
        size_t id_len = slash ? (size_t)(slash - id) : strlen(id);
        if (id_len == 0)
            return;
        if (slash) {
            if (!r->sub || strcmp(slash, r->sub) != 0)
                return;
            rt->op = r->sub_op;
        } else {
            rt->op = r->op;
        }
        rt->kind = r->kind;
        rt->id = id;
        rt->id_len = id_len;
        if (rt->op == SRV_OP_CHALLENGE) {
            /* "<authz id>-<index>" */
            if (id_len >= 3 && id[id_len - 2] == '-' && id[id_len - 1] >= '0' &&
                id[id_len - 1] <= '2') {
                rt->chall_index = id[id_len - 1] - '0';
                rt->id_len = id_len - 2;
            }
        }
        return;
    }
}

int afz_server_spend_nonce(afz_server *s, const afz_request *req)
{
    if (!req || strcmp(req->method, "POST") != 0)
        return 0;
    afz_srv_route rt;
    route(s, req->url ? req->url : "", &rt);
    /* The key mode each handler authenticates with. */
    afz_srv_keymode mode = SRV_KEY_KID;
    switch (rt.op) {
    case SRV_OP_UNKNOWN:
    case SRV_OP_DIRECTORY:
    case SRV_OP_NONCE:
    case SRV_OP_RENEWAL_INFO:
        return 0; /* never authenticated: nothing spent */
    case SRV_OP_NEW_ACCOUNT:
        mode = SRV_KEY_JWK;
        break;
    case SRV_OP_REVOKE:
        mode = SRV_KEY_EITHER;
        break;
    default:
        break;
    }
    afz_response scratch;
    afz_response_init(&scratch);
    afz_srv_auth auth;
    afz_rc rc = afz_srv_authenticate(s, req, mode, &auth, &scratch);
    auth.keep_to = NULL; /* |req| need not be the request being served */
    afz_srv_auth_cleanup(&auth);
    afz_response_cleanup(&scratch);
    return rc == AFZ_OK;
}

/* ---- directory and newNonce ---- */

static afz_rc method_not_allowed(afz_response *resp, const char *allow)
{
    afz_rc rc = afz_srv_problem(resp, 405, "malformed", NULL, "Method not allowed");
    if (rc == AFZ_OK)
        rc = afz_srv_add_header(resp, "Allow", allow);
    return rc;
}

static afz_rc serve_directory(afz_server *s, afz_response *resp)
{
    afz_rc rc = afz_response_set_body(resp, s->directory_json, s->directory_len);
    if (rc == AFZ_OK)
        rc = afz_srv_add_header(resp, "Content-Type", "application/json");
    resp->status = 200;
    return rc;
}

/* RFC 8555 7.2: HEAD answers 200, GET 204, both with a fresh nonce and
 * Cache-Control: no-store. */
static afz_rc serve_nonce(afz_server *s, int head, afz_response *resp)
{
    resp->status = head ? 200 : 204;
    afz_rc rc = afz_srv_nonce_issue(s, resp);
    if (rc == AFZ_OK)
        rc = afz_srv_add_header(resp, "Cache-Control", "no-store");
    return rc;
}

static afz_rc dispatch(afz_server *s, const afz_request *req, const afz_srv_route *rt, int is_post,
                       afz_response *resp)
{
    switch (rt->op) {
    case SRV_OP_UNKNOWN:
        return afz_srv_problem(resp, 404, "malformed", NULL, "Resource not found");
    case SRV_OP_RENEWAL_INFO:
        if (!s->cfg.ari)
            return afz_srv_problem(resp, 404, "malformed", NULL, "Resource not found");
        return afz_srv_renewal_info(s, req, rt, resp);
    case SRV_OP_DIRECTORY:
        /* HEAD wherever GET is allowed, as Pebble does (RFC 9110 9.3.2);
         * the transport sends no body for HEAD. */
        if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)
            return serve_directory(s, resp);
        return method_not_allowed(resp, "GET, HEAD");
    case SRV_OP_NONCE:
        if (strcmp(req->method, "HEAD") == 0)
            return serve_nonce(s, 1, resp);
        if (strcmp(req->method, "GET") == 0)
            return serve_nonce(s, 0, resp);
        return method_not_allowed(resp, "GET, HEAD");
    default:
        break;
    }
    /* RFC 8555 6.3: everything else is POST (or POST-as-GET) only. */
    if (!is_post)
        return method_not_allowed(resp, "POST");
    switch (rt->op) {
    case SRV_OP_NEW_ACCOUNT:
        return afz_srv_new_account(s, req, resp);
    case SRV_OP_ACCOUNT:
    case SRV_OP_ACCOUNT_ORDERS:
        return afz_srv_account_op(s, req, rt, resp);
    case SRV_OP_KEY_CHANGE:
        return afz_srv_key_change(s, req, resp);
    case SRV_OP_NEW_ORDER:
        return afz_srv_new_order(s, req, resp);
    case SRV_OP_ORDER:
        return afz_srv_order_op(s, req, rt, resp);
    case SRV_OP_AUTHZ:
        return afz_srv_authz_op(s, req, rt, resp);
    case SRV_OP_CHALLENGE:
        return afz_srv_challenge_op(s, req, rt, resp);
    case SRV_OP_FINALIZE:
        return afz_srv_finalize(s, req, rt, resp);
    case SRV_OP_CERT:
    case SRV_OP_CERT_UP:
    case SRV_OP_CERT_ALT:
        return afz_srv_cert_op(s, req, rt, resp);
    case SRV_OP_REVOKE:
        return afz_srv_revoke(s, req, resp);
    default:
        return afz_srv_problem(resp, 404, "malformed", NULL, "Resource not found");
    }
}

afz_rc afz_server_handle(afz_server *s, const afz_request *req, afz_response *resp,
                         afz_resource *kind)
{
    afz_response_init(resp);
    afz_srv_req_jws_drop(s);
    afz_srv_route rt;
    route(s, req->url ? req->url : "", &rt);
    if (kind)
        *kind = rt.kind;
    int is_post = strcmp(req->method, "POST") == 0;
    size_t occ = s->occurrence[rt.kind]++;
    if (s->req_hook && s->req_hook(s->req_hook_ctx, rt.kind, req, resp))
        return AFZ_OK;

    afz_rc rc = dispatch(s, req, &rt, is_post, resp);
    if (rc != AFZ_OK && rc != AFZ_EPROTO) {
        /* Whatever the handler could not finish becomes a 500. */
        afz_response_cleanup(resp);
        afz_response_init(resp);
        rc = afz_srv_problem(resp, 500, "serverInternal", NULL, "The server could not answer: %s",
                             afz_rc_str(rc));
        if (rc != AFZ_OK)
            goto fail;
    }
    /* RFC 8555 6.5: a fresh nonce on every POST answer, errors included;
     * like Boulder, on every answer to a request other than GET (HEAD of
     * the directory, a 405 to HEAD or PUT): a spare nonce. */
    if (strcmp(req->method, "GET") != 0 && !afz_headers_get(&resp->headers, "Replay-Nonce")) {
        rc = afz_srv_nonce_issue(s, resp);
        if (rc != AFZ_OK)
            goto fail;
    }
    rc = afz_srv_add_header(resp, "Link", s->index_link);
    if (rc != AFZ_OK)
        goto fail;
    if (s->hook)
        s->hook(s->hook_ctx, rt.kind, occ, req, resp);
    return AFZ_OK;
fail:
    afz_response_cleanup(resp);
    afz_response_init(resp);
    return AFZ_ENOMEM;
}
