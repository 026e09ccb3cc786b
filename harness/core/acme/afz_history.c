/* afz_history.c - see afz_history.h. */
#include "afz_history.h"

#include <stdlib.h>
#include <string.h>

#include "afz_acme.h"
#include "afz_b64.h"
#include "afz_jose.h"
#include "afz_json.h"

static const char *const event_names[AFZ_EV__COUNT] = {
    [AFZ_EV_ACCOUNT_CREATED] = "account_created",
    [AFZ_EV_ACCOUNT_UPDATED] = "account_updated",
    [AFZ_EV_ACCOUNT_DEACTIVATED] = "account_deactivated",
    [AFZ_EV_KEY_CHANGED] = "key_changed",
    [AFZ_EV_ORDER_CREATED] = "order_created",
    [AFZ_EV_ORDER_REUSED] = "order_reused",
    [AFZ_EV_CHALLENGE_STARTED] = "challenge_started",
    [AFZ_EV_AUTHZ_VALID] = "authz_valid",
    [AFZ_EV_AUTHZ_INVALID] = "authz_invalid",
    [AFZ_EV_ORDER_READY] = "order_ready",
    [AFZ_EV_ORDER_INVALID] = "order_invalid",
    [AFZ_EV_FINALIZE_ACCEPTED] = "finalize_accepted",
    [AFZ_EV_FINALIZE_REJECTED] = "finalize_rejected",
    [AFZ_EV_CERT_ISSUED] = "cert_issued",
    [AFZ_EV_CERT_DOWNLOADED] = "cert_downloaded",
    [AFZ_EV_CERT_REVOKED] = "cert_revoked",
    [AFZ_EV_SLEEP] = "sleep",
    [AFZ_EV_CLIENT_LOG] = "client_log",
    [AFZ_EV_CLIENT_DONE] = "client_done",
    [AFZ_EV_BUDGET_EXHAUSTED] = "budget_exhausted",
    [AFZ_EV_ATTEMPT_START] = "attempt_start",
    [AFZ_EV_FAULT] = "fault",
    [AFZ_EV_FAULT_CONFIG] = "fault_config",
    [AFZ_EV_VALIDATION] = "validation",
    [AFZ_EV_CLIENT_CRASHED] = "client_crashed",
};

const char *afz_event_kind_name(afz_event_kind k)
{
    if ((int)k < 0 || k >= AFZ_EV__COUNT || !event_names[k])
        return "unknown";
    return event_names[k];
}

void afz_history_init(afz_history *h)
{
    memset(h, 0, sizeof(*h));
}

static void event_free(afz_event *e)
{
    free(e->url);
    free(e->related_url);
    free(e->identifiers);
    free(e->serial);
    free(e->detail);
}

static void jws_free(afz_jws *jws)
{
    if (!jws)
        return;
    afz_jws_cleanup(jws);
    free(jws);
}

void afz_history_set_request_jws(afz_history *h, size_t i, afz_jws *jws)
{
    if (i >= h->n_ex) {
        jws_free(jws);
        return;
    }
    jws_free(h->ex[i].req_jws);
    h->ex[i].req_jws = jws;
}

void afz_history_reset(afz_history *h)
{
    for (size_t i = 0; i < h->n_ex; i++) {
        afz_request_cleanup(&h->ex[i].req);
        afz_response_cleanup(&h->ex[i].resp);
        jws_free(h->ex[i].req_jws);
    }
    for (size_t i = 0; i < h->n_ev; i++)
        event_free(&h->ev[i]);
    h->n_ex = 0;
    h->n_ev = 0;
    h->next_seq = 0;
}

void afz_history_cleanup(afz_history *h)
{
    afz_history_reset(h);
    free(h->ex);
    free(h->ev);
    memset(h, 0, sizeof(*h));
}

static afz_rc grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return AFZ_OK;
    size_t nc = *cap ? *cap * 2 : 32;
    void *p = realloc(*arr, nc * elem);
    if (!p)
        return AFZ_ENOMEM;
    *arr = p;
    *cap = nc;
    return AFZ_OK;
}

afz_rc afz_history_add_exchange(afz_history *h, const afz_request *req, const afz_response *resp,
                                afz_resource resource, int64_t mono_ms, int64_t wall_ms)
{
    afz_rc rc = grow((void **)&h->ex, &h->cap_ex, h->n_ex, sizeof(*h->ex));
    if (rc != AFZ_OK)
        return rc;
    afz_exchange *x = &h->ex[h->n_ex];
    memset(x, 0, sizeof(*x));
    rc = afz_request_copy(&x->req, req);
    if (rc != AFZ_OK)
        return rc;
    if (resp) {
        rc = afz_response_copy(&x->resp, resp);
        if (rc != AFZ_OK) {
            afz_request_cleanup(&x->req);
            return rc;
        }
        x->delivered = 1;
    } else {
        afz_response_init(&x->resp);
    }
    x->seq = h->next_seq++;
    x->index = h->n_ex;
    x->mono_ms = mono_ms;
    x->wall_ms = wall_ms;
    x->resource = resource;
    h->n_ex++;
    return AFZ_OK;
}

afz_rc afz_history_add_event(afz_history *h, const afz_event_in *in)
{
    const char *url = in->url, *related_url = in->related_url, *identifiers = in->identifiers;
    const char *serial = in->serial, *detail = in->detail;
    afz_rc rc = grow((void **)&h->ev, &h->cap_ev, h->n_ev, sizeof(*h->ev));
    if (rc != AFZ_OK)
        return rc;
    afz_event *e = &h->ev[h->n_ev];
    memset(e, 0, sizeof(*e));
    e->url = afz_strdup(url);
    e->related_url = afz_strdup(related_url);
    e->identifiers = afz_strdup(identifiers);
    e->serial = afz_strdup(serial);
    e->detail = afz_strdup(detail);
    if ((url && !e->url) || (related_url && !e->related_url) || (identifiers && !e->identifiers) ||
        (serial && !e->serial) || (detail && !e->detail)) {
        event_free(e);
        return AFZ_ENOMEM;
    }
    e->kind = in->kind;
    e->seq = h->next_seq++;
    e->exchange = h->n_ex;
    e->mono_ms = in->mono_ms;
    e->value = in->value;
    h->n_ev++;
    return AFZ_OK;
}

/* Text is shown as text when it is UTF-8 without NUL or other control
 * bytes JSON would have to escape heavily; else as base64url. */
static int is_plain_text(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c < 0x80) {
            if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f)
                return 0;
            i++;
            continue;
        }
        size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (len == 0 || i + len > n || (c == 0xc0 || c == 0xc1 || c > 0xf4))
            return 0;
        for (size_t k = 1; k < len; k++)
            if ((p[i + k] & 0xc0) != 0x80)
                return 0;
        i += len;
    }
    return 1;
}

static afz_rc add_body(cJSON *obj, const uint8_t *body, size_t n)
{
    if (!body || n == 0)
        return cJSON_AddStringToObject(obj, "body", "") ? AFZ_OK : AFZ_ENOMEM;
    if (is_plain_text(body, n))
        return cJSON_AddStringToObject(obj, "body", (const char *)body) ? AFZ_OK : AFZ_ENOMEM;
    afz_buf b;
    afz_buf_init(&b, 0);
    afz_rc rc = afz_b64url_encode(body, n, &b);
    if (rc == AFZ_OK)
        rc = afz_json_add_str(obj, "body_b64", afz_buf_cstr(&b));
    afz_buf_cleanup(&b);
    return rc;
}

static afz_rc add_headers(cJSON *obj, const afz_headers *hs)
{
    cJSON *arr = cJSON_AddArrayToObject(obj, "headers");
    if (!arr)
        return AFZ_ENOMEM;
    for (size_t i = 0; i < hs->n; i++) {
        cJSON *pair = cJSON_CreateArray();
        if (!pair)
            return AFZ_ENOMEM;
        cJSON_AddItemToArray(arr, pair);
        cJSON *n = cJSON_CreateString(hs->v[i].name);
        cJSON *v = cJSON_CreateString(hs->v[i].value);
        if (!n || !v) {
            cJSON_Delete(n);
            cJSON_Delete(v);
            return AFZ_ENOMEM;
        }
        cJSON_AddItemToArray(pair, n);
        cJSON_AddItemToArray(pair, v);
    }
    return AFZ_OK;
}

static afz_rc exchange_json(const afz_exchange *x, cJSON *arr)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return AFZ_ENOMEM;
    cJSON_AddItemToArray(arr, o);
    cJSON_AddNumberToObject(o, "index", (double)x->index);
    cJSON_AddNumberToObject(o, "seq", (double)x->seq);
    cJSON_AddNumberToObject(o, "t_ms", (double)x->mono_ms);
    cJSON_AddNumberToObject(o, "wall_ms", (double)x->wall_ms);
    cJSON_AddStringToObject(o, "resource", afz_resource_name(x->resource));
    cJSON *rq = cJSON_AddObjectToObject(o, "request");
    if (!rq)
        return AFZ_ENOMEM;
    cJSON_AddStringToObject(rq, "method", x->req.method);
    cJSON_AddStringToObject(rq, "url", x->req.url ? x->req.url : "");
    afz_rc rc = add_headers(rq, &x->req.headers);
    if (rc == AFZ_OK)
        rc = add_body(rq, x->req.body, x->req.body_len);
    if (rc != AFZ_OK)
        return rc;
    if (!x->delivered) {
        return cJSON_AddNullToObject(o, "response") ? AFZ_OK : AFZ_ENOMEM;
    }
    cJSON *rs = cJSON_AddObjectToObject(o, "response");
    if (!rs)
        return AFZ_ENOMEM;
    cJSON_AddNumberToObject(rs, "status", x->resp.status);
    rc = add_headers(rs, &x->resp.headers);
    if (rc == AFZ_OK)
        rc = add_body(rs, x->resp.body, x->resp.body_len);
    return rc;
}

static void add_opt_str(cJSON *o, const char *k, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, k, v);
}

static afz_rc event_json(const afz_event *e, cJSON *arr)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return AFZ_ENOMEM;
    cJSON_AddItemToArray(arr, o);
    cJSON_AddStringToObject(o, "kind", afz_event_kind_name(e->kind));
    cJSON_AddNumberToObject(o, "seq", (double)e->seq);
    cJSON_AddNumberToObject(o, "exchange", (double)e->exchange);
    cJSON_AddNumberToObject(o, "t_ms", (double)e->mono_ms);
    add_opt_str(o, "url", e->url);
    add_opt_str(o, "related_url", e->related_url);
    add_opt_str(o, "identifiers", e->identifiers);
    add_opt_str(o, "serial", e->serial);
    add_opt_str(o, "detail", e->detail);
    cJSON_AddNumberToObject(o, "value", (double)e->value);
    return AFZ_OK;
}

afz_rc afz_history_to_json(const afz_history *h, afz_buf *out)
{
    afz_rc rc = AFZ_ENOMEM;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return AFZ_ENOMEM;
    cJSON *xs = cJSON_AddArrayToObject(root, "exchanges");
    cJSON *es = cJSON_AddArrayToObject(root, "events");
    if (!xs || !es)
        goto out;
    for (size_t i = 0; i < h->n_ex; i++)
        if ((rc = exchange_json(&h->ex[i], xs)) != AFZ_OK)
            goto out;
    for (size_t i = 0; i < h->n_ev; i++)
        if ((rc = event_json(&h->ev[i], es)) != AFZ_OK)
            goto out;
    char *s = cJSON_Print(root);
    if (!s) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    rc = afz_buf_puts(out, s);
    if (rc == AFZ_OK)
        rc = afz_buf_putc(out, '\n');
    cJSON_free(s);
out:
    cJSON_Delete(root);
    return rc;
}

/* One short summary of a response body for the log: status and the
 * fields that matter for ACME state, or the problem type. */
static void summarize_body(const afz_response *r, afz_buf *out)
{
    const char *ct = afz_headers_get(&r->headers, "Content-Type");
    if (!r->body || r->body_len == 0)
        return;
    if (ct && strstr(ct, "pem-certificate-chain")) {
        size_t certs = 0;
        const char *p = (const char *)r->body;
        while ((p = strstr(p, "-----BEGIN CERTIFICATE-----")) != NULL) {
            certs++;
            p++;
        }
        afz_buf_printf(out, " pem(%zu cert%s)", certs, certs == 1 ? "" : "s");
        return;
    }
    cJSON *j = NULL;
    if (afz_json_parse_object(r->body, r->body_len, &j) != AFZ_OK) {
        afz_buf_printf(out, " body(%zu bytes, not JSON)", r->body_len);
        return;
    }
    const char *type = afz_json_str(j, "type");
    const char *status = afz_json_str(j, "status");
    const char *detail = afz_json_str(j, "detail");
    /* A challenge has a "type" too; a problem document is told by its
     * media type or its URN. */
    int is_problem = type && ((ct && strstr(ct, "problem+json")) || strncmp(type, "urn:", 4) == 0);
    if (is_problem) {
        const char *shortt =
            strncmp(type, AFZ_ACME_ERROR_PREFIX, sizeof(AFZ_ACME_ERROR_PREFIX) - 1) == 0
                ? type + sizeof(AFZ_ACME_ERROR_PREFIX) - 1
                : type;
        afz_buf_printf(out, " problem=%s", shortt);
        if (detail)
            afz_buf_printf(out, " \"%.120s\"", detail);
    } else if (status) {
        afz_buf_printf(out, " status=%s", status);
    }
    if (afz_json_str(j, "certificate"))
        afz_buf_puts(out, " +certificate");
    cJSON_Delete(j);
}

static void log_event(const afz_event *e, afz_buf *out)
{
    /* Injected faults stand out: they are what excuses or explains. */
    int fault = e->kind == AFZ_EV_FAULT || e->kind == AFZ_EV_FAULT_CONFIG;
    afz_buf_printf(out, "        %c %s", fault ? '!' : '*', afz_event_kind_name(e->kind));
    if (e->kind == AFZ_EV_SLEEP)
        afz_buf_printf(out, " %lld ms", (long long)e->value);
    if (e->url)
        afz_buf_printf(out, " %s", afz_url_path(e->url));
    if (e->identifiers)
        afz_buf_printf(out, " [%s]", e->identifiers);
    if (e->serial)
        afz_buf_printf(out, " serial=%s", e->serial);
    if (e->detail)
        afz_buf_printf(out, " %s", e->detail);
    afz_buf_putc(out, '\n');
}

static void log_body(const char *label, const uint8_t *p, size_t n, afz_buf *out)
{
    if (!p || n == 0)
        return;
    if (!is_plain_text(p, n)) {
        afz_buf_printf(out, "          %s: (%zu bytes of binary)\n", label, n);
        return;
    }
    afz_buf_printf(out, "          %s: %.*s\n", label, (int)(n > 2000 ? 2000 : n), (const char *)p);
}

/* Server events happen while a request is served; the others (sleep, log,
 * attempt boundaries, the client's end) happen between requests. */
static int is_server_event(afz_event_kind k)
{
    return k != AFZ_EV_SLEEP && k != AFZ_EV_CLIENT_LOG && k != AFZ_EV_CLIENT_DONE &&
           k != AFZ_EV_BUDGET_EXHAUSTED && k != AFZ_EV_ATTEMPT_START && k != AFZ_EV_FAULT_CONFIG &&
           k != AFZ_EV_VALIDATION && k != AFZ_EV_CLIENT_CRASHED;
}

/* In verbose logs a JWS request body is shown decoded: the protected
 * header and the payload, which is what a reader wants to see. */
static void log_jws(const afz_exchange *x, afz_buf *out)
{
    afz_jws jws;
    const char *why = NULL;
    if (afz_jws_parse(x->req.body, x->req.body_len, &jws, &why) == AFZ_OK) {
        char *hdr = afz_json_print_alloc(jws.protected_hdr, NULL);
        if (hdr) {
            afz_buf_printf(out, "          protected: %.1500s\n", hdr);
            cJSON_free(hdr);
        }
        if (jws.payload_len == 0)
            afz_buf_puts(out, "          payload: \"\" (POST-as-GET)\n");
        else
            log_body("payload", jws.payload, jws.payload_len, out);
    } else {
        log_body("request", x->req.body, x->req.body_len, out);
    }
    afz_jws_cleanup(&jws);
}

afz_rc afz_history_print_log(const afz_history *h, int verbose, afz_buf *out)
{
    return afz_history_print_log_marked(h, verbose, NULL, 0, out);
}

static int is_marked(const size_t *marks, size_t n, size_t i)
{
    for (size_t k = 0; k < n; k++)
        if (marks[k] == i)
            return 1;
    return 0;
}

afz_rc afz_history_print_log_marked(const afz_history *h, int verbose, const size_t *marks,
                                    size_t n_marks, afz_buf *out)
{
    for (size_t i = 0; i <= h->n_ex; i++) {
        for (size_t k = 0; k < h->n_ev; k++)
            if (h->ev[k].exchange == i && !is_server_event(h->ev[k].kind) &&
                (verbose || h->ev[k].kind != AFZ_EV_CLIENT_LOG))
                log_event(&h->ev[k], out);
        if (i == h->n_ex)
            break;
        const afz_exchange *x = &h->ex[i];
        afz_buf_printf(out, "%s#%-4zu t=%8.3fs %-4s %-30s %-13s -> ",
                       is_marked(marks, n_marks, i) ? "=> " : "", x->index + 1,
                       (double)x->mono_ms / 1000.0, x->req.method,
                       x->req.url ? afz_url_path(x->req.url) : "", afz_resource_name(x->resource));
        if (!x->delivered) {
            afz_buf_puts(out, "(no response: transport error)");
        } else {
            afz_buf_printf(out, "%d", x->resp.status);
            summarize_body(&x->resp, out);
            const char *ra = afz_headers_get(&x->resp.headers, "Retry-After");
            if (ra)
                afz_buf_printf(out, " Retry-After=%s", ra);
        }
        afz_buf_putc(out, '\n');
        if (verbose) {
            if (strcmp(x->req.method, "POST") == 0)
                log_jws(x, out);
            if (x->delivered)
                log_body("response", x->resp.body, x->resp.body_len, out);
        }
        for (size_t k = 0; k < h->n_ev; k++)
            if (h->ev[k].exchange == i && is_server_event(h->ev[k].kind))
                log_event(&h->ev[k], out);
    }
    return AFZ_OK;
}
