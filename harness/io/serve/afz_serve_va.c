/* afz_serve_va.c - server mode's validation authority: http-01 (RFC 8555
 * 8.3) and tls-alpn-01 (RFC 8737) checked for real against 127.0.0.1.
 *
 * The model offers every started challenge to afz_serve_va_offer. For the
 * types the configuration names, a check starts at once in the serve
 * event loop, without blocking it:
 *   http-01      evhttp client: GET /.well-known/acme-challenge/<token> on
 *                127.0.0.1:http01_port with Host: <identifier>[:port]; the
 *                body, trailing whitespace ignored (RFC 8555 8.3), must be
 *                the key authorization. Redirects (301, 302, 303, 307,
 *                308) are followed, as RFC 8555 8.3 says the server SHOULD
 *                ("The server SHOULD follow redirects when dereferencing
 *                the URL") and Pebble does: at most VA_MAX_REDIRECTS, to
 *                http or https (TLS not verified, as a CA's VA does not
 *                verify it for http-01), any name still meaning 127.0.0.1;
 *                port 80 (or none) maps to http01_port and 443 (or none,
 *                for https) to tlsalpn01_port, other ports are used as
 *                given. The result's detail names the redirects taken.
 *   tls-alpn-01  TLS (1.2 or later) to 127.0.0.1:tlsalpn01_port with SNI
 *                <identifier> and ALPN "acme-tls/1" only; the peer must
 *                select acme-tls/1 and present a certificate with exactly
 *                one subjectAltName, dNSName <identifier>, and a critical
 *                id-pe-acmeIdentifier extension holding the SHA-256 of the
 *                key authorization (RFC 8737 3). The chain is not verified.
 * dns-01 is never taken: the model accepts it (nothing on loopback can
 * answer for a client's DNS). Every check has one deadline
 * (validation_timeout_s); its result goes to afz_server_validation_result
 * and is recorded as a "validation" event. A reset or afz_serve_free
 * cancels the checks still running. All names resolve to 127.0.0.1: no
 * traffic leaves loopback. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "afz_serve_internal.h"

#define VA_MAX_BODY 4096    /* a key authorization is ~87 bytes */
#define VA_MAX_REDIRECTS 10 /* as Boulder and Pebble (Go's http.Client) */

struct afz_serve_check {
    afz_serve *s;
    char authz_id[32];
    size_t index;
    int tls;              /* 0: http-01, 1: tls-alpn-01 */
    int start_failed;     /* the transport could not be set up */
    const char *http_err; /* evhttp's reason for a failed fetch */
    int have_result;      /* http-01 fetched: deliver from the loop */
    int result_ok;
    const char *result_type;
    char result_detail[320];
    char *identifier, *token, *key_auth, *chall_url;
    struct evhttp_connection *conn; /* http-01 */
    int redirects;                  /* http-01: redirects followed so far */
    int next_https;                 /* the next hop: scheme, port, host, path */
    unsigned next_port;
    char next_host[300], next_path[1024];
    char hops[160];          /* "-> url" of the hops, for the detail */
    struct event *hop;       /* http-01: starts the next hop from the loop */
    struct bufferevent *bev; /* tls-alpn-01 */
    struct event *deadline;
    struct afz_serve_check *next;
};

/* ---- bookkeeping ---- */

static void check_unlink(afz_serve_check *c)
{
    for (afz_serve_check **p = &c->s->checks; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            return;
        }
    }
}

/* check_free releases |c| and whatever transport it still holds (a
 * request still queued on the connection is freed with it, without its
 * callback). */
static void check_free(afz_serve_check *c)
{
    if (c->deadline)
        event_free(c->deadline);
    if (c->hop)
        event_free(c->hop);
    if (c->conn)
        evhttp_connection_free(c->conn);
    if (c->bev)
        bufferevent_free(c->bev);
    free(c->identifier);
    free(c->token);
    free(c->key_auth);
    free(c->chall_url);
    free(c);
}

/* finish delivers the outcome to the current run and frees |c| (a reset
 * cancels every check, so a check always belongs to the current run). */
static void finish(afz_serve_check *c, int ok, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void finish(afz_serve_check *c, int ok, const char *type, const char *fmt, ...)
{
    afz_serve *s = c->s;
    char detail[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    check_unlink(c);
    if (s->server) {
        afz_serve_sync_clock(s);
        afz_event_in event = {.kind = AFZ_EV_VALIDATION,
                              .mono_ms = afz_clock_mono_ms(&s->clock),
                              .url = c->chall_url,
                              .identifiers = c->identifier,
                              .detail = detail,
                              .value = ok};
        afz_history_add_event(&s->history, &event);
        afz_server_validation_result(s->server, c->authz_id, c->index, ok, type, detail);
        if (s->cfg.verbose)
            fprintf(stderr, "acmefuzz serve: validation %s %s: %s\n",
                    c->tls ? "tls-alpn-01" : "http-01", ok ? "passed" : "failed", detail);
    }
    check_free(c);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    afz_serve_check *c = arg;
    if (c->have_result) {
        finish(c, c->result_ok, c->result_type, "%s", c->result_detail);
        return;
    }
    if (c->start_failed) {
        finish(c, 0, "connection", "%s: the check could not be started (out of memory or sockets)",
               c->tls ? "tls-alpn-01" : "http-01");
        return;
    }
    finish(c, 0, "connection", "%s: no answer from 127.0.0.1:%u within %d s",
           c->tls ? "tls-alpn-01" : "http-01",
           (unsigned)(c->tls ? c->s->cfg.tlsalpn01_port : c->s->cfg.http01_port),
           c->s->cfg.validation_timeout_s);
}

/* ---- http-01 ---- */

static void http_error(enum evhttp_request_error e, void *arg)
{
    afz_serve_check *c = arg;
    switch (e) {
    case EVREQ_HTTP_TIMEOUT:
        c->http_err = "timed out";
        break;
    case EVREQ_HTTP_EOF:
        c->http_err = "connection refused or closed";
        break;
    case EVREQ_HTTP_INVALID_HEADER:
        c->http_err = "malformed HTTP response";
        break;
    case EVREQ_HTTP_BUFFER_ERROR:
        c->http_err = "read or write error";
        break;
    case EVREQ_HTTP_REQUEST_CANCEL:
        c->http_err = "cancelled";
        break;
    case EVREQ_HTTP_DATA_TOO_LONG:
        c->http_err = "response over the size limit";
        break;
    default:
        c->http_err = "failed";
        break;
    }
}

/* http_result keeps the fetch's outcome and has the loop deliver it
 * (on_deadline, activated now): the connection cannot be freed inside
 * its own request callback, and on a refused connect evhttp would not
 * free it either. */
static void http_result(afz_serve_check *c, int ok, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void http_result(afz_serve_check *c, int ok, const char *type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->result_detail, sizeof(c->result_detail), fmt, ap);
    va_end(ap);
    c->result_ok = ok;
    c->result_type = type;
    c->have_result = 1;
    event_active(c->deadline, EV_TIMEOUT, 0);
}

/* cur_url writes the URL being fetched, for details. */
static const char *cur_url(const afz_serve_check *c, char *buf, size_t n)
{
    if (snprintf(buf, n, "%s://%s%s", c->next_https ? "https" : "http", c->next_host,
                 c->next_path) >= (int)n &&
        n > 4)
        memcpy(buf + n - 4, "...", 4); /* too long for a detail: cut, said so */
    return buf;
}

/* follow_redirect reads the Location of a redirect answer and sets up the
 * next hop (see the header). 0: set; -1: |why| says why it cannot be
 * followed. */
static int follow_redirect(afz_serve_check *c, const char *loc, char *why, size_t whylen)
{
    afz_serve *s = c->s;
    if (!loc || !*loc) {
        snprintf(why, whylen, "a redirect without Location");
        return -1;
    }
    if (c->redirects >= VA_MAX_REDIRECTS) {
        snprintf(why, whylen, "more than %d redirects", VA_MAX_REDIRECTS);
        return -1;
    }
    struct evhttp_uri *u = evhttp_uri_parse(loc);
    if (!u) {
        snprintf(why, whylen, "an unreadable redirect Location \"%.80s\"", loc);
        return -1;
    }
    const char *scheme = evhttp_uri_get_scheme(u), *host = evhttp_uri_get_host(u);
    const char *path = evhttp_uri_get_path(u), *query = evhttp_uri_get_query(u);
    int rc = -1;
    char newpath[sizeof(c->next_path)];
    if (!path || !*path)
        path = "/";
    if (path[0] != '/') {
        /* a relative path: against the current one's directory */
        const char *slash = strrchr(c->next_path, '/');
        int dir = slash ? (int)(slash - c->next_path) + 1 : 1;
        snprintf(newpath, sizeof(newpath), "%.*s%s", dir, slash ? c->next_path : "/", path);
    } else {
        snprintf(newpath, sizeof(newpath), "%s", path);
    }
    if (query && strlen(newpath) + strlen(query) + 2 < sizeof(newpath)) {
        strcat(newpath, "?");
        strcat(newpath, query);
    }
    if (scheme && strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0) {
        snprintf(why, whylen, "a redirect to the scheme \"%.20s\" (only http and https)", scheme);
        goto out;
    }
    if (scheme) {
        if (!host || !*host) {
            snprintf(why, whylen, "a redirect to \"%.80s\" without a host", loc);
            goto out;
        }
        int https = strcasecmp(scheme, "https") == 0;
        int port = evhttp_uri_get_port(u);
        if (port == 0 || port > 65535) {
            snprintf(why, whylen, "a redirect to port %d", port);
            goto out;
        }
        unsigned to = port < 0 ? (https ? 443u : 80u) : (unsigned)port;
        /* every name is 127.0.0.1; the default ports are the configured ones */
        c->next_port = to == 80 ? s->cfg.http01_port : to == 443 ? s->cfg.tlsalpn01_port : to;
        c->next_https = https;
        if (port < 0)
            snprintf(c->next_host, sizeof(c->next_host), "%s", host);
        else
            snprintf(c->next_host, sizeof(c->next_host), "%s:%d", host, port);
    }
    snprintf(c->next_path, sizeof(c->next_path), "%s", newpath);
    c->redirects++;
    size_t used = strlen(c->hops);
    char u8[400];
    if (used + 8 < sizeof(c->hops) &&
        snprintf(c->hops + used, sizeof(c->hops) - used, " -> %s", cur_url(c, u8, sizeof(u8))) >=
            (int)(sizeof(c->hops) - used))
        memcpy(c->hops + sizeof(c->hops) - 4, "...", 4);
    rc = 0;
out:
    evhttp_uri_free(u);
    return rc;
}

static void http_done(struct evhttp_request *req, void *arg)
{
    afz_serve_check *c = arg;
    char url[1400], why[200];
    cur_url(c, url, sizeof(url));
    int code = req ? evhttp_request_get_response_code(req) : 0;
    if (!req || code == 0) {
        http_result(c, 0, "connection", "http-01: cannot fetch %s%s: %s", url, c->hops,
                    c->http_err ? c->http_err : "connection refused or closed before an answer");
        return;
    }
    if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) {
        const char *loc = evhttp_find_header(evhttp_request_get_input_headers(req), "Location");
        if (follow_redirect(c, loc, why, sizeof(why)) != 0) {
            http_result(c, 0, "unauthorized", "http-01: GET %s answered %d: %s", url, code, why);
            return;
        }
        /* the connection cannot be freed inside its own callback */
        event_active(c->hop, EV_TIMEOUT, 0);
        return;
    }
    if (code != 200) {
        http_result(c, 0, "unauthorized", "http-01: GET %s answered %d%s%s", url, code,
                    c->redirects ? " after redirects from the challenge URL:" : "", c->hops);
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    const char *body = n ? (const char *)evbuffer_pullup(in, -1) : "";
    if (!body) {
        http_result(c, 0, "connection", "http-01: out of memory reading the answer");
        return;
    }
    /* RFC 8555 8.3: the server SHOULD ignore whitespace at the end. */
    while (n && (body[n - 1] == ' ' || body[n - 1] == '\t' || body[n - 1] == '\r' ||
                 body[n - 1] == '\n'))
        n--;
    size_t want = strlen(c->key_auth);
    if (n == want && memcmp(body, c->key_auth, n) == 0) {
        if (c->redirects)
            http_result(c, 1, NULL,
                        "http-01: key authorization served at %s (after %d "
                        "redirect(s):%s)",
                        url, c->redirects, c->hops);
        else
            http_result(c, 1, NULL, "http-01: key authorization served at %s", url);
        return;
    }
    /* Quote the start of what was served, printable bytes only. */
    char seen[64];
    size_t k = 0;
    for (; k < n && k < sizeof(seen) - 1; k++)
        seen[k] = body[k] >= 0x20 && body[k] < 0x7f && body[k] != '"' ? body[k] : '?';
    seen[k] = '\0';
    http_result(c, 0, "unauthorized",
                "http-01: the file at %s is not the key authorization "
                "(%zu bytes: \"%s%s\")",
                url, n, seen, n > k ? "..." : "");
}

/* host_of copies the name part of a Host value (no port, no brackets). */
static void host_of(const char *host, char *out, size_t n)
{
    snprintf(out, n, "%s", host);
    char *colon = strrchr(out, ':');
    if (colon && !strchr(out, ']'))
        *colon = '\0';
}

/* fetch starts the GET of the current hop on a new connection. */
static int fetch(afz_serve_check *c)
{
    afz_serve *s = c->s;
    if (c->next_https) {
        if (!s->va_tls) {
            s->va_tls = SSL_CTX_new(TLS_client_method());
            if (!s->va_tls)
                return -1;
            SSL_CTX_set_min_proto_version(s->va_tls, TLS1_2_VERSION);
            SSL_CTX_set_verify(s->va_tls, SSL_VERIFY_NONE, NULL);
        }
        SSL *ssl = SSL_new(s->va_tls);
        if (!ssl)
            return -1;
        char name[300];
        host_of(c->next_host, name, sizeof(name));
        if (!SSL_set_tlsext_host_name(ssl, name)) {
            SSL_free(ssl);
            return -1;
        }
        /* On failure bufferevent_openssl_socket_new frees |ssl| itself. */
        struct bufferevent *bev = bufferevent_openssl_socket_new(
            s->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
        if (!bev)
            return -1;
        c->conn = evhttp_connection_base_bufferevent_new(s->base, NULL, bev, "127.0.0.1",
                                                         (unsigned short)c->next_port);
        if (!c->conn) {
            bufferevent_free(bev);
            return -1;
        }
    } else {
        c->conn =
            evhttp_connection_base_new(s->base, NULL, "127.0.0.1", (unsigned short)c->next_port);
    }
    if (!c->conn)
        return -1;
    evhttp_connection_set_timeout(c->conn, s->cfg.validation_timeout_s);
    evhttp_connection_set_retries(c->conn, 0);
    evhttp_connection_set_max_body_size(c->conn, VA_MAX_BODY);
    evhttp_connection_set_max_headers_size(c->conn, 16 * 1024);
    struct evhttp_request *req = evhttp_request_new(http_done, c);
    if (!req)
        return -1;
    evhttp_request_set_error_cb(req, http_error);
    c->http_err = NULL;
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    if (evhttp_add_header(h, "Host", c->next_host) ||
        evhttp_add_header(h, "User-Agent", "acmefuzz-va") ||
        evhttp_add_header(h, "Accept", "*/*")) {
        evhttp_request_free(req);
        return -1;
    }
    /* evhttp_make_request owns |req| from here, even when it fails. The
     * connection stays ours: check_free (or the next hop) frees it. */
    return evhttp_make_request(c->conn, req, EVHTTP_REQ_GET, c->next_path) == 0 ? 0 : -1;
}

/* on_hop runs the next hop of a redirect, from the loop. */
static void on_hop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    afz_serve_check *c = arg;
    if (c->conn) {
        evhttp_connection_free(c->conn);
        c->conn = NULL;
    }
    if (fetch(c) != 0) {
        char url[1400];
        http_result(c, 0, "connection", "http-01: cannot start the fetch of %s (redirected)",
                    cur_url(c, url, sizeof(url)));
    }
}

static int start_http01(afz_serve_check *c)
{
    afz_serve *s = c->s;
    c->hop = event_new(s->base, -1, 0, on_hop, c);
    if (!c->hop)
        return -1;
    c->next_https = 0;
    c->next_port = s->cfg.http01_port;
    if (s->cfg.http01_port == 80)
        snprintf(c->next_host, sizeof(c->next_host), "%s", c->identifier);
    else
        snprintf(c->next_host, sizeof(c->next_host), "%s:%u", c->identifier,
                 (unsigned)s->cfg.http01_port);
    snprintf(c->next_path, sizeof(c->next_path), "/.well-known/acme-challenge/%s", c->token);
    return fetch(c);
}

/* ---- tls-alpn-01 ---- */

static const unsigned char acme_tls_alpn[] = "\x0a"
                                             "acme-tls/1";

/* tls_alpn_verdict checks the handshake's outcome (RFC 8737 3); returns
 * NULL when it proves the key authorization, or why not. */
static const char *tls_alpn_verdict(afz_serve_check *c, SSL *ssl, char *why, size_t whylen)
{
    const unsigned char *alpn = NULL;
    unsigned alpn_len = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
    if (alpn_len != 10 || memcmp(alpn, "acme-tls/1", 10) != 0)
        return "the server did not select the acme-tls/1 protocol";
    X509 *cert = SSL_get1_peer_certificate(ssl);
    if (!cert)
        return "no certificate was presented";
    const char *bad = NULL;
    GENERAL_NAMES *san = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (!san || sk_GENERAL_NAME_num(san) != 1) {
        bad = "the certificate must have exactly one subjectAltName";
    } else {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, 0);
        const ASN1_IA5STRING *d = g->type == GEN_DNS ? g->d.dNSName : NULL;
        if (!d || (size_t)ASN1_STRING_length(d) != strlen(c->identifier) ||
            strncasecmp((const char *)ASN1_STRING_get0_data(d), c->identifier,
                        strlen(c->identifier)) != 0) {
            snprintf(why, whylen, "the subjectAltName is not dNSName %s", c->identifier);
            bad = why;
        }
    }
    GENERAL_NAMES_free(san);
    if (!bad) {
        ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
        int at = oid ? X509_get_ext_by_OBJ(cert, oid, -1) : -1;
        ASN1_OBJECT_free(oid);
        X509_EXTENSION *ext = at >= 0 ? X509_get_ext(cert, at) : NULL;
        if (!ext) {
            bad = "the certificate has no id-pe-acmeIdentifier extension";
        } else if (!X509_EXTENSION_get_critical(ext)) {
            bad = "the id-pe-acmeIdentifier extension is not critical";
        } else {
            const ASN1_OCTET_STRING *raw = X509_EXTENSION_get_data(ext);
            const unsigned char *p = ASN1_STRING_get0_data(raw);
            ASN1_OCTET_STRING *inner = d2i_ASN1_OCTET_STRING(NULL, &p, ASN1_STRING_length(raw));
            unsigned char want[32];
            unsigned wn = 0;
            int digest_ok =
                EVP_Digest(c->key_auth, strlen(c->key_auth), want, &wn, EVP_sha256(), NULL) == 1;
            if (!inner || p != ASN1_STRING_get0_data(raw) + ASN1_STRING_length(raw) ||
                ASN1_STRING_length(inner) != 32)
                bad = "the id-pe-acmeIdentifier value is not a 32-byte OCTET STRING";
            else if (!digest_ok || memcmp(ASN1_STRING_get0_data(inner), want, 32) != 0)
                bad = "the id-pe-acmeIdentifier value is not SHA-256 of the key authorization";
            ASN1_OCTET_STRING_free(inner);
        }
    }
    X509_free(cert);
    ERR_clear_error();
    return bad;
}

static void tls_event(struct bufferevent *bev, short what, void *arg)
{
    afz_serve_check *c = arg;
    unsigned port = c->s->cfg.tlsalpn01_port;
    if (what & BEV_EVENT_CONNECTED) {
        char why[200];
        const char *bad = tls_alpn_verdict(c, bufferevent_openssl_get_ssl(bev), why, sizeof(why));
        if (bad)
            finish(c, 0, "unauthorized", "tls-alpn-01: 127.0.0.1:%u for %s: %s", port,
                   c->identifier, bad);
        else
            finish(c, 1, NULL, "tls-alpn-01: 127.0.0.1:%u proved %s", port, c->identifier);
        return;
    }
    unsigned long e = bufferevent_get_openssl_error(bev);
    char reason[160] = "connection refused or closed";
    if (e)
        ERR_error_string_n(e, reason, sizeof(reason));
    while (bufferevent_get_openssl_error(bev))
        ;
    ERR_clear_error();
    finish(c, 0, e ? "tls" : "connection",
           "tls-alpn-01: no TLS handshake with 127.0.0.1:%u for %s: %s", port, c->identifier,
           reason);
}

static int start_tlsalpn01(afz_serve_check *c)
{
    afz_serve *s = c->s;
    if (!s->va_tls) {
        s->va_tls = SSL_CTX_new(TLS_client_method());
        if (!s->va_tls)
            return -1;
        SSL_CTX_set_min_proto_version(s->va_tls, TLS1_2_VERSION);
        SSL_CTX_set_verify(s->va_tls, SSL_VERIFY_NONE, NULL);
    }
    SSL *ssl = SSL_new(s->va_tls);
    if (!ssl)
        return -1;
    if (!SSL_set_tlsext_host_name(ssl, c->identifier) ||
        SSL_set_alpn_protos(ssl, acme_tls_alpn, sizeof(acme_tls_alpn) - 1) != 0) {
        SSL_free(ssl);
        return -1;
    }
    /* On failure bufferevent_openssl_socket_new frees |ssl| itself. */
    c->bev = bufferevent_openssl_socket_new(s->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
                                            BEV_OPT_CLOSE_ON_FREE);
    if (!c->bev)
        return -1;
    bufferevent_setcb(c->bev, NULL, NULL, tls_event, c);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(s->cfg.tlsalpn01_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* A refused connection is reported through tls_event, not here. */
    return bufferevent_socket_connect(c->bev, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -1;
}

/* ---- the validator ---- */

int afz_serve_va_offer(void *ctx, const afz_validation *v)
{
    afz_serve *s = ctx;
    int http = strcmp(v->type, "http-01") == 0 && (s->cfg.validate & AFZ_SERVE_VALIDATE_HTTP01);
    int tls =
        strcmp(v->type, "tls-alpn-01") == 0 && (s->cfg.validate & AFZ_SERVE_VALIDATE_TLSALPN01);
    if (!http && !tls)
        return 0;
    afz_serve_check *c = calloc(1, sizeof(*c));
    if (!c)
        return 0;
    c->s = s;
    c->tls = tls;
    c->index = v->index;
    snprintf(c->authz_id, sizeof(c->authz_id), "%s", v->authz_id);
    char url[200];
    snprintf(url, sizeof(url), "%s/chall/%s-%zu", s->base_url, v->authz_id, v->index);
    c->identifier = afz_strdup(v->identifier);
    c->token = afz_strdup(v->token);
    c->key_auth = afz_strdup(v->key_authorization);
    c->chall_url = afz_strdup(url);
    c->deadline = evtimer_new(s->base, on_deadline, c);
    c->next = s->checks;
    s->checks = c;
    struct timeval tv = {s->cfg.validation_timeout_s > 0 ? s->cfg.validation_timeout_s : 10, 0};
    if (!c->identifier || !c->token || !c->key_auth || !c->chall_url || !c->deadline ||
        evtimer_add(c->deadline, &tv) != 0) {
        check_unlink(c);
        check_free(c);
        return 0; /* nothing to report with: the model decides */
    }
    if ((tls ? start_tlsalpn01(c) : start_http01(c)) != 0) {
        /* Taken but not startable: fail it from the loop (the model marks
         * the challenge taken only when this returns). */
        c->start_failed = 1;
        event_active(c->deadline, EV_TIMEOUT, 0);
    }
    return 1;
}

void afz_serve_va_cancel_all(afz_serve *s)
{
    while (s->checks) {
        afz_serve_check *c = s->checks;
        s->checks = c->next;
        check_free(c);
    }
}
