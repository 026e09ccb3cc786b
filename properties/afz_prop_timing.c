/* afz_prop_timing.c - when a client asks again: respects-retry-after and
 * poll-backoff.
 *
 * Time. An exchange's mono_ms is the virtual instant of its request; an
 * in-process response is instantaneous (a "timeout" fault advances the
 * clock, but then the response is lost), so the instant a response was
 * sent is its exchange's mono_ms. A Retry-After instant is that plus the
 * delay: delta-seconds as is, an HTTP-date minus the exchange's wall_ms
 * (afz_trace, through afz_retry_after_parse). */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "afz_prop_internal.h"

/* a - b, saturated: virtual times come from histories, which may be
 * hostile in server mode. */
static int64_t diff_ms(int64_t a, int64_t b)
{
    if (b < 0 && a > INT64_MAX + b)
        return INT64_MAX;
    if (b > 0 && a < INT64_MIN + b)
        return INT64_MIN;
    return a - b;
}

static int status_is(const char *s, const char *want)
{
    return s && strcmp(s, want) == 0;
}

static int in_progress(const char *s)
{
    return status_is(s, "pending") || status_is(s, "processing");
}

static int is_2xx(const afz_trace_ex *e)
{
    return e->delivered && e->status >= 200 && e->status < 300;
}

/* ---- respects-retry-after ------------------------------------------------
 * RFC 9110 10.2.3: "Servers send the "Retry-After" header field to indicate
 * how long the user agent ought to wait before making a follow-up request."
 * RFC 8555 6.6 (rate limits): the server "SHOULD send a Retry-After header
 * field indicating when the current request may succeed again"; 7.4:
 * "processing": "Send a POST-as-GET request after the time given in the
 * Retry-After header field of the response, if any."; 7.5.1 and 8.2: the
 * server "MAY include a Retry-After header field to suggest a polling
 * interval" while validation is in progress.
 *
 * So a Retry-After binds where those texts give it a meaning: on an error
 * or redirect (status >= 300), on a 2xx showing a resource "processing",
 * and on an authorization or challenge still "pending". After such a response with exactly one
 * well-formed value, no request to the same URL before the instant (less the tolerance); a finalize
 * answer's Retry-After also governs the order it belongs to (7.4, above). A malformed value
 * (invalid, or two headers), or one beyond retry_after_cap_ms, gives no instant: the client may
 * fall back as it likes, but not hot-loop - nothing to that URL sooner than
 * malformed_retry_after_floor_ms. A request exactly at the instant passes. */

static int retry_after_binds(const afz_trace_ex *e)
{
    if (e->status >= 300 || status_is(e->obj_status, "processing"))
        return 1;
    /* A "pending" order waits for the client (7.4: "Check the
     * "authorizations" array"); a pending authorization or challenge waits
     * for the server's validation (7.5.1). */
    return status_is(e->obj_status, "pending") &&
           (e->kind == AFZ_RES_AUTHZ || e->kind == AFZ_RES_CHALLENGE);
}

typedef struct ra_finding {
    size_t j, i; /* offending request, response that set the wait */
    int malformed;
    int64_t instant;
} ra_finding;

static void judge_target(const afz_trace *t, size_t i, const char *target,
                         const afz_prop_limits *lim, ra_finding *best)
{
    const afz_trace_ex *e = &t->ex[i];
    size_t j = i + 1;
    while (j < t->n_ex && strcmp(t->ex[j].url, target) != 0)
        j++;
    if (j >= t->n_ex || j >= best->j)
        return;
    int64_t at = t->ex[j].x->mono_ms;
    int well = e->ra_kind != AFZ_RA_INVALID && e->ra_delay_ms <= lim->retry_after_cap_ms;
    if (well) {
        int64_t deadline = diff_ms(e->ra_instant_ms, lim->retry_after_tolerance_ms);
        if (at < deadline)
            *best = (ra_finding){.j = j, .i = i, .malformed = 0, .instant = e->ra_instant_ms};
    } else if (diff_ms(at, e->x->mono_ms) < lim->malformed_retry_after_floor_ms) {
        *best = (ra_finding){.j = j, .i = i, .malformed = 1, .instant = 0};
    }
}

void afz_prop_check_respects_retry_after(const afz_prop_input *in, afz_prop_result *out)
{
    const afz_trace *t = afz_prop_need_trace(in, out);
    if (!t)
        return;
    const afz_prop_limits *lim = afz_prop_limits_of(in);
    ra_finding best = {.j = SIZE_MAX};
    size_t n_binding = 0;
    for (size_t i = 0; i < t->n_ex; i++) {
        const afz_trace_ex *e = &t->ex[i];
        if (!e->delivered || e->n_retry_after == 0 || !retry_after_binds(e))
            continue;
        n_binding++;
        judge_target(t, i, e->url, lim, &best);
        if (e->kind == AFZ_RES_FINALIZE && is_2xx(e) && e->order_url &&
            strcmp(e->order_url, e->url) != 0)
            judge_target(t, i, e->order_url, lim, &best);
    }
    if (best.j == SIZE_MAX) {
        afz_prop_pass(out, "%zu response(s) with a binding Retry-After, each waited out",
                      n_binding);
        return;
    }
    const afz_trace_ex *r = &t->ex[best.j], *e = &t->ex[best.i];
    char at[32], when[32];
    afz_prop_secs(r->x->mono_ms, at, sizeof(at));
    if (!best.malformed) {
        afz_prop_violation(out, best.j,
                           "#%zu %s %s at t=%s, before t=%s, the instant Retry-After \"%.40s\" "
                           "on #%zu named (HTTP %d)",
                           best.j + 1, r->x->req.method, afz_prop_path(r->url), at,
                           afz_prop_secs(best.instant, when, sizeof(when)), e->retry_after,
                           best.i + 1, e->status);
        return;
    }
    if (e->n_retry_after > 1)
        afz_prop_violation(out, best.j,
                           "#%zu %s %s only %" PRId64 " ms after #%zu sent %zu disagreeing "
                           "Retry-After headers; at least %" PRId64 " ms expected",
                           best.j + 1, r->x->req.method, afz_prop_path(r->url),
                           diff_ms(r->x->mono_ms, e->x->mono_ms), best.i + 1, e->n_retry_after,
                           lim->malformed_retry_after_floor_ms);
    else
        afz_prop_violation(out, best.j,
                           "#%zu %s %s only %" PRId64 " ms after #%zu sent the unusable "
                           "Retry-After \"%.40s\"; at least %" PRId64 " ms expected",
                           best.j + 1, r->x->req.method, afz_prop_path(r->url),
                           diff_ms(r->x->mono_ms, e->x->mono_ms), best.i + 1, e->retry_after,
                           lim->malformed_retry_after_floor_ms);
}

/* ---- poll-backoff --------------------------------------------------------
 * RFC 8555 7.5.1: "the client will need to poll the authorization resource
 * to see when it is finalized"; 7.4, for an order "processing": "Send a
 * POST-as-GET request after the time given in the Retry-After header field
 * of the response, if any."
 *
 * A poll is a request to an order or authorization URL whose last answer
 * (for an order, also its finalize answer) showed "pending" or
 * "processing", with nothing done since that could change it: no challenge
 * response, finalize or newOrder in between; for a "pending" order no look
 * at an authorization or challenge either (7.4: "pending": "Check the
 * "authorizations" array for entries that are still pending."). An
 * authorization's "pending" counts only once one of its challenges was
 * started before that answer; before, it waits for the client.
 *
 * Without a Retry-After on the previous answer, a poll that follows an
 * answered poll of the same URL comes at least min_poll_interval_ms after
 * it (a badNonce answer aside: its retry is due at once); with one,
 * respects-retry-after judges the spacing. The first poll after any other
 * request (the challenge POST, finalize, a first look) may come at once:
 * RFC 8555 gives no interval there, and one quick look is no hot loop. A URL is
 * polled at most max_polls_per_resource times per obtain call (a
 * campaign's later attempt may resume the same order). */

/* A client request that can move an order or authorization along. */
static int is_progress(const afz_trace_ex *e)
{
    if (!e->is_post)
        return 0;
    switch (e->kind) {
    case AFZ_RES_CHALLENGE:
        return e->payload == AFZ_PAYLOAD_OTHER;
    case AFZ_RES_FINALIZE:
    case AFZ_RES_NEW_ORDER:
        return 1;
    case AFZ_RES_AUTHZ:
        return e->payload == AFZ_PAYLOAD_DEACTIVATE;
    default:
        return 0;
    }
}

void afz_prop_check_poll_backoff(const afz_prop_input *in, afz_prop_result *out)
{
    const afz_trace *t = afz_prop_need_trace(in, out);
    if (!t)
        return;
    const afz_history *h = in->history;
    const afz_prop_limits *lim = afz_prop_limits_of(in);
    /* started: authorization URL -> seq of its first challenge start (mark) */
    afz_prop_slots started = {0}, urls = {0};
    for (size_t k = 0; h && k < h->n_ev; k++) {
        const afz_event *ev = &h->ev[k];
        if (ev->kind != AFZ_EV_CHALLENGE_STARTED || !ev->related_url)
            continue;
        afz_prop_slot *s = afz_prop_slot_get(&started, ev->related_url);
        if (!s)
            goto oom;
        if (s->count++ == 0)
            s->mark = ev->seq;
    }
    /* urls: slot->a last observation, ->b last answered request, ->status
     * what a showed, ->mark progress count at a, ->mark2 authorization
     * work count at a, ->count polls */
    uint64_t progress = 0, authz_work = 0;
    size_t n_polls = 0, ev = 0;
    for (size_t j = 0; j < t->n_ex; j++) {
        const afz_trace_ex *e = &t->ex[j];
        /* A new obtain call starts its own poll counts. */
        for (; h && ev < h->n_ev && h->ev[ev].exchange <= j; ev++)
            if (h->ev[ev].kind == AFZ_EV_ATTEMPT_START)
                for (size_t k = 0; k < urls.n; k++)
                    urls.v[k].count = 0;
        if (is_progress(e))
            progress++;
        if (e->kind == AFZ_RES_AUTHZ || e->kind == AFZ_RES_CHALLENGE)
            authz_work++;
        if (e->kind == AFZ_RES_FINALIZE) {
            if (is_2xx(e) && e->obj_status && e->order_url) {
                afz_prop_slot *s = afz_prop_slot_get(&urls, e->order_url);
                if (!s)
                    goto oom;
                s->a = s->b = j;
                s->status = e->obj_status;
                s->mark = progress;
                s->mark2 = authz_work;
            }
            continue;
        }
        if (e->kind != AFZ_RES_ORDER && e->kind != AFZ_RES_AUTHZ)
            continue;
        afz_prop_slot *s = afz_prop_slot_find(&urls, e->url);
        int poll = s && s->a != SIZE_MAX && in_progress(s->status) && s->mark == progress &&
                   e->payload != AFZ_PAYLOAD_DEACTIVATE;
        if (poll && e->kind == AFZ_RES_ORDER && status_is(s->status, "pending"))
            poll = s->mark2 == authz_work;
        if (poll && e->kind == AFZ_RES_AUTHZ) {
            const afz_prop_slot *st = afz_prop_slot_find(&started, e->url);
            poll = st && st->mark < t->ex[s->a].x->seq;
        }
        if (poll) {
            n_polls++;
            if (++s->count > lim->max_polls_per_resource) {
                afz_prop_violation(out, j,
                                   "#%zu is poll number %u of %s in this obtain call, which "
                                   "stayed \"%.20s\"; at most %u expected",
                                   j + 1, s->count, afz_prop_path(e->url), s->status,
                                   lim->max_polls_per_resource);
                goto done;
            }
            /* s->seen_at: the last answered poll of this URL */
            const afz_trace_ex *prev = s->b != SIZE_MAX && s->seen_at == s->b ? &t->ex[s->b] : NULL;
            if (prev && prev->n_retry_after == 0 &&
                diff_ms(e->x->mono_ms, prev->x->mono_ms) < lim->min_poll_interval_ms) {
                afz_prop_violation(out, j,
                                   "#%zu polls %s (\"%.20s\") %" PRId64 " ms after #%zu, "
                                   "which had no Retry-After; at least %" PRId64 " ms expected",
                                   j + 1, afz_prop_path(e->url), s->status,
                                   diff_ms(e->x->mono_ms, prev->x->mono_ms), s->b + 1,
                                   lim->min_poll_interval_ms);
                goto done;
            }
        }
        if (!s && !(s = afz_prop_slot_get(&urls, e->url)))
            goto oom;
        if (e->delivered && !afz_trace_problem_is(e, "badNonce")) {
            s->b = j;
            s->seen_at = poll ? j : SIZE_MAX;
        }
        if (is_2xx(e) && e->obj_status) {
            s->a = j;
            s->status = e->obj_status;
            s->mark = progress;
            s->mark2 = authz_work;
        }
    }
    afz_prop_pass(out, "%zu poll(s), spaced and bounded", n_polls);
    goto done;
oom:
    afz_prop_inconclusive(out, "out of memory");
done:
    afz_prop_slots_cleanup(&started);
    afz_prop_slots_cleanup(&urls);
}
