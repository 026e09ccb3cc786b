/* afz_http.c - see afz_http.h. */
#include "afz_http.h"

#include <stdlib.h>
#include <string.h>

#include "afz_buf.h"

afz_rc afz_headers_add(afz_headers *h, const char *name, const char *value)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 8;
        afz_header *v = realloc(h->v, cap * sizeof(*v));
        if (!v)
            return AFZ_ENOMEM;
        h->v = v;
        h->cap = cap;
    }
    char *n = afz_strdup(name);
    char *val = afz_strdup(value ? value : "");
    if (!n || !val) {
        free(n);
        free(val);
        return AFZ_ENOMEM;
    }
    h->v[h->n].name = n;
    h->v[h->n].value = val;
    h->n++;
    return AFZ_OK;
}

afz_rc afz_headers_set(afz_headers *h, const char *name, const char *value)
{
    afz_headers_remove(h, name);
    return afz_headers_add(h, name, value);
}

const char *afz_headers_get(const afz_headers *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (afz_strcaseeq(h->v[i].name, name))
            return h->v[i].value;
    return NULL;
}

size_t afz_headers_count(const afz_headers *h, const char *name)
{
    size_t k = 0;
    for (size_t i = 0; i < h->n; i++)
        if (afz_strcaseeq(h->v[i].name, name))
            k++;
    return k;
}

void afz_headers_remove(afz_headers *h, const char *name)
{
    size_t j = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (afz_strcaseeq(h->v[i].name, name)) {
            free(h->v[i].name);
            free(h->v[i].value);
        } else {
            h->v[j++] = h->v[i];
        }
    }
    h->n = j;
}

afz_rc afz_headers_copy(afz_headers *dst, const afz_headers *src)
{
    memset(dst, 0, sizeof(*dst));
    for (size_t i = 0; i < src->n; i++) {
        afz_rc rc = afz_headers_add(dst, src->v[i].name, src->v[i].value);
        if (rc != AFZ_OK) {
            afz_headers_cleanup(dst);
            return rc;
        }
    }
    return AFZ_OK;
}

void afz_headers_cleanup(afz_headers *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->v[i].name);
        free(h->v[i].value);
    }
    free(h->v);
    memset(h, 0, sizeof(*h));
}

static afz_rc body_dup(uint8_t **dst, size_t *dst_len, const void *p, size_t n)
{
    uint8_t *b = NULL;
    if (p) {
        b = malloc(n + 1);
        if (!b)
            return AFZ_ENOMEM;
        if (n)
            memcpy(b, p, n);
        b[n] = '\0';
    }
    free(*dst);
    *dst = b;
    *dst_len = p ? n : 0;
    return AFZ_OK;
}

afz_rc afz_request_init(afz_request *r, const char *method, const char *url)
{
    memset(r, 0, sizeof(*r));
    size_t ml = strlen(method);
    if (ml >= AFZ_METHOD_MAX)
        ml = AFZ_METHOD_MAX - 1;
    memcpy(r->method, method, ml);
    r->method[ml] = '\0';
    r->url = afz_strdup(url ? url : "");
    return r->url ? AFZ_OK : AFZ_ENOMEM;
}

afz_rc afz_request_set_body(afz_request *r, const void *p, size_t n)
{
    return body_dup(&r->body, &r->body_len, p, n);
}

afz_rc afz_request_copy(afz_request *dst, const afz_request *src)
{
    afz_rc rc = afz_request_init(dst, src->method, src->url);
    if (rc == AFZ_OK)
        rc = afz_headers_copy(&dst->headers, &src->headers);
    if (rc == AFZ_OK)
        rc = body_dup(&dst->body, &dst->body_len, src->body, src->body_len);
    if (rc != AFZ_OK)
        afz_request_cleanup(dst);
    return rc;
}

void afz_request_cleanup(afz_request *r)
{
    free(r->url);
    afz_headers_cleanup(&r->headers);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

void afz_response_init(afz_response *r)
{
    memset(r, 0, sizeof(*r));
}

afz_rc afz_response_set_body(afz_response *r, const void *p, size_t n)
{
    return body_dup(&r->body, &r->body_len, p, n);
}

void afz_response_take_body(afz_response *r, char *p, size_t n)
{
    free(r->body);
    r->body = (uint8_t *)p;
    r->body_len = p ? n : 0;
}

afz_rc afz_response_copy(afz_response *dst, const afz_response *src)
{
    afz_response_init(dst);
    dst->status = src->status;
    dst->stall_ms = src->stall_ms;
    afz_rc rc = afz_headers_copy(&dst->headers, &src->headers);
    if (rc == AFZ_OK)
        rc = body_dup(&dst->body, &dst->body_len, src->body, src->body_len);
    if (rc != AFZ_OK)
        afz_response_cleanup(dst);
    return rc;
}

void afz_response_cleanup(afz_response *r)
{
    afz_headers_cleanup(&r->headers);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

const char *afz_url_path(const char *url)
{
    const char *p = strstr(url, "://");
    if (!p)
        return url;
    /* RFC 3986 3.2: the authority ends at the first '/', '?' or '#'; a '/'
     * inside "?x=/a" or "#/a" is not the path. */
    p += 3;
    p += strcspn(p, "/?#");
    return *p == '/' ? p : "";
}
