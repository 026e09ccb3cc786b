/* afz_fuzz_request.h - arbitrary client requests for the server model's
 * hardening target (targets/fuzz_server.c): a total decoder from bytes to
 * a request sequence, and a session that makes each decoded request
 * concrete (signed with the world's keys, carrying the last Replay-Nonce
 * and the URLs the server handed out so far), serves it with
 * afz_server_handle on a fresh server and checks the invariants every
 * answer must meet.
 *
 * The decoded form is abstract on purpose: signatures, nonces and URLs are
 * made at run time, so a short input drives the whole RFC 8555 flow
 * (account, order, challenge, finalize, certificate, revocation, key
 * change) while any byte still decodes to something.
 *
 * Binary layout. afz_fuzz_request_decode is total: every byte string is a
 * sequence. Choices are read from the front and byte runs from the back
 * (the FuzzedDataProvider split, google/fuzzing docs/split-inputs.md), so
 * growing a payload does not shift the choices:
 *
 *   byte 0     server configuration, AFZ_FREQ_CFG_* bits
 *   then records of 4 bytes, at most AFZ_FUZZ_REQUEST_MAX:
 *     +0 sel    bits 0-3 target (afz_freq_target)
 *               bits 4-6 method: 0-3 POST, 4 GET, 5 HEAD, 6 PUT,
 *                        7 the run's first 15 bytes as the method
 *               bit  7   advance the virtual clock first (step: var 6-7)
 *     +1 flags  bits 0-1 the signing key's slot, bit 7 adding 4: the
 *                        world's ES256, EdDSA, P-256 certificate key,
 *                        ES256; with bit 7 ES384, RS256, EdDSA,
 *                        certificate key (the slow keys are rare)
 *               bit  2   embed the key as "jwk" instead of naming "kid"
 *               bits 3-5 body (afz_freq_body)
 *               bit  6   wrong Content-Type (application/json)
 *     +2 var    what the payload template does, per target (see the
 *               AFZ_FREQ_* target list below); bits 6-7 the clock step:
 *               1 s, 10 min, 1 day, 31 days
 *     +3 len    the byte run's length: 0..127 as is, 128..255 mean
 *               128 + (len - 128) * 16. A broken JWS reads bits 0-3 as
 *               the breakage (afz_freq_break) and bits 4-7 as the length.
 *   Each record takes its run, min(length, bytes left) bytes, from the
 *   back: the first record's run is the input's last bytes, the next
 *   record's run the bytes before them, and so on. A record cut short by
 *   the end of the choices reads as if padded with zeros; decoding stops
 *   when no choice byte is left.
 *
 * An encoder lays a sequence out as: config, the records, then the runs
 * in reverse order (last record's run first). scripts/make-corpus.sh
 * writes the seeds that way.
 *
 * Invariants checked on every answer (afz_fuzz_request_run returns
 * AFZ_EFAIL and says which one failed):
 *   - afz_server_handle returns AFZ_OK (there is no fault engine here);
 *   - the status is in 100..599;
 *   - a status >= 400 comes with an application/problem+json body that
 *     parses as a JSON object whose "type" starts with
 *     "urn:ietf:params:acme:error:" and whose "status", when present,
 *     equals the HTTP status; a problem body never comes with a status
 *     below 400;
 *   - an application/json body parses as JSON;
 *   - every answer to a POST carries exactly one Replay-Nonce;
 *   - every answer carries Link rel="index" (RFC 8555 7.1);
 *   - no body exceeds AFZ_FUZZ_REQUEST_MAX_BODY bytes;
 *   - afz_server_handle leaves no error on OpenSSL's per-thread queue (in
 *     server mode a stale entry would be reported by the next
 *     SSL_get_error on that thread, and under libFuzzer it unbalances
 *     mallocs and frees, which turns leak detection off).
 * Memory stays bounded because a sequence is at most AFZ_FUZZ_REQUEST_MAX
 * requests of at most a few KiB each (LeakSanitizer checks the rest). */
#ifndef AFZ_FUZZ_REQUEST_H
#define AFZ_FUZZ_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "afz_buf.h"
#include "afz_history.h"
#include "afz_run.h"

#define AFZ_FUZZ_REQUEST_MAX 32
#define AFZ_FUZZ_REQUEST_RECORD_BYTES 4
/* A response body above this breaks the "bounded memory" invariant. */
#define AFZ_FUZZ_REQUEST_MAX_BODY ((size_t)1 << 20)

/* Server configuration bits (byte 0). */
#define AFZ_FREQ_CFG_ASYNC 0x01       /* async finalize, 1 poll, Retry-After 1 */
#define AFZ_FREQ_CFG_SLOW_AUTHZ 0x02  /* 1 authz poll and 1 s before valid */
#define AFZ_FREQ_CFG_ORDER_REUSE 0x04 /* identical newOrder hands back the order */
#define AFZ_FREQ_CFG_AUTHZ_REUSE 0x08 /* valid authorizations are reused */
#define AFZ_FREQ_CFG_TINY 0x10        /* 2 accounts, 2 orders, 3 authzs, 4 nonces */
#define AFZ_FREQ_CFG_SHORT_LIVED 0x20 /* nonces live 60 s, orders 1 h, authzs 2 h */
#define AFZ_FREQ_CFG_ALT_CHAINS 0x40  /* 2 alternate chains; Retry-After as dates */
#define AFZ_FREQ_CFG_READY 0x80       /* orders ready at creation */

/* Targets (sel bits 0-3), with what |var| does in their payload template
 * ("var 2" is bit 2 of var, "var 0-1" the value of bits 0-1; RUN is the
 * record's byte run as text, NUL bytes made '%'). A URL the server has
 * not handed out yet is replaced by one under the same path with an id
 * that does not exist. */
typedef enum afz_freq_target {
    AFZ_FREQ_DIRECTORY = 0,      /* var 0: "{}" instead of "" */
    AFZ_FREQ_NEW_NONCE = 1,      /* var 0: "{}" instead of "" */
    AFZ_FREQ_NEW_ACCOUNT = 2,    /* var 0 termsOfServiceAgreed, 1 contact mailto:RUN,
                                    2 onlyReturnExisting, 3 externalAccountBinding {} */
    AFZ_FREQ_NEW_ORDER = 3,      /* var 0-1 names - 1 (example.com, www.example.com,
                                    *.example.net, example.org), 2 the last value is
                                    the run, 3 adds notBefore */
    AFZ_FREQ_REVOKE = 4,         /* var 0-1 certificate: last downloaded leaf, the CA
                                    intermediate, base64url(RUN), RUN as text;
                                    2-5 reason: 0 absent, n: n - 1 */
    AFZ_FREQ_KEY_CHANGE = 5,     /* var 0-1 new key's slot; 2 wrong "account" (RUN);
                                    3 oldKey is the new key; 4-5 inner JWS broken:
                                    0 no, 1 has a nonce, 2 kid and jwk, 3 wrong url */
    AFZ_FREQ_ACCOUNT = 6,        /* the signing key's account URL; var 0-1: "",
                                    contact mailto:RUN, deactivate, status RUN */
    AFZ_FREQ_ACCOUNT_ORDERS = 7, /* account "orders" URL; var 0: "{}" */
    AFZ_FREQ_ORDER = 8,          /* last order URL; var 0: "{}" */
    AFZ_FREQ_AUTHZ = 9,          /* var 4-5 which of the order's authorizations;
                                    var 0: deactivate */
    AFZ_FREQ_CHALLENGE = 10,     /* var 4-5 which challenge of the last authorization;
                                    var 0-1: {}, "", keyAuthorization RUN, type RUN */
    AFZ_FREQ_FINALIZE = 11,      /* var 0-1 CSR: order names with the certificate
                                    key, with the account key, names plus
                                    extra.example.com, the run's bytes; var 2
                                    flips a bit at the eighth (var 3-5) of it */
    AFZ_FREQ_CERT = 12,          /* last certificate URL; var 0: "{}" */
    AFZ_FREQ_LINK = 13,          /* var 4-5: the newest Link rel=up/alternate URLs,
                                    newest first */
    AFZ_FREQ_PATH = 14,          /* base URL + "/" + RUN; var 0: RUN alone as the URL */
    AFZ_FREQ_SUFFIX = 15         /* a URL handed out (var 2-5 picks which) + RUN */
} afz_freq_target;

typedef enum afz_freq_body {
    AFZ_FREQ_BODY_JWS = 0,       /* 0-2: signed JWS over the target's template */
    AFZ_FREQ_BODY_JWS_RAW = 3,   /* signed JWS over the run's bytes */
    AFZ_FREQ_BODY_JWS_EMPTY = 4, /* signed JWS, empty payload (POST-as-GET) */
    AFZ_FREQ_BODY_BROKEN = 5,    /* the template JWS with one field broken */
    AFZ_FREQ_BODY_RAW = 6,       /* the run's bytes as the body */
    AFZ_FREQ_BODY_NONE = 7       /* no body */
} afz_freq_body;

/* What a broken JWS breaks (len bits 0-3). The header is edited after
 * signing, so only the failures the server checks before the signature
 * show as themselves; the others end in a verification error. */
typedef enum afz_freq_break {
    AFZ_FREQ_BREAK_NONCE = 0,      /* a well-formed nonce never issued */
    AFZ_FREQ_BREAK_REPLAY = 1,     /* the nonce the previous JWS used */
    AFZ_FREQ_BREAK_URL = 2,        /* "url" names another resource */
    AFZ_FREQ_BREAK_KID_JWK = 3,    /* both "kid" and "jwk" */
    AFZ_FREQ_BREAK_ALG_NONE = 4,   /* "alg":"none" */
    AFZ_FREQ_BREAK_ALG_OTHER = 5,  /* an algorithm that does not fit the key */
    AFZ_FREQ_BREAK_BASE64 = 6,     /* padded base64url in "protected" */
    AFZ_FREQ_BREAK_SIGNATURE = 7,  /* one signature character changed */
    AFZ_FREQ_BREAK_NO_NONCE = 8,   /* no "nonce" */
    AFZ_FREQ_BREAK_NO_URL = 9,     /* no "url" */
    AFZ_FREQ_BREAK_NO_ALG = 10,    /* no "alg" */
    AFZ_FREQ_BREAK_NO_KEY = 11,    /* neither "kid" nor "jwk" */
    AFZ_FREQ_BREAK_KID_TYPE = 12,  /* "kid" is a number (and no "jwk") */
    AFZ_FREQ_BREAK_JWK_TYPE = 13,  /* "jwk" is the string RUN (and no "kid") */
    AFZ_FREQ_BREAK_JWK_CURVE = 14, /* "jwk" is a P-256 point off the curve */
    AFZ_FREQ_BREAK_NONCE_RUN = 15  /* "nonce" is RUN */
} afz_freq_break;

/* One decoded request. |run| borrows from the decoded input. */
typedef struct afz_fuzz_request {
    afz_freq_target target;
    unsigned method; /* sel bits 4-6 */
    int tick;        /* advance the clock before this request */
    unsigned key;    /* key slot 0..7 (flags bits 0-1, 7) */
    int use_jwk;
    afz_freq_body body; /* flags 3-5 values 0..2 all decode to AFZ_FREQ_BODY_JWS */
    int bad_ctype;
    uint8_t var;
    afz_freq_break brk; /* AFZ_FREQ_BODY_BROKEN only */
    const uint8_t *run;
    size_t run_len;
} afz_fuzz_request;

typedef struct afz_fuzz_requests {
    uint8_t config;
    size_t n;
    afz_fuzz_request v[AFZ_FUZZ_REQUEST_MAX];
} afz_fuzz_requests;

/* afz_fuzz_request_decode reads any |n| bytes into |out| (total). The
 * runs point into |data|, which must outlive |out|. */
void afz_fuzz_request_decode(const uint8_t *data, size_t n, afz_fuzz_requests *out);

/* afz_fuzz_request_run serves |seq| to a fresh server model (configured
 * from seq->config, base URL "https://acme.invalid", one blocked name
 * "blocked.test") on a fresh virtual clock, signing with |w|'s keys. The
 * PRNG, and OpenSSL's when afz_detrand is installed, are reseeded with a
 * fixed value first, so the same sequence gives the same exchanges. Every
 * exchange and server event is appended to |hist| (reset it between
 * runs). Returns AFZ_OK when every answer met the invariants above,
 * AFZ_EFAIL when one did not (|why| then holds one line naming the
 * request, the invariant and the answer), AFZ_ENOMEM. */
afz_rc afz_fuzz_request_run(const afz_world *w, const afz_fuzz_requests *seq, afz_history *hist,
                            afz_buf *why);

/* afz_fuzz_request_world returns the per-process world the hardening
 * targets share: afz_detrand installed, the CA and keys made on first
 * use and released at exit. Exits with a message if they cannot be made.
 * Borrowed for the life of the process. */
const afz_world *afz_fuzz_request_world(void);

#endif
