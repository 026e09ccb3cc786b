/* prop_fixtures.h - build histories by hand for the property and trace
 * tests: a tiny scripted "server" that records exchanges the way afz_run
 * does, with realistic JWS bodies (afz_jws_sign, a fresh ES256 key) and
 * nonces, on a URL layout unlike the server model's (properties must not
 * depend on it).
 *
 * A fixture keeps the virtual clock (fx->now, ms; wall = epoch + now) and
 * the nonce the client would use next (the last valid Replay-Nonce it
 * received), so a test reads as the conversation it checks:
 *
 *   fx f; fx_init(&f);
 *   fx_to_ready(&f);                              directory .. order "ready"
 *   fx_post(&f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR, fx_ok(FX_ORDER("processing")));
 *   ...
 *   afz_prop_result r = fx_check(&f, "no-refinalize");
 *   fx_cleanup(&f);
 */
#ifndef PROP_FIXTURES_H
#define PROP_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "afz_b64.h"
#include "afz_clock.h"
#include "afz_history.h"
#include "afz_jose.h"
#include "afz_property.h"
#include "afz_trace.h"

#define FX_BASE "https://ca.test/acme"
#define FX_DIRECTORY FX_BASE "/dir"
#define FX_NEW_NONCE FX_BASE "/nonce-please"
#define FX_NEW_ACCOUNT FX_BASE "/acct/new"
#define FX_ACCOUNT FX_BASE "/acct/77"
#define FX_NEW_ORDER FX_BASE "/order/new"
#define FX_ORDER FX_BASE "/o/5"
#define FX_AUTHZ FX_BASE "/a/9"
#define FX_CHALL FX_BASE "/a/9/c/http"
#define FX_FINALIZE FX_BASE "/o/5/fin"
#define FX_CERT FX_BASE "/pem/abc"
#define FX_CERT_UP FX_BASE "/pem/issuer"
#define FX_CERT_ALT FX_BASE "/pem/abc/alt1"
#define FX_REVOKE FX_BASE "/revoke"
#define FX_IDS "example.com"

#define FX_DIRECTORY_BODY                                                                          \
    "{\"newNonce\":\"" FX_NEW_NONCE "\",\"newAccount\":\"" FX_NEW_ACCOUNT                          \
    "\",\"newOrder\":\"" FX_NEW_ORDER "\",\"revokeCert\":\"" FX_REVOKE "\"}"
/* An order object in |status| (no certificate). */
#define FX_ORDER_BODY(status)                                                                      \
    "{\"status\":\"" status "\",\"identifiers\":[{\"type\":\"dns\",\"value\":\"example.com\"}],"   \
    "\"authorizations\":[\"" FX_AUTHZ "\"],\"finalize\":\"" FX_FINALIZE "\"}"
/* A "valid" order naming FX_CERT. */
#define FX_ORDER_VALID                                                                             \
    "{\"status\":\"valid\",\"identifiers\":[{\"type\":\"dns\",\"value\":\"example.com\"}],"        \
    "\"authorizations\":[\"" FX_AUTHZ "\"],\"finalize\":\"" FX_FINALIZE                            \
    "\",\"certificate\":\"" FX_CERT "\"}"
#define FX_AUTHZ_BODY(status)                                                                      \
    "{\"status\":\"" status "\",\"identifier\":{\"type\":\"dns\",\"value\":\"example.com\"},"      \
    "\"challenges\":[{\"type\":\"http-01\",\"url\":\"" FX_CHALL "\",\"token\":\"tok\"}]}"
#define FX_CHALL_BODY(status)                                                                      \
    "{\"type\":\"http-01\",\"url\":\"" FX_CHALL "\",\"status\":\"" status "\",\"token\":\"tok\"}"
#define FX_PROBLEM(type, status)                                                                   \
    "{\"type\":\"urn:ietf:params:acme:error:" type "\",\"detail\":\"test\",\"status\":" #status "}"
#define FX_NEW_ORDER_PAYLOAD "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"example.com\"}]}"
#define FX_CSR "{\"csr\":\"MIIBfake\"}"
#define FX_PEM "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

/* What the scripted server answers. status 0: the response is lost. */
typedef struct fx_resp {
    int status;
    const char *body;
    const char *location;
    const char *retry_after;
    const char *retry_after2; /* a second Retry-After header */
    const char *link;         /* one Link header value */
    const char *nonce;        /* Replay-Nonce to send instead of a fresh one */
    int no_nonce;             /* send no Replay-Nonce */
    const char *content_type; /* default by body: JSON, problem+json or PEM */
} fx_resp;

typedef struct fx {
    afz_history h;
    EVP_PKEY *key;
    int64_t now; /* virtual ms */
    unsigned nonce_seq;
    char nonce[48]; /* the client's next nonce ("" if none) */
    /* one-shot overrides for the next fx_post */
    const char *use_nonce;  /* sign with this nonce ("" to omit it) */
    const char *use_url;    /* protected "url" to sign instead of the request URL */
    int use_jwk;            /* sign with jwk instead of kid */
    const char *use_kid;    /* kid to sign with (default FX_ACCOUNT) */
    const char *use_ctype;  /* request Content-Type (default application/jose+json) */
    const char *use_accept; /* request Accept */
    const char *use_body;   /* raw request body instead of a JWS */
    afz_trace t;
    int traced;
    afz_prop_limits lim;
    afz_prop_input in;
} fx;

static inline void fx_init(fx *f)
{
    memset(f, 0, sizeof(*f));
    afz_history_init(&f->h);
    ck_assert_int_eq(afz_key_generate(AFZ_ALG_ES256, &f->key), AFZ_OK);
    afz_prop_limits_default(&f->lim);
    f->in.history = &f->h;
    f->in.plan_class = AFZ_CLASS_LEGAL;
    f->in.attempts = 1;
    f->in.limits = &f->lim;
}

static inline void fx_cleanup(fx *f)
{
    if (f->traced)
        afz_trace_cleanup(&f->t);
    afz_history_cleanup(&f->h);
    EVP_PKEY_free(f->key);
    memset(f, 0, sizeof(*f));
}

static inline fx_resp fx_ok(const char *body)
{
    return (fx_resp){.status = 200, .body = body};
}

static inline fx_resp fx_lost(void)
{
    return (fx_resp){.status = 0};
}

static inline void fx_event(fx *f, afz_event_kind k, const char *url, const char *related,
                            const char *ids, const char *serial, const char *detail, int64_t value)
{
    afz_event_in event = {.kind = k,
                          .mono_ms = f->now,
                          .url = url,
                          .related_url = related,
                          .identifiers = ids,
                          .serial = serial,
                          .detail = detail,
                          .value = value};
    ck_assert_int_eq(afz_history_add_event(&f->h, &event), AFZ_OK);
}

static inline void fx_sleep(fx *f, int64_t ms)
{
    fx_event(f, AFZ_EV_SLEEP, NULL, NULL, NULL, NULL, NULL, ms);
    f->now += ms;
}

/* Records one exchange; returns its index. */
static inline size_t fx_exchange(fx *f, const char *method, const char *url, afz_resource kind,
                                 const void *body, size_t body_len, fx_resp r)
{
    afz_request rq;
    afz_response rs;
    ck_assert_int_eq(afz_request_init(&rq, method, url), AFZ_OK);
    if (body) {
        ck_assert_int_eq(afz_request_set_body(&rq, body, body_len), AFZ_OK);
        const char *ct = f->use_ctype ? f->use_ctype : "application/jose+json";
        if (*ct)
            ck_assert_int_eq(afz_headers_add(&rq.headers, "Content-Type", ct), AFZ_OK);
    }
    if (f->use_accept)
        ck_assert_int_eq(afz_headers_add(&rq.headers, "Accept", f->use_accept), AFZ_OK);
    afz_response_init(&rs);
    rs.status = r.status;
    if (r.status) {
        const char *ct = r.content_type;
        if (!ct && r.body)
            ct = r.body[0] == '-'  ? "application/pem-certificate-chain"
                 : r.status >= 400 ? "application/problem+json"
                                   : "application/json";
        if (ct)
            ck_assert_int_eq(afz_headers_add(&rs.headers, "Content-Type", ct), AFZ_OK);
        if (r.body)
            ck_assert_int_eq(afz_response_set_body(&rs, r.body, strlen(r.body)), AFZ_OK);
        if (r.location)
            ck_assert_int_eq(afz_headers_add(&rs.headers, "Location", r.location), AFZ_OK);
        if (r.retry_after)
            ck_assert_int_eq(afz_headers_add(&rs.headers, "Retry-After", r.retry_after), AFZ_OK);
        if (r.retry_after2)
            ck_assert_int_eq(afz_headers_add(&rs.headers, "Retry-After", r.retry_after2), AFZ_OK);
        if (r.link)
            ck_assert_int_eq(afz_headers_add(&rs.headers, "Link", r.link), AFZ_OK);
        if (!r.no_nonce) {
            char fresh[48];
            const char *n = r.nonce;
            if (!n) {
                snprintf(fresh, sizeof(fresh), "fxNonce%04u", ++f->nonce_seq);
                n = fresh;
            }
            ck_assert_int_eq(afz_headers_add(&rs.headers, "Replay-Nonce", n), AFZ_OK);
            /* the client keeps the last valid nonce it was given */
            if (afz_trace_nonce_syntax_ok(n))
                snprintf(f->nonce, sizeof(f->nonce), "%s", n);
        }
    }
    size_t idx = f->h.n_ex;
    ck_assert_int_eq(afz_history_add_exchange(&f->h, &rq, r.status ? &rs : NULL, kind, f->now,
                                              AFZ_CLOCK_DEFAULT_EPOCH_MS + f->now),
                     AFZ_OK);
    afz_request_cleanup(&rq);
    afz_response_cleanup(&rs);
    f->use_ctype = NULL;
    f->use_accept = NULL;
    return idx;
}

/* Records a signed POST of |payload| to |url|; returns its index. */
static inline size_t fx_post(fx *f, afz_resource kind, const char *url, const char *payload,
                             fx_resp r)
{
    afz_buf jws;
    afz_buf_init(&jws, 0);
    char nonce[48];
    snprintf(nonce, sizeof(nonce), "%s", f->use_nonce ? f->use_nonce : f->nonce);
    const char *body = f->use_body;
    size_t body_len = body ? strlen(body) : 0;
    if (!body) {
        afz_jws_sign_params p = {
            .key = f->key,
            .kid = f->use_jwk ? NULL : (f->use_kid ? f->use_kid : FX_ACCOUNT),
            .nonce = nonce[0] ? nonce : NULL,
            .url = f->use_url ? f->use_url : url,
        };
        ck_assert_int_eq(afz_jws_sign(&p, payload, strlen(payload), &jws), AFZ_OK);
        body = jws.data;
        body_len = jws.len;
    }
    f->nonce[0] = '\0'; /* used up */
    f->use_nonce = f->use_url = f->use_kid = f->use_body = NULL;
    f->use_jwk = 0;
    size_t idx = fx_exchange(f, "POST", url, kind, body, body_len, r);
    afz_buf_cleanup(&jws);
    return idx;
}

static inline size_t fx_get(fx *f, const char *method, const char *url, afz_resource kind,
                            fx_resp r)
{
    return fx_exchange(f, method, url, kind, NULL, 0, r);
}

/* directory, newNonce, newAccount (jwk). */
static inline void fx_to_account(fx *f)
{
    fx_get(f, "GET", FX_DIRECTORY, AFZ_RES_DIRECTORY,
           (fx_resp){.status = 200, .body = FX_DIRECTORY_BODY, .no_nonce = 1});
    fx_get(f, "HEAD", FX_NEW_NONCE, AFZ_RES_NONCE, (fx_resp){.status = 200});
    f->use_jwk = 1;
    fx_post(f, AFZ_RES_ACCOUNT, FX_NEW_ACCOUNT, "{\"termsOfServiceAgreed\":true}",
            (fx_resp){.status = 201, .body = "{\"status\":\"valid\"}", .location = FX_ACCOUNT});
    fx_event(f, AFZ_EV_ACCOUNT_CREATED, FX_ACCOUNT, NULL, NULL, NULL, NULL, 0);
}

/* ... newOrder (pending), authorization (pending), challenge, a second
 * later the authorization (valid) and the order ("ready"). */
static inline void fx_to_ready(fx *f)
{
    fx_to_account(f);
    fx_event(f, AFZ_EV_ORDER_CREATED, FX_ORDER, NULL, FX_IDS, NULL, NULL, 0);
    fx_post(f, AFZ_RES_NEW_ORDER, FX_NEW_ORDER, FX_NEW_ORDER_PAYLOAD,
            (fx_resp){.status = 201, .body = FX_ORDER_BODY("pending"), .location = FX_ORDER});
    fx_post(f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("pending")));
    fx_event(f, AFZ_EV_CHALLENGE_STARTED, FX_CHALL, FX_AUTHZ, FX_IDS, NULL, NULL, 0);
    fx_post(f, AFZ_RES_CHALLENGE, FX_CHALL, "{}", fx_ok(FX_CHALL_BODY("processing")));
    fx_sleep(f, 1000);
    fx_post(f, AFZ_RES_AUTHZ, FX_AUTHZ, "", fx_ok(FX_AUTHZ_BODY("valid")));
    fx_post(f, AFZ_RES_ORDER, FX_ORDER, "", fx_ok(FX_ORDER_BODY("ready")));
}

/* ... finalize ("valid" at once), certificate download. */
static inline void fx_to_certificate(fx *f)
{
    fx_to_ready(f);
    fx_event(f, AFZ_EV_FINALIZE_ACCEPTED, FX_ORDER, NULL, FX_IDS, NULL, NULL, 0);
    fx_event(f, AFZ_EV_CERT_ISSUED, FX_CERT, FX_ORDER, FX_IDS, "0a", NULL, 0);
    fx_post(f, AFZ_RES_FINALIZE, FX_FINALIZE, FX_CSR,
            (fx_resp){.status = 200, .body = FX_ORDER_VALID, .location = FX_ORDER});
    f->use_accept = "application/pem-certificate-chain";
    fx_event(f, AFZ_EV_CERT_DOWNLOADED, FX_CERT, FX_ORDER, FX_IDS, "0a", NULL, 0);
    fx_post(f, AFZ_RES_CERT, FX_CERT, "",
            (fx_resp){.status = 200, .body = FX_PEM, .link = "<" FX_CERT_UP ">;rel=\"up\""});
}

/* Builds the trace (once) and runs property |id|. */
static inline afz_prop_result fx_check(fx *f, const char *id)
{
    if (!f->traced) {
        ck_assert_int_eq(afz_trace_build(&f->h, &f->t), AFZ_OK);
        f->traced = 1;
        f->in.trace = &f->t;
    }
    const afz_property *p = afz_property_find(id);
    ck_assert_msg(p != NULL, "no property %s", id);
    afz_prop_result r;
    memset(&r, 0, sizeof(r));
    p->check(&f->in, &r);
    return r;
}

/* Drops the trace so the next fx_check sees exchanges added since. */
static inline void fx_retrace(fx *f)
{
    if (f->traced)
        afz_trace_cleanup(&f->t);
    f->traced = 0;
    f->in.trace = NULL;
}

#define fx_assert_pass(f, id)                                                                      \
    do {                                                                                           \
        afz_prop_result r_ = fx_check((f), (id));                                                  \
        ck_assert_msg(r_.verdict == AFZ_VERDICT_PASS, "%s: expected pass, got %s: %s", (id),       \
                      afz_verdict_name(r_.verdict), r_.message);                                   \
    } while (0)

/* Asserts a violation at exchange |ex| (0-based). */
#define fx_assert_violation(f, id, ex)                                                             \
    do {                                                                                           \
        afz_prop_result r_ = fx_check((f), (id));                                                  \
        ck_assert_msg(r_.verdict == AFZ_VERDICT_VIOLATION, "%s: expected violation, got %s: %s",   \
                      (id), afz_verdict_name(r_.verdict), r_.message);                             \
        ck_assert_msg(r_.exchange == (size_t)(ex), "%s: violation at #%zu, expected #%zu: %s",     \
                      (id), r_.exchange + 1, (size_t)(ex) + 1, r_.message);                        \
    } while (0)

#endif
