/* afz_fault_engine.c - see afz_fault_engine.h. */
#include "afz_fault_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "afz_acme.h"
#include "afz_json.h"
#include "afz_scenario.h"

/* ---- CONFIG rules ---- */

static void set_retry_after(unsigned ra, int64_t *seconds, int *as_date)
{
    int is_date;
    int64_t s;
    if (afz_arg_ra(ra, &is_date, &s)) {
        *seconds = s;
        *as_date = is_date;
    } else {
        *seconds = -1;
        *as_date = 0;
    }
}

void afz_fault_configure(const afz_plan *p, afz_server_config *c)
{
    for (size_t i = 0; i < p->n_rules; i++) {
        const afz_rule *r = &p->rules[i];
        const unsigned *a = r->args;
        switch (r->fault) {
        case AFZ_FAULT_ASYNC_FINALIZE:
            c->async_finalize = 1;
            c->finalize_polls = a[0];
            c->finalize_delay_ms = afz_arg_seconds(a[1]) * 1000;
            set_retry_after(a[2], &c->order_retry_after_s, &c->order_retry_after_date);
            break;
        case AFZ_FAULT_PROCESSING_FOREVER:
            c->async_finalize = 1;
            c->finalize_polls = UINT32_MAX;
            set_retry_after(a[0], &c->order_retry_after_s, &c->order_retry_after_date);
            break;
        case AFZ_FAULT_SYNC_FINALIZE:
            c->async_finalize = 0;
            break;
        case AFZ_FAULT_AUTHZ_PENDING:
            c->authz_pending_polls = a[0];
            c->validation_delay_ms = afz_arg_seconds(a[1]) * 1000;
            set_retry_after(a[2], &c->authz_retry_after_s, &c->authz_retry_after_date);
            break;
        case AFZ_FAULT_AUTHZ_PENDING_FOREVER:
            c->authz_pending_polls = UINT32_MAX;
            set_retry_after(a[0], &c->authz_retry_after_s, &c->authz_retry_after_date);
            break;
        case AFZ_FAULT_AUTHZ_REUSE:
            c->authz_prevalidated = 1;
            break;
        case AFZ_FAULT_ORDER_READY:
            c->order_ready_at_creation = 1;
            break;
        case AFZ_FAULT_ALTERNATE_CHAINS:
            c->alternate_chains = a[0];
            break;
        case AFZ_FAULT_ORDER_REUSE:
            c->order_reuse = 1;
            break;
        case AFZ_FAULT_ORDER_INVALID:
            c->finalize_fails = 1;
            break;
        case AFZ_FAULT_AUTHZ_INVALID:
            c->validation_fails = 1;
            break;
        case AFZ_FAULT_CERT_EARLY:
            /* the URL shows on a "processing" order: finalize must be
             * asynchronous (its polls, delay and Retry-After are kept) */
            c->async_finalize = 1;
            c->cert_url_early = 1;
            break;
        case AFZ_FAULT_ORDER_EXPIRES: {
            int64_t s = afz_arg_seconds(a[0]);
            c->order_lifetime_s = s > 0 ? s : 1;
            break;
        }
        default:
            break;
        }
    }
}

/* ---- matching ---- */

/* The occurrence number of the current request for rule |i|: its count
 * among the rule's kind (or all requests), from the start or, for an
 * anchored rule, from its anchor on (0 before the anchor). */
static size_t rule_occurrence(const afz_fault_engine *e, size_t i)
{
    const afz_rule *r = &e->plan->rules[i];
    size_t n = r->kind == AFZ_RES_UNKNOWN ? e->cur_any : e->cur_n;
    if (r->after == AFZ_RES_UNKNOWN)
        return n;
    return e->anchored[i] && n > e->anchor_base[i] ? n - e->anchor_base[i] : 0;
}

static int rule_matches(const afz_fault_engine *e, size_t i)
{
    const afz_rule *r = &e->plan->rules[i];
    if (r->kind != AFZ_RES_UNKNOWN && r->kind != e->cur_kind)
        return 0;
    size_t n = rule_occurrence(e, i);
    if (n == 0)
        return 0;
    switch (r->occ) {
    case AFZ_OCC_EVERY:
        return 1;
    case AFZ_OCC_NTH:
        return n == r->k;
    case AFZ_OCC_FROM:
        return n >= r->k;
    }
    return 0;
}

static void record(afz_fault_engine *e, afz_event_kind kind, size_t rule_index, const char *what)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    afz_buf_printf(&b, "rule %zu: ", rule_index + 1);
    afz_rule_format(&e->plan->rules[rule_index], &b);
    if (what)
        afz_buf_printf(&b, " (%s)", what);
    afz_event_in event = {.kind = kind,
                          .mono_ms = afz_clock_mono_ms(e->clock),
                          .detail = afz_buf_cstr(&b),
                          .value = (int64_t)rule_index + 1};
    afz_history_add_event(e->history, &event);
    afz_buf_cleanup(&b);
}

/* ---- BEFORE faults: answer in the model's place ---- */

static void problem(afz_response *resp, int status, const char *type, const char *detail)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    afz_rc rc = afz_problem_body(&b, status, type, detail, strlen(detail), NULL);
    resp->status = status;
    afz_headers_set(&resp->headers, "Content-Type", "application/problem+json");
    afz_response_set_body(resp, rc == AFZ_OK ? b.data : NULL, rc == AFZ_OK ? b.len : 0);
    afz_buf_cleanup(&b);
}

static void add_retry_after(afz_fault_engine *e, afz_response *resp, unsigned ra)
{
    int is_date;
    int64_t s;
    if (!afz_arg_ra(ra, &is_date, &s))
        return;
    char v[AFZ_HTTPDATE_LEN];
    if (is_date) {
        /* Round up so the date is never earlier than now + s. */
        int64_t wall = afz_clock_wall_ms(e->clock);
        afz_httpdate_format((wall + 999) / 1000 + s, v);
    } else {
        snprintf(v, sizeof(v), "%lld", (long long)s);
    }
    afz_headers_set(&resp->headers, "Retry-After", v);
}

static void add_nonce(afz_fault_engine *e, afz_response *resp)
{
    afz_buf n;
    afz_buf_init(&n, 256);
    if (afz_server_fresh_nonce(e->server, &n) == AFZ_OK)
        afz_headers_set(&resp->headers, "Replay-Nonce", afz_buf_cstr(&n));
    afz_buf_cleanup(&n);
}

static int answer_before(afz_fault_engine *e, const afz_rule *r, const afz_request *req,
                         afz_response *resp)
{
    int post = strcmp(req->method, "POST") == 0;
    switch (r->fault) {
    case AFZ_FAULT_BAD_NONCE:
    case AFZ_FAULT_BAD_NONCE_BARE:
        if (!post)
            return 0; /* only a POST carries a nonce */
        problem(resp, 400, "badNonce", "JWS has an invalid anti-replay nonce");
        if (r->fault == AFZ_FAULT_BAD_NONCE)
            add_nonce(e, resp);
        return 1;
    case AFZ_FAULT_RATE_LIMITED:
    case AFZ_FAULT_RATE_LIMITED_BARE:
        problem(resp, 429, "rateLimited", "too many requests for this resource; retry later");
        if (r->fault == AFZ_FAULT_RATE_LIMITED)
            add_retry_after(e, resp, r->args[0]);
        break;
    case AFZ_FAULT_UNAVAILABLE:
        problem(resp, 503, "serverInternal", "the service is briefly unavailable");
        add_retry_after(e, resp, r->args[0]);
        break;
    case AFZ_FAULT_SERVER_INTERNAL:
        problem(resp, 500, "serverInternal", "the server experienced an internal error");
        break;
    case AFZ_FAULT_ORDER_NOT_READY:
        problem(resp, 403, "orderNotReady",
                "Order's status (\"ready\") is not acceptable for finalization");
        break;
    case AFZ_FAULT_USER_ACTION_REQUIRED: {
        problem(resp, 403, "userActionRequired", "the terms of service have changed");
        afz_buf link;
        afz_buf_init(&link, 0);
        afz_buf_printf(&link, "<%s/terms/v2>;rel=\"terms-of-service\"",
                       afz_server_base_url(e->server));
        afz_headers_add(&resp->headers, "Link", afz_buf_cstr(&link));
        afz_buf_cleanup(&link);
        break;
    }
    case AFZ_FAULT_UNKNOWN_ERROR:
        problem(resp, 400, "futureError", "a problem type from a later specification");
        break;
    case AFZ_FAULT_HTML_ERROR: {
        static const char html[] = "<html><body><h1>502 Bad Gateway</h1></body></html>\n";
        resp->status = 502;
        afz_headers_set(&resp->headers, "Content-Type", "text/html");
        afz_response_set_body(resp, html, sizeof(html) - 1);
        return 1; /* a proxy sends no nonce */
    }
    default:
        return 0;
    }
    if (post)
        add_nonce(e, resp);
    return 1;
}

static int request_hook(void *ctx, afz_resource kind, const afz_request *req, afz_response *resp)
{
    afz_fault_engine *e = ctx;
    size_t k = (int)kind >= 0 && kind < AFZ_RES__COUNT ? kind : AFZ_RES_UNKNOWN;
    e->cur_kind = (afz_resource)k;
    e->cur_n = ++e->seen[k];
    e->cur_any = ++e->seen_any;
    e->cur_answered = 0;
    for (size_t i = 0; i < e->plan->n_rules; i++) {
        const afz_rule *r = &e->plan->rules[i];
        const afz_fault_def *d = afz_fault_get(r->fault);
        if (d->mech != AFZ_MECH_BEFORE || !rule_matches(e, i))
            continue;
        if (answer_before(e, r, req, resp)) {
            /* The CA refused a request it read: the nonce is spent, as a
             * real server spends it before it rate-limits or fails (a
             * replay of the same bytes earns badNonce). A proxy's 502 page
             * never reached the CA: its nonce stays live. */
            if (r->fault != AFZ_FAULT_HTML_ERROR)
                afz_server_spend_nonce(e->server, req);
            record(e, AFZ_EV_FAULT, i, NULL);
            e->cur_answered = 1;
            return 1;
        }
    }
    return 0;
}

/* ---- AFTER faults: edit what the model built ---- */

static const char *const nested_arrays[] = {"challenges", "identifiers"};

/* Finds |field| in |obj|, else in objects inside its known arrays. Calls
 * |fn| on each container holding it; returns how many. */
static int for_field(cJSON *obj, const char *field, void (*fn)(cJSON *, const char *, unsigned),
                     unsigned arg)
{
    if (cJSON_HasObjectItem(obj, field)) {
        fn(obj, field, arg);
        return 1;
    }
    int n = 0;
    for (size_t i = 0; i < sizeof(nested_arrays) / sizeof(nested_arrays[0]); i++) {
        cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, nested_arrays[i]);
        cJSON *it;
        cJSON_ArrayForEach(it, arr)
        {
            if (cJSON_IsObject(it) && cJSON_HasObjectItem(it, field)) {
                fn(it, field, arg);
                n++;
            }
        }
    }
    return n;
}

static void drop_fn(cJSON *o, const char *field, unsigned arg)
{
    (void)arg;
    cJSON_DeleteItemFromObjectCaseSensitive(o, field);
}

static cJSON *make_jtype(unsigned t)
{
    switch ((afz_jtype)t) {
    case AFZ_JTYPE_NULL:
        return cJSON_CreateNull();
    case AFZ_JTYPE_NUMBER:
        return cJSON_CreateNumber(1e308);
    case AFZ_JTYPE_BOOL:
        return cJSON_CreateTrue();
    case AFZ_JTYPE_OBJECT:
        return cJSON_CreateObject();
    case AFZ_JTYPE_ARRAY:
        return cJSON_CreateArray();
    case AFZ_JTYPE_STRING:
        return cJSON_CreateString("https://acme.invalid/");
    case AFZ_JTYPE_HUGE_STRING: {
        char *s = malloc(65537);
        if (!s)
            return NULL;
        memset(s, 'A', 65536);
        s[65536] = '\0';
        cJSON *j = cJSON_CreateString(s);
        free(s);
        return j;
    }
    case AFZ_JTYPE__COUNT:
        break;
    }
    return cJSON_CreateNull();
}

static void retype_fn(cJSON *o, const char *field, unsigned jtype)
{
    cJSON *v = make_jtype(jtype);
    if (v)
        cJSON_ReplaceItemInObjectCaseSensitive(o, field, v);
}

static void set_body_json(afz_response *resp, const cJSON *j)
{
    size_t n = 0;
    char *s = afz_json_print_alloc(j, &n);
    if (s) {
        afz_response_set_body(resp, s, n);
        cJSON_free(s);
    }
}

/* Edits of the JSON object body; returns 1 when something changed. */
static int edit_json(afz_fault_engine *e, size_t ri, const afz_rule *r, afz_response *resp)
{
    cJSON *j = NULL;
    if (afz_json_parse_object(resp->body, resp->body_len, &j) != AFZ_OK)
        return 0;
    int changed = 0;
    const char *status = afz_json_str(j, "status");
    switch (r->fault) {
    case AFZ_FAULT_UNKNOWN_FIELDS: {
        cJSON *x = cJSON_AddObjectToObject(j, "x-acmefuzz-extension");
        if (x) {
            cJSON_AddStringToObject(x, "note", "servers may add fields; clients ignore them");
            cJSON_AddItemToObject(x, "list", cJSON_CreateIntArray((const int[]){1, 2, 3}, 3));
        }
        cJSON_AddStringToObject(j, "unknownField", "value");
        changed = 1;
        break;
    }
    case AFZ_FAULT_UNKNOWN_CHALLENGE: {
        cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "challenges");
        if (!cJSON_IsArray(arr))
            break;
        cJSON *c = cJSON_CreateObject();
        afz_buf url;
        afz_buf_init(&url, 0);
        afz_buf_printf(&url, "%s/chall/unknown-type", afz_server_base_url(e->server));
        cJSON_AddStringToObject(c, "type", "fuzz-01");
        cJSON_AddStringToObject(c, "url", afz_buf_cstr(&url));
        cJSON_AddStringToObject(c, "status", "pending");
        cJSON_AddStringToObject(c, "token", "dW5rbm93bi1jaGFsbGVuZ2UtdHlwZS10b2tlbg");
        afz_buf_cleanup(&url);
        cJSON_InsertItemInArray(arr, 0, c);
        changed = 1;
        break;
    }
    case AFZ_FAULT_DIRECTORY_EXTRAS: {
        afz_buf url;
        afz_buf_init(&url, 0);
        afz_buf_printf(&url, "%s/x-future-resource", afz_server_base_url(e->server));
        cJSON_AddStringToObject(j, "xFutureResource", afz_buf_cstr(&url));
        afz_buf_cleanup(&url);
        cJSON_AddStringToObject(
            j, "Kx1pcSjq5GE",
            "https://community.letsencrypt.org/t/adding-random-entries-to-the-directory/33417");
        cJSON *meta = cJSON_GetObjectItemCaseSensitive(j, "meta");
        if (!cJSON_IsObject(meta))
            meta = cJSON_AddObjectToObject(j, "meta");
        if (meta) {
            cJSON *prof = cJSON_AddObjectToObject(meta, "profiles");
            if (prof)
                cJSON_AddStringToObject(prof, "classic", "the default profile");
        }
        changed = 1;
        break;
    }
    case AFZ_FAULT_STALE_STATUS:
        /* Only after finalize was accepted, as a lagging replica would show. */
        if (status && (strcmp(status, "processing") == 0 || strcmp(status, "valid") == 0)) {
            cJSON_ReplaceItemInObjectCaseSensitive(j, "status",
                                                   cJSON_CreateString(afz_arg_stale(r->args[0])));
            cJSON_DeleteItemFromObjectCaseSensitive(j, "certificate");
            changed = 1;
        }
        break;
    case AFZ_FAULT_SHUFFLE: {
        static const char *const arrays[] = {"identifiers", "authorizations", "challenges"};
        for (size_t i = 0; i < 3; i++) {
            cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, arrays[i]);
            int n = cJSON_GetArraySize(arr);
            if (!cJSON_IsArray(arr) || n < 2)
                continue;
            for (int k = n - 2; k >= 0; k--) {
                cJSON *it = cJSON_DetachItemFromArray(arr, k);
                cJSON_AddItemToArray(arr, it);
            }
            changed = 1;
        }
        break;
    }
    case AFZ_FAULT_VALID_NO_CERT:
        if (status && strcmp(status, "valid") == 0 && cJSON_HasObjectItem(j, "certificate")) {
            cJSON_DeleteItemFromObjectCaseSensitive(j, "certificate");
            changed = 1;
        }
        break;
    case AFZ_FAULT_CERT_LATE:
        if (status && strcmp(status, "valid") == 0 && e->valid_seen[ri]++ < r->args[0] &&
            cJSON_HasObjectItem(j, "certificate")) {
            cJSON_DeleteItemFromObjectCaseSensitive(j, "certificate");
            changed = 1;
        }
        break;
    case AFZ_FAULT_DROP_FIELD:
        changed = for_field(j, afz_arg_field(r->args[0]), drop_fn, 0) > 0;
        break;
    case AFZ_FAULT_WRONG_TYPE:
        changed = for_field(j, afz_arg_field(r->args[0]), retype_fn, r->args[1]) > 0;
        break;
    case AFZ_FAULT_BOGUS_STATUS:
        if (status) {
            cJSON_ReplaceItemInObjectCaseSensitive(j, "status",
                                                   cJSON_CreateString(afz_arg_status(r->args[0])));
            changed = 1;
        }
        break;
    default:
        break;
    }
    if (changed)
        set_body_json(resp, j);
    cJSON_Delete(j);
    return changed;
}

/* Splits a PEM body into its blocks, reversed. */
static int reverse_chain(afz_response *resp)
{
    static const char begin[] = "-----BEGIN ";
    const char *body = (const char *)resp->body;
    if (!body)
        return 0;
    const char *starts[16];
    size_t n = 0;
    for (const char *p = strstr(body, begin); p && n < 16; p = strstr(p + 1, begin))
        starts[n++] = p;
    if (n < 2)
        return 0;
    afz_buf b;
    afz_buf_init(&b, 0);
    const char *end = body + resp->body_len;
    for (size_t i = n; i-- > 0;) {
        const char *stop = i + 1 < n ? starts[i + 1] : end;
        afz_buf_append(&b, starts[i], (size_t)(stop - starts[i]));
    }
    afz_response_set_body(resp, b.data, b.len);
    afz_buf_cleanup(&b);
    return 1;
}

static int break_pem(const afz_rule *r, afz_response *resp)
{
    static const char junk[] = "this is not a certificate chain\n";
    static const char key[] = "-----BEGIN PRIVATE KEY-----\n"
                              "MC4CAQAwBQYDK2VwBCIEIBbSGDbNn8pJUGQuCRpKVzwzQKBvTIONsrOMzHVN4T+f\n"
                              "-----END PRIVATE KEY-----\n";
    static const char empty[] = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
    static const char bad64[] = "-----BEGIN CERTIFICATE-----\n!!!!not*base64!!!!\n"
                                "-----END CERTIFICATE-----\n";
    switch ((afz_pem_fault)r->args[0]) {
    case AFZ_PEM_JUNK:
        afz_response_set_body(resp, junk, sizeof(junk) - 1);
        return 1;
    case AFZ_PEM_PRIVATE_KEY: {
        afz_buf b;
        afz_buf_init(&b, 0);
        afz_buf_append(&b, resp->body, resp->body_len);
        afz_buf_append(&b, key, sizeof(key) - 1);
        afz_response_set_body(resp, b.data, b.len);
        afz_buf_cleanup(&b);
        return 1;
    }
    case AFZ_PEM_DER: {
        BIO *bio = BIO_new_mem_buf(resp->body, (int)resp->body_len);
        X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        unsigned char *der = NULL;
        int n = x ? i2d_X509(x, &der) : -1;
        if (n > 0)
            afz_response_set_body(resp, der, (size_t)n);
        OPENSSL_free(der);
        X509_free(x);
        BIO_free(bio);
        return n > 0;
    }
    case AFZ_PEM_EMPTY_CHAIN:
        afz_response_set_body(resp, empty, sizeof(empty) - 1);
        return 1;
    case AFZ_PEM_TRUNCATED:
        if (resp->body_len < 2)
            return 0;
        afz_response_set_body(resp, resp->body, resp->body_len * 6 / 10);
        return 1;
    case AFZ_PEM_BAD_BASE64:
        afz_response_set_body(resp, bad64, sizeof(bad64) - 1);
        return 1;
    case AFZ_PEM__COUNT:
        break;
    }
    return 0;
}

static int edit_after(afz_fault_engine *e, size_t ri, const afz_rule *r, afz_response *resp)
{
    switch (r->fault) {
    case AFZ_FAULT_RETRY_AFTER:
        if (!afz_arg_ra(r->args[0], &(int){0}, &(int64_t){0}))
            return 0;
        add_retry_after(e, resp, r->args[0]);
        return 1;
    case AFZ_FAULT_RETRY_AFTER_BAD:
        afz_headers_set(&resp->headers, "Retry-After", afz_arg_ra_bad(r->args[0]));
        return 1;
    case AFZ_FAULT_RETRY_AFTER_TWICE:
        afz_headers_set(&resp->headers, "Retry-After", "1");
        afz_headers_add(&resp->headers, "Retry-After", "30");
        return 1;
    case AFZ_FAULT_DROP_CONNECTION:
        resp->status = 0;
        return 1;
    case AFZ_FAULT_TIMEOUT:
        afz_clock_advance(e->clock, afz_arg_seconds(r->args[0]) * 1000);
        resp->status = 0;
        resp->stall_ms = afz_arg_seconds(r->args[0]) * 1000;
        return 1;
    case AFZ_FAULT_TRUNCATE_BODY:
        if (resp->body_len == 0)
            return 0;
        afz_response_set_body(resp, resp->body, resp->body_len * r->args[0] / 100);
        return 1;
    case AFZ_FAULT_INVALID_JSON: {
        const char *junk = afz_arg_junk(r->args[0]);
        afz_response_set_body(resp, junk, strlen(junk));
        return 1;
    }
    case AFZ_FAULT_EMPTY_BODY:
        if (resp->body_len == 0)
            return 0;
        afz_response_set_body(resp, NULL, 0);
        return 1;
    case AFZ_FAULT_CONTENT_TYPE: {
        const char *ct = afz_arg_ctype(r->args[0]);
        if (ct)
            afz_headers_set(&resp->headers, "Content-Type", ct);
        else
            afz_headers_remove(&resp->headers, "Content-Type");
        return 1;
    }
    case AFZ_FAULT_NO_REPLAY_NONCE:
        if (!afz_headers_get(&resp->headers, "Replay-Nonce"))
            return 0;
        afz_headers_remove(&resp->headers, "Replay-Nonce");
        return 1;
    case AFZ_FAULT_SPARE_NONCE:
        /* RFC 8555 6.5.1 defines the header for any response; a client may
         * keep the nonce for a later request. */
        if (afz_headers_get(&resp->headers, "Replay-Nonce"))
            return 0;
        add_nonce(e, resp);
        return afz_headers_get(&resp->headers, "Replay-Nonce") != NULL;
    case AFZ_FAULT_BAD_REPLAY_NONCE:
        afz_headers_set(&resp->headers, "Replay-Nonce", "not+base64/url=");
        return 1;
    case AFZ_FAULT_INVALID_PEM:
        return resp->status == 200 && break_pem(r, resp);
    case AFZ_FAULT_CHAIN_REVERSED:
        return resp->status == 200 && reverse_chain(resp);
    case AFZ_FAULT_NO_LOCATION:
        if (!afz_headers_get(&resp->headers, "Location"))
            return 0;
        afz_headers_remove(&resp->headers, "Location");
        return 1;
    default:
        return edit_json(e, ri, r, resp);
    }
}

/* Anchors: once the client sees a 2xx answer to a request of a rule's
 * "after" kind, the rule counts its occurrences from there. The count at
 * that moment is the base (a request of the rule's own kind that is the
 * anchor is not counted after it). */
static void note_anchors(afz_fault_engine *e, const afz_response *resp)
{
    if (resp->status < 200 || resp->status > 299)
        return;
    for (size_t i = 0; i < e->plan->n_rules; i++) {
        const afz_rule *r = &e->plan->rules[i];
        if (r->after == AFZ_RES_UNKNOWN || e->anchored[i] || r->after != e->cur_kind)
            continue;
        e->anchored[i] = 1;
        e->anchor_base[i] = r->kind == AFZ_RES_UNKNOWN ? e->cur_any : e->seen[r->kind];
    }
}

static void response_hook(void *ctx, afz_resource kind, size_t occurrence, const afz_request *req,
                          afz_response *resp)
{
    afz_fault_engine *e = ctx;
    (void)kind;
    (void)occurrence;
    (void)req;
    if (e->cur_answered)
        return;
    for (size_t i = 0; i < e->plan->n_rules && resp->status != 0; i++) {
        const afz_rule *r = &e->plan->rules[i];
        const afz_fault_def *d = afz_fault_get(r->fault);
        if (d->mech != AFZ_MECH_AFTER || !rule_matches(e, i))
            continue;
        if (edit_after(e, i, r, resp))
            record(e, AFZ_EV_FAULT, i, NULL);
    }
    note_anchors(e, resp);
}

void afz_fault_engine_init(afz_fault_engine *e, const afz_plan *plan, afz_server *server,
                           afz_clock *clock, afz_history *history)
{
    memset(e, 0, sizeof(*e));
    e->plan = plan;
    e->server = server;
    e->clock = clock;
    e->history = history;
    for (size_t i = 0; i < plan->n_rules; i++)
        if (afz_fault_get(plan->rules[i].fault)->mech == AFZ_MECH_CONFIG)
            record(e, AFZ_EV_FAULT_CONFIG, i, NULL);
    afz_server_set_request_hook(server, request_hook, e);
    afz_server_set_hook(server, response_hook, e);
}
