/* afz_property.c - the property table, names, default limits and the
 * helpers every checker uses. The checkers live in afz_prop_*.c. */
#include "afz_property.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afz_prop_internal.h"

const char *afz_level_name(afz_level l)
{
    switch (l) {
    case AFZ_LEVEL_MUST:
        return "MUST";
    case AFZ_LEVEL_SHOULD:
        return "SHOULD";
    case AFZ_LEVEL_HARM:
        return "HARM";
    case AFZ_LEVEL_ROBUST:
        return "ROBUST";
    }
    return "?";
}

const char *afz_verdict_name(afz_verdict v)
{
    switch (v) {
    case AFZ_VERDICT_PASS:
        return "pass";
    case AFZ_VERDICT_VIOLATION:
        return "violation";
    case AFZ_VERDICT_INCONCLUSIVE:
        return "inconclusive";
    }
    return "?";
}

/* The defaults, with why each is what it is. */
static const afz_prop_limits default_limits = {
    /* RFC 8555 7.5.1 leaves the polling interval to Retry-After; without
     * one, once a second is the least a client should wait: it is what
     * certbot polls at and a third of the 3 s Boulder asks for on
     * "processing" orders (orderRetryAfter), and Let's Encrypt's
     * integration guide asks clients to back off between polls. */
    .min_poll_interval_ms = 1000,
    /* At one poll a second, 50 polls cover Boulder's validation and
     * issuance times with room to spare; a client still polling after that
     * is looping (Let's Encrypt counts such traffic against its overall
     * request limit). */
    .max_polls_per_resource = 50,
    /* One newOrder per obtain, plus one fresh order after the first went
     * "invalid" or expired (RFC 8555 7.1.6: both are final, so a new order
     * is the only way on). More is the loop behind the 2023-07 incident,
     * which ran clients into the Duplicate Certificate limit (5 per week
     * per exact set of names, Let's Encrypt rate limits). */
    .max_new_orders_per_attempt = 2,
    /* The run budgets of afz_run_config_default. */
    .max_requests = 300,
    .max_virtual_ms = INT64_C(24) * 3600 * 1000,
    /* In-process time is exact; server mode sets about a second for
     * clock granularity (DESIGN.md, "Real time versus virtual time"). */
    .retry_after_tolerance_ms = 0,
    /* A client that cannot use a Retry-After must not hot-loop: any
     * fallback of at least a second passes (RFC 8555 6.6 asks for
     * back-off; RFC 9110 10.2.3 gives a malformed value no meaning). */
    .malformed_retry_after_floor_ms = 1000,
    /* Polling intervals in RFC 8555 are seconds (Boulder: 3 s); a value
     * beyond an hour is absurd for a poll and a client may treat it as it
     * would a malformed one (fail, or fall back), as the reference client
     * does. It is then judged by the malformed floor. */
    .retry_after_cap_ms = INT64_C(3600) * 1000,
    /* RFC 8555 7.4: a "valid" order is one whose certificate URL the server
     * "provisioned" to its "certificate" field, and 7.1.6 makes "valid"
     * final, so only a lagging replica (Boulder's order polls may read
     * one, ACME-FAULTS.md 3.2) explains an answer without it, and that
     * passes in seconds. Ten quick re-reads (less than 10 s apart) cover
     * it with room; a client that backs off (1 s doubling, as the
     * independent client does up to 60 s) makes four or five, and is
     * then bounded like any poll (max_polls_per_resource). Real clients
     * measured re-read 59 to 89 times in 30 to 94 s (certbot's 90 s
     * deadline at one a second): a loop against a server that will not
     * change. 10 s is 8.2's "every 5 or 10 seconds" (lower case, and
     * about the server's retries, but the interval the RFC thinks
     * reasonable for a validation that may take time). */
    .max_certless_valid_rereads = 10,
    .certless_reread_quick_ms = 10000,
    /* RFC 8555 7.5.1: the server starts validating when the client POSTs
     * a response ({}) to a challenge; until then the authorization stays
     * "pending" whatever the client waits. A client reads it once to learn
     * its challenges and may look again before it answers (after
     * provisioning, after a lost answer): three re-reads allow that; the
     * clients that POST "" to the challenge instead poll 20 to 30 times. */
    .max_unasked_authz_rereads = 3,
};

void afz_prop_limits_default(afz_prop_limits *l)
{
    *l = default_limits;
}

const afz_prop_limits *afz_prop_limits_of(const afz_prop_input *in)
{
    return in->limits ? in->limits : &default_limits;
}

/* ---- results ---- */

static void fill(afz_prop_result *out, afz_verdict v, size_t ex, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void fill(afz_prop_result *out, afz_verdict v, size_t ex, const char *fmt, va_list ap)
{
    out->verdict = v;
    out->exchange = ex;
    vsnprintf(out->message, sizeof(out->message), fmt, ap);
    /* One line, whatever bytes a client or server put in it. */
    for (char *p = out->message; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
}

void afz_prop_pass(afz_prop_result *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fill(out, AFZ_VERDICT_PASS, SIZE_MAX, fmt, ap);
    va_end(ap);
}

void afz_prop_violation(afz_prop_result *out, size_t exchange, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fill(out, AFZ_VERDICT_VIOLATION, exchange, fmt, ap);
    va_end(ap);
}

void afz_prop_inconclusive(afz_prop_result *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fill(out, AFZ_VERDICT_INCONCLUSIVE, SIZE_MAX, fmt, ap);
    va_end(ap);
}

const afz_trace *afz_prop_need_trace(const afz_prop_input *in, afz_prop_result *out)
{
    if (in->trace)
        return in->trace;
    afz_prop_inconclusive(out, "no trace of the history was built");
    return NULL;
}

const char *afz_prop_path(const char *url)
{
    if (!url)
        return "(none)";
    const char *p = afz_url_path(url);
    return *p ? p : url;
}

const char *afz_prop_secs(int64_t ms, char *buf, size_t n)
{
    if (ms == INT64_MAX)
        snprintf(buf, n, "never");
    else
        snprintf(buf, n, "%s%" PRId64 ".%03ds", ms < 0 ? "-" : "",
                 (ms < 0 ? -(ms / 1000) : ms / 1000), (int)(ms < 0 ? -(ms % 1000) : ms % 1000));
    return buf;
}

/* ---- keyed slots ---- */

afz_prop_slot *afz_prop_slot_find(const afz_prop_slots *s, const char *key)
{
    if (!key)
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].key, key) == 0)
            return &s->v[i];
    return NULL;
}

afz_prop_slot *afz_prop_slot_get(afz_prop_slots *s, const char *key)
{
    if (!key)
        key = "";
    afz_prop_slot *found = afz_prop_slot_find(s, key);
    if (found)
        return found;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        afz_prop_slot *v = realloc(s->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        s->v = v;
        s->cap = cap;
    }
    afz_prop_slot *slot = &s->v[s->n++];
    memset(slot, 0, sizeof(*slot));
    slot->key = key;
    slot->seen_at = slot->a = slot->b = SIZE_MAX;
    return slot;
}

void afz_prop_slots_cleanup(afz_prop_slots *s)
{
    free(s->v);
    memset(s, 0, sizeof(*s));
}

/* ---- the table ---- */

static const afz_property table[] = {
    {"no-refinalize", "RFC 8555 7.1.3, 7.4", AFZ_LEVEL_SHOULD,
     "no finalize again after an accepted finalize or after the order showed \"processing\", "
     "\"valid\" or \"invalid\" (the first finalize is never judged)",
     afz_prop_check_no_refinalize,
     "\"Clients SHOULD check the \"status\" field of an order to determine whether they need "
     "to take any action.\" (7.1.3) With 7.4's status list: \"\"processing\": The certificate "
     "is being issued. Send a POST-as-GET request after the time given in the Retry-After "
     "header field of the response, if any.\" \"\"valid\": ... Download the certificate.\" "
     "\"\"invalid\": ... Consider this order process abandoned.\""},
    {"no-duplicate-issuance", "Let's Encrypt Duplicate Certificate limit", AFZ_LEVEL_HARM,
     "at most one certificate per identifier set per run", afz_prop_check_no_duplicate_issuance,
     "No RFC sentence; the harm is Let's Encrypt's Duplicate Certificate limit (5 certificates "
     "per week for the exact same set of names), which stopped renewals for days on "
     "2023-07-13."},
    {"no-orphan-issuance", "Let's Encrypt 2023-07-13 incident", AFZ_LEVEL_HARM,
     "every issued certificate is downloaded before the client orders the same names again",
     afz_prop_check_no_orphan_issuance,
     "No RFC sentence; the harm is Let's Encrypt's Duplicate Certificate limit (5 certificates "
     "per week for the exact same set of names), which stopped renewals for days on "
     "2023-07-13."},
    {"bounded-new-orders", "Let's Encrypt 2023-07-13 incident", AFZ_LEVEL_HARM,
     "newOrder per identifier set stays within a small bound per obtain call",
     afz_prop_check_bounded_new_orders,
     "No RFC sentence; the harm is Let's Encrypt's Duplicate Certificate limit (5 certificates "
     "per week for the exact same set of names), which stopped renewals for days on "
     "2023-07-13."},
    {"respects-retry-after", "RFC 8555 7.4; RFC 9110 10.2.3 (no client keyword)", AFZ_LEVEL_ROBUST,
     "no request to a URL before the instant its Retry-After named",
     afz_prop_check_respects_retry_after,
     "Every Retry-After keyword of RFC 8555 binds the server (\"the server SHOULD send a "
     "Retry-After header field\" (6.6); \"MAY include a Retry-After header field to suggest a "
     "polling interval\" (7.5.1); \"The server SHOULD set the Retry-After header field to a "
     "time after the server's next validation query\" (8.2)). RFC 9110 10.2.3: \"Servers send "
     "the \"Retry-After\" header field to indicate how long the user agent ought to wait "
     "before making a follow-up request.\" 7.4's \"Send a POST-as-GET request after the time "
     "given in the Retry-After header field of the response, if any.\" is an unmarked "
     "imperative. So: ROBUST (DESIGN.md called it SHOULD; the text does not)."},
    {"poll-backoff", "Let's Encrypt request limits (hot loops)", AFZ_LEVEL_HARM,
     "repeated polls of a pending/processing order or authorization are spaced and bounded",
     afz_prop_check_poll_backoff,
     "No client keyword gives an interval or a bound: 8.2's \"there should not usually be any "
     "reason to retry more often than every 5 or 10 seconds\" is lower case and about the "
     "server's validation retries; 7.5.1's \"the client SHOULD NOT begin polling until it has "
     "seen the validation request from the server\" covers only clients that can see the "
     "validation. What is left is the harm of a hot loop."},
    {"post-as-get-empty", "RFC 8555 6.3", AFZ_LEVEL_MUST,
     "POST-as-GET of orders, authorizations and certificates carries the empty payload",
     afz_prop_check_post_as_get_empty,
     "\"If a client wishes to fetch a resource from the server (which would otherwise be done "
     "with a GET), then it MUST send a POST request with a JWS body as described above, where "
     "the payload of the JWS is a zero-length octet string.\" \"In other words, the "
     "\"payload\" field of the JWS object MUST be present and set to the empty string "
     "(\"\").\" (6.3)"},
    {"nonce-discipline", "RFC 8555 6.5, 6.5.1", AFZ_LEVEL_MUST,
     "every JWS carries a nonce, never an invalid Replay-Nonce value, and a badNonce retry "
     "uses the nonce of the error response",
     afz_prop_check_nonce_discipline,
     "\"Every JWS sent by an ACME client MUST include, in its protected header, the \"nonce\" "
     "header parameter\" (6.5); \"However, when retrying in response to a \"badNonce\" error, "
     "the client MUST use the nonce provided in the error response.\" (6.5); \"Clients MUST "
     "ignore invalid Replay-Nonce values.\" (6.5.1)"},
    {"jws-headers", "RFC 8555 6.2, 6.4", AFZ_LEVEL_MUST,
     "every POST is a flattened JWS with the right url, alg (never none or a MAC) and jwk/kid",
     afz_prop_check_jws_headers,
     "\"The JWS MUST be in the Flattened JSON Serialization\"; \"The JWS Protected Header MUST "
     "include the following fields\": \"alg\", \"nonce\", \"url\", \"Either \"jwk\" (JSON Web "
     "Key) or \"kid\" (Key ID)\"; for \"alg\": \"This field MUST NOT contain \"none\" or a "
     "Message Authentication Code (MAC) algorithm\"; \"For newAccount requests, and for "
     "revokeCert requests authenticated by a certificate key, there MUST be a \"jwk\" field.\" "
     "\"For all other requests, the request is signed using an existing account, and there "
     "MUST be a \"kid\" field. This field MUST contain the account URL received by POSTing to "
     "the newAccount resource.\" (6.2) \"the client MUST set the \"url\" header parameter to "
     "the exact string provided by the server\" (6.4)"},
    {"cert-url-from-order", "RFC 8555 7.1.3, 7.4.2 (no client keyword)", AFZ_LEVEL_ROBUST,
     "certificates are fetched only from URLs the server gave for them",
     afz_prop_check_cert_url_from_order,
     "7.4.2: \"To download the issued certificate, the client simply sends a POST-as-GET "
     "request to the certificate URL.\"; \"Clients can fetch these alternates and use their "
     "own heuristics to decide which is optimal.\" No client keyword."},
    {"final-states-final", "RFC 8555 7.1.3", AFZ_LEVEL_SHOULD,
     "no finalize after \"valid\"; no more than one look at an invalid order or dead "
     "authorization",
     afz_prop_check_final_states_final,
     "\"Clients SHOULD check the \"status\" field of an order to determine whether they need "
     "to take any action.\" (7.1.3) 7.1.6 names the states with no way out: an \"invalid\" "
     "order; an authorization that \"enters a final state other than \"valid\" (\"expired\", "
     "\"revoked\", or \"deactivated\")\" or \"invalid\"."},
    {"terminates", "acmefuzz run budget", AFZ_LEVEL_HARM,
     "the run ends within its request and virtual-time budget", afz_prop_check_terminates,
     "The run ends within its request budget (300) and virtual-time budget (24 h); in server "
     "mode, per session. A campaign whose later attempt used less than half the shared budget "
     "is inconclusive, not a violation."},
    {"succeeds-under-legal", "DESIGN.md fault classes (no RFC keyword)", AFZ_LEVEL_ROBUST,
     "with only legal or real-world faults the client ends with a certificate for its "
     "identifiers",
     afz_prop_check_succeeds_under_legal,
     "Nothing in RFC 8555 obliges a client to succeed, to retry after 429, 503 or "
     "serverInternal, or to wait a given time. DESIGN.md's fault classes: a robust client "
     "obtains its certificate under legal faults (what an RFC-following server may send) and "
     "real-world ones (what CAs do beyond the RFC: a stale read). A client that gives up after "
     "its own 30-poll bound under `Retry-After: 0`, or after a 60 s legal delay, or on one "
     "429, is fragile, not in breach."},
    {"no-crash", "harm to the user", AFZ_LEVEL_HARM,
     "the client is never killed by a signal, whatever the server sends", afz_prop_check_no_crash,
     "A client killed by a signal (SIGSEGV, SIGABRT, ...) whatever the server sent: a "
     "violation under every plan (a malformed answer must make a client fail safely, never "
     "crash). In process, `acmefuzz run` catches the crash and prints the partial log; in "
     "suite mode, a signal the runner did not send itself."},
    {"nonce-fresh", "RFC 8555 6.5 (server MUST reject; no client keyword)", AFZ_LEVEL_ROBUST,
     "every nonce came from the server and is used once", afz_prop_check_nonce_fresh,
     "6.5: \"the ACME server MUST verify that the value of the \"nonce\" header is a value "
     "that the server previously provided in a Replay-Nonce header field. Once a nonce value "
     "has appeared in an ACME request, the server MUST consider it invalid\". The duty is the "
     "server's; a client that reuses a nonce only earns badNonce."},
    {"retries-bad-nonce", "RFC 8555 6.5", AFZ_LEVEL_SHOULD,
     "a request refused with badNonce and a fresh nonce is retried",
     afz_prop_check_retries_bad_nonce,
     "\"On receiving such a response, a client SHOULD retry the request using the new nonce.\" "
     "(6.5)"},
    {"bounded-valid-rereads", "RFC 8555 7.4, 7.1.6 (no client keyword; hot loops)", AFZ_LEVEL_HARM,
     "a \"valid\" order without a certificate URL is re-read a bounded number of times",
     afz_prop_check_bounded_valid_rereads,
     "\"\"valid\": The server has issued the certificate and provisioned its URL to the "
     "\"certificate\" field of the order. Download the certificate.\" (7.4)"},
    {"no-unasked-authz-polls", "RFC 8555 7.5.1 (no client keyword; hot loops)", AFZ_LEVEL_HARM,
     "a pending authorization is not polled when none of its challenges was asked to validate "
     "(a {} response, not a POST-as-GET \"\")",
     afz_prop_check_no_unasked_authz_polls,
     "\"The client indicates to the server that it is ready for the challenge validation by "
     "sending an empty JSON body (\"{}\") carried in a POST request to the challenge URL (not "
     "the authorization URL).\" (7.5.1; erratum 5729, verified, keeps the `{}` and calls it a "
     "response object) \"Usually, the validation process will take some time, so the client "
     "will need to poll the authorization resource to see when it is finalized.\" (7.5.1)"},
};

const afz_property *afz_properties(size_t *n)
{
    *n = sizeof(table) / sizeof(table[0]);
    return table;
}

const afz_property *afz_property_find(const char *id)
{
    if (!id)
        return NULL;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i].id, id) == 0)
            return &table[i];
    return NULL;
}
