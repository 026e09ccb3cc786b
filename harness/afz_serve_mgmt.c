/* afz_serve_mgmt.c - the management listener: Pebble's read-only API for
 * the issuing hierarchy and certificate status, plus acmefuzz's history,
 * verdict and reset. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "afz_json.h"
#include "afz_serve_internal.h"

#define CT_PEM "application/pem-certificate-chain; charset=utf-8"
#define CT_KEY "application/x-pem-file; charset=utf-8"
#define CT_JSON "application/json; charset=utf-8"

static void reply_text(struct evhttp_request *req, int status, const char *ctype, const char *s)
{
    afz_serve_reply(req, status, ctype, s, strlen(s));
}

static void reply_buf(struct evhttp_request *req, afz_rc rc, const char *ctype, const afz_buf *b)
{
    if (rc == AFZ_OK)
        afz_serve_reply(req, 200, ctype, b->data, b->len);
    else
        reply_text(req, 500, "text/plain", "acmefuzz: out of memory\n");
}

/* "/roots/0" with prefix "/roots/": 1 when the rest is exactly "0", -1
 * when it is another number (an alternate hierarchy, which acmefuzz does
 * not have), 0 when the prefix does not match. */
static int indexed(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n) != 0)
        return 0;
    const char *rest = path + n;
    if (strcmp(rest, "0") == 0)
        return 1;
    return -1;
}

/* normalize_serial lower-cases |in| and drops leading zeros; 0 when |in|
 * is not hex or too long. */
static int normalize_serial(const char *in, char *out, size_t outlen)
{
    while (*in == '0' && in[1])
        in++;
    size_t n = strlen(in);
    if (n == 0 || n >= outlen)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)in[i]))
            return 0;
        out[i] = (char)tolower((unsigned char)in[i]);
    }
    out[n] = '\0';
    return 1;
}

/* first_pem_block copies the first PEM block of |body| into |out|. */
static afz_rc first_pem_block(const char *body, afz_buf *out)
{
    static const char end_marker[] = "-----END CERTIFICATE-----";
    const char *b = strstr(body, "-----BEGIN CERTIFICATE-----");
    const char *e = b ? strstr(b, end_marker) : NULL;
    if (!e)
        return AFZ_ENOTFOUND;
    e += sizeof(end_marker) - 1;
    afz_rc rc = afz_buf_append(out, b, (size_t)(e - b));
    return rc == AFZ_OK ? afz_buf_putc(out, '\n') : rc;
}

static void cert_status(afz_serve *s, struct evhttp_request *req, const char *hex)
{
    char serial[80];
    if (!normalize_serial(hex, serial, sizeof(serial))) {
        reply_text(req, 400, "text/plain", "acmefuzz: the serial is not hex\n");
        return;
    }
    const afz_history *h = &s->history;
    const afz_event *issued = NULL, *revoked = NULL;
    for (size_t i = 0; i < h->n_ev; i++) {
        const afz_event *ev = &h->ev[i];
        if (!ev->serial || strcmp(ev->serial, serial) != 0)
            continue;
        if (ev->kind == AFZ_EV_CERT_ISSUED && !issued)
            issued = ev;
        else if (ev->kind == AFZ_EV_CERT_REVOKED)
            revoked = ev;
    }
    if (!issued) {
        reply_text(req, 404, "text/plain", "acmefuzz: no certificate with that serial\n");
        return;
    }
    afz_buf pem, out;
    afz_buf_init(&pem, 0);
    afz_buf_init(&out, 0);
    for (size_t i = 0; issued->url && i < h->n_ex && !pem.len; i++) {
        const afz_exchange *x = &h->ex[i];
        if (x->delivered && x->resp.status == 200 && x->resp.body && x->req.url &&
            strcmp(x->req.url, issued->url) == 0)
            first_pem_block((const char *)x->resp.body, &pem);
    }
    cJSON *j = cJSON_CreateObject();
    afz_rc rc = AFZ_ENOMEM;
    if (j) {
        cJSON_AddStringToObject(j, "Status", revoked ? "Revoked" : "Valid");
        cJSON_AddStringToObject(j, "Serial", serial);
        cJSON_AddStringToObject(j, "Certificate", afz_buf_cstr(&pem));
        if (revoked)
            cJSON_AddNumberToObject(j, "RevocationReason", (double)revoked->value);
        else
            cJSON_AddNullToObject(j, "RevocationReason");
        rc = afz_json_print(j, &out);
        if (rc == AFZ_OK)
            rc = afz_buf_putc(&out, '\n');
        cJSON_Delete(j);
    }
    reply_buf(req, rc, CT_JSON, &out);
    afz_buf_cleanup(&pem);
    afz_buf_cleanup(&out);
}

static int has_download(const afz_history *h)
{
    for (size_t i = 0; i < h->n_ev; i++)
        if (h->ev[i].kind == AFZ_EV_CERT_DOWNLOADED)
            return 1;
    return 0;
}

static void verdict(afz_serve *s, struct evhttp_request *req, const char *query)
{
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    if (query && evhttp_parse_query_str(query, &q) != 0) {
        reply_text(req, 400, "text/plain", "acmefuzz: unreadable query\n");
        return;
    }
    const char *outcome = evhttp_find_header(&q, "outcome");
    afz_prop_limits lim;
    afz_serve_prop_limits(&lim);
    /* A server runs as long as it runs: the time limit of terminates is
     * for suites, which know when their client started. */
    lim.max_virtual_ms = INT64_MAX / 4;
    afz_prop_input in;
    memset(&in, 0, sizeof(in));
    in.history = &s->history;
    in.plan = s->plan;
    in.plan_class = s->plan ? afz_plan_class(s->plan) : AFZ_CLASS_LEGAL;
    in.attempts = s->plan ? s->plan->attempts : 1;
    /* Without a word from the caller, a client succeeded when it
     * downloaded a certificate. */
    in.client_succeeded = outcome ? strcmp(outcome, "success") == 0 : has_download(&s->history);
    afz_report_options opt = {.allow = NULL, .n_allow = 0, .limits = &lim};
    afz_report r;
    afz_buf out;
    afz_buf_init(&out, 0);
    afz_rc rc = afz_report_evaluate_input(&in, &opt, &r);
    if (rc == AFZ_OK) {
        cJSON *j = afz_serve_verdict_tree(&r);
        rc = AFZ_ENOMEM;
        if (j && cJSON_AddNumberToObject(j, "exchanges", (double)s->history.n_ex) &&
            cJSON_AddNumberToObject(j, "dropped", (double)s->dropped) &&
            cJSON_AddBoolToObject(j, "client_succeeded", in.client_succeeded))
            rc = afz_json_print(j, &out);
        if (rc == AFZ_OK)
            rc = afz_buf_putc(&out, '\n');
        cJSON_Delete(j);
    }
    reply_buf(req, rc, CT_JSON, &out);
    afz_buf_cleanup(&out);
    evhttp_clear_headers(&q);
}

static const char index_text[] =
    "acmefuzz management API\n"
    "GET  /roots/0 /intermediates/0 /root-keys/0 /intermediate-keys/0\n"
    "GET  /cert-status-by-serial/<hex>\n"
    "GET  /history\n"
    "GET  /verdict[?outcome=success|failure]\n"
    "POST /reset\n";

void afz_serve_mgmt_cb(struct evhttp_request *req, void *arg)
{
    afz_serve *s = arg;
    const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
    const char *path = u ? evhttp_uri_get_path(u) : NULL;
    const char *query = u ? evhttp_uri_get_query(u) : NULL;
    enum evhttp_cmd_type m = evhttp_request_get_command(req);
    if (!path || !*path) {
        reply_text(req, 400, "text/plain", "acmefuzz: no path\n");
        return;
    }
    if (strcmp(path, "/reset") == 0) {
        if (m != EVHTTP_REQ_POST) {
            reply_text(req, 405, "text/plain", "acmefuzz: POST /reset\n");
            return;
        }
        afz_rc rc = afz_serve_reset(s, s->plan);
        reply_text(req, rc == AFZ_OK ? 200 : 500, CT_JSON,
                   rc == AFZ_OK ? "{\"reset\":true}\n" : "{\"reset\":false}\n");
        return;
    }
    if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD) {
        reply_text(req, 405, "text/plain", "acmefuzz: the management API is read-only but /reset\n");
        return;
    }
    struct {
        const char *prefix;
        const char *ctype;
        const char *(*pem)(const afz_ca *);
    } const pems[] = {
        {"/roots/", CT_PEM, afz_ca_root_pem},
        {"/intermediates/", CT_PEM, afz_ca_intermediate_pem},
        {"/root-keys/", CT_KEY, afz_ca_root_key_pem},
        {"/intermediate-keys/", CT_KEY, afz_ca_intermediate_key_pem},
    };
    for (size_t i = 0; i < sizeof(pems) / sizeof(pems[0]); i++) {
        int k = indexed(path, pems[i].prefix);
        if (k == 1) {
            reply_text(req, 200, pems[i].ctype, pems[i].pem(s->ca));
            return;
        }
        if (k < 0) {
            reply_text(req, 404, "text/plain",
                       "acmefuzz: one issuing hierarchy only (index 0)\n");
            return;
        }
    }
    static const char status_prefix[] = "/cert-status-by-serial/";
    if (strncmp(path, status_prefix, sizeof(status_prefix) - 1) == 0) {
        cert_status(s, req, path + sizeof(status_prefix) - 1);
        return;
    }
    if (strcmp(path, "/history") == 0) {
        afz_buf out;
        afz_buf_init(&out, 0);
        afz_rc rc = afz_history_to_json(&s->history, &out);
        if (rc == AFZ_OK)
            rc = afz_buf_putc(&out, '\n');
        reply_buf(req, rc, CT_JSON, &out);
        afz_buf_cleanup(&out);
        return;
    }
    if (strcmp(path, "/verdict") == 0) {
        verdict(s, req, query);
        return;
    }
    if (strcmp(path, "/") == 0) {
        reply_text(req, 200, "text/plain", index_text);
        return;
    }
    reply_text(req, 404, "text/plain", "acmefuzz: no such management resource\n");
}
