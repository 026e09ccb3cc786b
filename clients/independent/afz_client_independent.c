/* afz_client_independent.c - the independent ACME client (afz_independent.h).
 *
 * One table-driven state machine: an enum of states, one step function
 * per state, and each step returns the next state explicitly. The steps
 * share one exchange layer (ind_send) that owns everything RFC 8555 asks
 * of every request: a fresh nonce per JWS (6.5), badNonce retried with the
 * error's nonce, 429/503 waited out, lost answers retried only where a
 * repeat is harmless, and Retry-After honoured per URL (a "gate").
 *
 *   DIRECTORY -> ACCOUNT -> NEW_ORDER -+-> AUTHZ <-> CHALLENGE
 *                                      |     |
 *                                      +-> ORDER <-> FINALIZE
 *                                            |
 *                                            +-> DOWNLOAD -> DONE
 *   (any step) -> FAILED
 *
 * Finalize discipline (RFC 8555 7.4): at most one accepted finalize per
 * order; none once the order was seen "processing", "valid" or "invalid";
 * after a lost finalize answer the order is polled first, and finalized
 * again only when it still shows "ready". Everything is bounded: requests,
 * steps, polls per resource, retries per request, finalizes, downloads. */
#include "afz_independent.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "afz_ind_internal.h"

#define IND_URL_MAX 2048
#define IND_TOKEN_MAX 128
#define IND_MAX_IDENTIFIERS 100
#define IND_MAX_AUTHZ 100
#define IND_MAX_REQUESTS 200    /* HTTP requests per obtain call */
#define IND_MAX_STEPS 600       /* state transitions per obtain call */
#define IND_MAX_POLLS 40        /* fetches of one authorization, or of the order */
#define IND_MAX_URL_REQUESTS 45 /* requests to one of them, resends included */
#define IND_MAX_BAD_NONCE 3     /* badNonce retries per request */
#define IND_MAX_BUSY 3          /* 429 / 503 retries per request */
#define IND_MAX_SERVER_ERR 2    /* other 5xx retries, idempotent requests only */
#define IND_MAX_LOST 3          /* retries after no answer, idempotent requests only */
#define IND_MAX_NONCE_FETCH 3   /* HEAD newNonce tries per nonce */
#define IND_MAX_FINALIZE 3      /* finalize POSTs per order (refused or lost ones) */
#define IND_MAX_DOWNLOADS 3     /* certificate downloads (a broken body is fetched again) */
#define IND_MAX_CHALLENGE_POSTS 2
#define IND_FIRST_BACKOFF_MS 1000
#define IND_BACKOFF_CAP_MS 60000
#define IND_MIN_POLL_MS 1000    /* never poll one resource faster, whatever Retry-After says */
#define IND_EAGER_POLLS 5       /* polls paced by Retry-After alone before back-off adds in */
#define IND_MAX_WAIT_MS 3600000 /* a longer Retry-After is unusable */
#define IND_GATES 8
#define IND_USER_AGENT "acmefuzz-independent/0.1"

typedef enum ind_state {
    IND_ST_DIRECTORY,
    IND_ST_ACCOUNT,
    IND_ST_NEW_ORDER,
    IND_ST_AUTHZ,
    IND_ST_CHALLENGE,
    IND_ST_ORDER,
    IND_ST_FINALIZE,
    IND_ST_DOWNLOAD,
    IND_ST_DONE,
    IND_ST_FAILED,
    IND_ST_COUNT
} ind_state;

/* Object statuses (RFC 8555 7.1.6). OTHER: deactivated, expired,
 * revoked (final, useless here); UNKNOWN: missing or not a status. */
typedef enum ind_status {
    IND_S_UNKNOWN,
    IND_S_PENDING,
    IND_S_READY,
    IND_S_PROCESSING,
    IND_S_VALID,
    IND_S_INVALID,
    IND_S_OTHER
} ind_status;

/* The challenge types this client answers, in order of preference. */
static const char *const chal_types[] = {"http-01", "dns-01", "tls-alpn-01"};

/* A Retry-After instant to honour before the next request to |url|. */
typedef struct ind_gate {
    char url[IND_URL_MAX];
    int64_t not_before; /* env->now milliseconds */
} ind_gate;

typedef struct ind_ctx {
    const afz_env *env;
    const afz_obtain_params *p;
    afz_ind_key key;
    char new_nonce[IND_URL_MAX];
    char new_account[IND_URL_MAX];
    char new_order[IND_URL_MAX];
    char kid[IND_URL_MAX];
    char order[IND_URL_MAX];
    char finalize[IND_URL_MAX];
    char cert[IND_URL_MAX];
    char nonce[AFZ_IND_NONCE_MAX + 1]; /* "" when none is held */
    char *authz[IND_MAX_AUTHZ];
    size_t n_authz;
    size_t authz_i;                   /* the authorization being worked on */
    unsigned authz_polls, authz_step; /* its fetches, its back-off step */
    unsigned authz_reqs, order_reqs;  /* requests to it, and to the order */
    int have_chal, chal_type, chal_answered;
    unsigned chal_posts;
    char chal[IND_URL_MAX];
    char token[IND_TOKEN_MAX];
    unsigned order_polls, order_step;
    int authz_done;        /* every authorization was seen valid */
    int finalize_accepted; /* a finalize got a 2xx */
    int finalize_unknown;  /* a finalize got no answer: maybe accepted */
    int order_progressed;  /* the order was seen processing, valid or invalid */
    unsigned finalizes, downloads;
    int64_t next_at; /* the next poll, not before (env->now ms; 0: at once) */
    char *csr;       /* base64url DER, made once */
    unsigned requests;
    ind_gate gates[IND_GATES];
    afz_rc rc;
    char reason[256];
    char *pem;
    size_t pem_len;
} ind_ctx;

typedef enum ind_method { IND_GET, IND_HEAD, IND_POST } ind_method;

/* One request as a step wants it sent. */
typedef struct ind_call {
    ind_method method;
    const char *url;
    const char *payload; /* POST: the JSON payload; "" is POST-as-GET (6.3) */
    int use_jwk;         /* newAccount: sign with "jwk" instead of "kid" */
    int accept_pem;      /* certificate download */
    unsigned max_lost;   /* resends after no answer: 0 where a repeat may do harm */
    int retry_5xx;       /* resend after a 500 (idempotent requests) */
} ind_call;

typedef struct ind_reply {
    afz_response resp;
    cJSON *json;   /* the body when it is a JSON object, else NULL */
    int64_t at;    /* env->now when it arrived */
    afz_ind_ra ra; /* its Retry-After */
    int64_t ra_ms;
} ind_reply;

typedef ind_state (*ind_step)(ind_ctx *c);

/* ---- small helpers ------------------------------------------------------ */

/* rc_name: this client's own names for afz_rc values, for reasons. */
static const char *rc_name(afz_rc rc)
{
    switch (rc) {
    case AFZ_OK:
        return "ok";
    case AFZ_ENOMEM:
        return "out of memory";
    case AFZ_EINVAL:
        return "invalid argument";
    case AFZ_EPARSE:
        return "unparsable";
    case AFZ_ECRYPTO:
        return "crypto failure";
    case AFZ_EIO:
        return "I/O error";
    case AFZ_ELIMIT:
        return "request limit reached";
    case AFZ_ENOTFOUND:
        return "not found";
    case AFZ_ETRANSPORT:
        return "no answer";
    case AFZ_EBUDGET:
        return "budget spent";
    case AFZ_EPROTO:
        return "protocol error";
    case AFZ_EFAIL:
        return "failed";
    }
    return "unknown error";
}

static ind_state ind_fail(ind_ctx *c, afz_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static ind_state ind_fail(ind_ctx *c, afz_rc rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
    va_end(ap);
    c->rc = rc;
    return IND_ST_FAILED;
}

/* ind_fail_rc fails on a non-OK afz_rc from the exchange layer. */
static ind_state ind_fail_rc(ind_ctx *c, afz_rc rc, const char *what)
{
    if (rc == AFZ_EBUDGET)
        return ind_fail(c, rc, "%s: the run's budget is spent", what);
    if (rc == AFZ_ETRANSPORT)
        return ind_fail(c, rc, "%s: no answer", what);
    return ind_fail(c, rc, "%s: %s", what, rc_name(rc));
}

static int ascii_lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

static int ascii_caseeq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b))
            return 0;
    return *a == *b;
}

/* url_ok accepts an absolute http(s) URL with a host, printable, bounded. */
static int url_ok(const char *s)
{
    if (!s)
        return 0;
    size_t skip;
    if (strncmp(s, "https://", 8) == 0 || strncmp(s, "HTTPS://", 8) == 0)
        skip = 8;
    else if (strncmp(s, "http://", 7) == 0 || strncmp(s, "HTTP://", 7) == 0)
        skip = 7;
    else
        return 0;
    if (s[skip] == '\0' || s[skip] == '/' || s[skip] == '?' || s[skip] == '#')
        return 0;
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= IND_URL_MAX - 1 || (unsigned char)s[n] <= 0x20 || (unsigned char)s[n] >= 0x7f)
            return 0;
    return 1;
}

static int copy_url(char dst[IND_URL_MAX], const char *src)
{
    if (!url_ok(src))
        return 0;
    snprintf(dst, IND_URL_MAX, "%s", src);
    return 1;
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static ind_status status_of(const cJSON *o)
{
    static const struct {
        const char *name;
        ind_status st;
    } names[] = {
        {"pending", IND_S_PENDING}, {"ready", IND_S_READY},     {"processing", IND_S_PROCESSING},
        {"valid", IND_S_VALID},     {"invalid", IND_S_INVALID}, {"deactivated", IND_S_OTHER},
        {"expired", IND_S_OTHER},   {"revoked", IND_S_OTHER},
    };
    const char *s = jstr(o, "status");
    if (s)
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (strcmp(s, names[i].name) == 0)
                return names[i].st;
    return IND_S_UNKNOWN;
}

/* problem_is: the reply is an RFC 7807 problem of ACME type |name| (6.7). */
static int problem_is(const ind_reply *r, const char *name)
{
    static const char ns[] = "urn:ietf:params:acme:error:";
    const char *t = r->json ? jstr(r->json, "type") : NULL;
    return t && strncmp(t, ns, sizeof(ns) - 1) == 0 && strcmp(t + sizeof(ns) - 1, name) == 0;
}

/* problem_text: "type: detail" of a problem reply, for failure reasons. */
static const char *problem_text(const ind_reply *r, char *buf, size_t n)
{
    const char *t = r->json ? jstr(r->json, "type") : NULL;
    const char *d = r->json ? jstr(r->json, "detail") : NULL;
    snprintf(buf, n, "%.80s%s%.80s", t ? t : "no problem document", d ? ": " : "", d ? d : "");
    return buf;
}

static const char *header_get(const afz_headers *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->v[i].name && ascii_caseeq(h->v[i].name, name))
            return h->v[i].value;
    return NULL;
}

static int64_t backoff_ms(unsigned step)
{
    int64_t ms = IND_FIRST_BACKOFF_MS;
    for (unsigned i = 0; i < step && ms < IND_BACKOFF_CAP_MS; i++)
        ms *= 2;
    return ms < IND_BACKOFF_CAP_MS ? ms : IND_BACKOFF_CAP_MS;
}

static int64_t now_ms(const ind_ctx *c)
{
    return c->env->now(c->env->ctx);
}

static afz_rc sleep_until(ind_ctx *c, int64_t when)
{
    int64_t now = now_ms(c);
    return when > now ? c->env->sleep(c->env->ctx, when - now) : AFZ_OK;
}

/* pace_ms is the least wait before poll |step| when the server gave a
 * Retry-After: a second for the first IND_EAGER_POLLS polls, then doubling
 * to the cap. Retry-After is a floor ("how long the user agent ought to
 * wait", RFC 9110 10.2.3), never a licence to poll every second for
 * ever: a server answering "Retry-After: 0" forever would spend the poll
 * budget in half a minute. */
static int64_t pace_ms(unsigned step)
{
    return step < IND_EAGER_POLLS ? IND_MIN_POLL_MS : backoff_ms(step - IND_EAGER_POLLS + 1);
}

/* schedule sets the next poll of a resource from its last reply: its
 * Retry-After when usable (RFC 8555 7.4, 7.5.1), never sooner than
 * pace_ms; without a usable one, exponential back-off from a second. */
static void schedule(ind_ctx *c, const ind_reply *r, unsigned *step)
{
    int64_t wait;
    if (r && r->ra == AFZ_IND_RA_OK)
        wait = r->ra_ms > pace_ms(*step) ? r->ra_ms : pace_ms(*step);
    else
        wait = backoff_ms(*step);
    if (*step < 64)
        (*step)++;
    c->next_at = (r ? r->at : now_ms(c)) + wait;
}

/* ---- gates: Retry-After per URL ---------------------------------------- */

static void gate_set(ind_ctx *c, const char *url, int64_t when)
{
    ind_gate *slot = NULL;
    for (size_t i = 0; i < IND_GATES; i++)
        if (strcmp(c->gates[i].url, url) == 0) {
            if (c->gates[i].not_before < when)
                c->gates[i].not_before = when;
            return;
        }
    /* A free slot, else the one that opens first (the least to lose). */
    for (size_t i = 0; i < IND_GATES; i++)
        if (!slot || !c->gates[i].url[0] || c->gates[i].not_before < slot->not_before) {
            slot = &c->gates[i];
            if (!slot->url[0])
                break;
        }
    snprintf(slot->url, sizeof(slot->url), "%s", url);
    slot->not_before = when;
}

static afz_rc gate_wait(ind_ctx *c, const char *url)
{
    for (size_t i = 0; i < IND_GATES; i++)
        if (strcmp(c->gates[i].url, url) == 0)
            return sleep_until(c, c->gates[i].not_before);
    return AFZ_OK;
}

/* ---- the exchange layer ------------------------------------------------ */

static void reply_cleanup(ind_reply *r)
{
    afz_response_cleanup(&r->resp);
    cJSON_Delete(r->json);
    memset(r, 0, sizeof(*r));
}

static afz_rc req_header(afz_request *q, const char *name, const char *value)
{
    afz_headers *h = &q->headers;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 4;
        afz_header *v = realloc(h->v, cap * sizeof(*v));
        if (!v)
            return AFZ_ENOMEM;
        h->v = v;
        h->cap = cap;
    }
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return AFZ_ENOMEM;
    }
    h->v[h->n].name = n;
    h->v[h->n].value = v;
    h->n++;
    return AFZ_OK;
}

/* harvest keeps the newest valid Replay-Nonce of any response (6.5.1:
 * a client MUST ignore invalid ones). */
static void harvest_nonce(ind_ctx *c, const afz_response *resp)
{
    for (size_t i = 0; i < resp->headers.n; i++) {
        const afz_header *h = &resp->headers.v[i];
        if (h->name && ascii_caseeq(h->name, "Replay-Nonce") && afz_ind_nonce_ok(h->value)) {
            snprintf(c->nonce, sizeof(c->nonce), "%s", h->value);
            return;
        }
    }
}

static void read_retry_after(ind_ctx *c, ind_reply *r)
{
    const char *vals[2] = {NULL, NULL};
    size_t n = 0;
    for (size_t i = 0; i < r->resp.headers.n; i++) {
        const afz_header *h = &r->resp.headers.v[i];
        if (h->name && ascii_caseeq(h->name, "Retry-After")) {
            if (n < 2)
                vals[n] = h->value;
            n++;
        }
    }
    r->ra = afz_ind_retry_after(vals, n < 2 ? n : 2, r->at, IND_MAX_WAIT_MS, &r->ra_ms);
    (void)c;
}

/* exchange sends one HTTP request and reads what every answer carries:
 * its nonce, its Retry-After (an error's binds the URL: a gate), its JSON.
 * |body| may be NULL. AFZ_OK: |r| holds a response (any status). */
static afz_rc exchange(ind_ctx *c, ind_method m, const char *url, const char *body, int accept_pem,
                       ind_reply *r)
{
    static const char *const method_names[] = {"GET", "HEAD", "POST"};
    afz_request q;
    afz_rc rc;
    memset(r, 0, sizeof(*r));
    memset(&q, 0, sizeof(q));
    if (c->requests >= IND_MAX_REQUESTS)
        return AFZ_ELIMIT;
    /* Polls are bounded per resource, and so is every request to a polled
     * resource: resends after badNonce, 503 or a lost answer load the
     * server as much as polls do. */
    unsigned *per_url = NULL;
    if (c->order[0] && strcmp(url, c->order) == 0)
        per_url = &c->order_reqs;
    else if (c->authz_i < c->n_authz && strcmp(url, c->authz[c->authz_i]) == 0)
        per_url = &c->authz_reqs;
    if (per_url && *per_url >= IND_MAX_URL_REQUESTS)
        return AFZ_ELIMIT;
    if ((rc = gate_wait(c, url)) != AFZ_OK)
        return rc;
    snprintf(q.method, sizeof(q.method), "%s", method_names[m]);
    rc = AFZ_ENOMEM;
    if (!(q.url = strdup(url)))
        goto out;
    /* 6.1: "ACME clients MUST send a User-Agent header field". */
    if ((rc = req_header(&q, "User-Agent", IND_USER_AGENT)) != AFZ_OK)
        goto out;
    if (m == IND_POST && (rc = req_header(&q, "Content-Type", "application/jose+json")) != AFZ_OK)
        goto out;
    /* 7.4.2: the default format is application/pem-certificate-chain. */
    if (accept_pem &&
        (rc = req_header(&q, "Accept", "application/pem-certificate-chain")) != AFZ_OK)
        goto out;
    if (body) {
        size_t n = strlen(body);
        rc = AFZ_ENOMEM;
        if (!(q.body = malloc(n + 1)))
            goto out;
        memcpy(q.body, body, n + 1);
        q.body_len = n;
    }
    c->requests++;
    if (per_url)
        (*per_url)++;
    rc = c->env->http(c->env->ctx, &q, &r->resp);
    if (rc != AFZ_OK) {
        afz_response_cleanup(&r->resp);
        goto out;
    }
    r->at = now_ms(c);
    harvest_nonce(c, &r->resp);
    read_retry_after(c, r);
    /* RFC 9110 10.2.3 and RFC 8555 6.6: on an error, Retry-After says when
     * the same request may be made again. An unusable value still earns a
     * second's pause, never a hot loop. */
    if (r->resp.status >= 300 && r->ra == AFZ_IND_RA_OK)
        gate_set(c, url, r->at + r->ra_ms);
    else if (r->resp.status >= 300 && r->ra == AFZ_IND_RA_BAD)
        gate_set(c, url, r->at + IND_FIRST_BACKOFF_MS);
    if (r->resp.body && r->resp.body_len > 0) {
        size_t i = 0;
        while (i < r->resp.body_len && (r->resp.body[i] == ' ' || r->resp.body[i] == '\n' ||
                                        r->resp.body[i] == '\r' || r->resp.body[i] == '\t'))
            i++;
        if (i < r->resp.body_len && r->resp.body[i] == '{') {
            r->json = cJSON_ParseWithLength((const char *)r->resp.body, r->resp.body_len);
            if (r->json && !cJSON_IsObject(r->json)) {
                cJSON_Delete(r->json);
                r->json = NULL;
            }
        }
    }
    /* A resource still "pending" or "processing" may name when to look
     * again (7.4, 7.5.1, 8.2): that holds for every later request to it,
     * not only for the next poll of the loop that read it. */
    if (r->resp.status < 300 && r->ra == AFZ_IND_RA_OK && r->json) {
        ind_status st = status_of(r->json);
        if (st == IND_S_PENDING || st == IND_S_PROCESSING)
            gate_set(c, url, r->at + r->ra_ms);
    }
    rc = AFZ_OK;
out:
    afz_request_cleanup(&q);
    return rc;
}

/* fetch_nonce gets a nonce from newNonce (7.2) when none is held. */
static afz_rc fetch_nonce(ind_ctx *c)
{
    for (unsigned tries = 0; !c->nonce[0]; tries++) {
        ind_reply r;
        if (tries >= IND_MAX_NONCE_FETCH)
            return AFZ_EPROTO;
        if (tries > 0) {
            afz_rc rc = c->env->sleep(c->env->ctx, backoff_ms(tries - 1));
            if (rc != AFZ_OK)
                return rc;
        }
        afz_rc rc = exchange(c, IND_HEAD, c->new_nonce, NULL, 0, &r);
        if (rc == AFZ_ETRANSPORT)
            continue;
        if (rc != AFZ_OK)
            return rc;
        reply_cleanup(&r);
    }
    return AFZ_OK;
}

/* ind_send sends |call| until it gets an answer worth handing back:
 *  - POSTs carry a JWS over a nonce used once (6.5);
 *  - badNonce: resend with the nonce of the error response (6.5: "the
 *    client MUST use the nonce provided in the error response"), which
 *    exchange has already kept; without one, from newNonce;
 *  - 429 / 503: wait for Retry-After (the gate) or back off, resend;
 *  - other 5xx and lost answers: resend only if the call allows it.
 * AFZ_OK: |r| holds the final response; AFZ_ETRANSPORT: no answer. */
static afz_rc ind_send(ind_ctx *c, const ind_call *call, ind_reply *r)
{
    unsigned lost = 0, bad_nonce = 0, busy = 0, server = 0;
    for (;;) {
        char *jws = NULL;
        afz_rc rc;
        if (call->method == IND_POST) {
            if ((rc = fetch_nonce(c)) != AFZ_OK)
                return rc;
            rc = afz_ind_jws(&c->key, call->use_jwk ? NULL : c->kid, c->nonce, call->url,
                             call->payload, &jws);
            if (rc != AFZ_OK)
                return rc;
            c->nonce[0] = '\0'; /* spent, whatever happens next */
        }
        rc = exchange(c, call->method, call->url, jws, call->accept_pem, r);
        free(jws);
        if (rc == AFZ_ETRANSPORT && lost < call->max_lost) {
            if ((rc = c->env->sleep(c->env->ctx, backoff_ms(lost++))) != AFZ_OK)
                return rc;
            continue;
        }
        if (rc != AFZ_OK)
            return rc;
        int st = r->resp.status;
        if (call->method == IND_POST && st == 400 && problem_is(r, "badNonce") &&
            bad_nonce < IND_MAX_BAD_NONCE) {
            bad_nonce++;
            reply_cleanup(r);
            continue;
        }
        if ((st == 429 || st == 503) && busy < IND_MAX_BUSY) {
            /* With a usable Retry-After the gate holds the resend back;
             * without one, back off. */
            int64_t wait = r->ra == AFZ_IND_RA_OK ? 0 : backoff_ms(busy);
            busy++;
            reply_cleanup(r);
            if (wait && (rc = c->env->sleep(c->env->ctx, wait)) != AFZ_OK)
                return rc;
            continue;
        }
        if (st >= 500 && call->retry_5xx && server < IND_MAX_SERVER_ERR) {
            int64_t wait = r->ra == AFZ_IND_RA_OK ? 0 : backoff_ms(server);
            server++;
            reply_cleanup(r);
            if (wait && (rc = c->env->sleep(c->env->ctx, wait)) != AFZ_OK)
                return rc;
            continue;
        }
        return AFZ_OK;
    }
}

/* post_as_get fetches |url| (6.3: POST with an empty payload), resending
 * after lost answers and server errors: reading twice does no harm. */
static afz_rc post_as_get(ind_ctx *c, const char *url, int accept_pem, ind_reply *r)
{
    ind_call call = {.method = IND_POST,
                     .url = url,
                     .payload = "",
                     .accept_pem = accept_pem,
                     .max_lost = IND_MAX_LOST,
                     .retry_5xx = 1};
    return ind_send(c, &call, r);
}

/* ---- steps ------------------------------------------------------------- */

static ind_state step_directory(ind_ctx *c)
{
    ind_call call = {
        .method = IND_GET, .url = c->p->directory_url, .max_lost = IND_MAX_LOST, .retry_5xx = 1};
    ind_reply r;
    ind_state next = IND_ST_ACCOUNT;
    afz_rc rc = ind_send(c, &call, &r);
    if (rc != AFZ_OK)
        return ind_fail_rc(c, rc, "directory");
    if (r.resp.status != 200 || !r.json)
        next = ind_fail(c, AFZ_EPROTO, "directory: HTTP %d, %s", r.resp.status,
                        r.json ? "JSON" : "no JSON object");
    else if (!copy_url(c->new_nonce, jstr(r.json, "newNonce")) ||
             !copy_url(c->new_account, jstr(r.json, "newAccount")) ||
             !copy_url(c->new_order, jstr(r.json, "newOrder")))
        next = ind_fail(c, AFZ_EPROTO, "directory: newNonce, newAccount or newOrder missing");
    reply_cleanup(&r);
    return next;
}

static ind_state step_account(ind_ctx *c)
{
    cJSON *pay = cJSON_CreateObject();
    char *text = NULL;
    ind_reply r;
    ind_state next = IND_ST_NEW_ORDER;
    memset(&r, 0, sizeof(r));
    if (!pay || !cJSON_AddTrueToObject(pay, "termsOfServiceAgreed"))
        goto nomem;
    if (c->p->contact) {
        cJSON *arr = cJSON_AddArrayToObject(pay, "contact");
        cJSON *one = cJSON_CreateString(c->p->contact);
        if (!arr || !one) {
            cJSON_Delete(one);
            goto nomem;
        }
        cJSON_AddItemToArray(arr, one);
    }
    if (!(text = cJSON_PrintUnformatted(pay)))
        goto nomem;
    /* 7.3: newAccount is signed with "jwk"; for a key the server already
     * knows it answers 200 with the same account, so a resend is safe. */
    ind_call call = {.method = IND_POST,
                     .url = c->new_account,
                     .payload = text,
                     .use_jwk = 1,
                     .max_lost = IND_MAX_LOST,
                     .retry_5xx = 1};
    afz_rc rc = ind_send(c, &call, &r);
    if (rc != AFZ_OK) {
        next = ind_fail_rc(c, rc, "newAccount");
    } else if (r.resp.status != 200 && r.resp.status != 201) {
        char pb[200];
        next = ind_fail(c, AFZ_EPROTO, "newAccount: HTTP %d (%s)", r.resp.status,
                        problem_text(&r, pb, sizeof(pb)));
    } else if (!copy_url(c->kid, header_get(&r.resp.headers, "Location"))) {
        next = ind_fail(c, AFZ_EPROTO, "newAccount: no usable Location (account URL)");
    } else if (r.json && jstr(r.json, "status") && strcmp(jstr(r.json, "status"), "valid") != 0) {
        next = ind_fail(c, AFZ_EPROTO, "newAccount: account is %.40s", jstr(r.json, "status"));
    }
    goto out;
nomem:
    next = ind_fail(c, AFZ_ENOMEM, "newAccount: out of memory");
out:
    reply_cleanup(&r);
    cJSON_Delete(pay);
    if (text)
        cJSON_free(text);
    return next;
}

/* ids_match: the order's "identifiers" are the set we asked for (7.1.3),
 * in any order, DNS names compared without case. */
static int ids_match(const ind_ctx *c, const cJSON *ids)
{
    if (!cJSON_IsArray(ids) || (size_t)cJSON_GetArraySize(ids) != c->p->n_identifiers)
        return 0;
    for (size_t i = 0; i < c->p->n_identifiers; i++) {
        int found = 0;
        const cJSON *id;
        cJSON_ArrayForEach(id, ids)
        {
            const char *type = jstr(id, "type"), *value = jstr(id, "value");
            if (type && value && strcmp(type, "dns") == 0 &&
                ascii_caseeq(value, c->p->identifiers[i]))
                found = 1;
        }
        if (!found)
            return 0;
    }
    return 1;
}

/* order_next decides from an order object (newOrder, finalize or a poll)
 * what comes next. Finalize only from "ready", and only when no finalize
 * was accepted and the order never showed progress (7.4, 7.1.6). */
static ind_state order_next(ind_ctx *c, const ind_reply *r)
{
    const char *cert;
    switch (status_of(r->json)) {
    case IND_S_VALID:
        c->order_progressed = 1;
        /* 7.4.2: the certificate is at the order's "certificate" URL. */
        cert = jstr(r->json, "certificate");
        if (copy_url(c->cert, cert))
            return IND_ST_DOWNLOAD;
        /* Issued, but the URL is not there (yet): read the order again
         * (bounded by the poll count) rather than lose the certificate. */
        schedule(c, r, &c->order_step);
        return IND_ST_ORDER;
    case IND_S_INVALID: {
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(r->json, "error");
        const char *d = err ? jstr(err, "detail") : NULL;
        c->order_progressed = 1;
        return ind_fail(c, AFZ_EPROTO, "order is invalid%s%.120s", d ? ": " : "", d ? d : "");
    }
    case IND_S_PROCESSING:
        c->order_progressed = 1;
        schedule(c, r, &c->order_step);
        return IND_ST_ORDER;
    case IND_S_READY:
        if (!c->finalize_accepted && !c->order_progressed) {
            if (c->finalizes >= IND_MAX_FINALIZE)
                return ind_fail(c, AFZ_EPROTO, "finalize refused %u times", c->finalizes);
            return IND_ST_FINALIZE;
        }
        /* "ready" after an accepted finalize is a stale read (a lagging
         * replica): never a reason to finalize again. */
        schedule(c, r, &c->order_step);
        return IND_ST_ORDER;
    case IND_S_PENDING:
        if (!c->authz_done && !c->finalize_accepted && !c->order_progressed) {
            c->authz_i = 0;
            c->authz_polls = c->authz_step = c->authz_reqs = 0;
            c->have_chal = 0;
            c->next_at = 0;
            return IND_ST_AUTHZ;
        }
        schedule(c, r, &c->order_step);
        return IND_ST_ORDER;
    case IND_S_OTHER:
        return ind_fail(c, AFZ_EPROTO, "order is %.40s", jstr(r->json, "status"));
    case IND_S_UNKNOWN:
    default:
        /* An unreadable answer (cut body, wrong types): read it again
         * later rather than give up on an order that may be issuing. */
        schedule(c, r, &c->order_step);
        return IND_ST_ORDER;
    }
}

static ind_state step_new_order(ind_ctx *c)
{
    cJSON *pay = cJSON_CreateObject(), *arr = NULL;
    char *text = NULL;
    ind_reply r;
    ind_state next = IND_ST_FAILED;
    memset(&r, 0, sizeof(r));
    if (!pay || !(arr = cJSON_AddArrayToObject(pay, "identifiers")))
        goto nomem;
    for (size_t i = 0; i < c->p->n_identifiers; i++) {
        cJSON *id = cJSON_CreateObject();
        if (!id)
            goto nomem;
        cJSON_AddItemToArray(arr, id);
        if (!cJSON_AddStringToObject(id, "type", "dns") ||
            !cJSON_AddStringToObject(id, "value", c->p->identifiers[i]))
            goto nomem;
    }
    if (!(text = cJSON_PrintUnformatted(pay)))
        goto nomem;
    /* A lost newOrder answer may have made an order; one resend (a second
     * order at most) is the bound. A 500 is not resent. */
    ind_call call = {.method = IND_POST, .url = c->new_order, .payload = text, .max_lost = 1};
    afz_rc rc = ind_send(c, &call, &r);
    if (rc != AFZ_OK) {
        next = ind_fail_rc(c, rc, "newOrder");
        goto out;
    }
    if (r.resp.status != 201 && r.resp.status != 200) {
        char pb[200];
        next = ind_fail(c, AFZ_EPROTO, "newOrder: HTTP %d (%s)", r.resp.status,
                        problem_text(&r, pb, sizeof(pb)));
        goto out;
    }
    if (!copy_url(c->order, header_get(&r.resp.headers, "Location"))) {
        next = ind_fail(c, AFZ_EPROTO, "newOrder: no usable Location (order URL)");
        goto out;
    }
    if (!r.json || !ids_match(c, cJSON_GetObjectItemCaseSensitive(r.json, "identifiers"))) {
        next = ind_fail(c, AFZ_EPROTO, "newOrder: the order's identifiers are not ours");
        goto out;
    }
    if (!copy_url(c->finalize, jstr(r.json, "finalize"))) {
        next = ind_fail(c, AFZ_EPROTO, "newOrder: no usable finalize URL");
        goto out;
    }
    const cJSON *az = cJSON_GetObjectItemCaseSensitive(r.json, "authorizations"), *a;
    if (!cJSON_IsArray(az) || cJSON_GetArraySize(az) > IND_MAX_AUTHZ) {
        next = ind_fail(c, AFZ_EPROTO, "newOrder: authorizations missing or too many");
        goto out;
    }
    cJSON_ArrayForEach(a, az)
    {
        if (!cJSON_IsString(a) || !url_ok(a->valuestring)) {
            next = ind_fail(c, AFZ_EPROTO, "newOrder: an authorization URL is unusable");
            goto out;
        }
        if (!(c->authz[c->n_authz] = strdup(a->valuestring)))
            goto nomem;
        c->n_authz++;
    }
    if (status_of(r.json) == IND_S_PENDING && c->n_authz == 0) {
        next = ind_fail(c, AFZ_EPROTO, "newOrder: pending order without authorizations");
        goto out;
    }
    if (status_of(r.json) == IND_S_UNKNOWN) {
        next = ind_fail(c, AFZ_EPROTO, "newOrder: order without a known status");
        goto out;
    }
    c->next_at = 0;
    next = order_next(c, &r);
    goto out;
nomem:
    next = ind_fail(c, AFZ_ENOMEM, "newOrder: out of memory");
out:
    reply_cleanup(&r);
    cJSON_Delete(pay);
    if (text)
        cJSON_free(text);
    return next;
}

/* pick_challenge chooses the first offered challenge of the most preferred
 * type we answer (8: "the client ... select[s] one of the challenges").
 * Sets c->chal, c->token, c->chal_type; returns its element or NULL. */
static const cJSON *pick_challenge(ind_ctx *c, const cJSON *chals)
{
    for (size_t t = 0; t < sizeof(chal_types) / sizeof(chal_types[0]); t++) {
        const cJSON *ch;
        cJSON_ArrayForEach(ch, chals)
        {
            const char *type = jstr(ch, "type"), *url = jstr(ch, "url"), *tok = jstr(ch, "token");
            if (!type || strcmp(type, chal_types[t]) != 0 || !url_ok(url) || !tok ||
                !afz_ind_nonce_ok(tok) || strlen(tok) >= IND_TOKEN_MAX)
                continue;
            snprintf(c->chal, sizeof(c->chal), "%s", url);
            snprintf(c->token, sizeof(c->token), "%s", tok);
            c->chal_type = (int)t;
            c->have_chal = 1;
            c->chal_answered = 0;
            c->chal_posts = 0;
            return ch;
        }
    }
    return NULL;
}

static const cJSON *find_challenge(const ind_ctx *c, const cJSON *chals)
{
    const cJSON *ch;
    cJSON_ArrayForEach(ch, chals)
    {
        const char *url = jstr(ch, "url");
        if (url && strcmp(url, c->chal) == 0)
            return ch;
    }
    return NULL;
}

static ind_state step_authz(ind_ctx *c)
{
    if (c->authz_i >= c->n_authz) {
        /* Every authorization is valid: read the order, at once. */
        c->authz_done = 1;
        c->next_at = 0;
        return IND_ST_ORDER;
    }
    const char *url = c->authz[c->authz_i];
    if (++c->authz_polls > IND_MAX_POLLS)
        return ind_fail(c, AFZ_EPROTO, "authorization %zu still pending after %u fetches",
                        c->authz_i + 1, IND_MAX_POLLS);
    afz_rc rc = sleep_until(c, c->next_at);
    ind_reply r;
    if (rc != AFZ_OK)
        return ind_fail_rc(c, rc, "authorization");
    if ((rc = post_as_get(c, url, 0, &r)) != AFZ_OK)
        return ind_fail_rc(c, rc, "authorization");
    ind_state next = IND_ST_AUTHZ;
    char pb[200];
    if (r.resp.status != 200) {
        next = ind_fail(c, AFZ_EPROTO, "authorization: HTTP %d (%s)", r.resp.status,
                        problem_text(&r, pb, sizeof(pb)));
        goto out;
    }
    const cJSON *chals = r.json ? cJSON_GetObjectItemCaseSensitive(r.json, "challenges") : NULL;
    const cJSON *ch;
    switch (status_of(r.json)) {
    case IND_S_VALID:
        /* 7.1.4: a valid authorization (reused, or just validated) needs
         * nothing more: never answer its challenges. */
        c->authz_i++;
        c->authz_polls = c->authz_step = c->authz_reqs = 0;
        c->have_chal = 0;
        c->next_at = 0;
        break;
    case IND_S_PENDING:
        ch = c->have_chal ? find_challenge(c, chals) : pick_challenge(c, chals);
        if (!c->have_chal) {
            next = ind_fail(c, AFZ_EPROTO, "authorization offers no challenge this client answers");
            break;
        }
        if (ch && status_of(ch) == IND_S_INVALID) {
            next = ind_fail(c, AFZ_EPROTO, "challenge %s is invalid", chal_types[c->chal_type]);
            break;
        }
        /* Answer a pending challenge once (7.5.1); a challenge already
         * processing or valid is only waited for. */
        if (ch && status_of(ch) == IND_S_PENDING && !c->chal_answered &&
            c->chal_posts < IND_MAX_CHALLENGE_POSTS) {
            next = IND_ST_CHALLENGE;
            break;
        }
        schedule(c, &r, &c->authz_step);
        break;
    case IND_S_INVALID:
    case IND_S_OTHER:
        next = ind_fail(c, AFZ_EPROTO, "authorization is %.40s", jstr(r.json, "status"));
        break;
    case IND_S_UNKNOWN:
    default:
        schedule(c, &r, &c->authz_step); /* unreadable: read it again later */
        break;
    }
out:
    reply_cleanup(&r);
    return next;
}

/* write_key_authorization puts the http-01 key authorization (8.1, 8.3)
 * where a web server serves /.well-known/acme-challenge/<token>. The token
 * is base64url (checked when picked), so it cannot leave the folder. */
static afz_rc write_key_authorization(ind_ctx *c)
{
    char thumb[64], path[4096];
    afz_rc rc = afz_ind_thumbprint(&c->key, thumb);
    if (rc != AFZ_OK)
        return rc;
    int n = snprintf(path, sizeof(path), "%s/%s", c->p->challenge_dir, c->token);
    if (n < 0 || (size_t)n >= sizeof(path))
        return AFZ_ELIMIT;
    FILE *f = fopen(path, "w");
    if (!f)
        return AFZ_EIO;
    int ok = fprintf(f, "%s.%s", c->token, thumb) > 0;
    ok = fclose(f) == 0 && ok;
    return ok ? AFZ_OK : AFZ_EIO;
}

static ind_state step_challenge(ind_ctx *c)
{
    if (c->p->challenge_dir && c->chal_type == 0) {
        afz_rc rc = write_key_authorization(c);
        if (rc != AFZ_OK)
            return ind_fail(c, rc, "cannot write the http-01 key authorization");
    }
    c->chal_posts++;
    /* 7.5.1: the client "responds with an empty JSON object ({})". A lost
     * answer is not resent blind: the authorization is read first. */
    ind_call call = {.method = IND_POST, .url = c->chal, .payload = "{}"};
    ind_reply r;
    afz_rc rc = ind_send(c, &call, &r);
    if (rc == AFZ_ETRANSPORT) {
        schedule(c, NULL, &c->authz_step);
        return IND_ST_AUTHZ;
    }
    if (rc != AFZ_OK)
        return ind_fail_rc(c, rc, "challenge");
    ind_state next = IND_ST_AUTHZ;
    char pb[200];
    if (r.resp.status != 200) {
        next = ind_fail(c, AFZ_EPROTO, "challenge: HTTP %d (%s)", r.resp.status,
                        problem_text(&r, pb, sizeof(pb)));
    } else if (status_of(r.json) == IND_S_INVALID) {
        next = ind_fail(c, AFZ_EPROTO, "challenge %s is invalid", chal_types[c->chal_type]);
    } else {
        c->chal_answered = 1;
        /* A Retry-After here times the first look at the authorization. */
        schedule(c, &r, &c->authz_step);
    }
    reply_cleanup(&r);
    return next;
}

static ind_state step_order(ind_ctx *c)
{
    if (++c->order_polls > IND_MAX_POLLS)
        return ind_fail(c, AFZ_EPROTO, "order not done after %u fetches", IND_MAX_POLLS);
    afz_rc rc = sleep_until(c, c->next_at);
    ind_reply r;
    if (rc != AFZ_OK)
        return ind_fail_rc(c, rc, "order");
    /* Once a finalize may have been accepted, this call is a stateless
     * client's only chance to collect the certificate: a failed read is
     * read again later (within the poll bound), not a reason to give up
     * and order anew next time (the 2023-07 incident). */
    int issuing = c->finalize_accepted || c->finalize_unknown || c->order_progressed;
    rc = post_as_get(c, c->order, 0, &r);
    if (rc == AFZ_ETRANSPORT && issuing) {
        schedule(c, NULL, &c->order_step);
        return IND_ST_ORDER;
    }
    if (rc != AFZ_OK)
        return ind_fail_rc(c, rc, "order");
    ind_state next;
    char pb[200];
    if (r.resp.status != 200 && issuing && r.resp.status != 404) {
        schedule(c, &r, &c->order_step);
        next = IND_ST_ORDER;
    } else if (r.resp.status != 200) {
        next = ind_fail(c, AFZ_EPROTO, "order: HTTP %d (%s)", r.resp.status,
                        problem_text(&r, pb, sizeof(pb)));
    } else {
        next = order_next(c, &r);
    }
    reply_cleanup(&r);
    return next;
}

static ind_state step_finalize(ind_ctx *c)
{
    if (c->finalize_accepted || c->order_progressed || c->finalizes >= IND_MAX_FINALIZE)
        return ind_fail(c, AFZ_EINVAL, "finalize not allowed here"); /* unreachable */
    if (!c->csr) {
        afz_rc rc = afz_ind_csr(c->p->cert_key, c->p->identifiers, c->p->n_identifiers, &c->csr);
        if (rc != AFZ_OK)
            return ind_fail(c, rc, "cannot make the CSR: %s", rc_name(rc));
    }
    size_t n = strlen(c->csr) + 16;
    char *pay = malloc(n);
    if (!pay)
        return ind_fail(c, AFZ_ENOMEM, "finalize: out of memory");
    snprintf(pay, n, "{\"csr\":\"%s\"}", c->csr);
    c->finalizes++;
    /* Never resent blind: a lost answer may hide an accepted finalize. */
    ind_call call = {.method = IND_POST, .url = c->finalize, .payload = pay};
    ind_reply r;
    afz_rc rc = ind_send(c, &call, &r);
    free(pay);
    if (rc == AFZ_ETRANSPORT) {
        /* Poll the order; finalize again only if it still shows "ready". */
        c->finalize_unknown = 1;
        schedule(c, NULL, &c->order_step);
        return IND_ST_ORDER;
    }
    if (rc != AFZ_OK)
        return ind_fail_rc(c, rc, "finalize");
    ind_state next;
    char pb[200];
    int st = r.resp.status;
    if (st >= 200 && st < 300) {
        c->finalize_accepted = 1;
        if (r.ra == AFZ_IND_RA_OK)
            gate_set(c, c->order, r.at + r.ra_ms);
        /* 7.4: "processing": poll the order "after the time given in the
         * Retry-After header field of the response, if any" - the finalize
         * answer's Retry-After times the order poll. */
        next = order_next(c, &r);
    } else if (problem_is(&r, "orderNotReady") || st >= 500) {
        /* Refused, not processed: the order's state decides. */
        schedule(c, &r, &c->order_step);
        next = IND_ST_ORDER;
    } else {
        next =
            ind_fail(c, AFZ_EPROTO, "finalize: HTTP %d (%s)", st, problem_text(&r, pb, sizeof(pb)));
    }
    reply_cleanup(&r);
    return next;
}

static ind_state step_download(ind_ctx *c)
{
    c->downloads++;
    afz_rc rc = sleep_until(c, c->next_at);
    ind_reply r;
    if (rc != AFZ_OK)
        return ind_fail_rc(c, rc, "certificate");
    if ((rc = post_as_get(c, c->cert, 1, &r)) != AFZ_OK)
        return ind_fail_rc(c, rc, "certificate");
    ind_state next = IND_ST_DONE;
    char why[160], pb[200];
    if (r.resp.status != 200 && r.resp.status != 404 && c->downloads < IND_MAX_DOWNLOADS) {
        schedule(c, &r, &c->order_step); /* issued: worth another try */
        next = IND_ST_DOWNLOAD;
    } else if (r.resp.status != 200) {
        next = ind_fail(c, AFZ_EPROTO, "certificate: HTTP %d (%s)", r.resp.status,
                        problem_text(&r, pb, sizeof(pb)));
    } else if (!r.resp.body || afz_ind_chain_check((const char *)r.resp.body, r.resp.body_len,
                                                   c->p->cert_key, why, sizeof(why)) != AFZ_OK) {
        if (!r.resp.body)
            snprintf(why, sizeof(why), "empty body");
        /* A broken copy (cut short on the way): fetch it again, bounded.
         * Keeping no state, this call is the only chance to get it. */
        if (c->downloads < IND_MAX_DOWNLOADS) {
            schedule(c, NULL, &c->order_step);
            next = IND_ST_DOWNLOAD;
        } else {
            next = ind_fail(c, AFZ_EPROTO, "certificate: %s", why);
        }
    } else if (!(c->pem = malloc(r.resp.body_len + 1))) {
        next = ind_fail(c, AFZ_ENOMEM, "certificate: out of memory");
    } else {
        memcpy(c->pem, r.resp.body, r.resp.body_len);
        c->pem[r.resp.body_len] = '\0';
        c->pem_len = r.resp.body_len;
    }
    reply_cleanup(&r);
    return next;
}

/* The machine: one step per state; DONE and FAILED end it. */
static const ind_step ind_steps[IND_ST_COUNT] = {
    [IND_ST_DIRECTORY] = step_directory,
    [IND_ST_ACCOUNT] = step_account,
    [IND_ST_NEW_ORDER] = step_new_order,
    [IND_ST_AUTHZ] = step_authz,
    [IND_ST_CHALLENGE] = step_challenge,
    [IND_ST_ORDER] = step_order,
    [IND_ST_FINALIZE] = step_finalize,
    [IND_ST_DOWNLOAD] = step_download,
    [IND_ST_DONE] = NULL,
    [IND_ST_FAILED] = NULL,
};

/* ---- obtain ------------------------------------------------------------ */

static int params_ok(const afz_env *env, const afz_obtain_params *p, char *why, size_t n)
{
    if (!env || !env->http || !env->sleep || !env->now) {
        snprintf(why, n, "environment lacks http, sleep or now");
        return 0;
    }
    if (!p || p->struct_size < offsetof(afz_obtain_params, contact) || !url_ok(p->directory_url) ||
        !p->identifiers || p->n_identifiers == 0 || p->n_identifiers > IND_MAX_IDENTIFIERS ||
        !p->account_key || !p->cert_key) {
        snprintf(why, n, "parameters incomplete (directory URL, identifiers or keys)");
        return 0;
    }
    for (size_t i = 0; i < p->n_identifiers; i++)
        if (!p->identifiers[i] || !p->identifiers[i][0] || strlen(p->identifiers[i]) > 253) {
            snprintf(why, n, "identifier %zu is empty or too long", i + 1);
            return 0;
        }
    return 1;
}

static afz_rc ind_obtain(const afz_client *self, const afz_env *env, const afz_obtain_params *p,
                         afz_obtain_result *out)
{
    (void)self;
    out->cert_pem = NULL;
    out->cert_pem_len = 0;
    out->reason[0] = '\0';
    if (!params_ok(env, p, out->reason, sizeof(out->reason)))
        return AFZ_EINVAL;
    /* Fields past the caller's struct_size read as absent. */
    afz_obtain_params params = {0};
    memcpy(&params, p, p->struct_size < sizeof(params) ? p->struct_size : sizeof(params));
    ind_ctx *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(out->reason, sizeof(out->reason), "out of memory");
        return AFZ_ENOMEM;
    }
    c->env = env;
    c->p = &params;
    afz_rc rc = afz_ind_key_init(params.account_key, &c->key);
    ind_state st = IND_ST_DIRECTORY;
    if (rc != AFZ_OK)
        st = ind_fail(c, rc, "account key is not P-256, P-384, RSA or Ed25519");
    for (unsigned steps = 0; st != IND_ST_DONE && st != IND_ST_FAILED; steps++) {
        if (steps >= IND_MAX_STEPS) {
            st = ind_fail(c, AFZ_ELIMIT, "gave up after %u steps", IND_MAX_STEPS);
            break;
        }
        st = ind_steps[st](c);
    }
    if (st == IND_ST_DONE) {
        out->cert_pem = c->pem;
        out->cert_pem_len = c->pem_len;
        c->pem = NULL;
        rc = AFZ_OK;
    } else {
        snprintf(out->reason, sizeof(out->reason), "%s", c->reason);
        rc = c->rc != AFZ_OK ? c->rc : AFZ_EFAIL;
        if (env->log) {
            char line[300];
            snprintf(line, sizeof(line), "independent: %s", c->reason);
            env->log(env->ctx, line);
        }
    }
    for (size_t i = 0; i < c->n_authz; i++)
        free(c->authz[i]);
    free(c->csr);
    free(c->pem);
    free(c);
    return rc;
}

const afz_client afz_client_independent = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "independent",
    .description = "a second RFC 8555 client, written apart from the reference (state machine)",
    .expected_property = NULL,
    .config = NULL,
    .obtain = ind_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATELESS,
};
