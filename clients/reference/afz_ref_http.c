/* afz_ref_http.c - the reference client's session: every request goes
 * through here, so the request limit, the nonce discipline (RFC 8555 6.5),
 * Retry-After (6.6, 7.4, 8.2), retries and the failure reason live in one
 * place. All I/O goes through the afz_env. See afz_ref_internal.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afz_jose.h"
#include "afz_ref_internal.h"

void afz_ref_init(afz_ref *r, const afz_reference_config *cfg, const afz_env *env,
                  const afz_obtain_params *p, afz_obtain_result *out)
{
    memset(r, 0, sizeof(*r));
    r->env = env;
    r->p = p;
    r->out = out;
    r->cfg = *cfg;
}

void afz_ref_cleanup(afz_ref *r)
{
    free(r->nonce);
    free(r->new_nonce_url);
    free(r->new_account_url);
    free(r->new_order_url);
    free(r->kid);
    free(r->state_key);
    for (size_t i = 0; i < AFZ_REF_NB_SLOTS; i++)
        free(r->nb[i].url);
    memset(r, 0, sizeof(*r));
}

__attribute__((format(printf, 2, 0))) static void vlog(afz_ref *r, const char *fmt, va_list ap)
{
    if (!r->env->log)
        return;
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    r->env->log(r->env->ctx, line);
}

void afz_ref_log(afz_ref *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(r, fmt, ap);
    va_end(ap);
}

afz_rc afz_ref_fail(afz_ref *r, afz_rc rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->out->reason, sizeof(r->out->reason), fmt, ap);
    va_end(ap);
    afz_ref_log(r, "failure: %s", r->out->reason);
    return rc;
}

afz_rc afz_ref_fail_problem(afz_ref *r, const char *what, const afz_response *resp)
{
    afz_ref_problem pr;
    afz_ref_problem_read(resp, &pr);
    return afz_ref_fail(r, AFZ_EPROTO, "%s: HTTP %d %s: %s", what, resp->status,
                        pr.type[0] ? pr.type : "(no problem type)",
                        pr.detail[0] ? pr.detail : "(no detail)");
}

afz_rc afz_ref_sleep(afz_ref *r, int64_t ms)
{
    if (ms <= 0)
        return AFZ_OK;
    if (r->stopped)
        return AFZ_EBUDGET;
    afz_rc rc = r->env->sleep(r->env->ctx, ms);
    if (rc == AFZ_EBUDGET) {
        r->stopped = 1;
        return afz_ref_fail(r, AFZ_EBUDGET, "budget exhausted");
    }
    if (rc != AFZ_OK)
        return afz_ref_fail(r, rc, "sleep failed: %s", afz_rc_str(rc));
    return AFZ_OK;
}

static uint64_t draw(afz_ref *r)
{
    return r->env->random ? r->env->random(r->env->ctx) : 0;
}

afz_rc afz_ref_wait(afz_ref *r, const char *what, const afz_headers *h, unsigned attempt)
{
    afz_ref_wait_plan w;
    afz_rc rc = afz_ref_wait_decide(&r->cfg, h, r->env->now(r->env->ctx), attempt, draw(r), &w);
    if (rc == AFZ_EPARSE) {
        const char *v = afz_headers_get(h, "Retry-After");
        char clean[64];
        afz_ref_sanitize(v, v ? strlen(v) : 0, clean, sizeof(clean));
        return afz_ref_fail(r, AFZ_EPROTO, "%s: cannot use Retry-After \"%s\"", what, clean);
    }
    if (rc == AFZ_ELIMIT)
        return afz_ref_fail(r, AFZ_EFAIL, "%s: server asked to wait %lld s (limit %lld s)", what,
                            (long long)(w.ms / 1000), (long long)(r->cfg.max_wait_ms / 1000));
    if (w.source != AFZ_RA_INVALID)
        afz_ref_log(r, "%s: waiting %lld ms (Retry-After)", what, (long long)w.ms);
    else
        afz_ref_log(r, "%s: waiting %lld ms (back-off%s)", what, (long long)w.ms,
                    w.header_seen ? ", Retry-After unusable" : "");
    return afz_ref_sleep(r, w.ms);
}

/* ---- Retry-After instants per URL ------------------------------------ */

static afz_ref_not_before *nb_find(afz_ref *r, const char *url)
{
    for (size_t i = 0; i < AFZ_REF_NB_SLOTS; i++)
        if (r->nb[i].url && strcmp(r->nb[i].url, url) == 0)
            return &r->nb[i];
    return NULL;
}

void afz_ref_note_retry_after(afz_ref *r, const char *url, const afz_headers *h)
{
    if (!url ||
        (r->cfg.quirks & (AFZ_REF_QUIRK_IGNORE_RETRY_AFTER | AFZ_REF_QUIRK_RETRY_AT_ONCE |
                          AFZ_REF_QUIRK_FIXED_POLL)) ||
        afz_headers_count(h, "Retry-After") != 1)
        return;
    int64_t now = r->env->now(r->env->ctx);
    afz_retry_after_kind kind;
    int64_t delay;
    if (afz_ref_retry_after_read(&r->cfg, afz_headers_get(h, "Retry-After"), now, &kind, &delay) !=
        AFZ_OK)
        return;
    /* delay <= INT64_MAX / 2, so this only saturates for an absurd now */
    int64_t until = now > INT64_MAX - delay ? INT64_MAX : now + delay;
    afz_ref_not_before *slot = nb_find(r, url);
    if (!slot) {
        if (delay <= 0)
            return;
        for (size_t i = 0; i < AFZ_REF_NB_SLOTS && !slot; i++)
            if (!r->nb[i].url)
                slot = &r->nb[i];
        if (!slot) {
            slot = &r->nb[r->nb_next];
            r->nb_next = (r->nb_next + 1) % AFZ_REF_NB_SLOTS;
            free(slot->url);
            slot->url = NULL;
        }
        if (!(slot->url = afz_strdup(url)))
            return; /* out of memory: the poll waits still apply */
    }
    slot->until_ms = until;
}

/* nb_wait sleeps until the Retry-After instant noted for |url|, if any:
 * RFC 8555 6.6 / RFC 9110 10.2.3 - no request before the server's time. */
static afz_rc nb_wait(afz_ref *r, const char *url)
{
    afz_ref_not_before *slot = nb_find(r, url);
    if (!slot)
        return AFZ_OK;
    int64_t now = r->env->now(r->env->ctx);
    if (slot->until_ms <= now)
        return AFZ_OK;
    int64_t ms = slot->until_ms - now;
    if (ms > r->cfg.max_wait_ms && !afz_ref_quirk_on(r, AFZ_REF_QUIRK_NO_WAIT_LIMIT))
        return afz_ref_fail(r, AFZ_EFAIL, "server asked to wait %lld s before %s (limit %lld s)",
                            (long long)(ms / 1000), url, (long long)(r->cfg.max_wait_ms / 1000));
    afz_ref_log(r, "waiting %lld ms before %s (Retry-After)", (long long)ms, url);
    return afz_ref_sleep(r, ms);
}

/* ---- one HTTP exchange ----------------------------------------------- */

int afz_ref_quirk_on(const afz_ref *r, afz_ref_quirk q)
{
    return (r->cfg.quirks & (uint32_t)q) != 0;
}

int afz_ref_poll_limit_hit(const afz_ref *r, unsigned polls)
{
    return polls >= r->cfg.max_polls;
}

/* http_once sends |req| once: request limit, Retry-After instant,
 * User-Agent; afterwards it keeps the response's Replay-Nonce and notes
 * its Retry-After. AFZ_OK (any status), AFZ_ETRANSPORT (no reason set),
 * or a failure with the reason set. */
static afz_rc http_once(afz_ref *r, afz_request *req, afz_response *resp)
{
    if (r->stopped)
        return AFZ_EBUDGET;
    if (r->n_requests >= r->cfg.max_requests)
        return afz_ref_fail(r, AFZ_EFAIL, "request limit of %u reached", r->cfg.max_requests);
    afz_rc rc = nb_wait(r, req->url);
    if (rc != AFZ_OK)
        return rc;
    rc = afz_headers_set(&req->headers, "User-Agent", r->cfg.user_agent);
    if (rc != AFZ_OK)
        return afz_ref_fail(r, rc, "out of memory");
    r->n_requests++;
    afz_response_cleanup(resp);
    rc = r->env->http(r->env->ctx, req, resp);
    if (rc != AFZ_OK) {
        afz_response_cleanup(resp);
        if (rc == AFZ_ETRANSPORT)
            return rc;
        if (rc == AFZ_EBUDGET) {
            r->stopped = 1;
            return afz_ref_fail(r, rc, "budget exhausted");
        }
        return afz_ref_fail(r, rc, "%s %s: transport failed: %s", req->method, req->url,
                            afz_rc_str(rc));
    }
    /* RFC 8555 6.5: take the nonce from every response; 6.5.1: ignore an
     * invalid value. Replay-Nonce is a singleton, so two headers are
     * ignored too; the next signed request then asks newNonce. */
    if (afz_headers_count(&resp->headers, "Replay-Nonce") == 1) {
        const char *n = afz_headers_get(&resp->headers, "Replay-Nonce");
        if (afz_ref_nonce_ok(n)) {
            char *copy = afz_strdup(n);
            if (!copy)
                return afz_ref_fail(r, AFZ_ENOMEM, "out of memory");
            free(r->nonce);
            r->nonce = copy;
        }
    }
    afz_ref_note_retry_after(r, req->url, &resp->headers);
    return AFZ_OK;
}

/* take_nonce moves the cached nonce into *out, first asking newNonce
 * (HEAD, RFC 8555 7.2) when none is cached. The caller frees *out. */
static afz_rc take_nonce(afz_ref *r, char **out)
{
    *out = NULL;
    if (!r->nonce) {
        if (!r->new_nonce_url)
            return afz_ref_fail(r, AFZ_EINVAL, "no newNonce URL");
        afz_response resp;
        afz_response_init(&resp);
        afz_ref_req q = {
            .what = "newNonce", .method = "HEAD", .url = r->new_nonce_url, .idempotent = 1};
        afz_rc rc = afz_ref_send(r, &q, &resp);
        afz_response_cleanup(&resp);
        if (rc != AFZ_OK)
            return rc;
        if (!r->nonce)
            return afz_ref_fail(r, AFZ_EPROTO, "newNonce: no valid Replay-Nonce in the response");
    }
    *out = r->nonce;
    r->nonce = NULL;
    return AFZ_OK;
}

/* build makes the request for |q|; for a signed one it takes a nonce and
 * signs, leaving the nonce used in *used (owned, replaced). */
static afz_rc build(afz_ref *r, const afz_ref_req *q, afz_request *req, char **used)
{
    afz_buf jws;
    afz_buf_init(&jws, 0);
    char *nonce = NULL;
    afz_rc rc = afz_request_init(req, q->method, q->url);
    if (rc == AFZ_OK && q->accept)
        rc = afz_headers_add(&req->headers, "Accept", q->accept);
    if (rc != AFZ_OK) {
        rc = afz_ref_fail(r, rc, "out of memory");
        goto out;
    }
    if (!q->sign)
        goto out;
    if (!q->use_jwk && !r->kid) {
        rc = afz_ref_fail(r, AFZ_EINVAL, "%s: no account URL to sign with", q->what);
        goto out;
    }
    rc = take_nonce(r, &nonce);
    if (rc != AFZ_OK)
        goto out;
    afz_jws_sign_params sp = {
        .key = r->p->account_key,
        .kid = q->use_jwk ? NULL : r->kid,
        .nonce = nonce,
        .url = q->url,
    };
    rc = afz_jws_sign(&sp, q->payload, q->payload_len, &jws);
    if (rc != AFZ_OK) {
        rc = afz_ref_fail(r, rc, "%s: cannot sign the request: %s", q->what, afz_rc_str(rc));
        goto out;
    }
    /* RFC 8555 6.2: the JWS travels as application/jose+json */
    rc = afz_headers_add(&req->headers, "Content-Type", "application/jose+json");
    if (rc == AFZ_OK)
        rc = afz_request_set_body(req, jws.data ? jws.data : "", jws.len);
    if (rc != AFZ_OK) {
        rc = afz_ref_fail(r, rc, "out of memory");
        goto out;
    }
    free(*used);
    *used = nonce;
    nonce = NULL;
out:
    free(nonce);
    afz_buf_cleanup(&jws);
    return rc;
}

static int is_unavailable(int status)
{
    return status == 429 || status == 502 || status == 503 || status == 504;
}

afz_rc afz_ref_send(afz_ref *r, const afz_ref_req *q, afz_response *resp)
{
    afz_request req;
    memset(&req, 0, sizeof(req));
    char *used = NULL;
    unsigned n_nonce = 0, n_unavail = 0, n_500 = 0, n_transport = 0;
    int resend_same = 0;
    afz_rc rc;
    for (;;) {
        if (!resend_same) {
            afz_request_cleanup(&req);
            rc = build(r, q, &req, &used);
            if (rc != AFZ_OK)
                goto out;
        }
        resend_same = 0;
        rc = http_once(r, &req, resp);
        if (rc == AFZ_ETRANSPORT) {
            if (q->idempotent && n_transport < r->cfg.max_transport_retries) {
                afz_ref_log(r, "%s %s: no response, retrying", q->method, q->url);
                rc = afz_ref_wait(r, q->what, NULL, n_transport++);
                if (rc != AFZ_OK)
                    goto out;
                continue;
            }
            rc = afz_ref_fail(r, AFZ_ETRANSPORT, "%s: no response from %s", q->what, q->url);
            goto out;
        }
        if (rc != AFZ_OK)
            goto out;
        if (resp->status >= 200 && resp->status < 300)
            goto out;

        afz_ref_problem pr;
        afz_ref_problem_read(resp, &pr);
        if (q->sign && afz_ref_problem_is(&pr, "badNonce")) {
            /* RFC 8555 6.5: retry with the nonce from the error response
             * (http_once cached it; without one, take_nonce asks newNonce). */
            if (r->cfg.quirks & AFZ_REF_QUIRK_NO_BAD_NONCE_RETRY) {
                rc = afz_ref_fail_problem(r, q->what, resp);
                goto out;
            }
            if (n_nonce >= r->cfg.max_bad_nonce_retries) {
                rc = afz_ref_fail(r, AFZ_EPROTO, "%s: badNonce %u times in a row: %s", q->what,
                                  n_nonce + 1, pr.detail);
                goto out;
            }
            n_nonce++;
            afz_ref_log(r, "%s: badNonce, retrying with a fresh nonce", q->what);
            if ((r->cfg.quirks & AFZ_REF_QUIRK_REUSE_REJECTED_NONCE) && used) {
                free(r->nonce);
                r->nonce = used;
                used = NULL;
            }
            continue;
        }
        int server_error = resp->status == 500 || afz_ref_problem_is(&pr, "serverInternal");
        int unavailable = is_unavailable(resp->status) || afz_ref_problem_is(&pr, "rateLimited");
        if (q->outcome_unknown_on_5xx && resp->status >= 500) {
            rc = afz_ref_fail_problem(r, q->what, resp);
            goto out;
        }
        if (unavailable) {
            /* RFC 8555 6.6: wait until Retry-After says, or back off */
            if (n_unavail >= r->cfg.max_rate_limit_retries) {
                rc = afz_ref_fail_problem(r, q->what, resp);
                goto out;
            }
            afz_ref_log(r, "%s: HTTP %d %s, retrying", q->what, resp->status, pr.type);
            if (r->cfg.quirks & AFZ_REF_QUIRK_RETRY_SAME_JWS) {
                n_unavail++;
                resend_same = 1;
                continue;
            }
            if (r->cfg.quirks & AFZ_REF_QUIRK_RETRY_AT_ONCE) {
                n_unavail++;
                continue;
            }
            rc = afz_ref_wait(r, q->what, &resp->headers, n_unavail++);
            if (rc != AFZ_OK)
                goto out;
            continue;
        }
        if (server_error && n_500 < r->cfg.max_server_error_retries) {
            afz_ref_log(r, "%s: HTTP %d %s, retrying once", q->what, resp->status, pr.type);
            rc = afz_ref_wait(r, q->what, &resp->headers, n_500++);
            if (rc != AFZ_OK)
                goto out;
            continue;
        }
        rc = afz_ref_fail_problem(r, q->what, resp);
        goto out;
    }
out:
    afz_request_cleanup(&req);
    free(used);
    return rc;
}

afz_rc afz_ref_fetch(afz_ref *r, const char *what, const char *url, const char *accept,
                     afz_response *resp)
{
    /* RFC 8555 6.3: POST-as-GET carries the empty payload "" */
    int braces = (r->cfg.quirks & AFZ_REF_QUIRK_POST_AS_GET_BRACES) != 0;
    afz_ref_req q = {
        .what = what,
        .method = "POST",
        .url = url,
        .sign = 1,
        .payload = braces ? "{}" : "",
        .payload_len = braces ? 2 : 0,
        .idempotent = 1,
        .accept = accept,
    };
    return afz_ref_send(r, &q, resp);
}
