/* afz_transport_curl.c - see afz_transport_curl.h. */
#include "afz_transport_curl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "afz_buf.h"
#include "afz_http.h"

#define CONNECT_TIMEOUT_MS 10000L
#define TOTAL_TIMEOUT_MS 30000L

/* rx collects one response while libcurl receives it. */
typedef struct rx {
    afz_headers headers;
    afz_buf body;
    int too_big;  /* the body passed AFZ_CURL_MAX_BODY */
    int too_many; /* more than AFZ_CURL_MAX_HEADERS header lines */
    int oom;      /* out of memory */
} rx;

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    rx *x = ud;
    size_t total = size * nmemb;
    size_t n = total;
    while (n && (p[n - 1] == '\r' || p[n - 1] == '\n'))
        n--;
    /* A status line starts a new response (after 1xx or, if redirects
     * were followed, a 3xx): forget the headers seen so far. */
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        afz_headers_cleanup(&x->headers);
        return total;
    }
    if (n == 0)
        return total;
    if (is_ows(p[0])) {
        /* obs-fold (RFC 9110 5.5): continue the previous value */
        if (x->headers.n == 0)
            return total;
        afz_header *last = &x->headers.v[x->headers.n - 1];
        size_t s = 0;
        while (s < n && is_ows(p[s]))
            s++;
        size_t old = strlen(last->value);
        char *v = realloc(last->value, old + 1 + (n - s) + 1);
        if (!v) {
            x->oom = 1;
            return 0;
        }
        v[old] = ' ';
        memcpy(v + old + 1, p + s, n - s);
        v[old + 1 + (n - s)] = '\0';
        last->value = v;
        return total;
    }
    const char *colon = memchr(p, ':', n);
    if (!colon)
        return total; /* not a header line: ignore */
    if (x->headers.n >= AFZ_CURL_MAX_HEADERS) {
        x->too_many = 1;
        return 0;
    }
    size_t name_len = (size_t)(colon - p);
    while (name_len && is_ows(p[name_len - 1]))
        name_len--;
    const char *v = colon + 1;
    const char *end = p + n;
    while (v < end && is_ows(*v))
        v++;
    while (end > v && is_ows(end[-1]))
        end--;
    char *name = afz_strndup(p, name_len);
    char *value = afz_strndup(v, (size_t)(end - v));
    afz_rc rc = name && value ? afz_headers_add(&x->headers, name, value) : AFZ_ENOMEM;
    free(name);
    free(value);
    if (rc != AFZ_OK) {
        x->oom = 1;
        return 0;
    }
    return total;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    rx *x = ud;
    size_t total = size * nmemb;
    afz_rc rc = afz_buf_append(&x->body, p, total);
    if (rc == AFZ_ELIMIT)
        x->too_big = 1;
    else if (rc != AFZ_OK)
        x->oom = 1;
    return rc == AFZ_OK ? total : 0;
}

static int has_crlf(const char *s)
{
    return strchr(s, '\r') || strchr(s, '\n');
}

/* header_list turns the request headers into a curl_slist, adding blank
 * overrides that stop libcurl from inventing headers of its own. */
static afz_rc header_list(const afz_request *req, struct curl_slist **out)
{
    struct curl_slist *list = NULL;
    afz_buf line;
    afz_buf_init(&line, 0);
    afz_rc rc = AFZ_OK;
    for (size_t i = 0; rc == AFZ_OK && i < req->headers.n; i++) {
        const afz_header *h = &req->headers.v[i];
        if (!h->name[0] || has_crlf(h->name) || has_crlf(h->value) || strchr(h->name, ':')) {
            rc = AFZ_EINVAL;
            break;
        }
        afz_buf_reset(&line);
        /* "Name;" is libcurl's way to send a header with an empty value */
        rc = h->value[0] ? afz_buf_printf(&line, "%s: %s", h->name, h->value)
                         : afz_buf_printf(&line, "%s;", h->name);
        struct curl_slist *l = rc == AFZ_OK ? curl_slist_append(list, afz_buf_cstr(&line)) : NULL;
        if (rc == AFZ_OK && !l)
            rc = AFZ_ENOMEM;
        if (l)
            list = l;
    }
    static const char *const defaults[] = {"Accept", "Expect", "Content-Type"};
    for (size_t i = 0; rc == AFZ_OK && i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        if (afz_headers_get(&req->headers, defaults[i]))
            continue;
        afz_buf_reset(&line);
        rc = afz_buf_printf(&line, "%s:", defaults[i]);
        struct curl_slist *l = rc == AFZ_OK ? curl_slist_append(list, afz_buf_cstr(&line)) : NULL;
        if (rc == AFZ_OK && !l)
            rc = AFZ_ENOMEM;
        if (l)
            list = l;
    }
    afz_buf_cleanup(&line);
    if (rc != AFZ_OK) {
        curl_slist_free_all(list);
        list = NULL;
    }
    *out = list;
    return rc;
}

static afz_rc curl_http(void *ctx, const afz_request *req, afz_response *resp)
{
    afz_curl_env *e = ctx;
    CURL *c = e->curl;
    afz_response_init(resp);
    rx x;
    memset(&x, 0, sizeof(x));
    afz_buf_init(&x.body, AFZ_CURL_MAX_BODY);
    struct curl_slist *hl = NULL;
    afz_rc rc = header_list(req, &hl);
    if (rc != AFZ_OK)
        goto out;

    /* reset drops the previous request's options but keeps the
     * connection cache, so connections are reused */
    curl_easy_reset(c);
    CURLcode cc = CURLE_OK;
    const char *body = req->body ? (const char *)req->body : "";
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (cc == CURLE_OK)                                                                        \
            cc = curl_easy_setopt(c, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_URL, req->url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    SET(CURLOPT_TIMEOUT_MS, TOTAL_TIMEOUT_MS);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, &x);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, &x);
    SET(CURLOPT_HTTPHEADER, hl);
    SET(CURLOPT_VERBOSE, e->verbose >= 2 ? 1L : 0L);
    if (e->ca_bundle) {
        SET(CURLOPT_CAINFO, e->ca_bundle);
        SET(CURLOPT_CAPATH, (char *)NULL);
    }
    if (strcmp(req->method, "GET") == 0) {
        SET(CURLOPT_HTTPGET, 1L);
    } else if (strcmp(req->method, "HEAD") == 0) {
        SET(CURLOPT_NOBODY, 1L);
    } else {
        if (strcmp(req->method, "POST") != 0)
            SET(CURLOPT_CUSTOMREQUEST, req->method);
        SET(CURLOPT_POST, 1L);
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        SET(CURLOPT_POSTFIELDS, body);
        /* A signed request goes on a fresh connection: on a reused one
         * that the server closes before answering, libcurl silently sends
         * the same bytes again, and the replayed JWS (same nonce) earns
         * badNonce from any RFC 8555 6.5 server; the client never learns
         * its first request may have been processed (measured on
         * corpus/suite/quick/drop-connection-finalize: a second finalize).
         * On a fresh connection a drop is a transport error the client
         * handles itself. GET and HEAD still reuse connections. */
        SET(CURLOPT_FRESH_CONNECT, 1L);
    }
#undef SET
    if (cc != CURLE_OK) {
        if (e->verbose)
            fprintf(stderr, "acmefuzz: curl: %s\n", curl_easy_strerror(cc));
        rc = AFZ_EINVAL;
        goto out;
    }
    if (e->verbose)
        fprintf(stderr, "acmefuzz: > %s %s\n", req->method, req->url);
    cc = curl_easy_perform(c);
    if (cc != CURLE_OK || x.oom || x.too_big || x.too_many) {
        const char *why = x.oom        ? "out of memory"
                          : x.too_big  ? "body larger than 1 MiB"
                          : x.too_many ? "too many header lines"
                                       : curl_easy_strerror(cc);
        if (e->verbose)
            fprintf(stderr, "acmefuzz: < no response: %s\n", why);
        rc = x.oom ? AFZ_ENOMEM : AFZ_ETRANSPORT;
        goto out;
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    resp->status = (int)status;
    resp->headers = x.headers;
    memset(&x.headers, 0, sizeof(x.headers));
    if (x.body.len > 0) {
        size_t n = 0;
        char *p = afz_buf_take(&x.body, &n);
        if (!p) {
            rc = AFZ_ENOMEM;
            goto out;
        }
        afz_response_take_body(resp, p, n);
    }
    if (e->verbose)
        fprintf(stderr, "acmefuzz: < %d (%zu bytes)\n", resp->status, resp->body_len);
out:
    if (rc != AFZ_OK)
        afz_response_cleanup(resp);
    curl_slist_free_all(hl);
    afz_headers_cleanup(&x.headers);
    afz_buf_cleanup(&x.body);
    return rc;
}

static afz_rc real_sleep(void *ctx, int64_t ms)
{
    (void)ctx;
    if (ms < 0)
        return AFZ_EINVAL;
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
        if (errno != EINTR)
            return AFZ_EIO;
    }
    return AFZ_OK;
}

static int64_t real_now(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t real_random(void *ctx)
{
    (void)ctx;
    uint64_t v = 0;
    if (RAND_bytes((unsigned char *)&v, (int)sizeof(v)) != 1)
        v = (uint64_t)real_now(NULL); /* jitter only: any value will do */
    return v;
}

static void stderr_log(void *ctx, const char *line)
{
    afz_curl_env *e = ctx;
    if (e->verbose)
        fprintf(stderr, "acmefuzz: %s\n", line);
}

afz_rc afz_curl_env_init(afz_curl_env *e, const char *ca_bundle, int verbose)
{
    memset(e, 0, sizeof(*e));
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return AFZ_EIO;
    e->curl = curl_easy_init();
    if (!e->curl) {
        curl_global_cleanup();
        return AFZ_EIO;
    }
    if (ca_bundle && !(e->ca_bundle = afz_strdup(ca_bundle))) {
        curl_easy_cleanup(e->curl);
        curl_global_cleanup();
        memset(e, 0, sizeof(*e));
        return AFZ_ENOMEM;
    }
    e->verbose = verbose;
    e->env.abi_version = AFZ_CLIENT_ABI_VERSION;
    e->env.struct_size = sizeof(afz_env);
    e->env.ctx = e;
    e->env.http = curl_http;
    e->env.sleep = real_sleep;
    e->env.now = real_now;
    e->env.random = real_random;
    e->env.log = stderr_log;
    return AFZ_OK;
}

void afz_curl_env_cleanup(afz_curl_env *e)
{
    if (e->curl) {
        curl_easy_cleanup(e->curl);
        curl_global_cleanup();
    }
    free(e->ca_bundle);
    memset(e, 0, sizeof(*e));
}
