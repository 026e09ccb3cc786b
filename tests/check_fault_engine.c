/* check_fault_engine.c - the fault engine: every fault of the catalog run
 * against the reference client through afz_run (the client must end as
 * the plan's class requires), and each mechanism checked for doing what
 * the catalog says, mostly by driving the server model directly. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "afz_b64.h"
#include "afz_clients.h"
#include "afz_csr.h"
#include "afz_fault_engine.h"
#include "afz_json.h"
#include "afz_plan.h"
#include "afz_run.h"
#include "afz_scenario.h"
#include "afz_property.h"
#include "afz_report.h"
#include "afz_trace.h"

/* ---- fixture: one world per process ---- */

static afz_world world;

static void world_setup(void)
{
    ck_assert_int_eq(afz_world_init(&world), AFZ_OK);
}

static void world_teardown(void)
{
    afz_world_cleanup(&world);
}

/* ---- helpers over plans and histories ---- */

static afz_plan plan_of(const char *text)
{
    afz_plan p;
    afz_scn_error err;
    afz_rc rc = afz_scenario_parse(text, strlen(text), &p, &err);
    ck_assert_msg(rc == AFZ_OK, "scenario %s: %u:%u %s", text, err.line, err.col, err.msg);
    return p;
}

static void run_plan(const afz_plan *p, afz_run_result *r)
{
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    afz_run_config_apply_plan(&cfg, p);
    afz_run_result_init(r);
    ck_assert_int_eq(afz_run(&world, &afz_client_reference, &cfg, r), AFZ_OK);
}

static size_t count_events(const afz_history *h, afz_event_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n_ev; i++)
        n += h->ev[i].kind == k;
    return n;
}

static const afz_event *event_at(const afz_history *h, afz_event_kind k, size_t exchange)
{
    for (size_t i = 0; i < h->n_ev; i++)
        if (h->ev[i].kind == k && h->ev[i].exchange == exchange)
            return &h->ev[i];
    return NULL;
}

/* The n-th (1-based) exchange of |kind|, or NULL. */
static const afz_exchange *nth_exchange(const afz_history *h, afz_resource kind, size_t n)
{
    for (size_t i = 0; i < h->n_ex; i++)
        if (h->ex[i].resource == kind && --n == 0)
            return &h->ex[i];
    return NULL;
}

static cJSON *body_json(const afz_response *r)
{
    cJSON *j = NULL;
    if (afz_json_parse_object(r->body, r->body_len, &j) != AFZ_OK)
        return NULL;
    return j;
}

static int body_has(const afz_response *r, const char *member)
{
    cJSON *j = body_json(r);
    int has = j && cJSON_HasObjectItem(j, member);
    cJSON_Delete(j);
    return has;
}

/* 1 when |pem| holds a leaf certificate naming every one of |names|. */
static int leaf_names_all(const char *pem, size_t len, const char *const *names, size_t n)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509 *leaf = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    int ok = leaf != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = X509_check_host(leaf, names[i], strlen(names[i]), X509_CHECK_FLAG_NO_WILDCARDS,
                             NULL) == 1;
    X509_free(leaf);
    BIO_free(bio);
    return ok;
}

/* ---- the sweep: every fault against the reference client ---- */

/* The kinds an "any" fault is tried on (AFZ_RES_UNKNOWN: any). */
static const afz_resource sweep_kinds[] = {
    AFZ_RES_ORDER,     AFZ_RES_FINALIZE, AFZ_RES_NEW_ORDER, AFZ_RES_AUTHZ,     AFZ_RES_CERT,
    AFZ_RES_DIRECTORY, AFZ_RES_NONCE,    AFZ_RES_ACCOUNT,   AFZ_RES_CHALLENGE, AFZ_RES_UNKNOWN,
};

/* Occurrences: @1, @2, * */
static const struct {
    afz_occ_mode occ;
    unsigned k;
} sweep_occs[] = {{AFZ_OCC_NTH, 1}, {AFZ_OCC_NTH, 2}, {AFZ_OCC_EVERY, 0}};

/* Argument values tried for a type: every value for the enumerated types,
 * a few representatives for the numeric ones. Returns how many. */
static size_t sweep_values(afz_arg_type t, unsigned out[128])
{
    static const unsigned counts[] = {0, 1, 2, 3, 15};
    static const unsigned percents[] = {0, 1, 50, 99};
    size_t n = 0;
    switch (t) {
    case AFZ_ARG_COUNT:
        for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
            out[n++] = counts[i];
        return n;
    case AFZ_ARG_PERCENT:
        for (size_t i = 0; i < sizeof(percents) / sizeof(percents[0]); i++)
            out[n++] = percents[i];
        return n;
    default:
        for (unsigned v = 0; v < afz_arg_domain(t); v++)
            out[n++] = v;
        return n;
    }
}

/* The representative value of an argument when another one varies. */
static unsigned sweep_base(afz_arg_type t)
{
    switch (t) {
    case AFZ_ARG_COUNT:
        return 2;
    case AFZ_ARG_SECONDS:
        return 2; /* 2s */
    case AFZ_ARG_RA:
        return 4; /* 3 s, Boulder's orderRetryAfter */
    case AFZ_ARG_PERCENT:
        return 50;
    default:
        return 0;
    }
}

typedef struct sweep {
    afz_plan done[2048];
    size_t n_done;
    size_t runs, fired, failures;
    afz_buf report;
    afz_run_result r;
} sweep;

/* 1 when an equal plan ran already (canonical forms collapse: a CONFIG
 * fault at @1 is the same plan as at *). */
static int sweep_seen(sweep *s, const afz_plan *p)
{
    for (size_t i = 0; i < s->n_done; i++)
        if (afz_plan_equal(&s->done[i], p))
            return 1;
    if (s->n_done < sizeof(s->done) / sizeof(s->done[0]))
        s->done[s->n_done++] = *p;
    return 0;
}

static void sweep_fail(sweep *s, const afz_plan *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void sweep_fail(sweep *s, const afz_plan *p, const char *fmt, ...)
{
    afz_buf text;
    afz_buf_init(&text, 0);
    for (size_t i = 0; i < p->n_rules; i++) {
        if (i)
            afz_buf_puts(&text, " + ");
        afz_rule_format(&p->rules[i], &text);
    }
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    s->failures++;
    afz_buf_printf(&s->report, "  [%s, identifiers %u] %s: %s\n",
                   afz_fault_class_name(afz_plan_class(p)), p->n_identifiers, afz_buf_cstr(&text),
                   what);
    afz_buf_cleanup(&text);
}

/* Runs the plan of |rule| (and, when |async|, a companion rule that makes
 * finalize asynchronous, so that faults on order objects meet the order
 * in "processing" and "valid") and checks the outcome against its class. */
static void sweep_one(sweep *s, const afz_rule *rule, int async)
{
    afz_plan p;
    afz_plan_init(&p);
    p.rules[p.n_rules++] = *rule;
    ck_assert_int_eq(afz_rule_canonicalize(&p.rules[0]), 0);
    if (async) {
        afz_rule *c = &p.rules[p.n_rules++];
        memset(c, 0, sizeof(*c));
        c->kind = AFZ_RES_FINALIZE;
        c->fault = AFZ_FAULT_ASYNC_FINALIZE;
        c->args[0] = 1; /* polls=1 */
        c->args[2] = 2; /* retry_after=1 */
        ck_assert_int_eq(afz_rule_canonicalize(c), 0);
    }
    /* One or two identifiers, fixed per plan: two make arrays worth
     * shuffling and a second authorization for @2. */
    p.n_identifiers = 1 + (unsigned)(afz_plan_seed(&p) & 1);
    if (sweep_seen(s, &p))
        return;
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    afz_run_config_apply_plan(&cfg, &p);
    ck_assert_int_eq(afz_run(&world, &afz_client_reference, &cfg, &s->r), AFZ_OK);
    s->runs++;
    const afz_run_result *o = &s->r;
    for (size_t i = 0; i < o->history.n_ev; i++) {
        const afz_event *ev = &o->history.ev[i];
        if ((ev->kind == AFZ_EV_FAULT || ev->kind == AFZ_EV_FAULT_CONFIG) && ev->value == 1) {
            s->fired++;
            break;
        }
    }
    afz_fault_class cls = afz_plan_class(&p);
    int cert =
        o->client_rc == AFZ_OK && o->cert_pem &&
        leaf_names_all(o->cert_pem, o->cert_pem_len, afz_plan_identifiers(), p.n_identifiers);
    if (o->aborted)
        sweep_fail(s, &p, "aborted after %zu requests", o->n_requests);
    else if (o->budget_exhausted)
        sweep_fail(s, &p, "budget exhausted (%zu requests, %lld ms): %s", o->n_requests,
                   (long long)o->virtual_ms, o->reason);
    else if (o->client_rc == AFZ_OK && !cert)
        sweep_fail(s, &p, "success without a certificate for the identifiers");
    else if (cls == AFZ_CLASS_LEGAL && !cert)
        sweep_fail(s, &p, "legal plan failed: %s (%s)", o->reason, afz_rc_str(o->client_rc));
    else if (!cert && o->reason[0] == '\0')
        sweep_fail(s, &p, "failed without a reason");
}

START_TEST(test_fault_engine_every_fault_with_reference)
{
    const afz_fault_def *d = afz_fault_get((afz_fault_id)_i);
    ck_assert_ptr_nonnull(d);
    sweep *s = calloc(1, sizeof(*s));
    ck_assert_ptr_nonnull(s);
    afz_buf_init(&s->report, 0);
    afz_run_result_init(&s->r);

    /* Faults on order objects are also run with asynchronous finalize: a
     * synchronous one hands the certificate URL over in the finalize
     * response, and the order is never seen "processing" or "valid". */
    int both = d->resource == AFZ_RES_ORDER;
    size_t n_kinds =
        d->resource == AFZ_RES_UNKNOWN ? sizeof(sweep_kinds) / sizeof(sweep_kinds[0]) : 1;
    for (int async = 0; async <= both; async++) {
        for (size_t ki = 0; ki < n_kinds; ki++) {
            for (size_t oi = 0; oi < sizeof(sweep_occs) / sizeof(sweep_occs[0]); oi++) {
                afz_rule r;
                memset(&r, 0, sizeof(r));
                r.kind = d->resource == AFZ_RES_UNKNOWN ? sweep_kinds[ki] : d->resource;
                r.occ = sweep_occs[oi].occ;
                r.k = sweep_occs[oi].k;
                r.fault = d->id;
                for (size_t a = 0; a < d->n_args; a++)
                    r.args[a] = sweep_base(d->args[a].type);
                sweep_one(s, &r, async);
                /* Each argument over its values, the others representative
                 * (at @1 and *; @2 keeps the representative values). */
                if (sweep_occs[oi].k == 2)
                    continue;
                for (size_t a = 0; a < d->n_args; a++) {
                    unsigned vals[128];
                    size_t nv = sweep_values(d->args[a].type, vals);
                    for (size_t v = 0; v < nv; v++) {
                        afz_rule x = r;
                        x.args[a] = vals[v];
                        sweep_one(s, &x, async);
                    }
                }
            }
        }
    }
    if (s->failures)
        fprintf(stderr, "%s: %zu of %zu runs broke their class:\n%s", d->name, s->failures, s->runs,
                afz_buf_cstr(&s->report));
    size_t failures = s->failures, runs = s->runs, fired = s->fired;
    char first[600];
    snprintf(first, sizeof(first), "%s", afz_buf_cstr(&s->report));
    afz_run_result_cleanup(&s->r);
    afz_buf_cleanup(&s->report);
    free(s);
    ck_assert_msg(failures == 0, "%s: %zu of %zu runs broke their class; first:\n%s", d->name,
                  failures, runs, first);
    ck_assert_uint_gt(runs, 0);
    /* the fault was injected at least once: no fault is inert against a
     * real client */
    ck_assert_msg(fired > 0, "%s never fired in %zu runs", d->name, runs);
}
END_TEST

/* ---- a scripted client that drives the server model directly ----
 *
 * The engine is bound to a server as afz_run binds it; the test sends
 * exactly the requests it wants and sees each response as the engine left
 * it. Fault events land in t->hist. */

#define BASE "https://acme.invalid"

typedef struct fe {
    afz_clock clock;
    afz_prng prng;
    afz_history hist;
    afz_server_config cfg;
    afz_plan plan;
    afz_server *s;
    afz_fault_engine eng;
    char nonce[128];
    char *kid;
} fe;

static const char *U(const char *path)
{
    static char ring[8][256];
    static size_t next;
    char *p = ring[next++ % 8];
    snprintf(p, 256, "%s%s", BASE, path);
    return p;
}

static void fe_start(fe *t, const char *scn)
{
    memset(t, 0, sizeof(*t));
    afz_clock_init(&t->clock, AFZ_CLOCK_DEFAULT_EPOCH_MS);
    afz_prng_seed(&t->prng, 7);
    afz_history_init(&t->hist);
    t->plan = plan_of(scn);
    afz_server_config_default(&t->cfg);
    t->cfg.base_url = BASE;
    afz_fault_configure(&t->plan, &t->cfg);
    t->s = afz_server_new(&t->cfg, world.ca, &t->clock, &t->prng, &t->hist);
    ck_assert_ptr_nonnull(t->s);
    afz_fault_engine_init(&t->eng, &t->plan, t->s, &t->clock, &t->hist);
}

static void fe_free(fe *t)
{
    afz_server_free(t->s);
    afz_history_cleanup(&t->hist);
    free(t->kid);
}

static void fe_send(fe *t, const afz_request *req, afz_response *resp)
{
    ck_assert_int_eq(afz_server_handle(t->s, req, resp, NULL), AFZ_OK);
    const char *n = afz_headers_get(&resp->headers, "Replay-Nonce");
    if (n)
        snprintf(t->nonce, sizeof(t->nonce), "%s", n);
}

static void fe_plain(fe *t, const char *method, const char *url, afz_response *resp)
{
    afz_request req;
    ck_assert_int_eq(afz_request_init(&req, method, url), AFZ_OK);
    fe_send(t, &req, resp);
    afz_request_cleanup(&req);
}

/* POSTs |payload| (NULL: POST-as-GET) signed by the world's ES256 account
 * key, with the account URL once there is one, else the embedded jwk. */
static void fe_post(fe *t, const char *url, const char *payload, afz_response *resp)
{
    if (!t->nonce[0]) {
        afz_response r;
        fe_plain(t, "HEAD", U("/new-nonce"), &r);
        afz_response_cleanup(&r);
        ck_assert_msg(t->nonce[0], "no nonce from newNonce");
    }
    afz_jws_sign_params sp = {.key = afz_world_account_key(&world, AFZ_ALG_ES256),
                              .kid = t->kid,
                              .nonce = t->nonce,
                              .url = url};
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_jws_sign(&sp, payload ? payload : "", payload ? strlen(payload) : 0, &b),
                     AFZ_OK);
    t->nonce[0] = '\0'; /* used */
    afz_request req;
    ck_assert_int_eq(afz_request_init(&req, "POST", url), AFZ_OK);
    ck_assert_int_eq(afz_headers_add(&req.headers, "Content-Type", "application/jose+json"),
                     AFZ_OK);
    ck_assert_int_eq(afz_request_set_body(&req, b.data, b.len), AFZ_OK);
    fe_send(t, &req, resp);
    afz_request_cleanup(&req);
    afz_buf_cleanup(&b);
}

static cJSON *fe_json(const afz_response *r)
{
    cJSON *j = body_json(r);
    ck_assert_msg(j != NULL, "not a JSON object (status %d): %.*s", r->status,
                  (int)(r->body_len > 300 ? 300 : r->body_len),
                  r->body ? (const char *)r->body : "");
    return j;
}

static void fe_account(fe *t)
{
    afz_response r;
    fe_post(t, U("/new-account"), "{\"termsOfServiceAgreed\":true}", &r);
    ck_assert_int_eq(r.status, 201);
    t->kid = afz_strdup(afz_headers_get(&r.headers, "Location"));
    ck_assert_ptr_nonnull(t->kid);
    afz_response_cleanup(&r);
}

#define IDS_ONE "[{\"type\":\"dns\",\"value\":\"example.com\"}]"
#define IDS_TWO                                                                                    \
    "[{\"type\":\"dns\",\"value\":\"example.com\"},{\"type\":\"dns\",\"value\":\"www.example."     \
    "com\"}]"

/* newOrder for |ids_json|; the response is left in |r|. */
static void fe_new_order(fe *t, const char *ids_json, afz_response *r)
{
    char payload[512];
    snprintf(payload, sizeof(payload), "{\"identifiers\":%s}", ids_json);
    fe_post(t, U("/new-order"), payload, r);
}

/* newOrder that must succeed: returns the order and its URL (owned). */
static cJSON *fe_order(fe *t, const char *ids_json, char **url)
{
    afz_response r;
    fe_new_order(t, ids_json, &r);
    ck_assert_msg(r.status == 201, "newOrder: %d %s", r.status, (const char *)r.body);
    if (url)
        *url = afz_strdup(afz_headers_get(&r.headers, "Location"));
    cJSON *j = fe_json(&r);
    afz_response_cleanup(&r);
    return j;
}

static cJSON *fe_fetch(fe *t, const char *url, afz_response *r)
{
    fe_post(t, url, NULL, r);
    ck_assert_msg(r->status == 200, "fetch %s: %d %s", url, r->status, (const char *)r->body);
    return fe_json(r);
}

static const char *authz_url(const cJSON *order, int i)
{
    const cJSON *a = cJSON_GetArrayItem(afz_json_array(order, "authorizations"), i);
    ck_assert_ptr_nonnull(a);
    return a->valuestring;
}

/* The challenge of |type| in an authorization. */
static const cJSON *find_challenge(const cJSON *authz, const char *type)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, afz_json_array(authz, "challenges"))
    {
        const char *ty = afz_json_str(c, "type");
        if (ty && strcmp(ty, type) == 0)
            return c;
    }
    return NULL;
}

/* Starts the http-01 challenge of every pending authorization of |order|
 * and polls each until it leaves "pending"; returns the last status seen
 * of the last authorization (written into |st|). */
static const char *fe_validate(fe *t, const cJSON *order, char st[32])
{
    int n = cJSON_GetArraySize(afz_json_array(order, "authorizations"));
    st[0] = '\0';
    for (int i = 0; i < n; i++) {
        afz_response r;
        cJSON *az = fe_fetch(t, authz_url(order, i), &r);
        afz_response_cleanup(&r);
        if (strcmp(afz_json_str(az, "status"), "pending") == 0) {
            const cJSON *ch = find_challenge(az, "http-01");
            ck_assert_ptr_nonnull(ch);
            fe_post(t, afz_json_str(ch, "url"), "{}", &r);
            ck_assert_int_eq(r.status, 200);
            afz_response_cleanup(&r);
        }
        cJSON_Delete(az);
        for (int k = 0;; k++) {
            ck_assert_int_lt(k, 40);
            az = fe_fetch(t, authz_url(order, i), &r);
            afz_response_cleanup(&r);
            snprintf(st, 32, "%s", afz_json_str(az, "status"));
            cJSON_Delete(az);
            if (strcmp(st, "pending") != 0)
                break;
        }
    }
    return st;
}

static void fe_finalize(fe *t, const cJSON *order, size_t n_names, afz_response *r)
{
    afz_buf der, b64, payload;
    afz_buf_init(&der, 0);
    afz_buf_init(&b64, 0);
    afz_buf_init(&payload, 0);
    ck_assert_int_eq(afz_csr_build(world.cert_key, afz_plan_identifiers(), n_names, &der), AFZ_OK);
    ck_assert_int_eq(afz_b64url_encode(der.data, der.len, &b64), AFZ_OK);
    ck_assert_int_eq(afz_buf_printf(&payload, "{\"csr\":\"%s\"}", afz_buf_cstr(&b64)), AFZ_OK);
    fe_post(t, afz_json_str(order, "finalize"), afz_buf_cstr(&payload), r);
    afz_buf_cleanup(&der);
    afz_buf_cleanup(&b64);
    afz_buf_cleanup(&payload);
}

/* Account, order for example.com, validation and finalize (synchronous
 * unless the plan says otherwise). Returns the order URL (owned) and the
 * finalize response's object. */
static cJSON *fe_issue(fe *t, char **order_url)
{
    char st[32];
    fe_account(t);
    cJSON *o = fe_order(t, IDS_ONE, order_url);
    ck_assert_str_eq(fe_validate(t, o, st), "valid");
    afz_response r;
    fe_finalize(t, o, 1, &r);
    ck_assert_msg(r.status == 200, "finalize: %d %s", r.status, (const char *)r.body);
    cJSON_Delete(o);
    cJSON *f = fe_json(&r);
    afz_response_cleanup(&r);
    return f;
}

static size_t fe_faults(const fe *t)
{
    return count_events(&t->hist, AFZ_EV_FAULT);
}

/* Number of PEM certificates in a body, the first in *first (may be NULL). */
static int pem_certs(const void *body, size_t len, X509 **first)
{
    BIO *bio = BIO_new_mem_buf(body, (int)len);
    ck_assert_ptr_nonnull(bio);
    int n = 0;
    X509 *x;
    if (first)
        *first = NULL;
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (n++ == 0 && first)
            *first = x;
        else
            X509_free(x);
    }
    ERR_clear_error();
    BIO_free(bio);
    return n;
}

/* ---- BEFORE faults ---- */

START_TEST(test_fault_engine_bad_nonce_is_answered_before_the_model)
{
    afz_plan p = plan_of("newOrder @1 -> bad_nonce()\n");
    afz_run_result r;
    run_plan(&p, &r);
    const afz_history *h = &r.history;
    const afz_exchange *x = nth_exchange(h, AFZ_RES_NEW_ORDER, 1);
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(x->resp.status, 400);
    ck_assert_str_eq(afz_headers_get(&x->resp.headers, "Content-Type"), "application/problem+json");
    cJSON *j = fe_json(&x->resp);
    ck_assert_str_eq(afz_json_str(j, "type"), "urn:ietf:params:acme:error:badNonce");
    cJSON_Delete(j);
    const char *fresh = afz_headers_get(&x->resp.headers, "Replay-Nonce");
    ck_assert_ptr_nonnull(fresh);
    ck_assert_uint_gt(strlen(fresh), 0);
    /* The model never saw it: no order was created in that exchange, and
     * the fault event names the rule there. */
    ck_assert_ptr_null(event_at(h, AFZ_EV_ORDER_CREATED, x->index));
    const afz_event *ev = event_at(h, AFZ_EV_FAULT, x->index);
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(ev->value, 1);
    ck_assert_str_eq(ev->detail, "rule 1: newOrder @1 -> bad_nonce()");
    ck_assert_uint_eq(count_events(h, AFZ_EV_FAULT), 1);
    /* The fresh nonce works: the retry creates the order. */
    const afz_exchange *y = nth_exchange(h, AFZ_RES_NEW_ORDER, 2);
    ck_assert_ptr_nonnull(y);
    ck_assert_int_eq(y->resp.status, 201);
    ck_assert_ptr_nonnull(event_at(h, AFZ_EV_ORDER_CREATED, y->index));
    ck_assert_uint_eq(count_events(h, AFZ_EV_ORDER_CREATED), 1);
    ck_assert_int_eq(r.client_rc, AFZ_OK);
    afz_run_result_cleanup(&r);
}
END_TEST

START_TEST(test_fault_engine_bad_nonce_spares_requests_without_a_nonce)
{
    fe t;
    fe_start(&t, "any * -> bad_nonce()\n");
    afz_response r;
    fe_plain(&t, "GET", U("/directory"), &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
    fe_plain(&t, "HEAD", U("/new-nonce"), &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(afz_headers_get(&r.headers, "Replay-Nonce"));
    afz_response_cleanup(&r);
    ck_assert_uint_eq(fe_faults(&t), 0);
    /* every POST is refused, each time with a fresh nonce */
    for (int i = 0; i < 3; i++) {
        fe_post(&t, U("/new-account"), "{\"termsOfServiceAgreed\":true}", &r);
        ck_assert_int_eq(r.status, 400);
        ck_assert_ptr_nonnull(afz_headers_get(&r.headers, "Replay-Nonce"));
        afz_response_cleanup(&r);
    }
    ck_assert_uint_eq(fe_faults(&t), 3);
    ck_assert_uint_eq(count_events(&t.hist, AFZ_EV_ACCOUNT_CREATED), 0);
    fe_free(&t);
}
END_TEST

/* Each BEFORE fault on the first newOrder: what it answers, and that the
 * model did not create the order. */
static const struct {
    const char *rule;
    int status;
    const char *type;        /* problem type, NULL: not a problem document */
    const char *retry_after; /* expected value, "" for none */
    int nonce;               /* Replay-Nonce expected */
} before_cases[] = {
    {"newOrder @1 -> bad_nonce()", 400, "badNonce", "", 1},
    {"newOrder @1 -> bad_nonce_bare()", 400, "badNonce", "", 0},
    {"newOrder @1 -> rate_limited(retry_after=30)", 429, "rateLimited", "30", 1},
    {"newOrder @1 -> rate_limited(retry_after=none)", 429, "rateLimited", "", 1},
    {"newOrder @1 -> rate_limited_bare()", 429, "rateLimited", "", 1},
    {"newOrder @1 -> unavailable(retry_after=2)", 503, "serverInternal", "2", 1},
    {"newOrder @1 -> server_internal()", 500, "serverInternal", "", 1},
    {"newOrder @1 -> user_action_required()", 403, "userActionRequired", "", 1},
    {"newOrder @1 -> unknown_error()", 400, "futureError", "", 1},
    {"newOrder @1 -> html_error()", 502, NULL, "", 0},
};

START_TEST(test_fault_engine_before_faults_answer_in_place_of_the_model)
{
    fe t;
    fe_start(&t, before_cases[_i].rule);
    fe_account(&t);
    afz_response r;
    fe_new_order(&t, IDS_ONE, &r);
    ck_assert_int_eq(r.status, before_cases[_i].status);
    const char *ct = afz_headers_get(&r.headers, "Content-Type");
    ck_assert_ptr_nonnull(ct);
    if (before_cases[_i].type) {
        ck_assert_str_eq(ct, "application/problem+json");
        cJSON *j = fe_json(&r);
        char want[128];
        snprintf(want, sizeof(want), "urn:ietf:params:acme:error:%s", before_cases[_i].type);
        ck_assert_str_eq(afz_json_str(j, "type"), want);
        ck_assert_ptr_nonnull(afz_json_str(j, "detail"));
        cJSON_Delete(j);
    } else {
        ck_assert_str_eq(ct, "text/html");
    }
    const char *ra = afz_headers_get(&r.headers, "Retry-After");
    ck_assert_str_eq(ra ? ra : "", before_cases[_i].retry_after);
    ck_assert_int_eq(afz_headers_get(&r.headers, "Replay-Nonce") != NULL, before_cases[_i].nonce);
    ck_assert_ptr_null(afz_headers_get(&r.headers, "Location"));
    if (strstr(before_cases[_i].rule, "user_action_required")) {
        const char *link = afz_headers_get(&r.headers, "Link");
        ck_assert_ptr_nonnull(link);
        ck_assert_ptr_nonnull(strstr(link, "rel=\"terms-of-service\""));
    }
    afz_response_cleanup(&r);
    ck_assert_uint_eq(count_events(&t.hist, AFZ_EV_ORDER_CREATED), 0);
    ck_assert_uint_eq(fe_faults(&t), 1);
    /* only @1: the next newOrder reaches the model */
    fe_new_order(&t, IDS_ONE, &r);
    ck_assert_int_eq(r.status, 201);
    afz_response_cleanup(&r);
    ck_assert_uint_eq(count_events(&t.hist, AFZ_EV_ORDER_CREATED), 1);
    ck_assert_uint_eq(fe_faults(&t), 1);
    fe_free(&t);
}
END_TEST

/* Signs |payload| for |url| with the next nonce and leaves the request in
 * |req| (the caller sends it, maybe twice, and cleans it up). */
static void fe_signed(fe *t, const char *url, const char *payload, afz_request *req)
{
    if (!t->nonce[0]) {
        afz_response r;
        fe_plain(t, "HEAD", U("/new-nonce"), &r);
        afz_response_cleanup(&r);
    }
    afz_jws_sign_params sp = {.key = afz_world_account_key(&world, AFZ_ALG_ES256),
                              .kid = t->kid,
                              .nonce = t->nonce,
                              .url = url};
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_jws_sign(&sp, payload, strlen(payload), &b), AFZ_OK);
    t->nonce[0] = '\0';
    ck_assert_int_eq(afz_request_init(req, "POST", url), AFZ_OK);
    ck_assert_int_eq(afz_headers_add(&req->headers, "Content-Type", "application/jose+json"),
                     AFZ_OK);
    ck_assert_int_eq(afz_request_set_body(req, b.data, b.len), AFZ_OK);
    afz_buf_cleanup(&b);
}

/* RFC 8555 6.5: "Once a nonce value has appeared in an ACME request, the
 * server MUST consider it invalid". An injected refusal spends the nonce
 * as a CA does: the identical bytes re-sent earn badNonce, a fresh nonce
 * is served. A proxy's 502 never reached the CA: its nonce stays live. */
static const struct {
    const char *rule;
    int status;        /* the injected answer */
    int replay_status; /* the same bytes sent again */
} spend_cases[] = {
    {"newOrder @1 -> rate_limited(retry_after=1)", 429, 400},
    {"newOrder @1 -> rate_limited_bare()", 429, 400},
    {"newOrder @1 -> unavailable(retry_after=1)", 503, 400},
    {"newOrder @1 -> server_internal()", 500, 400},
    {"newOrder @1 -> user_action_required()", 403, 400},
    {"newOrder @1 -> unknown_error()", 400, 400},
    {"newOrder @1 -> bad_nonce()", 400, 400},
    {"newOrder @1 -> bad_nonce_bare()", 400, 400},
    {"newOrder @1 -> html_error()", 502, 201},
};

START_TEST(test_fault_engine_injected_refusals_spend_the_nonce)
{
    fe t;
    fe_start(&t, spend_cases[_i].rule);
    fe_account(&t);
    afz_request req;
    fe_signed(&t, U("/new-order"), "{\"identifiers\":" IDS_ONE "}", &req);
    afz_response r;
    fe_send(&t, &req, &r);
    ck_assert_int_eq(r.status, spend_cases[_i].status);
    afz_response_cleanup(&r);
    ck_assert_uint_eq(fe_faults(&t), 1);
    /* the identical signed request again (same nonce) */
    fe_send(&t, &req, &r);
    ck_assert_int_eq(r.status, spend_cases[_i].replay_status);
    if (spend_cases[_i].replay_status == 400) {
        cJSON *j = fe_json(&r);
        ck_assert_str_eq(afz_json_str(j, "type"), "urn:ietf:params:acme:error:badNonce");
        cJSON_Delete(j);
        ck_assert_ptr_nonnull(afz_headers_get(&r.headers, "Replay-Nonce"));
        ck_assert_uint_eq(count_events(&t.hist, AFZ_EV_ORDER_CREATED), 0);
    } else {
        ck_assert_uint_eq(count_events(&t.hist, AFZ_EV_ORDER_CREATED), 1);
    }
    afz_response_cleanup(&r);
    afz_request_cleanup(&req);
    ck_assert_uint_eq(fe_faults(&t), 1); /* the replay met the model, not the rule */
    /* NOT: the same request with a fresh nonce is served */
    fe_new_order(&t, IDS_ONE, &r);
    ck_assert_int_eq(r.status, 201);
    afz_response_cleanup(&r);
    fe_free(&t);
}
END_TEST

/* NOT: what the engine spends is the refused request's nonce only; an
 * unauthenticated POST (no account yet, wrong kid) spends nothing, so the
 * nonce it carried still works for a correct request. */
START_TEST(test_fault_engine_refusals_spend_only_authenticated_nonces)
{
    fe t;
    fe_start(&t, "newOrder @1 -> rate_limited(retry_after=1)\n");
    fe_account(&t);
    ck_assert(t.nonce[0]);
    char saved[128];
    snprintf(saved, sizeof(saved), "%s", t.nonce);
    char *kid = t.kid;
    t.kid = afz_strdup(U("/account/0000000000000000")); /* no such account */
    afz_request req;
    fe_signed(&t, U("/new-order"), "{\"identifiers\":" IDS_ONE "}", &req);
    afz_response r;
    fe_send(&t, &req, &r);
    ck_assert_int_eq(r.status, 429);
    afz_response_cleanup(&r);
    afz_request_cleanup(&req);
    free(t.kid);
    t.kid = kid;
    /* the nonce the refused request carried is still live */
    snprintf(t.nonce, sizeof(t.nonce), "%s", saved);
    fe_new_order(&t, IDS_ONE, &r);
    ck_assert_int_eq(r.status, 201);
    afz_response_cleanup(&r);
    /* a GET has no nonce to spend */
    afz_request get;
    ck_assert_int_eq(afz_request_init(&get, "GET", U("/directory")), AFZ_OK);
    ck_assert_int_eq(afz_server_spend_nonce(t.s, &get), 0);
    afz_request_cleanup(&get);
    fe_free(&t);
}
END_TEST

/* NOT: the reference client re-signs every retry with a fresh nonce, so
 * spending the refused request's nonce costs it nothing: under 429 and 503
 * on newOrder it obtains the certificate and never meets badNonce. */
START_TEST(test_fault_engine_spent_nonces_do_not_hurt_the_reference_client)
{
    static const char *const plans[] = {
        "newOrder @1 -> rate_limited(retry_after=1)\n",
        "newOrder @1 -> unavailable(retry_after=1)\nfinalize @1 -> server_internal()\n",
        "any @3 -> rate_limited_bare()\nany @5 -> bad_nonce()\n",
    };
    afz_plan p = plan_of(plans[_i]);
    afz_run_result r;
    run_plan(&p, &r);
    ck_assert_msg(r.client_rc == AFZ_OK, "%s: %s", plans[_i], r.reason);
    size_t bad_nonce = 0;
    for (size_t i = 0; i < r.history.n_ex; i++) {
        const afz_exchange *x = &r.history.ex[i];
        if (x->resp.status != 400)
            continue;
        cJSON *j = body_json(&x->resp);
        const char *ty = j ? afz_json_str(j, "type") : NULL;
        bad_nonce += ty && strcmp(ty, "urn:ietf:params:acme:error:badNonce") == 0;
        cJSON_Delete(j);
    }
    /* only the injected one, if the plan has it */
    ck_assert_uint_eq(bad_nonce, strstr(plans[_i], "bad_nonce") ? 1 : 0);
    afz_run_result_cleanup(&r);
}
END_TEST

/* Spare nonces. Without a fault the model answers like Boulder: a nonce
 * on every answer to a non-GET request (HEAD of the directory too), none
 * on a GET of the directory. spare_nonce adds one where none is; a client
 * that keeps it and uses it later is served. */
START_TEST(test_fault_engine_spare_nonce_adds_a_usable_nonce)
{
    fe t;
    fe_start(&t, "");
    afz_response r;
    fe_plain(&t, "GET", U("/directory"), &r);
    ck_assert_ptr_null(afz_headers_get(&r.headers, "Replay-Nonce"));
    afz_response_cleanup(&r);
    fe_plain(&t, "HEAD", U("/directory"), &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(afz_headers_get(&r.headers, "Replay-Nonce"));
    afz_response_cleanup(&r);
    fe_free(&t);

    fe_start(&t, "directory * -> spare_nonce()\naccount * -> spare_nonce()\n");
    fe_plain(&t, "GET", U("/directory"), &r);
    ck_assert_int_eq(r.status, 200);
    const char *spare = afz_headers_get(&r.headers, "Replay-Nonce");
    ck_assert_ptr_nonnull(spare);
    ck_assert_uint_gt(strlen(spare), 0);
    afz_response_cleanup(&r);
    ck_assert_uint_eq(fe_faults(&t), 1);
    /* the spare nonce (fe_send kept it) signs newAccount: served */
    fe_account(&t);
    /* a POST answer already has one: nothing added, no event */
    ck_assert_uint_eq(fe_faults(&t), 1);
    fe_post(&t, t.kid, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(afz_headers_count(&r.headers, "Replay-Nonce"), 1);
    afz_response_cleanup(&r);
    ck_assert_uint_eq(fe_faults(&t), 1);
    fe_free(&t);
}
END_TEST

/* NOT: a client that takes its nonces from GET responses is correct; the
 * reference client under spare nonces everywhere obtains as before. */
START_TEST(test_fault_engine_spare_nonce_keeps_the_reference_client_whole)
{
    afz_plan p = plan_of("any * -> spare_nonce()\n");
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    afz_run_config_apply_plan(&cfg, &p);
    afz_run_result r;
    afz_run_result_init(&r);
    ck_assert_int_eq(afz_run(&world, &afz_client_reference, &cfg, &r), AFZ_OK);
    ck_assert_msg(r.client_rc == AFZ_OK, "%s", r.reason);
    for (size_t i = 0; i < r.history.n_ex; i++)
        ck_assert_uint_le(afz_headers_count(&r.history.ex[i].resp.headers, "Replay-Nonce"), 1);
    /* the client did take the directory's spare nonce for its first POST */
    const afz_exchange *dir = nth_exchange(&r.history, AFZ_RES_DIRECTORY, 1);
    ck_assert_ptr_nonnull(dir);
    const char *spare = afz_headers_get(&dir->resp.headers, "Replay-Nonce");
    ck_assert_ptr_nonnull(spare);
    const afz_exchange *first_post = NULL;
    for (size_t i = 0; i < r.history.n_ex && !first_post; i++)
        if (strcmp(r.history.ex[i].req.method, "POST") == 0)
            first_post = &r.history.ex[i];
    ck_assert_ptr_nonnull(first_post);
    afz_jws jws;
    const char *why = NULL;
    ck_assert_int_eq(afz_jws_parse(first_post->req.body, first_post->req.body_len, &jws, &why),
                     AFZ_OK);
    ck_assert_str_eq(jws.nonce, spare);
    afz_jws_cleanup(&jws);
    /* and no nonce property holds that against it */
    afz_trace tr;
    ck_assert_int_eq(afz_trace_build(&r.history, &tr), AFZ_OK);
    afz_prop_input in;
    afz_prop_input_from_run(&in, &r, &cfg, &tr, NULL);
    static const char *const ids[] = {"nonce-discipline", "nonce-fresh", "retries-bad-nonce"};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        const afz_property *prop = afz_property_find(ids[i]);
        ck_assert_ptr_nonnull(prop);
        afz_prop_result out;
        prop->check(&in, &out);
        ck_assert_msg(out.verdict == AFZ_VERDICT_PASS, "%s: %s", ids[i], out.message);
    }
    afz_trace_cleanup(&tr);
    afz_run_result_cleanup(&r);
}
END_TEST

/* certificate_early (certbot#7997): the "processing" order already names
 * its certificate URL; the URL answers 404 until the order is "valid",
 * then serves the chain at the same URL. */
START_TEST(test_fault_engine_certificate_early_names_the_url_before_valid)
{
    fe t;
    fe_start(&t, "finalize * -> certificate_early()\n");
    char *order_url = NULL;
    cJSON *f = fe_issue(&t, &order_url);
    ck_assert_str_eq(afz_json_str(f, "status"), "processing");
    const char *early = afz_json_str(f, "certificate");
    ck_assert_ptr_nonnull(early);
    char url[256];
    snprintf(url, sizeof(url), "%s", early);
    ck_assert_ptr_nonnull(strstr(url, "/cert/"));
    cJSON_Delete(f);
    afz_response r;
    /* too early: an error, no chain */
    fe_post(&t, url, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_int_eq(pem_certs(r.body, r.body_len, NULL), 0);
    afz_response_cleanup(&r);
    ck_assert_uint_eq(count_events(&t.hist, AFZ_EV_CERT_ISSUED), 0);
    /* the order poll issues it (polls=0, no delay): same URL, now served */
    cJSON *o = fe_fetch(&t, order_url, &r);
    afz_response_cleanup(&r);
    ck_assert_str_eq(afz_json_str(o, "status"), "valid");
    ck_assert_str_eq(afz_json_str(o, "certificate"), url);
    cJSON_Delete(o);
    fe_post(&t, url, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_ge(pem_certs(r.body, r.body_len, NULL), 1);
    afz_response_cleanup(&r);
    free(order_url);
    fe_free(&t);

    /* NOT: without the fault a processing order has no certificate */
    fe_start(&t, "finalize * -> async_finalize(polls=1)\n");
    f = fe_issue(&t, &order_url);
    ck_assert_str_eq(afz_json_str(f, "status"), "processing");
    ck_assert_ptr_null(afz_json_str(f, "certificate"));
    cJSON_Delete(f);
    free(order_url);
    fe_free(&t);
}
END_TEST

/* NOT: the reference client reads "status" before it downloads: under
 * certificate_early (with polls to wait out) it never fetches the URL
 * before the order is "valid", and obtains the certificate. */
START_TEST(test_fault_engine_certificate_early_spares_a_client_that_waits)
{
    afz_plan p = plan_of("finalize * -> async_finalize(polls=2, delay=0s, retry_after=1)\n"
                         "finalize * -> certificate_early()\n");
    afz_run_result r;
    run_plan(&p, &r);
    ck_assert_msg(r.client_rc == AFZ_OK, "%s", r.reason);
    for (size_t i = 0; i < r.history.n_ex; i++)
        if (r.history.ex[i].resource == AFZ_RES_CERT)
            ck_assert_int_eq(r.history.ex[i].resp.status, 200);
    ck_assert_uint_eq(count_events(&r.history, AFZ_EV_CERT_ISSUED), 1);
    afz_run_result_cleanup(&r);
}
END_TEST

START_TEST(test_fault_engine_order_not_ready_refuses_a_ready_order)
{
    fe t;
    fe_start(&t, "finalize @1 -> order_not_ready()\n");
    char st[32];
    fe_account(&t);
    cJSON *o = fe_order(&t, IDS_ONE, NULL);
    ck_assert_str_eq(fe_validate(&t, o, st), "valid");
    afz_response r;
    fe_finalize(&t, o, 1, &r);
    ck_assert_int_eq(r.status, 403);
    cJSON *j = fe_json(&r);
    ck_assert_str_eq(afz_json_str(j, "type"), "urn:ietf:params:acme:error:orderNotReady");
    cJSON_Delete(j);
    afz_response_cleanup(&r);
    ck_assert_uint_eq(count_events(&t.hist, AFZ_EV_FINALIZE_ACCEPTED), 0);
    fe_finalize(&t, o, 1, &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
    ck_assert_uint_eq(count_events(&t.hist, AFZ_EV_FINALIZE_ACCEPTED), 1);
    cJSON_Delete(o);
    fe_free(&t);
}
END_TEST

/* ---- CONFIG faults ---- */

START_TEST(test_fault_engine_async_finalize_holds_processing_for_n_polls)
{
    unsigned n = (unsigned)_i;
    char scn[128];
    snprintf(scn, sizeof(scn), "finalize * -> async_finalize(polls=%u, delay=0s, retry_after=1)\n",
             n);
    fe t;
    fe_start(&t, scn);
    char *url = NULL;
    cJSON *f = fe_issue(&t, &url);
    ck_assert_str_eq(afz_json_str(f, "status"), "processing");
    ck_assert(!cJSON_HasObjectItem(f, "certificate"));
    cJSON_Delete(f);
    unsigned processing = 0;
    for (;;) {
        afz_response r;
        cJSON *o = fe_fetch(&t, url, &r);
        const char *st = afz_json_str(o, "status");
        if (strcmp(st, "processing") == 0) {
            ck_assert(!cJSON_HasObjectItem(o, "certificate"));
            ck_assert_str_eq(afz_headers_get(&r.headers, "Retry-After"), "1");
            processing++;
        } else {
            ck_assert_str_eq(st, "valid");
            ck_assert(cJSON_HasObjectItem(o, "certificate"));
            ck_assert_ptr_null(afz_headers_get(&r.headers, "Retry-After"));
        }
        int done = strcmp(st, "valid") == 0;
        cJSON_Delete(o);
        afz_response_cleanup(&r);
        if (done)
            break;
        ck_assert_uint_le(processing, n);
    }
    ck_assert_uint_eq(processing, n);
    ck_assert_uint_eq(count_events(&t.hist, AFZ_EV_CERT_ISSUED), 1);
    free(url);
    fe_free(&t);
}
END_TEST

START_TEST(test_fault_engine_async_finalize_waits_out_its_delay)
{
    fe t;
    fe_start(&t, "finalize * -> async_finalize(polls=0, delay=30s, retry_after=date+5s)\n");
    char *url = NULL;
    cJSON *f = fe_issue(&t, &url);
    ck_assert_str_eq(afz_json_str(f, "status"), "processing");
    cJSON_Delete(f);
    for (int i = 0; i < 5; i++) {
        afz_response r;
        cJSON *o = fe_fetch(&t, url, &r);
        ck_assert_str_eq(afz_json_str(o, "status"), "processing");
        int64_t at;
        ck_assert_int_eq(afz_httpdate_parse(afz_headers_get(&r.headers, "Retry-After"), &at),
                         AFZ_OK);
        ck_assert_int_eq(at, (afz_clock_wall_ms(&t.clock) + 999) / 1000 + 5);
        cJSON_Delete(o);
        afz_response_cleanup(&r);
        afz_clock_advance(&t.clock, 5000);
    }
    afz_clock_advance(&t.clock, 5000);
    afz_response r;
    cJSON *o = fe_fetch(&t, url, &r);
    ck_assert_str_eq(afz_json_str(o, "status"), "valid");
    cJSON_Delete(o);
    afz_response_cleanup(&r);
    free(url);
    fe_free(&t);
}
END_TEST

START_TEST(test_fault_engine_processing_forever_never_issues)
{
    fe t;
    fe_start(&t, "finalize * -> processing_forever(retry_after=2)\n");
    char *url = NULL;
    cJSON *f = fe_issue(&t, &url);
    ck_assert_str_eq(afz_json_str(f, "status"), "processing");
    cJSON_Delete(f);
    for (int i = 0; i < 50; i++) {
        afz_clock_advance(&t.clock, 3600 * 1000);
        afz_response r;
        cJSON *o = fe_fetch(&t, url, &r);
        ck_assert_str_eq(afz_json_str(o, "status"), "processing");
        ck_assert_str_eq(afz_headers_get(&r.headers, "Retry-After"), "2");
        cJSON_Delete(o);
        afz_response_cleanup(&r);
    }
    ck_assert_uint_eq(count_events(&t.hist, AFZ_EV_CERT_ISSUED), 0);
    free(url);
    fe_free(&t);
}
END_TEST

START_TEST(test_fault_engine_authz_pending_holds_for_n_polls)
{
    unsigned n = (unsigned)_i;
    char scn[128];
    snprintf(scn, sizeof(scn),
             "authorization * -> authz_pending(polls=%u, delay=0s, retry_after=3)\n", n);
    fe t;
    fe_start(&t, scn);
    fe_account(&t);
    cJSON *o = fe_order(&t, IDS_ONE, NULL);
    afz_response r;
    cJSON *az = fe_fetch(&t, authz_url(o, 0), &r);
    afz_response_cleanup(&r);
    fe_post(&t, afz_json_str(find_challenge(az, "http-01"), "url"), "{}", &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
    cJSON_Delete(az);
    unsigned pending = 0;
    for (;;) {
        az = fe_fetch(&t, authz_url(o, 0), &r);
        int valid = strcmp(afz_json_str(az, "status"), "valid") == 0;
        if (!valid) {
            ck_assert_str_eq(afz_json_str(az, "status"), "pending");
            ck_assert_str_eq(afz_headers_get(&r.headers, "Retry-After"), "3");
            pending++;
        }
        cJSON_Delete(az);
        afz_response_cleanup(&r);
        if (valid)
            break;
        ck_assert_uint_le(pending, n);
    }
    ck_assert_uint_eq(pending, n);
    cJSON_Delete(o);
    fe_free(&t);
}
END_TEST

START_TEST(test_fault_engine_authz_pending_forever_never_validates)
{
    fe t;
    fe_start(&t, "authorization * -> authz_pending_forever(retry_after=none)\n");
    fe_account(&t);
    cJSON *o = fe_order(&t, IDS_ONE, NULL);
    afz_response r;
    cJSON *az = fe_fetch(&t, authz_url(o, 0), &r);
    afz_response_cleanup(&r);
    fe_post(&t, afz_json_str(find_challenge(az, "http-01"), "url"), "{}", &r);
    afz_response_cleanup(&r);
    cJSON_Delete(az);
    for (int i = 0; i < 50; i++) {
        afz_clock_advance(&t.clock, 60 * 1000);
        az = fe_fetch(&t, authz_url(o, 0), &r);
        ck_assert_str_eq(afz_json_str(az, "status"), "pending");
        ck_assert_ptr_null(afz_headers_get(&r.headers, "Retry-After"));
        cJSON_Delete(az);
        afz_response_cleanup(&r);
    }
    cJSON_Delete(o);
    fe_free(&t);
}
END_TEST

START_TEST(test_fault_engine_authz_invalid_fails_challenge_authz_and_order)
{
    fe t;
    fe_start(&t, "authorization * -> authz_invalid()\n");
    char st[32];
    char *url = NULL;
    fe_account(&t);
    cJSON *o = fe_order(&t, IDS_ONE, &url);
    ck_assert_str_eq(fe_validate(&t, o, st), "invalid");
    afz_response r;
    cJSON *az = fe_fetch(&t, authz_url(o, 0), &r);
    afz_response_cleanup(&r);
    const cJSON *ch = find_challenge(az, "http-01");
    ck_assert_str_eq(afz_json_str(ch, "status"), "invalid");
    const cJSON *err = afz_json_object(ch, "error");
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(afz_json_str(err, "type"));
    cJSON_Delete(az);
    cJSON *ord = fe_fetch(&t, url, &r);
    afz_response_cleanup(&r);
    ck_assert_str_eq(afz_json_str(ord, "status"), "invalid");
    ck_assert_ptr_nonnull(afz_json_object(ord, "error"));
    ck_assert_ptr_nonnull(afz_json_str(afz_json_object(ord, "error"), "type"));
    cJSON_Delete(ord);
    ck_assert_uint_eq(count_events(&t.hist, AFZ_EV_AUTHZ_INVALID), 1);
    ck_assert_uint_eq(count_events(&t.hist, AFZ_EV_ORDER_INVALID), 1);
    cJSON_Delete(o);
    free(url);
    fe_free(&t);
}
END_TEST

START_TEST(test_fault_engine_order_invalid_fails_after_finalize)
{
    /* _i: 0 synchronous finalize (the finalize request itself fails),
     * 1 asynchronous (a later poll finds the order invalid) */
    fe t;
    fe_start(&t, _i ? "finalize * -> order_invalid()\n"
                      "finalize * -> async_finalize(polls=1, delay=0s, retry_after=none)\n"
                    : "finalize * -> order_invalid()\n");
    char st[32];
    char *url = NULL;
    fe_account(&t);
    cJSON *o = fe_order(&t, IDS_ONE, &url);
    ck_assert_str_eq(fe_validate(&t, o, st), "valid");
    afz_response r;
    fe_finalize(&t, o, 1, &r);
    cJSON *f = fe_json(&r);
    if (_i) {
        ck_assert_int_eq(r.status, 200);
        ck_assert_str_eq(afz_json_str(f, "status"), "processing");
    } else {
        ck_assert_int_eq(r.status, 500);
        ck_assert_str_eq(afz_json_str(f, "type"), "urn:ietf:params:acme:error:serverInternal");
    }
    cJSON_Delete(f);
    afz_response_cleanup(&r);
    ck_assert_uint_eq(count_events(&t.hist, AFZ_EV_FINALIZE_ACCEPTED), 1);
    cJSON_Delete(o);
    o = fe_fetch(&t, url, &r);
    afz_response_cleanup(&r);
    if (_i) {
        ck_assert_str_eq(afz_json_str(o, "status"), "processing");
        cJSON_Delete(o);
        o = fe_fetch(&t, url, &r);
        afz_response_cleanup(&r);
    }
    ck_assert_str_eq(afz_json_str(o, "status"), "invalid");
    ck_assert(!cJSON_HasObjectItem(o, "certificate"));
    const cJSON *err = afz_json_object(o, "error");
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(afz_json_str(err, "type"));
    cJSON_Delete(o);
    ck_assert_uint_eq(count_events(&t.hist, AFZ_EV_ORDER_INVALID), 1);
    ck_assert_uint_eq(count_events(&t.hist, AFZ_EV_CERT_ISSUED), 0);
    free(url);
    fe_free(&t);
}
END_TEST

START_TEST(test_fault_engine_order_reuse_hands_back_the_same_order)
{
    fe t;
    fe_start(&t, "newOrder * -> order_reuse()\n");
    fe_account(&t);
    char *u1 = NULL, *u2 = NULL, *u3 = NULL, *u4 = NULL;
    cJSON *o1 = fe_order(&t, IDS_ONE, &u1);
    cJSON *o2 = fe_order(&t, IDS_ONE, &u2);
    ck_assert_str_eq(u1, u2);
    ck_assert_str_eq(afz_json_str(o1, "finalize"), afz_json_str(o2, "finalize"));
    ck_assert_uint_eq(count_events(&t.hist, AFZ_EV_ORDER_REUSED), 1);
    ck_assert_uint_eq(count_events(&t.hist, AFZ_EV_ORDER_CREATED), 1);
    /* a different identifier set is a new order */
    cJSON *o3 = fe_order(&t, IDS_TWO, &u3);
    ck_assert_str_ne(u1, u3);
    /* a ready order is reused too; a valid one is not */
    char st[32];
    ck_assert_str_eq(fe_validate(&t, o1, st), "valid");
    cJSON *o4 = fe_order(&t, IDS_ONE, &u4);
    ck_assert_str_eq(u1, u4);
    ck_assert_str_eq(afz_json_str(o4, "status"), "ready");
    afz_response r;
    fe_finalize(&t, o1, 1, &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
    free(u4);
    cJSON_Delete(o4);
    o4 = fe_order(&t, IDS_ONE, &u4);
    ck_assert_str_ne(u1, u4);
    ck_assert_uint_eq(count_events(&t.hist, AFZ_EV_ORDER_REUSED), 2);
    cJSON_Delete(o1);
    cJSON_Delete(o2);
    cJSON_Delete(o3);
    cJSON_Delete(o4);
    free(u1);
    free(u2);
    free(u3);
    free(u4);
    fe_free(&t);
}
END_TEST

/* The reference client without the state store, so that a campaign's
 * second attempt orders afresh instead of resuming its order. */
static afz_rc stateless_obtain(const afz_client *self, const afz_env *env,
                               const afz_obtain_params *p, afz_obtain_result *out)
{
    (void)self;
    afz_env e = *env;
    e.state_get = NULL;
    e.state_put = NULL;
    return afz_client_reference.obtain(&afz_client_reference, &e, p, out);
}

static const afz_client stateless_reference = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "reference-stateless",
    .description = "the reference client with no state store",
    .obtain = stateless_obtain,
};

START_TEST(test_fault_engine_order_reuse_serves_a_retrying_campaign)
{
    /* The first attempt dies on the authorization; the second attempt's
     * identical newOrder gets the first order back and completes it. */
    afz_plan p = plan_of("attempts 2\n"
                         "newOrder * -> order_reuse()\n"
                         "authorization @1 -> user_action_required()\n");
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    afz_run_config_apply_plan(&cfg, &p);
    afz_run_result r;
    afz_run_result_init(&r);
    ck_assert_int_eq(afz_run(&world, &stateless_reference, &cfg, &r), AFZ_OK);
    const afz_history *h = &r.history;
    const afz_exchange *a = nth_exchange(h, AFZ_RES_NEW_ORDER, 1);
    const afz_exchange *b = nth_exchange(h, AFZ_RES_NEW_ORDER, 2);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(a->resp.status, 201);
    ck_assert_int_eq(b->resp.status, 201);
    ck_assert_str_eq(afz_headers_get(&a->resp.headers, "Location"),
                     afz_headers_get(&b->resp.headers, "Location"));
    ck_assert_ptr_nonnull(event_at(h, AFZ_EV_ORDER_REUSED, b->index));
    ck_assert_uint_eq(count_events(h, AFZ_EV_ORDER_CREATED), 1);
    ck_assert_uint_eq(r.attempts, 2);
    ck_assert_int_eq(r.client_rc, AFZ_OK);
    afz_run_result_cleanup(&r);
}
END_TEST

START_TEST(test_fault_engine_order_ready_and_authz_reuse_skip_validation)
{
    fe t;
    fe_start(&t, _i ? "newOrder * -> authz_reuse()\n" : "newOrder * -> order_ready()\n");
    fe_account(&t);
    cJSON *o = fe_order(&t, _i ? IDS_TWO : IDS_ONE, NULL);
    ck_assert_str_eq(afz_json_str(o, "status"), _i ? "pending" : "ready");
    afz_response r;
    cJSON *az = fe_fetch(&t, authz_url(o, 0), &r);
    afz_response_cleanup(&r);
    ck_assert_str_eq(afz_json_str(az, "status"), "valid");
    cJSON_Delete(az);
    if (_i) {
        /* authz_reuse: only the first authorization was valid already */
        az = fe_fetch(&t, authz_url(o, 1), &r);
        afz_response_cleanup(&r);
        ck_assert_str_eq(afz_json_str(az, "status"), "pending");
        cJSON_Delete(az);
    }
    cJSON_Delete(o);
    fe_free(&t);
}
END_TEST

START_TEST(test_fault_engine_order_expires_after_its_lifetime)
{
    fe t;
    fe_start(&t, "newOrder * -> order_expires(after=30s)\n");
    char *url = NULL;
    fe_account(&t);
    cJSON *o = fe_order(&t, IDS_ONE, &url);
    ck_assert_str_eq(afz_json_str(o, "expires"), "2026-01-01T00:00:30Z");
    afz_clock_advance(&t.clock, 29 * 1000);
    afz_response r;
    cJSON *x = fe_fetch(&t, url, &r);
    afz_response_cleanup(&r);
    ck_assert_str_eq(afz_json_str(x, "status"), "pending");
    cJSON_Delete(x);
    afz_clock_advance(&t.clock, 1000);
    x = fe_fetch(&t, url, &r);
    afz_response_cleanup(&r);
    ck_assert_str_eq(afz_json_str(x, "status"), "invalid");
    cJSON_Delete(x);
    cJSON_Delete(o);
    free(url);
    fe_free(&t);
}
END_TEST

/* Link rel="alternate" URLs of a response, up to 16. */
static size_t alternate_links(const afz_response *r, char urls[16][256])
{
    size_t n = 0;
    for (size_t i = 0; i < r->headers.n; i++) {
        const afz_header *hd = &r->headers.v[i];
        if (strcasecmp(hd->name, "Link") != 0 || !strstr(hd->value, "rel=\"alternate\""))
            continue;
        const char *lt = strchr(hd->value, '<'), *gt = strchr(hd->value, '>');
        ck_assert(lt && gt && gt > lt);
        if (n < 16)
            snprintf(urls[n], 256, "%.*s", (int)(gt - lt - 1), lt + 1);
        n++;
    }
    return n;
}

START_TEST(test_fault_engine_alternate_chains_links_n_chains)
{
    unsigned n = (unsigned)_i;
    char scn[96];
    snprintf(scn, sizeof(scn), "certificate * -> alternate_chains(count=%u)\n", n);
    fe t;
    fe_start(&t, scn);
    cJSON *f = fe_issue(&t, NULL);
    afz_response r;
    fe_post(&t, afz_json_str(f, "certificate"), NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(pem_certs(r.body, r.body_len, NULL), 2);
    char urls[16][256];
    ck_assert_uint_eq(alternate_links(&r, urls), n);
    afz_response_cleanup(&r);
    for (unsigned k = 0; k < n; k++) {
        for (unsigned m = 0; m < k; m++)
            ck_assert_str_ne(urls[k], urls[m]);
        fe_post(&t, urls[k], NULL, &r);
        ck_assert_msg(r.status == 200, "alternate %u of %u (%s): %d %s", k + 1, n, urls[k],
                      r.status, (const char *)r.body);
        ck_assert_str_eq(afz_headers_get(&r.headers, "Content-Type"),
                         "application/pem-certificate-chain");
        X509 *leaf = NULL;
        ck_assert_int_eq(pem_certs(r.body, r.body_len, &leaf), 2);
        ck_assert_int_eq(X509_check_host(leaf, "example.com", 11, 0, NULL), 1);
        X509_free(leaf);
        afz_response_cleanup(&r);
    }
    cJSON_Delete(f);
    fe_free(&t);
}
END_TEST

/* ---- AFTER faults ---- */

START_TEST(test_fault_engine_retry_after_writes_each_form)
{
    unsigned v = (unsigned)_i;
    char scratch[16], scn[96];
    const char *tok = afz_arg_value_name(AFZ_ARG_RA, v, scratch);
    ck_assert_ptr_nonnull(tok);
    snprintf(scn, sizeof(scn), "directory @1 -> retry_after(value=%s)\n", tok);
    fe t;
    fe_start(&t, scn);
    afz_clock_advance(&t.clock, 1234); /* not on a whole second */
    int64_t wall = afz_clock_wall_ms(&t.clock);
    afz_response r;
    fe_plain(&t, "GET", U("/directory"), &r);
    ck_assert_int_eq(r.status, 200);
    const char *ra = afz_headers_get(&r.headers, "Retry-After");
    int is_date;
    int64_t secs;
    if (!afz_arg_ra(v, &is_date, &secs)) {
        ck_assert_ptr_null(ra);
        ck_assert_uint_eq(fe_faults(&t), 0);
    } else {
        ck_assert_ptr_nonnull(ra);
        ck_assert_uint_eq(afz_headers_count(&r.headers, "Retry-After"), 1);
        ck_assert_uint_eq(fe_faults(&t), 1);
        if (is_date) {
            int64_t at;
            ck_assert_int_eq(afz_httpdate_parse(ra, &at), AFZ_OK);
            ck_assert_int_ge(at * 1000, wall + secs * 1000);
            ck_assert_int_lt(at * 1000, wall + secs * 1000 + 1000);
            ck_assert_uint_eq(strlen(ra), 29); /* IMF-fixdate */
            ck_assert_ptr_nonnull(strstr(ra, " GMT"));
        } else {
            char want[24];
            snprintf(want, sizeof(want), "%lld", (long long)secs);
            ck_assert_str_eq(ra, want);
        }
        afz_retry_after_kind kind;
        int64_t delay;
        ck_assert_int_eq(afz_retry_after_parse(ra, wall, &kind, &delay), AFZ_OK);
        ck_assert_int_eq(kind, is_date ? AFZ_RA_DATE : AFZ_RA_SECONDS);
        ck_assert_int_ge(delay, secs * 1000);
    }
    afz_response_cleanup(&r);
    /* @1 only */
    fe_plain(&t, "GET", U("/directory"), &r);
    ck_assert_ptr_null(afz_headers_get(&r.headers, "Retry-After"));
    afz_response_cleanup(&r);
    fe_free(&t);
}
END_TEST

START_TEST(test_fault_engine_retry_after_bad_writes_the_literal)
{
    unsigned v = (unsigned)_i;
    char scratch[16], scn[96];
    snprintf(scn, sizeof(scn), "directory * -> retry_after_bad(value=%s)\n",
             afz_arg_value_name(AFZ_ARG_RA_BAD, v, scratch));
    fe t;
    fe_start(&t, scn);
    afz_response r;
    fe_plain(&t, "GET", U("/directory"), &r);
    ck_assert_uint_eq(afz_headers_count(&r.headers, "Retry-After"), 1);
    ck_assert_str_eq(afz_headers_get(&r.headers, "Retry-After"), afz_arg_ra_bad(v));
    afz_response_cleanup(&r);
    fe_free(&t);
}
END_TEST

START_TEST(test_fault_engine_drop_connection_loses_a_processed_response)
{
    afz_plan p = plan_of("newOrder @1 -> drop_connection()\n");
    afz_run_result r;
    run_plan(&p, &r);
    const afz_history *h = &r.history;
    const afz_exchange *x = nth_exchange(h, AFZ_RES_NEW_ORDER, 1);
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(x->delivered, 0);
    ck_assert_int_eq(x->resp.status, 0);
    ck_assert_uint_eq(x->resp.body_len, 0);
    /* the model did create the order: the loss is after processing */
    ck_assert_ptr_nonnull(event_at(h, AFZ_EV_ORDER_CREATED, x->index));
    ck_assert_ptr_nonnull(event_at(h, AFZ_EV_FAULT, x->index));
    for (size_t i = 0; i < h->n_ex; i++)
        if (&h->ex[i] != x)
            ck_assert_int_eq(h->ex[i].delivered, 1);
    afz_run_result_cleanup(&r);
}
END_TEST

START_TEST(test_fault_engine_timeout_advances_virtual_time)
{
    unsigned v = (unsigned)_i;
    char scn[96];
    snprintf(scn, sizeof(scn), "directory @1 -> timeout(after=%llds)\n",
             (long long)afz_arg_seconds(v));
    fe t;
    fe_start(&t, scn);
    int64_t before = afz_clock_mono_ms(&t.clock);
    afz_response r;
    fe_plain(&t, "GET", U("/directory"), &r);
    ck_assert_int_eq(r.status, 0);
    afz_response_cleanup(&r);
    ck_assert_int_eq(afz_clock_mono_ms(&t.clock) - before, afz_arg_seconds(v) * 1000);
    ck_assert_uint_eq(fe_faults(&t), 1);
    fe_plain(&t, "GET", U("/directory"), &r);
    ck_assert_int_eq(r.status, 200);
    afz_response_cleanup(&r);
    ck_assert_int_eq(afz_clock_mono_ms(&t.clock) - before, afz_arg_seconds(v) * 1000);
    fe_free(&t);
}
END_TEST

START_TEST(test_fault_engine_timeout_shows_in_the_run)
{
    afz_plan p = plan_of("authorization @1 -> timeout(after=30s)\n");
    afz_run_result r;
    run_plan(&p, &r);
    const afz_exchange *x = nth_exchange(&r.history, AFZ_RES_AUTHZ, 1);
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(x->delivered, 0);
    const afz_event *ev = event_at(&r.history, AFZ_EV_FAULT, x->index);
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(ev->mono_ms - x->mono_ms, 30000);
    ck_assert_int_ge(r.virtual_ms, 30000);
    /* the next request comes after the lost one's 30 s */
    if (x->index + 1 < r.history.n_ex)
        ck_assert_int_ge(r.history.ex[x->index + 1].mono_ms - x->mono_ms, 30000);
    afz_run_result_cleanup(&r);
}
END_TEST

START_TEST(test_fault_engine_stale_status_rewrites_only_processing_and_valid)
{
    /* _i: stale value; async finalize so the order passes processing */
    char scratch[16], scn[192];
    snprintf(scn, sizeof(scn),
             "finalize * -> async_finalize(polls=1, delay=0s, retry_after=none)\n"
             "order * -> stale_status(status=%s)\n",
             afz_arg_value_name(AFZ_ARG_STALE, (unsigned)_i, scratch));
    const char *stale = afz_arg_stale((unsigned)_i);
    fe t;
    fe_start(&t, scn);
    char st[32];
    char *url = NULL;
    fe_account(&t);
    cJSON *o = fe_order(&t, IDS_ONE, &url);
    afz_response r;
    cJSON *x = fe_fetch(&t, url, &r); /* pending: untouched */
    afz_response_cleanup(&r);
    ck_assert_str_eq(afz_json_str(x, "status"), "pending");
    cJSON_Delete(x);
    ck_assert_str_eq(fe_validate(&t, o, st), "valid");
    x = fe_fetch(&t, url, &r); /* ready: untouched */
    afz_response_cleanup(&r);
    ck_assert_str_eq(afz_json_str(x, "status"), "ready");
    cJSON_Delete(x);
    ck_assert_uint_eq(fe_faults(&t), 0);
    fe_finalize(&t, o, 1, &r);
    afz_response_cleanup(&r);
    ck_assert_uint_eq(fe_faults(&t), 0); /* finalize is not an order response */
    /* processing, then valid: both shown stale, without certificate */
    for (int i = 0; i < 3; i++) {
        x = fe_fetch(&t, url, &r);
        afz_response_cleanup(&r);
        ck_assert_str_eq(afz_json_str(x, "status"), stale);
        ck_assert(!cJSON_HasObjectItem(x, "certificate"));
        cJSON_Delete(x);
        ck_assert_uint_eq(fe_faults(&t), (size_t)i + 1);
    }
    ck_assert_uint_eq(count_events(&t.hist, AFZ_EV_CERT_ISSUED), 1);
    cJSON_Delete(o);
    free(url);
    fe_free(&t);
}
END_TEST

START_TEST(test_fault_engine_certificate_late_hides_it_for_n_valid_responses)
{
    unsigned n = (unsigned)_i;
    char scn[96];
    snprintf(scn, sizeof(scn), "order * -> certificate_late(polls=%u)\n", n);
    fe t;
    fe_start(&t, scn);
    char *url = NULL;
    cJSON *f = fe_issue(&t, &url);
    /* the finalize response is not an order response: untouched */
    ck_assert_str_eq(afz_json_str(f, "status"), "valid");
    ck_assert(cJSON_HasObjectItem(f, "certificate"));
    cJSON_Delete(f);
    for (unsigned i = 0; i < n + 3; i++) {
        afz_response r;
        cJSON *o = fe_fetch(&t, url, &r);
        afz_response_cleanup(&r);
        ck_assert_str_eq(afz_json_str(o, "status"), "valid");
        ck_assert_msg(cJSON_HasObjectItem(o, "certificate") == (i >= n),
                      "poll %u of certificate_late(polls=%u)", i + 1, n);
        cJSON_Delete(o);
    }
    ck_assert_uint_eq(fe_faults(&t), n);
    free(url);
    fe_free(&t);
}
END_TEST

START_TEST(test_fault_engine_valid_without_certificate_drops_the_field)
{
    fe t;
    fe_start(&t, "order @2 -> valid_without_certificate()\n");
    char *url = NULL;
    cJSON *f = fe_issue(&t, &url);
    cJSON_Delete(f);
    for (int i = 1; i <= 3; i++) {
        afz_response r;
        cJSON *o = fe_fetch(&t, url, &r);
        afz_response_cleanup(&r);
        ck_assert_str_eq(afz_json_str(o, "status"), "valid");
        ck_assert_int_eq(cJSON_HasObjectItem(o, "certificate"), i != 2);
        cJSON_Delete(o);
    }
    ck_assert_uint_eq(fe_faults(&t), 1);
    free(url);
    fe_free(&t);
}
END_TEST

/* Downloads the certificate twice: |faulted| with the rule on @1, |clean|
 * the second time. */
static void fetch_cert_twice(const char *rule, afz_response *faulted, afz_response *clean)
{
    fe t;
    fe_start(&t, rule);
    cJSON *f = fe_issue(&t, NULL);
    fe_post(&t, afz_json_str(f, "certificate"), NULL, faulted);
    fe_post(&t, afz_json_str(f, "certificate"), NULL, clean);
    ck_assert_int_eq(faulted->status, 200);
    ck_assert_int_eq(clean->status, 200);
    ck_assert_int_eq(pem_certs(clean->body, clean->body_len, NULL), 2);
    ck_assert_uint_eq(fe_faults(&t), 1);
    cJSON_Delete(f);
    fe_free(&t);
}

START_TEST(test_fault_engine_invalid_pem_breaks_the_chain)
{
    afz_pem_fault v = (afz_pem_fault)_i;
    char scratch[16], scn[96];
    snprintf(scn, sizeof(scn), "certificate @1 -> invalid_pem(chain=%s)\n",
             afz_arg_value_name(AFZ_ARG_PEM, (unsigned)v, scratch));
    afz_response bad, good;
    fetch_cert_twice(scn, &bad, &good);
    const char *b = bad.body ? (const char *)bad.body : "";
    switch (v) {
    case AFZ_PEM_JUNK:
        ck_assert_ptr_null(strstr(b, "-----BEGIN"));
        ck_assert_int_eq(pem_certs(bad.body, bad.body_len, NULL), 0);
        break;
    case AFZ_PEM_PRIVATE_KEY:
        ck_assert_uint_gt(bad.body_len, good.body_len);
        ck_assert_int_eq(memcmp(bad.body, good.body, good.body_len), 0);
        ck_assert_ptr_nonnull(strstr(b + good.body_len, "-----BEGIN PRIVATE KEY-----"));
        break;
    case AFZ_PEM_DER: {
        X509 *leaf = NULL;
        pem_certs(good.body, good.body_len, &leaf);
        unsigned char *der = NULL;
        int n = i2d_X509(leaf, &der);
        ck_assert_int_gt(n, 0);
        ck_assert_uint_eq(bad.body_len, (size_t)n);
        ck_assert_int_eq(memcmp(bad.body, der, (size_t)n), 0);
        OPENSSL_free(der);
        X509_free(leaf);
        break;
    }
    case AFZ_PEM_EMPTY_CHAIN:
        ck_assert_ptr_nonnull(strstr(b, "-----BEGIN CERTIFICATE-----"));
        ck_assert_int_eq(pem_certs(bad.body, bad.body_len, NULL), 0);
        break;
    case AFZ_PEM_TRUNCATED:
        ck_assert_uint_eq(bad.body_len, good.body_len * 6 / 10);
        ck_assert_int_eq(memcmp(bad.body, good.body, bad.body_len), 0);
        ck_assert_int_lt(pem_certs(bad.body, bad.body_len, NULL), 2);
        break;
    case AFZ_PEM_BAD_BASE64:
        ck_assert_ptr_nonnull(strstr(b, "-----BEGIN CERTIFICATE-----"));
        ck_assert_int_eq(pem_certs(bad.body, bad.body_len, NULL), 0);
        break;
    case AFZ_PEM__COUNT:
        ck_abort();
    }
    afz_response_cleanup(&bad);
    afz_response_cleanup(&good);
}
END_TEST

START_TEST(test_fault_engine_chain_reversed_puts_the_intermediate_first)
{
    afz_response bad, good;
    fetch_cert_twice("certificate @1 -> chain_reversed()\n", &bad, &good);
    ck_assert_uint_eq(bad.body_len, good.body_len);
    X509 *first = NULL, *leaf = NULL;
    ck_assert_int_eq(pem_certs(bad.body, bad.body_len, &first), 2);
    ck_assert_int_eq(pem_certs(good.body, good.body_len, &leaf), 2);
    ck_assert_int_gt(X509_check_ca(first), 0);
    ck_assert_int_eq(X509_check_ca(leaf), 0);
    ck_assert_int_eq(X509_check_issued(first, leaf), X509_V_OK);
    /* the same two blocks, swapped */
    const char *g = (const char *)good.body;
    const char *second = strstr(g + 1, "-----BEGIN ");
    ck_assert_ptr_nonnull(second);
    size_t l1 = (size_t)(second - g), l2 = good.body_len - l1;
    ck_assert_int_eq(memcmp(bad.body, second, l2), 0);
    ck_assert_int_eq(memcmp(bad.body + l2, g, l1), 0);
    X509_free(first);
    X509_free(leaf);
    afz_response_cleanup(&bad);
    afz_response_cleanup(&good);
}
END_TEST

/* AFTER faults on the directory (@1), compared with a clean copy (@2). */
static const struct {
    const char *rule;
    const char *what;
} directory_cases[] = {
    {"directory @1 -> truncate_body(keep=0)", "truncated:0"},
    {"directory @1 -> truncate_body(keep=37)", "truncated:37"},
    {"directory @1 -> truncate_body(keep=99)", "truncated:99"},
    {"directory @1 -> empty_body()", "empty"},
    {"directory @1 -> invalid_json(body=nested)", "junk"},
    {"directory @1 -> invalid_json(body=trailing)", "junk"},
    {"directory @1 -> content_type(value=none)", "ctype"},
    {"directory @1 -> content_type(value=html)", "ctype"},
    {"directory @1 -> retry_after_twice()", "twice"},
    {"directory @1 -> no_replay_nonce()", "unchanged"}, /* a GET has none */
    {"directory @1 -> bad_replay_nonce()", "bad_nonce"},
    {"directory @1 -> directory_extras()", "extras"},
    {"directory @1 -> unknown_fields()", "unknown"},
    {"directory @1 -> drop_field(field=newNonce)", "drop:newNonce"},
    {"directory @1 -> wrong_type(field=newOrder, type=number)", "retype:newOrder"},
    {"directory @1 -> wrong_type(field=newOrder, type=huge_string)", "retype:newOrder"},
    {"directory @1 -> drop_field(field=token)", "unchanged"}, /* not in a directory */
    {"directory @1 -> bogus_status(status=s0)", "unchanged"}, /* no status member */
    {"directory @1 -> shuffle()", "unchanged"},
    {"directory @1 -> no_location()", "unchanged"},
};

START_TEST(test_fault_engine_after_faults_edit_the_response)
{
    fe t;
    fe_start(&t, directory_cases[_i].rule);
    const char *what = directory_cases[_i].what;
    afz_response bad, good;
    fe_plain(&t, "GET", U("/directory"), &bad);
    fe_plain(&t, "GET", U("/directory"), &good);
    ck_assert_int_eq(good.status, 200);
    ck_assert_int_eq(bad.status, 200);
    const afz_rule *rule = &t.plan.rules[0];
    const char *b = bad.body ? (const char *)bad.body : "";
    if (strncmp(what, "truncated:", 10) == 0) {
        ck_assert_uint_eq(bad.body_len, good.body_len * rule->args[0] / 100);
        ck_assert_int_eq(memcmp(bad.body ? (const void *)bad.body : "", good.body, bad.body_len),
                         0);
    } else if (strcmp(what, "empty") == 0) {
        ck_assert_uint_eq(bad.body_len, 0);
    } else if (strcmp(what, "junk") == 0) {
        ck_assert_str_eq(b, afz_arg_junk(rule->args[0]));
        cJSON *j = NULL;
        ck_assert_int_ne(afz_json_parse_object(bad.body, bad.body_len, &j), AFZ_OK);
    } else if (strcmp(what, "ctype") == 0) {
        const char *want = afz_arg_ctype(rule->args[0]);
        const char *got = afz_headers_get(&bad.headers, "Content-Type");
        if (want)
            ck_assert_str_eq(got, want);
        else
            ck_assert_ptr_null(got);
    } else if (strcmp(what, "twice") == 0) {
        ck_assert_uint_eq(afz_headers_count(&bad.headers, "Retry-After"), 2);
    } else if (strcmp(what, "bad_nonce") == 0) {
        const char *n = afz_headers_get(&bad.headers, "Replay-Nonce");
        ck_assert_ptr_nonnull(n);
        ck_assert(strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
                  strlen(n));
    } else if (strcmp(what, "unchanged") == 0) {
        ck_assert_uint_eq(bad.body_len, good.body_len);
        ck_assert_int_eq(memcmp(bad.body, good.body, good.body_len), 0);
        ck_assert_uint_eq(bad.headers.n, good.headers.n);
        ck_assert_uint_eq(fe_faults(&t), 0);
    } else {
        cJSON *j = fe_json(&bad), *g = fe_json(&good);
        if (strcmp(what, "extras") == 0) {
            ck_assert_ptr_nonnull(afz_json_str(j, "xFutureResource"));
            ck_assert_ptr_nonnull(afz_json_object(afz_json_object(j, "meta"), "profiles"));
            /* the known entries stay */
            ck_assert_str_eq(afz_json_str(j, "newOrder"), afz_json_str(g, "newOrder"));
            ck_assert_ptr_nonnull(afz_json_str(afz_json_object(j, "meta"), "termsOfService"));
        } else if (strcmp(what, "unknown") == 0) {
            ck_assert_ptr_nonnull(afz_json_str(j, "unknownField"));
            ck_assert_int_eq(cJSON_GetArraySize(j), cJSON_GetArraySize(g) + 2);
        } else if (strncmp(what, "drop:", 5) == 0) {
            ck_assert(!cJSON_HasObjectItem(j, what + 5));
            ck_assert(cJSON_HasObjectItem(g, what + 5));
            ck_assert_int_eq(cJSON_GetArraySize(j), cJSON_GetArraySize(g) - 1);
        } else if (strncmp(what, "retype:", 7) == 0) {
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, what + 7);
            ck_assert_ptr_nonnull(x);
            if (rule->args[1] == AFZ_JTYPE_NUMBER)
                ck_assert(cJSON_IsNumber(x));
            else
                ck_assert_uint_eq(strlen(cJSON_GetStringValue(x)), 65536);
        } else {
            ck_abort_msg("no check for %s", what);
        }
        cJSON_Delete(j);
        cJSON_Delete(g);
    }
    if (strcmp(what, "unchanged") != 0)
        ck_assert_uint_eq(fe_faults(&t), 1);
    afz_response_cleanup(&bad);
    afz_response_cleanup(&good);
    fe_free(&t);
}
END_TEST

START_TEST(test_fault_engine_json_faults_edit_order_objects)
{
    /* _i: 0 drop_field, 1 wrong_type, 2 bogus_status (every value),
     * 3 shuffle, 4 unknown_challenge, 5 no_location */
    static const char *const rules[] = {
        "newOrder @2 -> drop_field(field=finalize)",
        "newOrder @2 -> wrong_type(field=authorizations, type=string)",
        "newOrder @2 -> bogus_status(status=s6)",
        "newOrder @2 -> shuffle()",
        "authorization @2 -> unknown_challenge()",
        "newOrder @2 -> no_location()",
    };
    fe t;
    fe_start(&t, rules[_i]);
    fe_account(&t);
    afz_response r1, r2;
    fe_new_order(&t, IDS_TWO, &r1);
    fe_new_order(&t, IDS_TWO, &r2);
    ck_assert_int_eq(r1.status, 201);
    ck_assert_int_eq(r2.status, 201);
    cJSON *a = fe_json(&r1), *b = fe_json(&r2);
    switch (_i) {
    case 0:
        ck_assert(cJSON_HasObjectItem(a, "finalize"));
        ck_assert(!cJSON_HasObjectItem(b, "finalize"));
        break;
    case 1:
        ck_assert(cJSON_IsArray(cJSON_GetObjectItem(a, "authorizations")));
        ck_assert(cJSON_IsString(cJSON_GetObjectItem(b, "authorizations")));
        break;
    case 2:
        ck_assert_str_eq(afz_json_str(b, "status"), afz_arg_status(6));
        break;
    case 3: {
        const char *ia0 =
            afz_json_str(cJSON_GetArrayItem(afz_json_array(a, "identifiers"), 0), "value");
        const char *ib1 =
            afz_json_str(cJSON_GetArrayItem(afz_json_array(b, "identifiers"), 1), "value");
        ck_assert_str_eq(ia0, ib1);
        ck_assert_uint_eq(cJSON_GetArraySize(afz_json_array(b, "authorizations")), 2);
        break;
    }
    case 4: {
        afz_response x, y;
        cJSON *az1 = fe_fetch(&t, authz_url(a, 0), &x);
        cJSON *az2 = fe_fetch(&t, authz_url(a, 0), &y);
        ck_assert_str_ne(
            afz_json_str(cJSON_GetArrayItem(afz_json_array(az1, "challenges"), 0), "type"),
            "fuzz-01");
        ck_assert_str_eq(
            afz_json_str(cJSON_GetArrayItem(afz_json_array(az2, "challenges"), 0), "type"),
            "fuzz-01");
        ck_assert_int_eq(cJSON_GetArraySize(afz_json_array(az2, "challenges")),
                         cJSON_GetArraySize(afz_json_array(az1, "challenges")) + 1);
        cJSON_Delete(az1);
        cJSON_Delete(az2);
        afz_response_cleanup(&x);
        afz_response_cleanup(&y);
        break;
    }
    case 5:
        ck_assert_ptr_nonnull(afz_headers_get(&r1.headers, "Location"));
        ck_assert_ptr_null(afz_headers_get(&r2.headers, "Location"));
        break;
    default:
        ck_abort();
    }
    ck_assert_uint_eq(fe_faults(&t), 1);
    cJSON_Delete(a);
    cJSON_Delete(b);
    afz_response_cleanup(&r1);
    afz_response_cleanup(&r2);
    fe_free(&t);
}
END_TEST

/* ---- occurrences and composition ---- */

/* A fixed request sequence: which of its requests a rule hits. The
 * sequence is GET directory, HEAD nonce, GET directory, GET directory,
 * HEAD nonce, GET directory; |hits| marks them with 1. */
static const struct {
    const char *rule;
    int hits[6];
} occurrence_cases[] = {
    {"directory * -> retry_after(value=1)", {1, 0, 1, 1, 0, 1}},
    {"directory @1 -> retry_after(value=1)", {1, 0, 0, 0, 0, 0}},
    {"directory @2 -> retry_after(value=1)", {0, 0, 1, 0, 0, 0}},
    {"directory @4 -> retry_after(value=1)", {0, 0, 0, 0, 0, 1}},
    {"directory @5 -> retry_after(value=1)", {0, 0, 0, 0, 0, 0}},
    {"directory @3+ -> retry_after(value=1)", {0, 0, 0, 1, 0, 1}},
    {"directory @1+ -> retry_after(value=1)", {1, 0, 1, 1, 0, 1}},
    {"nonce @2 -> retry_after(value=1)", {0, 0, 0, 0, 1, 0}},
    {"any @2 -> retry_after(value=1)", {0, 1, 0, 0, 0, 0}},
    {"any @4 -> retry_after(value=1)", {0, 0, 0, 1, 0, 0}},
    {"any @5+ -> retry_after(value=1)", {0, 0, 0, 0, 1, 1}},
    {"any * -> retry_after(value=1)", {1, 1, 1, 1, 1, 1}},
    {"order * -> retry_after(value=1)", {0, 0, 0, 0, 0, 0}},
};

START_TEST(test_fault_engine_occurrences_select_the_right_requests)
{
    static const struct {
        const char *method, *path;
    } seq[6] = {{"GET", "/directory"}, {"HEAD", "/new-nonce"}, {"GET", "/directory"},
                {"GET", "/directory"}, {"HEAD", "/new-nonce"}, {"GET", "/directory"}};
    fe t;
    fe_start(&t, occurrence_cases[_i].rule);
    size_t want = 0;
    for (size_t i = 0; i < 6; i++) {
        afz_response r;
        fe_plain(&t, seq[i].method, U(seq[i].path), &r);
        ck_assert_int_eq(r.status, 200);
        ck_assert_msg((afz_headers_get(&r.headers, "Retry-After") != NULL) ==
                          occurrence_cases[_i].hits[i],
                      "%s: request %zu", occurrence_cases[_i].rule, i + 1);
        afz_response_cleanup(&r);
        want += (size_t)occurrence_cases[_i].hits[i];
    }
    ck_assert_uint_eq(fe_faults(&t), want);
    fe_free(&t);
}
END_TEST

START_TEST(test_fault_engine_answered_requests_still_count)
{
    /* the badNonce answer is newOrder #1, so the retry is newOrder #2 */
    fe t;
    fe_start(&t, "newOrder @1 -> bad_nonce()\nnewOrder @2 -> unknown_fields()\n");
    fe_account(&t);
    afz_response r;
    fe_new_order(&t, IDS_ONE, &r);
    ck_assert_int_eq(r.status, 400);
    afz_response_cleanup(&r);
    fe_new_order(&t, IDS_ONE, &r);
    ck_assert_int_eq(r.status, 201);
    ck_assert(body_has(&r, "unknownField"));
    afz_response_cleanup(&r);
    ck_assert_uint_eq(fe_faults(&t), 2);
    fe_free(&t);
}
END_TEST

START_TEST(test_fault_engine_rules_compose_in_order)
{
    afz_response r;
    fe t;
    /* two AFTER edits of one response both apply */
    fe_start(&t, "directory @1 -> unknown_fields()\ndirectory @1 -> retry_after(value=2)\n");
    fe_plain(&t, "GET", U("/directory"), &r);
    ck_assert(body_has(&r, "unknownField"));
    ck_assert_str_eq(afz_headers_get(&r.headers, "Retry-After"), "2");
    afz_response_cleanup(&r);
    ck_assert_uint_eq(fe_faults(&t), 2);
    fe_free(&t);
    /* a lost response takes no further edits */
    fe_start(&t, "directory @1 -> drop_connection()\ndirectory @1 -> retry_after(value=2)\n");
    fe_plain(&t, "GET", U("/directory"), &r);
    ck_assert_int_eq(r.status, 0);
    afz_response_cleanup(&r);
    ck_assert_uint_eq(fe_faults(&t), 1);
    fe_free(&t);
    /* the first BEFORE rule answers; AFTER rules do not see injected answers */
    fe_start(&t, "newOrder @1 -> server_internal()\nnewOrder @1 -> rate_limited(retry_after=30)\n"
                 "newOrder @1 -> retry_after(value=1)\n");
    fe_account(&t);
    fe_new_order(&t, IDS_ONE, &r);
    ck_assert_int_eq(r.status, 500);
    ck_assert_ptr_null(afz_headers_get(&r.headers, "Retry-After"));
    afz_response_cleanup(&r);
    ck_assert_uint_eq(fe_faults(&t), 1);
    ck_assert_int_eq(t.hist.ev[t.hist.n_ev - 1].value, 1);
    fe_free(&t);
    /* a BEFORE rule that does not apply (bad_nonce on a GET) lets the next
     * one answer */
    fe_start(&t, "directory @1 -> bad_nonce()\ndirectory @1 -> unavailable(retry_after=3)\n");
    fe_plain(&t, "GET", U("/directory"), &r);
    ck_assert_int_eq(r.status, 503);
    ck_assert_str_eq(afz_headers_get(&r.headers, "Retry-After"), "3");
    afz_response_cleanup(&r);
    ck_assert_uint_eq(fe_faults(&t), 1);
    ck_assert_int_eq(t.hist.ev[t.hist.n_ev - 1].value, 2);
    fe_free(&t);
}
END_TEST

/* ---- events ---- */

START_TEST(test_fault_engine_fault_events_name_their_rule)
{
    afz_plan p = plan_of("finalize * -> async_finalize(polls=1, delay=0s, retry_after=1)\n"
                         "order @1 -> unknown_fields()\n"
                         "authorization * -> authz_pending(polls=1, delay=0s, retry_after=none)\n"
                         "directory @1+ -> retry_after(value=2)\n");
    afz_run_result r;
    run_plan(&p, &r);
    ck_assert_int_eq(r.client_rc, AFZ_OK);
    const afz_history *h = &r.history;
    /* CONFIG rules: one event each, before the first exchange */
    size_t n_config = 0;
    for (size_t i = 0; i < h->n_ev; i++) {
        const afz_event *ev = &h->ev[i];
        if (ev->kind != AFZ_EV_FAULT_CONFIG)
            continue;
        n_config++;
        ck_assert_uint_eq(ev->exchange, 0);
        ck_assert_int_eq(ev->mono_ms, 0);
        ck_assert(ev->value == 1 || ev->value == 3);
    }
    ck_assert_uint_eq(n_config, 2);
    ck_assert_str_eq(h->ev[0].detail,
                     "rule 1: finalize * -> async_finalize(polls=1, delay=0s, retry_after=1)");
    /* AFTER rules: an event in the exchange they changed */
    const afz_exchange *order1 = nth_exchange(h, AFZ_RES_ORDER, 1);
    ck_assert_ptr_nonnull(order1);
    const afz_event *ev = event_at(h, AFZ_EV_FAULT, order1->index);
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(ev->value, 2);
    ck_assert_str_eq(ev->detail, "rule 2: order @1 -> unknown_fields()");
    ck_assert(body_has(&order1->resp, "unknownField"));
    size_t dir = 0;
    for (size_t i = 0; i < h->n_ev; i++)
        if (h->ev[i].kind == AFZ_EV_FAULT && h->ev[i].value == 4) {
            ck_assert_str_eq(h->ev[i].detail, "rule 4: directory @1+ -> retry_after(value=2)");
            ck_assert_int_eq(h->ex[h->ev[i].exchange].resource, AFZ_RES_DIRECTORY);
            dir++;
        }
    ck_assert_uint_gt(dir, 0);
    ck_assert_uint_eq(count_events(h, AFZ_EV_FAULT), dir + 1);
    afz_run_result_cleanup(&r);
}
END_TEST

START_TEST(test_fault_engine_configure_folds_config_rules_only)
{
    afz_plan p = plan_of("finalize * -> async_finalize(polls=4, delay=5s, retry_after=date+1s)\n"
                         "authorization * -> authz_pending(polls=2, delay=10s, retry_after=30)\n"
                         "certificate * -> alternate_chains(count=3)\n"
                         "newOrder * -> order_expires(after=0s)\n"
                         "newOrder * -> order_reuse()\n"
                         "newOrder * -> authz_reuse()\n"
                         "newOrder * -> order_ready()\n"
                         "order @1 -> stale_status(status=ready)\n");
    afz_server_config c, d;
    afz_server_config_default(&c);
    afz_server_config_default(&d);
    afz_fault_configure(&p, &c);
    ck_assert_int_eq(c.async_finalize, 1);
    ck_assert_uint_eq(c.finalize_polls, 4);
    ck_assert_int_eq(c.finalize_delay_ms, 5000);
    ck_assert_int_eq(c.order_retry_after_s, 1);
    ck_assert_int_eq(c.order_retry_after_date, 1);
    ck_assert_uint_eq(c.authz_pending_polls, 2);
    ck_assert_int_eq(c.validation_delay_ms, 10000);
    ck_assert_int_eq(c.authz_retry_after_s, 30);
    ck_assert_int_eq(c.authz_retry_after_date, 0);
    ck_assert_uint_eq(c.alternate_chains, 3);
    ck_assert_int_eq(c.order_lifetime_s, 1); /* 0 s would read as "default" */
    ck_assert_int_eq(c.order_reuse, 1);
    ck_assert_int_eq(c.authz_prevalidated, 1);
    ck_assert_int_eq(c.order_ready_at_creation, 1);
    ck_assert_int_eq(c.finalize_fails, 0);
    ck_assert_int_eq(c.validation_fails, 0);
    /* later rules override earlier ones */
    afz_plan q = plan_of("finalize * -> async_finalize(polls=4, delay=5s, retry_after=2)\n"
                         "finalize * -> sync_finalize()\n");
    afz_fault_configure(&q, &d);
    ck_assert_int_eq(d.async_finalize, 0);
    /* a plan without CONFIG rules leaves the defaults */
    afz_plan e = plan_of("order @1 -> stale_status(status=ready)\nany * -> shuffle()\n"
                         "any @3 -> bad_nonce()\n");
    afz_server_config_default(&c);
    afz_fault_configure(&e, &c);
    afz_server_config_default(&d);
    ck_assert_int_eq(c.async_finalize, d.async_finalize);
    ck_assert_uint_eq(c.finalize_polls, d.finalize_polls);
    ck_assert_int_eq(c.finalize_delay_ms, d.finalize_delay_ms);
    ck_assert_int_eq(c.order_retry_after_s, d.order_retry_after_s);
    ck_assert_uint_eq(c.authz_pending_polls, d.authz_pending_polls);
    ck_assert_int_eq(c.validation_delay_ms, d.validation_delay_ms);
    ck_assert_int_eq(c.authz_retry_after_s, d.authz_retry_after_s);
    ck_assert_int_eq(c.order_lifetime_s, d.order_lifetime_s);
    ck_assert_uint_eq(c.alternate_chains, d.alternate_chains);
    ck_assert_int_eq(c.order_reuse, d.order_reuse);
    ck_assert_int_eq(c.authz_prevalidated, d.authz_prevalidated);
    ck_assert_int_eq(c.order_ready_at_creation, d.order_ready_at_creation);
    ck_assert_int_eq(c.finalize_fails, d.finalize_fails);
    ck_assert_int_eq(c.validation_fails, d.validation_fails);
    /* the failure and forever knobs */
    afz_plan f = plan_of("finalize * -> processing_forever(retry_after=none)\n"
                         "authorization * -> authz_pending_forever(retry_after=date+30s)\n"
                         "finalize * -> order_invalid()\n"
                         "authorization * -> authz_invalid()\n");
    afz_server_config_default(&c);
    afz_fault_configure(&f, &c);
    ck_assert_int_eq(c.async_finalize, 1);
    ck_assert_uint_eq(c.finalize_polls, UINT32_MAX);
    ck_assert_int_lt(c.order_retry_after_s, 0);
    ck_assert_uint_eq(c.authz_pending_polls, UINT32_MAX);
    ck_assert_int_eq(c.authz_retry_after_s, 30);
    ck_assert_int_eq(c.authz_retry_after_date, 1);
    ck_assert_int_eq(c.finalize_fails, 1);
    ck_assert_int_eq(c.validation_fails, 1);
}
END_TEST

START_TEST(test_fault_engine_same_plan_same_history)
{
    afz_plan p = plan_of("identifiers 2\n"
                         "finalize * -> async_finalize(polls=2, delay=1s, retry_after=1)\n"
                         "any @7 -> bad_nonce()\n"
                         "order * -> unknown_fields()\n"
                         "authorization @1 -> shuffle()\n");
    afz_run_result a, b;
    run_plan(&p, &a);
    run_plan(&p, &b);
    afz_buf ja, jb;
    afz_buf_init(&ja, 0);
    afz_buf_init(&jb, 0);
    ck_assert_int_eq(afz_history_to_json(&a.history, &ja), AFZ_OK);
    ck_assert_int_eq(afz_history_to_json(&b.history, &jb), AFZ_OK);
    ck_assert_uint_eq(ja.len, jb.len);
    ck_assert_int_eq(memcmp(ja.data, jb.data, ja.len), 0);
    ck_assert_int_eq(a.client_rc, AFZ_OK);
    afz_buf_cleanup(&ja);
    afz_buf_cleanup(&jb);
    afz_run_result_cleanup(&a);
    afz_run_result_cleanup(&b);
}
END_TEST

/* An anchored selector names a protocol phase: "order @1 after finalize"
 * is the first order read after the accepted finalize, however many
 * times the client read the order before it finalized. (Counting from
 * the start, "order @2" lands before the finalize for a client that
 * reads the order twice first.) */
static size_t anchored_fault_exchange(const char *text, size_t *finalize_at)
{
    afz_plan p = plan_of(text);
    afz_run_result r;
    run_plan(&p, &r);
    ck_assert_int_eq(r.client_rc, AFZ_OK);
    const afz_history *h = &r.history;
    *finalize_at = SIZE_MAX;
    for (size_t i = 0; i < h->n_ex && *finalize_at == SIZE_MAX; i++)
        if (h->ex[i].resource == AFZ_RES_FINALIZE && h->ex[i].resp.status / 100 == 2)
            *finalize_at = i;
    ck_assert_uint_ne(*finalize_at, SIZE_MAX);
    size_t fault_ex = SIZE_MAX, faults = 0;
    for (size_t i = 0; i < h->n_ev; i++)
        if (h->ev[i].kind == AFZ_EV_FAULT && h->ev[i].detail &&
            strstr(h->ev[i].detail, "after finalize")) {
            fault_ex = h->ev[i].exchange;
            faults++;
        }
    ck_assert_uint_eq(faults, 1);
    ck_assert_int_eq(h->ex[fault_ex].resource, AFZ_RES_ORDER);
    /* the first order read after the finalize */
    for (size_t i = *finalize_at + 1; i < fault_ex; i++)
        ck_assert_int_ne(h->ex[i].resource, AFZ_RES_ORDER);
    afz_run_result_cleanup(&r);
    return fault_ex;
}

START_TEST(test_fault_engine_anchor_counts_from_the_phase)
{
    size_t fin_a, fin_b;
    /* the order is read once before the finalize */
    size_t a =
        anchored_fault_exchange("finalize * -> async_finalize(polls=2, delay=3s, retry_after=1)\n"
                                "order @1 after finalize -> stale_status(status=ready)\n",
                                &fin_a);
    /* a 503 on the first order read makes the client read it twice first */
    size_t b =
        anchored_fault_exchange("finalize * -> async_finalize(polls=2, delay=3s, retry_after=1)\n"
                                "order @1 -> unavailable(retry_after=1)\n"
                                "order @1 after finalize -> stale_status(status=ready)\n",
                                &fin_b);
    ck_assert_uint_gt(fin_b, fin_a);
    ck_assert_uint_eq(a - fin_a, b - fin_b);
    /* an anchor never reached: the rule never fires */
    afz_plan p = plan_of("order * after revokeCert -> stale_status(status=ready)\n");
    afz_run_result r;
    run_plan(&p, &r);
    ck_assert_int_eq(r.client_rc, AFZ_OK);
    ck_assert_uint_eq(count_events(&r.history, AFZ_EV_FAULT), 0);
    afz_run_result_cleanup(&r);
}
END_TEST

Suite *fault_engine_suite(void)
{
    Suite *s = suite_create("fault_engine");
    /* One TCase, so the world (CA and keys) is made once per process. */
    TCase *tc = tcase_create("engine");
    tcase_add_unchecked_fixture(tc, world_setup, world_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_fault_engine_every_fault_with_reference, 0, AFZ_FAULT__COUNT);
    tcase_add_test(tc, test_fault_engine_bad_nonce_is_answered_before_the_model);
    tcase_add_test(tc, test_fault_engine_bad_nonce_spares_requests_without_a_nonce);
    tcase_add_loop_test(tc, test_fault_engine_before_faults_answer_in_place_of_the_model, 0,
                        (int)(sizeof(before_cases) / sizeof(before_cases[0])));
    tcase_add_loop_test(tc, test_fault_engine_injected_refusals_spend_the_nonce, 0,
                        (int)(sizeof(spend_cases) / sizeof(spend_cases[0])));
    tcase_add_test(tc, test_fault_engine_refusals_spend_only_authenticated_nonces);
    tcase_add_loop_test(tc, test_fault_engine_spent_nonces_do_not_hurt_the_reference_client, 0, 3);
    tcase_add_test(tc, test_fault_engine_spare_nonce_adds_a_usable_nonce);
    tcase_add_test(tc, test_fault_engine_spare_nonce_keeps_the_reference_client_whole);
    tcase_add_test(tc, test_fault_engine_certificate_early_names_the_url_before_valid);
    tcase_add_test(tc, test_fault_engine_certificate_early_spares_a_client_that_waits);
    tcase_add_test(tc, test_fault_engine_order_not_ready_refuses_a_ready_order);
    tcase_add_loop_test(tc, test_fault_engine_async_finalize_holds_processing_for_n_polls, 0, 16);
    tcase_add_test(tc, test_fault_engine_async_finalize_waits_out_its_delay);
    tcase_add_test(tc, test_fault_engine_processing_forever_never_issues);
    tcase_add_loop_test(tc, test_fault_engine_authz_pending_holds_for_n_polls, 0, 16);
    tcase_add_test(tc, test_fault_engine_authz_pending_forever_never_validates);
    tcase_add_test(tc, test_fault_engine_authz_invalid_fails_challenge_authz_and_order);
    tcase_add_loop_test(tc, test_fault_engine_order_invalid_fails_after_finalize, 0, 2);
    tcase_add_test(tc, test_fault_engine_order_reuse_hands_back_the_same_order);
    tcase_add_test(tc, test_fault_engine_order_reuse_serves_a_retrying_campaign);
    tcase_add_loop_test(tc, test_fault_engine_order_ready_and_authz_reuse_skip_validation, 0, 2);
    tcase_add_test(tc, test_fault_engine_order_expires_after_its_lifetime);
    tcase_add_loop_test(tc, test_fault_engine_alternate_chains_links_n_chains, 0, 16);
    tcase_add_loop_test(tc, test_fault_engine_retry_after_writes_each_form, 0,
                        (int)afz_arg_domain(AFZ_ARG_RA));
    tcase_add_loop_test(tc, test_fault_engine_retry_after_bad_writes_the_literal, 0,
                        (int)afz_arg_domain(AFZ_ARG_RA_BAD));
    tcase_add_test(tc, test_fault_engine_drop_connection_loses_a_processed_response);
    tcase_add_loop_test(tc, test_fault_engine_timeout_advances_virtual_time, 0,
                        (int)afz_arg_domain(AFZ_ARG_SECONDS));
    tcase_add_test(tc, test_fault_engine_timeout_shows_in_the_run);
    tcase_add_loop_test(tc, test_fault_engine_stale_status_rewrites_only_processing_and_valid, 0,
                        (int)afz_arg_domain(AFZ_ARG_STALE));
    tcase_add_loop_test(tc, test_fault_engine_certificate_late_hides_it_for_n_valid_responses, 0,
                        16);
    tcase_add_test(tc, test_fault_engine_valid_without_certificate_drops_the_field);
    tcase_add_loop_test(tc, test_fault_engine_invalid_pem_breaks_the_chain, 0, AFZ_PEM__COUNT);
    tcase_add_test(tc, test_fault_engine_chain_reversed_puts_the_intermediate_first);
    tcase_add_loop_test(tc, test_fault_engine_after_faults_edit_the_response, 0,
                        (int)(sizeof(directory_cases) / sizeof(directory_cases[0])));
    tcase_add_loop_test(tc, test_fault_engine_json_faults_edit_order_objects, 0, 6);
    tcase_add_loop_test(tc, test_fault_engine_occurrences_select_the_right_requests, 0,
                        (int)(sizeof(occurrence_cases) / sizeof(occurrence_cases[0])));
    tcase_add_test(tc, test_fault_engine_answered_requests_still_count);
    tcase_add_test(tc, test_fault_engine_rules_compose_in_order);
    tcase_add_test(tc, test_fault_engine_fault_events_name_their_rule);
    tcase_add_test(tc, test_fault_engine_configure_folds_config_rules_only);
    tcase_add_test(tc, test_fault_engine_same_plan_same_history);
    tcase_add_test(tc, test_fault_engine_anchor_counts_from_the_phase);
    suite_add_tcase(s, tc);
    return s;
}
