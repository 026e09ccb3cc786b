/* afz_serve.h - the HTTPS server mode: the ACME server model behind a real
 * TLS listener on loopback, in real time.
 *
 * An afz_serve owns one event loop (libevent), one or two HTTPS listeners
 * on 127.0.0.1 (the ACME listener and, optionally, a management listener
 * with Pebble's API) and, per run, one afz_server with its history, its
 * clock and, when a fault plan is given, an afz_fault_engine. HTTP is
 * parsed by libevent's evhttp over bufferevent_openssl; nothing here parses
 * HTTP by hand.
 *
 * Time. The run's afz_clock follows CLOCK_MONOTONIC: before each request
 * its mono_ms is set to the real milliseconds since the run started (never
 * backwards: a fault that advanced it keeps its lead) and its epoch is the
 * real wall clock at the start of the run. Delays, Retry-After and
 * certificate validity are therefore real.
 *
 * TLS. Unless a certificate and key are given (Pebble's `certificate` and
 * `privateKey`), afz_serve_open makes a throw-away TLS root (ECDSA P-256)
 * and a server certificate for DNS:localhost and IP:127.0.0.1 signed by it.
 * The CA bundle (afz_serve_ca_bundle_pem) holds that TLS root and the
 * issuing root of the harness CA: a client that trusts it reaches the
 * server and can verify the certificates it obtains.
 *
 * URLs. The directory is https://127.0.0.1:PORT/directory; /dir (Pebble's
 * path) is an alias, so a client configured for Pebble needs no change.
 *
 * Hardening. Request bodies above max_body get 413 (evhttp), headers above
 * max_headers 400, idle or slow connections are closed after timeout_s,
 * connections beyond max_connections are refused in the TLS handshake, and
 * the history keeps at most max_exchanges exchanges (later ones are served
 * but not recorded; afz_serve_dropped counts them). Memory is also bounded
 * by bytes: the exchanges of the current run and of the finished runs kept
 * for /verdict hold at most max_history_bytes (request and response bodies,
 * URLs and headers); at the cap the oldest finished runs are forgotten
 * first (their sessions counted as forgotten), then new exchanges are
 * served without being recorded (counted in afz_serve_dropped and in
 * /verdict's summary "dropped"), so a client posting 256 KiB bodies in a
 * loop cannot grow the server past the budget.
 *
 * Challenges. By default the model decides (valid at once, or as the
 * scenario says). With cfg.validate, a challenge a client POSTs is checked
 * for real on loopback, without blocking the loop (afz_serve_va.c):
 * http-01 by GET http://127.0.0.1:http01_port/.well-known/acme-challenge/
 * <token> (Host: the identifier), tls-alpn-01 by a TLS handshake with
 * 127.0.0.1:tlsalpn01_port, SNI the identifier, ALPN acme-tls/1 and the
 * RFC 8737 certificate checks. Every name resolves to 127.0.0.1. dns-01 is
 * accepted without a check (no resolver on loopback answers for the
 * client). A failed check makes the challenge and authorization invalid
 * with the RFC 8555 error (connection, unauthorized, tls) and a detail;
 * each check is recorded as a "validation" event.
 *
 * The timeout fault. In virtual time it advances the clock and drops the
 * connection; here the request is held open with no answer for the
 * fault's seconds (at most max_stall_s), then the connection is dropped.
 *
 * Management listener (HTTPS, same certificate), all GET unless noted:
 *   /roots/N, /intermediates/N        PEM (hierarchy N: 0 the main one,
 *                                     1..alternate_roots the alternates)
 *   /root-keys/N, /intermediate-keys/N PEM private keys (PKCS#8); each of
 *                                     these answers links the same resource
 *                                     of every other hierarchy with
 *                                     Link rel="alternate", as Pebble does
 *   /cert-status-by-serial/<hex>      JSON {"Status","Serial","Certificate",...}
 *   /history                          the current run's history as JSON
 *   /verdict[?session=N][&outcome=success|failure][&fail-on=LEVELS]
 *           [&allow=ID,ID]             per-session verdicts (below), as JSON
 *   POST /session[?name=NAME]          a boundary: a new session starts here
 *   POST /reset[?name=NAME]            a fresh run: new server state and
 *                                     history (the old one is kept for
 *                                     /verdict); with a name, also POST /session
 * N beyond alternate_roots is 404.
 *
 * Per-session verdicts. A server a whole test suite uses sees many client
 * runs; judged as one they trip `terminates` (its 300-request budget) and
 * `bounded-new-orders`. GET /verdict therefore splits everything since
 * the server started into sessions, one client run each, and judges each
 * alone (afz_serve_session.h has the rules): a session starts at POST
 * /reset, at POST /session (a test harness calls it between tests; NAME
 * labels the test in the report), and otherwise with each new account (a
 * newAccount the server answered; requests signed with "kid" go with their
 * account; GET /directory, newNonce and other unsigned requests go with
 * the request that used their nonce, else the next signed one). Every
 * property, the `terminates` request budget included, applies per session.
 * The answer is {"sessions":[{"id","run","name","split","account",
 * "exchanges","first_exchange","last_exchange","directory_from",
 * "client_succeeded","fails","verdict":<afz_serve_verdict_tree>}...],
 * "summary":{"sessions","judged","failing","violations","warnings",
 * "policy",...}}; ?session=N gives session N only (404 when it is unknown
 * or forgotten). ?outcome= says how the latest session's client ended
 * (otherwise a session succeeded when it downloaded a certificate).
 * ?fail-on= and ?allow= judge under that policy (afz_policy.h) instead of
 * cfg.policy (for allow: on top of it). Finished runs are kept while they
 * hold at most max_exchanges exchanges together (older ones are forgotten
 * and counted in the summary; ids stay stable), so the history memory is
 * at most twice what one run's cap allows. */
#ifndef AFZ_SERVE_H
#define AFZ_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "afz_buf.h"
#include "afz_history.h"
#include "afz_plan.h"
#include "afz_policy.h"
#include "afz_property.h"
#include "afz_report.h"
#include "afz_server.h"

struct event_base;

typedef struct afz_serve_config {
    uint16_t port;                 /* ACME listener on 127.0.0.1; 0: the kernel picks */
    int management;                /* 1: open the management listener */
    uint16_t management_port;      /* 0: the kernel picks */
    const char *tls_cert_file;     /* PEM chain for both listeners; NULL: generate */
    const char *tls_key_file;      /* its private key (with tls_cert_file) */
    afz_server_config server;      /* model knobs; base_url is set by afz_serve */
    const afz_plan *plan;          /* fault plan for every run, or NULL (borrowed) */
    unsigned nonce_reject_percent; /* 0..100: POSTs answered badNonce (Pebble's
                                      PEBBLE_WFE_NONCEREJECT) before the model sees them */
    uint64_t seed;                 /* server PRNG; 0: from the OS per run */
    size_t max_body;               /* request body cap (256 KiB) */
    size_t max_headers;            /* request line + headers cap (16 KiB) */
    unsigned max_connections;      /* concurrent connections (256); at the cap a new
                                      one evicts the least recently active */
    int timeout_s;                 /* read/write/idle timeout per connection, and the
                                      total deadline of each request (from accept or
                                      the previous request; bytes do not restart it) (20) */
    size_t max_exchanges;          /* history cap (20000) */
    size_t max_history_bytes;      /* history cap in bytes, finished runs included
                                      (256 MiB): bodies, URLs and headers of every
                                      recorded exchange; see "Hardening" */
    int verbose;                   /* 1: one line per exchange on stderr */
    /* Challenge validation (see "Challenges" above). */
    unsigned validate;        /* AFZ_SERVE_VALIDATE_* bits; 0: the model decides */
    uint16_t http01_port;     /* http-01 checks 127.0.0.1:PORT (Pebble's httpPort, 5002) */
    uint16_t tlsalpn01_port;  /* tls-alpn-01 checks 127.0.0.1:PORT (Pebble's tlsPort, 5001) */
    int validation_timeout_s; /* deadline of one check (10) */
    int max_stall_s;          /* the timeout fault holds a request this long at most (60) */
    const afz_policy *policy; /* GET /verdict's default policy (borrowed); NULL:
                                 afz_policy_default */
    unsigned alternate_roots; /* appended: Pebble's PEBBLE_ALTERNATE_ROOTS, 0..
                                 AFZ_SERVE_MAX_ALT_ROOTS: independent hierarchies
                                 besides the main one (afz_server_config.alt_cas) */
    unsigned chain_length;    /* appended: Pebble's PEBBLE_CHAIN_LENGTH, intermediates
                                 between root and leaf in every hierarchy, 1 (0
                                 counts as 1) to AFZ_CA_MAX_CHAIN (afz_ca_new_chain) */
} afz_serve_config;

#define AFZ_SERVE_MAX_ALT_ROOTS 16

#define AFZ_SERVE_VALIDATE_HTTP01 1u
#define AFZ_SERVE_VALIDATE_TLSALPN01 2u

/* afz_serve_parse_validate reads a comma-separated list of challenge types
 * to check for real ("http-01", "tls-alpn-01"), or "all" or "none", into
 * AFZ_SERVE_VALIDATE_* bits. Returns AFZ_EINVAL on anything else. */
afz_rc afz_serve_parse_validate(const char *list, unsigned *bits);

/* afz_serve_config_default fills |c|: ports 0, no management, generated
 * TLS, the model's defaults (afz_server_config_default), no plan, no nonce
 * rejection, the caps above. */
void afz_serve_config_default(afz_serve_config *c);

typedef struct afz_serve afz_serve;

/* afz_serve_open binds the listeners, makes the TLS credentials and the
 * harness CA, and starts the first run. |cfg| is copied (its strings and
 * plan are borrowed and must outlive the server). On failure it returns
 * AFZ_EIO (bind, files), AFZ_ECRYPTO or AFZ_ENOMEM, writes a one-line
 * reason into |err| (|errlen| bytes, may be 0) and sets *out to NULL. */
afz_rc afz_serve_open(const afz_serve_config *cfg, afz_serve **out, char *err, size_t errlen);
/* afz_serve_free closes everything (open connections included); NULL ok. */
void afz_serve_free(afz_serve *s);

/* afz_serve_conn_counts: what the connection handling did so far. */
typedef struct afz_serve_conn_counts {
    unsigned live;            /* connections open now */
    uint64_t evicted;         /* closed to make room at the cap or the fd limit */
    uint64_t deadline_closed; /* closed at their request deadline (cfg.timeout_s
                                 from accept or from the previous request, not
                                 restarted by bytes) */
    uint64_t accept_pauses;   /* accept() found no free fd; accepting paused 100 ms */
} afz_serve_conn_counts;
void afz_serve_conn_stats(const afz_serve *s, afz_serve_conn_counts *out);

/* Ports actually bound (after port 0 was resolved); 0 when no management. */
uint16_t afz_serve_port(const afz_serve *s);
uint16_t afz_serve_management_port(const afz_serve *s);
/* afz_serve_directory_url returns "https://127.0.0.1:PORT/directory"
 * (borrowed until afz_serve_free). */
const char *afz_serve_directory_url(const afz_serve *s);
/* afz_serve_ca_bundle_pem returns the PEM bundle a client must trust: the
 * TLS root (or, with a given certificate, that file's chain) then the
 * issuing root. Borrowed until afz_serve_free. */
const char *afz_serve_ca_bundle_pem(const afz_serve *s);
/* afz_serve_write_ca_bundle writes that bundle to |path| (mode 0644). */
afz_rc afz_serve_write_ca_bundle(const afz_serve *s, const char *path);
/* afz_serve_ca returns the harness CA (borrowed). */
const afz_ca *afz_serve_ca(const afz_serve *s);

/* afz_serve_reset ends the current run and starts a fresh one: new server
 * state (no accounts, orders or nonces), an empty history, a clock at 0,
 * the fault plan |plan| (borrowed; NULL: none; it replaces cfg.plan). The
 * listeners and open connections stay. */
afz_rc afz_serve_reset(afz_serve *s, const afz_plan *plan);

/* afz_serve_set_validation_ports changes where http-01 and tls-alpn-01
 * checks connect, for the runs after the next reset (a suite gives each
 * run fresh ports). 0 keeps a port as it is. */
void afz_serve_set_validation_ports(afz_serve *s, uint16_t http01, uint16_t tlsalpn01);

/* afz_serve_history returns the current run's history (borrowed until the
 * next request, reset or free). */
const afz_history *afz_serve_history(const afz_serve *s);
/* afz_serve_history_mut is the same, for adding client-side events
 * (client done, attempt start) from a suite runner. */
afz_history *afz_serve_history_mut(afz_serve *s);
/* afz_serve_set_time_scale makes the run's clock run |scale| times real
 * time from the next afz_serve_reset on (1 or 0: real time), for a client
 * whose clocks and sleeps run as fast (libfaketime's FAKETIME="+0 xN"):
 * mono_ms and the wall clock of exchanges, Retry-After dates, delays of
 * CONFIG faults and held requests then count on the client's clock.
 * It takes effect at once: set it before afz_serve_reset. */
void afz_serve_set_time_scale(afz_serve *s, unsigned scale);
/* afz_serve_now_ms returns the run's clock now (real ms since the reset,
 * times the time scale). */
int64_t afz_serve_now_ms(afz_serve *s);
/* afz_serve_dropped returns how many exchanges the history cap left out. */
size_t afz_serve_dropped(const afz_serve *s);
/* afz_serve_plan returns the current run's plan, or NULL. */
const afz_plan *afz_serve_plan(const afz_serve *s);

/* afz_serve_base returns the event loop, for the caller's own events
 * (signals, child-process timers). */
struct event_base *afz_serve_base(afz_serve *s);
/* afz_serve_run runs the event loop until afz_serve_stop. Returns AFZ_OK,
 * or AFZ_EIO when the loop failed. */
afz_rc afz_serve_run(afz_serve *s);
/* afz_serve_stop makes afz_serve_run return after the current callback. */
void afz_serve_stop(afz_serve *s);

/* afz_serve_prop_limits fills |l| with the property limits for real time:
 * the defaults with retry_after_tolerance_ms 250 (DESIGN.md "Real time
 * versus virtual time": each request is timed when it arrives, so a client
 * that waits the full Retry-After after the answer is never early; the
 * allowance covers timer slop and stays well under the 1 s Retry-After of
 * the suite scenarios, so ignoring one is still caught) and
 * min_poll_interval_ms 400 (a real client's poll loop is timed by its own
 * clock; 400 ms still catches a hot loop). */
void afz_serve_prop_limits(afz_prop_limits *l);

/* afz_serve_verdict_tree returns, as a new cJSON object (the caller
 * deletes it), every property evaluated over |r| (from
 * afz_report_evaluate_input): "violations" (failing under the policy),
 * "warnings", "waived", "inconclusive", "policy",
 * "hold" and "verdicts", one entry per property (property, level, rfc,
 * verdict, waived, fails, exchange 1-based or null, message). NULL on
 * ENOMEM. */
cJSON *afz_serve_verdict_tree(const afz_report *r);

#endif
