/* afz_client_reference.c - the reference ACME client: the RFC 8555 flow
 * (7.1.1 directory, 7.2 nonce, 7.3 account, 7.4 order and finalize, 7.5
 * authorizations and challenges, 7.4.2 download), driven by what the
 * server says and nothing else. Authorizations are in afz_ref_authz.c;
 * requests, retries and waits go through the session in afz_ref_http.c;
 * parsing is in afz_ref_objects.c and afz_ref_parse.c. See
 * afz_reference.h. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afz_b64.h"
#include "afz_csr.h"
#include "afz_jose.h"
#include "afz_json.h"
#include "afz_ref_internal.h"
#include "afz_reference.h"

#define REF_USER_AGENT "acmefuzz-reference/0.1"
/* orders tried under AFZ_REF_QUIRK_REORDER_ON_FAILURE */
#define REF_QUIRK_ORDERS 5

void afz_reference_config_default(afz_reference_config *c)
{
    memset(c, 0, sizeof(*c));
    c->struct_size = sizeof(*c);
    c->quirks = 0;
    c->user_agent = REF_USER_AGENT;
    c->max_polls = 20;
    c->max_requests = 200;
    c->max_bad_nonce_retries = 5;
    c->max_rate_limit_retries = 3;
    c->max_server_error_retries = 1;
    c->max_transport_retries = 3;
    c->max_finalize_attempts = 3;
    c->max_wait_ms = INT64_C(3600000);
    c->backoff_base_ms = 1000;
    c->backoff_cap_ms = 30000;
}

/* config_load reads self->config: the first struct_size bytes (all of it
 * when struct_size is 0), where a zero field means "the default", so a
 * zoo client can be declared as {.quirks = AFZ_REF_QUIRK_...}. */
static void config_load(const afz_client *self, afz_reference_config *cfg)
{
    afz_reference_config_default(cfg);
    const afz_reference_config *u = self ? self->config : NULL;
    if (!u)
        return;
    afz_reference_config in;
    memset(&in, 0, sizeof(in));
    size_t n = u->struct_size == 0 || u->struct_size > sizeof(in) ? sizeof(in) : u->struct_size;
    memcpy(&in, u, n);
    cfg->quirks = in.quirks & AFZ_REF_QUIRKS_ALL;
    if (in.user_agent)
        cfg->user_agent = in.user_agent;
    if (in.max_polls)
        cfg->max_polls = in.max_polls;
    if (in.max_requests)
        cfg->max_requests = in.max_requests;
    if (in.max_bad_nonce_retries)
        cfg->max_bad_nonce_retries = in.max_bad_nonce_retries;
    if (in.max_rate_limit_retries)
        cfg->max_rate_limit_retries = in.max_rate_limit_retries;
    if (in.max_server_error_retries)
        cfg->max_server_error_retries = in.max_server_error_retries;
    if (in.max_transport_retries)
        cfg->max_transport_retries = in.max_transport_retries;
    if (in.max_finalize_attempts)
        cfg->max_finalize_attempts = in.max_finalize_attempts;
    if (in.max_wait_ms > 0)
        cfg->max_wait_ms = in.max_wait_ms;
    if (in.backoff_base_ms > 0)
        cfg->backoff_base_ms = in.backoff_base_ms;
    if (in.backoff_cap_ms > 0)
        cfg->backoff_cap_ms = in.backoff_cap_ms;
}

/* single_location returns the one valid Location header, or NULL. */
static const char *single_location(const afz_response *resp)
{
    if (afz_headers_count(&resp->headers, "Location") != 1)
        return NULL;
    const char *loc = afz_headers_get(&resp->headers, "Location");
    return afz_ref_url_ok(loc) ? loc : NULL;
}

/* json_payload prints |j| (deleting it) into a malloc'd string. */
static char *json_payload(cJSON *j, size_t *len)
{
    char *s = j ? afz_json_print_alloc(j, len) : NULL;
    cJSON_Delete(j);
    return s;
}

/* ---- 7.1.1 directory ------------------------------------------------- */

static afz_rc do_directory(afz_ref *r)
{
    afz_response resp;
    afz_response_init(&resp);
    cJSON *dir = NULL;
    afz_ref_req q = {
        .what = "directory", .method = "GET", .url = r->p->directory_url, .idempotent = 1};
    afz_rc rc = afz_ref_send(r, &q, &resp);
    if (rc != AFZ_OK)
        goto out;
    if (!resp.body || afz_json_parse_object(resp.body, resp.body_len, &dir) != AFZ_OK) {
        rc = afz_ref_fail(r, AFZ_EPROTO, "directory: not a JSON object");
        goto out;
    }
    static const char *const keys[] = {"newNonce", "newAccount", "newOrder"};
    char **dst[] = {&r->new_nonce_url, &r->new_account_url, &r->new_order_url};
    for (size_t i = 0; i < 3; i++) {
        const char *u = afz_json_str(dir, keys[i]);
        if (!afz_ref_url_ok(u)) {
            rc = afz_ref_fail(r, AFZ_EPROTO, "directory: no valid \"%s\" URL", keys[i]);
            goto out;
        }
        if (!(*dst[i] = afz_strdup(u))) {
            rc = afz_ref_fail(r, AFZ_ENOMEM, "out of memory");
            goto out;
        }
    }
    afz_ref_log(r, "directory %s read", r->p->directory_url);
out:
    cJSON_Delete(dir);
    afz_response_cleanup(&resp);
    return rc;
}

/* ---- 7.3 account ------------------------------------------------------ */

static afz_rc do_account(afz_ref *r)
{
    afz_response resp;
    afz_response_init(&resp);
    cJSON *body = NULL;
    size_t len = 0;
    cJSON *j = cJSON_CreateObject();
    cJSON *contact = NULL;
    if (j && !cJSON_AddTrueToObject(j, "termsOfServiceAgreed")) {
        cJSON_Delete(j);
        j = NULL;
    }
    if (j && r->p->contact) {
        contact = cJSON_AddArrayToObject(j, "contact");
        cJSON *s = contact ? cJSON_CreateString(r->p->contact) : NULL;
        if (!s || !cJSON_AddItemToArray(contact, s)) {
            cJSON_Delete(s);
            cJSON_Delete(j);
            j = NULL;
        }
    }
    char *payload = json_payload(j, &len);
    afz_rc rc;
    if (!payload) {
        rc = afz_ref_fail(r, AFZ_ENOMEM, "out of memory");
        goto out;
    }
    /* Re-sending newAccount with the same key is harmless (RFC 8555 7.3.1:
     * the server answers 200 with the existing account), so it may be
     * retried after a lost answer. */
    afz_ref_req q = {.what = "newAccount",
                     .method = "POST",
                     .url = r->new_account_url,
                     .sign = 1,
                     .use_jwk = 1,
                     .payload = payload,
                     .payload_len = len,
                     .idempotent = 1};
    rc = afz_ref_send(r, &q, &resp);
    if (rc != AFZ_OK)
        goto out;
    if (resp.status != 201 && resp.status != 200) {
        rc = afz_ref_fail(r, AFZ_EPROTO, "newAccount: unexpected HTTP %d", resp.status);
        goto out;
    }
    const char *loc = single_location(&resp);
    if (!loc) {
        rc = afz_ref_fail(r, AFZ_EPROTO, "newAccount: no usable Location header");
        goto out;
    }
    if (resp.body && afz_json_parse_object(resp.body, resp.body_len, &body) == AFZ_OK) {
        const char *st = afz_json_str(body, "status");
        if (st && strcmp(st, "valid") != 0) {
            char clean[48];
            afz_ref_sanitize(st, strlen(st), clean, sizeof(clean));
            rc = afz_ref_fail(r, AFZ_EPROTO, "newAccount: account status is \"%s\"", clean);
            goto out;
        }
    }
    if (!(r->kid = afz_strdup(loc))) {
        rc = afz_ref_fail(r, AFZ_ENOMEM, "out of memory");
        goto out;
    }
    afz_ref_log(r, "account %s %s", r->kid, resp.status == 201 ? "created" : "exists");
out:
    free(payload);
    cJSON_Delete(body);
    afz_response_cleanup(&resp);
    return rc;
}

/* ---- 7.4 order, finalize, 7.4.2 download ------------------------------ */

typedef struct ref_order_run {
    char *url;          /* the order URL (newOrder's Location); owned */
    afz_ref_order ord;  /* the latest view of the order */
    afz_headers hdrs;   /* headers of the response that gave it */
    char *finalize_url; /* first finalize URL seen; owned */
    char *csr_payload;  /* {"csr": ...}, built once; owned */
    size_t csr_payload_len;
    int authz_done;
    int finalize_accepted; /* a finalize got a 2xx: never finalize again */
    unsigned finalize_posts;
    unsigned polls;     /* order polls so far (bounded by max_polls) */
    unsigned wait_step; /* back-off step: waits since the status changed */
    int done;           /* the certificate is in r->out */
    int seen_invalid;   /* a response showed the order "invalid" (even if unreadable) */
} ref_order_run;

static void order_run_cleanup(ref_order_run *o)
{
    free(o->url);
    afz_ref_order_cleanup(&o->ord);
    afz_headers_cleanup(&o->hdrs);
    free(o->finalize_url);
    free(o->csr_payload);
    memset(o, 0, sizeof(*o));
}

/* set_view makes the order object in |resp| the latest view. */
static afz_rc set_view(afz_ref *r, ref_order_run *o, const char *what, const afz_response *resp)
{
    afz_ref_order next;
    char why[200];
    if (afz_ref_quirk_on(r, AFZ_REF_QUIRK_TRUST_STATUS_FIELD)) {
        /* The bug, as deliberate as the zoo needs it: the status is used
         * before anyone checks that it is there and is a string. A
         * missing or mistyped "status" makes afz_json_str return NULL. */
        cJSON *j = NULL;
        if (resp->body && afz_json_parse_object(resp->body, resp->body_len, &j) == AFZ_OK) {
            const char *st = afz_json_str(j, "status");
            int valid = strcmp(st, "valid") == 0;
            afz_ref_log(r, "%s: %s", what, valid ? "valid" : "not valid yet");
        }
        cJSON_Delete(j);
    }
    afz_rc rc = afz_ref_order_parse(resp->body, resp->body_len, r->p->identifiers,
                                    r->p->n_identifiers, &next, why, sizeof(why));
    afz_headers h;
    memset(&h, 0, sizeof(h));
    if (rc == AFZ_OK)
        rc = afz_headers_copy(&h, &resp->headers);
    if (rc == AFZ_OK && next.finalize && !o->finalize_url &&
        !(o->finalize_url = afz_strdup(next.finalize)))
        rc = AFZ_ENOMEM;
    if (rc != AFZ_OK) {
        /* A readable "invalid" is final even when the rest of the body is
         * broken: forget the saved order so no later attempt asks for it
         * again (RFC 8555 7.1.6; found by the random-plan sweep). */
        if (next.status == AFZ_REF_ST_INVALID) {
            o->seen_invalid = 1;
            afz_ref_state_forget(r);
        }
        afz_ref_order_cleanup(&next);
        afz_headers_cleanup(&h);
        return afz_ref_fail(r, rc, "%s: %s", what, rc == AFZ_ENOMEM ? "out of memory" : why);
    }
    if (next.status != o->ord.status)
        o->wait_step = 0; /* a new phase starts its back-off afresh */
    afz_ref_order_cleanup(&o->ord);
    afz_headers_cleanup(&o->hdrs);
    o->ord = next;
    o->hdrs = h;
    const char *ra = afz_headers_get(&h, "Retry-After");
    char ra_clean[64] = "";
    if (ra)
        afz_ref_sanitize(ra, strlen(ra), ra_clean, sizeof(ra_clean));
    afz_ref_log(r, "order %s status %s%s%s", o->url, afz_ref_status_name(next.status),
                ra ? ", Retry-After " : "", ra_clean);
    return AFZ_OK;
}

static afz_rc do_new_order(afz_ref *r, ref_order_run *o)
{
    afz_response resp;
    afz_response_init(&resp);
    size_t len = 0;
    cJSON *j = cJSON_CreateObject();
    cJSON *ids = j ? cJSON_AddArrayToObject(j, "identifiers") : NULL;
    for (size_t i = 0; ids && i < r->p->n_identifiers; i++) {
        cJSON *id = cJSON_CreateObject();
        if (!id || afz_json_add_str(id, "type", "dns") != AFZ_OK ||
            afz_json_add_str(id, "value", r->p->identifiers[i]) != AFZ_OK ||
            !cJSON_AddItemToArray(ids, id)) {
            cJSON_Delete(id);
            ids = NULL;
        }
    }
    if (!ids) {
        cJSON_Delete(j);
        j = NULL;
    }
    char *payload = json_payload(j, &len);
    afz_rc rc;
    if (!payload) {
        rc = afz_ref_fail(r, AFZ_ENOMEM, "out of memory");
        goto out;
    }
    /* not idempotent: a resent newOrder may create a second order */
    afz_ref_req q = {.what = "newOrder",
                     .method = "POST",
                     .url = r->new_order_url,
                     .sign = 1,
                     .payload = payload,
                     .payload_len = len};
    rc = afz_ref_send(r, &q, &resp);
    if (rc != AFZ_OK)
        goto out;
    if (resp.status != 201 && resp.status != 200) {
        rc = afz_ref_fail(r, AFZ_EPROTO, "newOrder: unexpected HTTP %d", resp.status);
        goto out;
    }
    /* RFC 8555 7.4: the order URL is the Location; never derive it */
    const char *loc = single_location(&resp);
    if (!loc) {
        rc = afz_ref_fail(r, AFZ_EPROTO, "newOrder: no usable Location header");
        goto out;
    }
    if (!(o->url = afz_strdup(loc))) {
        rc = afz_ref_fail(r, AFZ_ENOMEM, "out of memory");
        goto out;
    }
    rc = set_view(r, o, "newOrder", &resp);
out:
    free(payload);
    afz_response_cleanup(&resp);
    return rc;
}

/* poll_order fetches the order again (POST-as-GET), after the wait the
 * latest view asks for when |wait_first|. */
static afz_rc poll_order(afz_ref *r, ref_order_run *o, int wait_first)
{
    if (afz_ref_poll_limit_hit(r, o->polls))
        return afz_ref_fail(r, AFZ_EFAIL, "order %s still %s after %u polls", o->url,
                            afz_ref_status_name(o->ord.status), o->polls);
    char what[AFZ_REF_URL_MAX + 64];
    snprintf(what, sizeof(what), "order %s", o->url);
    if (wait_first) {
        afz_rc rc = afz_ref_wait(r, what, &o->hdrs, o->wait_step++);
        if (rc != AFZ_OK)
            return rc;
    }
    o->polls++;
    const char *url = o->url;
    afz_response resp;
    afz_response_init(&resp);
    afz_rc rc = afz_ref_fetch(r, "order", url, NULL, &resp);
    if (rc == AFZ_OK)
        rc = set_view(r, o, what, &resp);
    afz_response_cleanup(&resp);
    return rc;
}

static afz_rc do_download(afz_ref *r, ref_order_run *o, const char *url)
{
    afz_response resp;
    afz_response_init(&resp);
    char why[200];
    afz_ref_log(r, "downloading the certificate from %s", url);
    /* RFC 8555 7.4.2: POST-as-GET to the order's certificate URL */
    afz_rc rc = afz_ref_fetch(r, "certificate", url, "application/pem-certificate-chain", &resp);
    if (rc != AFZ_OK)
        goto out;
    if (afz_ref_pem_chain_check((const char *)resp.body, resp.body_len, r->p->cert_key, why,
                                sizeof(why)) != AFZ_OK) {
        rc = afz_ref_fail(r, AFZ_EPROTO, "certificate from %s rejected: %s", url, why);
        goto out;
    }
    char *pem = malloc(resp.body_len + 1);
    if (!pem) {
        rc = afz_ref_fail(r, AFZ_ENOMEM, "out of memory");
        goto out;
    }
    memcpy(pem, resp.body, resp.body_len);
    pem[resp.body_len] = '\0';
    r->out->cert_pem = pem;
    r->out->cert_pem_len = resp.body_len;
    o->done = 1;
    afz_ref_log(r, "certificate downloaded (%zu bytes)", resp.body_len);
out:
    afz_response_cleanup(&resp);
    return rc;
}

static afz_rc build_csr_payload(afz_ref *r, ref_order_run *o)
{
    afz_buf der, json;
    afz_buf_init(&der, 0);
    afz_buf_init(&json, 0);
    afz_rc rc = afz_csr_build(r->p->cert_key, r->p->identifiers, r->p->n_identifiers, &der);
    if (rc != AFZ_OK) {
        rc = afz_ref_fail(r, rc, "cannot build the CSR: %s", afz_rc_str(rc));
        goto out;
    }
    /* RFC 8555 7.4: {"csr": base64url(DER)}; base64url needs no escaping */
    rc = afz_buf_puts(&json, "{\"csr\":\"");
    if (rc == AFZ_OK)
        rc = afz_b64url_encode(der.data, der.len, &json);
    if (rc == AFZ_OK)
        rc = afz_buf_puts(&json, "\"}");
    if (rc == AFZ_OK && !(o->csr_payload = afz_buf_take(&json, &o->csr_payload_len)))
        rc = AFZ_ENOMEM;
    if (rc != AFZ_OK)
        rc = afz_ref_fail(r, rc, "cannot encode the CSR: %s", afz_rc_str(rc));
out:
    afz_buf_cleanup(&der);
    afz_buf_cleanup(&json);
    return rc;
}

/* do_finalize sends the one finalize of an order last seen "ready" (RFC
 * 8555 7.4) and acts on the outcome:
 *   2xx: accepted; the returned order is the latest view (never finalize
 *        again: "processing" means poll the ORDER URL after Retry-After);
 *   403 orderNotReady: POST-as-GET the order and act on its status;
 *   no answer or 5xx: outcome unknown; poll the order after a wait; only a
 *        poll showing "ready" leads to another finalize;
 *   anything else (badCSR included: our CSR is right): failure. */
static afz_rc do_finalize(afz_ref *r, ref_order_run *o)
{
    afz_response resp;
    afz_response_init(&resp);
    cJSON *body = NULL;
    afz_rc rc;
    const char *url = o->ord.finalize ? o->ord.finalize : o->finalize_url;
    if (!url) {
        rc = afz_ref_fail(r, AFZ_EPROTO, "order %s has no finalize URL", o->url);
        goto out;
    }
    if (o->finalize_posts >= r->cfg.max_finalize_attempts) {
        rc = afz_ref_fail(r, AFZ_EFAIL, "order %s: gave up after %u finalize attempts", o->url,
                          o->finalize_posts);
        goto out;
    }
    if (!o->csr_payload && (rc = build_csr_payload(r, o)) != AFZ_OK)
        goto out;
    o->finalize_posts++;
    afz_ref_log(r, "order %s %s: finalizing at %s", o->url, afz_ref_status_name(o->ord.status),
                url);
    afz_ref_req q = {.what = "finalize",
                     .method = "POST",
                     .url = url,
                     .sign = 1,
                     .payload = o->csr_payload,
                     .payload_len = o->csr_payload_len,
                     .outcome_unknown_on_5xx = 1};
    rc = afz_ref_send(r, &q, &resp);
    if (rc == AFZ_ETRANSPORT || (rc == AFZ_EPROTO && resp.status >= 500)) {
        afz_ref_log(r, "finalize outcome unknown; polling the order");
        afz_ref_note_retry_after(r, o->url, &resp.headers);
        afz_headers_cleanup(&o->hdrs);
        if (afz_headers_copy(&o->hdrs, &resp.headers) != AFZ_OK) {
            rc = afz_ref_fail(r, AFZ_ENOMEM, "out of memory");
            goto out;
        }
        rc = poll_order(r, o, 1);
        goto out;
    }
    if (rc == AFZ_EPROTO) {
        afz_ref_problem pr;
        afz_ref_problem_read(&resp, &pr);
        if (afz_ref_problem_is(&pr, "orderNotReady")) {
            afz_ref_log(r, "finalize: orderNotReady; fetching the order");
            rc = poll_order(r, o, 0);
        }
        goto out;
    }
    if (rc != AFZ_OK)
        goto out;

    o->finalize_accepted = 1;
    afz_ref_state_save(r, o->url, 1);
    /* the finalize response's Retry-After governs polling the order */
    afz_ref_note_retry_after(r, o->url, &resp.headers);
    if (afz_ref_quirk_on(r, AFZ_REF_QUIRK_CERT_URL_FROM_LOCATION)) {
        const char *loc = single_location(&resp);
        rc = loc ? do_download(r, o, loc)
                 : afz_ref_fail(r, AFZ_EPROTO, "finalize: no Location to download from");
        goto out;
    }
    if (afz_ref_quirk_on(r, AFZ_REF_QUIRK_CERT_FROM_FINALIZE)) {
        const char *cert = NULL;
        if (resp.body && afz_json_parse_object(resp.body, resp.body_len, &body) == AFZ_OK)
            cert = afz_json_str(body, "certificate");
        rc = afz_ref_url_ok(cert)
                 ? do_download(r, o, cert)
                 : afz_ref_fail(r, AFZ_EPROTO, "finalize: response has no certificate URL");
        goto out;
    }
    rc = set_view(r, o, "finalize", &resp);
    if (rc == AFZ_EPROTO) {
        /* accepted but unreadable: the order URL will say where it is */
        afz_ref_log(r, "finalize accepted, response unreadable; polling the order");
        r->out->reason[0] = '\0';
        afz_headers_cleanup(&o->hdrs);
        if (afz_headers_copy(&o->hdrs, &resp.headers) != AFZ_OK) {
            rc = afz_ref_fail(r, AFZ_ENOMEM, "out of memory");
            goto out;
        }
        rc = poll_order(r, o, 1);
    }
out:
    cJSON_Delete(body);
    afz_response_cleanup(&resp);
    return rc;
}

static afz_rc do_authorizations(afz_ref *r, ref_order_run *o)
{
    for (size_t i = 0; i < o->ord.n_authz; i++) {
        afz_rc rc = afz_ref_authz_run(r, o->ord.authz[i]);
        if (rc != AFZ_OK)
            return rc;
    }
    o->authz_done = 1;
    return AFZ_OK;
}

/* resume_order picks up the order saved by an earlier obtain for the same
 * identifiers (campaign mode), fetching it with POST-as-GET. *resumed = 1
 * when it is pending, ready, processing or valid: |o| then holds it and
 * order_flow carries on from its status. An invalid, unreadable or
 * unknown order (a 4xx answer) is forgotten (*resumed = 0, AFZ_OK: order
 * anew), except a finalized one that answers any 4xx but 404, or shows
 * other identifiers: it may hold a certificate, so it is kept and the
 * obtain fails. When the server could not be asked (no answer, 5xx, 429, a
 * limit, the budget) the error is returned and the saved order kept: a
 * new order now could mean a second certificate. */
static afz_rc resume_order(afz_ref *r, ref_order_run *o, int *resumed)
{
    *resumed = 0;
    char *url = NULL;
    int finalized = 0;
    afz_rc rc = afz_ref_state_load(r, &url, &finalized);
    if (rc != AFZ_OK)
        return afz_ref_fail(r, rc, "out of memory");
    if (!url)
        return AFZ_OK;
    afz_ref_log(r, "resuming saved order %s%s", url,
                finalized ? " (a finalize was accepted before)" : "");
    o->url = url;
    o->finalize_accepted = finalized;
    afz_response resp;
    afz_response_init(&resp);
    char what[AFZ_REF_URL_MAX + 64];
    snprintf(what, sizeof(what), "saved order %s", url);
    rc = afz_ref_fetch(r, "saved order", url, NULL, &resp);
    int answered_4xx =
        rc == AFZ_EPROTO && resp.status >= 400 && resp.status < 500 && resp.status != 429;
    if (rc == AFZ_OK) {
        rc = set_view(r, o, what, &resp);
        /* A 2xx the client cannot read is no evidence that the order is
         * gone: ordering anew could issue a second certificate for an
         * order that is in fact valid. Keep it and fail, unless the body
         * said "invalid", which is final. */
        answered_4xx = (rc == AFZ_EPROTO && o->seen_invalid) || rc == AFZ_ENOTFOUND;
    }
    int status = resp.status;
    afz_response_cleanup(&resp);
    if (rc == AFZ_OK && o->ord.status != AFZ_REF_ST_INVALID) {
        *resumed = 1;
        return AFZ_OK;
    }
    if (rc != AFZ_OK && !answered_4xx)
        return rc;
    /* A finalized order the server will not show (403 userActionRequired,
     * 401, 400...) or shows with identifiers that are not ours (a garbled
     * body) may be valid with a certificate: ordering anew could issue a
     * second one (no-orphan-issuance, no-duplicate-issuance; both found by
     * fuzzing). Only a 404 or an "invalid" proves it will not issue. */
    if (rc != AFZ_OK && finalized && status != 404 && !o->seen_invalid)
        return afz_ref_fail(r, rc,
                            "saved order %s was finalized and now answers %d: kept, not "
                            "ordering anew",
                            url, status);
    afz_ref_log(r, "saved order %s is %s; ordering anew", url,
                rc == AFZ_OK ? "invalid" : "gone or unreadable");
    afz_ref_state_forget(r);
    order_run_cleanup(o);
    r->out->reason[0] = '\0';
    return AFZ_OK;
}

/* order_flow runs one order from newOrder (or, when |may_resume|, from the
 * saved order) to the downloaded certificate. Every step acts on the
 * status of the latest view of the order (RFC 8555 7.1.6, 7.4: "clients
 * SHOULD check the status field of an order to determine whether they
 * need to take any action"). */
static afz_rc order_flow(afz_ref *r, int may_resume)
{
    ref_order_run o;
    memset(&o, 0, sizeof(o));
    int resumed = 0;
    afz_rc rc = may_resume ? resume_order(r, &o, &resumed) : AFZ_OK;
    if (rc == AFZ_OK && !resumed) {
        rc = do_new_order(r, &o);
        /* saved at once: from here on a retry must find this order */
        if (rc == AFZ_OK)
            afz_ref_state_save(r, o.url, 0);
    }
    while (rc == AFZ_OK && !o.done) {
        switch (o.ord.status) {
        case AFZ_REF_ST_VALID:
            /* 7.4.2: download only from the order's certificate URL */
            if (!o.ord.certificate) {
                rc = afz_ref_fail(r, AFZ_EPROTO, "order %s is valid but has no certificate URL",
                                  o.url);
                break;
            }
            rc = do_download(r, &o, o.ord.certificate);
            break;
        case AFZ_REF_ST_READY:
            /* a "ready" after an accepted finalize is a stale read: poll */
            rc = o.finalize_accepted ? poll_order(r, &o, 1) : do_finalize(r, &o);
            break;
        case AFZ_REF_ST_PENDING:
            if (!o.authz_done) {
                unsigned before = r->n_requests;
                rc = do_authorizations(r, &o);
                if (rc != AFZ_OK)
                    break;
                /* Reading the order right after its authorizations is not a
                 * poll (RFC 8555 7.4); with nothing read in between it is,
                 * and waits like one. */
                rc = poll_order(r, &o, r->n_requests == before);
                break;
            }
            rc = poll_order(r, &o, 1);
            break;
        case AFZ_REF_ST_PROCESSING:
            if (afz_ref_quirk_on(r, AFZ_REF_QUIRK_PROCESSING_IS_FAILURE)) {
                afz_ref_state_forget(r);
                rc = afz_ref_fail(r, AFZ_EPROTO, "order %s is processing: issuance failed", o.url);
                break;
            }
            if (afz_ref_quirk_on(r, AFZ_REF_QUIRK_REFINALIZE_ON_PROCESSING) && o.finalize_posts > 0)
                rc = do_finalize(r, &o);
            else
                rc = poll_order(r, &o, 1);
            break;
        case AFZ_REF_ST_INVALID:
            if (afz_ref_quirk_on(r, AFZ_REF_QUIRK_POLL_AFTER_INVALID)) {
                rc = poll_order(r, &o, 1);
                break;
            }
            /* final (RFC 8555 7.1.6): nothing to resume */
            afz_ref_state_forget(r);
            rc = afz_ref_fail(r, AFZ_EPROTO, "order %s is invalid: %s", o.url,
                              o.ord.error[0] ? o.ord.error : "(no error given)");
            break;
        default:
            rc = afz_ref_fail(r, AFZ_EPROTO, "order %s has status %s", o.url,
                              afz_ref_status_name(o.ord.status));
            break;
        }
    }
    if (rc == AFZ_OK)
        afz_ref_state_forget(r);
    order_run_cleanup(&o);
    return rc;
}

/* ---- the client ------------------------------------------------------- */

static afz_rc check_params(const afz_env *env, const afz_obtain_params *p, const char **why)
{
    *why = NULL;
    /* this client reads the env only up to |log|: a smaller env is too old */
    const size_t env_min = offsetof(afz_env, log) + sizeof(env->log);
    if (!env || env->abi_version != AFZ_CLIENT_ABI_VERSION || env->struct_size < env_min ||
        !env->http || !env->sleep || !env->now)
        *why = "bad environment";
    else if (!p || p->struct_size < sizeof(afz_obtain_params))
        *why = "bad obtain parameters";
    else if (!p->directory_url || !afz_ref_url_ok(p->directory_url))
        *why = "bad directory URL";
    else if (!p->identifiers || p->n_identifiers == 0 || p->n_identifiers > 100)
        *why = "need 1 to 100 identifiers";
    else if (!p->account_key || !p->cert_key)
        *why = "missing key";
    // cppcheck-suppress nullPointerRedundantCheck ; *why is set whenever p is NULL
    for (size_t i = 0; !*why && i < p->n_identifiers; i++)
        if (!p->identifiers[i] || !p->identifiers[i][0])
            *why = "empty identifier";
    return *why ? AFZ_EINVAL : AFZ_OK;
}

afz_rc afz_reference_obtain(const afz_client *self, const afz_env *env, const afz_obtain_params *p,
                            afz_obtain_result *out)
{
    if (!out)
        return AFZ_EINVAL;
    memset(out, 0, sizeof(*out));
    const char *why;
    if (check_params(env, p, &why) != AFZ_OK) {
        snprintf(out->reason, sizeof(out->reason), "%s", why);
        return AFZ_EINVAL;
    }
    afz_reference_config cfg;
    config_load(self, &cfg);
    afz_ref r;
    afz_ref_init(&r, &cfg, env, p, out);
    afz_rc rc = do_directory(&r);
    if (rc == AFZ_OK)
        rc = do_account(&r);
    unsigned orders = afz_ref_quirk_on(&r, AFZ_REF_QUIRK_REORDER_ON_FAILURE) ? REF_QUIRK_ORDERS : 1;
    for (unsigned i = 0; rc == AFZ_OK && i < orders; i++) {
        /* only the first order of an obtain resumes: a quirky start-over
         * (REORDER_ON_FAILURE) means a new order */
        rc = order_flow(&r, i == 0);
        if (rc == AFZ_OK || rc == AFZ_EBUDGET || rc == AFZ_ENOMEM || r.stopped)
            break;
        if (i + 1 < orders) {
            afz_ref_log(&r, "starting over with a new order");
            rc = AFZ_OK;
        }
    }
    if (rc == AFZ_OK) {
        out->reason[0] = '\0';
        afz_ref_log(&r, "done: certificate for %zu identifier(s), %u requests", p->n_identifiers,
                    r.n_requests);
    } else {
        free(out->cert_pem);
        out->cert_pem = NULL;
        out->cert_pem_len = 0;
        if (!out->reason[0])
            snprintf(out->reason, sizeof(out->reason), "failed: %s", afz_rc_str(rc));
    }
    afz_ref_cleanup(&r);
    return rc;
}

const afz_client afz_client_reference = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "reference",
    .description = "spec-faithful RFC 8555 client: finalize once, poll the order, "
                   "honour Retry-After",
    .expected_property = NULL,
    .config = NULL,
    .obtain = afz_reference_obtain,
    /* It signs with any of the four key types (afz_jws_sign) and resumes a
     * saved order from its state store on the next campaign attempt. */
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
