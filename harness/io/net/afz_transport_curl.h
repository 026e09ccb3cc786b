/* afz_transport_curl.h - an afz_env over the real world: HTTP(S) through
 * libcurl, real sleeps (nanosleep), the real wall clock, randomness from
 * OpenSSL's RAND_bytes, and client log lines on stderr when verbose.
 *
 * This is what `acmefuzz client` uses to run the reference client against
 * a real CA such as Pebble. It is never used in-process or under the
 * fuzzer (those use the virtual environment of afz_run).
 *
 * Behaviour of env.http:
 *   - one CURL easy handle for every request, so connections are reused;
 *   - the request's method, headers and body are sent as given: HEAD uses
 *     CURLOPT_NOBODY; the defaults libcurl would add on its own (Accept,
 *     Expect, a form Content-Type) are suppressed unless the request has
 *     them; a header name or value with CR or LF is refused (AFZ_EINVAL);
 *   - redirects are never followed; only http and https are allowed;
 *   - TLS peers are verified against |ca_bundle| (libcurl's default trust
 *     store when NULL);
 *   - the response keeps every header in order, duplicates included, with
 *     CRLF and surrounding whitespace stripped; headers of interim (1xx)
 *     responses are dropped;
 *   - a body longer than AFZ_CURL_MAX_BODY, a timeout (connect 10 s, total
 *     30 s) or any network error is AFZ_ETRANSPORT with an empty response.
 *
 * Not thread-safe: one afz_curl_env serves one client at a time. */
#ifndef AFZ_TRANSPORT_CURL_H
#define AFZ_TRANSPORT_CURL_H

#include <stddef.h>

#include "afz_client.h"
#include "afz_rc.h"

/* AFZ_CURL_MAX_BODY caps a response body (1 MiB). */
#define AFZ_CURL_MAX_BODY ((size_t)1 << 20)
/* AFZ_CURL_MAX_HEADERS caps the header lines of one response. */
#define AFZ_CURL_MAX_HEADERS 200

typedef struct afz_curl_env {
    /* Hand &env to a client. env.ctx points at this struct, so the struct
     * must not move while a client uses it. */
    afz_env env;
    void *curl;      /* the CURL easy handle, owned */
    char *ca_bundle; /* owned copy of the CA file path, or NULL */
    int verbose;     /* 0 quiet; 1 client log and one line per exchange
                        on stderr; 2 also libcurl's own trace */
} afz_curl_env;

/* afz_curl_env_init initialises libcurl (curl_global_init, counted) and
 * |e|. |ca_bundle| (may be NULL) is copied. AFZ_OK, AFZ_ENOMEM, or
 * AFZ_EIO when libcurl cannot start. On error |e| needs no cleanup. */
afz_rc afz_curl_env_init(afz_curl_env *e, const char *ca_bundle, int verbose);
/* afz_curl_env_cleanup frees everything afz_curl_env_init made; safe on
 * a zeroed struct and safe to repeat. */
void afz_curl_env_cleanup(afz_curl_env *e);

#endif
