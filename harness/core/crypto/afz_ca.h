/* afz_ca.h - the harness certificate authority: a self-signed root and one
 * intermediate (or more: afz_ca_new_chain) (ECDSA P-256), made once per
 * process with OpenSSL, issuing
 * end-entity certificates for ACME orders.
 *
 * The CA is immutable after afz_ca_new, so one instance may serve every
 * iteration of a fuzz run. With afz_detrand installed and seeded before
 * afz_ca_new, the CA's keys and certificates are the same in every
 * process. */
#ifndef AFZ_CA_H
#define AFZ_CA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "afz_buf.h"

typedef struct afz_ca afz_ca;

/* afz_ca_new creates root and intermediate, valid from |now_unix_s| - 1 day
 * for 10 years, with subject CNs "<label> Root" and "<label> Intermediate".
 * NULL on failure. Free with afz_ca_free. */
afz_ca *afz_ca_new(const char *label, int64_t now_unix_s);
/* afz_ca_new_chain is afz_ca_new with |n_intermediates| (1 to
 * AFZ_CA_MAX_CHAIN) intermediates between root and leaf, as Pebble's
 * PEBBLE_CHAIN_LENGTH: the issuing one ("<label> Intermediate", pathlen 0)
 * under "<label> Intermediate 2" (pathlen 1) ... under "<label>
 * Intermediate N", signed by the root. afz_ca_issue's chain then holds
 * all of them, nearest the leaf first; the accessors below still name the
 * root and the issuing intermediate (Pebble does not expose the extra
 * ones either). n_intermediates == 1 is afz_ca_new. NULL on failure. */
#define AFZ_CA_MAX_CHAIN 8
afz_ca *afz_ca_new_chain(const char *label, int64_t now_unix_s, unsigned n_intermediates);
void afz_ca_free(afz_ca *ca);

/* afz_ca_issue signs a leaf for |pubkey| naming |names| (SAN dNSNames, CN =
 * first name) with serial |serial| (non-zero), valid from |not_before_s|
 * for |validity_s| seconds, serverAuth EKU, and appends the PEM chain:
 * leaf then intermediate(s). |serial_hex| (may be NULL) receives the serial
 * as lower-case hex without leading zeros, NUL-terminated (>= 17 bytes).
 * The leaf has basicConstraints CA:FALSE and keyUsage digitalSignature
 * (both critical), SKI and AKI; a first name over 64 bytes leaves the
 * subject empty and makes the SAN critical. Names are not validated.
 * AFZ_EINVAL for serial 0, n == 0, a negative validity or times beyond
 * year 9999; on any error |pem_chain| is left as it was. Thread-safe on a
 * shared CA. */
afz_rc afz_ca_issue(const afz_ca *ca, EVP_PKEY *pubkey, const char *const *names, size_t n,
                    uint64_t serial, int64_t not_before_s, int64_t validity_s, afz_buf *pem_chain,
                    char *serial_hex);

/* PEM of the root and intermediate certificates, and of their private
 * keys (for Pebble's management API; keys are unencrypted PKCS#8,
 * "BEGIN PRIVATE KEY"). Borrowed until afz_ca_free. */
const char *afz_ca_root_pem(const afz_ca *ca);
const char *afz_ca_intermediate_pem(const afz_ca *ca);
const char *afz_ca_root_key_pem(const afz_ca *ca);
const char *afz_ca_intermediate_key_pem(const afz_ca *ca);

#endif
