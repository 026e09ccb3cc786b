/* check_jose.c - JWS sign/parse/verify, JWK conversion and thumbprints. */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>

#include "afz_b64.h"
#include "afz_jose.h"
#include "afz_json.h"

/* Two keys per algorithm, made once per test case (key generation, RSA
 * above all, is slow under ASan). Index by afz_jws_alg. */
#define N_ALGS 6
static EVP_PKEY *keys[N_ALGS];
static EVP_PKEY *other_keys[N_ALGS];

static const afz_jws_alg all_algs[] = {AFZ_ALG_ES256, AFZ_ALG_ES384, AFZ_ALG_RS256, AFZ_ALG_EDDSA,
                                       AFZ_ALG_ES512};
#define N_ALL (sizeof all_algs / sizeof all_algs[0])

static void keys_setup(void)
{
    for (size_t i = 0; i < N_ALL; i++) {
        afz_jws_alg a = all_algs[i];
        ck_assert_int_eq(afz_key_generate(a, &keys[a]), AFZ_OK);
        ck_assert_int_eq(afz_key_generate(a, &other_keys[a]), AFZ_OK);
    }
}

static void keys_teardown(void)
{
    for (size_t i = 0; i < N_ALGS; i++) {
        EVP_PKEY_free(keys[i]);
        EVP_PKEY_free(other_keys[i]);
        keys[i] = other_keys[i] = NULL;
    }
}

static const char *const test_url = "https://acme.test/acme/new-order";
static const char *const test_payload =
    "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.test\"}]}";

/* sign_body signs |payload| with the key for |alg| into |body|. */
static void sign_body(afz_jws_alg alg, const char *kid, const char *nonce, const char *payload,
                      afz_buf *body)
{
    afz_jws_sign_params p = {.key = keys[alg], .kid = kid, .nonce = nonce, .url = test_url};
    afz_buf_init(body, 0);
    ck_assert_int_eq(afz_jws_sign(&p, payload, payload ? strlen(payload) : 0, body), AFZ_OK);
}

static afz_rc parse_and_verify(const afz_buf *body, EVP_PKEY *key)
{
    afz_jws jws;
    const char *why = NULL;
    afz_rc rc = afz_jws_parse(body->data, body->len, &jws, &why);
    ck_assert_msg(rc == AFZ_OK, "parse failed: %s", why ? why : "?");
    rc = afz_jws_verify(&jws, key);
    afz_jws_cleanup(&jws);
    return rc;
}

/* b64_text returns base64url(|s|) as a malloc'd string. */
static char *b64_text(const void *s, size_t n)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_b64url_encode(s, n, &b), AFZ_OK);
    return afz_buf_take(&b, NULL);
}

/* replace_member rewrites one string member of a flattened JWS. */
static void replace_member(afz_buf *body, const char *name, const char *value)
{
    cJSON *j = NULL;
    ck_assert_int_eq(afz_json_parse(body->data, body->len, &j), AFZ_OK);
    ck_assert(cJSON_ReplaceItemInObjectCaseSensitive(j, name, cJSON_CreateString(value)));
    afz_buf_reset(body);
    ck_assert_int_eq(afz_json_print(j, body), AFZ_OK);
    cJSON_Delete(j);
}

/* decoded_member decodes a base64url member of a flattened JWS. */
static void decoded_member(const afz_buf *body, const char *name, afz_buf *out)
{
    cJSON *j = NULL;
    ck_assert_int_eq(afz_json_parse(body->data, body->len, &j), AFZ_OK);
    const char *s = afz_json_str(j, name);
    ck_assert_ptr_nonnull(s);
    afz_buf_init(out, 0);
    ck_assert_int_eq(afz_b64url_decode(s, strlen(s), out), AFZ_OK);
    cJSON_Delete(j);
}

START_TEST(test_jose_sign_verify_round_trip)
{
    /* Each algorithm, embedded jwk and kid, with and without a nonce. */
    afz_jws_alg alg = all_algs[_i % N_ALL];
    int use_kid = (_i / N_ALL) & 1;
    int use_nonce = (_i / N_ALL) >> 1;
    afz_buf body;
    sign_body(alg, use_kid ? "https://acme.test/acct/7" : NULL, use_nonce ? "nonce-1" : NULL,
              test_payload, &body);

    afz_jws jws;
    const char *why = "unset";
    ck_assert_int_eq(afz_jws_parse(body.data, body.len, &jws, &why), AFZ_OK);
    ck_assert_ptr_null(why);
    ck_assert_int_eq(jws.alg, alg);
    ck_assert_str_eq(jws.alg_name, afz_jws_alg_name(alg));
    ck_assert_str_eq(jws.url, test_url);
    ck_assert_int_eq(jws.has_kid, use_kid);
    ck_assert_int_eq(jws.has_jwk, !use_kid);
    if (use_kid)
        ck_assert_str_eq(jws.kid, "https://acme.test/acct/7");
    if (use_nonce)
        ck_assert_str_eq(jws.nonce, "nonce-1");
    else
        ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(jws.protected_hdr, "nonce"));
    ck_assert_uint_eq(jws.payload_len, strlen(test_payload));
    ck_assert_str_eq((const char *)jws.payload, test_payload);
    ck_assert_int_eq(afz_jws_verify(&jws, keys[alg]), AFZ_OK);

    if (!use_kid) {
        /* The embedded jwk is the signer's public key. */
        EVP_PKEY *k = NULL;
        ck_assert_int_eq(afz_jwk_to_key(jws.jwk, &k), AFZ_OK);
        ck_assert_int_eq(EVP_PKEY_eq(k, keys[alg]), 1);
        ck_assert_int_eq(afz_jws_verify(&jws, k), AFZ_OK);
        EVP_PKEY_free(k);
    }
    afz_jws_cleanup(&jws);
    afz_buf_cleanup(&body);
}
END_TEST

START_TEST(test_jose_sign_layout)
{
    /* Member order and form of the flattened JWS and its header. */
    afz_buf body, hdr;
    sign_body(AFZ_ALG_ES256, "https://acme.test/acct/1", "n1", NULL, &body);
    ck_assert_msg(strncmp(body.data, "{\"protected\":\"", 14) == 0, "%s", body.data);
    ck_assert_ptr_nonnull(strstr(body.data, "\",\"payload\":\"\",\"signature\":\""));
    ck_assert_int_eq(body.data[body.len - 1], '}');
    decoded_member(&body, "protected", &hdr);
    ck_assert_str_eq(hdr.data, "{\"alg\":\"ES256\",\"kid\":\"https://acme.test/acct/1\","
                               "\"nonce\":\"n1\",\"url\":\"https://acme.test/acme/new-order\"}");
    afz_buf_cleanup(&hdr);

    /* The signature is raw r||s, 64 bytes for P-256 and 96 for P-384. */
    decoded_member(&body, "signature", &hdr);
    ck_assert_uint_eq(hdr.len, 64);
    afz_buf_cleanup(&hdr);
    afz_buf_cleanup(&body);
    sign_body(AFZ_ALG_ES384, NULL, NULL, "x", &body);
    decoded_member(&body, "signature", &hdr);
    ck_assert_uint_eq(hdr.len, 96);
    afz_buf_cleanup(&hdr);
    decoded_member(&body, "protected", &hdr);
    static const char jwk_start[] = "{\"alg\":\"ES384\",\"jwk\":{\"crv\":\"P-384\",\"kty\":\"EC\",";
    ck_assert_msg(strncmp(hdr.data, jwk_start, strlen(jwk_start)) == 0, "%s", hdr.data);
    ck_assert_ptr_null(strstr(hdr.data, "nonce"));
    afz_buf_cleanup(&hdr);
    afz_buf_cleanup(&body);
}
END_TEST

START_TEST(test_jose_sign_appends_and_rejects_bad_params)
{
    afz_buf out;
    afz_buf_init(&out, 0);
    ck_assert_int_eq(afz_buf_puts(&out, "prefix"), AFZ_OK);
    afz_jws_sign_params p = {.key = keys[AFZ_ALG_ES256], .url = test_url};
    ck_assert_int_eq(afz_jws_sign(&p, "", 0, &out), AFZ_OK);
    ck_assert(strncmp(out.data, "prefix{", 7) == 0);

    size_t before = out.len;
    afz_jws_sign_params no_url = {.key = keys[AFZ_ALG_ES256]};
    ck_assert_int_eq(afz_jws_sign(&no_url, "", 0, &out), AFZ_EINVAL);
    afz_jws_sign_params no_key = {.url = test_url};
    ck_assert_int_eq(afz_jws_sign(&no_key, "", 0, &out), AFZ_EINVAL);
    ck_assert_uint_eq(out.len, before);

    /* A cap too small for the JWS leaves the buffer as it was. */
    afz_buf small;
    afz_buf_init(&small, 40);
    ck_assert_int_eq(afz_buf_puts(&small, "abc"), AFZ_OK);
    ck_assert_int_eq(afz_jws_sign(&p, "", 0, &small), AFZ_ELIMIT);
    ck_assert_uint_eq(small.len, 3);
    ck_assert_str_eq(small.data, "abc");
    afz_buf_cleanup(&small);
    afz_buf_cleanup(&out);
}
END_TEST

/* Tampering: 0 payload, 1 protected header, 2 a signature bit. */
START_TEST(test_jose_tampered_rejected)
{
    afz_jws_alg alg = all_algs[_i % N_ALL];
    int kind = _i / (int)N_ALL;
    afz_buf body, part;
    sign_body(alg, NULL, "n1", test_payload, &body);
    ck_assert_int_eq(parse_and_verify(&body, keys[alg]), AFZ_OK);
    char *enc = NULL;
    if (kind == 0) {
        const char *other = "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"b.test\"}]}";
        enc = b64_text(other, strlen(other));
        replace_member(&body, "payload", enc);
    } else if (kind == 1) {
        decoded_member(&body, "protected", &part);
        char *u = strstr(part.data, "new-order");
        ck_assert_ptr_nonnull(u);
        u[0] = 'N'; /* same length, different url */
        enc = b64_text(part.data, part.len);
        replace_member(&body, "protected", enc);
        afz_buf_cleanup(&part);
    } else {
        decoded_member(&body, "signature", &part);
        part.data[part.len / 2] ^= 0x10;
        enc = b64_text(part.data, part.len);
        replace_member(&body, "signature", enc);
        afz_buf_cleanup(&part);
    }
    ck_assert_int_eq(parse_and_verify(&body, keys[alg]), AFZ_ECRYPTO);
    free(enc);
    afz_buf_cleanup(&body);
}
END_TEST

START_TEST(test_jose_wrong_key_rejected)
{
    afz_jws_alg alg = all_algs[_i];
    afz_buf body;
    sign_body(alg, "https://acme.test/acct/1", "n", test_payload, &body);
    ck_assert_int_eq(parse_and_verify(&body, other_keys[alg]), AFZ_ECRYPTO);
    afz_buf_cleanup(&body);
}
END_TEST

/* A header alg that does not fit the verifying key is AFZ_EINVAL. */
static const struct {
    afz_jws_alg signed_with;
    afz_jws_alg verify_with;
} alg_mismatches[] = {
    {AFZ_ALG_ES256, AFZ_ALG_ES384}, {AFZ_ALG_ES384, AFZ_ALG_ES256}, {AFZ_ALG_ES256, AFZ_ALG_RS256},
    {AFZ_ALG_RS256, AFZ_ALG_EDDSA}, {AFZ_ALG_EDDSA, AFZ_ALG_ES256}, {AFZ_ALG_RS256, AFZ_ALG_ES384},
};

START_TEST(test_jose_alg_mismatch_rejected)
{
    afz_buf body;
    sign_body(alg_mismatches[_i].signed_with, NULL, "n", test_payload, &body);
    ck_assert_int_eq(parse_and_verify(&body, keys[alg_mismatches[_i].verify_with]), AFZ_EINVAL);
    afz_buf_cleanup(&body);
}
END_TEST

START_TEST(test_jose_alg_none_and_relabel_rejected)
{
    /* "alg":"none" never verifies, whatever the key. */
    static const char none_body[] =
        "{\"protected\":\"eyJhbGciOiJub25lIiwidXJsIjoiaHR0cHM6Ly94LyJ9\",\"payload\":\"\","
        "\"signature\":\"\"}";
    afz_jws jws;
    ck_assert_int_eq(afz_jws_parse(none_body, strlen(none_body), &jws, NULL), AFZ_OK);
    ck_assert_int_eq(jws.alg, AFZ_ALG_NONE);
    ck_assert_str_eq(jws.alg_name, "none");
    for (size_t i = 0; i < N_ALL; i++)
        ck_assert_int_eq(afz_jws_verify(&jws, keys[all_algs[i]]), AFZ_EINVAL);
    afz_jws_cleanup(&jws);

    /* An ES256 signature relabelled "ES384" fails on the alg check for the
     * P-256 key, and on the signature for a P-384 key. */
    afz_buf body, hdr;
    sign_body(AFZ_ALG_ES256, NULL, "n", "{}", &body);
    decoded_member(&body, "protected", &hdr);
    char *a = strstr(hdr.data, "ES256");
    memcpy(a, "ES384", 5);
    char *enc = b64_text(hdr.data, hdr.len);
    replace_member(&body, "protected", enc);
    ck_assert_int_eq(parse_and_verify(&body, keys[AFZ_ALG_ES256]), AFZ_EINVAL);
    ck_assert_int_eq(parse_and_verify(&body, keys[AFZ_ALG_ES384]), AFZ_ECRYPTO);
    free(enc);
    afz_buf_cleanup(&hdr);
    afz_buf_cleanup(&body);
}
END_TEST

/* Signature length changes: 0 drop the last byte, 1 append a byte, 2
 * empty. */
START_TEST(test_jose_signature_length_rejected)
{
    afz_jws_alg alg = all_algs[_i % N_ALL];
    int kind = _i / (int)N_ALL;
    afz_buf body, sig;
    sign_body(alg, NULL, NULL, test_payload, &body);
    decoded_member(&body, "signature", &sig);
    if (kind == 0)
        sig.len--;
    else if (kind == 1)
        ck_assert_int_eq(afz_buf_putc(&sig, 0), AFZ_OK);
    else
        sig.len = 0;
    char *enc = b64_text(sig.data, sig.len);
    replace_member(&body, "signature", enc);
    ck_assert_int_eq(parse_and_verify(&body, keys[alg]), AFZ_ECRYPTO);
    free(enc);
    afz_buf_cleanup(&sig);
    afz_buf_cleanup(&body);
}
END_TEST

/* Bodies afz_jws_parse must refuse, with a word its reason must hold. */
static const struct {
    const char *body;
    const char *why_has;
} bad_bodies[] = {
    {"", "JSON"},
    {"{", "JSON"},
    {"{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\",\"payload\":\"\",\"signature\":\"AAAA\"} x", "JSON"},
    {"[]", "object"},
    {"\"jws\"", "object"},
    /* padding (RFC 8555 6.1) in each member */
    {"{\"protected\":\"eyJhIjoxfQ==\",\"payload\":\"\",\"signature\":\"AAAA\"}", "base64url"},
    {"{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\",\"payload\":\"ew==\",\"signature\":\"AAAA\"}",
     "base64url"},
    {"{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\",\"payload\":\"\",\"signature\":\"AA==\"}",
     "base64url"},
    /* standard base64 alphabet and whitespace */
    {"{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\",\"payload\":\"a+b/\",\"signature\":\"AAAA\"}",
     "base64url"},
    {"{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\",\"payload\":\"\",\"signature\":\"AA AA\"}",
     "base64url"},
    /* unprotected header (RFC 8555 6.2) */
    {"{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\",\"header\":{\"kid\":\"x\"},\"payload\":\"\","
     "\"signature\":\"AAAA\"}",
     "unprotected"},
    /* general serialization */
    {"{\"payload\":\"\",\"signatures\":[{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\","
     "\"signature\":\"AAAA\"}]}",
     "general"},
    /* protected header that is not a JSON object */
    {"{\"protected\":\"WzFd\",\"payload\":\"\",\"signature\":\"AAAA\"}", "protected header"},
    {"{\"protected\":\"Ingi\",\"payload\":\"\",\"signature\":\"AAAA\"}", "protected header"},
    {"{\"protected\":\"ew\",\"payload\":\"\",\"signature\":\"AAAA\"}", "protected header"},
    {"{\"protected\":\"\",\"payload\":\"\",\"signature\":\"AAAA\"}", "protected header"},
    /* missing or mistyped members */
    {"{\"payload\":\"\",\"signature\":\"AAAA\"}", "protected"},
    {"{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\",\"signature\":\"AAAA\"}", "payload"},
    {"{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\",\"payload\":\"\"}", "signature"},
    {"{\"protected\":{\"alg\":\"ES256\"},\"payload\":\"\",\"signature\":\"AAAA\"}", "protected"},
    {"{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\",\"payload\":1,\"signature\":\"AAAA\"}", "payload"},
    {"{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\",\"payload\":null,\"signature\":\"AAAA\"}", "payload"},
    /* duplicate members, outside and inside the protected header */
    {"{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\",\"payload\":\"\",\"payload\":\"e30\","
     "\"signature\":\"AAAA\"}",
     "duplicate"},
    {"{\"protected\":\"eyJhbGciOiJFUzI1NiIsImFsZyI6Im5vbmUifQ\",\"payload\":\"\","
     "\"signature\":\"AAAA\"}",
     "duplicate"},
};

START_TEST(test_jose_parse_rejects)
{
    afz_jws jws;
    const char *why = NULL;
    const char *b = bad_bodies[_i].body;
    ck_assert_int_eq(afz_jws_parse(b, strlen(b), &jws, &why), AFZ_EPARSE);
    ck_assert_ptr_nonnull(why);
    ck_assert_msg(strstr(why, bad_bodies[_i].why_has) != NULL, "case %d: reason \"%s\"", _i, why);
    ck_assert_ptr_null(jws.protected_hdr);
    ck_assert_ptr_null(jws.payload);
    ck_assert_ptr_null(jws.sig);
    afz_jws_cleanup(&jws);
}
END_TEST

START_TEST(test_jose_parse_fields)
{
    /* kid header, empty payload, unknown outer member tolerated. */
    static const char body[] =
        "{\"protected\":\"eyJhbGciOiJFUzI1NiIsImtpZCI6Imh0dHBzOi8veC9hY2N0LzEiLCJub25jZSI6Im4xIiwi"
        "dXJsIjoiaHR0cHM6Ly94L2EifQ\",\"payload\":\"\",\"signature\":\"AAAA\",\"extra\":1}";
    afz_jws jws;
    ck_assert_int_eq(afz_jws_parse(body, strlen(body), &jws, NULL), AFZ_OK);
    ck_assert_int_eq(jws.alg, AFZ_ALG_ES256);
    ck_assert_str_eq(jws.kid, "https://x/acct/1");
    ck_assert_str_eq(jws.nonce, "n1");
    ck_assert_str_eq(jws.url, "https://x/a");
    ck_assert_int_eq(jws.has_kid, 1);
    ck_assert_int_eq(jws.has_jwk, 0);
    ck_assert_ptr_null(jws.jwk);
    ck_assert_uint_eq(jws.payload_len, 0);
    ck_assert_ptr_nonnull(jws.payload);
    ck_assert_int_eq(jws.payload[0], 0);
    ck_assert_uint_eq(jws.sig_len, 3);
    ck_assert_str_eq(jws.signing_input,
                     "eyJhbGciOiJFUzI1NiIsImtpZCI6Imh0dHBzOi8veC9hY2N0LzEiLCJub25jZSI6Im4xIiwi"
                     "dXJsIjoiaHR0cHM6Ly94L2EifQ.");
    ck_assert_uint_eq(jws.signing_input_len, strlen(jws.signing_input));
    /* Three signature bytes fit no algorithm. */
    ck_assert_int_eq(afz_jws_verify(&jws, keys[AFZ_ALG_ES256]), AFZ_ECRYPTO);
    afz_jws_cleanup(&jws);
    afz_jws_cleanup(&jws); /* idempotent */
}
END_TEST

START_TEST(test_jose_jwk_round_trip)
{
    static const char *const members[][5] = {
        [AFZ_ALG_ES256] = {"crv", "kty", "x", "y", NULL},
        [AFZ_ALG_ES384] = {"crv", "kty", "x", "y", NULL},
        [AFZ_ALG_RS256] = {"e", "kty", "n", NULL, NULL},
        [AFZ_ALG_EDDSA] = {"crv", "kty", "x", NULL, NULL},
        [AFZ_ALG_ES512] = {"crv", "kty", "x", "y", NULL},
    };
    afz_jws_alg alg = all_algs[_i];
    cJSON *jwk = NULL;
    EVP_PKEY *back = NULL;
    ck_assert_int_eq(afz_jwk_from_key(keys[alg], &jwk), AFZ_OK);
    /* Exactly the required members, in lexicographic order (RFC 7638). */
    const cJSON *m = jwk->child;
    for (size_t k = 0; members[alg][k]; k++, m = m->next) {
        ck_assert_ptr_nonnull(m);
        ck_assert_str_eq(m->string, members[alg][k]);
        ck_assert(cJSON_IsString(m));
    }
    ck_assert_ptr_null(m);
    if (alg == AFZ_ALG_RS256)
        ck_assert_str_eq(afz_json_str(jwk, "e"), "AQAB");
    ck_assert_int_eq(afz_jwk_to_key(jwk, &back), AFZ_OK);
    ck_assert_int_eq(EVP_PKEY_eq(back, keys[alg]), 1);
    ck_assert_int_eq(EVP_PKEY_eq(back, other_keys[alg]), 0);
    ck_assert_int_eq(afz_jws_alg_for_key(back), alg);

    /* The JWK text a key keeps from its creation (generated, imported)
     * is what exporting it again gives: EVP_PKEY_dup makes a copy that
     * keeps none, and afz_json_print of the object above. */
    afz_buf printed, kept_gen, kept_imp, exported;
    afz_buf_init(&printed, 0);
    afz_buf_init(&kept_gen, 0);
    afz_buf_init(&kept_imp, 0);
    afz_buf_init(&exported, 0);
    EVP_PKEY *copy = EVP_PKEY_dup(keys[alg]);
    ck_assert_ptr_nonnull(copy);
    ck_assert_int_eq(afz_json_print(jwk, &printed), AFZ_OK);
    ck_assert_int_eq(afz_jwk_text(keys[alg], &kept_gen), AFZ_OK);
    ck_assert_int_eq(afz_jwk_text(back, &kept_imp), AFZ_OK);
    ck_assert_int_eq(afz_jwk_text(copy, &exported), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&kept_gen), afz_buf_cstr(&printed));
    ck_assert_str_eq(afz_buf_cstr(&kept_imp), afz_buf_cstr(&printed));
    ck_assert_str_eq(afz_buf_cstr(&exported), afz_buf_cstr(&printed));
    ck_assert_int_eq(afz_jws_alg_for_key(copy), alg);
    EVP_PKEY_free(copy);
    afz_buf_cleanup(&printed);
    afz_buf_cleanup(&kept_gen);
    afz_buf_cleanup(&kept_imp);
    afz_buf_cleanup(&exported);

    /* Same key, same thumbprint; other key, other thumbprint. */
    afz_buf t1, t2, t3;
    afz_buf_init(&t1, 0);
    afz_buf_init(&t2, 0);
    afz_buf_init(&t3, 0);
    ck_assert_int_eq(afz_jwk_thumbprint(keys[alg], &t1), AFZ_OK);
    ck_assert_int_eq(afz_jwk_thumbprint(back, &t2), AFZ_OK);
    ck_assert_int_eq(afz_jwk_thumbprint(other_keys[alg], &t3), AFZ_OK);
    ck_assert_uint_eq(t1.len, 43);
    ck_assert_str_eq(t1.data, t2.data);
    ck_assert_str_ne(t1.data, t3.data);
    afz_buf_cleanup(&t1);
    afz_buf_cleanup(&t2);
    afz_buf_cleanup(&t3);
    EVP_PKEY_free(back);
    cJSON_Delete(jwk);
}
END_TEST

START_TEST(test_jose_thumbprint_rfc7638_vector)
{
    /* RFC 7638 3.1: the example RSA key, with members the thumbprint must
     * ignore ("alg", "kid") and in a different order. */
    static const char jwk_text[] =
        "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAt"
        "VT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93l"
        "qt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn"
        "1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csF"
        "Cur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}";
    cJSON *jwk = NULL;
    EVP_PKEY *key = NULL;
    afz_buf tp;
    afz_buf_init(&tp, 0);
    ck_assert_int_eq(afz_json_parse(jwk_text, strlen(jwk_text), &jwk), AFZ_OK);
    ck_assert_int_eq(afz_jwk_to_key(jwk, &key), AFZ_OK);
    ck_assert_int_eq(afz_jws_alg_for_key(key), AFZ_ALG_RS256);
    ck_assert_int_eq(afz_key_bits(key), 2048);
    ck_assert_int_eq(afz_jwk_thumbprint(key, &tp), AFZ_OK);
    ck_assert_str_eq(tp.data, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    afz_buf_cleanup(&tp);
    EVP_PKEY_free(key);
    cJSON_Delete(jwk);
}
END_TEST

/* JWKs afz_jwk_to_key must refuse. The EC point is valid P-256 key
 * material from RFC 7515 A.3; "y" is changed where the case says so. */
#define P256_X "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define P256_Y "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
#define P256_Y_OFF "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a4" /* y + 1 */
static const struct {
    const char *jwk;
    afz_rc want;
} bad_jwks[] = {
    {"{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" P256_X "\",\"y\":\"" P256_Y "\"}", AFZ_OK},
    {"{\"crv\":\"P-256\",\"x\":\"" P256_X "\",\"y\":\"" P256_Y "\"}", AFZ_EPARSE},
    {"{\"crv\":\"P-256\",\"kty\":1,\"x\":\"" P256_X "\",\"y\":\"" P256_Y "\"}", AFZ_EPARSE},
    {"{\"kty\":\"EC\",\"x\":\"" P256_X "\",\"y\":\"" P256_Y "\"}", AFZ_EPARSE},
    {"{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" P256_X "\"}", AFZ_EPARSE},
    {"{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" P256_X "=\",\"y\":\"" P256_Y "\"}", AFZ_EPARSE},
    {"{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" P256_X "\",\"y\":\"" P256_Y_OFF "\"}",
     AFZ_ECRYPTO},
    {"{\"crv\":\"P-384\",\"kty\":\"EC\",\"x\":\"" P256_X "\",\"y\":\"" P256_Y "\"}", AFZ_ECRYPTO},
    {"{\"crv\":\"secp256k1\",\"kty\":\"EC\",\"x\":\"" P256_X "\",\"y\":\"" P256_Y "\"}",
     AFZ_ECRYPTO},
    {"{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"AAAA\",\"y\":\"" P256_Y "\"}", AFZ_ECRYPTO},
    {"{\"kty\":\"oct\",\"k\":\"AAAA\"}", AFZ_ECRYPTO},
    {"{\"e\":\"AQAB\",\"kty\":\"RSA\"}", AFZ_EPARSE},
    {"{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"\"}", AFZ_ECRYPTO},
    {"{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"AAAA\"}", AFZ_ECRYPTO},
    {"{\"e\":\"AAAA\",\"kty\":\"RSA\",\"n\":\"" P256_X "\"}", AFZ_ECRYPTO},
    {"{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"AAAA\"}", AFZ_ECRYPTO},
    {"{\"crv\":\"X25519\",\"kty\":\"OKP\",\"x\":\"" P256_X "\"}", AFZ_ECRYPTO},
    {"{\"crv\":\"Ed25519\",\"kty\":\"OKP\"}", AFZ_EPARSE},
    {"[]", AFZ_EPARSE},
};

START_TEST(test_jose_jwk_rejects)
{
    cJSON *jwk = NULL;
    EVP_PKEY *key = NULL;
    const char *t = bad_jwks[_i].jwk;
    ck_assert_int_eq(afz_json_parse(t, strlen(t), &jwk), AFZ_OK);
    ck_assert_msg(afz_jwk_to_key(jwk, &key) == bad_jwks[_i].want, "case %d", _i);
    if (bad_jwks[_i].want == AFZ_OK)
        ck_assert_ptr_nonnull(key);
    else
        ck_assert_ptr_null(key);
    EVP_PKEY_free(key);
    cJSON_Delete(jwk);
}
END_TEST

START_TEST(test_jose_alg_names)
{
    for (size_t i = 0; i < N_ALL; i++) {
        afz_jws_alg a = all_algs[i];
        ck_assert_int_eq(afz_jws_alg_from_name(afz_jws_alg_name(a)), a);
        ck_assert_int_eq(afz_jws_alg_for_key(keys[a]), a);
    }
    ck_assert_str_eq(afz_jws_alg_name(AFZ_ALG_EDDSA), "EdDSA");
    ck_assert_str_eq(afz_jws_alg_name(AFZ_ALG_NONE), "none");
    ck_assert_str_eq(afz_jws_alg_name((afz_jws_alg)99), "none");
    ck_assert_int_eq(afz_jws_alg_from_name("none"), AFZ_ALG_NONE);
    ck_assert_int_eq(afz_jws_alg_from_name("es256"), AFZ_ALG_NONE);
    ck_assert_int_eq(afz_jws_alg_from_name("HS256"), AFZ_ALG_NONE);
    ck_assert_int_eq(afz_jws_alg_from_name(NULL), AFZ_ALG_NONE);
    ck_assert_int_eq(afz_jws_alg_for_key(NULL), AFZ_ALG_NONE);
    EVP_PKEY *k = NULL;
    ck_assert_int_eq(afz_key_generate(AFZ_ALG_NONE, &k), AFZ_EINVAL);
    ck_assert_ptr_null(k);
}
END_TEST

START_TEST(test_jose_key_supported)
{
    /* P-521 (ES512) is Pebble's only: afz_key_pebble, not supported */
    for (size_t i = 0; i < N_ALL; i++) {
        int p521 = all_algs[i] == AFZ_ALG_ES512;
        ck_assert_int_eq(afz_key_supported(keys[all_algs[i]]), !p521);
        ck_assert_int_eq(afz_key_pebble(keys[all_algs[i]]), p521);
    }
    ck_assert_int_eq(afz_key_bits(keys[AFZ_ALG_ES512]), 521);
    ck_assert_int_eq(afz_key_bits(keys[AFZ_ALG_RS256]), 2048);
    ck_assert_int_eq(afz_key_bits(keys[AFZ_ALG_ES384]), 384);
    ck_assert_int_eq(afz_key_supported(NULL), 0);
    ck_assert_int_eq(afz_key_bits(NULL), 0);

    EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    EVP_PKEY *k1 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
    EVP_PKEY *x25519 = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    ck_assert_ptr_nonnull(small);
    ck_assert_ptr_nonnull(k1);
    ck_assert_ptr_nonnull(x25519);
    ck_assert_int_eq(afz_key_supported(small), 0);
    ck_assert_int_eq(afz_key_pebble(small), 1);
    ck_assert_int_eq(afz_key_pebble(k1), 0);
    ck_assert_int_eq(afz_jws_alg_for_key(small), AFZ_ALG_RS256);
    ck_assert_int_eq(afz_jws_alg_for_key(k1), AFZ_ALG_NONE);
    ck_assert_int_eq(afz_key_supported(k1), 0);
    ck_assert_int_eq(afz_jws_alg_for_key(x25519), AFZ_ALG_NONE);
    cJSON *jwk = NULL;
    ck_assert_int_eq(afz_jwk_from_key(k1, &jwk), AFZ_EINVAL);
    ck_assert_ptr_null(jwk);
    EVP_PKEY_free(small);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(x25519);
}
END_TEST

Suite *jose_suite(void)
{
    Suite *s = suite_create("jose");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, keys_setup, keys_teardown);
    tcase_add_loop_test(tc, test_jose_sign_verify_round_trip, 0, 4 * (int)N_ALL);
    tcase_add_test(tc, test_jose_sign_layout);
    tcase_add_test(tc, test_jose_sign_appends_and_rejects_bad_params);
    tcase_add_loop_test(tc, test_jose_tampered_rejected, 0, 3 * (int)N_ALL);
    tcase_add_loop_test(tc, test_jose_wrong_key_rejected, 0, (int)N_ALL);
    tcase_add_loop_test(tc, test_jose_alg_mismatch_rejected, 0,
                        (int)(sizeof alg_mismatches / sizeof alg_mismatches[0]));
    tcase_add_test(tc, test_jose_alg_none_and_relabel_rejected);
    tcase_add_loop_test(tc, test_jose_signature_length_rejected, 0, 3 * (int)N_ALL);
    tcase_add_loop_test(tc, test_jose_parse_rejects, 0,
                        (int)(sizeof bad_bodies / sizeof bad_bodies[0]));
    tcase_add_test(tc, test_jose_parse_fields);
    tcase_add_loop_test(tc, test_jose_jwk_round_trip, 0, (int)N_ALL);
    tcase_add_test(tc, test_jose_thumbprint_rfc7638_vector);
    tcase_add_loop_test(tc, test_jose_jwk_rejects, 0, (int)(sizeof bad_jwks / sizeof bad_jwks[0]));
    tcase_add_test(tc, test_jose_alg_names);
    tcase_add_test(tc, test_jose_key_supported);
    suite_add_tcase(s, tc);
    return s;
}
