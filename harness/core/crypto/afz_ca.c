/* afz_ca.c - see afz_ca.h.
 *
 * afz_ca_new does the slow work once: keys, the two CA certificates, their
 * PEM, and the extensions every leaf shares. afz_ca_issue then costs one
 * ECDSA signature plus DER/PEM encoding, and never parses PEM. */
#include "afz_ca.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "afz_crypto_internal.h"
#include "afz_cryptostat.h"
#include "afz_jose.h"

#define CA_DAY_S INT64_C(86400)
#define CA_VALIDITY_S (3650 * CA_DAY_S)
#define CA_CN_MAX 64

struct afz_ca {
    EVP_PKEY *root_key;
    EVP_PKEY *inter_key;
    X509 *root;
    X509 *inter;
    char *root_pem;
    char *inter_pem;
    char *root_key_pem;
    char *inter_key_pem;
    size_t inter_pem_len;
    /* PEBBLE_CHAIN_LENGTH: intermediates above the issuing one, nearest
     * the root last; chain_pem is what follows a leaf: the issuing
     * intermediate, then these, toward the root */
    X509 *upper[AFZ_CA_MAX_CHAIN];
    EVP_PKEY *upper_key[AFZ_CA_MAX_CHAIN];
    size_t n_upper;
    char *chain_pem;
    size_t chain_pem_len;
    /* Extensions identical in every leaf, copied in by X509_add_ext. */
    X509_EXTENSION *leaf_bc;
    X509_EXTENSION *leaf_ku;
    X509_EXTENSION *leaf_eku;
    X509_EXTENSION *leaf_aki;
};

/* set_time writes a Unix time into an ASN1_TIME (UTCTime up to 2049,
 * GeneralizedTime after, as RFC 5280 4.1.2.5 requires). */
static int set_time(ASN1_TIME *t, int64_t unix_s)
{
    time_t tt = (time_t)unix_s;
    if ((int64_t)tt != unix_s)
        return 0;
    return ASN1_TIME_set(t, tt) != NULL;
}

static int set_validity(X509 *x, int64_t from, int64_t seconds)
{
    if (seconds < 0 || from > INT64_MAX - seconds)
        return 0;
    return set_time(X509_getm_notBefore(x), from) &&
           set_time(X509_getm_notAfter(x), from + seconds);
}

/* set_cn makes the subject "CN=<prefix><suffix>". */
static int set_subject_cn(X509 *x, const char *prefix, const char *suffix)
{
    int ok = 0;
    char cn[CA_CN_MAX + 1];
    X509_NAME *name = X509_NAME_new();
    int n = snprintf(cn, sizeof cn, "%s%s", prefix, suffix);
    if (!name || n < 0)
        goto out;
    /* A long label is cut to fit the CN bound rather than failing. */
    ok = X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8, (const unsigned char *)cn,
                                    -1, -1, 0) == 1 &&
         X509_set_subject_name(x, name) == 1;
out:
    X509_NAME_free(name);
    return ok;
}

/* random_serial gives a CA certificate a positive 128-bit serial from the
 * process RNG (deterministic when afz_detrand is installed). */
static int random_serial(X509 *x)
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        return 0;
    b[0] = (unsigned char)((b[0] & 0x7f) | 0x40);
    BIGNUM *bn = BN_bin2bn(b, sizeof b, NULL);
    int ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok;
}

/* add_conf_ext adds one extension written in openssl.cnf syntax. */
static int add_conf_ext(X509 *issuer, X509 *subject, int nid, const char *value)
{
    X509V3_CTX v3;
    memset(&v3, 0, sizeof v3);
    X509V3_set_ctx(&v3, issuer, subject, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &v3, nid, value);
    int ok = ext && X509_add_ext(subject, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

/* conf_ext makes an extension that needs no certificate context. */
static X509_EXTENSION *conf_ext(int nid, const char *value)
{
    X509V3_CTX v3;
    memset(&v3, 0, sizeof v3);
    X509V3_set_ctx(&v3, NULL, NULL, NULL, NULL, 0);
    return X509V3_EXT_nconf_nid(NULL, &v3, nid, value);
}

/* aki_of returns an authorityKeyIdentifier extension naming |issuer|'s
 * subjectKeyIdentifier (RFC 5280 4.2.1.1). */
static X509_EXTENSION *aki_of(X509 *issuer)
{
    X509_EXTENSION *ext = NULL;
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(issuer);
    AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
    if (!ski || !akid)
        goto out;
    akid->keyid = ASN1_OCTET_STRING_dup(ski);
    if (!akid->keyid)
        goto out;
    ext = X509V3_EXT_i2d(NID_authority_key_identifier, 0, akid);
out:
    AUTHORITY_KEYID_free(akid);
    return ext;
}

/* make_ca_cert builds a CA certificate for |key|, signed by |issuer| and
 * |issuer_key|, or self-signed when |issuer| is NULL; an intermediate
 * gets pathLenConstraint |pathlen|. */
static X509 *make_ca_cert(const char *label, const char *suffix, EVP_PKEY *key, X509 *issuer,
                          EVP_PKEY *issuer_key, int64_t from, int pathlen)
{
    char bc[48];
    snprintf(bc, sizeof bc, "critical,CA:TRUE,pathlen:%d", pathlen);
    X509_EXTENSION *aki = NULL;
    X509 *x = X509_new();
    if (!x || X509_set_version(x, X509_VERSION_3) != 1 || !random_serial(x) ||
        !set_subject_cn(x, label, suffix) ||
        X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x)) != 1 ||
        !set_validity(x, from, CA_VALIDITY_S) || X509_set_pubkey(x, key) != 1)
        goto fail;
    /* RFC 5280 4.2.1.9 and 4.2.1.3: CA certificates carry a critical
     * basicConstraints with cA and keyCertSign; the intermediate may sign
     * only end-entity certificates. */
    if (!add_conf_ext(issuer, x, NID_basic_constraints, issuer ? bc : "critical,CA:TRUE") ||
        !add_conf_ext(issuer, x, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign") ||
        !add_conf_ext(issuer, x, NID_subject_key_identifier, "hash"))
        goto fail;
    if (issuer) {
        aki = aki_of(issuer);
        if (!aki || X509_add_ext(x, aki, -1) != 1)
            goto fail;
    }
    if (X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) <= 0)
        goto fail;
    afz_cryptostat_count_key(AFZ_CS_CERT_SIGN, issuer_key ? issuer_key : key, 0);
    X509_EXTENSION_free(aki);
    return x;
fail:
    X509_EXTENSION_free(aki);
    X509_free(x);
    return NULL;
}

/* bio_take copies a memory BIO's contents into a malloc'd string. */
static char *bio_take(BIO *bio, size_t *len_out)
{
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    if (len < 0)
        return NULL;
    char *s = afz_strndup(data ? data : "", (size_t)len);
    if (s && len_out)
        *len_out = (size_t)len;
    return s;
}

static char *cert_pem(X509 *x, size_t *len)
{
    char *s = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio && PEM_write_bio_X509(bio, x) == 1)
        s = bio_take(bio, len);
    BIO_free(bio);
    return s;
}

/* key_pem writes PKCS#8 "PRIVATE KEY" PEM. */
static char *key_pem(EVP_PKEY *key)
{
    char *s = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1)
        s = bio_take(bio, NULL);
    BIO_free(bio);
    return s;
}

afz_ca *afz_ca_new(const char *label, int64_t now_unix_s)
{
    return afz_ca_new_chain(label, now_unix_s, 1);
}

afz_ca *afz_ca_new_chain(const char *label, int64_t now_unix_s, unsigned n_intermediates)
{
    if (n_intermediates < 1 || n_intermediates > AFZ_CA_MAX_CHAIN)
        return NULL;
    afz_ca *ca = calloc(1, sizeof *ca);
    if (!ca)
        return NULL;
    if (!label)
        label = "acmefuzz";
    if (now_unix_s < INT64_MIN + CA_DAY_S)
        goto fail;
    int64_t from = now_unix_s - CA_DAY_S;
    ca->root_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ca->inter_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!ca->root_key || !ca->inter_key)
        goto fail;
    afz_cryptostat_count(AFZ_CS_KEYGEN, AFZ_CS_P256, 0);
    afz_cryptostat_count(AFZ_CS_KEYGEN, AFZ_CS_P256, 0);
    ca->root = make_ca_cert(label, " Root", ca->root_key, NULL, NULL, from, -1);
    if (!ca->root)
        goto fail;
    /* Intermediates above the issuing one, from the root down: "<label>
     * Intermediate N" ... "<label> Intermediate 2", pathlen 1 under the
     * issuing one and one more for each step up. */
    X509 *issuer = ca->root;
    EVP_PKEY *issuer_key = ca->root_key;
    for (unsigned k = n_intermediates; k >= 2; k--) {
        size_t i = k - 2; /* upper[0] signs the issuing intermediate */
        char suffix[32];
        snprintf(suffix, sizeof suffix, " Intermediate %u", k);
        ca->upper_key[i] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        if (!ca->upper_key[i])
            goto fail;
        ca->n_upper = n_intermediates - 1;
        afz_cryptostat_count(AFZ_CS_KEYGEN, AFZ_CS_P256, 0);
        ca->upper[i] =
            make_ca_cert(label, suffix, ca->upper_key[i], issuer, issuer_key, from, (int)k - 1);
        if (!ca->upper[i])
            goto fail;
        issuer = ca->upper[i];
        issuer_key = ca->upper_key[i];
    }
    ca->inter = make_ca_cert(label, " Intermediate", ca->inter_key, issuer, issuer_key, from, 0);
    if (!ca->inter)
        goto fail;
    ca->root_pem = cert_pem(ca->root, NULL);
    ca->inter_pem = cert_pem(ca->inter, &ca->inter_pem_len);
    ca->root_key_pem = key_pem(ca->root_key);
    ca->inter_key_pem = key_pem(ca->inter_key);
    if (!ca->root_pem || !ca->inter_pem || !ca->root_key_pem || !ca->inter_key_pem)
        goto fail;
    afz_buf chain;
    afz_buf_init(&chain, 0);
    afz_rc crc = afz_buf_append(&chain, ca->inter_pem, ca->inter_pem_len);
    for (size_t i = 0; crc == AFZ_OK && i < ca->n_upper; i++) {
        size_t len = 0;
        char *pem = cert_pem(ca->upper[i], &len);
        crc = pem ? afz_buf_append(&chain, pem, len) : AFZ_ENOMEM;
        free(pem);
    }
    ca->chain_pem = crc == AFZ_OK ? afz_buf_take(&chain, &ca->chain_pem_len) : NULL;
    afz_buf_cleanup(&chain);
    if (!ca->chain_pem)
        goto fail;
    /* Leaves: not a CA; a signature key only; TLS server authentication
     * (the profile of CA/Browser Forum BR 7.1.2.7). */
    ca->leaf_bc = conf_ext(NID_basic_constraints, "critical,CA:FALSE");
    ca->leaf_ku = conf_ext(NID_key_usage, "critical,digitalSignature");
    ca->leaf_eku = conf_ext(NID_ext_key_usage, "serverAuth");
    ca->leaf_aki = aki_of(ca->inter);
    if (!ca->leaf_bc || !ca->leaf_ku || !ca->leaf_eku || !ca->leaf_aki)
        goto fail;
    return ca;
fail:
    ERR_clear_error();
    afz_ca_free(ca);
    return NULL;
}

void afz_ca_free(afz_ca *ca)
{
    if (!ca)
        return;
    X509_EXTENSION_free(ca->leaf_bc);
    X509_EXTENSION_free(ca->leaf_ku);
    X509_EXTENSION_free(ca->leaf_eku);
    X509_EXTENSION_free(ca->leaf_aki);
    free(ca->root_pem);
    free(ca->inter_pem);
    free(ca->root_key_pem);
    free(ca->inter_key_pem);
    free(ca->chain_pem);
    for (size_t i = 0; i < AFZ_CA_MAX_CHAIN; i++) {
        X509_free(ca->upper[i]);
        EVP_PKEY_free(ca->upper_key[i]);
    }
    X509_free(ca->root);
    X509_free(ca->inter);
    EVP_PKEY_free(ca->root_key);
    EVP_PKEY_free(ca->inter_key);
    free(ca);
}

/* add_ski adds the RFC 5280 4.2.1.2 method (1) key identifier: SHA-1 of
 * the subjectPublicKey bits. */
static int add_ski(X509 *x)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    ASN1_OCTET_STRING *ski = NULL;
    int ok = X509_pubkey_digest(x, EVP_sha1(), md, &md_len) == 1 &&
             (ski = ASN1_OCTET_STRING_new()) != NULL &&
             ASN1_OCTET_STRING_set(ski, md, (int)md_len) == 1 &&
             X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0, X509V3_ADD_DEFAULT) == 1;
    ASN1_OCTET_STRING_free(ski);
    return ok;
}

afz_rc afz_ca_issue(const afz_ca *ca, EVP_PKEY *pubkey, const char *const *names, size_t n,
                    uint64_t serial, int64_t not_before_s, int64_t validity_s, afz_buf *pem_chain,
                    char *serial_hex)
{
    afz_rc rc = AFZ_ECRYPTO;
    X509 *leaf = NULL;
    X509_NAME *subj = NULL;
    GENERAL_NAMES *gens = NULL;
    BIO *bio = NULL;
    if (!ca || !pubkey || !names || n == 0 || !names[0] || serial == 0 || validity_s < 0 ||
        !pem_chain)
        return AFZ_EINVAL;
    size_t start = pem_chain->len;
    leaf = X509_new();
    subj = X509_NAME_new();
    if (!leaf || !subj)
        goto out;
    /* CN is the first name when it fits; otherwise the subject is empty
     * and the SAN is critical (RFC 5280 4.2.1.6). */
    int has_cn = strlen(names[0]) <= CA_CN_MAX;
    if (has_cn && X509_NAME_add_entry_by_NID(subj, NID_commonName, MBSTRING_UTF8,
                                             (const unsigned char *)names[0], -1, -1, 0) != 1)
        goto out;
    if (X509_set_version(leaf, X509_VERSION_3) != 1 ||
        ASN1_INTEGER_set_uint64(X509_get_serialNumber(leaf), serial) != 1 ||
        X509_set_issuer_name(leaf, X509_get_subject_name(ca->inter)) != 1 ||
        X509_set_subject_name(leaf, subj) != 1)
        goto out;
    rc = afz_key_set_spki(X509_get_X509_PUBKEY(leaf), pubkey);
    if (rc == AFZ_EINVAL)
        rc = X509_set_pubkey(leaf, pubkey) == 1 ? AFZ_OK : AFZ_ECRYPTO;
    if (rc != AFZ_OK)
        goto out;
    rc = AFZ_ECRYPTO;
    if (!set_validity(leaf, not_before_s, validity_s)) {
        rc = AFZ_EINVAL;
        goto out;
    }
    gens = afz_x509_dns_names(names, n);
    if (!gens || X509_add_ext(leaf, ca->leaf_bc, -1) != 1 ||
        X509_add_ext(leaf, ca->leaf_ku, -1) != 1 || X509_add_ext(leaf, ca->leaf_eku, -1) != 1 ||
        !add_ski(leaf) || X509_add_ext(leaf, ca->leaf_aki, -1) != 1 ||
        X509_add1_ext_i2d(leaf, NID_subject_alt_name, gens, !has_cn, X509V3_ADD_DEFAULT) != 1)
        goto out;
    if (X509_sign(leaf, ca->inter_key, EVP_sha256()) <= 0)
        goto out;
    afz_cryptostat_count(AFZ_CS_CERT_SIGN, AFZ_CS_P256, 0);
    bio = BIO_new(BIO_s_mem());
    if (!bio || PEM_write_bio_X509(bio, leaf) != 1)
        goto out;
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    if (len <= 0 || !data)
        goto out;
    if ((rc = afz_buf_append(pem_chain, data, (size_t)len)) != AFZ_OK ||
        (rc = afz_buf_append(pem_chain, ca->chain_pem, ca->chain_pem_len)) != AFZ_OK) {
        pem_chain->len = start;
        if (pem_chain->data)
            pem_chain->data[start] = '\0';
        goto out;
    }
    if (serial_hex)
        snprintf(serial_hex, 17, "%" PRIx64, serial);
    rc = AFZ_OK;
out:
    if (rc != AFZ_OK)
        ERR_clear_error();
    BIO_free(bio);
    GENERAL_NAMES_free(gens);
    X509_NAME_free(subj);
    X509_free(leaf);
    return rc;
}

const char *afz_ca_root_pem(const afz_ca *ca)
{
    return ca ? ca->root_pem : NULL;
}

const char *afz_ca_intermediate_pem(const afz_ca *ca)
{
    return ca ? ca->inter_pem : NULL;
}

const char *afz_ca_root_key_pem(const afz_ca *ca)
{
    return ca ? ca->root_key_pem : NULL;
}

const char *afz_ca_intermediate_key_pem(const afz_ca *ca)
{
    return ca ? ca->inter_key_pem : NULL;
}
