/* afz_crypto_internal.h - helpers the crypto modules (afz_ca.c, afz_csr.c)
 * share. Not installed: it names OpenSSL types, which the public headers
 * keep out. */
#ifndef AFZ_CRYPTO_INTERNAL_H
#define AFZ_CRYPTO_INTERNAL_H

#include <stddef.h>

#include <openssl/x509v3.h>

/* afz_x509_dns_names builds a subjectAltName value of |n| dNSName entries
 * (|names|, each NUL-terminated; a NULL entry fails). Returns a new
 * GENERAL_NAMES the caller frees with GENERAL_NAMES_free, or NULL when
 * out of memory or an entry is NULL. Defined in afz_csr.c. */
GENERAL_NAMES *afz_x509_dns_names(const char *const *names, size_t n);

#endif
