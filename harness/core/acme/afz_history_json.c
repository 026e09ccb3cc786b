/* afz_history_json.c - the loader of afz_history_to_json documents (see
 * afz_history.h): recorded histories become fixtures that a later build
 * judges again.
 *
 * The input is untrusted (a file anyone may edit), so every member is
 * type-checked, every count and length capped before anything is
 * allocated, and the history is rebuilt through afz_history_add_exchange
 * and afz_history_add_event only: a loaded history is one the recorder
 * itself could have made, with the same seq, index and exchange numbers,
 * which the loader checks instead of trusting. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "afz_b64.h"
#include "afz_clock.h"
#include "afz_history.h"
#include "afz_json.h"

/* The longest base64url text of a body of AFZ_HISTORY_JSON_MAX_BODY bytes. */
#define B64_MAX ((AFZ_HISTORY_JSON_MAX_BODY + 2) / 3 * 4)

static afz_rc bad(char *why, size_t whylen, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static afz_rc bad(char *why, size_t whylen, const char *path, const char *fmt, ...)
{
    if (why && whylen) {
        char msg[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        snprintf(why, whylen, "%s%s%s", path ? path : "", path && *path ? ": " : "", msg);
    }
    return AFZ_EPARSE;
}

/* The loader's state: where to write the reason, and the path to the
 * member being read ("exchanges[3].request.headers[1]") for it. */
typedef struct loader {
    char *why;
    size_t whylen;
    char path[128];
} loader;

static afz_rc fail(loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static afz_rc fail(loader *ld, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return bad(ld->why, ld->whylen, ld->path, "%s", msg);
}

/* The one member named |key| of |obj|, or NULL when absent. The recorder
 * never repeats a name, so a repeated one is malformed rather than a
 * choice between two values (*dup is set). */
static const cJSON *field(const cJSON *obj, const char *key, int *dup)
{
    const cJSON *found = NULL;
    for (const cJSON *m = obj->child; m; m = m->next) {
        if (!m->string || strcmp(m->string, key) != 0)
            continue;
        if (found)
            *dup = 1;
        found = m;
    }
    return found;
}

static afz_rc need(loader *ld, const cJSON *obj, const char *key, const cJSON **out)
{
    int dup = 0;
    *out = field(obj, key, &dup);
    if (dup)
        return fail(ld, "member \"%s\" appears twice", key);
    if (!*out)
        return fail(ld, "member \"%s\" is missing", key);
    return AFZ_OK;
}

static afz_rc maybe(loader *ld, const cJSON *obj, const char *key, const cJSON **out)
{
    int dup = 0;
    *out = field(obj, key, &dup);
    if (dup)
        return fail(ld, "member \"%s\" appears twice", key);
    return AFZ_OK;
}

/* Integers travel as JSON numbers written from a double: every int64 the
 * recorder holds prints as an integral double in [-2^63, 2^63], and 2^63
 * itself can only be a saturated INT64_MAX, so it loads as that and prints
 * back the same. */
static afz_rc as_int(loader *ld, const cJSON *m, const char *key, int64_t lo, int64_t hi,
                     int64_t *out)
{
    if (!cJSON_IsNumber(m))
        return fail(ld, "\"%s\" is not a number", key);
    double d = m->valuedouble;
    if (!isfinite(d) || d != floor(d))
        return fail(ld, "\"%s\" is not an integer", key);
    int64_t v;
    if (d >= 9223372036854775808.0)
        v = INT64_MAX;
    else if (d < -9223372036854775808.0)
        return fail(ld, "\"%s\" is out of range", key);
    else
        v = (int64_t)d;
    if (d > 9223372036854775808.0 || v < lo || v > hi)
        return fail(ld, "\"%s\" is out of range", key);
    *out = v;
    return AFZ_OK;
}

static afz_rc get_int(loader *ld, const cJSON *obj, const char *key, int64_t lo, int64_t hi,
                      int64_t *out)
{
    const cJSON *m;
    afz_rc rc = need(ld, obj, key, &m);
    return rc != AFZ_OK ? rc : as_int(ld, m, key, lo, hi, out);
}

/* A string member: absent gives NULL when |optional|, else an error. */
static afz_rc get_str(loader *ld, const cJSON *obj, const char *key, int optional, size_t max,
                      const char **out)
{
    const cJSON *m;
    afz_rc rc = optional ? maybe(ld, obj, key, &m) : need(ld, obj, key, &m);
    *out = NULL;
    if (rc != AFZ_OK || !m)
        return rc;
    if (!cJSON_IsString(m) || !m->valuestring)
        return fail(ld, "\"%s\" is not a string", key);
    if (strlen(m->valuestring) > max)
        return fail(ld, "\"%s\" is longer than %zu bytes", key, max);
    *out = m->valuestring;
    return AFZ_OK;
}

static void sub(loader *ld, size_t keep, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* sub sets the path to its first |keep| bytes plus a formatted step. */
static void sub(loader *ld, size_t keep, const char *fmt, ...)
{
    if (keep >= sizeof(ld->path))
        keep = sizeof(ld->path) - 1;
    ld->path[keep] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->path + keep, sizeof(ld->path) - keep, fmt, ap);
    va_end(ap);
}

static afz_rc load_headers(loader *ld, const cJSON *msg, afz_headers *hs)
{
    const cJSON *arr;
    afz_rc rc = need(ld, msg, "headers", &arr);
    if (rc != AFZ_OK)
        return rc;
    if (!cJSON_IsArray(arr))
        return fail(ld, "\"headers\" is not an array");
    int n = cJSON_GetArraySize(arr);
    if (n > AFZ_HISTORY_JSON_MAX_HEADERS)
        return fail(ld, "%d headers, more than %d", n, AFZ_HISTORY_JSON_MAX_HEADERS);
    size_t keep = strlen(ld->path);
    int i = 0;
    for (const cJSON *pair = arr->child; pair; pair = pair->next, i++) {
        sub(ld, keep, ".headers[%d]", i);
        const cJSON *name = cJSON_IsArray(pair) ? pair->child : NULL;
        const cJSON *value = name ? name->next : NULL;
        if (!value || value->next || !cJSON_IsString(name) || !cJSON_IsString(value))
            return fail(ld, "not a [name, value] pair of strings");
        if (!*name->valuestring)
            return fail(ld, "empty header name");
        if (strlen(name->valuestring) > AFZ_HISTORY_JSON_MAX_STRING ||
            strlen(value->valuestring) > AFZ_HISTORY_JSON_MAX_STRING)
            return fail(ld, "longer than %d bytes", AFZ_HISTORY_JSON_MAX_STRING);
        if ((rc = afz_headers_add(hs, name->valuestring, value->valuestring)) != AFZ_OK)
            return rc;
    }
    sub(ld, keep, "%s", "");
    return AFZ_OK;
}

/* The body of a request or response: "body" as text or "body_b64" as
 * base64url (afz_history_to_json writes exactly one), into |b|. */
static afz_rc load_body(loader *ld, const cJSON *msg, afz_buf *b)
{
    const char *text, *b64;
    afz_rc rc = get_str(ld, msg, "body", 1, AFZ_HISTORY_JSON_MAX_BODY, &text);
    if (rc == AFZ_OK)
        rc = get_str(ld, msg, "body_b64", 1, B64_MAX, &b64);
    if (rc != AFZ_OK)
        return rc;
    if (!text == !b64)
        return fail(ld, "wants exactly one of \"body\" and \"body_b64\"");
    afz_buf_reset(b);
    if (text) {
        rc = afz_buf_puts(b, text);
    } else {
        rc = afz_b64url_decode(b64, strlen(b64), b);
        if (rc == AFZ_EPARSE)
            return fail(ld, "\"body_b64\" is not base64url");
    }
    if (rc == AFZ_ELIMIT)
        return fail(ld, "body larger than %d bytes", AFZ_HISTORY_JSON_MAX_BODY);
    return rc;
}

static afz_rc load_exchange(loader *ld, const cJSON *o, size_t index, afz_history *h, afz_buf *body)
{
    afz_request rq;
    afz_response rs;
    memset(&rq, 0, sizeof(rq));
    afz_response_init(&rs);
    afz_rc rc = AFZ_EPARSE;
    int64_t idx, t, wall, status;
    const char *res, *method, *url;
    const cJSON *jrq, *jrs, *jwall;
    size_t keep = strlen(ld->path);
    if (!cJSON_IsObject(o)) {
        rc = fail(ld, "not an object");
        goto out;
    }
    if ((rc = get_int(ld, o, "index", 0, INT64_MAX, &idx)) != AFZ_OK ||
        (rc = get_int(ld, o, "t_ms", INT64_MIN, INT64_MAX, &t)) != AFZ_OK ||
        (rc = get_str(ld, o, "resource", 0, AFZ_HISTORY_JSON_MAX_STRING, &res)) != AFZ_OK ||
        (rc = maybe(ld, o, "wall_ms", &jwall)) != AFZ_OK ||
        (rc = need(ld, o, "request", &jrq)) != AFZ_OK ||
        (rc = need(ld, o, "response", &jrs)) != AFZ_OK)
        goto out;
    if ((size_t)idx != index) {
        rc = fail(ld, "\"index\" is %lld at position %zu", (long long)idx, index);
        goto out;
    }
    afz_resource kind = afz_resource_from_name(res);
    if (strcmp(afz_resource_name(kind), res) != 0) {
        rc = fail(ld, "unknown resource \"%.40s\"", res);
        goto out;
    }
    /* Without a recorded wall clock, the one in-process runs start at. */
    wall = t > INT64_MAX - AFZ_CLOCK_DEFAULT_EPOCH_MS ? INT64_MAX : AFZ_CLOCK_DEFAULT_EPOCH_MS + t;
    if (jwall && (rc = as_int(ld, jwall, "wall_ms", INT64_MIN, INT64_MAX, &wall)) != AFZ_OK)
        goto out;

    sub(ld, keep, ".request");
    if (!cJSON_IsObject(jrq)) {
        rc = fail(ld, "not an object");
        goto out;
    }
    if ((rc = get_str(ld, jrq, "method", 0, AFZ_HISTORY_JSON_MAX_STRING, &method)) != AFZ_OK ||
        (rc = get_str(ld, jrq, "url", 0, AFZ_HISTORY_JSON_MAX_STRING, &url)) != AFZ_OK)
        goto out;
    if (!*method || strlen(method) >= AFZ_METHOD_MAX) {
        rc = fail(ld, "\"method\" must have 1 to %d bytes", AFZ_METHOD_MAX - 1);
        goto out;
    }
    if ((rc = afz_request_init(&rq, method, url)) != AFZ_OK ||
        (rc = load_headers(ld, jrq, &rq.headers)) != AFZ_OK ||
        (rc = load_body(ld, jrq, body)) != AFZ_OK)
        goto out;
    if (body->len && (rc = afz_request_set_body(&rq, body->data, body->len)) != AFZ_OK)
        goto out;

    sub(ld, keep, ".response");
    int delivered = !cJSON_IsNull(jrs);
    if (delivered) {
        if (!cJSON_IsObject(jrs)) {
            rc = fail(ld, "neither an object nor null");
            goto out;
        }
        if ((rc = get_int(ld, jrs, "status", 0, 999, &status)) != AFZ_OK ||
            (rc = load_headers(ld, jrs, &rs.headers)) != AFZ_OK ||
            (rc = load_body(ld, jrs, body)) != AFZ_OK)
            goto out;
        rs.status = (int)status;
        if (body->len && (rc = afz_response_set_body(&rs, body->data, body->len)) != AFZ_OK)
            goto out;
    }
    sub(ld, keep, "%s", "");
    rc = afz_history_add_exchange(h, &rq, delivered ? &rs : NULL, kind, t, wall);
out:
    afz_request_cleanup(&rq);
    afz_response_cleanup(&rs);
    return rc;
}

static afz_rc load_event(loader *ld, const cJSON *o, afz_history *h)
{
    int64_t exchange, t, value;
    const char *kind_name, *url, *related, *ids, *serial, *detail;
    afz_rc rc;
    if (!cJSON_IsObject(o))
        return fail(ld, "not an object");
    if ((rc = get_str(ld, o, "kind", 0, AFZ_HISTORY_JSON_MAX_STRING, &kind_name)) != AFZ_OK ||
        (rc = get_int(ld, o, "exchange", 0, INT64_MAX, &exchange)) != AFZ_OK ||
        (rc = get_int(ld, o, "t_ms", INT64_MIN, INT64_MAX, &t)) != AFZ_OK ||
        (rc = get_int(ld, o, "value", INT64_MIN, INT64_MAX, &value)) != AFZ_OK ||
        (rc = get_str(ld, o, "url", 1, AFZ_HISTORY_JSON_MAX_STRING, &url)) != AFZ_OK ||
        (rc = get_str(ld, o, "related_url", 1, AFZ_HISTORY_JSON_MAX_STRING, &related)) != AFZ_OK ||
        (rc = get_str(ld, o, "identifiers", 1, AFZ_HISTORY_JSON_MAX_STRING, &ids)) != AFZ_OK ||
        (rc = get_str(ld, o, "serial", 1, AFZ_HISTORY_JSON_MAX_STRING, &serial)) != AFZ_OK ||
        (rc = get_str(ld, o, "detail", 1, AFZ_HISTORY_JSON_MAX_STRING, &detail)) != AFZ_OK)
        return rc;
    int k = 0;
    while (k < AFZ_EV__COUNT && strcmp(afz_event_kind_name((afz_event_kind)k), kind_name) != 0)
        k++;
    if (k == AFZ_EV__COUNT)
        return fail(ld, "unknown event kind \"%.40s\"", kind_name);
    /* An event belongs to the exchange being served when it happened, or
     * to the next: the number of exchanges recorded before it. */
    if ((size_t)exchange != h->n_ex)
        return fail(ld, "\"exchange\" is %lld but %zu exchanges come before it",
                    (long long)exchange, h->n_ex);
    afz_event_in event = {.kind = (afz_event_kind)k,
                          .mono_ms = t,
                          .url = url,
                          .related_url = related,
                          .identifiers = ids,
                          .serial = serial,
                          .detail = detail,
                          .value = value};
    return afz_history_add_event(h, &event);
}

static afz_rc get_array(loader *ld, const cJSON *root, const char *key, int max, const cJSON **arr)
{
    afz_rc rc = need(ld, root, key, arr);
    if (rc != AFZ_OK)
        return rc;
    if (!cJSON_IsArray(*arr))
        return fail(ld, "\"%s\" is not an array", key);
    int n = cJSON_GetArraySize(*arr);
    if (n > max)
        return fail(ld, "%d %s, more than %d", n, key, max);
    return AFZ_OK;
}

/* The seq of an array element, read ahead: exchanges and events are added
 * in seq order, which is the order the recorder saw them. */
static afz_rc seq_of(loader *ld, const cJSON *o, int64_t *seq)
{
    if (!cJSON_IsObject(o))
        return fail(ld, "not an object");
    return get_int(ld, o, "seq", 0, INT64_MAX, seq);
}

afz_rc afz_history_from_json_tree(const struct cJSON *root, afz_history *out, char *why,
                                  size_t whylen)
{
    loader ld = {.why = why, .whylen = whylen, .path = ""};
    afz_buf body;
    afz_buf_init(&body, AFZ_HISTORY_JSON_MAX_BODY);
    afz_history_init(out);
    if (why && whylen)
        why[0] = '\0';
    const cJSON *xs, *es;
    afz_rc rc;
    if (!cJSON_IsObject(root)) {
        rc = fail(&ld, "a history is a JSON object with \"exchanges\" and \"events\"");
        goto out;
    }
    if ((rc = get_array(&ld, root, "exchanges", AFZ_HISTORY_JSON_MAX_EXCHANGES, &xs)) != AFZ_OK ||
        (rc = get_array(&ld, root, "events", AFZ_HISTORY_JSON_MAX_EVENTS, &es)) != AFZ_OK)
        goto out;
    const cJSON *x = xs->child, *e = es->child;
    size_t nx = 0, ne = 0;
    while (x || e) {
        size_t next = nx + ne;
        int64_t sx = -1, se = -1;
        sub(&ld, 0, "exchanges[%zu]", nx);
        if (x && (rc = seq_of(&ld, x, &sx)) != AFZ_OK)
            goto out;
        sub(&ld, 0, "events[%zu]", ne);
        if (e && (rc = seq_of(&ld, e, &se)) != AFZ_OK)
            goto out;
        if (x && (size_t)sx == next) {
            sub(&ld, 0, "exchanges[%zu]", nx);
            if ((rc = load_exchange(&ld, x, nx, out, &body)) != AFZ_OK)
                goto out;
            x = x->next;
            nx++;
        } else if (e && (size_t)se == next) {
            sub(&ld, 0, "events[%zu]", ne);
            if ((rc = load_event(&ld, e, out)) != AFZ_OK)
                goto out;
            e = e->next;
            ne++;
        } else {
            sub(&ld, 0, "%s", "");
            rc = fail(&ld, "seq %zu is neither exchanges[%zu] nor events[%zu] (seq %lld, %lld)",
                      next, nx, ne, (long long)sx, (long long)se);
            goto out;
        }
    }
    rc = AFZ_OK;
out:
    if (rc != AFZ_OK) {
        afz_history_cleanup(out);
        if (rc != AFZ_EPARSE && why && whylen)
            snprintf(why, whylen, "%s", afz_rc_str(rc));
    }
    afz_buf_cleanup(&body);
    return rc;
}

/* Where a JSON text stops parsing, as "line L, column C". afz_json_parse
 * refuses raw control characters and \u0000 before cJSON sees them, so
 * those are looked for first; otherwise cJSON's own parse end points at
 * the culprit (a second parse, only to locate the error). */
static void locate(const char *p, size_t n, char *buf, size_t len)
{
    size_t at = n;
    int in_str = 0;
    for (size_t i = 0; i < n && at == n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 && (in_str || (c != ' ' && c != '\t' && c != '\n' && c != '\r')))
            at = i;
        else if (c == '"')
            in_str = !in_str;
        else if (c == '\\' && in_str && i + 1 < n) {
            if (p[i + 1] == 'u' && n - i >= 6 && memcmp(p + i + 2, "0000", 4) == 0)
                at = i;
            else
                i++;
        }
    }
    if (at == n) {
        const char *end = NULL;
        cJSON *j = cJSON_ParseWithLengthOpts(p, n, &end, 0);
        int parsed = j != NULL;
        cJSON_Delete(j);
        if (end && end >= p && end <= p + n)
            at = (size_t)(end - p);
        /* a whole value followed by junk: point at the junk */
        while (parsed && at < n &&
               (p[at] == ' ' || p[at] == '\t' || p[at] == '\n' || p[at] == '\r'))
            at++;
    }
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < n; i++) {
        if (p[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    snprintf(buf, len, "line %zu, column %zu", line, col);
}

afz_rc afz_history_from_json(const void *p, size_t n, afz_history *out, char *why, size_t whylen)
{
    afz_history_init(out);
    cJSON *root = NULL;
    afz_rc rc = afz_json_parse(p, n, &root);
    if (rc != AFZ_OK) {
        char at[64] = "";
        if (p && n)
            locate(p, n, at, sizeof(at));
        return bad(why, whylen, NULL, "not valid JSON%s%s", *at ? " at " : "", at);
    }
    rc = afz_history_from_json_tree(root, out, why, whylen);
    cJSON_Delete(root);
    return rc;
}
