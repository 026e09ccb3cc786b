/* afz_webroot.c - see afz_webroot.h. */
#include "afz_webroot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "afz_buf.h"

#define WEBROOT_PREFIX "/.well-known/acme-challenge/"
#define WEBROOT_MAX_FILE 4096

struct afz_webroot {
    struct evhttp *http;
    char *dir;
    size_t served;
};

static int token_ok(const char *t)
{
    size_t n = 0;
    for (; t[n]; n++) {
        char c = t[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
    }
    return n > 0 && n <= 256;
}

static void reply(struct evhttp_request *req, int code, const char *reason, const void *p, size_t n)
{
    struct evbuffer *b = evbuffer_new();
    if (b && n)
        evbuffer_add(b, p, n);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
    evhttp_send_reply(req, code, reason, b);
    if (b)
        evbuffer_free(b);
}

static void webroot_cb(struct evhttp_request *req, void *arg)
{
    afz_webroot *w = arg;
    const char *uri = evhttp_request_get_uri(req);
    size_t pl = strlen(WEBROOT_PREFIX);
    if (!uri || strncmp(uri, WEBROOT_PREFIX, pl) != 0 || !token_ok(uri + pl)) {
        reply(req, 404, "Not Found", "not found\n", 10);
        return;
    }
    afz_buf path, body;
    afz_buf_init(&path, 0);
    afz_buf_init(&body, WEBROOT_MAX_FILE);
    if (afz_buf_printf(&path, "%s%s", w->dir, uri) == AFZ_OK &&
        afz_buf_read_file(&body, afz_buf_cstr(&path)) == AFZ_OK) {
        w->served++;
        reply(req, 200, "OK", body.data, body.len);
    } else {
        reply(req, 404, "Not Found", "not found\n", 10);
    }
    afz_buf_cleanup(&path);
    afz_buf_cleanup(&body);
}

afz_rc afz_webroot_open(struct event_base *base, const char *dir, uint16_t port, afz_webroot **out,
                        char *err, size_t errlen)
{
    *out = NULL;
    afz_webroot *w = calloc(1, sizeof(*w));
    if (!w || !(w->dir = afz_strdup(dir)) || !(w->http = evhttp_new(base))) {
        snprintf(err, errlen, "out of memory");
        afz_webroot_free(w);
        return AFZ_ENOMEM;
    }
    evhttp_set_max_body_size(w->http, 4096);
    evhttp_set_max_headers_size(w->http, 16 * 1024);
    evhttp_set_timeout(w->http, 10);
    /* evhttp answers any other method 405 itself */
    evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_gencb(w->http, webroot_cb, w);
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(w->http, "127.0.0.1", port);
    if (bs) {
        int one = 1; /* no Nagle delay on answers (see afz_serve.c) */
        setsockopt(evhttp_bound_socket_get_fd(bs), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (!bs) {
        snprintf(err, errlen, "cannot listen on 127.0.0.1:%u", (unsigned)port);
        afz_webroot_free(w);
        return AFZ_EIO;
    }
    *out = w;
    return AFZ_OK;
}

size_t afz_webroot_served(const afz_webroot *w)
{
    return w ? w->served : 0;
}

void afz_webroot_free(afz_webroot *w)
{
    if (!w)
        return;
    if (w->http)
        evhttp_free(w->http);
    free(w->dir);
    free(w);
}
