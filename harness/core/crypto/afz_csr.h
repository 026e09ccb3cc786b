/* afz_csr.h - certificate signing requests (PKCS#10) for ACME finalize
 * (RFC 8555 7.4): building one on the client side, checking one on the
 * server side. OpenSSL does the parsing and the signature check. */
#ifndef AFZ_CSR_H
#define AFZ_CSR_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "afz_buf.h"

/* afz_csr_build appends the DER of a CSR for |n| DNS names signed by
 * |key| (SHA-256; Ed25519 signs without a digest): subject CN is the first
 * name, subjectAltName holds every name as dNSName. A first name longer
 * than 64 bytes (the CN upper bound) leaves the subject empty. Names are
 * not validated, so a test client can build a CSR the server must refuse.
 * AFZ_EINVAL for n == 0. */
afz_rc afz_csr_build(EVP_PKEY *key, const char *const *names, size_t n, afz_buf *der);

typedef enum afz_csr_verdict {
    AFZ_CSR_OK = 0,
    AFZ_CSR_UNPARSABLE,      /* not DER PKCS#10 */
    AFZ_CSR_BAD_SIGNATURE,   /* self-signature does not verify */
    AFZ_CSR_UNSUPPORTED_KEY, /* not EC P-256/P-384, RSA >= 2048 or Ed25519
                                (afz_key_supported: RSA at most 8192),
                                nor a key afz_key_pebble admits */
    AFZ_CSR_NO_NAMES,        /* neither CN nor SAN names anything */
    AFZ_CSR_BAD_NAME,        /* a SAN that is not a dNSName, or a bad name */
    AFZ_CSR_NAMES_MISMATCH,  /* names differ from the order's identifiers */
    AFZ_CSR_ACCOUNT_KEY,     /* CSR key equals the account key (RFC 8555 11.1) */
    AFZ_CSR_WEAK_SIGNATURE   /* appended: signed with SHA-1 or MD5 (the server
                                refuses it unless configured to allow it) */
} afz_csr_verdict;

/* afz_csr_verdict_detail returns the badCSR "detail" text for |v|. */
const char *afz_csr_verdict_detail(afz_csr_verdict v);

/* afz_csr holds what the server learned from a CSR. Owned by the struct
 * until afz_csr_cleanup. */
typedef struct afz_csr {
    EVP_PKEY *pubkey; /* the subject public key */
    char **names;     /* CN and dNSName SANs, lower-cased, sorted, unique */
    size_t n_names;
    int weak_digest;   /* appended: 1 when the self-signature uses SHA-1 or
                          MD5 (afz_csr_parse accepts it; the caller decides) */
    int small_rsa_key; /* appended: 1 when the key is RSA of
                          AFZ_RSA_MIN_BITS_PEBBLE to AFZ_RSA_MIN_BITS - 1 bits
                          (afz_csr_parse accepts it; the caller decides) */
    int pebble_key;    /* appended: 1 when afz_key_pebble admits the key
                          (small RSA as above, or EC P-521): accepted
                          here, the caller decides (strict_keys) */
} afz_csr;

/* afz_csr_parse parses |n| bytes of DER, verifies the self-signature,
 * checks the key type and collects the names. It returns AFZ_OK with
 * *verdict == AFZ_CSR_OK, or AFZ_EPARSE with *verdict saying why (|out| is
 * then empty), or AFZ_ENOMEM. The checks run in this order:
 * parse, key type, signature, names (each CN and SAN must be a dNSName
 * passing afz_csr_name_valid, else BAD_NAME). */
afz_rc afz_csr_parse(const uint8_t *der, size_t n, afz_csr *out, afz_csr_verdict *verdict);
/* afz_csr_check compares a parsed CSR with the order: names must equal
 * |order_names| as a set (case-insensitive), and the key must differ from
 * |account_key| (which may be NULL). */
afz_csr_verdict afz_csr_check(const afz_csr *csr, const char *const *order_names, size_t n,
                              EVP_PKEY *account_key);
void afz_csr_cleanup(afz_csr *csr);

/* Appended: the name rule afz_csr_parse applies, for the server's
 * newOrder checks to share. afz_csr_name_valid returns 1 when the |len|
 * bytes of |name| are a DNS name this harness accepts: 1 to 253 bytes of
 * dot-separated labels of 1 to 63 letters, digits and inner hyphens, no
 * empty label or trailing dot, optionally preceded by one "*." wildcard
 * label; 0 otherwise. Case is not checked (callers lower-case). */
int afz_csr_name_valid(const char *name, size_t len);

#endif
