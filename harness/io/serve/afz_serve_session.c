/* afz_serve_session.c - see afz_serve_session.h. One forward pass places
 * the exchanges of a history (accounts from the JWS, nonces linking a
 * request to the response that gave its nonce), a second pass, in record
 * order, places the events; a session is then judged over a copy. */
#include "afz_serve_session.h"

#include <stdlib.h>
#include <string.h>

#include "afz_jose.h"
#include "afz_report.h"
#include "afz_serve.h"

#define NONE SIZE_MAX

/* ---- a string -> index map (keys borrowed), open addressing ---- */

typedef struct strmap {
    const char **k;
    size_t *v;
    size_t n, cap; /* cap: 0 or a power of two */
} strmap;

static size_t str_hash(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return (size_t)h;
}

static size_t strmap_get(const strmap *m, const char *key)
{
    if (!key || !m->cap)
        return NONE;
    for (size_t i = str_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->k[i])
            return NONE;
        if (strcmp(m->k[i], key) == 0)
            return m->v[i];
    }
}

static void strmap_slot_put(const char **k, size_t *v, size_t cap, const char *key, size_t val)
{
    size_t i = str_hash(key) & (cap - 1);
    while (k[i] && strcmp(k[i], key) != 0)
        i = (i + 1) & (cap - 1);
    k[i] = key;
    v[i] = val;
}

/* strmap_put sets |key| to |val| (the key pointer is replaced too, so a
 * key that outlives the old one can take over). NULL keys are ignored. */
static afz_rc strmap_put(strmap *m, const char *key, size_t val)
{
    if (!key)
        return AFZ_OK;
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        const char **k = calloc(cap, sizeof(*k));
        size_t *v = calloc(cap, sizeof(*v));
        if (!k || !v) {
            free(k);
            free(v);
            return AFZ_ENOMEM;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->k[i])
                strmap_slot_put(k, v, cap, m->k[i], m->v[i]);
        free(m->k);
        free(m->v);
        m->k = k;
        m->v = v;
        m->cap = cap;
    }
    if (strmap_get(m, key) == NONE)
        m->n++;
    strmap_slot_put(m->k, m->v, m->cap, key, val);
    return AFZ_OK;
}

static void strmap_cleanup(strmap *m)
{
    free(m->k);
    free(m->v);
    memset(m, 0, sizeof(*m));
}

/* ---- sessions ---- */

/* new_session appends a session; *idx is its index. */
static afz_rc new_session(afz_serve_sessions *ss, afz_serve_split split, const char *name,
                          const char *account, size_t *idx)
{
    if (!afz_array_grow((void **)&ss->v, &ss->cap, ss->n, sizeof(*ss->v)))
        return AFZ_ENOMEM;
    afz_serve_session *s = &ss->v[ss->n];
    memset(s, 0, sizeof(*s));
    s->split = split;
    s->name = name;
    if (account && !(s->account = afz_strdup(account)))
        return AFZ_ENOMEM;
    *idx = ss->n++;
    return AFZ_OK;
}

static afz_rc push_index(size_t **v, size_t *n, size_t *cap, size_t i)
{
    if (!afz_array_grow((void **)v, cap, *n, sizeof(**v)))
        return AFZ_ENOMEM;
    (*v)[(*n)++] = i;
    return AFZ_OK;
}

void afz_serve_sessions_cleanup(afz_serve_sessions *ss)
{
    for (size_t i = 0; i < ss->n; i++) {
        free(ss->v[i].account);
        free(ss->v[i].ex);
        free(ss->v[i].ev);
    }
    free(ss->v);
    memset(ss, 0, sizeof(*ss));
}

/* What a request says about its sender. Pointers into |jws| or the
 * history; valid until jws is cleaned up. */
typedef struct sender {
    afz_jws jws;
    int parsed;
    const char *kid;     /* "kid" string */
    const char *nonce;   /* "nonce" string */
    const char *created; /* newAccount answered with this account URL */
} sender;

static void sender_read(const afz_exchange *x, sender *s)
{
    memset(s, 0, sizeof(*s));
    if (strcmp(x->req.method, "POST") != 0 || !x->req.body)
        return;
    s->parsed = 1; /* cleaned up either way */
    if (afz_jws_parse(x->req.body, x->req.body_len, &s->jws, NULL) != AFZ_OK)
        return;
    s->nonce = s->jws.nonce;
    if (s->jws.has_kid) {
        s->kid = s->jws.kid;
        return;
    }
    /* RFC 8555 6.2: "For newAccount requests ... there MUST be a "jwk"
     * field"; the account resource takes "jwk" for nothing else. 7.3:
     * the server answers with the account URL in Location, 201 for a
     * new account and 200 for an existing key. */
    if (s->jws.has_jwk && x->resource == AFZ_RES_ACCOUNT && x->delivered && x->resp.status >= 200 &&
        x->resp.status < 300)
        s->created = afz_headers_get(&x->resp.headers, "Location");
}

static void sender_cleanup(sender *s)
{
    if (s->parsed)
        afz_jws_cleanup(&s->jws);
}

/* The account-split state of one range [a, b) of exchanges. */
typedef struct acct_split {
    const afz_history *h;
    size_t a, b;
    afz_serve_sessions *out;
    size_t *sess; /* per exchange (i - a): session index, or NONE */
    size_t *from; /* per exchange: the exchange that gave its nonce, or NONE */
    size_t *wait; /* held exchanges that go with the next placed request */
    size_t n_wait;
    strmap nonces;   /* nonce -> exchange whose response gave it */
    strmap accounts; /* account URL -> its latest session */
} acct_split;

/* place puts exchange |i| into session |s|, with the held exchanges whose
 * nonce led to it and those waiting for the next placed request. */
static void place(acct_split *st, size_t i, size_t s)
{
    st->sess[i - st->a] = s;
    for (size_t j = st->from[i - st->a]; j != NONE && st->sess[j - st->a] == NONE;
         j = st->from[j - st->a])
        st->sess[j - st->a] = s;
    for (size_t k = 0; k < st->n_wait; k++)
        if (st->sess[st->wait[k] - st->a] == NONE)
            st->sess[st->wait[k] - st->a] = s;
    st->n_wait = 0;
}

/* session_of_sender returns the session a signed request belongs to (a
 * new one when it starts one), or NONE when it names no account. */
static afz_rc session_of_sender(acct_split *st, const sender *who, size_t *out)
{
    afz_serve_sessions *ss = st->out;
    *out = NONE;
    afz_rc rc = AFZ_OK;
    if (who->kid) {
        size_t s = strmap_get(&st->accounts, who->kid);
        if (s == NONE) {
            rc = new_session(ss, AFZ_SERVE_SPLIT_ACCOUNT, NULL, who->kid, &s);
            if (rc == AFZ_OK)
                rc = strmap_put(&st->accounts, ss->v[s].account, s);
        }
        if (rc == AFZ_OK)
            ss->v[s].open_account = 0;
        *out = s;
        return rc;
    }
    if (who->created) {
        size_t s = strmap_get(&st->accounts, who->created);
        /* A newAccount for an account whose session has done nothing
         * else yet (asked twice in a row) stays in that session. */
        if (s != NONE && ss->v[s].open_account) {
            *out = s;
            return AFZ_OK;
        }
        rc = new_session(ss, AFZ_SERVE_SPLIT_ACCOUNT, NULL, who->created, &s);
        if (rc == AFZ_OK)
            rc = strmap_put(&st->accounts, ss->v[s].account, s);
        if (rc == AFZ_OK)
            ss->v[s].open_account = 1;
        *out = s;
    }
    return rc;
}

/* url_matches tells whether the event names exchange |x|'s request URL. */
static int url_matches(const afz_event *e, const afz_exchange *x)
{
    if (!x->req.url)
        return 0;
    return (e->url && strcmp(e->url, x->req.url) == 0) ||
           (e->related_url && strcmp(e->related_url, x->req.url) == 0);
}

/* place_events gives each event of [ea, eb) a session (see the header). */
static afz_rc place_events(acct_split *st, size_t ea, size_t eb, size_t *evs)
{
    const afz_history *h = st->h;
    strmap urls = {0};
    afz_rc rc = AFZ_OK;
    size_t i = st->a, k = ea;
    while ((i < st->b || k < eb) && rc == AFZ_OK) {
        if (i < st->b && (k >= eb || h->ex[i].seq < h->ev[k].seq)) {
            const afz_exchange *x = &h->ex[i];
            size_t s = st->sess[i - st->a];
            rc = strmap_put(&urls, x->req.url, s);
            if (rc == AFZ_OK && x->delivered)
                rc = strmap_put(&urls, afz_headers_get(&x->resp.headers, "Location"), s);
            i++;
            continue;
        }
        const afz_event *e = &h->ev[k];
        size_t j = e->exchange, s = NONE;
        int in_range = j >= st->a && j < st->b;
        if (in_range && url_matches(e, &h->ex[j]))
            s = st->sess[j - st->a];
        if (s == NONE)
            s = strmap_get(&urls, e->url);
        if (s == NONE)
            s = strmap_get(&urls, e->related_url);
        if (s == NONE && in_range)
            s = st->sess[j - st->a];
        if (s == NONE && st->b > st->a)
            s = st->sess[(j < st->a ? st->a : st->b - 1) - st->a];
        evs[k - ea] = s;
        k++;
    }
    strmap_cleanup(&urls);
    return rc;
}

/* split_by_account appends the sessions of exchanges [a, b) and events
 * [ea, eb) of |h| to |out|. */
static afz_rc split_by_account(const afz_history *h, size_t a, size_t b, size_t ea, size_t eb,
                               afz_serve_sessions *out)
{
    acct_split st;
    memset(&st, 0, sizeof(st));
    st.h = h;
    st.a = a;
    st.b = b;
    st.out = out;
    size_t first = out->n, n = b - a;
    size_t *evs = NULL;
    afz_rc rc = AFZ_ENOMEM;
    st.sess = malloc((n ? n : 1) * sizeof(*st.sess));
    st.from = malloc((n ? n : 1) * sizeof(*st.from));
    st.wait = malloc((n ? n : 1) * sizeof(*st.wait));
    evs = malloc((eb - ea ? eb - ea : 1) * sizeof(*evs));
    if (!st.sess || !st.from || !st.wait || !evs)
        goto out;
    rc = AFZ_OK;
    for (size_t i = a; i < b && rc == AFZ_OK; i++) {
        const afz_exchange *x = &h->ex[i];
        sender who;
        sender_read(x, &who);
        size_t f = strmap_get(&st.nonces, who.nonce);
        st.from[i - a] = f != NONE && f >= a && f < i ? f : NONE;
        st.sess[i - a] = NONE;
        size_t s = NONE;
        rc = session_of_sender(&st, &who, &s);
        sender_cleanup(&who);
        const char *issued =
            x->delivered ? afz_headers_get(&x->resp.headers, "Replay-Nonce") : NULL;
        if (rc == AFZ_OK && s != NONE)
            place(&st, i, s);
        else if (rc == AFZ_OK && !issued)
            st.wait[st.n_wait++] = i; /* a directory, say: goes with the next request */
        /* else held until a request uses the nonce it gave */
        if (rc == AFZ_OK)
            rc = strmap_put(&st.nonces, issued, i);
    }
    if (rc != AFZ_OK)
        goto out;
    /* What is still held: the nearest later placed exchange's session,
     * else the nearest earlier one's, else one session of its own. The
     * nonce links are spent: |from| now holds the later candidate. */
    size_t next = NONE;
    for (size_t i = b; i-- > a;) {
        st.from[i - a] = next;
        if (st.sess[i - a] != NONE)
            next = st.sess[i - a];
    }
    size_t prev = NONE, orphans = NONE;
    for (size_t i = a; i < b && rc == AFZ_OK; i++) {
        if (st.sess[i - a] != NONE) {
            prev = st.sess[i - a];
            continue;
        }
        size_t v = st.from[i - a] != NONE ? st.from[i - a] : prev;
        if (v == NONE) {
            if (orphans == NONE)
                rc = new_session(out, AFZ_SERVE_SPLIT_ACCOUNT, NULL, NULL, &orphans);
            v = orphans;
        }
        st.sess[i - a] = v;
    }
    if (rc == AFZ_OK)
        rc = place_events(&st, ea, eb, evs);
    for (size_t i = a; i < b && rc == AFZ_OK; i++) {
        afz_serve_session *s = &out->v[st.sess[i - a]];
        rc = push_index(&s->ex, &s->n_ex, &s->cap_ex, i);
    }
    for (size_t k = ea; k < eb && rc == AFZ_OK; k++) {
        if (evs[k - ea] == NONE)
            continue; /* no exchange in the range: nothing to judge it with */
        afz_serve_session *s = &out->v[evs[k - ea]];
        rc = push_index(&s->ev, &s->n_ev, &s->cap_ev, k);
    }
    for (size_t s = first; s < out->n; s++)
        out->v[s].open_account = 0;
out:
    free(st.sess);
    free(st.from);
    free(st.wait);
    free(evs);
    strmap_cleanup(&st.nonces);
    strmap_cleanup(&st.accounts);
    return rc;
}

/* first_account returns (a copy of) the first account exchanges [a, b)
 * name: a "kid", or the account URL a newAccount was given. */
static afz_rc first_account(const afz_history *h, size_t a, size_t b, char **out)
{
    *out = NULL;
    for (size_t i = a; i < b; i++) {
        sender who;
        sender_read(&h->ex[i], &who);
        const char *acct = who.kid ? who.kid : who.created;
        if (acct)
            *out = afz_strdup(acct);
        sender_cleanup(&who);
        if (acct)
            return *out ? AFZ_OK : AFZ_ENOMEM;
    }
    return AFZ_OK;
}

/* split_by_mark appends the one session of [a, b) x [ea, eb). */
static afz_rc split_by_mark(const afz_history *h, const char *name, size_t a, size_t b, size_t ea,
                            size_t eb, afz_serve_sessions *out)
{
    size_t idx;
    afz_rc rc = new_session(out, AFZ_SERVE_SPLIT_MARK, name, NULL, &idx);
    afz_serve_session *s = rc == AFZ_OK ? &out->v[idx] : NULL;
    if (rc == AFZ_OK)
        rc = first_account(h, a, b, &s->account);
    for (size_t i = a; i < b && rc == AFZ_OK; i++)
        rc = push_index(&s->ex, &s->n_ex, &s->cap_ex, i);
    for (size_t k = ea; k < eb && rc == AFZ_OK; k++)
        rc = push_index(&s->ev, &s->n_ev, &s->cap_ev, k);
    return rc;
}

/* prepend_indexes puts |n| indexes |pre| (all smaller) before |*v|. */
static afz_rc prepend_indexes(size_t **v, size_t *nv, size_t *cap, const size_t *pre, size_t n)
{
    if (!n)
        return AFZ_OK;
    size_t *q = malloc((*nv + n) * sizeof(*q));
    if (!q)
        return AFZ_ENOMEM;
    memcpy(q, pre, n * sizeof(*q));
    if (*nv)
        memcpy(q + n, *v, *nv * sizeof(*q));
    free(*v);
    *v = q;
    *nv += n;
    *cap = *nv;
    return AFZ_OK;
}

/* merge_into_next moves session 0 into session 1 and drops it. */
static afz_rc merge_into_next(afz_serve_sessions *ss)
{
    afz_serve_session *a = &ss->v[0], *b = &ss->v[1];
    afz_rc rc = prepend_indexes(&b->ex, &b->n_ex, &b->cap_ex, a->ex, a->n_ex);
    if (rc == AFZ_OK)
        rc = prepend_indexes(&b->ev, &b->n_ev, &b->cap_ev, a->ev, a->n_ev);
    if (rc != AFZ_OK)
        return rc;
    free(a->account);
    free(a->ex);
    free(a->ev);
    memmove(ss->v, ss->v + 1, (ss->n - 1) * sizeof(*ss->v));
    ss->n--;
    return AFZ_OK;
}

afz_rc afz_serve_sessions_split(const afz_history *h, const afz_serve_mark *marks, size_t n_marks,
                                afz_serve_sessions *out)
{
    memset(out, 0, sizeof(*out));
    size_t ex_end = n_marks ? marks[0].ex : h->n_ex;
    size_t ev_end = n_marks ? marks[0].ev : h->n_ev;
    if (ex_end > h->n_ex)
        ex_end = h->n_ex;
    if (ev_end > h->n_ev)
        ev_end = h->n_ev;
    afz_rc rc = split_by_account(h, 0, ex_end, 0, ev_end, out);
    for (size_t m = 0; m < n_marks && rc == AFZ_OK; m++) {
        size_t a = ex_end, ea = ev_end;
        ex_end = m + 1 < n_marks ? marks[m + 1].ex : h->n_ex;
        ev_end = m + 1 < n_marks ? marks[m + 1].ev : h->n_ev;
        /* marks only grow, but stay inside the history whatever happens */
        if (ex_end > h->n_ex)
            ex_end = h->n_ex;
        if (ev_end > h->n_ev)
            ev_end = h->n_ev;
        if (ex_end < a)
            ex_end = a;
        if (ev_end < ea)
            ev_end = ea;
        rc = split_by_mark(h, marks[m].name, a, ex_end, ea, ev_end, out);
    }
    /* Before the first POST /session, requests that never named an
     * account (a harness polling GET /directory until the server is up)
     * are no client run: they join the first marked session. */
    if (rc == AFZ_OK && n_marks && out->n > 1 && !out->v[0].account &&
        out->v[0].split == AFZ_SERVE_SPLIT_ACCOUNT && out->n == 1 + n_marks)
        rc = merge_into_next(out);
    if (rc != AFZ_OK)
        afz_serve_sessions_cleanup(out);
    return rc;
}

/* ---- one session's history ---- */

afz_rc afz_serve_session_history(const afz_history *h, const afz_serve_session *s, afz_history *out,
                                 size_t **map, size_t *directory_from)
{
    afz_history_init(out);
    if (map)
        *map = NULL;
    *directory_from = NONE;
    size_t *m = malloc((s->n_ex + 1) * sizeof(*m));
    if (!m)
        return AFZ_ENOMEM;
    int has_dir = 0;
    for (size_t i = 0; i < s->n_ex && !has_dir; i++)
        has_dir = h->ex[s->ex[i]].resource == AFZ_RES_DIRECTORY;
    for (size_t k = s->n_ex ? s->ex[0] : 0; !has_dir && k-- > 0;) {
        const afz_exchange *x = &h->ex[k];
        if (x->resource == AFZ_RES_DIRECTORY && x->delivered && x->resp.status == 200)
            *directory_from = k;
        if (*directory_from != NONE)
            break;
    }
    int64_t base = INT64_MAX;
    if (s->n_ex)
        base = h->ex[s->ex[0]].mono_ms;
    if (s->n_ev && h->ev[s->ev[0]].mono_ms < base)
        base = h->ev[s->ev[0]].mono_ms;
    afz_rc rc = AFZ_OK;
    size_t n = 0;
    if (*directory_from != NONE) {
        const afz_exchange *x = &h->ex[*directory_from];
        rc = afz_history_add_exchange(out, &x->req, &x->resp, x->resource, 0, x->wall_ms);
        m[n++] = *directory_from;
    }
    size_t i = 0, k = 0;
    while (rc == AFZ_OK && (i < s->n_ex || k < s->n_ev)) {
        if (i < s->n_ex && (k >= s->n_ev || h->ex[s->ex[i]].seq < h->ev[s->ev[k]].seq)) {
            const afz_exchange *x = &h->ex[s->ex[i]];
            int64_t t = x->mono_ms >= base ? x->mono_ms - base : 0;
            rc = afz_history_add_exchange(out, &x->req, x->delivered ? &x->resp : NULL, x->resource,
                                          t, x->wall_ms);
            m[n++] = s->ex[i++];
            continue;
        }
        const afz_event *e = &h->ev[s->ev[k++]];
        int64_t t = e->mono_ms >= base ? e->mono_ms - base : 0;
        afz_event_in event = {.kind = e->kind,
                              .mono_ms = t,
                              .url = e->url,
                              .related_url = e->related_url,
                              .identifiers = e->identifiers,
                              .serial = e->serial,
                              .detail = e->detail,
                              .value = e->value};
        rc = afz_history_add_event(out, &event);
    }
    if (rc != AFZ_OK || !map) {
        free(m);
        m = NULL;
    }
    if (rc != AFZ_OK)
        afz_history_cleanup(out);
    if (map)
        *map = m;
    return rc;
}

/* ---- the log ---- */

static void marks_free(afz_serve_mark *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].name);
    free(v);
}

static void run_rec_cleanup(afz_serve_run_rec *r)
{
    afz_history_cleanup(&r->history);
    marks_free(r->marks, r->n_marks);
    memset(r, 0, sizeof(*r));
}

void afz_serve_log_cleanup(afz_serve_log *l)
{
    for (size_t i = 0; i < l->n_past; i++)
        run_rec_cleanup(&l->past[i]);
    free(l->past);
    marks_free(l->marks, l->n_marks);
    memset(l, 0, sizeof(*l));
}

afz_rc afz_serve_log_mark(afz_serve_log *l, uint64_t run, const afz_history *h, const char *name,
                          size_t max_marks)
{
    if (l->marks_run != run) {
        marks_free(l->marks, l->n_marks);
        l->marks = NULL;
        l->n_marks = l->cap_marks = 0;
        l->marks_run = run;
    }
    if (l->n_marks >= max_marks)
        return AFZ_ELIMIT;
    if (!afz_array_grow((void **)&l->marks, &l->cap_marks, l->n_marks, sizeof(*l->marks)))
        return AFZ_ENOMEM;
    afz_serve_mark *m = &l->marks[l->n_marks];
    m->ex = h->n_ex;
    m->ev = h->n_ev;
    m->name = NULL;
    if (name && !(m->name = afz_strdup(name)))
        return AFZ_ENOMEM;
    l->n_marks++;
    return AFZ_OK;
}

/* count_sessions splits |h| only to count its sessions. */
static afz_rc count_sessions(const afz_history *h, const afz_serve_mark *marks, size_t n_marks,
                             size_t *n)
{
    afz_serve_sessions ss;
    afz_rc rc = afz_serve_sessions_split(h, marks, n_marks, &ss);
    *n = ss.n;
    afz_serve_sessions_cleanup(&ss);
    return rc;
}

size_t afz_serve_exchange_bytes(const afz_request *req, const afz_response *resp)
{
    size_t n = 256; /* the record, its event links, the allocator's share */
    if (req) {
        n += req->body_len + (req->url ? strlen(req->url) : 0);
        for (size_t i = 0; i < req->headers.n; i++)
            n += strlen(req->headers.v[i].name) + strlen(req->headers.v[i].value) + 16;
    }
    if (resp) {
        n += resp->body_len;
        for (size_t i = 0; i < resp->headers.n; i++)
            n += strlen(resp->headers.v[i].name) + strlen(resp->headers.v[i].value) + 16;
    }
    return n;
}

static size_t history_bytes(const afz_history *h)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n_ex; i++)
        n += afz_serve_exchange_bytes(&h->ex[i].req, h->ex[i].delivered ? &h->ex[i].resp : NULL);
    return n;
}

/* forget_oldest drops the |drop| oldest finished runs, counting their
 * sessions so that later ids stay stable. */
static void forget_oldest(afz_serve_log *l, size_t drop)
{
    for (size_t i = 0; i < drop; i++) {
        afz_serve_run_rec *old = &l->past[i];
        size_t n = 0;
        if (count_sessions(&old->history, old->marks, old->n_marks, &n) != AFZ_OK)
            n = 1; /* out of memory: ids may shift, nothing worse */
        l->forgotten_sessions += n;
        l->forgotten_runs++;
        l->past_exchanges -= old->history.n_ex;
        l->past_bytes -= old->bytes;
        run_rec_cleanup(old);
    }
    if (drop) {
        memmove(l->past, l->past + drop, (l->n_past - drop) * sizeof(*l->past));
        l->n_past -= drop;
    }
}

afz_rc afz_serve_log_archive(afz_serve_log *l, uint64_t run, afz_history *h, const afz_plan *plan,
                             size_t dropped, size_t max_exchanges)
{
    if (!afz_array_grow((void **)&l->past, &l->cap_past, l->n_past, sizeof(*l->past)))
        return AFZ_ENOMEM;
    afz_serve_run_rec *r = &l->past[l->n_past++];
    memset(r, 0, sizeof(*r));
    r->history = *h; /* moved: the arrays change owner */
    afz_history_init(h);
    r->plan = plan;
    r->dropped = dropped;
    r->run = run;
    r->bytes = history_bytes(&r->history);
    if (l->marks_run == run) {
        r->marks = l->marks;
        r->n_marks = l->n_marks;
        r->cap_marks = l->cap_marks;
    } else {
        marks_free(l->marks, l->n_marks);
    }
    l->marks = NULL;
    l->n_marks = l->cap_marks = 0;
    l->past_exchanges += r->history.n_ex;
    l->past_bytes += r->bytes;
    /* Forget the oldest runs past the cap; their sessions keep their ids
     * by being counted. The newest run always stays. */
    size_t drop = 0;
    for (size_t ex = l->past_exchanges; l->n_past - drop > 1 && ex > max_exchanges; drop++)
        ex -= l->past[drop].history.n_ex;
    forget_oldest(l, drop);
    return AFZ_OK;
}

void afz_serve_log_trim_bytes(afz_serve_log *l, size_t max_bytes)
{
    size_t drop = 0;
    for (size_t b = l->past_bytes; drop < l->n_past && b > max_bytes; drop++)
        b -= l->past[drop].bytes;
    forget_oldest(l, drop);
}

/* A run as the verdict sees it, archived or current. */
typedef struct run_view {
    const afz_history *history;
    const afz_plan *plan;
    const afz_serve_mark *marks;
    size_t n_marks;
    size_t dropped;
    uint64_t run;
} run_view;

static size_t run_views(const afz_serve_log *l, const afz_serve_current *cur, run_view *v)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n_past; i++) {
        const afz_serve_run_rec *r = &l->past[i];
        v[n++] = (run_view){&r->history, r->plan, r->marks, r->n_marks, r->dropped, r->run};
    }
    int own = l->marks_run == cur->run;
    v[n++] = (run_view){cur->history,         cur->plan,    own ? l->marks : NULL,
                        own ? l->n_marks : 0, cur->dropped, cur->run};
    return n;
}

afz_rc afz_serve_log_count(const afz_serve_log *l, const afz_serve_current *cur, size_t *n)
{
    run_view *v = malloc((l->n_past + 1) * sizeof(*v));
    if (!v)
        return AFZ_ENOMEM;
    size_t nv = run_views(l, cur, v);
    afz_rc rc = AFZ_OK;
    *n = l->forgotten_sessions;
    for (size_t i = 0; i < nv && rc == AFZ_OK; i++) {
        size_t k = 0;
        rc = count_sessions(v[i].history, v[i].marks, v[i].n_marks, &k);
        *n += k;
    }
    free(v);
    return rc;
}

/* ---- verdicts ---- */

static int has_download(const afz_history *h)
{
    for (size_t i = 0; i < h->n_ev; i++)
        if (h->ev[i].kind == AFZ_EV_CERT_DOWNLOADED)
            return 1;
    return 0;
}

/* add_run_exchanges gives each verdict entry "run_exchange": its
 * "exchange" (1-based, in the session's copy) as numbered in the run. */
static afz_rc add_run_exchanges(cJSON *tree, const size_t *map, size_t n)
{
    cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(tree, "verdicts"))
    {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(v, "exchange");
        cJSON *r;
        if (cJSON_IsNumber(x) && x->valuedouble >= 1 && x->valuedouble <= (double)n)
            r = cJSON_AddNumberToObject(v, "run_exchange",
                                        (double)map[(size_t)x->valuedouble - 1] + 1);
        else
            r = cJSON_AddNullToObject(v, "run_exchange");
        if (!r)
            return AFZ_ENOMEM;
    }
    return AFZ_OK;
}

static cJSON *add_index_or_null(cJSON *o, const char *key, size_t i)
{
    return i == NONE ? cJSON_AddNullToObject(o, key)
                     : cJSON_AddNumberToObject(o, key, (double)i + 1);
}

static cJSON *add_str_or_null(cJSON *o, const char *key, const char *s)
{
    return s ? cJSON_AddStringToObject(o, key, s) : cJSON_AddNullToObject(o, key);
}

typedef struct tally {
    size_t judged, failing, violations, warnings;
} tally;

/* judge evaluates one session and appends its object to |arr|.
 * |outcome|: 1 success, 0 failure, -1 from the session's own events. */
static afz_rc judge(const run_view *rv, const afz_serve_session *s, size_t id, int outcome,
                    const afz_report_options *opt, cJSON *arr, tally *t)
{
    afz_history sub;
    size_t *map = NULL, dir_from = NONE;
    afz_rc rc = afz_serve_session_history(rv->history, s, &sub, &map, &dir_from);
    if (rc != AFZ_OK)
        return rc;
    afz_prop_input in;
    memset(&in, 0, sizeof(in));
    in.history = &sub;
    in.plan = rv->plan;
    in.plan_class = rv->plan ? afz_plan_class(rv->plan) : AFZ_CLASS_LEGAL;
    in.attempts = rv->plan ? rv->plan->attempts : 1;
    in.client_succeeded = outcome >= 0 ? outcome : has_download(&sub);
    afz_report r;
    cJSON *o = NULL, *tree = NULL;
    rc = afz_report_evaluate_input(&in, opt, &r);
    if (rc != AFZ_OK)
        goto out;
    rc = AFZ_ENOMEM;
    tree = afz_serve_verdict_tree(&r);
    if (!tree || add_run_exchanges(tree, map, sub.n_ex) != AFZ_OK)
        goto out;
    o = cJSON_CreateObject();
    if (!o)
        goto out;
    cJSON_AddItemToArray(arr, o);
    if (!cJSON_AddNumberToObject(o, "id", (double)id) ||
        !cJSON_AddNumberToObject(o, "run", (double)rv->run) ||
        !add_str_or_null(o, "name", s->name) ||
        !cJSON_AddStringToObject(o, "split",
                                 s->split == AFZ_SERVE_SPLIT_MARK ? "session" : "account") ||
        !add_str_or_null(o, "account", s->account) ||
        !cJSON_AddNumberToObject(o, "exchanges", (double)s->n_ex) ||
        !add_index_or_null(o, "first_exchange", s->n_ex ? s->ex[0] : NONE) ||
        !add_index_or_null(o, "last_exchange", s->n_ex ? s->ex[s->n_ex - 1] : NONE) ||
        !add_index_or_null(o, "directory_from", dir_from) ||
        !cJSON_AddBoolToObject(o, "client_succeeded", in.client_succeeded) ||
        !cJSON_AddBoolToObject(o, "fails", r.violations > 0))
        goto out;
    cJSON_AddItemToObject(o, "verdict", tree);
    tree = NULL;
    t->judged++;
    t->failing += r.violations > 0;
    t->violations += r.violations;
    t->warnings += r.warnings;
    rc = AFZ_OK;
out:
    cJSON_Delete(tree);
    afz_history_cleanup(&sub);
    free(map);
    return rc;
}

static afz_rc add_summary(cJSON *root, const afz_serve_log *l, const afz_serve_current *cur,
                          const afz_policy *policy, size_t kept, const tally *t)
{
    cJSON *sum = cJSON_AddObjectToObject(root, "summary");
    afz_buf pol;
    afz_buf_init(&pol, 0);
    afz_rc rc = AFZ_ENOMEM;
    if (sum && afz_policy_print(policy, &pol) == AFZ_OK &&
        cJSON_AddNumberToObject(sum, "sessions", (double)kept) &&
        cJSON_AddNumberToObject(sum, "judged", (double)t->judged) &&
        cJSON_AddNumberToObject(sum, "failing", (double)t->failing) &&
        cJSON_AddNumberToObject(sum, "violations", (double)t->violations) &&
        cJSON_AddNumberToObject(sum, "warnings", (double)t->warnings) &&
        cJSON_AddStringToObject(sum, "policy", afz_buf_cstr(&pol)) &&
        cJSON_AddNumberToObject(sum, "runs", (double)(l->n_past + 1)) &&
        cJSON_AddNumberToObject(sum, "current_run", (double)cur->run) &&
        cJSON_AddNumberToObject(sum, "forgotten_sessions", (double)l->forgotten_sessions) &&
        cJSON_AddNumberToObject(sum, "forgotten_runs", (double)l->forgotten_runs) &&
        cJSON_AddNumberToObject(sum, "exchanges", (double)cur->history->n_ex) &&
        cJSON_AddNumberToObject(sum, "dropped", (double)cur->dropped))
        rc = AFZ_OK;
    afz_buf_cleanup(&pol);
    return rc;
}

afz_rc afz_serve_log_verdict(const afz_serve_log *l, const afz_serve_current *cur,
                             const afz_serve_verdict_query *q, cJSON **out)
{
    *out = NULL;
    afz_policy def;
    afz_policy_default(&def);
    const afz_policy *policy = q->policy ? q->policy : &def;
    afz_prop_limits lim;
    if (q->limits) {
        lim = *q->limits;
    } else {
        afz_serve_prop_limits(&lim);
        /* A session runs as long as its client: the time limit of
         * terminates is for suites, which know when their client started.
         * Its request budget holds per session. */
        lim.max_virtual_ms = INT64_MAX / 4;
    }
    afz_report_options opt = {.policy = policy, .limits = &lim};
    int outcome = !q->outcome ? -1 : strcmp(q->outcome, "success") == 0;
    size_t n_views = l->n_past + 1;
    run_view *v = malloc(n_views * sizeof(*v));
    afz_serve_sessions *ss = calloc(n_views, sizeof(*ss));
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = root ? cJSON_AddArrayToObject(root, "sessions") : NULL;
    afz_rc rc = AFZ_ENOMEM;
    if (!v || !ss || !arr)
        goto out;
    run_views(l, cur, v);
    rc = AFZ_OK;
    size_t kept = 0;
    for (size_t i = 0; i < n_views && rc == AFZ_OK; i++) {
        rc = afz_serve_sessions_split(v[i].history, v[i].marks, v[i].n_marks, &ss[i]);
        kept += ss[i].n;
    }
    if (rc != AFZ_OK)
        goto out;
    size_t last = l->forgotten_sessions + kept, id = l->forgotten_sessions;
    tally t = {0};
    for (size_t i = 0; i < n_views && rc == AFZ_OK; i++) {
        for (size_t k = 0; k < ss[i].n && rc == AFZ_OK; k++) {
            id++;
            if (q->session && q->session != id)
                continue;
            rc = judge(&v[i], &ss[i].v[k], id, id == last ? outcome : -1, &opt, arr, &t);
        }
    }
    if (rc == AFZ_OK && q->session && t.judged == 0)
        rc = AFZ_ENOTFOUND;
    if (rc == AFZ_OK)
        rc = add_summary(root, l, cur, policy, kept, &t);
out:
    for (size_t i = 0; ss && i < n_views; i++)
        afz_serve_sessions_cleanup(&ss[i]);
    free(ss);
    free(v);
    if (rc == AFZ_OK)
        *out = root;
    else
        cJSON_Delete(root);
    return rc;
}
