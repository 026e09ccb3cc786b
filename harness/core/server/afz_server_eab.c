/* afz_server_eab.c - external account binding (RFC 8555 7.3.4), checked
 * on newAccount when the server is configured with MAC keys (Pebble's
 * externalAccountMACKeys; afz_server_config.eab_keys).
 *
 * RFC 8555 7.3.4: "To verify the account binding, the CA MUST take the
 * following steps:
 *   1. Verify that the value of the field is a well-formed JWS
 *   2. Verify that the JWS protected field meets the above criteria
 *   3. Retrieve the MAC key corresponding to the key identifier in the
 *      "kid" field
 *   4. Verify that the MAC on the JWS verifies using that MAC key
 *   5. Verify that the payload of the JWS represents the same key as was
 *      used to verify the outer JWS (i.e., the "jwk" field of the outer
 *      JWS)"
 * and the criteria: "The "alg" field MUST indicate a MAC-based algorithm",
 * "The "kid" field MUST contain the key identifier provided by the CA",
 * "The "nonce" field MUST NOT be present", "The "url" field MUST be set to
 * the same value as the outer JWS". The RFC names no error type; the
 * answers follow Pebble: a binding that is not a well-formed JWS or breaks
 * a header rule is 400 malformed (an algorithm that is not HS256/384/512:
 * badSignatureAlgorithm), an unknown kid, a MAC that does not verify or a
 * payload naming another key is 403 unauthorized. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include "afz_b64.h"
#include "afz_json.h"
#include "afz_server_internal.h"

static afz_rc answered(afz_rc problem_rc)
{
    return problem_rc == AFZ_OK ? AFZ_EPROTO : problem_rc;
}

static const EVP_MD *mac_digest(const char *alg)
{
    if (!alg)
        return NULL;
    if (strcmp(alg, "HS256") == 0)
        return EVP_sha256();
    if (strcmp(alg, "HS384") == 0)
        return EVP_sha384();
    if (strcmp(alg, "HS512") == 0)
        return EVP_sha512();
    return NULL;
}

/* eab_key_of returns the configured key of |kid|, or NULL. */
static const afz_server_eab_key *eab_key_of(const afz_server *s, const char *kid)
{
    for (size_t i = 0; kid && i < s->cfg.n_eab_keys; i++)
        if (s->cfg.eab_keys[i].kid && strcmp(s->cfg.eab_keys[i].kid, kid) == 0)
            return &s->cfg.eab_keys[i];
    return NULL;
}

/* decode_mac_key decodes a base64url key, tolerating '=' padding and the
 * standard alphabet's '+' and '/' (CAs hand keys out in either form). */
static afz_rc decode_mac_key(const char *b64, afz_buf *out)
{
    size_t n = strlen(b64);
    while (n && b64[n - 1] == '=')
        n--;
    char *t = malloc(n + 1);
    if (!t)
        return AFZ_ENOMEM;
    for (size_t i = 0; i < n; i++)
        t[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
    t[n] = '\0';
    afz_rc rc = afz_b64url_decode(t, n, out);
    free(t);
    return rc;
}

afz_rc afz_srv_eab_check(afz_server *s, const cJSON *eab, const afz_srv_auth *outer,
                         const char *thumb, afz_response *resp)
{
    afz_jws in;
    memset(&in, 0, sizeof(in));
    afz_buf text, key, other;
    afz_buf_init(&text, 0);
    afz_buf_init(&key, 0);
    afz_buf_init(&other, 0);
    cJSON *payload = NULL;
    EVP_PKEY *pk = NULL;
    const char *why = NULL;
    afz_rc rc;
    if (!cJSON_IsObject(eab)) {
        rc = answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                      "externalAccountBinding is not a JWS object"));
        goto out;
    }
    rc = afz_json_print(eab, &text);
    if (rc != AFZ_OK)
        goto out;
    /* 1. a well-formed (flattened) JWS */
    if (afz_jws_parse(text.data, text.len, &in, &why) != AFZ_OK) {
        rc = answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                      "externalAccountBinding is not a well-formed JWS: %s",
                                      why ? why : "unreadable"));
        goto out;
    }
    /* 2. the protected header's criteria */
    const EVP_MD *md = mac_digest(in.alg_name);
    if (!md) {
        rc = answered(afz_srv_problem(resp, 400, "badSignatureAlgorithm", NULL,
                                      "externalAccountBinding: \"alg\" must be a MAC algorithm "
                                      "(HS256, HS384, HS512), got \"%s\"",
                                      in.alg_name ? in.alg_name : "(none)"));
        goto out;
    }
    if (cJSON_GetObjectItemCaseSensitive(in.protected_hdr, "nonce")) {
        rc = answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                      "externalAccountBinding: \"nonce\" must not be present"));
        goto out;
    }
    if (!in.url || !outer->jws.url || strcmp(in.url, outer->jws.url) != 0) {
        rc = answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                      "externalAccountBinding: \"url\" must be the outer JWS's "
                                      "\"url\""));
        goto out;
    }
    if (!in.kid) {
        rc = answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                      "externalAccountBinding: \"kid\" is missing"));
        goto out;
    }
    /* 3. the MAC key of "kid" */
    const afz_server_eab_key *k = eab_key_of(s, in.kid);
    if (!k) {
        rc = answered(afz_srv_problem(resp, 403, "unauthorized", NULL,
                                      "externalAccountBinding: the key identifier \"%.80s\" is not "
                                      "known to this server",
                                      in.kid));
        goto out;
    }
    rc = decode_mac_key(k->b64_key ? k->b64_key : "", &key);
    if (rc != AFZ_OK || key.len == 0) {
        rc = answered(afz_srv_problem(resp, 500, "serverInternal", NULL,
                                      "the configured MAC key of \"%.80s\" is not base64url",
                                      in.kid));
        goto out;
    }
    /* 4. the MAC */
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(md, key.data, (int)key.len, (const unsigned char *)in.signing_input,
              in.signing_input_len, mac, &mac_len)) {
        rc = AFZ_ECRYPTO;
        goto out;
    }
    if (in.sig_len != mac_len || CRYPTO_memcmp(in.sig, mac, mac_len) != 0) {
        rc = answered(afz_srv_problem(resp, 403, "unauthorized", NULL,
                                      "externalAccountBinding: the MAC does not verify with the "
                                      "key of \"%.80s\"",
                                      in.kid));
        goto out;
    }
    /* 5. the payload is the outer JWS's key */
    if (afz_json_parse_object((const char *)in.payload, in.payload_len, &payload) != AFZ_OK ||
        afz_jwk_to_key(payload, &pk) != AFZ_OK || afz_jwk_thumbprint(pk, &other) != AFZ_OK ||
        strcmp(afz_buf_cstr(&other), thumb) != 0) {
        rc = answered(afz_srv_problem(resp, 403, "unauthorized", NULL,
                                      "externalAccountBinding: the payload is not the account key "
                                      "of the outer JWS"));
        goto out;
    }
    rc = AFZ_OK;
out:
    EVP_PKEY_free(pk);
    cJSON_Delete(payload);
    afz_jws_cleanup(&in);
    if (key.data)
        OPENSSL_cleanse(key.data, key.len);
    afz_buf_cleanup(&key);
    afz_buf_cleanup(&text);
    afz_buf_cleanup(&other);
    return rc;
}
