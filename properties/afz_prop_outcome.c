/* afz_prop_outcome.c - what a run did to the CA and to the user:
 * no-duplicate-issuance, no-orphan-issuance, bounded-new-orders,
 * terminates, succeeds-under-legal. The first two and the last read the
 * server's events (what was really issued and downloaded); the others the
 * trace and the run's outcome. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "afz_prop_internal.h"

static const char *ids_of(const afz_event *ev)
{
    return ev->identifiers ? ev->identifiers : "";
}

static size_t ev_exchange(const afz_history *h, const afz_event *ev)
{
    return ev->exchange < h->n_ex ? ev->exchange : SIZE_MAX;
}

/* ---- no-duplicate-issuance -----------------------------------------------
 * Let's Encrypt's Duplicate Certificate limit: 5 certificates per week for
 * the exact same set of names. A client renews at most once per run, so a
 * second certificate for the same set within one run (all campaign attempts
 * together) is issuance the client threw away - the loop that hit the limit
 * in the 2023-07 incident. */
void afz_prop_check_no_duplicate_issuance(const afz_prop_input *in, afz_prop_result *out)
{
    const afz_history *h = in->history;
    afz_prop_slots sets = {0}; /* slot->a: event index of the first issuance */
    size_t issued = 0;
    for (size_t i = 0; i < h->n_ev; i++) {
        const afz_event *ev = &h->ev[i];
        if (ev->kind != AFZ_EV_CERT_ISSUED)
            continue;
        issued++;
        afz_prop_slot *s = afz_prop_slot_get(&sets, ids_of(ev));
        if (!s) {
            afz_prop_inconclusive(out, "out of memory");
            goto done;
        }
        if (s->a != SIZE_MAX) {
            const afz_event *first = &h->ev[s->a];
            afz_prop_violation(out, ev_exchange(h, ev),
                               "a second certificate for [%.80s] was issued at #%zu (serial "
                               "%.20s); the first at #%zu (serial %.20s)",
                               ids_of(ev), ev->exchange + 1, ev->serial ? ev->serial : "?",
                               first->exchange + 1, first->serial ? first->serial : "?");
            goto done;
        }
        s->a = i;
    }
    afz_prop_pass(out, "%zu certificate(s) issued, none twice for the same names", issued);
done:
    afz_prop_slots_cleanup(&sets);
}

/* ---- no-orphan-issuance --------------------------------------------------
 * The 2023-07 incident: finalize answered "processing", clients took the
 * missing certificate URL for a failure and ordered again while the CA
 * issued the first certificate anyway. Every certificate issued must be
 * downloaded (same serial) before the client creates another order for
 * the same set of names. */
void afz_prop_check_no_orphan_issuance(const afz_prop_input *in, afz_prop_result *out)
{
    const afz_history *h = in->history;
    size_t issued = 0;
    for (size_t i = 0; i < h->n_ev; i++) {
        const afz_event *ev = &h->ev[i];
        if (ev->kind != AFZ_EV_CERT_ISSUED)
            continue;
        issued++;
        for (size_t k = i + 1; k < h->n_ev; k++) {
            const afz_event *nx = &h->ev[k];
            if (nx->kind == AFZ_EV_CERT_DOWNLOADED && ev->serial && nx->serial &&
                strcmp(ev->serial, nx->serial) == 0)
                break;
            if (nx->kind == AFZ_EV_ORDER_CREATED && strcmp(ids_of(nx), ids_of(ev)) == 0) {
                afz_prop_violation(out, ev_exchange(h, nx),
                                   "#%zu creates a new order for [%.80s] while the certificate "
                                   "issued at #%zu (serial %.20s) was never downloaded",
                                   nx->exchange + 1, ids_of(nx), ev->exchange + 1,
                                   ev->serial ? ev->serial : "?");
                return;
            }
        }
    }
    afz_prop_pass(out, "%zu certificate(s) issued, none orphaned by a new order", issued);
}

/* ---- bounded-new-orders --------------------------------------------------
 * One newOrder per obtain call, plus one fresh order when the first went
 * "invalid" or expired (RFC 8555 7.1.6: final states), is all a correct
 * client needs; the limit is max_new_orders_per_attempt times the obtain
 * calls. Requests the server refused (any delivered 4xx/5xx: badNonce,
 * rateLimited, an injected 503) created no order and do not count; a
 * request whose answer was lost may have, and counts. */
void afz_prop_check_bounded_new_orders(const afz_prop_input *in, afz_prop_result *out)
{
    const afz_trace *t = afz_prop_need_trace(in, out);
    if (!t)
        return;
    const afz_prop_limits *lim = afz_prop_limits_of(in);
    unsigned attempts = in->attempts ? in->attempts : 1;
    uint64_t limit = (uint64_t)lim->max_new_orders_per_attempt * attempts;
    afz_prop_slots sets = {0}; /* slot->count: counted newOrder requests */
    size_t total = 0;
    for (size_t i = 0; i < t->n_ex; i++) {
        const afz_trace_ex *e = &t->ex[i];
        if (e->kind != AFZ_RES_NEW_ORDER || !e->is_post)
            continue;
        if (e->delivered && e->status >= 400)
            continue;
        total++;
        const char *key = e->new_order_ids ? e->new_order_ids : "(unreadable payload)";
        afz_prop_slot *s = afz_prop_slot_get(&sets, key);
        if (!s) {
            afz_prop_inconclusive(out, "out of memory");
            goto done;
        }
        if (++s->count > limit) {
            afz_prop_violation(out, i,
                               "#%zu is newOrder number %u for [%.80s]; the bound is %llu (%u per "
                               "obtain call, %u call(s))",
                               i + 1, s->count, key, (unsigned long long)limit,
                               lim->max_new_orders_per_attempt, attempts);
            goto done;
        }
    }
    afz_prop_pass(out, "%zu newOrder request(s) within %llu per identifier set", total,
                  (unsigned long long)limit);
done:
    afz_prop_slots_cleanup(&sets);
}

/* ---- terminates ----------------------------------------------------------
 * DESIGN.md, "A client that never returns must not hang the harness": a
 * client that spends its request or virtual-time budget (or is unwound for
 * ignoring it) loops; real CAs see that as abuse. Histories recorded
 * without an in-process budget (server mode) are held to the limits.
 *
 * A campaign's attempts share one budget. When it runs out in a later
 * attempt that had itself used less than half of it, the attempts
 * together spent it: that is no evidence of a loop, and the verdict is
 * inconclusive rather than a violation. */
void afz_prop_check_terminates(const afz_prop_input *in, afz_prop_result *out)
{
    const afz_history *h = in->history;
    const afz_prop_limits *lim = afz_prop_limits_of(in);
    const afz_event *spent = NULL, *attempt = NULL;
    for (size_t i = 0; i < h->n_ev && !spent; i++) {
        if (h->ev[i].kind == AFZ_EV_BUDGET_EXHAUSTED)
            spent = &h->ev[i];
        else if (h->ev[i].kind == AFZ_EV_ATTEMPT_START)
            attempt = &h->ev[i];
    }
    const char *which = spent ? (spent->detail ? spent->detail : "run") : "run";
    int64_t end_ms = 0;
    if (h->n_ex > 0)
        end_ms = h->ex[h->n_ex - 1].mono_ms;
    if (h->n_ev > 0 && h->ev[h->n_ev - 1].mono_ms > end_ms)
        end_ms = h->ev[h->n_ev - 1].mono_ms;
    size_t last = h->n_ex ? h->n_ex - 1 : SIZE_MAX;
    char tb[32];
    if (in->aborted) {
        afz_prop_violation(out, last,
                           "the client kept calling after its %s budget was spent and was "
                           "unwound (%zu requests, %s virtual)",
                           which, h->n_ex, afz_prop_secs(end_ms, tb, sizeof(tb)));
        return;
    }
    if (in->budget_exhausted || spent) {
        if (spent && attempt && attempt->value > 1) {
            size_t own =
                spent->exchange >= attempt->exchange ? spent->exchange - attempt->exchange : 0;
            /* virtual time only grows; a history saying otherwise gets 0 */
            int64_t own_ms = spent->mono_ms >= attempt->mono_ms && attempt->mono_ms >= 0
                                 ? spent->mono_ms - attempt->mono_ms
                                 : 0;
            if (own < lim->max_requests / 2 && own_ms < lim->max_virtual_ms / 2) {
                afz_prop_inconclusive(out,
                                      "the campaign's shared %s budget ran out in attempt %lld, "
                                      "which had used %zu requests and %s itself",
                                      which, (long long)attempt->value, own,
                                      afz_prop_secs(own_ms, tb, sizeof(tb)));
                return;
            }
        }
        afz_prop_violation(out, last, "the %s budget ran out (%zu requests, %s virtual)", which,
                           h->n_ex, afz_prop_secs(end_ms, tb, sizeof(tb)));
        return;
    }
    if (h->n_ex > lim->max_requests) {
        afz_prop_violation(out, lim->max_requests, "%zu requests, more than the %zu allowed",
                           h->n_ex, lim->max_requests);
        return;
    }
    if (end_ms > lim->max_virtual_ms) {
        char lb[32];
        afz_prop_violation(out, last, "the run took %s virtual, more than the %s allowed",
                           afz_prop_secs(end_ms, tb, sizeof(tb)),
                           afz_prop_secs(lim->max_virtual_ms, lb, sizeof(lb)));
        return;
    }
    afz_prop_pass(out, "ended after %zu requests and %s virtual", h->n_ex,
                  afz_prop_secs(end_ms, tb, sizeof(tb)));
}

/* ---- succeeds-under-legal ------------------------------------------------
 * DESIGN.md, "Fault classes": legal faults are "everything RFC 8555
 * permits. A correct client must still obtain the certificate." Success
 * means the client returned a certificate and the server served one for
 * exactly the requested names (a CERT_DOWNLOADED event). */
void afz_prop_check_succeeds_under_legal(const afz_prop_input *in, afz_prop_result *out)
{
    const afz_history *h = in->history;
    afz_fault_class cls = in->plan ? in->plan_class : AFZ_CLASS_LEGAL;
    if (cls != AFZ_CLASS_LEGAL) {
        afz_prop_pass(out, "not applicable: the plan has %s faults", afz_fault_class_name(cls));
        return;
    }
    if (!in->client_succeeded) {
        const char *why = NULL;
        for (size_t i = h->n_ev; i-- > 0 && !why;)
            if (h->ev[i].kind == AFZ_EV_CLIENT_DONE)
                why = h->ev[i].detail;
        afz_prop_violation(out, h->n_ex ? h->n_ex - 1 : SIZE_MAX,
                           "only legal faults, yet the client failed: %.200s",
                           why ? why : "no certificate");
        return;
    }
    if (in->n_identifiers == 0 || !in->identifiers) {
        afz_prop_pass(out, "the client obtained a certificate");
        return;
    }
    afz_buf want;
    afz_buf_init(&want, 0);
    if (afz_trace_join_identifiers(in->identifiers, in->n_identifiers, &want) != AFZ_OK) {
        afz_buf_cleanup(&want);
        afz_prop_inconclusive(out, "out of memory");
        return;
    }
    int found = 0;
    for (size_t i = 0; i < h->n_ev && !found; i++)
        found = h->ev[i].kind == AFZ_EV_CERT_DOWNLOADED &&
                strcmp(ids_of(&h->ev[i]), afz_buf_cstr(&want)) == 0;
    if (found)
        afz_prop_pass(out, "the client obtained a certificate for [%.80s]", afz_buf_cstr(&want));
    else
        afz_prop_violation(out, h->n_ex ? h->n_ex - 1 : SIZE_MAX,
                           "the client reported success but downloaded no certificate for "
                           "[%.80s]",
                           afz_buf_cstr(&want));
    afz_buf_cleanup(&want);
}
