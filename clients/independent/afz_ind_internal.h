/* afz_ind_internal.h - the independent client's wire helpers
 * (afz_ind_wire.c): base64url, JWS, CSR, Retry-After and the PEM chain
 * check. Pure functions over bytes and OpenSSL keys; no I/O, no clock
 * (the caller passes "now"). Written for this client alone: nothing here
 * calls the harness, so its bugs are its own. */
#ifndef AFZ_IND_INTERNAL_H
#define AFZ_IND_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "afz_rc.h"

/* Longest Replay-Nonce accepted; longer ones are ignored as invalid. */
#define AFZ_IND_NONCE_MAX 256
/* Longest JWK text: an RSA-8192 modulus is 1366 base64url characters. */
#define AFZ_IND_JWK_MAX 1600

/* An account key as the JWS needs it: "alg", the JWK (RFC 7638 canonical
 * member order, so it doubles as the thumbprint input) and the digest. */
typedef struct afz_ind_key {
    EVP_PKEY *pkey;   /* borrowed */
    const char *alg;  /* "ES256", "ES384", "RS256" or "EdDSA" */
    const EVP_MD *md; /* NULL for EdDSA (one-shot signing) */
    size_t ec_half;   /* ECDSA: bytes of r and of s (32, 48); 0 otherwise */
    char jwk[AFZ_IND_JWK_MAX];
} afz_ind_key;

/* afz_ind_key_init picks alg from the key type (P-256 ES256, P-384 ES384,
 * RSA RS256, Ed25519 EdDSA) and writes the JWK. AFZ_EINVAL for any other
 * key. */
afz_rc afz_ind_key_init(EVP_PKEY *pkey, afz_ind_key *k);

/* afz_ind_b64url encodes |n| bytes without padding into a malloc'd,
 * NUL-terminated string (*out, freed by the caller). */
afz_rc afz_ind_b64url(const void *p, size_t n, char **out);

/* afz_ind_nonce_ok: RFC 8555 6.5.1, value = 1*base64url, and at most
 * AFZ_IND_NONCE_MAX characters. */
int afz_ind_nonce_ok(const char *s);

/* afz_ind_jws builds the flattened JWS JSON of RFC 8555 6.2 for |url|:
 * "kid" when |kid| is set, "jwk" otherwise; |payload| "" makes a
 * POST-as-GET (6.3). *out is malloc'd text. */
afz_rc afz_ind_jws(const afz_ind_key *k, const char *kid, const char *nonce, const char *url,
                   const char *payload, char **out);

/* afz_ind_thumbprint writes the RFC 7638 SHA-256 thumbprint of the key,
 * base64url (43 characters), into |out|. */
afz_rc afz_ind_thumbprint(const afz_ind_key *k, char out[64]);

/* afz_ind_csr makes a CSR for |names| (DNS names, SAN extension, CN the
 * first name when it fits), signed with |key|, as base64url DER (RFC 8555
 * 7.4 "csr"). *out is malloc'd. */
afz_rc afz_ind_csr(EVP_PKEY *key, const char *const *names, size_t n, char **out);

/* What a response's Retry-After says. */
typedef enum afz_ind_ra {
    AFZ_IND_RA_NONE = 0, /* no header */
    AFZ_IND_RA_OK = 1,   /* one usable value: *delay_ms is set (>= 0) */
    AFZ_IND_RA_BAD = 2   /* unusable: malformed, repeated, past, or over max_ms */
} afz_ind_ra;

/* afz_ind_retry_after reads the |count| Retry-After values |values|
 * (RFC 9110 10.2.3: delay-seconds or HTTP-date) received at |now_ms|
 * (Unix milliseconds). Delays over |max_ms| are unusable. */
afz_ind_ra afz_ind_retry_after(const char *const *values, size_t count, int64_t now_ms,
                               int64_t max_ms, int64_t *delay_ms);

/* afz_ind_http_date parses an HTTP-date (RFC 9110 5.6.7: IMF-fixdate, and
 * the obsolete RFC 850 and asctime forms a recipient MUST accept) into
 * Unix seconds. Returns 1 on success, 0 otherwise. */
int afz_ind_http_date(const char *s, int64_t *unix_s);

/* afz_ind_chain_check checks a downloaded application/pem-certificate-chain
 * (RFC 8555 9.1, 11.4): one or more CERTIFICATE blocks and nothing else but
 * whitespace, each an X.509 certificate, one of them for |leaf_key|.
 * AFZ_OK, or AFZ_EPROTO with the reason in |why|. */
afz_rc afz_ind_chain_check(const char *pem, size_t n, EVP_PKEY *leaf_key, char *why, size_t whylen);

#endif
