/* afz_prop_jws.c - how each request is signed and what it carries:
 * post-as-get-empty, nonce-discipline, jws-headers. Each reports the first
 * offending exchange and how many offended in all. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "afz_prop_internal.h"

/* ---- post-as-get-empty ---------------------------------------------------
 * RFC 8555 6.3: "The "payload" field of the JWS object MUST be present and
 * set to the empty string ("")." for POST-as-GET, which is how orders (7.4),
 * authorizations (7.5) and certificates (7.4.2) are fetched. An
 * authorization also takes {"status": "deactivated"} (7.5.2); account URLs
 * take updates (7.3.2) and are not judged here. A non-empty payload on an
 * order poll is what broke clients in the 2023-07 incident (400
 * malformed). */
void afz_prop_check_post_as_get_empty(const afz_prop_input *in, afz_prop_result *out)
{
    const afz_trace *t = afz_prop_need_trace(in, out);
    if (!t)
        return;
    size_t first = SIZE_MAX, bad = 0, judged = 0;
    for (size_t i = 0; i < t->n_ex; i++) {
        const afz_trace_ex *e = &t->ex[i];
        if (!e->is_post || !e->jws_ok)
            continue; /* jws-headers judges what is not a JWS */
        int ok;
        if (e->kind == AFZ_RES_ORDER || e->kind == AFZ_RES_CERT)
            ok = e->payload == AFZ_PAYLOAD_EMPTY;
        else if (e->kind == AFZ_RES_AUTHZ)
            ok = e->payload == AFZ_PAYLOAD_EMPTY || e->payload == AFZ_PAYLOAD_DEACTIVATE;
        else
            continue;
        judged++;
        if (!ok && bad++ == 0)
            first = i;
    }
    if (!bad) {
        afz_prop_pass(out, "%zu POST-as-GET request(s), all with the empty payload", judged);
        return;
    }
    const afz_trace_ex *e = &t->ex[first];
    afz_prop_violation(out, first,
                       "#%zu POST to %s %s carries a %zu-byte payload \"%.40s\" instead of \"\" "
                       "(%zu such request(s))",
                       first + 1, afz_resource_name(e->kind), afz_prop_path(e->url),
                       e->jws.payload_len, e->jws.payload ? (const char *)e->jws.payload : "", bad);
}

/* ---- nonce-discipline, nonce-fresh, retries-bad-nonce --------------------
 * RFC 8555 6.5: "Every JWS sent by an ACME client MUST include, in its
 * protected header, the "nonce" header parameter". "However, when retrying
 * in response to a "badNonce" error, the client MUST use the nonce
 * provided in the error response." 6.5.1: "Clients MUST ignore invalid
 * Replay-Nonce values" (1*base64url). Those three are nonce-discipline
 * (MUST).
 *
 * That a nonce came from the server and is used once is the server's rule
 * ("the ACME server MUST verify that the value of the "nonce" header is a
 * value that the server previously provided in a Replay-Nonce header
 * field. Once a nonce value has appeared in an ACME request, the server
 * MUST consider it invalid"): no sentence binds the client, and a client
 * that breaks it only earns badNonce. That is nonce-fresh (ROBUST).
 *
 * Whether to retry at all is "On receiving such a response, a client
 * SHOULD retry the request using the new nonce.": retries-bad-nonce
 * (SHOULD) flags an obtain call that sent no further request to the URL
 * a badNonce answer (with a valid fresh nonce) refused.
 *
 * After a badNonce answer carrying a valid nonce, the retry is the next
 * POST when it goes to the same URL. A new obtain call (campaign attempt)
 * retries nothing. */

static int seen_invalid_nonce(const afz_trace *t, const char *nonce, size_t before)
{
    for (size_t k = 0; k < t->n_nonces && t->nonces[k].ex < before; k++)
        if (!t->nonces[k].valid && strcmp(t->nonces[k].value, nonce) == 0)
            return 1;
    return 0;
}

/* Walks every POST and reports the first offence of the wanted kind:
 * |must| 1 for nonce-discipline's, 0 for nonce-fresh's. */
static void nonce_scan(const afz_prop_input *in, int must, afz_prop_result *out)
{
    const afz_trace *t = afz_prop_need_trace(in, out);
    if (!t)
        return;
    /* slot->a: exchange that issued the nonce, ->b: first request using it */
    afz_prop_slots nonces = {0};
    size_t first = SIZE_MAX, bad = 0, posts = 0;
    char why[240] = "";
    size_t retry_of = SIZE_MAX;     /* a badNonce answer awaiting its retry */
    const char *retry_nonce = NULL; /* the nonce it provided */
    const afz_history *h = in->history;
    size_t ev = 0;
    for (size_t i = 0; i < t->n_ex; i++) {
        const afz_trace_ex *e = &t->ex[i];
        for (; h && ev < h->n_ev && h->ev[ev].exchange <= i; ev++)
            if (h->ev[ev].kind == AFZ_EV_ATTEMPT_START)
                retry_of = SIZE_MAX;
        if (e->is_post && e->jws_ok) {
            posts++;
            char msg[240] = "";
            int msg_must = 0;
            afz_prop_slot *s = e->nonce ? afz_prop_slot_find(&nonces, e->nonce) : NULL;
            if (retry_of != SIZE_MAX && strcmp(e->url, t->ex[retry_of].url) == 0 &&
                (!e->nonce || strcmp(e->nonce, retry_nonce) != 0)) {
                msg_must = 1;
                snprintf(msg, sizeof(msg),
                         "#%zu retries #%zu after badNonce with nonce \"%.40s\", not the one the "
                         "error response provided (\"%.40s\")",
                         i + 1, retry_of + 1, e->nonce ? e->nonce : "(none)", retry_nonce);
            } else if (!e->nonce) {
                msg_must = 1;
                snprintf(msg, sizeof(msg),
                         "#%zu POST to %s has no \"nonce\" in its protected header", i + 1,
                         afz_prop_path(e->url));
            } else if (!s && seen_invalid_nonce(t, e->nonce, i)) {
                msg_must = 1;
                snprintf(msg, sizeof(msg),
                         "#%zu uses \"%.40s\", an invalid Replay-Nonce value it must ignore", i + 1,
                         e->nonce);
            } else if (s && s->b != SIZE_MAX) {
                snprintf(msg, sizeof(msg), "#%zu reuses nonce \"%.40s\" already used by #%zu",
                         i + 1, e->nonce, s->b + 1);
            } else if (!s) {
                snprintf(msg, sizeof(msg),
                         "#%zu uses nonce \"%.40s\" that no earlier response provided", i + 1,
                         e->nonce);
            }
            retry_of = SIZE_MAX;
            if (msg[0] && msg_must == must && bad++ == 0) {
                first = i;
                memcpy(why, msg, sizeof(why));
            }
            if (s && s->b == SIZE_MAX)
                s->b = i;
        }
        if (!e->delivered)
            continue;
        const char *fresh = NULL;
        for (size_t k = 0; k < e->n_nonces; k++) {
            const afz_trace_nonce *n = &t->nonces[e->nonce_first + k];
            if (!n->valid)
                continue;
            afz_prop_slot *s = afz_prop_slot_get(&nonces, n->value);
            if (!s) {
                afz_prop_inconclusive(out, "out of memory");
                goto done;
            }
            if (s->a == SIZE_MAX)
                s->a = i;
            if (!fresh)
                fresh = n->value;
        }
        if (e->is_post && fresh && afz_trace_problem_is(e, "badNonce")) {
            retry_of = i;
            retry_nonce = fresh;
        }
    }
    if (!bad)
        afz_prop_pass(out,
                      must ? "%zu POST(s), each with a nonce, badNonce retries with the "
                             "provided one"
                           : "%zu POST(s), each with a server nonce used once",
                      posts);
    else
        afz_prop_violation(out, first, "%s (%zu such request(s))", why, bad);
done:
    afz_prop_slots_cleanup(&nonces);
}

void afz_prop_check_nonce_discipline(const afz_prop_input *in, afz_prop_result *out)
{
    nonce_scan(in, 1, out);
}

void afz_prop_check_nonce_fresh(const afz_prop_input *in, afz_prop_result *out)
{
    nonce_scan(in, 0, out);
}

/* retries-bad-nonce judges give-ups only: under a legal or real-world plan
 * (a badNonce on every try is a degraded storm, where giving up after a
 * few is failing safely), an obtain call that never sent again a request
 * to a URL after a badNonce refusal carrying a fresh nonce. A client that
 * retried and was refused again, then stopped, did retry. */
void afz_prop_check_retries_bad_nonce(const afz_prop_input *in, afz_prop_result *out)
{
    const afz_trace *t = afz_prop_need_trace(in, out);
    if (!t)
        return;
    afz_fault_class cls = in->plan ? in->plan_class : AFZ_CLASS_LEGAL;
    if (cls != AFZ_CLASS_LEGAL && cls != AFZ_CLASS_REAL_WORLD) {
        afz_prop_pass(out, "not judged: the plan has %s faults", afz_fault_class_name(cls));
        return;
    }
    const afz_history *h = in->history;
    size_t refused = 0, ev = 0;
    size_t pending = SIZE_MAX; /* a badNonce refusal not yet retried */
    int pending_retried = 0;   /* its URL was already retried once in this call */
    for (size_t i = 0; i <= t->n_ex; i++) {
        int new_attempt = 0;
        for (; h && i < t->n_ex && ev < h->n_ev && h->ev[ev].exchange <= i; ev++)
            if (h->ev[ev].kind == AFZ_EV_ATTEMPT_START && h->ev[ev].exchange == i)
                new_attempt = 1;
        if (pending != SIZE_MAX && !pending_retried && (i == t->n_ex || new_attempt)) {
            afz_prop_violation(out, pending,
                               "#%zu was refused with badNonce and a fresh nonce, and the "
                               "client never sent %s again in this obtain call",
                               pending + 1, afz_prop_path(t->ex[pending].url));
            return;
        }
        if (i == t->n_ex)
            break;
        if (new_attempt)
            pending = SIZE_MAX;
        const afz_trace_ex *e = &t->ex[i];
        if (!e->is_post)
            continue;
        int same = pending != SIZE_MAX && strcmp(e->url, t->ex[pending].url) == 0;
        if (same)
            pending = SIZE_MAX;
        if (e->delivered && afz_trace_problem_is(e, "badNonce")) {
            int fresh = 0;
            for (size_t k = 0; k < e->n_nonces && !fresh; k++)
                fresh = t->nonces[e->nonce_first + k].valid;
            if (fresh) {
                refused++;
                if (pending == SIZE_MAX) {
                    pending = i;
                    pending_retried = same;
                }
            }
        }
    }
    afz_prop_pass(out, "%zu badNonce refusal(s), none given up on at once", refused);
}

/* ---- jws-headers ---------------------------------------------------------
 * RFC 8555 6.2: requests carry "JWS objects in the Flattened JSON
 * Serialization"; the protected header "MUST include" "alg", "nonce",
 * "url" and "Either "jwk" (JSON Web Key) or "kid" (Key ID)"; "alg" "MUST
 * NOT be "none"" nor "a Message Authentication Code (MAC) algorithm"; "The
 * "jwk" and "kid" fields are mutually exclusive. Servers MUST reject
 * requests that contain both." "For newAccount requests, and for
 * revokeCert requests authenticated by a certificate key, there MUST be a
 * "jwk" field." "For all other requests, the request is signed using an
 * existing account, and there MUST be a "kid" field. This field MUST
 * contain the account URL received by POSTing to the newAccount
 * resource." 6.4: the "url" header parameter "MUST be set to the URL to
 * which the client is sending the request". The Content-Type rule ("must
 * have the Content-Type header field set to "application/jose+json"") is
 * lower case in 6.2, so it is not judged here: a server answers it with 415
 * and the client's failure shows in succeeds-under-legal (ROBUST).
 *
 * An algorithm the server does not support is no client violation: 6.2
 * has the server answer badSignatureAlgorithm, and the client may try
 * another. Only "none" and the MAC algorithms (HS256, HS384, HS512, any
 * "HS" name) break the rule. */

static int alg_forbidden(const char *alg)
{
    if (!alg)
        return 1;
    return strcmp(alg, "none") == 0 || strncmp(alg, "HS", 2) == 0;
}

/* Writes what is wrong with POST |i| into |msg|; returns 0 if nothing. */
static int jws_fault(const afz_trace *t, size_t i, char *msg, size_t n)
{
    const afz_trace_ex *e = &t->ex[i];
    if (!e->jws_ok) {
        snprintf(msg, n, "#%zu POST to %s is not a flattened JWS: %.80s", i + 1,
                 afz_prop_path(e->url), e->jws_error ? e->jws_error : "unreadable");
        return 1;
    }
    if (alg_forbidden(e->alg)) {
        snprintf(msg, n, "#%zu POST to %s is signed with alg \"%.20s\"", i + 1,
                 afz_prop_path(e->url), e->alg ? e->alg : "(none)");
        return 1;
    }
    if (!e->jws_url || strcmp(e->jws_url, e->url) != 0) {
        snprintf(msg, n, "#%zu POST to %.80s carries protected \"url\" %.80s", i + 1, e->url,
                 e->jws_url ? e->jws_url : "(none)");
        return 1;
    }
    if (e->has_jwk == e->has_kid) {
        snprintf(msg, n, "#%zu POST to %s has %s", i + 1, afz_prop_path(e->url),
                 e->has_jwk ? "both \"jwk\" and \"kid\"" : "neither \"jwk\" nor \"kid\"");
        return 1;
    }
    int jwk_allowed = e->is_new_account || e->kind == AFZ_RES_REVOKE;
    if (e->has_jwk && !jwk_allowed) {
        snprintf(msg, n,
                 "#%zu POST to %s (%s) carries \"jwk\"; only newAccount and revokeCert "
                 "may, others use \"kid\"",
                 i + 1, afz_prop_path(e->url), afz_resource_name(e->kind));
        return 1;
    }
    if (e->has_kid && e->is_new_account) {
        snprintf(msg, n, "#%zu newAccount request carries \"kid\"; it must carry \"jwk\"", i + 1);
        return 1;
    }
    if (e->has_kid && !e->kid) {
        snprintf(msg, n, "#%zu POST to %s has a \"kid\" that is not a string", i + 1,
                 afz_prop_path(e->url));
        return 1;
    }
    /* Judge the kid only once the client had been told an account URL. */
    int told = 0;
    for (size_t k = 0; k < t->n_accounts && !told; k++)
        told = t->accounts[k].ex < i;
    if (e->has_kid && told && !afz_trace_account_known(t, e->kid, i)) {
        snprintf(msg, n, "#%zu POST to %s has kid %.80s, not the account URL newAccount gave",
                 i + 1, afz_prop_path(e->url), e->kid);
        return 1;
    }
    return 0;
}

void afz_prop_check_jws_headers(const afz_prop_input *in, afz_prop_result *out)
{
    const afz_trace *t = afz_prop_need_trace(in, out);
    if (!t)
        return;
    size_t first = SIZE_MAX, bad = 0, posts = 0;
    char why[240] = "";
    for (size_t i = 0; i < t->n_ex; i++) {
        if (!t->ex[i].is_post)
            continue;
        posts++;
        char msg[240];
        if (jws_fault(t, i, msg, sizeof(msg)) && bad++ == 0) {
            first = i;
            memcpy(why, msg, sizeof(why));
        }
    }
    if (!bad)
        afz_prop_pass(out, "%zu POST(s), each a well-formed JWS", posts);
    else
        afz_prop_violation(out, first, "%s (%zu such request(s))", why, bad);
}
