/* afz_prop_outcome.c - what a run did to the CA and to the user:
 * no-duplicate-issuance, no-orphan-issuance, bounded-new-orders,
 * terminates, succeeds-under-legal. The first two and the last read the
 * server's events (what was really issued and downloaded); the others the
 * trace and the run's outcome. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "afz_clock.h"
#include "afz_crash.h"
#include "afz_prop_internal.h"

static const char *ids_of(const afz_event *ev)
{
    return ev->identifiers ? ev->identifiers : "";
}

static size_t ev_exchange(const afz_history *h, const afz_event *ev)
{
    return ev->exchange < h->n_ex ? ev->exchange : SIZE_MAX;
}

/* ---- campaigns and stateless clients ---------------------------------------
 * A scheduler re-running a client that orders again and again is the 2023
 * incident's harm, and campaign mode is how acmefuzz finds it. A client
 * that keeps no state across runs (it declared AFZ_CLIENT_STATELESS, or
 * suite --stateless) cannot resume an order in its next run, though: when
 * the answer that would have shown it the certificate was lost, ordering
 * again is all it can do. The rule, from the incident: the 2023 clients
 * were shown their order "processing" and gave up on it at once, run
 * after run, while the next poll would have shown the certificate. So an orphaned or duplicate
 * certificate is excused only when
 *  - the client declared itself stateless,
 *  - the new order or issuance came in a later obtain call (the same call
 *    ordering again is never excused), and
 *  - every time it was shown the order "processing" it asked about the
 *    order again in the same call, and every time it was shown "valid"
 *    with a certificate URL it fetched that URL and was never served (the
 *    reads were lost, refused or stale: a broken server, not a client
 *    giving up), and
 *  - that certificate was never downloaded (no duplicate after a success).
 * bounded-new-orders still holds each call to two orders. */

/* An attempt started between event indices |a| and |b| (a < b). */
static int attempt_between(const afz_history *h, size_t a, size_t b)
{
    for (size_t k = a + 1; k < b && k < h->n_ev; k++)
        if (h->ev[k].kind == AFZ_EV_ATTEMPT_START)
            return 1;
    return 0;
}

/* A fault was injected into exchange |x| (its answer is not the server's). */
static int faulted(const afz_history *h, size_t x)
{
    for (size_t k = 0; h && k < h->n_ev; k++)
        if (h->ev[k].kind == AFZ_EV_FAULT && h->ev[k].exchange == x)
            return 1;
    return 0;
}

/* What the client did with what it was shown of order |order_url|: 1
 * when it was shown "processing" and never asked about the order again in
 * that obtain call (gave up at once: the 2023 shape), or shown "valid"
 * with a certificate URL and either never fetched it or was served it;
 * else 0. A client that kept polling while every read was lost, refused
 * or stale, or kept fetching a certificate the server would not serve
 * (refused, lost, or a body a fault broke), could not have done better
 * without state. */
static int order_given_up_or_given(const afz_prop_input *in, const char *order_url)
{
    const afz_trace *t = in->trace;
    const afz_history *h = in->history;
    for (size_t i = 0; t && order_url && i < t->n_ex; i++) {
        const afz_trace_ex *e = &t->ex[i];
        if (!(e->delivered && e->status >= 200 && e->status < 300 && e->obj_status &&
              e->order_url && strcmp(e->order_url, order_url) == 0))
            continue;
        /* a "valid" answer a fault altered may carry no usable URL */
        int valid = strcmp(e->obj_status, "valid") == 0 && e->certificate && !faulted(h, i);
        if (!valid && strcmp(e->obj_status, "processing") != 0)
            continue;
        /* the first exchange of the next obtain call, if any */
        size_t end = t->n_ex;
        for (size_t k = 0; h && k < h->n_ev; k++)
            if (h->ev[k].kind == AFZ_EV_ATTEMPT_START && h->ev[k].exchange > i &&
                h->ev[k].exchange < end)
                end = h->ev[k].exchange;
        /* after "processing": asked about the order again; after "valid":
         * tried the certificate URL, and no answer served it */
        const char *next = valid ? e->certificate : order_url;
        int asked = 0;
        for (size_t j = i + 1; j < end; j++) {
            if (strcmp(t->ex[j].url, next) != 0)
                continue;
            asked = 1;
            if (valid && t->ex[j].delivered && t->ex[j].status >= 200 && t->ex[j].status < 300 &&
                !faulted(h, j))
                return 1; /* it had the certificate in hand */
        }
        if (!asked)
            return 1;
    }
    return 0;
}

/* The certificate of issuance event |i| was downloaded (same serial), in
 * an answer no fault altered. */
static int downloaded(const afz_history *h, size_t i)
{
    const afz_event *ev = &h->ev[i];
    for (size_t k = i + 1; ev->serial && k < h->n_ev; k++)
        if (h->ev[k].kind == AFZ_EV_CERT_DOWNLOADED && h->ev[k].serial &&
            strcmp(h->ev[k].serial, ev->serial) == 0 && !faulted(h, h->ev[k].exchange))
            return 1;
    return 0;
}

/* Issuance |i| may be followed by a new order or issuance at event |j| for
 * the same names (see above). */
static int stateless_excused(const afz_prop_input *in, size_t i, size_t j)
{
    const afz_history *h = in->history;
    /* The call that lost the certificate is the one that finalized its
     * order; the server may issue it later (on the next look at all). */
    size_t from = i;
    for (size_t k = 0; k < i && h->ev[i].related_url; k++)
        if (h->ev[k].kind == AFZ_EV_FINALIZE_ACCEPTED && h->ev[k].url &&
            strcmp(h->ev[k].url, h->ev[i].related_url) == 0)
            from = k;
    return in->client_stateless && attempt_between(h, from, j) && !downloaded(h, i) &&
           !order_given_up_or_given(in, h->ev[i].related_url);
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
        if (s->a != SIZE_MAX && stateless_excused(in, s->a, i)) {
            s->a = i; /* the excused one is the new reference */
            continue;
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
            if (nx->kind == AFZ_EV_ORDER_CREATED && strcmp(ids_of(nx), ids_of(ev)) == 0 &&
                !stateless_excused(in, i, k)) {
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
/* A suite's client command killed at its wall-clock --timeout (the event
 * afz_suite.c records, detail AFZ_BUDGET_WALL_CLOCK). Unlike an in-process
 * run's virtual 24 h, a budget of a minute or two cannot tell a patient
 * client (lego's growing gaps of 5 to 18 s on a stuck authorization) from
 * a stuck one, so the kill alone is no verdict:
 *   - busy at the end (at least WALL_BUSY_REQUESTS requests in the last
 *     WALL_WINDOW_MS): a loop, violation;
 *   - idle since a Retry-After that asked for more than the virtual-time
 *     budget of a run (24 h): it waits out an absurd value, violation;
 *   - no request at all before the kill: it never started talking to
 *     the server within the budget the user gave, violation;
 *   - silent for at least WALL_HUNG_FACTOR times the longest wait it had
 *     shown, the server's last Retry-After and WALL_MIN_GAP_MS: hung,
 *     violation (3, not 2: a doubling back-off, caught mid-sleep, is
 *     silent for up to twice its previous gap);
 *   - otherwise still waiting as it had been: inconclusive, with the
 *     advice to give it a longer --timeout. */
#define WALL_WINDOW_MS 30000
#define WALL_BUSY_REQUESTS 10
#define WALL_MIN_GAP_MS 2000
#define WALL_HUNG_FACTOR 3

static void terminates_wall_clock(const afz_history *h, const afz_event *kill, afz_prop_result *out)
{
    char tb[32], gb[32], lb[32];
    int64_t at = kill->mono_ms;
    size_t last = h->n_ex ? h->n_ex - 1 : SIZE_MAX;
    size_t recent = 0;
    int64_t longest = 0, ra_ms = -1;
    size_t ra_ex = SIZE_MAX;
    for (size_t i = 0; i < h->n_ex; i++) {
        const afz_exchange *x = &h->ex[i];
        if (x->mono_ms >= at - WALL_WINDOW_MS)
            recent++;
        if (i > 0 && x->mono_ms - h->ex[i - 1].mono_ms > longest)
            longest = x->mono_ms - h->ex[i - 1].mono_ms;
        const char *v = x->delivered ? afz_headers_get(&x->resp.headers, "Retry-After") : NULL;
        afz_retry_after_kind kind;
        int64_t d;
        if (v && afz_retry_after_parse(v, x->wall_ms, &kind, &d) == AFZ_OK) {
            ra_ms = d;
            ra_ex = i;
        }
    }
    afz_prop_limits def;
    afz_prop_limits_default(&def);
    int64_t idle = last != SIZE_MAX ? at - h->ex[last].mono_ms : at;
    if (recent >= WALL_BUSY_REQUESTS) {
        afz_prop_violation(out, last,
                           "killed at the suite's time limit (%s) while still busy: %zu "
                           "requests in its last %d s, a loop",
                           afz_prop_secs(at, tb, sizeof(tb)), recent, WALL_WINDOW_MS / 1000);
        return;
    }
    if (ra_ex == last && ra_ex != SIZE_MAX && ra_ms > def.max_virtual_ms) {
        afz_prop_violation(out, last,
                           "killed at the suite's time limit (%s) while waiting out the "
                           "Retry-After of #%zu (%s), longer than the %s any run may take",
                           afz_prop_secs(at, tb, sizeof(tb)), ra_ex + 1,
                           afz_prop_secs(ra_ms, gb, sizeof(gb)),
                           afz_prop_secs(def.max_virtual_ms, lb, sizeof(lb)));
        return;
    }
    if (last == SIZE_MAX) {
        afz_prop_violation(out, last,
                           "killed at the suite's time limit (%s) before it sent any request",
                           afz_prop_secs(at, tb, sizeof(tb)));
        return;
    }
    int64_t expected = longest > WALL_MIN_GAP_MS ? longest : WALL_MIN_GAP_MS;
    if (ra_ex == last && ra_ms > expected)
        expected = ra_ms;
    if (idle >= WALL_HUNG_FACTOR * expected) {
        afz_prop_violation(out, last,
                           "killed at the suite's time limit (%s) after %s without a "
                           "request, three times the longest wait it had shown or been asked "
                           "for: hung",
                           afz_prop_secs(at, tb, sizeof(tb)), afz_prop_secs(idle, gb, sizeof(gb)));
        return;
    }
    afz_prop_inconclusive(out,
                          "killed at the suite's time limit (%s) while waiting as it had been "
                          "(%zu request(s) in its last %d s, %s since the last): a patient "
                          "client cannot be told from a stuck one in this time; give it a "
                          "longer --timeout to judge",
                          afz_prop_secs(at, tb, sizeof(tb)), recent, WALL_WINDOW_MS / 1000,
                          afz_prop_secs(idle, gb, sizeof(gb)));
}

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
    if (spent && spent->detail && strcmp(spent->detail, AFZ_BUDGET_WALL_CLOCK) == 0) {
        terminates_wall_clock(h, spent, out);
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
 * DESIGN.md, "Fault classes": legal faults are what a server following RFC
 * 8555 may send, real-world ones what production CAs do beyond it (stale
 * reads); a robust client still obtains the certificate under both. No
 * RFC sentence obliges a client to succeed, to retry after 429, 503 or
 * serverInternal, or to wait a given time (the only client retry keyword
 * is 6.5's SHOULD for badNonce, judged by retries-bad-nonce), so this is
 * ROBUST: "you would be fragile in production", not "you broke RFC 8555".
 * Success means the client returned a certificate and the server served
 * one for exactly the requested names (a CERT_DOWNLOADED event). */
void afz_prop_check_succeeds_under_legal(const afz_prop_input *in, afz_prop_result *out)
{
    const afz_history *h = in->history;
    afz_fault_class cls = in->plan ? in->plan_class : AFZ_CLASS_LEGAL;
    if (cls != AFZ_CLASS_LEGAL && cls != AFZ_CLASS_REAL_WORLD) {
        afz_prop_pass(out, "not applicable: the plan has %s faults", afz_fault_class_name(cls));
        return;
    }
    if (!in->client_succeeded) {
        const char *why = NULL;
        for (size_t i = h->n_ev; i-- > 0 && !why;)
            if (h->ev[i].kind == AFZ_EV_CLIENT_DONE)
                why = h->ev[i].detail;
        afz_prop_violation(out, h->n_ex ? h->n_ex - 1 : SIZE_MAX,
                           "only %s faults, yet the client failed: %.200s",
                           cls == AFZ_CLASS_LEGAL ? "legal" : "legal and real-world",
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

/* ---- no-crash ------------------------------------------------------------
 * A renewal client that dies by a signal leaves the user without a
 * certificate and often with half-written state (a lock, a key without its
 * certificate), whatever the server sent: a malformed answer must make a
 * client fail safely, never crash (DESIGN.md, "Fault classes"). No RFC
 * sentence is needed for that; it is harm to the user, so HARM. A crash is
 * a violation under every plan, legal or not. */
void afz_prop_check_no_crash(const afz_prop_input *in, afz_prop_result *out)
{
    const afz_history *h = in->history;
    if (!in->client_crash_signal) {
        afz_prop_pass(out, "the client ended without a crash");
        return;
    }
    afz_prop_violation(out, h && h->n_ex ? h->n_ex - 1 : SIZE_MAX,
                       "the client was killed by signal %d (%s) after %zu request(s)",
                       in->client_crash_signal, afz_crash_signal_name(in->client_crash_signal),
                       h ? h->n_ex : (size_t)0);
}
