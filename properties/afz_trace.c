/* afz_trace.c - see afz_trace.h. One pass parses every exchange; a second,
 * parse-free loop links exchanges through what the server told the
 * client (finalize -> order, newAccount URL). */
#include "afz_trace.h"

#include <stdlib.h>
#include <string.h>

#include "afz_acme.h"
#include "afz_json.h"

/* ---- small helpers ---- */

static int is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Compares |n| bytes of |a| with the NUL-terminated |b|, ignoring ASCII case. */
static int span_caseeq(const char *a, size_t n, const char *b)
{
    size_t i = 0;
    for (; i < n && b[i]; i++)
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return 0;
    return i == n && b[i] == '\0';
}

int afz_trace_nonce_syntax_ok(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

int afz_trace_problem_is(const afz_trace_ex *e, const char *name)
{
    size_t n = sizeof(AFZ_ACME_ERROR_PREFIX) - 1;
    return e->problem && strncmp(e->problem, AFZ_ACME_ERROR_PREFIX, n) == 0 &&
           strcmp(e->problem + n, name) == 0;
}

/* RFC 8555 6.2: "application/jose+json", compared as a media type: case
 * does not matter and parameters are allowed. */
static int media_type_is_jose(const char *v)
{
    if (!v)
        return 0;
    while (is_ws(*v))
        v++;
    size_t n = strcspn(v, ";");
    while (n > 0 && is_ws(v[n - 1]))
        n--;
    return span_caseeq(v, n, "application/jose+json");
}

/* RFC 8555 7.4.2: a certificate is downloaded with an Accept header of a
 * certificate format; a client asking for JSON too is not downloading. */
static int accept_is_cert(const char *v)
{
    static const char *const cert_types[] = {"application/pem-certificate-chain",
                                             "application/pkix-cert", "application/pkcs7-mime"};
    int cert = 0, json = 0;
    while (v && *v) {
        while (is_ws(*v) || *v == ',')
            v++;
        size_t n = strcspn(v, ",;");
        size_t m = n;
        while (m > 0 && is_ws(v[m - 1]))
            m--;
        for (size_t i = 0; i < sizeof(cert_types) / sizeof(cert_types[0]); i++)
            cert |= span_caseeq(v, m, cert_types[i]);
        json |=
            span_caseeq(v, m, "application/json") || span_caseeq(v, m, "application/problem+json");
        v += n;
        v += strcspn(v, ","); /* skip parameters */
    }
    return cert && !json;
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

afz_rc afz_trace_join_identifiers(const char *const *names, size_t n, afz_buf *out)
{
    afz_rc rc = AFZ_ENOMEM;
    char **v = calloc(n ? n : 1, sizeof(*v));
    if (!v)
        return AFZ_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] = afz_strdup(names[i] ? names[i] : "")))
            goto out;
        for (char *p = v[i]; *p; p++)
            *p = ascii_lower(*p);
    }
    qsort(v, n, sizeof(*v), cmp_strp);
    rc = AFZ_OK;
    for (size_t i = 0; i < n && rc == AFZ_OK; i++) {
        if (i > 0 && strcmp(v[i], v[i - 1]) == 0)
            continue;
        if (i > 0)
            rc = afz_buf_putc(out, ',');
        if (rc == AFZ_OK)
            rc = afz_buf_puts(out, v[i]);
    }
out:
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
    return rc;
}

/* ---- growable arrays ---- */

static afz_rc add_link(afz_trace *t, size_t ex, afz_trace_rel rel, const char *url, size_t n)
{
    if (!afz_array_grow((void **)&t->links, &t->cap_links, t->n_links, sizeof(*t->links)))
        return AFZ_ENOMEM;
    char *u = afz_strndup(url, n);
    if (!u)
        return AFZ_ENOMEM;
    t->links[t->n_links++] = (afz_trace_link){.ex = ex, .rel = rel, .url = u};
    return AFZ_OK;
}

static afz_rc add_nonce(afz_trace *t, size_t ex, const char *value)
{
    if (!afz_array_grow((void **)&t->nonces, &t->cap_nonces, t->n_nonces, sizeof(*t->nonces)))
        return AFZ_ENOMEM;
    t->nonces[t->n_nonces++] =
        (afz_trace_nonce){.ex = ex, .value = value, .valid = afz_trace_nonce_syntax_ok(value)};
    return AFZ_OK;
}

static afz_rc add_order_map(afz_trace *t, const char *finalize_url, const char *order_url)
{
    if (!finalize_url || !order_url)
        return AFZ_OK;
    /* The first word the server said about a finalize URL stands. */
    if (afz_trace_order_of_finalize(t, finalize_url))
        return AFZ_OK;
    if (!afz_array_grow((void **)&t->orders, &t->cap_orders, t->n_orders, sizeof(*t->orders)))
        return AFZ_ENOMEM;
    t->orders[t->n_orders++] =
        (afz_trace_order_map){.finalize_url = finalize_url, .order_url = order_url};
    return AFZ_OK;
}

static afz_rc add_account(afz_trace *t, const char *url, size_t ex)
{
    for (size_t i = 0; i < t->n_accounts; i++)
        if (strcmp(t->accounts[i].url, url) == 0)
            return AFZ_OK;
    if (!afz_array_grow((void **)&t->accounts, &t->cap_accounts, t->n_accounts,
                        sizeof(*t->accounts)))
        return AFZ_ENOMEM;
    t->accounts[t->n_accounts++] = (afz_trace_account){.url = url, .ex = ex};
    return AFZ_OK;
}

const char *afz_trace_order_of_finalize(const afz_trace *t, const char *finalize_url)
{
    if (!finalize_url)
        return NULL;
    for (size_t i = 0; i < t->n_orders; i++)
        if (strcmp(t->orders[i].finalize_url, finalize_url) == 0)
            return t->orders[i].order_url;
    return NULL;
}

int afz_trace_account_known(const afz_trace *t, const char *url, size_t before)
{
    if (!url)
        return 0;
    for (size_t i = 0; i < t->n_accounts; i++)
        if (t->accounts[i].ex < before && strcmp(t->accounts[i].url, url) == 0)
            return 1;
    return 0;
}

/* ---- Link (RFC 8288 3) ---- */

/* Returns the AFZ_REL_* bits named in a rel value (space-separated). */
static unsigned rel_bits(const char *v, size_t n)
{
    unsigned bits = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && is_ws(v[i]))
            i++;
        size_t s = i;
        while (i < n && !is_ws(v[i]))
            i++;
        if (span_caseeq(v + s, i - s, "up"))
            bits |= 1u << AFZ_REL_UP;
        else if (span_caseeq(v + s, i - s, "alternate"))
            bits |= 1u << AFZ_REL_ALTERNATE;
    }
    return bits;
}

/* Reads every link-value of one Link field value; stops quietly at the
 * first thing that is not one. */
static afz_rc parse_link_field(afz_trace *t, size_t ex, const char *p)
{
    for (;;) {
        while (is_ws(*p) || *p == ',')
            p++;
        if (*p != '<')
            return AFZ_OK;
        const char *u = ++p;
        const char *end = strchr(u, '>');
        if (!end)
            return AFZ_OK;
        size_t ulen = (size_t)(end - u);
        p = end + 1;
        unsigned rels = 0;
        for (;;) {
            while (is_ws(*p))
                p++;
            if (*p != ';')
                break;
            p++;
            while (is_ws(*p))
                p++;
            const char *name = p;
            while (*p && *p != '=' && *p != ';' && *p != ',' && !is_ws(*p))
                p++;
            size_t nlen = (size_t)(p - name);
            while (is_ws(*p))
                p++;
            if (*p != '=')
                continue;
            p++;
            while (is_ws(*p))
                p++;
            const char *val = p;
            size_t vlen;
            if (*p == '"') {
                val = ++p;
                while (*p && *p != '"')
                    p += (*p == '\\' && p[1]) ? 2 : 1;
                vlen = (size_t)(p - val);
                if (*p == '"')
                    p++;
            } else {
                while (*p && *p != ';' && *p != ',' && !is_ws(*p))
                    p++;
                vlen = (size_t)(p - val);
            }
            if (span_caseeq(name, nlen, "rel"))
                rels |= rel_bits(val, vlen);
        }
        afz_rc rc = AFZ_OK;
        if (rels & (1u << AFZ_REL_UP))
            rc = add_link(t, ex, AFZ_REL_UP, u, ulen);
        if (rc == AFZ_OK && (rels & (1u << AFZ_REL_ALTERNATE)))
            rc = add_link(t, ex, AFZ_REL_ALTERNATE, u, ulen);
        if (rc != AFZ_OK)
            return rc;
        while (*p && *p != ',')
            p++;
        if (!*p)
            return AFZ_OK;
    }
}

/* ---- one exchange ---- */

/* The canonical identifier set of a newOrder payload; "" if unreadable. */
static afz_rc new_order_ids(afz_trace_ex *e)
{
    cJSON *j = NULL;
    const char **names = NULL;
    afz_buf b;
    afz_buf_init(&b, 0);
    afz_rc rc = AFZ_OK;
    size_t n = 0;
    if (afz_json_parse_object(e->jws.payload, e->jws.payload_len, &j) == AFZ_OK) {
        const cJSON *ids = afz_json_array(j, "identifiers");
        int len = cJSON_GetArraySize(ids);
        if (len > 0 && !(names = calloc((size_t)len, sizeof(*names)))) {
            rc = AFZ_ENOMEM;
            goto out;
        }
        const cJSON *it;
        cJSON_ArrayForEach(it, ids)
        {
            const char *v = afz_json_str(it, "value");
            if (v && n < (size_t)len)
                names[n++] = v;
        }
    }
    rc = afz_trace_join_identifiers(names, n, &b);
    if (rc == AFZ_OK && !(e->new_order_ids = afz_buf_take(&b, NULL)))
        rc = AFZ_ENOMEM;
out:
    free(names);
    afz_buf_cleanup(&b);
    cJSON_Delete(j);
    return rc;
}

static afz_trace_payload classify_payload(const afz_trace_ex *e)
{
    if (!e->jws_ok)
        return AFZ_PAYLOAD_NONE;
    if (e->jws.payload_len == 0)
        return AFZ_PAYLOAD_EMPTY;
    if (e->kind != AFZ_RES_AUTHZ)
        return AFZ_PAYLOAD_OTHER;
    cJSON *j = NULL;
    afz_trace_payload k = AFZ_PAYLOAD_OTHER;
    if (afz_json_parse_object(e->jws.payload, e->jws.payload_len, &j) == AFZ_OK) {
        const char *s = afz_json_str(j, "status");
        if (s && strcmp(s, "deactivated") == 0)
            k = AFZ_PAYLOAD_DEACTIVATE;
    }
    cJSON_Delete(j);
    return k;
}

static afz_rc parse_request(afz_trace_ex *e)
{
    const afz_request *rq = &e->x->req;
    e->content_type = afz_headers_get(&rq->headers, "Content-Type");
    e->content_type_jose = media_type_is_jose(e->content_type);
    e->accept_cert = accept_is_cert(afz_headers_get(&rq->headers, "Accept"));
    if (!e->is_post)
        return AFZ_OK;
    const char *why = NULL;
    if (!rq->body || rq->body_len == 0) {
        e->jws_error = "the body is empty";
        return AFZ_OK;
    }
    afz_rc rc = AFZ_OK;
    if (e->x->req_jws) {
        /* the server model's parse of these very bytes (afz_history.h) */
        e->jws = *e->x->req_jws;
        e->jws_borrowed = 1;
    } else {
        rc = afz_jws_parse(rq->body, rq->body_len, &e->jws, &why);
    }
    if (rc != AFZ_OK) {
        afz_jws_cleanup(&e->jws);
        memset(&e->jws, 0, sizeof(e->jws));
        e->jws_error = why ? why : "the body is not a flattened JWS";
        return rc == AFZ_ENOMEM ? rc : AFZ_OK;
    }
    e->jws_ok = 1;
    e->alg = e->jws.alg_name;
    e->nonce = e->jws.nonce;
    e->jws_url = e->jws.url;
    e->kid = e->jws.kid;
    e->has_kid = e->jws.has_kid;
    e->has_jwk = e->jws.has_jwk;
    e->payload = classify_payload(e);
    if (e->kind == AFZ_RES_NEW_ORDER)
        return new_order_ids(e);
    return AFZ_OK;
}

static int looks_like_object(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i < n && p[i] == '{';
}

static afz_rc parse_response(afz_trace *t, size_t i, afz_trace_ex *e)
{
    const afz_response *rs = &e->x->resp;
    const afz_headers *h = &rs->headers;
    afz_rc rc = AFZ_OK;
    e->nonce_first = t->n_nonces;
    e->link_first = t->n_links;
    for (size_t k = 0; k < h->n && rc == AFZ_OK; k++) {
        const afz_header *hd = &h->v[k];
        if (!hd->name || !hd->value)
            continue;
        if (afz_strcaseeq(hd->name, "Replay-Nonce")) {
            rc = add_nonce(t, i, hd->value);
        } else if (afz_strcaseeq(hd->name, "Retry-After")) {
            if (e->n_retry_after++ == 0)
                e->retry_after = hd->value;
        } else if (afz_strcaseeq(hd->name, "Location")) {
            if (e->n_location++ == 0)
                e->location = hd->value;
        } else if (afz_strcaseeq(hd->name, "Link") && e->kind == AFZ_RES_CERT) {
            rc = parse_link_field(t, i, hd->value);
        }
    }
    if (rc != AFZ_OK)
        return rc;
    e->n_nonces = t->n_nonces - e->nonce_first;
    e->n_links = t->n_links - e->link_first;

    /* RFC 9110 10.2.3: Retry-After is a singleton; two values are as
     * unusable as a malformed one. */
    e->ra_kind = AFZ_RA_INVALID;
    if (e->n_retry_after == 1) {
        afz_retry_after_kind kind;
        int64_t delay = 0;
        if (afz_retry_after_parse(e->retry_after, e->x->wall_ms, &kind, &delay) == AFZ_OK) {
            e->ra_kind = kind;
            e->ra_delay_ms = delay;
            int64_t mono = e->x->mono_ms;
            /* delay >= 0; only a positive mono can overflow */
            e->ra_instant_ms = mono > 0 && delay > INT64_MAX - mono ? INT64_MAX : mono + delay;
        }
    }

    if (rs->body && looks_like_object(rs->body, rs->body_len)) {
        rc = afz_json_parse_object(rs->body, rs->body_len, &e->body);
        if (rc == AFZ_ENOMEM)
            return rc;
        rc = AFZ_OK;
    }
    if (e->body) {
        e->obj_status = afz_json_str(e->body, "status");
        if (e->status >= 400)
            e->problem = afz_json_str(e->body, "type");
        if (e->kind == AFZ_RES_ORDER || e->kind == AFZ_RES_NEW_ORDER ||
            e->kind == AFZ_RES_FINALIZE) {
            e->certificate = afz_json_str(e->body, "certificate");
            e->finalize = afz_json_str(e->body, "finalize");
        }
    }

    /* What the server tells the client to tie resources together. */
    int ok2xx = e->status >= 200 && e->status < 300;
    if (!ok2xx)
        return AFZ_OK;
    switch (e->kind) {
    case AFZ_RES_ACCOUNT:
        /* RFC 8555 7.3: newAccount answers with the account URL in
         * Location; account URL requests carry none (or the same). */
        if (e->location && strcmp(e->location, e->url) != 0)
            rc = add_account(t, e->location, i);
        break;
    case AFZ_RES_NEW_ORDER:
        rc = add_order_map(t, e->finalize, e->location);
        break;
    case AFZ_RES_ORDER:
        rc = add_order_map(t, e->finalize, e->url);
        break;
    case AFZ_RES_FINALIZE:
        rc = add_order_map(t, e->url, e->location);
        break;
    default:
        break;
    }
    return rc;
}

/* ---- the trace ---- */

/* The directory's "newAccount" entry of any delivered directory equals |url|. */
static int is_directory_new_account(const afz_trace *t, const char *url, int *dir_seen)
{
    for (size_t i = 0; i < t->n_ex; i++) {
        const afz_trace_ex *d = &t->ex[i];
        if (d->kind != AFZ_RES_DIRECTORY || !d->body)
            continue;
        const char *na = afz_json_str(d->body, "newAccount");
        if (!na)
            continue;
        *dir_seen = 1;
        if (strcmp(na, url) == 0)
            return 1;
    }
    return 0;
}

static void link_exchanges(afz_trace *t)
{
    int have_dir = -1; /* unknown yet */
    for (size_t i = 0; i < t->n_ex; i++) {
        afz_trace_ex *e = &t->ex[i];
        switch (e->kind) {
        case AFZ_RES_ACCOUNT: {
            int seen = 0;
            e->is_new_account = is_directory_new_account(t, e->url, &seen);
            if (have_dir < 0)
                have_dir = seen;
            /* Without a directory to say, newAccount is the account-kind
             * URL that is not itself an account URL. */
            if (!have_dir)
                e->is_new_account = !afz_trace_account_known(t, e->url, SIZE_MAX);
            break;
        }
        case AFZ_RES_UNKNOWN: {
            /* A directory (perhaps a faulted one) may name a URL the
             * server does not serve as newAccount: a POST there is the
             * client's newAccount request all the same (found by fuzzing:
             * jws-headers flagged its "jwk"). */
            int seen = 0;
            e->is_new_account = e->url && is_directory_new_account(t, e->url, &seen);
            break;
        }
        case AFZ_RES_ORDER:
            e->order_url = e->url;
            break;
        case AFZ_RES_NEW_ORDER:
            if (e->status >= 200 && e->status < 300)
                e->order_url = e->location;
            break;
        case AFZ_RES_FINALIZE:
            e->order_url = afz_trace_order_of_finalize(t, e->url);
            break;
        default:
            break;
        }
    }
}

afz_rc afz_trace_build(const afz_history *h, afz_trace *t)
{
    memset(t, 0, sizeof(*t));
    t->history = h;
    if (h->n_ex == 0)
        return AFZ_OK;
    t->ex = calloc(h->n_ex, sizeof(*t->ex));
    if (!t->ex)
        return AFZ_ENOMEM;
    t->n_ex = h->n_ex;
    afz_rc rc = AFZ_OK;
    for (size_t i = 0; i < h->n_ex && rc == AFZ_OK; i++) {
        afz_trace_ex *e = &t->ex[i];
        e->x = &h->ex[i];
        e->kind = e->x->resource;
        e->url = e->x->req.url ? e->x->req.url : "";
        e->is_post = strcmp(e->x->req.method, "POST") == 0;
        e->delivered = e->x->delivered;
        e->status = e->delivered ? e->x->resp.status : 0;
        e->ra_kind = AFZ_RA_INVALID;
        rc = parse_request(e);
        if (rc == AFZ_OK && e->delivered)
            rc = parse_response(t, i, e);
    }
    if (rc != AFZ_OK) {
        afz_trace_cleanup(t);
        return rc;
    }
    link_exchanges(t);
    return AFZ_OK;
}

void afz_trace_cleanup(afz_trace *t)
{
    for (size_t i = 0; i < t->n_ex; i++) {
        afz_trace_ex *e = &t->ex[i];
        if (!e->jws_borrowed)
            afz_jws_cleanup(&e->jws);
        cJSON_Delete(e->body);
        free(e->new_order_ids);
    }
    for (size_t i = 0; i < t->n_links; i++)
        free(t->links[i].url);
    free(t->ex);
    free(t->links);
    free(t->nonces);
    free(t->orders);
    free(t->accounts);
    memset(t, 0, sizeof(*t));
}
