/* afz_reference.h - configuration of the reference ACME client.
 *
 * The reference client (afz_client_reference, declared in afz_client.h)
 * obtains a certificate exactly as RFC 8555 describes: directory, nonce,
 * account, order, authorizations, challenge, polling with Retry-After,
 * finalize at most once, download from the order's "certificate" URL. Its
 * afz_client.config points at an afz_reference_config, or is NULL for the
 * defaults of afz_reference_config_default. In a config, a zero field
 * (or NULL user_agent) means "the default", so a designated initializer
 * names only what differs: {.quirks = AFZ_REF_QUIRK_NO_BACKOFF}.
 * struct_size 0 means the whole struct; otherwise only that many bytes
 * are read, so configs compiled against an older header keep working.
 *
 * Zoo clients (deliberately buggy clients modelled on real incidents) are
 * the reference client with one behaviour changed: an afz_client whose
 * .obtain is afz_reference_obtain and whose .config is a config with one
 * AFZ_REF_QUIRK_* bit set. Everything else stays spec-faithful, so the
 * property that catches the zoo client is the one the quirk breaks.
 *
 * State (campaign mode). When the environment has a state store
 * (afz_env.state_get/state_put), the client keeps its current order under
 * the key "order:<sorted lower-cased identifiers joined by ','>" (or
 * "order:sha256:<hex>" when that is too long), as a client's state
 * directory does: saved right after newOrder, marked once a finalize is
 * accepted, deleted after the certificate is downloaded or the order is
 * seen invalid. The next obtain for the same identifiers first fetches
 * the saved order and carries on from its status (valid: download;
 * processing: poll; ready: finalize unless a finalize was accepted
 * before; pending: authorizations); an invalid, unreadable or unknown
 * (4xx) order is forgotten and a new one made. So a scheduler retrying
 * after, say, a lost certificate download does not issue twice. */
#ifndef AFZ_REFERENCE_H
#define AFZ_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

#include "afz_client.h"

/* Deliberate quirks, one bit each, all implemented. Each names the
 * real-world bug it reproduces; the property that must catch it is in
 * brackets. Bits are append-only: never renumber or reuse one. */
typedef enum afz_ref_quirk {
    /* Poll on back-off alone; never read Retry-After [respects-retry-after]. */
    AFZ_REF_QUIRK_IGNORE_RETRY_AFTER = 1u << 0,
    /* POST-as-GET with payload "{}" instead of "" [post-as-get-empty]. */
    AFZ_REF_QUIRK_POST_AS_GET_BRACES = 1u << 1,
    /* Trigger the challenge with payload "" instead of "{}": the challenge
     * never starts [no-unasked-authz-polls / succeeds-under-legal]. */
    AFZ_REF_QUIRK_CHALLENGE_EMPTY_PAYLOAD = 1u << 2,
    /* Re-POST finalize whenever the order shows "processing" (Crypt-LE #65)
     * [no-refinalize]. */
    AFZ_REF_QUIRK_REFINALIZE_ON_PROCESSING = 1u << 3,
    /* bit 4 retired: finalize_without_ready, which no zoo client used */
    /* Take "certificate" from the finalize response and download it at
     * once whatever the status; fail when absent (dehydrated < 0.7)
     * [cert-url-from-order / succeeds-under-legal]. */
    AFZ_REF_QUIRK_CERT_FROM_FINALIZE = 1u << 5,
    /* Download the certificate from the finalize response's Location header
     * [cert-url-from-order]. */
    AFZ_REF_QUIRK_CERT_URL_FROM_LOCATION = 1u << 6,
    /* bit 7 retired: poll_finalize_url, which no zoo client used */
    /* Poll without sleeping at all [poll-backoff]. */
    AFZ_REF_QUIRK_NO_BACKOFF = 1u << 8,
    /* bit 9 retired: unbounded_polls, which no zoo client used */
    /* Retry badNonce with the rejected nonce instead of the error's fresh
     * one (acmephp #211) [nonce-discipline]. */
    AFZ_REF_QUIRK_REUSE_REJECTED_NONCE = 1u << 10,
    /* Retry 429/503 at once, resending the same JWS and nonce
     * (node-acme-client #103) [respects-retry-after / nonce-discipline]. */
    AFZ_REF_QUIRK_RETRY_SAME_JWS = 1u << 11,
    /* bit 12 retired: httpdate_fatal, which no zoo client used */
    /* bit 13 retired: answer_valid_authz, which no zoo client used */
    /* Treat "invalid" as "keep polling" (certbot #9296) [final-states-final]. */
    AFZ_REF_QUIRK_POLL_AFTER_INVALID = 1u << 14,
    /* After any failure past newOrder, start over with a new order, up to
     * 5 orders (vercel-acme 2023-07) [no-duplicate-issuance /
     * bounded-new-orders]. */
    AFZ_REF_QUIRK_REORDER_ON_FAILURE = 1u << 15,
    /* An order seen "processing" is a failed issuance: forget the saved
     * order and fail, so the next scheduled attempt orders again
     * (Certes #235, stonemax/acme2 #13) [no-orphan-issuance]. */
    AFZ_REF_QUIRK_PROCESSING_IS_FAILURE = 1u << 16,
    /* Read an HTTP-date Retry-After as 0 seconds, the way atoi() reads
     * "Wed, 21 Oct ..." (acme.sh #4543, #7201) [respects-retry-after]. */
    AFZ_REF_QUIRK_HTTPDATE_AS_ZERO = 1u << 17,
    /* Accumulate delay-seconds in a 32-bit signed int: values of 2^31 and
     * more wrap, and a negative wait means "no wait"
     * [respects-retry-after]. */
    AFZ_REF_QUIRK_RETRY_AFTER_INT32 = 1u << 18,
    /* Trust any Retry-After: no max_wait_ms limit, sleep as long as the
     * server says [terminates]. */
    AFZ_REF_QUIRK_NO_WAIT_LIMIT = 1u << 19,
    /* Treat badNonce as a fatal error instead of retrying (certes #238,
     * simp_le #138) [succeeds-under-legal]. */
    AFZ_REF_QUIRK_NO_BAD_NONCE_RETRY = 1u << 20,
    /* After answering a challenge, "poll" by re-POSTing {} to the
     * challenge instead of POST-as-GET of the authorization
     * [succeeds-under-legal]. */
    AFZ_REF_QUIRK_REPOST_CHALLENGE = 1u << 21,
    /* Never read or write the state store: a scheduler's retry orders
     * again although the last order was finalized (cert-manager #3990)
     * [no-duplicate-issuance]. */
    AFZ_REF_QUIRK_IGNORE_STATE = 1u << 22,
    /* Compare the order's "status" string without checking that it is a
     * string: a missing or mistyped status dereferences NULL [crash]. */
    AFZ_REF_QUIRK_TRUST_STATUS_FIELD = 1u << 23,
    /* Ignore every Retry-After and retry a 429 or 503 at once (acme.sh
     * #4543: "retried immediately on any Retry-After, including 429s
     * carrying days") [respects-retry-after]. */
    AFZ_REF_QUIRK_RETRY_AT_ONCE = 1u << 24,
    /* Poll every 2 s whatever Retry-After says (acme-tiny's fixed
     * time.sleep(2) between polls, measured in README) [respects-retry-after]. */
    AFZ_REF_QUIRK_FIXED_POLL = 1u << 25
} afz_ref_quirk;

/* AFZ_REF_QUIRK_COUNT is how many bit positions have been given out (the
 * retired ones included); AFZ_REF_QUIRKS_ALL masks the live bits. A
 * retired bit in a config is ignored, like any unknown bit. */
#define AFZ_REF_QUIRK_COUNT 26u
#define AFZ_REF_QUIRKS_RETIRED                                                                     \
    ((uint32_t)((1u << 4) | (1u << 7) | (1u << 9) | (1u << 12) | (1u << 13)))
#define AFZ_REF_QUIRKS_ALL ((uint32_t)(0x3ffffffu & ~AFZ_REF_QUIRKS_RETIRED))

typedef struct afz_reference_config {
    uint32_t struct_size;              /* sizeof(afz_reference_config) */
    uint32_t quirks;                   /* afz_ref_quirk bits; 0 for the reference */
    const char *user_agent;            /* User-Agent of every request */
    unsigned max_polls;                /* polls per order or authorization (20) */
    unsigned max_requests;             /* HTTP requests per obtain (200) */
    unsigned max_bad_nonce_retries;    /* badNonce retries per request (5) */
    unsigned max_rate_limit_retries;   /* 429 / 503 retries per request (3) */
    unsigned max_server_error_retries; /* 500 retries per request (1) */
    unsigned max_transport_retries;    /* idempotent retries after no answer (3) */
    unsigned max_finalize_attempts;    /* finalize POSTs per order (3) */
    int64_t max_wait_ms;               /* longest single wait (1 hour); more is a failure */
    int64_t backoff_base_ms;           /* first back-off step (1 s), doubled per step */
    int64_t backoff_cap_ms;            /* back-off ceiling before jitter (30 s) */
} afz_reference_config;

/* afz_reference_config_default fills |c| with the reference behaviour:
 * no quirks, User-Agent "acmefuzz-reference/0.1", and the limits noted
 * beside each field. */
AFZ_API void afz_reference_config_default(afz_reference_config *c);

/* afz_reference_obtain is the reference client's obtain function, for zoo
 * clients that reuse it with another config. self->config may be NULL
 * (defaults) or an afz_reference_config whose struct_size is honoured:
 * fields past it keep their defaults. See afz_client.h for the contract. */
AFZ_API afz_rc afz_reference_obtain(const afz_client *self, const afz_env *env,
                                    const afz_obtain_params *p, afz_obtain_result *out);

#endif
