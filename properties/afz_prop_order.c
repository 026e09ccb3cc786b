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
 * RFC 8555 7.1.3: "Clients SHOULD check the "status" field of an order to
 * determine whether they need to take any action in response to an
 * order." 7.4, on the finalize answer: "processing": "Send a POST-as-GET
 * request after the time given in the Retry-After header field of the
 * response, if any." (poll, do not finalize again); "valid": "Download the
 * certificate."; "invalid": "Consider this order process abandoned."
 *
 * The first finalize of an order is never a violation, whatever the client
 * saw before it: 7.4 has the client finalize "Once the client believes it
 * has fulfilled the server's requirements", and a premature one earns
 * orderNotReady ("A request to finalize an order will result in an error
 * if the order is not in the "ready" state."): judging it is the server's
 * job. lego and certbot finalize once every challenge or authorization
 * shows "valid", without reading the order again; that is fine.
 *
 * A later finalize of the same order is a violation when
 *  (a) an earlier finalize of it was answered 2xx (accepted), or
 *  (b) since the previous finalize the client saw the order "processing",
 *      "valid" or "invalid" (the server has taken the order past "ready"),
 *      or
 *  (c) the previous finalize's answer never arrived and no response since
 *      showed the order "ready": the server may have processed it.
 * So retries stay fair after badCSR (the order stays "ready"), after a
 * refusal the server never processed (429, 503, 500, badNonce,
 * orderNotReady), and after a lost answer once a poll shows "ready". */

void afz_prop_check_no_refinalize(const afz_prop_input *in, afz_prop_result *out)
{
    const afz_trace *t = afz_prop_need_trace(in, out);
    if (!t)
        return;
    /* per order: ->a the accepted finalize, ->b the previous finalize,
     * ->status/->seen_at the last status shown since ->b (NULL: none),
     * ->count finalize requests */
    afz_prop_slots orders = {0};
    size_t n_finalize = 0, n_retries = 0;
    for (size_t i = 0; i < t->n_ex; i++) {
        const afz_trace_ex *e = &t->ex[i];
        if (e->kind == AFZ_RES_FINALIZE && e->is_post) {
            n_finalize++;
            afz_prop_slot *s = afz_prop_slot_get(&orders, order_key(e));
            if (!s)
                goto oom;
            if (s->count++ > 0) {
                n_retries++;
                const afz_trace_ex *prev = &t->ex[s->b];
                if (s->a != SIZE_MAX) {
                    afz_prop_violation(out, i,
                                       "#%zu finalizes order %s again: the finalize of #%zu was "
                                       "already accepted (HTTP 2xx)",
                                       i + 1, afz_prop_path(s->key), s->a + 1);
                    goto done;
                }
                if (status_is(s->status, "processing") || status_is(s->status, "valid") ||
                    status_is(s->status, "invalid")) {
                    afz_prop_violation(out, i,
                                       "#%zu finalizes order %s again after #%zu showed it "
                                       "\"%s\" (finalized first at #%zu)",
                                       i + 1, afz_prop_path(s->key), s->seen_at + 1, s->status,
                                       s->b + 1);
                    goto done;
                }
                if (!prev->delivered && !status_is(s->status, "ready")) {
                    afz_prop_violation(out, i,
                                       "#%zu finalizes order %s again although the answer to "
                                       "the finalize of #%zu never arrived and no response "
                                       "since showed the order \"ready\" (the server may have "
                                       "processed it)",
                                       i + 1, afz_prop_path(s->key), s->b + 1);
                    goto done;
                }
            }
            s->b = i;
            s->status = NULL;
            s->seen_at = SIZE_MAX;
            if (is_2xx(e)) {
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
                  "%zu finalize request(s), %zu of them retries, none after an accepted "
                  "finalize or a status past \"ready\"",
                  n_finalize, n_retries);
    goto done;
oom:
    afz_prop_inconclusive(out, "out of memory");
done:
    afz_prop_slots_cleanup(&orders);
}

/* ---- final-states-final --------------------------------------------------
 * RFC 8555 7.1.3: "Clients SHOULD check the "status" field of an order to
 * determine whether they need to take any action." 7.4: "invalid": "The
 * certificate will not be issued. Consider this order process
 * abandoned." "valid": "Download the certificate." 7.1.6 names the states
 * with no way out: an "invalid" order, and an authorization that "enters a
 * final state other than "valid" ("expired", "revoked", or
 * "deactivated")" or "invalid". A "valid" authorization is not final (it
 * may expire, be deactivated or revoked).
 *
 * So, once the client saw such a state: it never finalizes that order (nor
 * one it saw "valid"), and it looks at the order or authorization at most
 * once more (a last read before clean-up is no loop; lego re-reads a
 * failed authorization, then deactivates it). Deactivating an
 * authorization (7.5.2) is clean-up and always allowed. Nothing in 7.1.6
 * forbids a read: the second one is what shows a client that did not check
 * the status and polls on. */
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
        if (s && s->a != SIZE_MAX && e->payload != AFZ_PAYLOAD_DEACTIVATE &&
            (e->kind == AFZ_RES_FINALIZE || ++s->count > 1)) {
            afz_prop_violation(out, i, "#%zu %s %s after #%zu showed %s \"%.40s\", a final state%s",
                               i + 1, e->kind == AFZ_RES_FINALIZE ? "finalizes" : "requests",
                               afz_prop_path(key), s->a + 1,
                               e->kind == AFZ_RES_AUTHZ ? "it" : "the order", s->status,
                               e->kind == AFZ_RES_FINALIZE ? "" : " (and was looked at again)");
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
    afz_prop_pass(out, "no finalize after a final state or \"valid\", at most one look after one");
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
