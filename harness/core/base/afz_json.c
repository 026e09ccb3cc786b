/* afz_json.c - see afz_json.h. */
#include "afz_json.h"

#include <stdlib.h>
#include <string.h>

/* cJSON treats every byte <= 0x20 between tokens as whitespace, copies
 * raw control characters into strings, and decodes \u0000 into a NUL that
 * silently ends the C string ("a\u0000b" reads as "a", a key
 * "alg\u0000x" matches "alg"). RFC 8259 2 allows only space, tab, LF and
 * CR as whitespace, and 7 says control characters (U+0000 through U+001F)
 * MUST be escaped inside strings; the escape for U+0000 is refused as well
 * because the tree cannot hold it. Returns 1 when |p| passes.
 *
 * Every JSON text of a run passes through here, so the loop looks each
 * byte up once and only the rare ones (controls, quotes, backslashes) take
 * a branch: the table keeps a fuzz build's per-comparison coverage
 * callbacks to one per byte. */
enum { JB_PLAIN = 0, JB_WS_CTRL, JB_CTRL, JB_QUOTE, JB_BACKSLASH };

static const unsigned char json_byte_class[256] = {
    [0x00] = JB_CTRL, [0x01] = JB_CTRL,      [0x02] = JB_CTRL,    [0x03] = JB_CTRL,
    [0x04] = JB_CTRL, [0x05] = JB_CTRL,      [0x06] = JB_CTRL,    [0x07] = JB_CTRL,
    [0x08] = JB_CTRL, ['\t'] = JB_WS_CTRL,   ['\n'] = JB_WS_CTRL, [0x0b] = JB_CTRL,
    [0x0c] = JB_CTRL, ['\r'] = JB_WS_CTRL,   [0x0e] = JB_CTRL,    [0x0f] = JB_CTRL,
    [0x10] = JB_CTRL, [0x11] = JB_CTRL,      [0x12] = JB_CTRL,    [0x13] = JB_CTRL,
    [0x14] = JB_CTRL, [0x15] = JB_CTRL,      [0x16] = JB_CTRL,    [0x17] = JB_CTRL,
    [0x18] = JB_CTRL, [0x19] = JB_CTRL,      [0x1a] = JB_CTRL,    [0x1b] = JB_CTRL,
    [0x1c] = JB_CTRL, [0x1d] = JB_CTRL,      [0x1e] = JB_CTRL,    [0x1f] = JB_CTRL,
    ['"'] = JB_QUOTE, ['\\'] = JB_BACKSLASH,
};

static int json_bytes_ok(const unsigned char *p, size_t n)
{
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned cls = json_byte_class[p[i]];
        if (cls == JB_PLAIN)
            continue;
        if (cls == JB_WS_CTRL || cls == JB_CTRL) {
            /* Tab, LF and CR only as whitespace between tokens. */
            if (in_str || cls == JB_CTRL)
                return 0;
        } else if (cls == JB_QUOTE) {
            in_str = !in_str;
        } else if (in_str && i + 1 < n) { /* a backslash in a string */
            if (p[i + 1] == 'u' && n - i >= 6 && memcmp(p + i + 2, "0000", 4) == 0)
                return 0;
            if (p[i + 1] == '"' || p[i + 1] == '\\')
                i++;
        }
    }
    return 1;
}

afz_rc afz_json_parse(const void *p, size_t n, cJSON **out)
{
    *out = NULL;
    if (!p || n == 0 || !json_bytes_ok(p, n))
        return AFZ_EPARSE;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(p, n, &end, 0);
    if (!j)
        return AFZ_EPARSE;
    const char *stop = (const char *)p + n;
    while (end && end < stop && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
        end++;
    /* cJSON may stop at an embedded NUL; anything left is junk. */
    if (!end || end != stop) {
        cJSON_Delete(j);
        return AFZ_EPARSE;
    }
    *out = j;
    return AFZ_OK;
}

afz_rc afz_json_parse_object(const void *p, size_t n, cJSON **out)
{
    afz_rc rc = afz_json_parse(p, n, out);
    if (rc == AFZ_OK && !cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return AFZ_EPARSE;
    }
    return rc;
}

char *afz_json_print_alloc(const cJSON *j, size_t *len)
{
    char *s = cJSON_PrintUnformatted(j);
    if (s && len)
        *len = strlen(s);
    return s;
}

afz_rc afz_json_print(const cJSON *j, afz_buf *out)
{
    size_t n;
    char *s = afz_json_print_alloc(j, &n);
    if (!s)
        return AFZ_ENOMEM;
    afz_rc rc = afz_buf_append(out, s, n);
    cJSON_free(s);
    return rc;
}

/* A repeated member name resolves to the lexically last member, as
 * RFC 7515 4 allows for JOSE headers ("use a JSON parser that returns only
 * the lexically last duplicate member name") and as ECMAScript's
 * JSON.parse does; cJSON's own lookup returns the first. */
static const cJSON *member(const cJSON *obj, const char *key)
{
    const cJSON *found = NULL;
    if (!cJSON_IsObject(obj) || !key)
        return NULL;
    for (const cJSON *m = obj->child; m; m = m->next)
        if (m->string && strcmp(m->string, key) == 0)
            found = m;
    return found;
}

const char *afz_json_str(const cJSON *obj, const char *key)
{
    const cJSON *m = member(obj, key);
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

const cJSON *afz_json_array(const cJSON *obj, const char *key)
{
    const cJSON *m = member(obj, key);
    return cJSON_IsArray(m) ? m : NULL;
}

const cJSON *afz_json_object(const cJSON *obj, const char *key)
{
    const cJSON *m = member(obj, key);
    return cJSON_IsObject(m) ? m : NULL;
}

int afz_json_bool(const cJSON *obj, const char *key, int *out)
{
    const cJSON *m = member(obj, key);
    if (!cJSON_IsBool(m))
        return -1;
    *out = cJSON_IsTrue(m) ? 1 : 0;
    return 0;
}

afz_rc afz_json_add_str(cJSON *obj, const char *key, const char *val)
{
    return cJSON_AddStringToObject(obj, key, val ? val : "") ? AFZ_OK : AFZ_ENOMEM;
}
