/* afz_acme.c - see afz_acme.h. */
#include "afz_acme.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[AFZ_ST__COUNT] = {
    [AFZ_ST_PENDING] = "pending",         [AFZ_ST_READY] = "ready",
    [AFZ_ST_PROCESSING] = "processing",   [AFZ_ST_VALID] = "valid",
    [AFZ_ST_INVALID] = "invalid",         [AFZ_ST_EXPIRED] = "expired",
    [AFZ_ST_DEACTIVATED] = "deactivated", [AFZ_ST_REVOKED] = "revoked",
};

static const char *const obj_names[AFZ_OBJ__COUNT] = {
    [AFZ_OBJ_ACCOUNT] = "account",
    [AFZ_OBJ_ORDER] = "order",
    [AFZ_OBJ_AUTHZ] = "authorization",
    [AFZ_OBJ_CHALLENGE] = "challenge",
};

#define BIT(st) (1u << (st))

/* One row per object: the statuses it may carry, the one it starts in,
 * and the edges of its RFC 8555 7.1.6 diagram as bit sets, next[from]. */
typedef struct obj_states {
    unsigned allowed;
    afz_status initial;
    unsigned next[AFZ_ST__COUNT];
} obj_states;

static const obj_states states[AFZ_OBJ__COUNT] = {
    /* 7.1.6: "Account objects are created in the "valid" state ... If the
     * client wishes to terminate an account, it can request deactivation
     * ... the server can revoke the account". */
    [AFZ_OBJ_ACCOUNT] =
        {
            .allowed = BIT(AFZ_ST_VALID) | BIT(AFZ_ST_DEACTIVATED) | BIT(AFZ_ST_REVOKED),
            .initial = AFZ_ST_VALID,
            .next = {[AFZ_ST_VALID] = BIT(AFZ_ST_DEACTIVATED) | BIT(AFZ_ST_REVOKED)},
        },
    /* 7.1.6, order: pending -> ready (all authorizations valid) ->
     * processing (finalize) -> valid (certificate issued); pending, ready
     * and processing -> invalid ("Error or Authorization failure"). */
    [AFZ_OBJ_ORDER] =
        {
            .allowed = BIT(AFZ_ST_PENDING) | BIT(AFZ_ST_READY) | BIT(AFZ_ST_PROCESSING) |
                       BIT(AFZ_ST_VALID) | BIT(AFZ_ST_INVALID),
            .initial = AFZ_ST_PENDING,
            .next =
                {
                    [AFZ_ST_PENDING] = BIT(AFZ_ST_READY) | BIT(AFZ_ST_INVALID),
                    [AFZ_ST_READY] = BIT(AFZ_ST_PROCESSING) | BIT(AFZ_ST_INVALID),
                    [AFZ_ST_PROCESSING] = BIT(AFZ_ST_VALID) | BIT(AFZ_ST_INVALID),
                },
        },
    /* 7.1.6, authorization: pending -> valid (challenge valid) or invalid
     * (challenge failure or error); pending and valid -> expired,
     * deactivated, revoked. */
    [AFZ_OBJ_AUTHZ] =
        {
            .allowed = BIT(AFZ_ST_PENDING) | BIT(AFZ_ST_VALID) | BIT(AFZ_ST_INVALID) |
                       BIT(AFZ_ST_EXPIRED) | BIT(AFZ_ST_DEACTIVATED) | BIT(AFZ_ST_REVOKED),
            .initial = AFZ_ST_PENDING,
            .next =
                {
                    [AFZ_ST_PENDING] = BIT(AFZ_ST_VALID) | BIT(AFZ_ST_INVALID) |
                                       BIT(AFZ_ST_EXPIRED) | BIT(AFZ_ST_DEACTIVATED) |
                                       BIT(AFZ_ST_REVOKED),
                    [AFZ_ST_VALID] =
                        BIT(AFZ_ST_EXPIRED) | BIT(AFZ_ST_DEACTIVATED) | BIT(AFZ_ST_REVOKED),
                },
        },
    /* 7.1.6, challenge: pending -> processing (response received) ->
     * valid (successful validation) or invalid (failed validation). */
    [AFZ_OBJ_CHALLENGE] =
        {
            .allowed = BIT(AFZ_ST_PENDING) | BIT(AFZ_ST_PROCESSING) | BIT(AFZ_ST_VALID) |
                       BIT(AFZ_ST_INVALID),
            .initial = AFZ_ST_PENDING,
            .next =
                {
                    [AFZ_ST_PENDING] = BIT(AFZ_ST_PROCESSING),
                    [AFZ_ST_PROCESSING] = BIT(AFZ_ST_VALID) | BIT(AFZ_ST_INVALID),
                },
        },
};

static int status_ok(afz_status st)
{
    return (unsigned)st < AFZ_ST__COUNT;
}

static int obj_ok(afz_acme_obj obj)
{
    return (unsigned)obj < AFZ_OBJ__COUNT;
}

const char *afz_status_name(afz_status st)
{
    return status_ok(st) ? status_names[st] : NULL;
}

int afz_status_parse(const char *s, afz_status *out)
{
    if (!s)
        return 0;
    for (unsigned i = 0; i < AFZ_ST__COUNT; i++)
        if (strcmp(s, status_names[i]) == 0) {
            *out = (afz_status)i;
            return 1;
        }
    return 0;
}

const char *afz_acme_obj_name(afz_acme_obj obj)
{
    return obj_ok(obj) ? obj_names[obj] : "unknown";
}

int afz_status_allowed(afz_acme_obj obj, afz_status st)
{
    return obj_ok(obj) && status_ok(st) && (states[obj].allowed & BIT(st)) != 0;
}

afz_status afz_status_initial(afz_acme_obj obj)
{
    return obj_ok(obj) ? states[obj].initial : AFZ_ST_PENDING;
}

int afz_status_transition_allowed(afz_acme_obj obj, afz_status from, afz_status to)
{
    return afz_status_allowed(obj, from) && afz_status_allowed(obj, to) &&
           (states[obj].next[from] & BIT(to)) != 0;
}

int afz_status_reachable(afz_acme_obj obj, afz_status from, afz_status to)
{
    if (!afz_status_allowed(obj, from) || !afz_status_allowed(obj, to))
        return 0;
    /* the closure of next[] from |from|: at most AFZ_ST__COUNT rounds */
    unsigned seen = states[obj].next[from];
    for (unsigned round = 0; round < AFZ_ST__COUNT; round++) {
        unsigned more = seen;
        for (unsigned st = 0; st < AFZ_ST__COUNT; st++)
            if (seen & BIT(st))
                more |= states[obj].next[st];
        if (more == seen)
            break;
        seen = more;
    }
    return (seen & BIT(to)) != 0;
}

int afz_status_final(afz_acme_obj obj, afz_status st)
{
    return afz_status_allowed(obj, st) && states[obj].next[st] == 0;
}

int afz_status_final_failure(afz_status st)
{
    if (st == AFZ_ST_VALID)
        return 0;
    for (unsigned o = 0; o < AFZ_OBJ__COUNT; o++)
        if (afz_status_final((afz_acme_obj)o, st))
            return 1;
    return 0;
}

/* RFC 8555 6.7's table, in its order; the HTTP status is the one Boulder
 * and Pebble answer with (RFC 8555 leaves it to the server). */
static const afz_problem_type problem_types[] = {
    {"accountDoesNotExist", 400, "the request specified an account that does not exist"},
    {"alreadyRevoked", 400, "the certificate to revoke was already revoked"},
    {"badCSR", 400, "the CSR is unacceptable (e.g., due to a short key)"},
    {"badNonce", 400, "the client sent an unacceptable anti-replay nonce"},
    {"badPublicKey", 400, "the JWS was signed by a public key the server does not support"},
    {"badRevocationReason", 400, "the revocation reason provided is not allowed by the server"},
    {"badSignatureAlgorithm", 400,
     "the JWS was signed with an algorithm the server does not "
     "support"},
    {"caa", 403, "CAA records forbid the CA from issuing a certificate"},
    {"compound", 400, "specific error conditions are indicated in the subproblems array"},
    {"connection", 400, "the server could not connect to validation target"},
    {"dns", 400, "there was a problem with a DNS query during identifier validation"},
    {"externalAccountRequired", 403,
     "the request must include a value for the "
     "externalAccountBinding field"},
    {"incorrectResponse", 403, "response received didn't match the challenge's requirements"},
    {"invalidContact", 400, "a contact URL for an account was invalid"},
    {"malformed", 400, "the request message was malformed"},
    {"orderNotReady", 403, "the request attempted to finalize an order that is not ready"},
    {"rateLimited", 429, "the request exceeds a rate limit"},
    {"rejectedIdentifier", 400, "the server will not issue certificates for the identifier"},
    {"serverInternal", 500, "the server experienced an internal error"},
    {"tls", 400, "the server received a TLS error during validation"},
    {"unauthorized", 403, "the client lacks sufficient authorization"},
    {"unsupportedContact", 400,
     "a contact URL for an account used an unsupported protocol "
     "scheme"},
    {"unsupportedIdentifier", 400, "an identifier is of an unsupported type"},
    {"userActionRequired", 403, "visit the \"instance\" URL and take actions specified there"},
};

const afz_problem_type *afz_problem_types(size_t *n)
{
    *n = sizeof(problem_types) / sizeof(problem_types[0]);
    return problem_types;
}

const afz_problem_type *afz_problem_type_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof(problem_types) / sizeof(problem_types[0]); i++)
        if (strcmp(problem_types[i].name, name) == 0)
            return &problem_types[i];
    return NULL;
}

afz_rc afz_json_string_append(afz_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    afz_rc rc = afz_buf_append(out, "\"", 1);
    size_t run = 0; /* bytes of |s| before i that need no escape, not yet copied */
    for (size_t i = 0; rc == AFZ_OK && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c != '"' && c != '\\' && c >= 0x20 && c < 0x7f) {
            run++;
            continue;
        }
        rc = afz_buf_append(out, s + i - run, run);
        run = 0;
        char esc[7] = {'\\', (char)c, 0};
        size_t k = 2;
        if (c >= 0x7f) {
            esc[0] = '?';
            k = 1;
        } else if (c < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            k = 6;
        }
        if (rc == AFZ_OK)
            rc = afz_buf_append(out, esc, k);
    }
    if (rc == AFZ_OK)
        rc = afz_buf_append(out, s + n - run, run);
    if (rc == AFZ_OK)
        rc = afz_buf_append(out, "\"", 1);
    return rc;
}

afz_rc afz_problem_body(afz_buf *out, int status, const char *type, const char *detail,
                        size_t detail_len, const char *extra)
{
    afz_rc rc = afz_buf_puts(out, "{\"type\":\"" AFZ_ACME_ERROR_PREFIX);
    if (rc == AFZ_OK)
        rc = afz_buf_puts(out, type ? type : "");
    if (rc == AFZ_OK)
        rc = afz_buf_puts(out, "\",\"detail\":");
    if (rc == AFZ_OK)
        rc = afz_json_string_append(out, detail ? detail : "", detail ? detail_len : 0);
    if (rc == AFZ_OK)
        rc = afz_buf_printf(out, ",\"status\":%d", status);
    if (rc == AFZ_OK && extra)
        rc = afz_buf_puts(out, extra);
    if (rc == AFZ_OK)
        rc = afz_buf_puts(out, "}");
    return rc;
}

static const char *const tokens[] = {
    /* objects (RFC 8555 7.1.1-7.1.5) and the directory */
    "status", "contact", "termsOfServiceAgreed", "onlyReturnExisting", "orders",
    "externalAccountBinding", "expires", "identifiers", "notBefore", "notAfter", "error",
    "authorizations", "finalize", "certificate", "identifier", "challenges", "wildcard", "type",
    "value", "url", "token", "validated", "subproblems", "detail", "newNonce", "newAccount",
    "newOrder", "newAuthz", "revokeCert", "keyChange", "meta", "termsOfService", "website",
    "caaIdentities", "csr", "reason", "account", "oldKey", "protected", "payload", "signature",
    "alg", "nonce", "jwk", "kid",
    /* identifier and challenge types (RFC 8555 7.1.3, 8.3, 8.4; RFC 8737) */
    "dns", "http-01", "dns-01", "tls-alpn-01",
    /* headers and media types (RFC 8555 6.2, 6.5, 7.4.2, 9.1) */
    "Replay-Nonce", "Retry-After", "Location", "Link", "Content-Type", "application/jose+json",
    "application/problem+json", "application/pem-certificate-chain", "rel=\"index\"", "rel=\"up\"",
    "rel=\"alternate\"", "-----BEGIN CERTIFICATE-----", "GMT", AFZ_ACME_ERROR_PREFIX, "ES256",
    "ES384", "RS256", "EdDSA"};

const char *const *afz_acme_tokens(size_t *n)
{
    *n = sizeof(tokens) / sizeof(tokens[0]);
    return tokens;
}
