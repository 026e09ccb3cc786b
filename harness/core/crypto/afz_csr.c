/* afz_csr.c - see afz_csr.h.
 *
 * The CSR is untrusted: it is decoded by d2i_X509_REQ from a const pointer
 * with the exact length, and must be consumed whole. Every check that a
 * hostile CSR can fail clears OpenSSL's error queue. */
#include "afz_csr.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "afz_crypto_internal.h"
#include "afz_cryptostat.h"
#include "afz_jose.h"

/* CN is at most 64 characters (RFC 5280 ub-common-name); longer first
 * names go in the SAN only, as CAs do. */
#define CSR_CN_MAX 64

const char *afz_csr_verdict_detail(afz_csr_verdict v)
{
    switch (v) {
    case AFZ_CSR_OK:
        return "CSR is acceptable";
    case AFZ_CSR_UNPARSABLE:
        return "CSR is not a DER-encoded PKCS#10 certification request";
    case AFZ_CSR_BAD_SIGNATURE:
        return "CSR signature does not verify";
    case AFZ_CSR_UNSUPPORTED_KEY:
        return "CSR public key is not supported (EC P-256 or P-384, RSA 2048 to 8192 bits, "
               "Ed25519)";
    case AFZ_CSR_NO_NAMES:
        return "CSR names no identifiers (no CN, no dNSName SAN)";
    case AFZ_CSR_BAD_NAME:
        return "CSR contains a name that is not a valid DNS name, or a SAN that is not a dNSName";
    case AFZ_CSR_NAMES_MISMATCH:
        return "CSR names do not match the order's identifiers";
    case AFZ_CSR_ACCOUNT_KEY:
        return "CSR public key must not be the account key";
    case AFZ_CSR_WEAK_SIGNATURE:
        return "CSR signature algorithm uses SHA-1 or MD5, which is not accepted";
    }
    return "CSR is unacceptable";
}

static int is_ldh(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

int afz_csr_name_valid(const char *name, size_t len)
{
    size_t i = 0;
    if (!name || len == 0 || len > 253)
        return 0;
    /* A wildcard is only ever the whole leftmost label (RFC 8555 7.1.3). */
    if (len > 2 && name[0] == '*' && name[1] == '.')
        i = 2;
    while (i < len) {
        size_t start = i;
        while (i < len && name[i] != '.') {
            if (!is_ldh(name[i]))
                return 0;
            i++;
        }
        size_t label = i - start;
        if (label == 0 || label > 63 || name[start] == '-' || name[i - 1] == '-')
            return 0;
        if (i < len) {
            i++; /* the dot; a trailing dot leaves an empty label */
            if (i == len)
                return 0;
        }
    }
    return 1;
}

/* name_list collects lower-cased names before they move into an afz_csr. */
typedef struct name_list {
    char **v;
    size_t n, cap;
} name_list;

static void name_list_cleanup(name_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* name_list_add validates and adds one name; *bad is set when the name is
 * not a valid DNS name. */
static afz_rc name_list_add(name_list *l, const unsigned char *s, size_t len, int *bad)
{
    if (!afz_csr_name_valid((const char *)s, len)) {
        *bad = 1;
        return AFZ_OK;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return AFZ_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    char *copy = afz_strndup((const char *)s, len);
    if (!copy)
        return AFZ_ENOMEM;
    for (size_t i = 0; i < len; i++)
        if (copy[i] >= 'A' && copy[i] <= 'Z')
            copy[i] = (char)(copy[i] - 'A' + 'a');
    l->v[l->n++] = copy;
    return AFZ_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void name_list_sort_unique(name_list *l)
{
    if (l->n < 2)
        return;
    qsort(l->v, l->n, sizeof *l->v, cmp_str);
    size_t w = 1;
    for (size_t r = 1; r < l->n; r++) {
        if (strcmp(l->v[r], l->v[w - 1]) == 0)
            free(l->v[r]);
        else
            l->v[w++] = l->v[r];
    }
    l->n = w;
}

GENERAL_NAMES *afz_x509_dns_names(const char *const *names, size_t n)
{
    GENERAL_NAMES *gens = GENERAL_NAMES_new();
    if (!gens)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        GENERAL_NAME *g = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        if (!g || !s || !names[i] || ASN1_STRING_set(s, names[i], -1) != 1) {
            GENERAL_NAME_free(g);
            ASN1_IA5STRING_free(s);
            goto fail;
        }
        GENERAL_NAME_set0_value(g, GEN_DNS, s);
        if (!sk_GENERAL_NAME_push(gens, g)) {
            GENERAL_NAME_free(g);
            goto fail;
        }
    }
    return gens;
fail:
    GENERAL_NAMES_free(gens);
    return NULL;
}

afz_rc afz_csr_build(EVP_PKEY *key, const char *const *names, size_t n, afz_buf *der)
{
    afz_rc rc = AFZ_ECRYPTO;
    X509_REQ *req = NULL;
    GENERAL_NAMES *gens = NULL;
    X509_EXTENSION *ext = NULL;
    STACK_OF(X509_EXTENSION) *exts = NULL;
    unsigned char *buf = NULL;
    if (!key || !names || n == 0 || !names[0] || !der)
        return AFZ_EINVAL;
    req = X509_REQ_new();
    if (!req || X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1)
        goto out;
    if (strlen(names[0]) <= CSR_CN_MAX &&
        X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(req), NID_commonName, MBSTRING_UTF8,
                                   (const unsigned char *)names[0], -1, -1, 0) != 1)
        goto out;
    gens = afz_x509_dns_names(names, n);
    if (!gens)
        goto out;
    ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens);
    exts = sk_X509_EXTENSION_new_null();
    if (!ext || !exts || !sk_X509_EXTENSION_push(exts, ext))
        goto out;
    ext = NULL; /* owned by exts */
    if (X509_REQ_add_extensions(req, exts) != 1)
        goto out;
    rc = afz_key_set_spki(X509_REQ_get_X509_PUBKEY(req), key);
    if (rc == AFZ_EINVAL)
        rc = X509_REQ_set_pubkey(req, key) == 1 ? AFZ_OK : AFZ_ECRYPTO;
    if (rc != AFZ_OK)
        goto out;
    rc = AFZ_ECRYPTO;
    /* Ed25519 signs the message itself (RFC 8410 6); everything else uses
     * SHA-256. */
    const EVP_MD *md =
        EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448") ? NULL : EVP_sha256();
    if (X509_REQ_sign(req, key, md) <= 0)
        goto out;
    afz_cryptostat_count_key(AFZ_CS_CSR_SIGN, key, 0);
    int len = i2d_X509_REQ(req, &buf);
    if (len <= 0)
        goto out;
    rc = afz_buf_append(der, buf, (size_t)len);
out:
    if (rc == AFZ_ECRYPTO)
        ERR_clear_error();
    OPENSSL_free(buf);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_EXTENSION_free(ext);
    GENERAL_NAMES_free(gens);
    X509_REQ_free(req);
    return rc;
}

/* collect_cn adds every subject CN. */
static afz_rc collect_cn(X509_REQ *req, name_list *l, int *bad)
{
    const X509_NAME *subj = X509_REQ_get_subject_name(req);
    int pos = -1;
    while (!*bad && (pos = X509_NAME_get_index_by_NID(subj, NID_commonName, pos)) >= 0) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(subj, pos);
        unsigned char *utf8 = NULL;
        int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
        if (len < 0) {
            *bad = 1;
            break;
        }
        afz_rc rc = name_list_add(l, utf8, (size_t)len, bad);
        OPENSSL_free(utf8);
        if (rc != AFZ_OK)
            return rc;
    }
    return AFZ_OK;
}

/* collect_san adds the dNSName SANs from the extensionRequest attribute.
 * *verdict is set for a SAN that is not a dNSName (BAD_NAME) or an
 * extension that does not decode (UNPARSABLE). */
static afz_rc collect_san(X509_REQ *req, name_list *l, afz_csr_verdict *verdict)
{
    afz_rc rc = AFZ_OK;
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    GENERAL_NAMES *gens = NULL;
    int crit = -1, bad = 0;
    if (!exts) {
        /* NULL means "none" or "undecodable"; only the latter has the
         * attribute. */
        if (X509_REQ_get_attr_by_NID(req, NID_ext_req, -1) >= 0)
            *verdict = AFZ_CSR_UNPARSABLE;
        goto out;
    }
    gens = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
    if (!gens) {
        /* crit: -1 absent, -2 more than one SAN extension, >= 0 present
         * but undecodable. */
        if (crit != -1)
            *verdict = AFZ_CSR_UNPARSABLE;
        goto out;
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(gens) && !bad; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        int type = 0;
        const ASN1_STRING *s = GENERAL_NAME_get0_value(g, &type);
        if (type != GEN_DNS) {
            bad = 1;
            break;
        }
        if ((rc = name_list_add(l, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s),
                                &bad)) != AFZ_OK)
            goto out;
    }
    if (bad)
        *verdict = AFZ_CSR_BAD_NAME;
out:
    GENERAL_NAMES_free(gens);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    return rc;
}

afz_rc afz_csr_parse(const uint8_t *der, size_t n, afz_csr *out, afz_csr_verdict *verdict)
{
    afz_rc rc = AFZ_EPARSE;
    afz_csr_verdict v = AFZ_CSR_UNPARSABLE;
    X509_REQ *req = NULL;
    name_list names = {0};
    int bad = 0;
    if (!out || !verdict)
        return AFZ_EINVAL;
    memset(out, 0, sizeof *out);
    if (!der || n == 0 || n > LONG_MAX)
        goto out;
    const unsigned char *p = der;
    req = d2i_X509_REQ(NULL, &p, (long)n);
    if (!req || p != der + n)
        goto out;

    /* The key is checked before the signature, so an unsupported (and
     * maybe huge) key costs no signature verification. */
    v = AFZ_CSR_UNSUPPORTED_KEY;
    EVP_PKEY *key = X509_REQ_get0_pubkey(req);
    if (key && afz_key_pebble(key)) {
        out->pebble_key = 1;
        out->small_rsa_key = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
    } else if (!key || !afz_key_supported(key)) {
        goto out;
    }
    v = AFZ_CSR_BAD_SIGNATURE;
    int sig_ok = X509_REQ_verify(req, key) == 1;
    afz_cryptostat_count_key(sig_ok ? AFZ_CS_CSR_VERIFY : AFZ_CS_CSR_VERIFY_BAD, key, 0);
    if (!sig_ok)
        goto out;

    int md_nid = NID_undef, pk_nid = NID_undef;
    if (OBJ_find_sigid_algs(X509_REQ_get_signature_nid(req), &md_nid, &pk_nid) == 1)
        out->weak_digest =
            md_nid == NID_sha1 || md_nid == NID_md5 || md_nid == NID_md4 || md_nid == NID_md5_sha1;

    v = AFZ_CSR_OK;
    if ((rc = collect_cn(req, &names, &bad)) != AFZ_OK)
        goto out;
    if (bad) {
        v = AFZ_CSR_BAD_NAME;
        rc = AFZ_EPARSE;
        goto out;
    }
    if ((rc = collect_san(req, &names, &v)) != AFZ_OK)
        goto out;
    rc = AFZ_EPARSE;
    if (v != AFZ_CSR_OK)
        goto out;
    if (names.n == 0) {
        v = AFZ_CSR_NO_NAMES;
        goto out;
    }
    name_list_sort_unique(&names);
    if (EVP_PKEY_up_ref(key) != 1) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    out->pubkey = key;
    out->names = names.v;
    out->n_names = names.n;
    names.v = NULL;
    names.n = names.cap = 0;
    rc = AFZ_OK;
out:
    if (rc != AFZ_OK)
        ERR_clear_error();
    *verdict = rc == AFZ_OK ? AFZ_CSR_OK : v;
    name_list_cleanup(&names);
    X509_REQ_free(req);
    return rc;
}

/* contains_name says whether |name| is in |list| ignoring ASCII case. */
static int contains_name(const char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] && afz_strcaseeq(list[i], name))
            return 1;
    return 0;
}

afz_csr_verdict afz_csr_check(const afz_csr *csr, const char *const *order_names, size_t n,
                              EVP_PKEY *account_key)
{
    if (!csr || !csr->pubkey)
        return AFZ_CSR_UNPARSABLE;
    if (n && !order_names)
        return AFZ_CSR_NAMES_MISMATCH;
    /* Set equality both ways; quadratic, but orders are small (the
     * server caps identifiers per order) and it needs no allocation. */
    for (size_t i = 0; i < csr->n_names; i++)
        if (!contains_name(order_names, n, csr->names[i]))
            return AFZ_CSR_NAMES_MISMATCH;
    for (size_t i = 0; i < n; i++)
        if (!order_names[i] ||
            !contains_name((const char *const *)csr->names, csr->n_names, order_names[i]))
            return AFZ_CSR_NAMES_MISMATCH;
    /* RFC 8555 11.1: the account key must not be a certificate key. */
    if (account_key && EVP_PKEY_eq(csr->pubkey, account_key) == 1)
        return AFZ_CSR_ACCOUNT_KEY;
    ERR_clear_error();
    return AFZ_CSR_OK;
}

void afz_csr_cleanup(afz_csr *csr)
{
    if (!csr)
        return;
    for (size_t i = 0; i < csr->n_names; i++)
        free(csr->names[i]);
    free(csr->names);
    EVP_PKEY_free(csr->pubkey);
    memset(csr, 0, sizeof *csr);
}
