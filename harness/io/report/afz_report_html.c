/* afz_report_html.c - the HTML report (see afz_report_html.h). */
#include "afz_report_html.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afz_json.h"
#include "afz_trace.h"

/* A body longer than this is cut in the page (the JSON history has it all). */
#define BODY_SHOWN_MAX (64 * 1024)
/* Marks closer than this (percent of the axis) go on separate rows. */
#define MARK_GAP_PCT 2.4
#define MAX_ROWS 6
#define ROW_PX 22

/* ---- a writer with a sticky error ---- */

typedef struct w {
    afz_buf *b;
    afz_rc rc;
} w;

static void put(w *o, const char *s)
{
    if (o->rc == AFZ_OK)
        o->rc = afz_buf_puts(o->b, s);
}

static void putf(w *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(w *o, const char *fmt, ...)
{
    if (o->rc != AFZ_OK)
        return;
    va_list ap;
    va_start(ap, fmt);
    o->rc = afz_buf_vprintf(o->b, fmt, ap);
    va_end(ap);
}

static void esc(w *o, const char *s)
{
    if (o->rc == AFZ_OK)
        o->rc = afz_html_escape_str(o->b, s);
}

static void escn(w *o, const void *p, size_t n)
{
    if (o->rc == AFZ_OK)
        o->rc = afz_html_escape(o->b, p, n);
}

/* a body, cut at BODY_SHOWN_MAX */
static void esc_body(w *o, const void *p, size_t n)
{
    escn(o, p, n > BODY_SHOWN_MAX ? BODY_SHOWN_MAX : n);
    if (n > BODY_SHOWN_MAX)
        putf(o, "\n[... %zu more bytes not shown]", n - BODY_SHOWN_MAX);
}

/* esc_json pretty-prints |j| escaped. */
static void esc_json(w *o, const cJSON *j)
{
    char *txt = cJSON_Print(j);
    if (!txt) {
        if (o->rc == AFZ_OK)
            o->rc = AFZ_ENOMEM;
        return;
    }
    esc_body(o, txt, strlen(txt));
    cJSON_free(txt);
}

static const char *secs(int64_t ms, char *buf, size_t n)
{
    snprintf(buf, n, "%s%" PRId64 ".%03d", ms < 0 ? "-" : "", (ms < 0 ? -(ms / 1000) : ms / 1000),
             (int)(ms < 0 ? -(ms % 1000) : ms % 1000));
    return buf;
}

/* ---- lanes: one per resource ---- */

typedef struct lane {
    const char *kind; /* static */
    const char *url;  /* borrowed from the history or trace; NULL for singletons */
    double last[MAX_ROWS];
    size_t rows;
} lane;

typedef struct layout {
    lane *lanes;
    size_t n_lanes;
    size_t *lane_of; /* per exchange */
    size_t *row_of;
    unsigned char *fault, *off, *early;
    const char **fault_detail; /* first fault event's detail per exchange */
    int64_t t_end;             /* the axis runs from 0 to here (ms) */
} layout;

static void lane_key(const afz_trace_ex *e, const char **kind, const char **url)
{
    *url = NULL;
    switch (e->kind) {
    case AFZ_RES_DIRECTORY:
    case AFZ_RES_NONCE:
        *kind = "directory and nonces";
        break;
    case AFZ_RES_ACCOUNT:
    case AFZ_RES_KEY_CHANGE:
        *kind = "account";
        break;
    case AFZ_RES_NEW_ORDER:
        *kind = e->order_url ? "order" : "newOrder";
        *url = e->order_url;
        break;
    case AFZ_RES_ORDER:
        *kind = "order";
        *url = e->order_url ? e->order_url : e->url;
        break;
    case AFZ_RES_FINALIZE:
        *kind = e->order_url ? "order" : "finalize";
        *url = e->order_url ? e->order_url : e->url;
        break;
    case AFZ_RES_AUTHZ:
        *kind = "authorization";
        *url = e->url;
        break;
    case AFZ_RES_CHALLENGE:
        *kind = "challenge";
        *url = e->url;
        break;
    case AFZ_RES_CERT:
        *kind = "certificate";
        *url = e->url;
        break;
    case AFZ_RES_REVOKE:
        *kind = "revokeCert";
        break;
    default:
        *kind = "other";
        break;
    }
}

/* ra_binds: |e| carries one well-formed Retry-After where RFC 8555 and
 * 9110 give it a meaning (afz_prop_timing.c): an error or redirect, a
 * resource "processing", an authorization or challenge "pending". */
static int ra_binds(const afz_trace_ex *e)
{
    if (!e->delivered || e->ra_kind == AFZ_RA_INVALID)
        return 0;
    if (e->status >= 300 || (e->obj_status && strcmp(e->obj_status, "processing") == 0))
        return 1;
    return e->obj_status && strcmp(e->obj_status, "pending") == 0 &&
           (e->kind == AFZ_RES_AUTHZ || e->kind == AFZ_RES_CHALLENGE);
}

static double pct(const layout *l, int64_t t)
{
    if (t < 0)
        t = 0;
    if (t > l->t_end)
        t = l->t_end;
    return 100.0 * (double)t / (double)l->t_end;
}

static void layout_cleanup(layout *l)
{
    free(l->lanes);
    free(l->lane_of);
    free(l->row_of);
    free(l->fault);
    free(l->off);
    free(l->early);
    free(l->fault_detail);
    memset(l, 0, sizeof(*l));
}

static afz_rc layout_build(const afz_history *h, const afz_trace *t, const afz_report *r, layout *l)
{
    memset(l, 0, sizeof(*l));
    size_t n = h->n_ex;
    l->lanes = calloc(n + 1, sizeof(*l->lanes));
    l->lane_of = calloc(n + 1, sizeof(size_t));
    l->row_of = calloc(n + 1, sizeof(size_t));
    l->fault = calloc(n + 1, 1);
    l->off = calloc(n + 1, 1);
    l->early = calloc(n + 1, 1);
    l->fault_detail = calloc(n + 1, sizeof(*l->fault_detail));
    if (!l->lanes || !l->lane_of || !l->row_of || !l->fault || !l->off || !l->early ||
        !l->fault_detail) {
        layout_cleanup(l);
        return AFZ_ENOMEM;
    }
    /* the axis: every record, and the Retry-After instants within reason */
    int64_t last = 1;
    for (size_t i = 0; i < n; i++)
        if (h->ex[i].mono_ms > last)
            last = h->ex[i].mono_ms;
    for (size_t i = 0; i < h->n_ev; i++)
        if (h->ev[i].mono_ms > last)
            last = h->ev[i].mono_ms;
    int64_t limit = last + (last / 4 > 1000 ? last / 4 : 1000), end = last;
    for (size_t i = 0; i < n; i++) {
        const afz_trace_ex *e = &t->ex[i];
        if (ra_binds(e) && e->ra_instant_ms > end)
            end = e->ra_instant_ms < limit ? e->ra_instant_ms : limit;
    }
    l->t_end = end;

    for (size_t i = 0; i < h->n_ev; i++) {
        const afz_event *ev = &h->ev[i];
        if (ev->kind == AFZ_EV_FAULT && ev->exchange < n) {
            if (!l->fault[ev->exchange])
                l->fault_detail[ev->exchange] = ev->detail;
            l->fault[ev->exchange] = 1;
        }
    }
    for (size_t k = 0; r && k < r->n; k++) {
        const afz_prop_result *res = &r->entries[k].result;
        if (res->verdict == AFZ_VERDICT_VIOLATION && res->exchange < n)
            l->off[res->exchange] = 1;
    }
    /* early: the next request to a URL a binding Retry-After governs comes
     * before the instant it named, as respects-retry-after reads it (a
     * finalize answer's also governs its order) */
    for (size_t i = 0; i < n; i++) {
        const afz_trace_ex *e = &t->ex[i];
        if (!ra_binds(e))
            continue;
        const char *targets[2] = {e->url, NULL};
        if (e->kind == AFZ_RES_FINALIZE && e->status >= 200 && e->status < 300 && e->order_url &&
            strcmp(e->order_url, e->url) != 0)
            targets[1] = e->order_url;
        for (size_t k = 0; k < 2 && targets[k]; k++)
            for (size_t j = i + 1; j < n; j++)
                if (strcmp(t->ex[j].url, targets[k]) == 0) {
                    if (t->ex[j].x->mono_ms < e->ra_instant_ms)
                        l->early[j] = 1;
                    break;
                }
    }
    for (size_t i = 0; i < n; i++) {
        const afz_trace_ex *e = &t->ex[i];
        const char *kind, *url;
        lane_key(e, &kind, &url);
        size_t k = 0;
        while (k < l->n_lanes && !(l->lanes[k].kind == kind &&
                                   ((!url && !l->lanes[k].url) ||
                                    (url && l->lanes[k].url && strcmp(url, l->lanes[k].url) == 0))))
            k++;
        if (k == l->n_lanes) {
            lane *nl = &l->lanes[l->n_lanes++];
            nl->kind = kind;
            nl->url = url;
            for (size_t row = 0; row < MAX_ROWS; row++)
                nl->last[row] = -1e9;
        }
        lane *ln = &l->lanes[k];
        double x = pct(l, e->x->mono_ms);
        size_t row = 0, best = 0;
        while (row < MAX_ROWS && x - ln->last[row] < MARK_GAP_PCT) {
            if (ln->last[row] < ln->last[best])
                best = row;
            row++;
        }
        if (row == MAX_ROWS)
            row = best;
        ln->last[row] = x;
        if (row + 1 > ln->rows)
            ln->rows = row + 1;
        l->lane_of[i] = k;
        l->row_of[i] = row;
    }
    return AFZ_OK;
}

/* ---- the parts of a section ---- */

static const char *entry_class(const afz_report_entry *e)
{
    if (e->result.verdict == AFZ_VERDICT_PASS)
        return "v-pass";
    if (e->result.verdict == AFZ_VERDICT_INCONCLUSIVE)
        return "v-inc";
    return e->waived ? "v-waived" : e->fails ? "v-fail" : "v-warn";
}

static const char *entry_label(const afz_report_entry *e, const char **badge)
{
    if (e->result.verdict == AFZ_VERDICT_PASS) {
        *badge = "b-pass";
        return "pass";
    }
    if (e->result.verdict == AFZ_VERDICT_INCONCLUSIVE) {
        *badge = "b-inc";
        return "inconclusive";
    }
    *badge = e->waived ? "b-waived" : e->fails ? "b-fail" : "b-warn";
    return afz_report_entry_label(e);
}

static void verdict_row(w *o, size_t sec, size_t k, const afz_report_entry *e, const afz_history *h)
{
    const char *badge;
    const char *label = entry_label(e, &badge);
    putf(o,
         "<tr class=\"%s\" id=\"s%zu-v%zu\"><td><span class=\"badge %s\">%s</span></td>"
         "<td><code>",
         entry_class(e), sec, k, badge, label);
    esc(o, e->prop->id);
    putf(o, "</code></td><td>%s</td><td>", afz_level_name(e->prop->level));
    esc(o, e->prop->rfc);
    put(o, "</td><td>");
    esc(o, e->prop->rationale);
    if (e->prop->basis) {
        put(o, "<blockquote class=\"basis\">");
        esc(o, e->prop->basis);
        put(o, "</blockquote>");
    }
    put(o, "</td><td>");
    esc(o, e->result.message);
    put(o, "</td><td>");
    size_t x = e->result.exchange;
    if (x != SIZE_MAX && h && x < h->n_ex)
        putf(o,
             "<a class=\"tlink\" href=\"#s%zu-x%zu\">#%zu on the timeline</a><br>"
             "<a class=\"dlink\" href=\"#s%zu-d%zu\">request and response</a>",
             sec, x, x + 1, sec, x);
    else if (x != SIZE_MAX)
        putf(o, "#%zu", x + 1);
    put(o, "</td></tr>\n");
}

/* verdict_table: the violations (failing, warned, waived) in full, then
 * the properties that held or could not judge, folded. */
static void verdict_table(w *o, size_t sec, const afz_report *r, const afz_history *h)
{
    static const char head[] =
        "<table class=\"verdicts\">\n<tr><th>verdict</th><th>property</th><th>level</th>"
        "<th>cites</th><th>rule (and the text it rests on)</th><th>what happened</th>"
        "<th>offending exchange</th></tr>\n";
    size_t violated = 0;
    for (size_t k = 0; k < r->n; k++)
        violated += r->entries[k].result.verdict == AFZ_VERDICT_VIOLATION;
    putf(o, "<h3>Verdicts: %zu violated</h3>\n", violated);
    if (violated) {
        put(o, head);
        for (size_t k = 0; k < r->n; k++)
            if (r->entries[k].result.verdict == AFZ_VERDICT_VIOLATION)
                verdict_row(o, sec, k, &r->entries[k], h);
        put(o, "</table>\n");
    }
    putf(o,
         "<details class=\"held\"><summary>%zu other properties: held or inconclusive"
         "</summary>\n",
         r->n - violated);
    put(o, head);
    for (size_t k = 0; k < r->n; k++)
        if (r->entries[k].result.verdict != AFZ_VERDICT_VIOLATION)
            verdict_row(o, sec, k, &r->entries[k], h);
    put(o, "</table></details>\n");
}

static int status_class(const afz_trace_ex *e)
{
    if (!e->delivered)
        return 0;
    int c = e->status / 100;
    return c >= 2 && c <= 5 ? c : 0;
}

/* mark_title writes the tooltip of exchange |i| (escaped by the caller's
 * use of esc for every borrowed string). */
static void mark_title(w *o, const afz_trace_ex *e, size_t i, const layout *l)
{
    char tb[32];
    putf(o, "#%zu t=%ss ", i + 1, secs(e->x->mono_ms, tb, sizeof(tb)));
    esc(o, e->x->req.method);
    put(o, " ");
    esc(o, afz_url_path(e->url));
    if (e->delivered)
        putf(o, " -&gt; %d", e->status);
    else
        put(o, " -&gt; no response (connection dropped)");
    if (e->obj_status) {
        put(o, " status=");
        esc(o, e->obj_status);
    }
    if (e->problem) {
        put(o, " problem=");
        esc(o, e->problem);
    }
    if (e->retry_after) {
        put(o, " Retry-After=");
        esc(o, e->retry_after);
    }
    if (l->fault[i]) {
        put(o, "; injected fault: ");
        esc(o, l->fault_detail[i]);
    }
    if (l->early[i])
        put(o, "; EARLY: before the instant a Retry-After named for this URL");
    if (l->off[i])
        put(o, "; offending exchange of a violation");
}

static void timeline(w *o, size_t sec, const afz_history *h, const afz_trace *t, const layout *l)
{
    char tb[32];
    put(o, "<h3>Timeline</h3>\n<div class=\"legend\">"
           "<span><i class=\"mk st2\">n</i>2xx</span><span><i class=\"mk st4\">n</i>4xx</span>"
           "<span><i class=\"mk st5\">n</i>5xx</span><span><i class=\"mk st0\">n</i>no response"
           "</span><span><i class=\"mk st2 fault\">n</i>injected fault</span>"
           "<span><i class=\"mk st2 early\">n</i>before Retry-After</span>"
           "<span><i class=\"mk st4 off\">n</i>offending exchange</span>"
           "<span><i class=\"ra\"></i>Retry-After: when the client may ask again</span></div>\n");
    putf(o, "<div class=\"tl\" id=\"s%zu-tl\" data-end-ms=\"%" PRId64 "\">\n", sec, l->t_end);
    /* axis */
    static const int64_t steps[] = {1,      2,      5,      10,      20,      50,     100,   200,
                                    500,    1000,   2000,   5000,    10000,   20000,  30000, 60000,
                                    120000, 300000, 600000, 1200000, 1800000, 3600000};
    int64_t step = steps[sizeof(steps) / sizeof(steps[0]) - 1];
    for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++)
        if (l->t_end / steps[k] <= 10) {
            step = steps[k];
            break;
        }
    put(o, "<div class=\"axis\"><div class=\"lname\">virtual time (s)</div><div class=\"track\">");
    for (int64_t v = 0; v <= l->t_end; v += step)
        putf(o, "<span class=\"tick\" style=\"left:%.3f%%\">%s</span>", pct(l, v),
             secs(v, tb, sizeof(tb)));
    put(o, "</div></div>\n");
    for (size_t k = 0; k < l->n_lanes; k++) {
        const lane *ln = &l->lanes[k];
        size_t rows = ln->rows ? ln->rows : 1;
        put(o, "<div class=\"lane\"><div class=\"lname\" title=\"");
        esc(o, ln->kind);
        if (ln->url) {
            put(o, " ");
            esc(o, ln->url);
        }
        put(o, "\">");
        esc(o, ln->kind);
        if (ln->url) {
            put(o, " ");
            esc(o, afz_url_path(ln->url));
        }
        putf(o, "</div><div class=\"track\" style=\"height:%zupx\">", rows * ROW_PX + 4);
        for (size_t i = 0; i < h->n_ex; i++) {
            const afz_trace_ex *e = &t->ex[i];
            if (l->lane_of[i] != k || !ra_binds(e))
                continue;
            int64_t a = e->x->mono_ms, b = e->ra_instant_ms;
            double x0 = pct(l, a), x1 = pct(l, b);
            putf(o,
                 "<div class=\"ra%s\" id=\"s%zu-ra%zu\" data-start-ms=\"%" PRId64
                 "\" data-end-ms=\"%" PRId64 "\" style=\"left:%.3f%%;width:%.3f%%;top:%zupx\" "
                 "title=\"Retry-After ",
                 b > l->t_end ? " clip" : "", sec, i, a, b, x0, x1 - x0, l->row_of[i] * ROW_PX + 8);
            esc(o, e->retry_after);
            putf(o, " from #%zu: no request to this URL before t=%ss\"></div>", i + 1,
                 secs(b, tb, sizeof(tb)));
        }
        for (size_t i = 0; i < h->n_ex; i++) {
            if (l->lane_of[i] != k)
                continue;
            const afz_trace_ex *e = &t->ex[i];
            putf(o,
                 "<a class=\"mk st%d%s%s%s\" id=\"s%zu-x%zu\" href=\"#s%zu-d%zu\" "
                 "data-ms=\"%" PRId64 "\" style=\"left:%.3f%%;top:%zupx\" title=\"",
                 status_class(e), l->fault[i] ? " fault" : "", l->early[i] ? " early" : "",
                 l->off[i] ? " off" : "", sec, i, sec, i, e->x->mono_ms, pct(l, e->x->mono_ms),
                 l->row_of[i] * ROW_PX + 2);
            mark_title(o, e, i, l);
            putf(o, "\">%zu</a>", i + 1);
        }
        put(o, "</div></div>\n");
    }
    put(o, "</div>\n");
}

static void headers(w *o, const afz_headers *hs)
{
    for (size_t k = 0; k < hs->n; k++) {
        esc(o, hs->v[k].name);
        put(o, ": ");
        esc(o, hs->v[k].value);
        put(o, "\n");
    }
}

/* Server events happen while a request is served (their exchange is that
 * one); the others between requests (their exchange is the next one), as
 * afz_history_print_log reads them. */
static int is_server_event(afz_event_kind k)
{
    return k != AFZ_EV_SLEEP && k != AFZ_EV_CLIENT_LOG && k != AFZ_EV_CLIENT_DONE &&
           k != AFZ_EV_BUDGET_EXHAUSTED && k != AFZ_EV_ATTEMPT_START && k != AFZ_EV_FAULT_CONFIG &&
           k != AFZ_EV_VALIDATION && k != AFZ_EV_CLIENT_CRASHED;
}

static void exchange_detail(w *o, size_t sec, const afz_history *h, const afz_trace *t,
                            const layout *l, size_t i)
{
    const afz_trace_ex *e = &t->ex[i];
    const afz_exchange *x = e->x;
    char tb[32];
    putf(o, "<details id=\"s%zu-d%zu\"%s%s><summary><a href=\"#s%zu-x%zu\">#%zu</a> t=%ss ", sec, i,
         l->off[i] || l->early[i] ? " class=\"off\"" : "", l->off[i] ? " open" : "", sec, i, i + 1,
         secs(x->mono_ms, tb, sizeof(tb)));
    esc(o, x->req.method);
    put(o, " ");
    esc(o, afz_url_path(e->url));
    putf(o, " (%s)", afz_resource_name(e->kind));
    if (e->delivered)
        putf(o, " -&gt; %d", e->status);
    else
        put(o, " -&gt; no response");
    if (e->obj_status) {
        put(o, " status=");
        esc(o, e->obj_status);
    }
    if (e->problem) {
        put(o, " problem=");
        esc(o, e->problem);
    }
    if (l->fault[i])
        put(o, " [fault]");
    if (l->early[i])
        put(o, " [early]");
    put(o, "</summary>\n<div class=\"two\"><div><h4>Request</h4><pre>");
    esc(o, x->req.method);
    put(o, " ");
    esc(o, x->req.url);
    put(o, "\n");
    headers(o, &x->req.headers);
    put(o, "</pre>");
    if (e->jws_ok) {
        put(o, "<h4>JWS protected header (decoded)</h4><pre>");
        if (e->jws.protected_hdr)
            esc_json(o, e->jws.protected_hdr);
        put(o, "</pre><h4>JWS payload (decoded)</h4><pre>");
        cJSON *pj = NULL;
        if (e->jws.payload_len == 0)
            put(o, "\"\" (empty: a POST-as-GET)");
        else if (afz_json_parse(e->jws.payload, e->jws.payload_len, &pj) == AFZ_OK)
            esc_json(o, pj);
        else
            esc_body(o, e->jws.payload, e->jws.payload_len);
        cJSON_Delete(pj);
        put(o, "</pre>");
    } else if (x->req.body_len) {
        put(o, "<h4>Body</h4><pre>");
        if (e->jws_error) {
            put(o, "(not a JWS: ");
            esc(o, e->jws_error);
            put(o, ")\n");
        }
        esc_body(o, x->req.body, x->req.body_len);
        put(o, "</pre>");
    }
    put(o, "</div><div><h4>Response</h4><pre>");
    if (!x->delivered) {
        put(o, "(none: the transport failed, the connection dropped)");
    } else {
        putf(o, "%d\n", x->resp.status);
        headers(o, &x->resp.headers);
        if (x->resp.body_len) {
            put(o, "\n");
            if (e->body)
                esc_json(o, e->body);
            else
                esc_body(o, x->resp.body, x->resp.body_len);
        }
    }
    put(o, "</pre>");
    int any = 0;
    for (size_t k = 0; k < h->n_ev; k++) {
        const afz_event *ev = &h->ev[k];
        /* what serving it caused, then what happened before the next one */
        if (ev->kind == AFZ_EV_CLIENT_LOG ||
            ev->exchange != (is_server_event(ev->kind) ? i : i + 1))
            continue;
        if (!any++)
            put(o, "<h4>Then</h4><ul class=\"events\">");
        putf(o, "<li>t=%ss %s", secs(ev->mono_ms, tb, sizeof(tb)), afz_event_kind_name(ev->kind));
        const char *parts[] = {ev->url ? afz_url_path(ev->url) : NULL, ev->identifiers, ev->detail};
        for (size_t p = 0; p < 3; p++)
            if (parts[p]) {
                put(o, " ");
                esc(o, parts[p]);
            }
        if (ev->kind == AFZ_EV_SLEEP)
            putf(o, " %" PRId64 " ms", ev->value);
        put(o, "</li>");
    }
    if (any)
        put(o, "</ul>");
    put(o, "</div></div></details>\n");
}

static void client_output(w *o, const afz_html_section *s)
{
    put(o, "<h3>Client output</h3>\n<pre class=\"client\">");
    if (s->client_output) {
        esc(o, s->client_output);
    } else if (s->history) {
        char tb[32];
        for (size_t k = 0; k < s->history->n_ev; k++) {
            const afz_event *ev = &s->history->ev[k];
            if (ev->kind != AFZ_EV_CLIENT_LOG && ev->kind != AFZ_EV_CLIENT_DONE)
                continue;
            putf(o, "t=%ss ", secs(ev->mono_ms, tb, sizeof(tb)));
            if (ev->kind == AFZ_EV_CLIENT_DONE)
                put(o, ev->value ? "done: success " : "done: failure ");
            esc(o, ev->detail);
            put(o, "\n");
        }
    }
    put(o, "</pre>\n");
}

static int section_passed(const afz_html_section *s)
{
    return !s->error && (!s->report || s->report->violations == 0);
}

static void meta_row(w *o, const char *name, const char *value, int code)
{
    if (!value)
        return;
    putf(o, "<dt>%s</dt><dd>%s", name, code ? "<code>" : "");
    esc(o, value);
    putf(o, "%s</dd>\n", code ? "</code>" : "");
}

static afz_rc section(w *o, size_t sec, const afz_html_section *s)
{
    int ok = section_passed(s);
    putf(o, "<section class=\"run %s\" id=\"s%zu\">\n<h2><span class=\"badge %s\">%s</span> ",
         ok ? "pass" : "fail", sec, ok ? "b-pass" : "b-fail", ok ? "PASS" : "FAIL");
    esc(o, s->name ? s->name : "run");
    if (s->report && (s->report->warnings || s->report->waived))
        putf(o, " <small>(%zu warning(s), %zu waived; neither fails the run)</small>",
             s->report->warnings, s->report->waived);
    put(o, "</h2>\n<dl class=\"meta\">\n");
    meta_row(o, "client", s->client, 0);
    meta_row(o, "scenario", s->scenario, 1);
    meta_row(o, "outcome", s->outcome, 0);
    meta_row(o, "not run", s->error, 0);
    if (s->history) {
        int64_t last = 0;
        for (size_t i = 0; i < s->history->n_ex; i++)
            if (s->history->ex[i].mono_ms > last)
                last = s->history->ex[i].mono_ms;
        char tb[32];
        putf(o, "<dt>exchanges</dt><dd>%zu over %ss</dd>\n", s->history->n_ex,
             secs(last, tb, sizeof(tb)));
    }
    if (s->report) {
        afz_buf pol;
        afz_buf_init(&pol, 0);
        afz_policy_print(&s->report->policy, &pol);
        putf(o,
             "<dt>verdicts</dt><dd>%zu failing, %zu warnings, %zu waived, %zu inconclusive "
             "(",
             s->report->violations, s->report->warnings, s->report->waived,
             s->report->inconclusive);
        esc(o, afz_buf_cstr(&pol));
        put(o, ")</dd>\n");
        afz_buf_cleanup(&pol);
    }
    meta_row(o, "replay", s->replay, 1);
    put(o, "</dl>\n");
    if (s->plan_text && *s->plan_text) {
        put(o, "<h3>Fault plan</h3><pre class=\"plan\">");
        esc(o, s->plan_text);
        put(o, "</pre>\n");
    }
    afz_rc rc = AFZ_OK;
    if (s->history) {
        afz_trace t;
        layout l;
        rc = afz_trace_build(s->history, &t);
        if (rc == AFZ_OK)
            rc = layout_build(s->history, &t, s->report, &l);
        if (rc == AFZ_OK) {
            if (s->report)
                verdict_table(o, sec, s->report, s->history);
            timeline(o, sec, s->history, &t, &l);
            put(o, "<h3>Exchanges</h3>\n");
            for (size_t i = 0; i < s->history->n_ex && o->rc == AFZ_OK; i++)
                exchange_detail(o, sec, s->history, &t, &l, i);
            layout_cleanup(&l);
        }
        afz_trace_cleanup(&t);
    } else if (s->report) {
        verdict_table(o, sec, s->report, NULL);
    }
    if (s->history || s->client_output)
        client_output(o, s);
    put(o, "</section>\n");
    return rc;
}

afz_rc afz_report_html(const char *title, const afz_html_section *s, size_t n, afz_buf *out)
{
    static const char tmark[] = "<!--AFZ:TITLE-->", bmark[] = "<!--AFZ:BODY-->";
    const char *tpl = afz_report_html_template;
    const char *tp = strstr(tpl, tmark), *bp = strstr(tpl, bmark);
    if (!tp || !bp || bp < tp)
        return AFZ_EINVAL;
    w o = {out, AFZ_OK};
    if (o.rc == AFZ_OK)
        o.rc = afz_buf_append(out, tpl, (size_t)(tp - tpl));
    esc(&o, title);
    tp += sizeof(tmark) - 1;
    if (o.rc == AFZ_OK)
        o.rc = afz_buf_append(out, tp, (size_t)(bp - tp));
    put(&o, "<h1>");
    esc(&o, title);
    put(&o, "</h1>\n");
    size_t passed = 0;
    for (size_t i = 0; i < n; i++)
        passed += section_passed(&s[i]);
    putf(&o, "<p class=\"summary\"><span class=\"badge %s\">%s</span> %zu of %zu passed</p>\n",
         passed == n ? "b-pass" : "b-fail", passed == n ? "PASS" : "FAIL", passed, n);
    if (n > 1) {
        put(&o, "<table class=\"scenarios\"><tr><th>scenario</th><th>result</th>"
                "<th>outcome</th><th>violated</th></tr>\n");
        for (size_t i = 0; i < n; i++) {
            int ok = section_passed(&s[i]);
            putf(&o, "<tr><td><a href=\"#s%zu\">", i);
            esc(&o, s[i].name ? s[i].name : "run");
            putf(&o, "</a></td><td><span class=\"badge %s\">%s</span></td><td>",
                 ok ? "b-pass" : "b-fail",
                 ok           ? "pass"
                 : s[i].error ? "ERROR"
                              : "VIOLATION");
            esc(&o, s[i].error ? s[i].error : s[i].outcome);
            put(&o, "</td><td>");
            for (size_t k = 0; s[i].report && k < s[i].report->n; k++) {
                const afz_report_entry *e = &s[i].report->entries[k];
                if (e->result.verdict != AFZ_VERDICT_VIOLATION)
                    continue;
                putf(&o, "<a href=\"#s%zu-v%zu\"><code>", i, k);
                esc(&o, e->prop->id);
                putf(&o, "</code></a>%s ", e->waived ? " (waived)" : e->fails ? "" : " (warning)");
            }
            put(&o, "</td></tr>\n");
        }
        put(&o, "</table>\n");
    }
    for (size_t i = 0; i < n && o.rc == AFZ_OK; i++) {
        afz_rc rc = section(&o, i, &s[i]);
        if (rc != AFZ_OK && o.rc == AFZ_OK)
            o.rc = rc;
    }
    bp += sizeof(bmark) - 1;
    put(&o, bp);
    return o.rc;
}
