/* afz_jose.h - keys, JWK (RFC 7517/7518), JWK thumbprints (RFC 7638) and
 * JWS in the flattened JSON serialization (RFC 7515 7.2.2) as ACME uses
 * them (RFC 8555 6.2), all through OpenSSL.
 *
 * Supported algorithms: ES256 (P-256), ES384 (P-384), ES512 (P-521),
 * RS256 (RSA, the server requires >= 2048 bits) and EdDSA (Ed25519).
 * ECDSA signatures are the fixed-width r||s form JWS requires, not DER
 * (RFC 7518 3.4: 64, 96 and 132 bytes). ES512 is appended: the server
 * model accepts it as Pebble does unless strict_keys (afz_server.h), and
 * afz_key_supported leaves P-521 out; no client of this harness signs
 * with it.
 *
 * Client side: afz_jws_sign. Server side: afz_jws_parse then afz_jws_verify;
 * the ACME-level checks (nonce, url, kid versus jwk, allowed algorithms)
 * belong to the server model, which reads the parsed fields. */
#ifndef AFZ_JOSE_H
#define AFZ_JOSE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "afz_buf.h"

typedef enum afz_jws_alg {
    AFZ_ALG_NONE = 0, /* unknown or unsupported */
    AFZ_ALG_ES256 = 1,
    AFZ_ALG_ES384 = 2,
    AFZ_ALG_RS256 = 3,
    AFZ_ALG_EDDSA = 4,
    AFZ_ALG_ES512 = 5 /* appended: P-521 (Pebble's, not Boulder's) */
} afz_jws_alg;

/* afz_jws_alg_name returns "ES256", "ES384", "RS256", "EdDSA", "ES512" or
 * "none". */
const char *afz_jws_alg_name(afz_jws_alg alg);
/* afz_jws_alg_from_name maps a JWS "alg" value; AFZ_ALG_NONE if unknown. */
afz_jws_alg afz_jws_alg_from_name(const char *name);
/* afz_jws_alg_for_key returns the algorithm that signs with |key|: ES256,
 * ES384 or ES512 by curve, RS256 for any RSA key, EdDSA for Ed25519; NONE else. */
afz_jws_alg afz_jws_alg_for_key(EVP_PKEY *key);

/* afz_key_generate makes a new key pair for |alg| (RSA: 2048 bits). The
 * caller frees *out with EVP_PKEY_free. Like afz_jwk_to_key's, the key
 * keeps its algorithm and JWK from creation (afz_jose.c, "per-key memo"):
 * afz_jws_alg_for_key and afz_jwk_text then cost a lookup. */
afz_rc afz_key_generate(afz_jws_alg alg, EVP_PKEY **out);

/* afz_jwk_from_key returns a new cJSON object holding the public JWK of
 * |key| with exactly the required members (EC: crv, kty, x, y; RSA: e,
 * kty, n; OKP: crv, kty, x), in lexicographic order. Caller deletes it. */
afz_rc afz_jwk_from_key(EVP_PKEY *key, cJSON **out);
/* afz_jwk_text appends the compact JSON text of |key|'s public JWK, the
 * bytes afz_json_print of afz_jwk_from_key's object gives (and the RFC
 * 7638 thumbprint input). Keys made by afz_key_generate or afz_jwk_to_key
 * keep it from their creation, so the call is a copy. */
afz_rc afz_jwk_text(EVP_PKEY *key, afz_buf *out);
/* afz_jwk_to_key builds a public key from a JWK object. AFZ_EPARSE for a
 * missing or mistyped member or bad base64url, AFZ_ECRYPTO when OpenSSL
 * rejects the key material (point not on curve, ...). Caller frees *out.
 * An unknown "kty" or "crv", or a coordinate of the wrong length, is
 * AFZ_ECRYPTO too: ACME answers both with badPublicKey. Members beyond the
 * required ones are ignored. */
afz_rc afz_jwk_to_key(const cJSON *jwk, EVP_PKEY **out);
/* afz_jwk_thumbprint appends the base64url SHA-256 JWK thumbprint of
 * |key| (RFC 7638), as used in key authorizations (RFC 8555 8.1). */
afz_rc afz_jwk_thumbprint(EVP_PKEY *key, afz_buf *out);

typedef struct afz_jws_sign_params {
    EVP_PKEY *key;     /* signing key (borrowed) */
    const char *kid;   /* account URL; NULL embeds the public key as "jwk" */
    const char *nonce; /* NULL omits "nonce" (keyChange inner JWS) */
    const char *url;   /* request URL, required */
} afz_jws_sign_params;

/* afz_jws_sign appends a flattened JSON JWS over |n| payload bytes to
 * |out|: {"protected":..,"payload":..,"signature":..}. An empty payload
 * (n == 0) gives "payload":"" as POST-as-GET requires. */
afz_rc afz_jws_sign(const afz_jws_sign_params *p, const void *payload, size_t n, afz_buf *out);

/* afz_jws is a parsed, not yet verified, flattened JWS. Every pointer is
 * owned by the struct (strings point into |protected_hdr|) and lives until
 * afz_jws_cleanup. */
typedef struct afz_jws {
    cJSON *protected_hdr; /* the decoded protected header object */
    afz_jws_alg alg;      /* from "alg"; NONE if absent/unknown */
    const char *alg_name; /* raw "alg" string, NULL if absent/not a string */
    const char *nonce;    /* "nonce", NULL if absent or not a string */
    const char *url;      /* "url", NULL if absent or not a string */
    const char *kid;      /* "kid", NULL if absent or not a string */
    const cJSON *jwk;     /* "jwk" member, NULL if absent */
    int has_kid;          /* "kid" member present (any type) */
    int has_jwk;          /* "jwk" member present (any type) */
    uint8_t *payload;     /* decoded payload, NUL-terminated, owned */
    size_t payload_len;
    char *signing_input; /* ASCII(protected) "." ASCII(payload), owned */
    size_t signing_input_len;
    uint8_t *sig; /* decoded signature, owned */
    size_t sig_len;
} afz_jws;

/* afz_jws_parse parses a request body as a flattened JSON JWS. It rejects
 * (AFZ_EPARSE, *why set to a static one-line reason): non-JSON, a
 * non-object, missing or non-string protected/payload/signature, an
 * unprotected "header" member, the general serialization ("signatures"),
 * invalid or padded base64url, and a protected header that is not a JSON
 * object. It also rejects duplicate member names in the JWS object or the
 * protected header (RFC 7515 4). *why is NULL on success; |why| itself may
 * be NULL. |out| is zeroed first and needs afz_jws_cleanup either way. */
afz_rc afz_jws_parse(const void *body, size_t n, afz_jws *out, const char **why);
/* afz_jws_verify checks the signature with |key|. AFZ_EINVAL when the
 * header's alg does not fit the key type (or is NONE), AFZ_ECRYPTO when the
 * signature does not verify, AFZ_OK when it does. */
afz_rc afz_jws_verify(const afz_jws *jws, EVP_PKEY *key);
void afz_jws_cleanup(afz_jws *jws);

/* Appended for the server model and afz_csr (2 functions, 2 constants). */

/* The RSA modulus sizes accepted for account keys and CSR keys. The upper
 * bound keeps a hostile key from making every verification expensive. */
#define AFZ_RSA_MIN_BITS 2048
#define AFZ_RSA_MAX_BITS 8192
/* Pebble accepts smaller RSA keys (measured: 1024 bits, for accounts and
 * CSRs); server mode does too unless strict_keys (afz_server.h). */
#define AFZ_RSA_MIN_BITS_PEBBLE 1024

/* afz_key_bits returns EVP_PKEY_get_bits of |key| (RSA: modulus bits, EC:
 * group order bits, Ed25519: 253), or 0 for NULL or an unknown size. */
int afz_key_bits(EVP_PKEY *key);
/* afz_key_supported returns 1 when |key| is a key type and size this
 * harness accepts: EC P-256 or P-384, RSA of AFZ_RSA_MIN_BITS to
 * AFZ_RSA_MAX_BITS bits, or Ed25519; 0 otherwise (so 0 for P-521, which
 * only the server's Pebble-compatible default admits: afz_key_pebble). The server applies it to
 * account keys after afz_jwk_to_key (badPublicKey, RFC 8555 6.7), since
 * afz_jwk_to_key and afz_jws_verify accept RSA keys of any size. */
int afz_key_supported(EVP_PKEY *key);
/* afz_key_pebble returns 1 when |key| is one Pebble accepts and
 * afz_key_supported does not: RSA of AFZ_RSA_MIN_BITS_PEBBLE to
 * AFZ_RSA_MIN_BITS - 1 bits, or EC P-521 (measured with Pebble 2.4: ES512
 * account keys and P-521 CSR keys are accepted); 0 otherwise. */
int afz_key_pebble(EVP_PKEY *key);

/* afz_key_set_spki writes the public key of |key| into |spki|, the
 * X509_PUBKEY inside a certificate or request (X509_get_X509_PUBKEY,
 * X509_REQ_get_X509_PUBKEY), for ES256/ES384/ES512 (named curve), RS256 and
 * EdDSA keys. It does what X509_set_pubkey does without OpenSSL 3.0's
 * encoder/decoder round trip, which costs ~0.3 ms a call. |spki| must
 * not hold a key yet (it belongs to a new X509 or X509_REQ); its cached
 * EVP_PKEY stays unset, so do not read the key back from the object
 * being built. AFZ_EINVAL for other key types (callers fall back to
 * X509_set_pubkey). */
afz_rc afz_key_set_spki(X509_PUBKEY *spki, EVP_PKEY *key);

#endif
