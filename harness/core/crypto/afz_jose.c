/* afz_jose.c - see afz_jose.h.
 *
 * Everything cryptographic goes through OpenSSL 3 EVP calls; this file only
 * moves bytes between the JOSE encodings and OpenSSL's. OpenSSL's error
 * queue is cleared on every failure path that untrusted input can reach,
 * so a fuzz run does not carry stale errors from one request to the next. */
#include "afz_jose.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "afz_b64.h"
#include "afz_cryptostat.h"
#include "afz_json.h"

/* The three NIST curves JWS names (RFC 7518 3.4, 6.2.1.1). |width| is the
 * coordinate size, which is also the size of r and of s in a signature. */
typedef struct jose_curve {
    afz_jws_alg alg;
    const char *crv;   /* JWK "crv" */
    const char *group; /* OpenSSL group name */
    int nid;
    size_t width;
} jose_curve;

static const jose_curve jose_curves[] = {
    {AFZ_ALG_ES256, "P-256", "prime256v1", NID_X9_62_prime256v1, 32},
    {AFZ_ALG_ES384, "P-384", "secp384r1", NID_secp384r1, 48},
    {AFZ_ALG_ES512, "P-521", "secp521r1", NID_secp521r1, 66},
};

#define JOSE_N_CURVES (sizeof jose_curves / sizeof jose_curves[0])
#define JOSE_MAX_WIDTH 66
#define JOSE_ED25519_LEN 32
/* OpenSSL refuses RSA moduli above 16384 bits; refuse them here first so
 * a hostile JWK costs nothing. */
#define JOSE_RSA_MAX_BYTES (16384 / 8)

static const jose_curve *curve_by_alg(afz_jws_alg alg)
{
    for (size_t i = 0; i < JOSE_N_CURVES; i++)
        if (jose_curves[i].alg == alg)
            return &jose_curves[i];
    return NULL;
}

static const jose_curve *curve_by_crv(const char *crv)
{
    for (size_t i = 0; i < JOSE_N_CURVES; i++)
        if (strcmp(jose_curves[i].crv, crv) == 0)
            return &jose_curves[i];
    return NULL;
}

/* curve_of_key returns the curve of an EC key, NULL for anything else
 * (including EC keys with explicit parameters, which have no group name). */
static const jose_curve *curve_of_key(EVP_PKEY *key)
{
    char name[80];
    size_t len = 0;
    if (!key || !EVP_PKEY_is_a(key, "EC"))
        return NULL;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) !=
        1) {
        ERR_clear_error();
        return NULL;
    }
    int nid = OBJ_sn2nid(name);
    if (nid == NID_undef)
        nid = EC_curve_nist2nid(name);
    for (size_t i = 0; i < JOSE_N_CURVES; i++)
        if (jose_curves[i].nid == nid)
            return &jose_curves[i];
    return NULL;
}

static const char *const alg_names[] = {
    [AFZ_ALG_NONE] = "none",   [AFZ_ALG_ES256] = "ES256", [AFZ_ALG_ES384] = "ES384",
    [AFZ_ALG_RS256] = "RS256", [AFZ_ALG_EDDSA] = "EdDSA", [AFZ_ALG_ES512] = "ES512",
};

#define JOSE_N_ALGS (sizeof alg_names / sizeof alg_names[0])

const char *afz_jws_alg_name(afz_jws_alg alg)
{
    if ((unsigned)alg >= JOSE_N_ALGS)
        return "none";
    return alg_names[alg];
}

afz_jws_alg afz_jws_alg_from_name(const char *name)
{
    if (!name)
        return AFZ_ALG_NONE;
    /* "alg" values are case-sensitive (RFC 7515 4.1.1). */
    for (size_t i = 1; i < JOSE_N_ALGS; i++)
        if (strcmp(alg_names[i], name) == 0)
            return (afz_jws_alg)i;
    return AFZ_ALG_NONE;
}

/* ---- per-key memo ------------------------------------------------------
 *
 * A key's JWS algorithm and public JWK never change, yet every signature
 * and verification asks for the algorithm (an OpenSSL parameter lookup by
 * name) and every newAccount, thumbprint and key authorization for the JWK
 * (a parameter export per coordinate). Keys made here (afz_key_generate,
 * afz_jwk_to_key) get both computed once, at creation, and kept in the
 * key's ex_data; afterwards they are only read, so such a key can still be
 * shared between threads as before. Other keys (a CSR's, a certificate's)
 * carry none and are computed on each call, as before. A copy made with
 * EVP_PKEY_dup starts without one. */

typedef struct key_memo {
    afz_jws_alg alg;
    char *jwk; /* compact JWK text (afz_json_print of afz_jwk_from_key), or NULL */
    size_t jwk_len;
} key_memo;

static CRYPTO_ONCE memo_once = CRYPTO_ONCE_STATIC_INIT;
static int memo_index = -1;

static void memo_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    key_memo *m = ptr;
    if (m) {
        free(m->jwk);
        free(m);
    }
}

static int memo_dup(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from, void **from_d, int idx,
                    long argl, void *argp)
{
    (void)to;
    (void)from;
    (void)idx;
    (void)argl;
    (void)argp;
    *from_d = NULL; /* the copy computes its own */
    return 1;
}

static void memo_index_init(void)
{
    memo_index = EVP_PKEY_get_ex_new_index(0, NULL, NULL, memo_dup, memo_free);
}

static const key_memo *memo_of(EVP_PKEY *key)
{
    if (!key || memo_index < 0)
        return NULL;
    return EVP_PKEY_get_ex_data(key, memo_index);
}

static afz_jws_alg alg_for_key(EVP_PKEY *key);
static afz_rc jwk_build(EVP_PKEY *key, afz_jws_alg alg, cJSON **out);

static int memo_ready(void)
{
    return CRYPTO_THREAD_run_once(&memo_once, memo_index_init) && memo_index >= 0;
}

/* memo_store gives |key| the memo of |alg| and |jwk| (may be NULL: none);
 * without memory, or when |key| has one already, it does nothing. */
static void memo_store(EVP_PKEY *key, afz_jws_alg alg, const cJSON *jwk)
{
    if (!memo_ready() || EVP_PKEY_get_ex_data(key, memo_index))
        return;
    key_memo *m = calloc(1, sizeof(*m));
    if (!m)
        return;
    m->alg = alg;
    char *t = jwk ? afz_json_print_alloc(jwk, &m->jwk_len) : NULL;
    if (t) {
        m->jwk = afz_strndup(t, m->jwk_len);
        cJSON_free(t);
    }
    if (EVP_PKEY_set_ex_data(key, memo_index, m) != 1) {
        ERR_clear_error();
        free(m->jwk);
        free(m);
    }
}

/* memo_attach computes |key|'s memo from the key, unless it has one. */
static void memo_attach(EVP_PKEY *key)
{
    if (!memo_ready() || EVP_PKEY_get_ex_data(key, memo_index))
        return;
    afz_jws_alg alg = alg_for_key(key);
    cJSON *jwk = NULL;
    if (alg != AFZ_ALG_NONE && jwk_build(key, alg, &jwk) != AFZ_OK)
        jwk = NULL;
    memo_store(key, alg, jwk);
    cJSON_Delete(jwk);
}

afz_jws_alg afz_jws_alg_for_key(EVP_PKEY *key)
{
    const key_memo *m = memo_of(key);
    return m ? m->alg : alg_for_key(key);
}

static afz_jws_alg alg_for_key(EVP_PKEY *key)
{
    if (!key)
        return AFZ_ALG_NONE;
    const jose_curve *c = curve_of_key(key);
    if (c)
        return c->alg;
    if (EVP_PKEY_is_a(key, "RSA"))
        return AFZ_ALG_RS256;
    if (EVP_PKEY_is_a(key, "ED25519"))
        return AFZ_ALG_EDDSA;
    return AFZ_ALG_NONE;
}

int afz_key_bits(EVP_PKEY *key)
{
    if (!key)
        return 0;
    int bits = EVP_PKEY_get_bits(key);
    return bits > 0 ? bits : 0;
}

int afz_key_supported(EVP_PKEY *key)
{
    switch (afz_jws_alg_for_key(key)) {
    case AFZ_ALG_ES256:
    case AFZ_ALG_ES384:
    case AFZ_ALG_EDDSA:
        return 1;
    case AFZ_ALG_RS256: {
        int bits = afz_key_bits(key);
        return bits >= AFZ_RSA_MIN_BITS && bits <= AFZ_RSA_MAX_BITS;
    }
    case AFZ_ALG_ES512:
    case AFZ_ALG_NONE:
        break;
    }
    return 0;
}

int afz_key_pebble(EVP_PKEY *key)
{
    switch (afz_jws_alg_for_key(key)) {
    case AFZ_ALG_ES512:
        return 1;
    case AFZ_ALG_RS256: {
        int bits = afz_key_bits(key);
        return bits >= AFZ_RSA_MIN_BITS_PEBBLE && bits < AFZ_RSA_MIN_BITS;
    }
    case AFZ_ALG_ES256:
    case AFZ_ALG_ES384:
    case AFZ_ALG_EDDSA:
    case AFZ_ALG_NONE:
        break;
    }
    return 0;
}

afz_rc afz_key_generate(afz_jws_alg alg, EVP_PKEY **out)
{
    EVP_PKEY *k = NULL;
    if (!out)
        return AFZ_EINVAL;
    *out = NULL;
    switch (alg) {
    case AFZ_ALG_ES256:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        break;
    case AFZ_ALG_ES384:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
        break;
    case AFZ_ALG_ES512:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
        break;
    case AFZ_ALG_RS256:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        break;
    case AFZ_ALG_EDDSA:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        break;
    case AFZ_ALG_NONE:
    default:
        return AFZ_EINVAL;
    }
    if (!k) {
        ERR_clear_error();
        return AFZ_ECRYPTO;
    }
    afz_cryptostat_count_key(AFZ_CS_KEYGEN, k, 0);
    memo_attach(k);
    *out = k;
    return AFZ_OK;
}

/* spki_rsa_der encodes RSAPublicKey ::= SEQUENCE { n, e } (RFC 8017
 * A.1.1), the subjectPublicKey of an rsaEncryption key. */
static afz_rc spki_rsa_der(EVP_PKEY *key, unsigned char **der, int *der_len)
{
    afz_rc rc = AFZ_ECRYPTO;
    BIGNUM *n = NULL, *e = NULL;
    ASN1_INTEGER *an = NULL, *ae = NULL;
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
        EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
        goto out;
    an = BN_to_ASN1_INTEGER(n, NULL);
    ae = BN_to_ASN1_INTEGER(e, NULL);
    if (!an || !ae)
        goto out;
    int ln = i2d_ASN1_INTEGER(an, NULL), le = i2d_ASN1_INTEGER(ae, NULL);
    if (ln <= 0 || le <= 0)
        goto out;
    int total = ASN1_object_size(1, ln + le, V_ASN1_SEQUENCE);
    if (total <= 0)
        goto out;
    unsigned char *buf = OPENSSL_malloc((size_t)total), *p = buf;
    if (!buf) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    ASN1_put_object(&p, 1, ln + le, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
    if (i2d_ASN1_INTEGER(an, &p) != ln || i2d_ASN1_INTEGER(ae, &p) != le || p != buf + total) {
        OPENSSL_free(buf);
        goto out;
    }
    *der = buf;
    *der_len = total;
    rc = AFZ_OK;
out:
    ASN1_INTEGER_free(an);
    ASN1_INTEGER_free(ae);
    BN_free(n);
    BN_free(e);
    return rc;
}

afz_rc afz_key_set_spki(X509_PUBKEY *spki, EVP_PKEY *key)
{
    afz_rc rc = AFZ_ECRYPTO;
    unsigned char *bits = NULL;
    int bits_len = 0, alg_nid, param_type = V_ASN1_UNDEF;
    void *param = NULL;
    if (!spki || !key)
        return AFZ_EINVAL;
    afz_jws_alg alg = afz_jws_alg_for_key(key);
    const jose_curve *c = curve_by_alg(alg);
    if (c) {
        /* RFC 5480 2.1.1 and 2.2: id-ecPublicKey, namedCurve, and the
         * uncompressed point as the key bits. */
        size_t len = 0;
        alg_nid = NID_X9_62_id_ecPublicKey;
        param_type = V_ASN1_OBJECT;
        param = OBJ_nid2obj(c->nid);
        bits = OPENSSL_malloc(1 + 2 * c->width);
        if (!bits) {
            rc = AFZ_ENOMEM;
            goto out;
        }
        if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, bits,
                                            1 + 2 * c->width, &len) != 1 ||
            len != 1 + 2 * c->width || bits[0] != 0x04)
            goto out;
        bits_len = (int)len;
    } else if (alg == AFZ_ALG_RS256) {
        /* RFC 3279 2.3.1: rsaEncryption with NULL parameters. */
        alg_nid = NID_rsaEncryption;
        param_type = V_ASN1_NULL;
        if ((rc = spki_rsa_der(key, &bits, &bits_len)) != AFZ_OK)
            goto out;
        rc = AFZ_ECRYPTO;
    } else if (alg == AFZ_ALG_EDDSA) {
        /* RFC 8410 4: id-Ed25519, parameters absent, the raw key. */
        size_t len = JOSE_ED25519_LEN;
        alg_nid = NID_ED25519;
        bits = OPENSSL_malloc(JOSE_ED25519_LEN);
        if (!bits) {
            rc = AFZ_ENOMEM;
            goto out;
        }
        if (EVP_PKEY_get_raw_public_key(key, bits, &len) != 1 || len != JOSE_ED25519_LEN)
            goto out;
        bits_len = (int)len;
    } else {
        return AFZ_EINVAL;
    }
    /* On success |spki| owns |bits|; the objects are OpenSSL's static
     * ones, which X509_ALGOR frees as no-ops. */
    if (X509_PUBKEY_set0_param(spki, OBJ_nid2obj(alg_nid), param_type, param, bits, bits_len) != 1)
        goto out;
    bits = NULL;
    rc = AFZ_OK;
out:
    if (rc != AFZ_OK)
        ERR_clear_error();
    OPENSSL_free(bits);
    return rc;
}

/* ---- JWK ---------------------------------------------------------------- */

static afz_rc add_b64_member(cJSON *obj, const char *name, const void *p, size_t n)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    afz_rc rc = afz_b64url_encode(p, n, &b);
    if (rc == AFZ_OK)
        rc = afz_json_add_str(obj, name, afz_buf_cstr(&b));
    afz_buf_cleanup(&b);
    return rc;
}

/* add_bn_member adds the big-endian octets of a key parameter, padded to
 * |width| bytes (EC coordinates, RFC 7518 6.2.1.2) or minimal when |width|
 * is 0 (RSA n and e, RFC 7518 6.3.1). */
static afz_rc add_bn_member(cJSON *obj, const char *name, EVP_PKEY *key, const char *param,
                            size_t width)
{
    afz_rc rc = AFZ_ECRYPTO;
    BIGNUM *bn = NULL;
    unsigned char *bytes = NULL;
    if (EVP_PKEY_get_bn_param(key, param, &bn) != 1)
        goto out;
    size_t have = (size_t)BN_num_bytes(bn);
    size_t n = width ? width : have;
    if (have > n)
        goto out;
    bytes = malloc(n ? n : 1);
    if (!bytes) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    if (BN_bn2binpad(bn, bytes, (int)n) < 0)
        goto out;
    rc = add_b64_member(obj, name, bytes, n);
out:
    if (rc == AFZ_ECRYPTO)
        ERR_clear_error();
    BN_free(bn);
    free(bytes);
    return rc;
}

afz_rc afz_jwk_from_key(EVP_PKEY *key, cJSON **out)
{
    if (!out)
        return AFZ_EINVAL;
    *out = NULL;
    afz_jws_alg alg = afz_jws_alg_for_key(key);
    if (alg == AFZ_ALG_NONE)
        return AFZ_EINVAL;
    return jwk_build(key, alg, out);
}

afz_rc afz_jwk_text(EVP_PKEY *key, afz_buf *out)
{
    const key_memo *m = memo_of(key);
    if (m && m->jwk)
        return afz_buf_append(out, m->jwk, m->jwk_len);
    cJSON *jwk = NULL;
    afz_rc rc = afz_jwk_from_key(key, &jwk);
    if (rc == AFZ_OK)
        rc = afz_json_print(jwk, out);
    cJSON_Delete(jwk);
    return rc;
}

/* jwk_build makes the JWK of |key|, whose algorithm is |alg| (not NONE). */
static afz_rc jwk_build(EVP_PKEY *key, afz_jws_alg alg, cJSON **out)
{
    afz_rc rc = AFZ_ENOMEM;
    cJSON *jwk = NULL;
    jwk = cJSON_CreateObject();
    if (!jwk)
        goto out;
    /* Members are added in lexicographic order, so the compact print of
     * the object is exactly the RFC 7638 3.3 thumbprint input. */
    if (alg == AFZ_ALG_RS256) {
        if ((rc = add_bn_member(jwk, "e", key, OSSL_PKEY_PARAM_RSA_E, 0)) != AFZ_OK ||
            (rc = afz_json_add_str(jwk, "kty", "RSA")) != AFZ_OK ||
            (rc = add_bn_member(jwk, "n", key, OSSL_PKEY_PARAM_RSA_N, 0)) != AFZ_OK)
            goto out;
    } else if (alg == AFZ_ALG_EDDSA) {
        unsigned char raw[JOSE_ED25519_LEN];
        size_t len = sizeof raw;
        if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1 || len != sizeof raw) {
            ERR_clear_error();
            rc = AFZ_ECRYPTO;
            goto out;
        }
        if ((rc = afz_json_add_str(jwk, "crv", "Ed25519")) != AFZ_OK ||
            (rc = afz_json_add_str(jwk, "kty", "OKP")) != AFZ_OK ||
            (rc = add_b64_member(jwk, "x", raw, len)) != AFZ_OK)
            goto out;
    } else {
        const jose_curve *c = curve_by_alg(alg);
        if ((rc = afz_json_add_str(jwk, "crv", c->crv)) != AFZ_OK ||
            (rc = afz_json_add_str(jwk, "kty", "EC")) != AFZ_OK ||
            (rc = add_bn_member(jwk, "x", key, OSSL_PKEY_PARAM_EC_PUB_X, c->width)) != AFZ_OK ||
            (rc = add_bn_member(jwk, "y", key, OSSL_PKEY_PARAM_EC_PUB_Y, c->width)) != AFZ_OK)
            goto out;
    }
    *out = jwk;
    jwk = NULL;
    rc = AFZ_OK;
out:
    cJSON_Delete(jwk);
    return rc;
}

/* b64_member decodes a required base64url string member into |out|. */
static afz_rc b64_member(const cJSON *jwk, const char *name, afz_buf *out)
{
    const char *s = afz_json_str(jwk, name);
    if (!s)
        return AFZ_EPARSE;
    afz_rc rc = afz_b64url_decode(s, strlen(s), out);
    return rc == AFZ_ENOMEM ? rc : (rc == AFZ_OK ? AFZ_OK : AFZ_EPARSE);
}

static afz_rc key_fromdata(const char *type, const OSSL_PARAM *params, EVP_PKEY **out)
{
    afz_rc rc = AFZ_ECRYPTO;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (!ctx)
        goto out;
    /* EVP_PKEY_fromdata takes a non-const array but does not change it. */
    if (EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, (OSSL_PARAM *)params) != 1)
        goto out;
    afz_cryptostat_count_key(AFZ_CS_KEY_IMPORT, *out, 0);
    rc = AFZ_OK;
out:
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

static afz_rc jwk_to_ec(const cJSON *jwk, EVP_PKEY **out)
{
    afz_rc rc;
    afz_buf x, y;
    unsigned char point[1 + 2 * JOSE_MAX_WIDTH];
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *check = NULL;
    afz_buf_init(&x, 0);
    afz_buf_init(&y, 0);
    const char *crv = afz_json_str(jwk, "crv");
    if (!crv) {
        rc = AFZ_EPARSE;
        goto out;
    }
    if ((rc = b64_member(jwk, "x", &x)) != AFZ_OK || (rc = b64_member(jwk, "y", &y)) != AFZ_OK)
        goto out;
    rc = AFZ_ECRYPTO;
    const jose_curve *c = curve_by_crv(crv);
    if (!c || x.len != c->width || y.len != c->width)
        goto out;
    /* The uncompressed SEC1 point 04 || x || y. */
    point[0] = 0x04;
    memcpy(point + 1, x.data, c->width);
    memcpy(point + 1 + c->width, y.data, c->width);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)c->group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * c->width),
        OSSL_PARAM_construct_end(),
    };
    if ((rc = key_fromdata("EC", params, &key)) != AFZ_OK)
        goto out;
    /* On the curve, not infinity, coordinates in range; the curves have
     * cofactor 1, so the expensive order check adds nothing. */
    check = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    if (!check || EVP_PKEY_public_check_quick(check) != 1) {
        rc = AFZ_ECRYPTO;
        goto out;
    }
    /* The key's memo from the checked coordinates themselves (both below
     * p, so exactly what exporting them would give), in jwk_build's form:
     * no export. */
    cJSON *memo_jwk = cJSON_CreateObject();
    if (memo_jwk && afz_json_add_str(memo_jwk, "crv", c->crv) == AFZ_OK &&
        afz_json_add_str(memo_jwk, "kty", "EC") == AFZ_OK &&
        add_b64_member(memo_jwk, "x", x.data, c->width) == AFZ_OK &&
        add_b64_member(memo_jwk, "y", y.data, c->width) == AFZ_OK)
        memo_store(key, c->alg, memo_jwk);
    cJSON_Delete(memo_jwk);
    *out = key;
    key = NULL;
out:
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_free(key);
    afz_buf_cleanup(&x);
    afz_buf_cleanup(&y);
    return rc;
}

static afz_rc jwk_to_rsa(const cJSON *jwk, EVP_PKEY **out)
{
    afz_rc rc;
    afz_buf n, e;
    BIGNUM *bn_n = NULL, *bn_e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    afz_buf_init(&n, 0);
    afz_buf_init(&e, 0);
    if ((rc = b64_member(jwk, "n", &n)) != AFZ_OK || (rc = b64_member(jwk, "e", &e)) != AFZ_OK)
        goto out;
    rc = AFZ_ECRYPTO;
    if (n.len == 0 || n.len > JOSE_RSA_MAX_BYTES || e.len == 0 || e.len > n.len)
        goto out;
    rc = AFZ_ENOMEM;
    bn_n = BN_bin2bn((const unsigned char *)n.data, (int)n.len, NULL);
    bn_e = BN_bin2bn((const unsigned char *)e.data, (int)e.len, NULL);
    bld = OSSL_PARAM_BLD_new();
    if (!bn_n || !bn_e || !bld)
        goto out;
    if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
        goto out;
    params = OSSL_PARAM_BLD_to_param(bld);
    if (!params)
        goto out;
    rc = AFZ_ECRYPTO;
    /* A zero or even modulus or exponent can never verify anything. */
    if (BN_is_zero(bn_n) || !BN_is_odd(bn_n) || !BN_is_odd(bn_e) || BN_is_one(bn_e))
        goto out;
    rc = key_fromdata("RSA", params, out);
out:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    afz_buf_cleanup(&n);
    afz_buf_cleanup(&e);
    return rc;
}

static afz_rc jwk_to_okp(const cJSON *jwk, EVP_PKEY **out)
{
    afz_rc rc;
    afz_buf x;
    afz_buf_init(&x, 0);
    const char *crv = afz_json_str(jwk, "crv");
    if (!crv) {
        rc = AFZ_EPARSE;
        goto out;
    }
    if ((rc = b64_member(jwk, "x", &x)) != AFZ_OK)
        goto out;
    rc = AFZ_ECRYPTO;
    if (strcmp(crv, "Ed25519") != 0 || x.len != JOSE_ED25519_LEN)
        goto out;
    *out =
        EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, (const unsigned char *)x.data, x.len);
    if (*out)
        rc = AFZ_OK;
out:
    afz_buf_cleanup(&x);
    return rc;
}

afz_rc afz_jwk_to_key(const cJSON *jwk, EVP_PKEY **out)
{
    if (!out)
        return AFZ_EINVAL;
    *out = NULL;
    const char *kty = afz_json_str(jwk, "kty");
    afz_rc rc;
    if (!kty)
        rc = AFZ_EPARSE;
    else if (strcmp(kty, "EC") == 0)
        rc = jwk_to_ec(jwk, out);
    else if (strcmp(kty, "RSA") == 0)
        rc = jwk_to_rsa(jwk, out);
    else if (strcmp(kty, "OKP") == 0)
        rc = jwk_to_okp(jwk, out);
    else
        rc = AFZ_ECRYPTO; /* a key type this server does not support */
    if (rc != AFZ_OK) {
        ERR_clear_error();
        EVP_PKEY_free(*out);
        *out = NULL;
    } else {
        memo_attach(*out);
    }
    return rc;
}

afz_rc afz_jwk_thumbprint(EVP_PKEY *key, afz_buf *out)
{
    afz_rc rc;
    afz_buf text;
    afz_buf_init(&text, 0);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if ((rc = afz_jwk_text(key, &text)) != AFZ_OK)
        goto out;
    rc = AFZ_ECRYPTO;
    if (EVP_Digest(text.data, text.len, md, &md_len, EVP_sha256(), NULL) != 1)
        goto out;
    rc = afz_b64url_encode(md, md_len, out);
out:
    afz_buf_cleanup(&text);
    return rc;
}

/* ---- signatures --------------------------------------------------------- */

/* digest_for returns the hash of |alg|; NULL for EdDSA, which hashes
 * inside the signature scheme. */
static const EVP_MD *digest_for(afz_jws_alg alg)
{
    switch (alg) {
    case AFZ_ALG_ES384:
        return EVP_sha384();
    case AFZ_ALG_ES512:
        return EVP_sha512();
    case AFZ_ALG_ES256:
    case AFZ_ALG_RS256:
        return EVP_sha256();
    case AFZ_ALG_EDDSA:
    case AFZ_ALG_NONE:
        break;
    }
    return NULL;
}

/* sign_raw appends the JWS signature bytes over |tbs| to |sig|: raw r||s
 * for ECDSA (RFC 7518 3.4), the scheme's own bytes otherwise. */
static afz_rc sign_raw(EVP_PKEY *key, afz_jws_alg alg, const void *tbs, size_t n, afz_buf *sig)
{
    afz_rc rc = AFZ_ECRYPTO;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char *der = NULL;
    ECDSA_SIG *es = NULL;
    size_t len = 0;
    if (!md) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    if (EVP_DigestSignInit(md, NULL, digest_for(alg), NULL, key) != 1 ||
        EVP_DigestSign(md, NULL, &len, tbs, n) != 1)
        goto out;
    der = OPENSSL_malloc(len ? len : 1);
    if (!der) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    if (EVP_DigestSign(md, der, &len, tbs, n) != 1)
        goto out;
    afz_cryptostat_count_key(AFZ_CS_JWS_SIGN, key, n);
    const jose_curve *c = curve_by_alg(alg);
    if (!c) {
        rc = afz_buf_append(sig, der, len);
        goto out;
    }
    const unsigned char *p = der;
    es = d2i_ECDSA_SIG(NULL, &p, (long)len);
    if (!es)
        goto out;
    const BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG_get0(es, &r, &s);
    unsigned char raw[2 * JOSE_MAX_WIDTH];
    if (BN_bn2binpad(r, raw, (int)c->width) < 0 ||
        BN_bn2binpad(s, raw + c->width, (int)c->width) < 0)
        goto out;
    rc = afz_buf_append(sig, raw, 2 * c->width);
out:
    if (rc == AFZ_ECRYPTO)
        ERR_clear_error();
    ECDSA_SIG_free(es);
    OPENSSL_free(der);
    EVP_MD_CTX_free(md);
    return rc;
}

/* protected_header builds {"alg","jwk"|"kid","nonce","url"}. */
static afz_rc protected_header(const afz_jws_sign_params *p, afz_jws_alg alg, cJSON **out)
{
    afz_rc rc;
    cJSON *h = cJSON_CreateObject();
    if (!h)
        return AFZ_ENOMEM;
    if ((rc = afz_json_add_str(h, "alg", afz_jws_alg_name(alg))) != AFZ_OK)
        goto out;
    if (p->kid) {
        rc = afz_json_add_str(h, "kid", p->kid);
    } else {
        /* The compact text, printed as is: the same bytes the object
         * would print as. */
        afz_buf text;
        afz_buf_init(&text, 0);
        if ((rc = afz_jwk_text(p->key, &text)) == AFZ_OK)
            rc = cJSON_AddRawToObject(h, "jwk", afz_buf_cstr(&text)) ? AFZ_OK : AFZ_ENOMEM;
        afz_buf_cleanup(&text);
    }
    if (rc != AFZ_OK)
        goto out;
    if (p->nonce && (rc = afz_json_add_str(h, "nonce", p->nonce)) != AFZ_OK)
        goto out;
    if ((rc = afz_json_add_str(h, "url", p->url)) != AFZ_OK)
        goto out;
    *out = h;
    h = NULL;
out:
    cJSON_Delete(h);
    return rc;
}

static void buf_truncate(afz_buf *b, size_t len)
{
    b->len = len;
    if (b->data)
        b->data[len] = '\0';
}

afz_rc afz_jws_sign(const afz_jws_sign_params *p, const void *payload, size_t n, afz_buf *out)
{
    afz_rc rc;
    cJSON *hdr = NULL;
    afz_buf input, sig;
    afz_buf_init(&input, 0);
    afz_buf_init(&sig, 0);
    size_t start = out ? out->len : 0;
    if (!p || !p->key || !p->url || !out || (n && !payload))
        return AFZ_EINVAL;
    afz_jws_alg alg = afz_jws_alg_for_key(p->key);
    if (alg == AFZ_ALG_NONE)
        return AFZ_EINVAL;
    if ((rc = protected_header(p, alg, &hdr)) != AFZ_OK)
        goto out;
    /* Signing input: BASE64URL(protected) "." BASE64URL(payload). The
     * header's JSON text passes through |sig| before the signature does. */
    if ((rc = afz_json_print(hdr, &sig)) != AFZ_OK ||
        (rc = afz_b64url_encode(sig.data, sig.len, &input)) != AFZ_OK)
        goto out;
    size_t protected_len = input.len;
    afz_buf_reset(&sig);
    if ((rc = afz_buf_putc(&input, '.')) != AFZ_OK ||
        (rc = afz_b64url_encode(payload, n, &input)) != AFZ_OK ||
        (rc = sign_raw(p->key, alg, input.data, input.len, &sig)) != AFZ_OK)
        goto out;
    /* Every value is base64url, so none needs JSON escaping. */
    if ((rc = afz_buf_puts(out, "{\"protected\":\"")) != AFZ_OK ||
        (rc = afz_buf_append(out, input.data, protected_len)) != AFZ_OK ||
        (rc = afz_buf_puts(out, "\",\"payload\":\"")) != AFZ_OK ||
        (rc = afz_buf_append(out, input.data + protected_len + 1, input.len - protected_len - 1)) !=
            AFZ_OK ||
        (rc = afz_buf_puts(out, "\",\"signature\":\"")) != AFZ_OK ||
        (rc = afz_b64url_encode(sig.data, sig.len, out)) != AFZ_OK ||
        (rc = afz_buf_puts(out, "\"}")) != AFZ_OK)
        goto out;
out:
    if (rc != AFZ_OK)
        buf_truncate(out, start);
    cJSON_Delete(hdr);
    afz_buf_cleanup(&input);
    afz_buf_cleanup(&sig);
    return rc;
}

/* ---- parsing and verification ------------------------------------------ */

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* find_duplicate sets *dup when two members of |obj| share a name. RFC
 * 7515 4 lets a parser reject such objects, and it is the only safe
 * choice when cJSON's lookup returns the first one. Sorting keeps a
 * hostile header with thousands of members cheap. */
static afz_rc find_duplicate(const cJSON *obj, int *dup)
{
    size_t n = 0, i = 0;
    const cJSON *m;
    *dup = 0;
    for (m = obj->child; m; m = m->next)
        n++;
    if (n < 2)
        return AFZ_OK;
    const char **names = malloc(n * sizeof *names);
    if (!names)
        return AFZ_ENOMEM;
    for (m = obj->child; m; m = m->next)
        names[i++] = m->string ? m->string : "";
    qsort(names, n, sizeof *names, cmp_name);
    for (i = 1; i < n && !*dup; i++)
        *dup = strcmp(names[i - 1], names[i]) == 0;
    free(names);
    return AFZ_OK;
}

/* decode_member decodes the base64url string |s| into |out|, rejecting
 * padding and stray characters (RFC 8555 6.1). */
static afz_rc decode_member(const char *s, afz_buf *out)
{
    afz_rc rc = afz_b64url_decode(s, strlen(s), out);
    return rc == AFZ_ENOMEM ? rc : (rc == AFZ_OK ? AFZ_OK : AFZ_EPARSE);
}

afz_rc afz_jws_parse(const void *body, size_t n, afz_jws *out, const char **why)
{
    afz_rc rc = AFZ_EPARSE;
    const char *reason = NULL;
    cJSON *root = NULL;
    afz_buf hdr, payload, sig;
    int dup = 0;
    afz_buf_init(&hdr, 0);
    afz_buf_init(&payload, 0);
    afz_buf_init(&sig, 0);
    if (!out) {
        rc = AFZ_EINVAL;
        reason = "no output";
        goto out;
    }
    memset(out, 0, sizeof *out);
    if (afz_json_parse(body, n, &root) != AFZ_OK) {
        reason = "request body is not valid JSON";
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        reason = "JWS is not a JSON object";
        goto out;
    }
    if ((rc = find_duplicate(root, &dup)) != AFZ_OK)
        goto out;
    rc = AFZ_EPARSE;
    if (dup) {
        reason = "JWS has a duplicate member";
        goto out;
    }
    /* RFC 8555 6.2: the flattened serialization only, no unprotected
     * header. */
    if (cJSON_GetObjectItemCaseSensitive(root, "signatures")) {
        reason = "JWS general serialization is not supported; use the flattened form";
        goto out;
    }
    if (cJSON_GetObjectItemCaseSensitive(root, "header")) {
        reason = "JWS unprotected header is not allowed";
        goto out;
    }
    const char *p_protected = afz_json_str(root, "protected");
    const char *p_payload = afz_json_str(root, "payload");
    const char *p_signature = afz_json_str(root, "signature");
    if (!p_protected) {
        reason = "JWS \"protected\" is missing or not a string";
        goto out;
    }
    if (!p_payload) {
        reason = "JWS \"payload\" is missing or not a string";
        goto out;
    }
    if (!p_signature) {
        reason = "JWS \"signature\" is missing or not a string";
        goto out;
    }
    if ((rc = decode_member(p_protected, &hdr)) != AFZ_OK) {
        reason = "JWS \"protected\" is not unpadded base64url";
        goto out;
    }
    if ((rc = decode_member(p_payload, &payload)) != AFZ_OK) {
        reason = "JWS \"payload\" is not unpadded base64url";
        goto out;
    }
    if ((rc = decode_member(p_signature, &sig)) != AFZ_OK) {
        reason = "JWS \"signature\" is not unpadded base64url";
        goto out;
    }
    rc = AFZ_EPARSE;
    if (afz_json_parse_object(hdr.data, hdr.len, &out->protected_hdr) != AFZ_OK) {
        reason = "JWS protected header is not a JSON object";
        goto out;
    }
    if ((rc = find_duplicate(out->protected_hdr, &dup)) != AFZ_OK)
        goto out;
    rc = AFZ_EPARSE;
    if (dup) {
        reason = "JWS protected header has a duplicate parameter";
        goto out;
    }
    const cJSON *h = out->protected_hdr;
    out->alg_name = afz_json_str(h, "alg");
    out->alg = afz_jws_alg_from_name(out->alg_name);
    out->nonce = afz_json_str(h, "nonce");
    out->url = afz_json_str(h, "url");
    out->kid = afz_json_str(h, "kid");
    out->jwk = cJSON_GetObjectItemCaseSensitive(h, "jwk");
    out->has_jwk = out->jwk != NULL;
    out->has_kid = cJSON_GetObjectItemCaseSensitive(h, "kid") != NULL;

    rc = AFZ_ENOMEM;
    size_t plen = strlen(p_protected), ylen = strlen(p_payload);
    out->signing_input = malloc(plen + 1 + ylen + 1);
    if (!out->signing_input)
        goto out;
    memcpy(out->signing_input, p_protected, plen);
    out->signing_input[plen] = '.';
    memcpy(out->signing_input + plen + 1, p_payload, ylen);
    out->signing_input[plen + 1 + ylen] = '\0';
    out->signing_input_len = plen + 1 + ylen;
    out->payload = (uint8_t *)afz_buf_take(&payload, &out->payload_len);
    if (!out->payload)
        goto out;
    out->sig = (uint8_t *)afz_buf_take(&sig, &out->sig_len);
    if (!out->sig)
        goto out;
    rc = AFZ_OK;
out:
    if (rc == AFZ_ENOMEM)
        reason = "out of memory";
    if (why)
        *why = rc == AFZ_OK ? NULL : reason;
    if (rc != AFZ_OK)
        afz_jws_cleanup(out);
    cJSON_Delete(root);
    afz_buf_cleanup(&hdr);
    afz_buf_cleanup(&payload);
    afz_buf_cleanup(&sig);
    return rc;
}

afz_rc afz_jws_verify(const afz_jws *jws, EVP_PKEY *key)
{
    afz_rc rc = AFZ_ECRYPTO;
    EVP_MD_CTX *md = NULL;
    ECDSA_SIG *es = NULL;
    BIGNUM *r = NULL, *s = NULL;
    unsigned char *der = NULL;
    const unsigned char *sig;
    size_t sig_len;
    if (!jws || !key || !jws->signing_input || !jws->sig)
        return AFZ_EINVAL;
    /* RFC 8555 6.2 / RFC 7515 4.1.1: the header's alg must be the one the
     * key signs with; "none" and MACs never get here. */
    if (jws->alg == AFZ_ALG_NONE || afz_jws_alg_for_key(key) != jws->alg)
        return AFZ_EINVAL;
    sig = jws->sig;
    sig_len = jws->sig_len;
    const jose_curve *c = curve_by_alg(jws->alg);
    if (c) {
        /* RFC 7518 3.4: exactly 2 * coordinate width, as r || s. */
        if (sig_len != 2 * c->width)
            goto out;
        es = ECDSA_SIG_new();
        r = BN_bin2bn(jws->sig, (int)c->width, NULL);
        s = BN_bin2bn(jws->sig + c->width, (int)c->width, NULL);
        if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1) {
            rc = AFZ_ENOMEM;
            goto out;
        }
        r = s = NULL; /* owned by es now */
        int der_len = i2d_ECDSA_SIG(es, &der);
        if (der_len <= 0)
            goto out;
        sig = der;
        sig_len = (size_t)der_len;
    }
    md = EVP_MD_CTX_new();
    if (!md) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    if (EVP_DigestVerifyInit(md, NULL, digest_for(jws->alg), NULL, key) != 1)
        goto out;
    if (EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)jws->signing_input,
                         jws->signing_input_len) == 1)
        rc = AFZ_OK;
    afz_cryptostat_count_key(rc == AFZ_OK ? AFZ_CS_JWS_VERIFY : AFZ_CS_JWS_VERIFY_BAD, key,
                             jws->signing_input_len);
out:
    if (rc != AFZ_OK)
        ERR_clear_error();
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    BN_free(r);
    BN_free(s);
    return rc;
}

void afz_jws_cleanup(afz_jws *jws)
{
    if (!jws)
        return;
    cJSON_Delete(jws->protected_hdr);
    free(jws->payload);
    free(jws->signing_input);
    free(jws->sig);
    memset(jws, 0, sizeof *jws);
}
