/* afz_serve_internal.h - what the afz_serve*.c files share. Not installed,
 * not for other modules.
 *
 *   afz_serve.c       listeners, event loop, ACME request path, runs
 *   afz_serve_tls.c   TLS credentials (generated or from files), SSL_CTX
 *   afz_serve_mgmt.c  the management listener (Pebble's API + acmefuzz's)
 *   afz_serve_session.c  sessions: per-run verdicts of a long-lived server
 */
#ifndef AFZ_SERVE_INTERNAL_H
#define AFZ_SERVE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "afz_ca.h"
#include "afz_clock.h"
#include "afz_fault_engine.h"
#include "afz_history.h"
#include "afz_prng.h"
#include "afz_serve.h"
#include "afz_serve_session.h"
#include "afz_server.h"

struct evhttp;
struct evhttp_request;
struct event;

/* A challenge check in flight (afz_serve_va.c). */
typedef struct afz_serve_check afz_serve_check;
/* A request held with no answer by the timeout fault (afz_serve.c). */
typedef struct afz_serve_stall afz_serve_stall;
/* One accepted TLS connection (afz_serve.c): owned by its SSL object's
 * ex_data slot, freed when OpenSSL frees the SSL. */
typedef struct afz_serve_conn afz_serve_conn;
/* One listening socket's accept back-off (afz_serve.c). */
typedef struct afz_serve_accept {
    afz_serve *s;
    struct evconnlistener *listener; /* borrowed from evhttp */
    struct event *resume;            /* re-enables accepting (owned) */
} afz_serve_accept;

/* TLS credentials for both listeners. */
typedef struct afz_serve_tls {
    SSL_CTX *ctx;    /* serves: the server certificate and key */
    SSL_CTX *refuse; /* has no certificate: every handshake fails (over the cap) */
    char *trust_pem; /* what a client must trust for TLS (owned) */
} afz_serve_tls;

/* afz_serve_tls_init loads |cert_file| and |key_file| or, when |cert_file|
 * is NULL, makes a throw-away root and a server certificate for
 * DNS:localhost, IP:127.0.0.1 valid from |now_s| - 1 h for 30 days. On
 * failure it writes a reason into |err| and returns AFZ_EIO or
 * AFZ_ECRYPTO; afz_serve_tls_cleanup is safe either way. */
afz_rc afz_serve_tls_init(afz_serve_tls *t, const char *cert_file, const char *key_file,
                          int64_t now_s, char *err, size_t errlen);
void afz_serve_tls_cleanup(afz_serve_tls *t);

struct afz_serve {
    afz_serve_config cfg;
    struct event_base *base;
    struct evhttp *http; /* ACME listener */
    struct evhttp *mgmt; /* management listener, or NULL */
    afz_serve_tls tls;
    afz_ca *ca;
    afz_ca *alt_cas[AFZ_SERVE_MAX_ALT_ROOTS]; /* PEBBLE_ALTERNATE_ROOTS hierarchies (owned) */
    size_t n_alt_cas;
    char *bundle; /* CA bundle PEM (owned) */
    uint16_t port, mgmt_port;
    char base_url[64];
    char dir_url[80];
    unsigned connections;    /* live TLS connections (both listeners) */
    afz_serve_check *checks; /* validations in flight (owned) */
    SSL_CTX *va_tls;         /* tls-alpn-01 client context, made on first use */
    afz_serve_stall *stalls; /* held requests (owned) */
    /* Connections that may be evicted, least recently active first: a
     * connection joins at accept, moves to the tail at every request, and
     * leaves while a request is held (stall) and when it is evicted. */
    afz_serve_conn *conn_head, *conn_tail;
    unsigned evicting;          /* evicted, not yet freed by evhttp */
    uint64_t evicted;           /* connections closed to make room (total) */
    uint64_t deadline_closed;   /* connections closed at their request deadline */
    uint64_t accept_pauses;     /* accept() failed for lack of fds */
    int64_t accept_logged_ms;   /* last "cannot accept" line (rate limit) */
    afz_serve_accept accept[2]; /* ACME, management */

    /* the current run */
    const afz_plan *plan;
    afz_server_config server_cfg; /* cfg.server with base_url and the plan's CONFIG faults */
    afz_server *server;
    afz_history history;
    afz_clock clock;
    int64_t start_real_ms; /* CLOCK_MONOTONIC at the reset */
    unsigned time_scale;   /* the run's clock runs this many times real time (>= 1) */
    afz_prng prng;         /* the model's */
    afz_prng reject_prng;  /* PEBBLE_WFE_NONCEREJECT draws */
    afz_fault_engine engine;
    afz_server_request_hook inner_hook; /* the fault engine's, chained */
    void *inner_ctx;
    size_t dropped;       /* exchanges past the history caps */
    size_t history_bytes; /* afz_serve_exchange_bytes of the current run */
    uint64_t runs;        /* resets so far */

    /* finished runs and POST /session marks, for per-session verdicts
     * (kept by the management API; afz_serve_reset alone leaves it be) */
    afz_serve_log log;
    /* GET /verdict computed in forked children (afz_serve_mgmt.c) */
    struct afz_serve_vjob *vjobs;
    unsigned n_vjobs;
};

/* afz_serve_mgmt_cancel_jobs stops every /verdict still computed in a
 * child (the child is killed and reaped, the client gets 503). */
void afz_serve_mgmt_cancel_jobs(afz_serve *s);

/* afz_serve_va_offer is the model's validator (ctx: the afz_serve): it
 * takes http-01 and tls-alpn-01 challenges as cfg.validate says and
 * starts their checks. afz_serve_va_cancel_all drops every check in
 * flight (a reset or the end). */
int afz_serve_va_offer(void *ctx, const afz_validation *v);
void afz_serve_va_cancel_all(afz_serve *s);

/* afz_serve_sync_clock moves the run's clock up to real time. */
void afz_serve_sync_clock(afz_serve *s);
/* afz_serve_mgmt_cb serves one management request (evhttp callback). */
void afz_serve_mgmt_cb(struct evhttp_request *req, void *arg);
/* afz_serve_reply sends |status| with |ctype| and |n| bytes of |body|. */
void afz_serve_reply(struct evhttp_request *req, int status, const char *ctype, const void *body,
                     size_t n);
/* afz_serve_reason returns the reason phrase for |status|. */
const char *afz_serve_reason(int status);
/* afz_serve_conn_request notes that a request started on |req|'s
 * connection: its request deadline restarts and it becomes the most
 * recently active (the last to be evicted). Every callback calls it. */
void afz_serve_conn_request(struct evhttp_request *req);
/* afz_serve_http_refusal returns the reason (static text) to refuse a
 * request Pebble's HTTP layer refuses (HTTP/1.1 without Host, conflicting
 * Content-Length, a Transfer-Encoding other than "chunked", control bytes
 * in a header value) and sets *status (400 or 501); NULL when acceptable. */
const char *afz_serve_http_refusal(struct evhttp_request *req, int *status);

#endif
