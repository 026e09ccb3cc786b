/* afz_prop_wait.c - waiting for what cannot come: bounded-valid-rereads
 * and no-unasked-authz-polls.
 *
 * Both judge re-reads of a resource whose last answer says that nothing
 * will change by waiting, and both are HARM with a stated bound (no RFC
 * 8555 keyword binds the client there; docs/PROPERTIES.md quotes the
 * text):
 *
 *   - a "valid" order without a "certificate" URL: 7.4 says a "valid"
 *     order is one where "The server has issued the certificate and
 *     provisioned its URL to the "certificate" field of the order", and
 *     7.1.6 makes "valid" final; only a lagging replica explains the
 *     missing field, so a few re-reads are fine and a loop is not;
 *   - a "pending" authorization (or one of its challenges) none of whose
 *     challenges the client asked the server to validate: 7.5.1, "The client indicates to the
 * server that it is ready for the challenge validation by sending an empty JSON body ("{}") carried
 * in a POST request to the challenge URL (not the authorization URL)." Until it does, the server
 * does not start, and polling the authorization waits for progress that cannot come. A POST-as-GET
 * ("") of the challenge URL is a read (6.3), not that request.
 *
 * A re-read is a request to the same URL right after a delivered answer
 * of that kind (any other answer in between, an error say, ends the run of
 * re-reads), counted per obtain call (a campaign's later attempt starts
 * again, its first look included). */
#include <stdint.h>
#include <string.h>

#include "afz_prop_internal.h"

static int status_is(const char *s, const char *want)
{
    return s && strcmp(s, want) == 0;
}

static int is_2xx(const afz_trace_ex *e)
{
    return e->delivered && e->status >= 200 && e->status < 300;
}

/* a - b, saturated: server-mode histories may be hostile. */
static int64_t diff_ms(int64_t a, int64_t b)
{
    if (b < 0 && a > INT64_MAX + b)
        return INT64_MAX;
    if (b > 0 && a < INT64_MIN + b)
        return INT64_MIN;
    return a - b;
}

/* new_call starts every slot afresh (no count, no wait: the first look
 * of an obtain call is a look) when an obtain call starts before exchange
 * |j| (events up to *ev already seen). */
static void new_call(const afz_history *h, size_t j, size_t *ev, afz_prop_slots *s)
{
    for (; h && *ev < h->n_ev && h->ev[*ev].exchange <= j; (*ev)++)
        if (h->ev[*ev].kind == AFZ_EV_ATTEMPT_START)
            for (size_t k = 0; k < s->n; k++)
                s->v[k].count = 0, s->v[k].mark = s->v[k].mark2 = 0;
}

/* retry_of_bad_nonce: the last request to the slot's URL (->b) was
 * refused with badNonce, so this one is its retry (RFC 8555 6.5), not a
 * re-read. */
static int retry_of_bad_nonce(const afz_trace *t, const afz_prop_slot *s)
{
    return s->b != SIZE_MAX && afz_trace_problem_is(&t->ex[s->b], "badNonce");
}

/* ---- bounded-valid-rereads ----------------------------------------------
 * Per order URL: ->mark is 1 while the last delivered answer about the
 * order (a read of it, or its finalize answer) was a 2xx "valid" without a
 * "certificate" string; ->a that answer; ->b the last request about it;
 * ->count the quick re-reads (sooner than certless_reread_quick_ms after
 * ->b) that followed such answers in this obtain call, ->mark2 all of them
 * (a badNonce retry is none). */

void afz_prop_check_bounded_valid_rereads(const afz_prop_input *in, afz_prop_result *out)
{
    const afz_trace *t = afz_prop_need_trace(in, out);
    if (!t)
        return;
    const afz_prop_limits *lim = afz_prop_limits_of(in);
    afz_prop_slots orders = {0};
    size_t ev = 0, n_rereads = 0;
    for (size_t j = 0; j < t->n_ex; j++) {
        const afz_trace_ex *e = &t->ex[j];
        new_call(in->history, j, &ev, &orders);
        const char *key = NULL;
        if (e->kind == AFZ_RES_ORDER)
            key = e->url;
        else if (e->kind == AFZ_RES_FINALIZE)
            key = e->order_url;
        if (!key)
            continue;
        afz_prop_slot *s = afz_prop_slot_get(&orders, key);
        if (!s) {
            afz_prop_inconclusive(out, "out of memory");
            goto done;
        }
        if (e->kind == AFZ_RES_ORDER && s->mark && !retry_of_bad_nonce(t, s)) {
            n_rereads++;
            int64_t gap = diff_ms(e->x->mono_ms, t->ex[s->b].x->mono_ms);
            char g[32];
            afz_prop_secs(gap, g, sizeof(g));
            if (gap < lim->certless_reread_quick_ms &&
                ++s->count > lim->max_certless_valid_rereads) {
                afz_prop_violation(out, j,
                                   "#%zu is quick re-read number %u (%s after the last) of %s "
                                   "in this obtain call, which #%zu showed \"valid\" without a "
                                   "certificate URL; at most %u expected (a valid order is "
                                   "final: waiting will not add it)",
                                   j + 1, s->count, g, afz_prop_path(key), s->a + 1,
                                   lim->max_certless_valid_rereads);
                goto done;
            }
            if (++s->mark2 > lim->max_polls_per_resource) {
                afz_prop_violation(out, j,
                                   "#%zu is re-read number %u of %s in this obtain call, which "
                                   "#%zu showed \"valid\" without a certificate URL; at most %u "
                                   "expected",
                                   j + 1, (unsigned)s->mark2, afz_prop_path(key), s->a + 1,
                                   lim->max_polls_per_resource);
                goto done;
            }
        }
        s->b = j;
        if (!e->delivered || afz_trace_problem_is(e, "badNonce"))
            continue;
        s->mark = is_2xx(e) && status_is(e->obj_status, "valid") && !e->certificate;
        if (s->mark)
            s->a = j;
    }
    afz_prop_pass(out,
                  "%zu re-read(s) of a \"valid\" order without a certificate URL, within %u "
                  "quick ones and %u in all per order",
                  n_rereads, lim->max_certless_valid_rereads, lim->max_polls_per_resource);
done:
    afz_prop_slots_cleanup(&orders);
}

/* ---- no-unasked-authz-polls ---------------------------------------------
 * asked: challenge URLs the client POSTed a JSON response to (any payload
 * but "" or none), whatever the server answered: the client asked.
 * read: challenge URLs the client POST-as-GET (""), ->a the first such
 * request, for the message.
 * polls: per authorization or challenge URL, ->mark is 1 while its last
 * delivered answer was a 2xx "pending" waiting for nothing (below); ->a
 * that answer; ->b the last request to it; ->count the re-reads after such
 * answers in this obtain call (a badNonce retry is none). */

/* waiting_for_nothing: |e| answered 2xx "pending" and is a challenge the
 * client never asked to validate, or an authorization that lists no
 * challenge that is active or that the client asked to validate. Sets
 * *chal_read (when NULL) to such a challenge the client read with "". */
static int waiting_for_nothing(const afz_trace_ex *e, const afz_prop_slots *asked,
                               const afz_prop_slots *read, const char **chal_read)
{
    if (!is_2xx(e) || !status_is(e->obj_status, "pending"))
        return 0;
    if (e->kind == AFZ_RES_CHALLENGE) {
        if (afz_prop_slot_find(asked, e->url))
            return 0;
        if (!*chal_read && afz_prop_slot_find(read, e->url))
            *chal_read = afz_prop_slot_find(read, e->url)->key;
        return 1;
    }
    if (!e->body)
        return 0;
    const cJSON *chs = cJSON_GetObjectItemCaseSensitive(e->body, "challenges");
    const cJSON *c;
    cJSON_ArrayForEach(c, chs)
    {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(c, "status");
        if (cJSON_IsString(st) && !status_is(st->valuestring, "pending"))
            return 0;
        const cJSON *url = cJSON_GetObjectItemCaseSensitive(c, "url");
        if (!cJSON_IsString(url))
            continue;
        if (afz_prop_slot_find(asked, url->valuestring))
            return 0;
        if (!*chal_read && afz_prop_slot_find(read, url->valuestring))
            *chal_read = afz_prop_slot_find(read, url->valuestring)->key;
    }
    return 1;
}

/* A read of an authorization (not a deactivation) or of a challenge
 * (POST-as-GET, or a plain GET). */
static int is_read(const afz_trace_ex *e)
{
    if (e->kind == AFZ_RES_AUTHZ)
        return e->payload != AFZ_PAYLOAD_DEACTIVATE;
    if (e->kind == AFZ_RES_CHALLENGE)
        return e->is_post ? e->payload == AFZ_PAYLOAD_EMPTY : 1;
    return 0;
}

static void unasked_violation(afz_prop_result *out, const afz_trace *t, size_t j,
                              const afz_prop_slot *s, const afz_prop_slots *asked,
                              const afz_prop_slots *read, unsigned bound)
{
    const afz_trace_ex *e = &t->ex[j];
    const char *chal = NULL;
    waiting_for_nothing(&t->ex[s->a], asked, read, &chal);
    const afz_prop_slot *r = chal ? afz_prop_slot_find(read, chal) : NULL;
    const char *what = e->kind == AFZ_RES_CHALLENGE ? "challenge" : "authorization";
    if (r)
        afz_prop_violation(out, j,
                           "#%zu is re-read number %u of %s %s, \"pending\" (#%zu) with no "
                           "challenge asked to validate: #%zu POSTed \"\" (a POST-as-GET read) "
                           "to %s, never the response {} (RFC 8555 7.5.1); at most %u expected",
                           j + 1, s->count, what, afz_prop_path(e->url), s->a + 1, r->a + 1,
                           afz_prop_path(r->key), bound);
    else
        afz_prop_violation(out, j,
                           "#%zu is re-read number %u of %s %s, \"pending\" (#%zu) with no "
                           "challenge asked to validate (no response POSTed to its challenges, "
                           "RFC 8555 7.5.1); at most %u expected",
                           j + 1, s->count, what, afz_prop_path(e->url), s->a + 1, bound);
}

void afz_prop_check_no_unasked_authz_polls(const afz_prop_input *in, afz_prop_result *out)
{
    const afz_trace *t = afz_prop_need_trace(in, out);
    if (!t)
        return;
    const afz_prop_limits *lim = afz_prop_limits_of(in);
    afz_prop_slots polls = {0}, asked = {0}, read = {0};
    size_t ev = 0, n_rereads = 0;
    for (size_t j = 0; j < t->n_ex; j++) {
        const afz_trace_ex *e = &t->ex[j];
        new_call(in->history, j, &ev, &polls);
        if (e->kind == AFZ_RES_CHALLENGE && e->is_post && e->payload != AFZ_PAYLOAD_NONE) {
            afz_prop_slots *set = e->payload == AFZ_PAYLOAD_EMPTY ? &read : &asked;
            afz_prop_slot *c = afz_prop_slot_get(set, e->url);
            if (!c)
                goto oom;
            if (c->a == SIZE_MAX)
                c->a = j;
            /* asking ends every wait on it and on an authorization listing it */
            if (set == &asked) {
                for (size_t k = 0; k < polls.n; k++)
                    if (polls.v[k].mark) {
                        const char *ignored = NULL;
                        polls.v[k].mark =
                            waiting_for_nothing(&t->ex[polls.v[k].a], &asked, &read, &ignored);
                    }
                continue;
            }
        }
        if (!is_read(e))
            continue;
        afz_prop_slot *s = afz_prop_slot_get(&polls, e->url);
        if (!s)
            goto oom;
        if (s->mark && !retry_of_bad_nonce(t, s)) {
            n_rereads++;
            if (++s->count > lim->max_unasked_authz_rereads) {
                unasked_violation(out, t, j, s, &asked, &read, lim->max_unasked_authz_rereads);
                goto done;
            }
        }
        s->b = j;
        if (!e->delivered || afz_trace_problem_is(e, "badNonce"))
            continue;
        const char *ignored = NULL;
        s->mark = waiting_for_nothing(e, &asked, &read, &ignored);
        if (s->mark)
            s->a = j;
    }
    afz_prop_pass(out,
                  "%zu re-read(s) of a pending authorization or challenge no challenge of which "
                  "was asked to validate, within %u per URL",
                  n_rereads, lim->max_unasked_authz_rereads);
    goto done;
oom:
    afz_prop_inconclusive(out, "out of memory");
done:
    afz_prop_slots_cleanup(&polls);
    afz_prop_slots_cleanup(&asked);
    afz_prop_slots_cleanup(&read);
}
