/* afz_serve.c - see afz_serve.h. Listeners, the event loop, the ACME
 * request path (evhttp request -> afz_request -> model -> evhttp reply)
 * and the per-run state. */
#include "afz_serve.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <openssl/rand.h>

#include "afz_acme.h"
#include "afz_json.h"
#include "afz_serve_internal.h"

void afz_serve_config_default(afz_serve_config *c)
{
    memset(c, 0, sizeof(*c));
    afz_server_config_default(&c->server);
    c->max_body = 256 * 1024;
    c->max_headers = 16 * 1024;
    c->max_connections = 256;
    c->timeout_s = 20;
    c->max_exchanges = 20000;
    c->max_history_bytes = (size_t)256 << 20;
    c->http01_port = 5002;
    c->tlsalpn01_port = 5001;
    c->validation_timeout_s = 10;
    c->max_stall_s = 60;
}

afz_rc afz_serve_parse_validate(const char *list, unsigned *bits)
{
    if (!list)
        return AFZ_EINVAL;
    if (strcmp(list, "all") == 0) {
        *bits = AFZ_SERVE_VALIDATE_HTTP01 | AFZ_SERVE_VALIDATE_TLSALPN01;
        return AFZ_OK;
    }
    if (strcmp(list, "none") == 0) {
        *bits = 0;
        return AFZ_OK;
    }
    unsigned b = 0;
    const char *p = list;
    for (;;) {
        size_t n = strcspn(p, ",");
        if (n == 7 && strncmp(p, "http-01", 7) == 0)
            b |= AFZ_SERVE_VALIDATE_HTTP01;
        else if (n == 11 && strncmp(p, "tls-alpn-01", 11) == 0)
            b |= AFZ_SERVE_VALIDATE_TLSALPN01;
        else
            return AFZ_EINVAL;
        if (!p[n])
            break;
        p += n + 1;
    }
    *bits = b;
    return AFZ_OK;
}

void afz_serve_prop_limits(afz_prop_limits *l)
{
    afz_prop_limits_default(l);
    l->retry_after_tolerance_ms = 250;
    l->min_poll_interval_ms = 400;
}

/* ---- real time ---- */

static int64_t real_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t real_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void afz_serve_sync_clock(afz_serve *s)
{
    int64_t now =
        (real_mono_ms() - s->start_real_ms) * (int64_t)(s->time_scale ? s->time_scale : 1);
    int64_t cur = afz_clock_mono_ms(&s->clock);
    if (now > cur)
        afz_clock_advance(&s->clock, now - cur);
}

void afz_serve_set_time_scale(afz_serve *s, unsigned scale)
{
    s->time_scale = scale ? scale : 1;
}

int64_t afz_serve_now_ms(afz_serve *s)
{
    afz_serve_sync_clock(s);
    return afz_clock_mono_ms(&s->clock);
}

/* ---- connection accounting ----
 * evhttp in libevent 2.1 has no connection cap. Every connection gets its
 * SSL object from bev_cb, so the SSL objects alive are the connections
 * alive: an ex_data slot whose free callback fires in SSL_free counts
 * them down and frees the connection's record.
 *
 * A slow client must not lock others out (issue 15): evhttp's timeout
 * restarts on every byte, so each connection also gets a total deadline
 * (cfg.timeout_s) for its next request, counted from accept and then from
 * the start of each request, that no byte restarts. At the cap a new
 * connection evicts the least recently active one (first one that never
 * completed a request) instead of being refused. Closing is a shutdown()
 * of the socket: evhttp then sees the end of the stream and frees the
 * connection on its ordinary path. */

struct afz_serve_conn {
    afz_serve *s;
    SSL *ssl;               /* the connection's (owner of this record) */
    struct event *deadline; /* owned; NULL once the loop is torn down */
    uint64_t requests;      /* requests started on it */
    int listed;             /* in s->conn_head list */
    int evicted;            /* shut down by us, not yet freed */
    afz_serve_conn *prev, *next;
};

static int conn_index = -1;

static void conn_unlink(afz_serve_conn *c)
{
    if (!c->listed)
        return;
    afz_serve *s = c->s;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conn_head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        s->conn_tail = c->prev;
    c->prev = c->next = NULL;
    c->listed = 0;
}

static void conn_append(afz_serve_conn *c)
{
    afz_serve *s = c->s;
    conn_unlink(c);
    c->prev = s->conn_tail;
    c->next = NULL;
    if (s->conn_tail)
        s->conn_tail->next = c;
    else
        s->conn_head = c;
    s->conn_tail = c;
    c->listed = 1;
}

static void conn_gone(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    afz_serve_conn *c = ptr;
    if (!c)
        return;
    afz_serve *s = c->s;
    if (s->connections)
        s->connections--;
    if (c->evicted && s->evicting)
        s->evicting--;
    conn_unlink(c);
    if (c->deadline)
        event_free(c->deadline);
    free(c);
}

/* conn_close shuts |c|'s socket down; evhttp frees it soon after. */
static int conn_close(afz_serve_conn *c)
{
    int fd = SSL_get_fd(c->ssl);
    if (fd < 0 || c->evicted)
        return -1;
    shutdown(fd, SHUT_RDWR);
    c->evicted = 1;
    c->s->evicting++;
    conn_unlink(c);
    if (c->deadline)
        evtimer_del(c->deadline);
    return 0;
}

static void conn_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    afz_serve_conn *c = arg;
    if (conn_close(c) == 0)
        c->s->deadline_closed++;
}

static void conn_arm(afz_serve_conn *c)
{
    int t = c->s->cfg.timeout_s > 0 ? c->s->cfg.timeout_s : 20;
    struct timeval tv = {(time_t)t, 0};
    if (c->deadline)
        evtimer_add(c->deadline, &tv);
}

/* evict_one closes the least recently active connection, preferring one
 * that never started a request (the first 64 looked at). 0 when one went. */
static int evict_one(afz_serve *s)
{
    afz_serve_conn *pick = NULL;
    int looked = 0;
    for (afz_serve_conn *c = s->conn_head; c && looked < 64; c = c->next, looked++) {
        if (c->requests == 0 && SSL_get_fd(c->ssl) >= 0) {
            pick = c;
            break;
        }
    }
    for (afz_serve_conn *c = s->conn_head; !pick && c; c = c->next)
        if (SSL_get_fd(c->ssl) >= 0)
            pick = c;
    if (!pick || conn_close(pick) != 0)
        return -1;
    s->evicted++;
    return 0;
}

static afz_serve_conn *conn_of(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = req ? evhttp_request_get_connection(req) : NULL;
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
    return ssl ? SSL_get_ex_data(ssl, conn_index) : NULL;
}

void afz_serve_conn_request(struct evhttp_request *req)
{
    afz_serve_conn *c = conn_of(req);
    if (!c || c->evicted)
        return;
    c->requests++;
    conn_append(c);
    conn_arm(c);
}

/* conn_hold: |req| is held on purpose (the timeout fault); its connection
 * is neither evicted nor cut at the deadline meanwhile. */
static void conn_hold(struct evhttp_request *req)
{
    afz_serve_conn *c = conn_of(req);
    if (!c)
        return;
    conn_unlink(c);
    if (c->deadline)
        evtimer_del(c->deadline);
}

static struct bufferevent *bev_cb(struct event_base *base, void *arg)
{
    afz_serve *s = arg;
    unsigned live = s->connections - s->evicting;
    if (live >= s->cfg.max_connections && evict_one(s) == 0)
        live--;
    /* Over the cap with nothing to evict, the connection gets a context
     * without a certificate: the handshake fails at once and evhttp
     * closes it. */
    SSL_CTX *ctx = live >= s->cfg.max_connections ? s->tls.refuse : s->tls.ctx;
    SSL *ssl = SSL_new(ctx);
    if (!ssl)
        return NULL;
    afz_serve_conn *c = calloc(1, sizeof(*c));
    if (c) {
        c->s = s;
        c->ssl = ssl;
        c->deadline = evtimer_new(base, conn_deadline, c);
        if (SSL_set_ex_data(ssl, conn_index, c) == 1) {
            s->connections++;
            conn_append(c);
            conn_arm(c);
        } else {
            if (c->deadline)
                event_free(c->deadline);
            free(c);
        }
    }
    return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                          BEV_OPT_CLOSE_ON_FREE);
}

/* conns_detach frees every connection's deadline before the loop goes
 * (the records themselves go with their SSL objects). */
static void conns_detach(afz_serve *s)
{
    for (afz_serve_conn *c = s->conn_head; c; c = c->next) {
        if (c->deadline)
            event_free(c->deadline);
        c->deadline = NULL;
    }
}

/* ---- accept back-off ----
 * At the fd limit accept() fails with EMFILE/ENFILE while the pending
 * connection stays queued: libevent would retry at once, forever (a busy
 * loop and a log line per try). Instead the listener pauses 100 ms, one
 * connection is evicted to free an fd, and one line is logged at most
 * every 10 s. */

static void accept_resume(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    afz_serve_accept *a = arg;
    evconnlistener_enable(a->listener);
}

/* The error callback gets evhttp's argument, not ours: the back-off state
 * of a listener is found in this registry (one entry per open listener,
 * in the loop's thread only). */
static afz_serve_accept *accept_registry[16];

static void accept_register(afz_serve_accept *a)
{
    for (size_t i = 0; i < sizeof(accept_registry) / sizeof(accept_registry[0]); i++) {
        if (!accept_registry[i]) {
            accept_registry[i] = a;
            return;
        }
    }
}

static void accept_unregister(afz_serve_accept *a)
{
    for (size_t i = 0; i < sizeof(accept_registry) / sizeof(accept_registry[0]); i++)
        if (accept_registry[i] == a)
            accept_registry[i] = NULL;
}

static void accept_error(struct evconnlistener *l, void *arg)
{
    (void)arg;
    afz_serve_accept *a = NULL;
    for (size_t i = 0; !a && i < sizeof(accept_registry) / sizeof(accept_registry[0]); i++)
        if (accept_registry[i] && accept_registry[i]->listener == l)
            a = accept_registry[i];
    if (!a)
        return; /* not registered (the registry was full): libevent goes on */
    afz_serve *s = a->s;
    int e = EVUTIL_SOCKET_ERROR();
    if (e != EMFILE && e != ENFILE && e != ENOBUFS && e != ENOMEM)
        return; /* ECONNABORTED and the like: the next accept goes on */
    s->accept_pauses++;
    evict_one(s);
    int64_t now = real_mono_ms();
    if (s->accept_logged_ms == 0 || now - s->accept_logged_ms >= 10000) {
        fprintf(stderr,
                "acmefuzz serve: cannot accept a connection: %s; pausing accepts 100 ms "
                "(%" PRIu64 " pauses so far; logged at most every 10 s)\n",
                strerror(e), s->accept_pauses);
        s->accept_logged_ms = now;
    }
    struct timeval tv = {0, 100 * 1000};
    if (a->resume && evtimer_add(a->resume, &tv) == 0)
        evconnlistener_disable(l);
}

/* ---- replies ---- */

const char *afz_serve_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    default:
        return status < 400 ? "OK" : "Error";
    }
}

void afz_serve_reply(struct evhttp_request *req, int status, const char *ctype, const void *body,
                     size_t n)
{
    struct evbuffer *b = evbuffer_new();
    if (ctype)
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
    if (b && n)
        evbuffer_add(b, body, n);
    evhttp_send_reply(req, status, afz_serve_reason(status), b);
    evbuffer_free(b);
}

/* Headers evhttp writes itself; a model (or fault) value would clash. */
static int hop_by_hop(const char *name)
{
    return strcasecmp(name, "Content-Length") == 0 || strcasecmp(name, "Transfer-Encoding") == 0 ||
           strcasecmp(name, "Connection") == 0 || strcasecmp(name, "Date") == 0;
}

static void send_model_reply(struct evhttp_request *req, const afz_response *resp)
{
    struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
    for (size_t i = 0; i < resp->headers.n; i++) {
        const afz_header *h = &resp->headers.v[i];
        if (!hop_by_hop(h->name))
            evhttp_add_header(oh, h->name, h->value); /* refuses CR/LF: skipped */
    }
    struct evbuffer *b = evbuffer_new();
    if (b && resp->body_len)
        evbuffer_add(b, resp->body, resp->body_len);
    evhttp_send_reply(req, resp->status, afz_serve_reason(resp->status), b);
    evbuffer_free(b);
}

/* drop_connection: the model (a fault) lost the response. Shutting the
 * socket down first means the client sees the connection end with no
 * byte of an answer; the reply that follows fails to write, and evhttp
 * frees the connection on its ordinary error path. */
static void drop_connection(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    if (fd >= 0)
        shutdown(fd, SHUT_RDWR);
    evhttp_send_reply(req, 500, "Dropped", NULL);
}

/* ---- held requests (the timeout fault) ---- */

struct afz_serve_stall {
    afz_serve *s;
    struct evhttp_request *req;
    struct event *timer;
    struct afz_serve_stall *next;
};

static void stall_release(afz_serve_stall *st)
{
    for (afz_serve_stall **p = &st->s->stalls; *p; p = &(*p)->next) {
        if (*p == st) {
            *p = st->next;
            break;
        }
    }
    /* The client may have gone meanwhile: evhttp then detached the
     * request from its connection, and replying frees it. */
    drop_connection(st->req);
    event_free(st->timer);
    free(st);
}

static void stall_over(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    stall_release(arg);
}

/* stall holds |req| unanswered for |ms| (capped by max_stall_s), then
 * drops its connection. Returns -1 when it cannot (drop at once). */
static int stall(afz_serve *s, struct evhttp_request *req, int64_t ms)
{
    int64_t cap = (int64_t)(s->cfg.max_stall_s > 0 ? s->cfg.max_stall_s : 0) * 1000;
    if (ms > cap)
        ms = cap;
    ms /= s->time_scale ? s->time_scale : 1; /* the run's clock runs faster */
    if (ms <= 0)
        return -1;
    afz_serve_stall *st = calloc(1, sizeof(*st));
    if (!st)
        return -1;
    st->s = s;
    st->req = req;
    st->timer = evtimer_new(s->base, stall_over, st);
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    if (!st->timer || evtimer_add(st->timer, &tv) != 0) {
        if (st->timer)
            event_free(st->timer);
        free(st);
        return -1;
    }
    st->next = s->stalls;
    s->stalls = st;
    conn_hold(req);
    return 0;
}

/* ---- the ACME path ---- */

static const char *method_name(enum evhttp_cmd_type t)
{
    switch (t) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_TRACE:
        return "TRACE";
    case EVHTTP_REQ_CONNECT:
        return "CONNECT";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    }
    return "GET";
}

/* request_path returns the origin-form path (+query) of a request target,
 * or NULL when it has none (e.g. "*"). Absolute-form targets
 * ("https://host/path") are reduced to their path. */
static const char *request_path(const char *uri)
{
    if (!uri)
        return NULL;
    if (uri[0] == '/')
        return uri;
    const char *p = strstr(uri, "://");
    if (!p)
        return NULL;
    p = strchr(p + 3, '/');
    return p ? p : "/";
}

static afz_rc build_request(afz_serve *s, struct evhttp_request *ereq, afz_request *req)
{
    const char *path = request_path(evhttp_request_get_uri(ereq));
    if (!path)
        return AFZ_EPARSE;
    /* Pebble's directory path, so a client set up for Pebble works. */
    if (strcmp(path, "/dir") == 0 || strncmp(path, "/dir?", 5) == 0)
        path = "/directory";
    afz_buf url;
    afz_buf_init(&url, 0);
    afz_rc rc = afz_buf_printf(&url, "%s%s", s->base_url, path);
    if (rc == AFZ_OK)
        rc = afz_request_init(req, method_name(evhttp_request_get_command(ereq)),
                              afz_buf_cstr(&url));
    afz_buf_cleanup(&url);
    if (rc != AFZ_OK)
        return rc;
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, evhttp_request_get_input_headers(ereq), next)
    {
        if ((rc = afz_headers_add(&req->headers, kv->key, kv->value)) != AFZ_OK)
            goto fail;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(ereq);
    size_t n = evbuffer_get_length(in);
    if (n) {
        const unsigned char *p = evbuffer_pullup(in, -1);
        if (!p) {
            rc = AFZ_ENOMEM;
            goto fail;
        }
        if ((rc = afz_request_set_body(req, p, n)) != AFZ_OK)
            goto fail;
    }
    return AFZ_OK;
fail:
    afz_request_cleanup(req);
    return rc;
}

/* PEBBLE_WFE_NONCEREJECT: a share of POSTs answered badNonce with a fresh
 * nonce before the model sees them (the model's nonce stays unused, as
 * when Pebble rejects a good nonce). Recorded as an injected fault. */
static int reject_hook(void *ctx, afz_resource kind, const afz_request *req, afz_response *resp)
{
    afz_serve *s = ctx;
    int acme_post = strcmp(req->method, "POST") == 0 && kind != AFZ_RES_UNKNOWN &&
                    kind != AFZ_RES_DIRECTORY && kind != AFZ_RES_NONCE;
    if (acme_post && s->cfg.nonce_reject_percent &&
        afz_prng_below(&s->reject_prng, 100) < s->cfg.nonce_reject_percent) {
        static const char detail_text[] =
            "JWS has an invalid anti-replay nonce (rejected at random: PEBBLE_WFE_NONCEREJECT)";
        /* Pebble checks the nonce before the random roll, so the nonce
         * of a refused request is spent as any server would spend it
         * (RFC 8555 6.5): resending the same bytes gets badNonce again. */
        afz_server_spend_nonce(s->server, req);
        resp->status = 400;
        afz_buf nonce, body;
        afz_buf_init(&nonce, 256);
        afz_buf_init(&body, 0);
        if (afz_problem_body(&body, 400, "badNonce", detail_text, sizeof(detail_text) - 1, NULL) !=
                AFZ_OK ||
            afz_headers_add(&resp->headers, "Content-Type", "application/problem+json") != AFZ_OK ||
            afz_server_fresh_nonce(s->server, &nonce) != AFZ_OK ||
            afz_headers_add(&resp->headers, "Replay-Nonce", afz_buf_cstr(&nonce)) != AFZ_OK ||
            afz_response_set_body(resp, body.data, body.len) != AFZ_OK)
            resp->status = 500;
        afz_buf_cleanup(&nonce);
        afz_buf_cleanup(&body);
        char detail[96];
        snprintf(detail, sizeof(detail), "bad_nonce (PEBBLE_WFE_NONCEREJECT=%u%%)",
                 s->cfg.nonce_reject_percent);
        afz_event_in event = {.kind = AFZ_EV_FAULT,
                              .mono_ms = afz_clock_mono_ms(&s->clock),
                              .url = req->url,
                              .detail = detail};
        afz_history_add_event(&s->history, &event);
        return 1;
    }
    return s->inner_hook ? s->inner_hook(s->inner_ctx, kind, req, resp) : 0;
}

static void log_exchange(afz_serve *s, const afz_request *req, const afz_response *resp,
                         afz_resource kind, int64_t mono)
{
    fprintf(stderr, "acmefuzz serve: #%zu %" PRId64 ".%03d %s %s -> %d (%s)\n",
            s->history.n_ex + s->dropped, mono / 1000, (int)(mono % 1000), req->method,
            afz_url_path(req->url), resp->status, afz_resource_name(kind));
}

/* afz_serve_http_refusal returns why a request is one Pebble (Go's
 * net/http) refuses, with the status it answers, or NULL. libevent has
 * already cut header values at a NUL byte, so only the other control
 * bytes are visible here. */
const char *afz_serve_http_refusal(struct evhttp_request *ereq, int *status)
{
    *status = 400;
    struct evkeyvalq *in = evhttp_request_get_input_headers(ereq);
    /* RFC 9112 3.2: "A server MUST respond with a 400 (Bad Request)
     * status code to any HTTP/1.1 request message that lacks a Host
     * header field". */
    if (ereq->major == 1 && ereq->minor >= 1 && !evhttp_find_header(in, "Host"))
        return "Bad Request: missing required Host header";
    const char *length = NULL, *coding = NULL;
    int codings = 0;
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, in, next)
    {
        for (const unsigned char *p = (const unsigned char *)kv->value; *p; p++)
            if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
                return "Bad Request: invalid header value (control byte)";
        if (strcasecmp(kv->key, "Content-Length") == 0) {
            if (length && strcmp(length, kv->value) != 0)
                return "Bad Request: conflicting Content-Length headers";
            length = kv->value;
        } else if (strcasecmp(kv->key, "Transfer-Encoding") == 0) {
            coding = kv->value;
            codings++;
        }
    }
    if (coding) {
        while (*coding == ' ' || *coding == '\t')
            coding++;
        size_t n = strlen(coding);
        while (n && (coding[n - 1] == ' ' || coding[n - 1] == '\t'))
            n--;
        if (codings > 1 || n != 7 || strncasecmp(coding, "chunked", 7) != 0) {
            *status = 501;
            return "Not Implemented: unsupported Transfer-Encoding (only \"chunked\")";
        }
        /* RFC 9112 6.3: both framings at once are a smuggling attempt. */
        if (length)
            return "Bad Request: both Transfer-Encoding and Content-Length";
    }
    return NULL;
}

/* refuse answers a request the transport refused and closes the
 * connection after the answer. */
static void refuse(struct evhttp_request *ereq, int status, const char *why)
{
    char body[160];
    int n = snprintf(body, sizeof(body), "%s\n", why);
    evhttp_add_header(evhttp_request_get_output_headers(ereq), "Connection", "close");
    afz_serve_reply(ereq, status, "text/plain; charset=utf-8", body,
                    n > 0 && (size_t)n < sizeof(body) ? (size_t)n : 0);
}

/* history_room says whether an exchange of |xb| bytes may be recorded
 * under max_history_bytes, forgetting the oldest finished runs first. */
static int history_room(afz_serve *s, size_t xb)
{
    size_t cap = s->cfg.max_history_bytes;
    if (s->history_bytes + xb > cap)
        return 0;
    afz_serve_log_trim_bytes(&s->log, cap - s->history_bytes - xb);
    return s->log.past_bytes + s->history_bytes + xb <= cap;
}

static void acme_cb(struct evhttp_request *ereq, void *arg)
{
    afz_serve *s = arg;
    afz_request req;
    afz_response resp;
    int refused_status;
    afz_serve_conn_request(ereq);
    const char *refused = afz_serve_http_refusal(ereq, &refused_status);
    if (refused) {
        refuse(ereq, refused_status, refused);
        return;
    }
    afz_response_init(&resp);
    afz_rc rc = build_request(s, ereq, &req);
    if (rc != AFZ_OK) {
        static const char msg[] = "acmefuzz: unusable request target\n";
        afz_serve_reply(ereq, rc == AFZ_EPARSE ? 400 : 500, "text/plain", msg, sizeof(msg) - 1);
        return;
    }
    afz_serve_sync_clock(s);
    int64_t mono = afz_clock_mono_ms(&s->clock), wall = afz_clock_wall_ms(&s->clock);
    afz_resource kind = AFZ_RES_UNKNOWN;
    rc = afz_server_handle(s->server, &req, &resp, &kind);
    if (rc != AFZ_OK) {
        static const char msg[] = "acmefuzz: out of memory\n";
        afz_serve_reply(ereq, 500, "text/plain", msg, sizeof(msg) - 1);
        goto out;
    }
    int delivered = resp.status != 0;
    size_t xb = afz_serve_exchange_bytes(&req, delivered ? &resp : NULL);
    if (s->history.n_ex < s->cfg.max_exchanges && history_room(s, xb) &&
        afz_history_add_exchange(&s->history, &req, delivered ? &resp : NULL, kind, mono, wall) ==
            AFZ_OK)
        s->history_bytes += xb;
    else
        s->dropped++;
    if (s->cfg.verbose)
        log_exchange(s, &req, &resp, kind, mono);
    if (delivered)
        send_model_reply(ereq, &resp);
    else if (stall(s, ereq, resp.stall_ms) != 0)
        drop_connection(ereq);
out:
    afz_request_cleanup(&req);
    afz_response_cleanup(&resp);
}

/* ---- runs ---- */

afz_rc afz_serve_reset(afz_serve *s, const afz_plan *plan)
{
    afz_serve_va_cancel_all(s);
    afz_server_free(s->server);
    s->server = NULL;
    afz_history_reset(&s->history);
    s->plan = plan;
    s->server_cfg = s->cfg.server;
    s->server_cfg.base_url = s->base_url;
    s->server_cfg.alt_cas = (const afz_ca *const *)s->alt_cas;
    s->server_cfg.n_alt_cas = s->n_alt_cas;
    if (plan)
        afz_fault_configure(plan, &s->server_cfg);
    afz_clock_init(&s->clock, real_wall_ms());
    s->start_real_ms = real_mono_ms();
    uint64_t seed = s->cfg.seed + s->runs;
    if (!s->cfg.seed && RAND_bytes((unsigned char *)&seed, sizeof(seed)) != 1)
        seed = (uint64_t)real_wall_ms() ^ (uint64_t)real_mono_ms() << 20;
    afz_prng_seed(&s->prng, seed);
    afz_prng_seed(&s->reject_prng, seed ^ UINT64_C(0x6e6f6e6365726a74));
    s->server = afz_server_new(&s->server_cfg, s->ca, &s->clock, &s->prng, &s->history);
    if (!s->server)
        return AFZ_ENOMEM;
    s->inner_hook = NULL;
    s->inner_ctx = NULL;
    if (plan) {
        afz_fault_engine_init(&s->engine, plan, s->server, &s->clock, &s->history);
        s->inner_hook = afz_server_get_request_hook(s->server, &s->inner_ctx);
    }
    if (s->cfg.nonce_reject_percent)
        afz_server_set_request_hook(s->server, reject_hook, s);
    if (s->cfg.validate)
        afz_server_set_validator(s->server, afz_serve_va_offer, s);
    s->dropped = 0;
    s->history_bytes = 0;
    s->runs++;
    return AFZ_OK;
}

/* ---- listeners ---- */

static struct evhttp *listen_on(afz_serve *s, uint16_t port,
                                void (*cb)(struct evhttp_request *, void *), afz_serve_accept *acc,
                                uint16_t *bound, char *err, size_t errlen)
{
    struct evhttp *h = evhttp_new(s->base);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    evhttp_set_max_body_size(h, (ev_ssize_t)s->cfg.max_body);
    evhttp_set_max_headers_size(h, (ev_ssize_t)s->cfg.max_headers);
    evhttp_set_timeout(h, s->cfg.timeout_s > 0 ? s->cfg.timeout_s : 20);
    evhttp_set_default_content_type(h, NULL);
    evhttp_set_allowed_methods(h, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                      EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                      EVHTTP_REQ_PATCH);
    evhttp_set_bevcb(h, bev_cb, s);
    evhttp_set_gencb(h, cb, s);
    errno = 0;
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(h, "127.0.0.1", port);
    if (!bs) {
        int e = errno;
        snprintf(err, errlen, "cannot listen on 127.0.0.1:%u: %s", (unsigned)port,
                 e ? strerror(e) : "bind or listen failed");
        evhttp_free(h);
        return NULL;
    }
    /* Answers go out whole at once: without TCP_NODELAY, Nagle's
     * algorithm against the client's delayed ACK held every response
     * ~40 ms (measured by bench/serve_vs_pebble.sh). Linux hands the
     * option down to accepted sockets. */
    int one = 1;
    setsockopt(evhttp_bound_socket_get_fd(bs), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &len) != 0) {
        snprintf(err, errlen, "cannot read the bound port");
        evhttp_free(h);
        return NULL;
    }
    *bound = ntohs(sa.sin_port);
    acc->s = s;
    acc->listener = evhttp_bound_socket_get_listener(bs);
    acc->resume = evtimer_new(s->base, accept_resume, acc);
    if (!acc->listener || !acc->resume) {
        snprintf(err, errlen, "out of memory");
        evhttp_free(h);
        return NULL;
    }
    accept_register(acc);
    evconnlistener_set_error_cb(acc->listener, accept_error);
    return h;
}

afz_rc afz_serve_open(const afz_serve_config *cfg, afz_serve **out, char *err, size_t errlen)
{
    char scratch[8];
    if (!errlen) {
        err = scratch;
        errlen = sizeof(scratch);
    }
    err[0] = '\0';
    *out = NULL;
    /* A peer that closes early must not kill the process with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    if (conn_index < 0)
        conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_gone);
    if (conn_index < 0) {
        snprintf(err, errlen, "OpenSSL has no ex_data slot");
        return AFZ_ECRYPTO;
    }
    afz_serve *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return AFZ_ENOMEM;
    }
    s->cfg = *cfg;
    afz_history_init(&s->history);
    afz_rc rc = AFZ_ENOMEM;
    int64_t now_s = real_wall_ms() / 1000;
    if ((rc = afz_serve_tls_init(&s->tls, cfg->tls_cert_file, cfg->tls_key_file, now_s, err,
                                 errlen)) != AFZ_OK)
        goto fail;
    rc = AFZ_ECRYPTO;
    unsigned chain = cfg->chain_length ? cfg->chain_length : 1;
    s->ca = afz_ca_new_chain("acmefuzz", now_s, chain);
    if (!s->ca) {
        snprintf(err, errlen, "cannot create the issuing CA");
        goto fail;
    }
    /* PEBBLE_ALTERNATE_ROOTS: each its own root and intermediate, so the
     * roots' names differ ("acmefuzz alternate N Root") */
    for (unsigned i = 0; i < cfg->alternate_roots && i < AFZ_SERVE_MAX_ALT_ROOTS; i++) {
        char label[48];
        snprintf(label, sizeof(label), "acmefuzz alternate %u", i + 1);
        if (!(s->alt_cas[i] = afz_ca_new_chain(label, now_s, chain))) {
            snprintf(err, errlen, "cannot create alternate CA %u", i + 1);
            goto fail;
        }
        s->n_alt_cas = i + 1;
    }
    afz_buf b;
    afz_buf_init(&b, 0);
    rc = afz_buf_puts(&b, s->tls.trust_pem);
    if (rc == AFZ_OK && b.len && b.data[b.len - 1] != '\n')
        rc = afz_buf_putc(&b, '\n');
    if (rc == AFZ_OK)
        rc = afz_buf_puts(&b, afz_ca_root_pem(s->ca));
    for (size_t i = 0; rc == AFZ_OK && i < s->n_alt_cas; i++)
        rc = afz_buf_puts(&b, afz_ca_root_pem(s->alt_cas[i]));
    s->bundle = rc == AFZ_OK ? afz_buf_take(&b, NULL) : NULL;
    afz_buf_cleanup(&b);
    if (!s->bundle) {
        snprintf(err, errlen, "out of memory");
        rc = AFZ_ENOMEM;
        goto fail;
    }
    rc = AFZ_EIO;
    s->base = event_base_new();
    if (!s->base) {
        snprintf(err, errlen, "cannot create the event loop");
        goto fail;
    }
    if (!(s->http = listen_on(s, cfg->port, acme_cb, &s->accept[0], &s->port, err, errlen)))
        goto fail;
    if (cfg->management && !(s->mgmt = listen_on(s, cfg->management_port, afz_serve_mgmt_cb,
                                                 &s->accept[1], &s->mgmt_port, err, errlen)))
        goto fail;
    snprintf(s->base_url, sizeof(s->base_url), "https://127.0.0.1:%u", (unsigned)s->port);
    snprintf(s->dir_url, sizeof(s->dir_url), "%s/directory", s->base_url);
    if ((rc = afz_serve_reset(s, cfg->plan)) != AFZ_OK) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    *out = s;
    return AFZ_OK;
fail:
    afz_serve_free(s);
    return rc;
}

void afz_serve_free(afz_serve *s)
{
    if (!s)
        return;
    /* Checks and held requests first (they hold connections), then the
     * connections (their SSL objects count down s->connections), then the
     * loop, whose teardown runs any deferred finalizers. */
    afz_serve_va_cancel_all(s);
    afz_serve_mgmt_cancel_jobs(s);
    while (s->stalls)
        stall_release(s->stalls);
    for (size_t i = 0; i < 2; i++) {
        accept_unregister(&s->accept[i]);
        if (s->accept[i].resume)
            event_free(s->accept[i].resume);
    }
    if (s->http)
        evhttp_free(s->http);
    if (s->mgmt)
        evhttp_free(s->mgmt);
    conns_detach(s);
    if (s->base)
        event_base_free(s->base);
    afz_server_free(s->server);
    afz_history_cleanup(&s->history);
    afz_serve_log_cleanup(&s->log);
    afz_ca_free(s->ca);
    for (size_t i = 0; i < s->n_alt_cas; i++)
        afz_ca_free(s->alt_cas[i]);
    afz_serve_tls_cleanup(&s->tls);
    SSL_CTX_free(s->va_tls);
    free(s->bundle);
    free(s);
}

/* ---- accessors ---- */

void afz_serve_conn_stats(const afz_serve *s, afz_serve_conn_counts *out)
{
    out->live = s->connections - s->evicting;
    out->evicted = s->evicted;
    out->deadline_closed = s->deadline_closed;
    out->accept_pauses = s->accept_pauses;
}

uint16_t afz_serve_port(const afz_serve *s)
{
    return s->port;
}

uint16_t afz_serve_management_port(const afz_serve *s)
{
    return s->mgmt ? s->mgmt_port : 0;
}

const char *afz_serve_directory_url(const afz_serve *s)
{
    return s->dir_url;
}

const char *afz_serve_ca_bundle_pem(const afz_serve *s)
{
    return s->bundle;
}

const afz_ca *afz_serve_ca(const afz_serve *s)
{
    return s->ca;
}

afz_rc afz_serve_write_ca_bundle(const afz_serve *s, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return AFZ_EIO;
    size_t n = strlen(s->bundle);
    int ok = fwrite(s->bundle, 1, n, f) == n;
    ok = fclose(f) == 0 && ok;
    if (ok)
        chmod(path, 0644);
    return ok ? AFZ_OK : AFZ_EIO;
}

void afz_serve_set_validation_ports(afz_serve *s, uint16_t http01, uint16_t tlsalpn01)
{
    if (http01)
        s->cfg.http01_port = http01;
    if (tlsalpn01)
        s->cfg.tlsalpn01_port = tlsalpn01;
}

const afz_history *afz_serve_history(const afz_serve *s)
{
    return &s->history;
}

afz_history *afz_serve_history_mut(afz_serve *s)
{
    return &s->history;
}

size_t afz_serve_dropped(const afz_serve *s)
{
    return s->dropped;
}

const afz_plan *afz_serve_plan(const afz_serve *s)
{
    return s->plan;
}

struct event_base *afz_serve_base(afz_serve *s)
{
    return s->base;
}

afz_rc afz_serve_run(afz_serve *s)
{
    return event_base_dispatch(s->base) < 0 ? AFZ_EIO : AFZ_OK;
}

void afz_serve_stop(afz_serve *s)
{
    event_base_loopbreak(s->base);
}

/* ---- verdict JSON ---- */

cJSON *afz_serve_verdict_tree(const afz_report *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *vs = root ? cJSON_AddArrayToObject(root, "verdicts") : NULL;
    if (!vs)
        goto fail;
    cJSON_AddNumberToObject(root, "violations", (double)r->violations);
    cJSON_AddNumberToObject(root, "warnings", (double)r->warnings);
    cJSON_AddNumberToObject(root, "waived", (double)r->waived);
    cJSON_AddNumberToObject(root, "inconclusive", (double)r->inconclusive);
    cJSON_AddNumberToObject(
        root, "hold", (double)(r->n - r->violations - r->warnings - r->waived - r->inconclusive));
    afz_buf pol;
    afz_buf_init(&pol, 0);
    int pol_ok = afz_policy_print(&r->policy, &pol) == AFZ_OK &&
                 cJSON_AddStringToObject(root, "policy", afz_buf_cstr(&pol));
    afz_buf_cleanup(&pol);
    if (!pol_ok)
        goto fail;
    for (size_t i = 0; i < r->n; i++) {
        const afz_report_entry *e = &r->entries[i];
        cJSON *v = cJSON_CreateObject();
        if (!v)
            goto fail;
        cJSON_AddItemToArray(vs, v);
        if (!cJSON_AddStringToObject(v, "property", e->prop->id) ||
            !cJSON_AddStringToObject(v, "level", afz_level_name(e->prop->level)) ||
            !cJSON_AddStringToObject(v, "rfc", e->prop->rfc) ||
            !cJSON_AddStringToObject(v, "verdict", afz_verdict_name(e->result.verdict)) ||
            !cJSON_AddBoolToObject(v, "waived", e->waived) ||
            !cJSON_AddBoolToObject(v, "fails", e->fails) ||
            !(e->result.exchange != SIZE_MAX
                  ? cJSON_AddNumberToObject(v, "exchange", (double)e->result.exchange + 1)
                  : cJSON_AddNullToObject(v, "exchange")) ||
            !cJSON_AddStringToObject(v, "message", e->result.message))
            goto fail;
    }
    return root;
fail:
    cJSON_Delete(root);
    return NULL;
}
