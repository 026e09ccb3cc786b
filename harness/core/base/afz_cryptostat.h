/* afz_cryptostat.h - process-wide counters of the public-key operations
 * the harness asks OpenSSL for: key generation, JWS signatures and
 * verifications, CSR signatures and verifications, certificate signatures
 * and public-key imports (JWK to key), each per key type, with the bytes
 * signed or verified. Verifications are counted by outcome: a failed one
 * may have stopped early (a malformed signature costs no curve
 * arithmetic), so only successful ones say what a verification costs.
 *
 * Operations made while a world (CA and keys, afz_run.h) is being set up
 * are counted apart, as set-up: a fuzz target makes its world once, on
 * some early input, and its per-input work is what the benchmark needs.
 *
 * They are always on and cost one relaxed atomic add per operation (an
 * ECDSA P-256 signature costs about ten thousand times that). The
 * benchmark (bench/README.md) reads them to replay exactly the crypto a
 * fuzz target did, so the ratio "target / crypto only" is measured, not
 * guessed. Every call site that signs, verifies or generates a key with
 * OpenSSL counts itself, except server mode's own TLS certificate
 * (afz_serve_tls.c), which no fuzz target reaches. */
#ifndef AFZ_CRYPTOSTAT_H
#define AFZ_CRYPTOSTAT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

typedef enum afz_cs_op {
    AFZ_CS_KEYGEN = 0,     /* EVP_PKEY_Q_keygen */
    AFZ_CS_JWS_SIGN,       /* EVP_DigestSign over a JWS signing input */
    AFZ_CS_JWS_VERIFY,     /* EVP_DigestVerify over a JWS signing input: valid */
    AFZ_CS_CSR_SIGN,       /* X509_REQ_sign */
    AFZ_CS_CSR_VERIFY,     /* X509_REQ_verify: valid */
    AFZ_CS_CERT_SIGN,      /* X509_sign */
    AFZ_CS_KEY_IMPORT,     /* a public key from JWK members (EVP_PKEY_fromdata) */
    AFZ_CS_JWS_VERIFY_BAD, /* EVP_DigestVerify that said no (or failed) */
    AFZ_CS_CSR_VERIFY_BAD, /* X509_REQ_verify that said no (or failed) */
    AFZ_CS_OP__COUNT
} afz_cs_op;

typedef enum afz_cs_key {
    AFZ_CS_P256 = 0, /* ECDSA P-256 (ES256) */
    AFZ_CS_P384,     /* ECDSA P-384 (ES384) */
    AFZ_CS_RSA,      /* RSA of any size (RS256; the harness makes 2048) */
    AFZ_CS_ED25519,  /* EdDSA */
    AFZ_CS_OTHER,    /* anything else (a foreign CSR's key, P-521, ...) */
    AFZ_CS_KEY__COUNT
} afz_cs_key;

typedef struct afz_cryptostat {
    uint64_t n[AFZ_CS_OP__COUNT][AFZ_CS_KEY__COUNT];       /* operations */
    uint64_t bytes[AFZ_CS_OP__COUNT][AFZ_CS_KEY__COUNT];   /* bytes signed or verified */
    uint64_t setup_n[AFZ_CS_OP__COUNT][AFZ_CS_KEY__COUNT]; /* operations during set-up */
} afz_cryptostat;

/* afz_cryptostat_key_of classifies |key| (NULL is AFZ_CS_OTHER). */
afz_cs_key afz_cryptostat_key_of(const EVP_PKEY *key);

/* afz_cryptostat_count records one |op| with a key of type |kt| over
 * |bytes| bytes (0 when not meaningful, as for key generation). Safe from
 * any thread. */
void afz_cryptostat_count(afz_cs_op op, afz_cs_key kt, size_t bytes);

/* afz_cryptostat_count_key is afz_cryptostat_count for the type of |key|. */
void afz_cryptostat_count_key(afz_cs_op op, const EVP_PKEY *key, size_t bytes);

/* afz_cryptostat_setup_begin and afz_cryptostat_setup_end bracket the
 * making of a world: operations in between count as set-up. They nest;
 * set-up is process-wide (another thread's operations in between count as
 * set-up too). */
void afz_cryptostat_setup_begin(void);
void afz_cryptostat_setup_end(void);

/* afz_cryptostat_setup_total returns how many set-up operations were
 * counted so far: a cheap way to see that a call made a world. */
uint64_t afz_cryptostat_setup_total(void);

/* afz_cryptostat_snapshot copies the counters into |out| (each counter is
 * read atomically; the set is consistent when no other thread counts). */
void afz_cryptostat_snapshot(afz_cryptostat *out);

/* afz_cryptostat_sub sets |out| = |later| - |earlier|, counter by counter.
 * |out| may alias either argument. */
void afz_cryptostat_sub(const afz_cryptostat *later, const afz_cryptostat *earlier,
                        afz_cryptostat *out);

/* afz_cryptostat_op_name and afz_cryptostat_key_name return static names
 * ("jws_sign", "p256", ...) for the benchmark's output; NULL when out of
 * range. afz_cryptostat_op_from_name and afz_cryptostat_key_from_name map
 * them back and return -1 for an unknown name. */
const char *afz_cryptostat_op_name(afz_cs_op op);
const char *afz_cryptostat_key_name(afz_cs_key kt);
int afz_cryptostat_op_from_name(const char *name);
int afz_cryptostat_key_from_name(const char *name);

#endif
