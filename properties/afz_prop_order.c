/* afz_prop_order.c - properties of an order's life cycle as the client saw
 * it: no-refinalize, final-states-final, cert-url-from-order.
 *
 * "What the client saw" of an order is the "status" of every delivered
 * 2xx response about it: the newOrder response (its Location names the
 * order), a request to the order URL, and a finalize response (its
 * finalize URL belongs to the order, afz_trace). Error responses show no
 * status and change nothing, except where a rule says so. */
#include <stdint.h>
#include <string.h>

#include "afz_json.h"
#include "afz_prop_internal.h"

static int is_2xx(const afz_trace_ex *e)
{
    return e->delivered && e->status >= 200 && e->status < 300;
}

static int status_is(const char *s, const char *want)
{
    return s && strcmp(s, want) == 0;
}

/* The key an order is known by: its URL, or the finalize URL itself when
 * the server never tied it to one. */
static const char *order_key(const afz_trace_ex *e)
{
    return e->order_url ? e->order_url : e->url;
}

/* A response that shows the client an order's status (see above). */
static int shows_order_status(const afz_trace_ex *e)
{
    return is_2xx(e) && e->obj_status && e->order_url &&
           (e->kind == AFZ_RES_ORDER || e->kind == AFZ_RES_NEW_ORDER);
}

/* ---- no-refinalize -------------------------------------------------------
 * RFC 8555 7.4: "A request to finalize an order will result in an error if
 * the order is not in the "ready" state." and, among the statuses of the
 * finalize answer, "ready": "Submit a finalization request." only for that
 * one; "processing": "Send a POST-as-GET request after the time given in
 * the Retry-After header field of the response, if any." (poll, do not
 * finalize again).
 *
 * A finalize POST is a violation when
 *  (a) the order's last status the client saw was not "ready" (an
 *      orderNotReady answer to a finalize, or a finalize whose answer never
 *      arrived, makes it unknown until a fresh response shows it), or
 *  (b) an earlier finalize of the order was answered 2xx (accepted).
 * So retries stay fair after badCSR (the order stays "ready"), after an
 * injected refusal the server never processed (429, 503, 500, badNonce:
 * no status shown, nothing accepted), and after a lost answer once a
 * later poll shows "ready" again.
 *
 * One allowance for (a): 7.4 also says "Once the client believes it has
 * fulfilled the server's requirements, it should send a POST request to
 * the order resource's finalize URL", and lego and certbot finalize as soon
 * as every authorization shows "valid", without reading the order again.
 * So an order last seen "pending" may be finalized when every
 * authorization it listed was last seen "valid". (DESIGN.md's rule, "last
 * seen ready", is stricter than the RFC here.) */

/* The last status the client saw for authorization |url| before |before|. */
static const char *authz_last_status(const afz_trace *t, const char *url, size_t before)
{
    const char *st = NULL;
    for (size_t k = 0; k < before; k++) {
        const afz_trace_ex *a = &t->ex[k];
        if (a->kind == AFZ_RES_AUTHZ && is_2xx(a) && a->obj_status && strcmp(a->url, url) == 0)
            st = a->obj_status;
    }
    return st;
}

/* Every authorization the order listed at exchange |seen| was last seen
 * "valid" before exchange |before|. */
static int authorizations_all_valid(const afz_trace *t, size_t seen, size_t before)
{
    const cJSON *az = afz_json_array(t->ex[seen].body, "authorizations");
    if (!az || cJSON_GetArraySize(az) == 0)
        return 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, az)
    {
        if (!cJSON_IsString(it) || !status_is(authz_last_status(t, it->valuestring, before), "valid"))
            return 0;
    }
    return 1;
}

void afz_prop_check_no_refinalize(const afz_prop_input *in, afz_prop_result *out)
{
    const afz_trace *t = afz_prop_need_trace(in, out);
    if (!t)
        return;
    afz_prop_slots orders = {0};
    size_t n_finalize = 0;
    for (size_t i = 0; i < t->n_ex; i++) {
        const afz_trace_ex *e = &t->ex[i];
        if (e->kind == AFZ_RES_FINALIZE && e->is_post) {
            n_finalize++;
            afz_prop_slot *s = afz_prop_slot_get(&orders, order_key(e));
            if (!s)
                goto oom;
            /* s->a: the exchange whose finalize was accepted */
            if (s->a != SIZE_MAX) {
                afz_prop_violation(out, i,
                                   "#%zu finalizes order %s again: the finalize of #%zu was "
                                   "already accepted (HTTP 2xx)",
                                   i + 1, afz_prop_path(s->key), s->a + 1);
                goto done;
            }
            int fair_early = status_is(s->status, "pending") && s->seen_at != SIZE_MAX &&
                             authorizations_all_valid(t, s->seen_at, i);
            if (!status_is(s->status, "ready") && !fair_early) {
                if (s->status)
                    afz_prop_violation(out, i,
                                       "#%zu finalizes order %s last seen \"%.40s\" (#%zu), "
                                       "not \"ready\"",
                                       i + 1, afz_prop_path(s->key), s->status, s->seen_at + 1);
                else if (s->seen_at != SIZE_MAX)
                    afz_prop_violation(out, i,
                                       "#%zu finalizes order %s whose status was unknown after "
                                       "#%zu; no fresh response showed it \"ready\"",
                                       i + 1, afz_prop_path(s->key), s->seen_at + 1);
                else
                    afz_prop_violation(out, i,
                                       "#%zu finalizes order %s before any response showed it "
                                       "\"ready\"",
                                       i + 1, afz_prop_path(s->key));
                goto done;
            }
            if (!e->delivered || afz_trace_problem_is(e, "orderNotReady")) {
                s->status = NULL;
                s->seen_at = i;
            } else if (is_2xx(e)) {
                s->a = i;
                s->status = e->obj_status;
                s->seen_at = i;
            }
            continue;
        }
        if (shows_order_status(e)) {
            afz_prop_slot *s = afz_prop_slot_get(&orders, e->order_url);
            if (!s)
                goto oom;
            s->status = e->obj_status;
            s->seen_at = i;
        }
    }
    afz_prop_pass(out,
                  "%zu finalize request(s), each for an order last seen \"ready\" (or with "
                  "every authorization seen \"valid\")",
                  n_finalize);
    goto done;
oom:
    afz_prop_inconclusive(out, "out of memory");
done:
    afz_prop_slots_cleanup(&orders);
}

/* ---- final-states-final --------------------------------------------------
 * RFC 8555 7.1.6: orders and authorizations move through the states of its
 * diagrams; "invalid" orders, and "invalid", "deactivated", "expired" and
 * "revoked" authorizations, have no way out. 7.4: "invalid": "The
 * certificate will not be issued. Consider this order process abandoned."
 * "valid": "Download the certificate." So once the client saw one of
 * those, it asks nothing more of that order or authorization, and it never
 * finalizes an order it saw "valid". */

static int authz_dead(const char *s)
{
    return status_is(s, "invalid") || status_is(s, "deactivated") || status_is(s, "expired") ||
           status_is(s, "revoked");
}

void afz_prop_check_final_states_final(const afz_prop_input *in, afz_prop_result *out)
{
    const afz_trace *t = afz_prop_need_trace(in, out);
    if (!t)
        return;
    /* slot->a: exchange that showed a final state; ->b: that showed "valid" */
    afz_prop_slots urls = {0};
    for (size_t i = 0; i < t->n_ex; i++) {
        const afz_trace_ex *e = &t->ex[i];
        const char *key = NULL;
        if (e->kind == AFZ_RES_ORDER || e->kind == AFZ_RES_AUTHZ)
            key = e->url;
        else if (e->kind == AFZ_RES_FINALIZE && e->is_post)
            key = order_key(e);
        afz_prop_slot *s = key ? afz_prop_slot_find(&urls, key) : NULL;
        if (s && s->a != SIZE_MAX) {
            afz_prop_violation(out, i, "#%zu %s %s after #%zu showed %s \"%.40s\", a final state",
                               i + 1, e->kind == AFZ_RES_FINALIZE ? "finalizes" : "requests",
                               afz_prop_path(key), s->a + 1,
                               e->kind == AFZ_RES_AUTHZ ? "it" : "the order", s->status);
            goto done;
        }
        if (s && e->kind == AFZ_RES_FINALIZE && s->b != SIZE_MAX) {
            afz_prop_violation(out, i, "#%zu finalizes order %s after #%zu showed it \"valid\"",
                               i + 1, afz_prop_path(key), s->b + 1);
            goto done;
        }
        if (!is_2xx(e) || !e->obj_status)
            continue;
        int dead = 0, valid = 0;
        if (e->kind == AFZ_RES_AUTHZ) {
            key = e->url;
            dead = authz_dead(e->obj_status);
        } else if (e->order_url && (e->kind == AFZ_RES_ORDER || e->kind == AFZ_RES_NEW_ORDER ||
                                    e->kind == AFZ_RES_FINALIZE)) {
            key = e->order_url;
            dead = status_is(e->obj_status, "invalid");
            valid = status_is(e->obj_status, "valid");
        }
        if (!dead && !valid)
            continue;
        if (!(s = afz_prop_slot_get(&urls, key))) {
            afz_prop_inconclusive(out, "out of memory");
            goto done;
        }
        if (dead && s->a == SIZE_MAX) {
            s->a = i;
            s->status = e->obj_status;
        }
        if (valid && s->b == SIZE_MAX)
            s->b = i;
    }
    afz_prop_pass(out, "no request followed a final state");
done:
    afz_prop_slots_cleanup(&urls);
}

/* ---- cert-url-from-order -------------------------------------------------
 * RFC 8555 7.4.2: "To download the issued certificate, the client simply
 * sends a POST-as-GET request to the certificate URL" - the order's
 * "certificate" field, which 7.1.3 says is present once the order is
 * "valid". The certificate response "MAY provide one or more link relation
 * header fields [RFC8288] with relation "alternate"", and "up" names the
 * issuer chain (7.1). A certificate URL from anywhere else is a guess: it
 * is what clients did when they assumed the finalize response carries it
 * (2023-07 incident), or took the finalize response's Location (the order
 * URL) for it (win-acme#1225). A certificate fetch is a request to a
 * certificate-kind URL, or one whose Accept asks for a certificate format
 * (7.4.2) whatever the URL. */
void afz_prop_check_cert_url_from_order(const afz_prop_input *in, afz_prop_result *out)
{
    const afz_trace *t = afz_prop_need_trace(in, out);
    if (!t)
        return;
    afz_prop_slots given = {0}; /* slot->a: the exchange that gave the URL */
    size_t n_fetch = 0;
    for (size_t i = 0; i < t->n_ex; i++) {
        const afz_trace_ex *e = &t->ex[i];
        if (e->kind == AFZ_RES_CERT || e->accept_cert) {
            n_fetch++;
            if (!afz_prop_slot_find(&given, e->url)) {
                afz_prop_violation(out, i,
                                   "#%zu fetches a certificate from %s (%s), a URL that no "
                                   "\"valid\" order's \"certificate\" nor a Link "
                                   "rel=\"up\"/\"alternate\" had given",
                                   i + 1, afz_prop_path(e->url), afz_resource_name(e->kind));
                goto done;
            }
        }
        if (!is_2xx(e))
            continue;
        if (e->certificate && status_is(e->obj_status, "valid") &&
            (e->kind == AFZ_RES_ORDER || e->kind == AFZ_RES_NEW_ORDER ||
             e->kind == AFZ_RES_FINALIZE)) {
            afz_prop_slot *s = afz_prop_slot_get(&given, e->certificate);
            if (!s)
                goto oom;
            if (s->a == SIZE_MAX)
                s->a = i;
        }
        for (size_t k = 0; k < e->n_links; k++) {
            afz_prop_slot *s = afz_prop_slot_get(&given, t->links[e->link_first + k].url);
            if (!s)
                goto oom;
            if (s->a == SIZE_MAX)
                s->a = i;
        }
    }
    afz_prop_pass(out, "%zu certificate request(s), each to a URL the server gave", n_fetch);
    goto done;
oom:
    afz_prop_inconclusive(out, "out of memory");
done:
    afz_prop_slots_cleanup(&given);
}
