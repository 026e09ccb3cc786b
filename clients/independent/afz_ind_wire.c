/* afz_ind_wire.c - see afz_ind_internal.h. */
#include "afz_ind_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* ---- base64url (RFC 4648 5, no padding: RFC 8555 6.1) ------------------- */

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

afz_rc afz_ind_b64url(const void *p, size_t n, char **out)
{
    const uint8_t *in = p;
    *out = NULL;
    if (n > SIZE_MAX / 2)
        return AFZ_ELIMIT;
    char *s = malloc(n / 3 * 4 + 5);
    if (!s)
        return AFZ_ENOMEM;
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        s[o++] = b64url_alphabet[v >> 18 & 63];
        s[o++] = b64url_alphabet[v >> 12 & 63];
        s[o++] = b64url_alphabet[v >> 6 & 63];
        s[o++] = b64url_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        s[o++] = b64url_alphabet[v >> 18 & 63];
        s[o++] = b64url_alphabet[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        s[o++] = b64url_alphabet[v >> 18 & 63];
        s[o++] = b64url_alphabet[v >> 12 & 63];
        s[o++] = b64url_alphabet[v >> 6 & 63];
    }
    s[o] = '\0';
    *out = s;
    return AFZ_OK;
}

static int is_b64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

int afz_ind_nonce_ok(const char *s)
{
    if (!s || !*s)
        return 0;
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= AFZ_IND_NONCE_MAX || !is_b64url_char(s[n]))
            return 0;
    return 1;
}

/* ---- keys and JWS (RFC 7515, RFC 7518 3.1/3.4, RFC 8037) ------------------ */

/* bn_b64url encodes |bn| big-endian, left-padded to |pad| bytes (0: the
 * minimal length, as RFC 7518 6.3.1 wants for "n" and "e"). */
static afz_rc bn_b64url(const BIGNUM *bn, size_t pad, char **out)
{
    size_t n = pad ? pad : (size_t)BN_num_bytes(bn);
    uint8_t *buf = malloc(n ? n : 1);
    afz_rc rc = AFZ_ECRYPTO;
    if (!buf)
        return AFZ_ENOMEM;
    if (pad ? BN_bn2binpad(bn, buf, (int)pad) == (int)pad : BN_bn2bin(bn, buf) == (int)n)
        rc = afz_ind_b64url(buf, n, out);
    free(buf);
    return rc;
}

static afz_rc key_jwk_ec(afz_ind_key *k, const char *crv)
{
    BIGNUM *x = NULL, *y = NULL;
    char *xs = NULL, *ys = NULL;
    afz_rc rc = AFZ_ECRYPTO;
    if (!EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
        !EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y))
        goto out;
    if ((rc = bn_b64url(x, k->ec_half, &xs)) != AFZ_OK ||
        (rc = bn_b64url(y, k->ec_half, &ys)) != AFZ_OK)
        goto out;
    int w = snprintf(k->jwk, sizeof(k->jwk),
                     "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", crv, xs, ys);
    rc = w > 0 && (size_t)w < sizeof(k->jwk) ? AFZ_OK : AFZ_ELIMIT;
out:
    BN_free(x);
    BN_free(y);
    free(xs);
    free(ys);
    return rc;
}

static afz_rc key_jwk_rsa(afz_ind_key *k)
{
    BIGNUM *n = NULL, *e = NULL;
    char *ns = NULL, *es = NULL;
    afz_rc rc = AFZ_ECRYPTO;
    if (!EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
        !EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E, &e))
        goto out;
    if ((rc = bn_b64url(n, 0, &ns)) != AFZ_OK || (rc = bn_b64url(e, 0, &es)) != AFZ_OK)
        goto out;
    int w = snprintf(k->jwk, sizeof(k->jwk), "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", es, ns);
    rc = w > 0 && (size_t)w < sizeof(k->jwk) ? AFZ_OK : AFZ_ELIMIT;
out:
    BN_free(n);
    BN_free(e);
    free(ns);
    free(es);
    return rc;
}

static afz_rc key_jwk_okp(afz_ind_key *k)
{
    uint8_t raw[64];
    size_t n = sizeof(raw);
    char *xs = NULL;
    if (!EVP_PKEY_get_raw_public_key(k->pkey, raw, &n) || n != 32)
        return AFZ_ECRYPTO;
    afz_rc rc = afz_ind_b64url(raw, n, &xs);
    if (rc != AFZ_OK)
        return rc;
    int w =
        snprintf(k->jwk, sizeof(k->jwk), "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", xs);
    free(xs);
    return w > 0 && (size_t)w < sizeof(k->jwk) ? AFZ_OK : AFZ_ELIMIT;
}

afz_rc afz_ind_key_init(EVP_PKEY *pkey, afz_ind_key *k)
{
    memset(k, 0, sizeof(*k));
    k->pkey = pkey;
    if (!pkey)
        return AFZ_EINVAL;
    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_EC: {
        char group[64];
        size_t len = 0;
        if (!EVP_PKEY_get_group_name(pkey, group, sizeof(group), &len))
            return AFZ_EINVAL;
        if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
            k->alg = "ES256";
            k->md = EVP_sha256();
            k->ec_half = 32;
            return key_jwk_ec(k, "P-256");
        }
        if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
            k->alg = "ES384";
            k->md = EVP_sha384();
            k->ec_half = 48;
            return key_jwk_ec(k, "P-384");
        }
        return AFZ_EINVAL;
    }
    case EVP_PKEY_RSA:
        k->alg = "RS256";
        k->md = EVP_sha256();
        return key_jwk_rsa(k);
    case EVP_PKEY_ED25519:
        k->alg = "EdDSA";
        k->md = NULL;
        return key_jwk_okp(k);
    default:
        return AFZ_EINVAL;
    }
}

/* sign_b64url signs |msg| and returns the JWS signature, base64url:
 * ECDSA as the fixed-width R || S of RFC 7518 3.4, not OpenSSL's DER. */
static afz_rc sign_b64url(const afz_ind_key *k, const char *msg, char **out)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t *sig = NULL, *rs = NULL;
    ECDSA_SIG *es = NULL;
    size_t len = 0;
    afz_rc rc = AFZ_ECRYPTO;
    *out = NULL;
    if (!md) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    if (EVP_DigestSignInit(md, NULL, k->md, NULL, k->pkey) != 1 ||
        EVP_DigestSign(md, NULL, &len, (const uint8_t *)msg, strlen(msg)) != 1)
        goto out;
    if (!(sig = malloc(len))) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    if (EVP_DigestSign(md, sig, &len, (const uint8_t *)msg, strlen(msg)) != 1)
        goto out;
    if (!k->ec_half) {
        rc = afz_ind_b64url(sig, len, out);
        goto out;
    }
    const uint8_t *cur = sig;
    if (!(es = d2i_ECDSA_SIG(NULL, &cur, (long)len)))
        goto out;
    if (!(rs = malloc(2 * k->ec_half))) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    if (BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, (int)k->ec_half) != (int)k->ec_half ||
        BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + k->ec_half, (int)k->ec_half) != (int)k->ec_half)
        goto out;
    rc = afz_ind_b64url(rs, 2 * k->ec_half, out);
out:
    EVP_MD_CTX_free(md);
    ECDSA_SIG_free(es);
    free(sig);
    free(rs);
    return rc;
}

afz_rc afz_ind_jws(const afz_ind_key *k, const char *kid, const char *nonce, const char *url,
                   const char *payload, char **out)
{
    cJSON *prot = cJSON_CreateObject(), *jwk = NULL, *jws = NULL;
    char *prot_text = NULL, *prot_b64 = NULL, *pay_b64 = NULL, *input = NULL, *sig = NULL;
    afz_rc rc = AFZ_ENOMEM;
    *out = NULL;
    if (!prot || !cJSON_AddStringToObject(prot, "alg", k->alg))
        goto out;
    /* RFC 8555 6.2: "jwk" for newAccount (and revokeCert by certificate
     * key), "kid" for every other request; never both. */
    if (kid) {
        if (!cJSON_AddStringToObject(prot, "kid", kid))
            goto out;
    } else {
        if (!(jwk = cJSON_Parse(k->jwk)))
            goto out;
        cJSON_AddItemToObject(prot, "jwk", jwk);
    }
    if (!cJSON_AddStringToObject(prot, "nonce", nonce) ||
        !cJSON_AddStringToObject(prot, "url", url))
        goto out;
    if (!(prot_text = cJSON_PrintUnformatted(prot)))
        goto out;
    if ((rc = afz_ind_b64url(prot_text, strlen(prot_text), &prot_b64)) != AFZ_OK ||
        (rc = afz_ind_b64url(payload, strlen(payload), &pay_b64)) != AFZ_OK)
        goto out;
    size_t n = strlen(prot_b64) + strlen(pay_b64) + 2;
    rc = AFZ_ENOMEM;
    if (!(input = malloc(n)))
        goto out;
    snprintf(input, n, "%s.%s", prot_b64, pay_b64);
    if ((rc = sign_b64url(k, input, &sig)) != AFZ_OK)
        goto out;
    rc = AFZ_ENOMEM;
    if (!(jws = cJSON_CreateObject()) || !cJSON_AddStringToObject(jws, "protected", prot_b64) ||
        !cJSON_AddStringToObject(jws, "payload", pay_b64) ||
        !cJSON_AddStringToObject(jws, "signature", sig))
        goto out;
    if ((*out = cJSON_PrintUnformatted(jws)))
        rc = AFZ_OK;
out:
    cJSON_Delete(prot);
    cJSON_Delete(jws);
    if (prot_text)
        cJSON_free(prot_text);
    free(prot_b64);
    free(pay_b64);
    free(input);
    free(sig);
    return rc;
}

afz_rc afz_ind_thumbprint(const afz_ind_key *k, char out[64])
{
    uint8_t d[SHA256_DIGEST_LENGTH];
    char *s = NULL;
    SHA256((const uint8_t *)k->jwk, strlen(k->jwk), d);
    afz_rc rc = afz_ind_b64url(d, sizeof(d), &s);
    if (rc != AFZ_OK)
        return rc;
    snprintf(out, 64, "%s", s);
    free(s);
    return AFZ_OK;
}

/* ---- CSR (RFC 8555 7.4, RFC 2986) -------------------------------------- */

afz_rc afz_ind_csr(EVP_PKEY *key, const char *const *names, size_t n, char **out)
{
    X509_REQ *req = X509_REQ_new();
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION *ext = NULL;
    uint8_t *der = NULL;
    afz_rc rc = AFZ_ECRYPTO;
    *out = NULL;
    if (!req || !gens || !exts) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    if (!key || n == 0) {
        rc = AFZ_EINVAL;
        goto out;
    }
    if (!X509_REQ_set_version(req, 0) || !X509_REQ_set_pubkey(req, key))
        goto out;
    /* The CN is optional; the SAN carries every name (7.4: the CSR
     * "indicates the names requested"). A name over 64 bytes does not fit
     * a CN (RFC 5280 ub-common-name), so it goes in the SAN only. */
    size_t first = strlen(names[0]);
    if (first > 0 && first <= 64 &&
        !X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
                                    (const unsigned char *)names[0], (int)first, -1, 0))
        goto out;
    for (size_t i = 0; i < n; i++) {
        GENERAL_NAME *g = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        if (!g || !s || !ASN1_STRING_set(s, names[i], (int)strlen(names[i]))) {
            GENERAL_NAME_free(g);
            ASN1_IA5STRING_free(s);
            goto out;
        }
        GENERAL_NAME_set0_value(g, GEN_DNS, s);
        if (!sk_GENERAL_NAME_push(gens, g)) {
            GENERAL_NAME_free(g);
            goto out;
        }
    }
    if (!(ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens)) ||
        !sk_X509_EXTENSION_push(exts, ext))
        goto out;
    ext = NULL; /* owned by exts now */
    if (!X509_REQ_add_extensions(req, exts))
        goto out;
    const EVP_MD *md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
    if (X509_REQ_sign(req, key, md) <= 0)
        goto out;
    int len = i2d_X509_REQ(req, &der);
    if (len <= 0)
        goto out;
    rc = afz_ind_b64url(der, (size_t)len, out);
out:
    OPENSSL_free(der);
    X509_EXTENSION_free(ext);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    GENERAL_NAMES_free(gens);
    X509_REQ_free(req);
    return rc;
}

/* ---- Retry-After (RFC 9110 10.2.3) and HTTP-date (RFC 9110 5.6.7) ------- */

static const char *const day_short[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const day_long[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                       "Friday", "Saturday", "Sunday"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* digits reads exactly |n| ASCII digits at *s. */
static int digits(const char **s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        char c = (*s)[i];
        if (c < '0' || c > '9')
            return 0;
        x = x * 10 + (c - '0');
    }
    *s += n;
    *v = x;
    return 1;
}

static int lit(const char **s, const char *want)
{
    size_t n = strlen(want);
    if (strncmp(*s, want, n) != 0)
        return 0;
    *s += n;
    return 1;
}

static int word(const char **s, const char *const *table, int count, int *idx)
{
    for (int i = 0; i < count; i++)
        if (lit(s, table[i])) {
            *idx = i;
            return 1;
        }
    return 0;
}

/* hms reads "HH:MM:SS". */
static int hms(const char **s, int *h, int *m, int *sec)
{
    return digits(s, 2, h) && lit(s, ":") && digits(s, 2, m) && lit(s, ":") && digits(s, 2, sec) &&
           *h <= 23 && *m <= 59 && *sec <= 60;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* leaps_before counts leap years in [1, y). */
static int64_t leaps_before(int64_t y)
{
    y -= 1;
    return y / 4 - y / 100 + y / 400;
}

/* to_unix converts a proleptic Gregorian UTC date and time to Unix
 * seconds; 0 when the day does not exist in that month. */
static int to_unix(int y, int mon, int d, int h, int m, int s, int64_t *out)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    static const int before[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    if (y < 1 || mon < 0 || mon > 11 || d < 1)
        return 0;
    if (d > mdays[mon] + (mon == 1 && is_leap(y)))
        return 0;
    int64_t days = 365 * ((int64_t)y - 1970) + leaps_before(y) - leaps_before(1970) + before[mon] +
                   (mon > 1 && is_leap(y)) + (d - 1);
    *out = days * 86400 + (int64_t)h * 3600 + m * 60 + s;
    return 1;
}

int afz_ind_http_date(const char *s, int64_t *unix_s)
{
    int wd, d, mon, y, h, m, sec;
    const char *p = s;
    /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
    if (word(&p, day_short, 7, &wd) && lit(&p, ", ")) {
        if (digits(&p, 2, &d) && lit(&p, " ") && word(&p, months, 12, &mon) && lit(&p, " ") &&
            digits(&p, 4, &y) && lit(&p, " ") && hms(&p, &h, &m, &sec) && lit(&p, " GMT") && !*p)
            return to_unix(y, mon, d, h, m, sec, unix_s);
        return 0;
    }
    /* asctime: "Sun Nov  6 08:49:37 1994" */
    p = s;
    if (word(&p, day_short, 7, &wd) && lit(&p, " ")) {
        if (!word(&p, months, 12, &mon) || !lit(&p, " "))
            return 0;
        if (*p == ' ') {
            p++;
            if (!digits(&p, 1, &d))
                return 0;
        } else if (!digits(&p, 2, &d)) {
            return 0;
        }
        if (lit(&p, " ") && hms(&p, &h, &m, &sec) && lit(&p, " ") && digits(&p, 4, &y) && !*p)
            return to_unix(y, mon, d, h, m, sec, unix_s);
        return 0;
    }
    /* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT". RFC 9110 5.6.7: a
     * two-digit year more than 50 years in the future is in the past
     * century; without a clock here, 70..99 read as 19xx. */
    p = s;
    if (word(&p, day_long, 7, &wd) && lit(&p, ", ") && digits(&p, 2, &d) && lit(&p, "-") &&
        word(&p, months, 12, &mon) && lit(&p, "-") && digits(&p, 2, &y) && lit(&p, " ") &&
        hms(&p, &h, &m, &sec) && lit(&p, " GMT") && !*p)
        return to_unix(y < 70 ? 2000 + y : 1900 + y, mon, d, h, m, sec, unix_s);
    return 0;
}

afz_ind_ra afz_ind_retry_after(const char *const *values, size_t count, int64_t now_ms,
                               int64_t max_ms, int64_t *delay_ms)
{
    *delay_ms = 0;
    if (count == 0)
        return AFZ_IND_RA_NONE;
    if (count > 1 || !values[0]) /* which one would the server mean? */
        return AFZ_IND_RA_BAD;
    char v[64];
    const char *s = values[0];
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= sizeof(v))
        return AFZ_IND_RA_BAD;
    memcpy(v, s, n);
    v[n] = '\0';
    if (v[0] >= '0' && v[0] <= '9') {
        /* delay-seconds = 1*DIGIT; saturate instead of overflowing. */
        int64_t secs = 0;
        for (size_t i = 0; i < n; i++) {
            if (v[i] < '0' || v[i] > '9')
                return AFZ_IND_RA_BAD;
            if (secs <= max_ms / 1000 + 1)
                secs = secs * 10 + (v[i] - '0');
        }
        if (secs > max_ms / 1000)
            return AFZ_IND_RA_BAD;
        *delay_ms = secs * 1000;
        return AFZ_IND_RA_OK;
    }
    int64_t when = 0;
    if (!afz_ind_http_date(v, &when))
        return AFZ_IND_RA_BAD;
    /* Dates far out of range would overflow the millisecond arithmetic. */
    if (when > INT64_MAX / 2000 || when < -(INT64_MAX / 2000))
        return AFZ_IND_RA_BAD;
    int64_t d = when * 1000 - now_ms;
    /* A date already past gives no useful instant (a stale or skewed
     * clock); the caller falls back to its own back-off, which never
     * polls sooner than a second. */
    if (d < 0 || d > max_ms)
        return AFZ_IND_RA_BAD;
    *delay_ms = d;
    return AFZ_IND_RA_OK;
}

/* ---- the certificate chain (RFC 8555 9.1, 11.4) ------------------------- */

static int blank_line(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return 0;
    return 1;
}

/* line_is compares a line (without its "\n", maybe with "\r") to |want|. */
static int line_is(const char *p, size_t n, const char *want)
{
    while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    return n == strlen(want) && memcmp(p, want, n) == 0;
}

/* check_block parses one CERTIFICATE block; *ours is set when it is
 * for |leaf_key|. */
static afz_rc check_block(const char *p, size_t n, EVP_PKEY *leaf_key, int *ours, char *why,
                          size_t whylen)
{
    BIO *bio = BIO_new_mem_buf(p, (int)n);
    X509 *x = NULL;
    afz_rc rc = AFZ_EPROTO;
    if (!bio) {
        snprintf(why, whylen, "out of memory");
        return AFZ_ENOMEM;
    }
    if (!(x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
        snprintf(why, whylen, "a CERTIFICATE block is not an X.509 certificate");
        goto out;
    }
    if (leaf_key && EVP_PKEY_eq(X509_get0_pubkey(x), leaf_key) == 1)
        *ours = 1;
    rc = AFZ_OK;
out:
    X509_free(x);
    BIO_free(bio);
    return rc;
}

afz_rc afz_ind_chain_check(const char *pem, size_t n, EVP_PKEY *leaf_key, char *why, size_t whylen)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    static const char end[] = "-----END CERTIFICATE-----";
    size_t certs = 0, block_start = 0;
    int inside = 0, ours = 0;
    if (n > (size_t)INT32_MAX) {
        snprintf(why, whylen, "chain too large");
        return AFZ_EPROTO;
    }
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(pem + i, '\n', n - i);
        size_t len = nl ? (size_t)(nl - (pem + i)) : n - i;
        const char *line = pem + i;
        size_t next = i + len + (nl ? 1 : 0);
        if (memchr(line, '\0', len)) {
            snprintf(why, whylen, "NUL byte in the chain");
            return AFZ_EPROTO;
        }
        if (!inside) {
            if (line_is(line, len, begin)) {
                inside = 1;
                block_start = i;
            } else if (len >= 11 && memcmp(line, "-----BEGIN ", 11) == 0) {
                /* 11.4: clients "MUST NOT" accept a chain with anything
                 * but certificates (a private key, say). */
                snprintf(why, whylen, "the chain holds a non-certificate PEM block");
                return AFZ_EPROTO;
            } else if (!blank_line(line, len)) {
                snprintf(why, whylen, "text outside the PEM blocks of the chain");
                return AFZ_EPROTO;
            }
        } else if (line_is(line, len, end)) {
            afz_rc rc =
                check_block(pem + block_start, next - block_start, leaf_key, &ours, why, whylen);
            if (rc != AFZ_OK)
                return rc;
            certs++;
            inside = 0;
        } else if (len >= 5 && memcmp(line, "-----", 5) == 0) {
            snprintf(why, whylen, "malformed PEM block in the chain");
            return AFZ_EPROTO;
        }
        i = next;
    }
    if (inside) {
        snprintf(why, whylen, "the chain ends inside a PEM block");
        return AFZ_EPROTO;
    }
    if (certs == 0) {
        snprintf(why, whylen, "the chain holds no certificate");
        return AFZ_EPROTO;
    }
    /* 9.1: "the first certificate MUST be an end-entity certificate". A
     * server that lists the chain in another order still issued ours:
     * refusing it would only make a stateless client order again. So
     * only a chain without a certificate for our key is refused. */
    if (!ours) {
        snprintf(why, whylen, "no certificate of the chain is for the certificate key");
        return AFZ_EPROTO;
    }
    return AFZ_OK;
}
