/* afz_features.c - see afz_features.h. */
#include "afz_features.h"

#include <stdlib.h>
#include <string.h>

#include "afz_trace.h"

/* Retry-After slack, as afz_serve_prop_limits allows a real client. */
#define WAIT_SLACK_MS 250

enum {
    TAG_TRANSITION = 1,
    TAG_NEXT,
    TAG_FAULT,
    TAG_COUNT,
    TAG_REQUEST,
    TAG_WAIT,
    TAG_OUTCOME,
};

void afz_features_init(afz_features *f)
{
    memset(f, 0, sizeof(*f));
}

void afz_features_cleanup(afz_features *f)
{
    free(f->v);
    afz_features_init(f);
}

/* FNV-1a over 32-bit words and strings. */
typedef struct fhash {
    uint32_t h;
} fhash;

static void fh_start(fhash *s, unsigned tag)
{
    s->h = 2166136261u;
    s->h = (s->h ^ (tag & 0xffu)) * 16777619u;
}

static void fh_int(fhash *s, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++)
        s->h = (s->h ^ (uint32_t)((u >> (8 * i)) & 0xffu)) * 16777619u;
}

static void fh_str(fhash *s, const char *p)
{
    if (!p)
        p = "\x01";
    for (; *p; p++)
        s->h = (s->h ^ (unsigned char)*p) * 16777619u;
    s->h = (s->h ^ 0xffu) * 16777619u;
}

static afz_rc add(afz_features *f, uint32_t x)
{
    if (f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 64;
        uint32_t *v = realloc(f->v, nc * sizeof(*v));
        if (!v)
            return AFZ_ENOMEM;
        f->v = v;
        f->cap = nc;
    }
    f->v[f->n++] = x;
    return AFZ_OK;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static unsigned bucket(size_t n)
{
    if (n <= 3)
        return (unsigned)n;
    unsigned b = 4;
    for (size_t lim = 8; n >= lim && b < 7; lim *= 2)
        b++;
    return b;
}

/* What an answer said: the object status, or the problem type. */
static const char *answer_word(const afz_trace_ex *e)
{
    if (!e->delivered)
        return "lost";
    if (e->problem) {
        const char *c = strrchr(e->problem, ':');
        return c ? c + 1 : e->problem;
    }
    return e->obj_status ? e->obj_status : "-";
}

/* The kind of the first exchange after |i| (AFZ_RES__COUNT: none). */
static int next_kind(const afz_trace *t, size_t i)
{
    return i + 1 < t->n_ex ? (int)t->ex[i + 1].kind : AFZ_RES__COUNT;
}

static afz_rc exchange_features(const afz_trace *t, afz_features *out)
{
    afz_rc rc = AFZ_OK;
    size_t counts[AFZ_RES__COUNT + 1];
    memset(counts, 0, sizeof(counts));
    for (size_t i = 0; rc == AFZ_OK && i < t->n_ex; i++) {
        const afz_trace_ex *e = &t->ex[i];
        fhash s;
        counts[e->kind < AFZ_RES__COUNT ? e->kind : AFZ_RES__COUNT]++;
        /* transition: the last status seen at this URL, then this answer */
        const char *prev = "none";
        for (size_t j = i; j-- > 0 && i - j <= 256;)
            if (t->ex[j].delivered && strcmp(t->ex[j].url, e->url) == 0 && t->ex[j].obj_status) {
                prev = t->ex[j].obj_status;
                break;
            }
        fh_start(&s, TAG_TRANSITION);
        fh_int(&s, e->kind);
        fh_str(&s, prev);
        fh_int(&s, e->status);
        fh_str(&s, answer_word(e));
        rc = add(out, s.h);
        /* what the client did next after this answer */
        fh_start(&s, TAG_NEXT);
        fh_int(&s, e->kind);
        fh_int(&s, e->status);
        fh_str(&s, answer_word(e));
        fh_int(&s, next_kind(t, i));
        if (rc == AFZ_OK)
            rc = add(out, s.h);
        /* the request's shape */
        fh_start(&s, TAG_REQUEST);
        fh_int(&s, e->kind);
        fh_int(&s, e->is_post);
        fh_int(&s, e->payload);
        fh_int(&s, e->has_kid);
        fh_int(&s, e->has_jwk);
        fh_int(&s, e->delivered);
        if (rc == AFZ_OK)
            rc = add(out, s.h);
        /* Retry-After: was it waited for by the next request to the URL? */
        if (rc == AFZ_OK && e->delivered && e->n_retry_after) {
            int how = 0; /* 0 never asked again, 1 early, 2 after */
            for (size_t j = i + 1; j < t->n_ex; j++)
                if (strcmp(t->ex[j].url, e->url) == 0) {
                    how = e->ra_kind != AFZ_RA_INVALID &&
                                  t->ex[j].x->mono_ms + WAIT_SLACK_MS < e->ra_instant_ms
                              ? 1
                              : 2;
                    break;
                }
            fh_start(&s, TAG_WAIT);
            fh_int(&s, e->kind);
            fh_int(&s, e->ra_kind);
            fh_int(&s, how);
            rc = add(out, s.h);
        }
    }
    for (int k = 0; rc == AFZ_OK && k <= AFZ_RES__COUNT; k++) {
        if (!counts[k])
            continue;
        fhash s;
        fh_start(&s, TAG_COUNT);
        fh_int(&s, k);
        fh_int(&s, bucket(counts[k]));
        rc = add(out, s.h);
    }
    return rc;
}

static afz_rc event_features(const afz_history *h, const afz_trace *t, afz_features *out)
{
    afz_rc rc = AFZ_OK;
    unsigned attempts = 1;
    for (size_t i = 0; rc == AFZ_OK && i < h->n_ev; i++) {
        const afz_event *ev = &h->ev[i];
        fhash s;
        if (ev->kind == AFZ_EV_ATTEMPT_START && ev->value > 0)
            attempts = (unsigned)ev->value;
        if (ev->kind == AFZ_EV_FAULT) {
            /* the fault's name (up to its arguments), its rule, where it
             * hit and what the client asked next */
            const char *d = ev->detail ? ev->detail : "";
            size_t len = strcspn(d, "( ");
            fh_start(&s, TAG_FAULT);
            for (size_t k = 0; k < len; k++)
                s.h = (s.h ^ (unsigned char)d[k]) * 16777619u;
            fh_int(&s, ev->value);
            size_t x = ev->exchange;
            fh_int(&s, x < t->n_ex ? (int)t->ex[x].kind : -1);
            fh_int(&s, x < t->n_ex ? next_kind(t, x) : -1);
            rc = add(out, s.h);
        } else if (ev->kind == AFZ_EV_CLIENT_DONE || ev->kind == AFZ_EV_BUDGET_EXHAUSTED ||
                   ev->kind == AFZ_EV_CLIENT_CRASHED) {
            fh_start(&s, TAG_OUTCOME);
            fh_int(&s, ev->kind);
            fh_int(&s, ev->kind == AFZ_EV_CLIENT_DONE ? ev->value : 0);
            fh_int(&s, attempts);
            rc = add(out, s.h);
        }
    }
    return rc;
}

afz_rc afz_features_from_history(const afz_history *h, afz_features *out)
{
    out->n = 0;
    afz_trace t;
    afz_rc rc = afz_trace_build(h, &t);
    if (rc == AFZ_OK)
        rc = exchange_features(&t, out);
    if (rc == AFZ_OK)
        rc = event_features(h, &t, out);
    afz_trace_cleanup(&t);
    if (rc != AFZ_OK) {
        out->n = 0;
        return rc;
    }
    if (out->n) {
        qsort(out->v, out->n, sizeof(out->v[0]), cmp_u32);
        size_t w = 1;
        for (size_t i = 1; i < out->n; i++)
            if (out->v[i] != out->v[w - 1])
                out->v[w++] = out->v[i];
        out->n = w;
    }
    return AFZ_OK;
}

int afz_features_contains(const afz_features *f, uint32_t x)
{
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->v[mid] == x)
            return 1;
        if (f->v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}
