/* fuzz_jws.c - afz_jws_parse on arbitrary bytes, then afz_jws_verify with
 * the world key of bits 1-2 and with the key of its "jwk" (byte 0 even);
 * or a round trip (byte 0 odd): afz_jws_sign over the remaining bytes with
 * the key of bits 1-2 (kid when bit 3 is set, else jwk) must parse back to
 * the same header and payload and verify with that key and no other. */
#include <stdlib.h>
#include <string.h>

#include "afz_fuzz_request.h"
#include "afz_jose.h"
#include "afz_prng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define URL "https://acme.invalid/new-order"
#define KID "https://acme.invalid/account/1"
#define NONCE "nonce-0123456789abcdef"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const afz_world *w = afz_fuzz_request_world();
    int round_trip = size > 0 && (data[0] & 1);
    unsigned k = size > 0 ? (data[0] >> 1) & 3 : 0;
    EVP_PKEY *key = afz_world_account_key(w, (afz_jws_alg)(k + 1)), *jwk_key = NULL;
    EVP_PKEY *other = afz_world_account_key(w, (afz_jws_alg)((k + 1) % 4 + 1));
    const char *kid = size > 0 && (data[0] & 8) ? KID : NULL;
    afz_jws_sign_params p = {.key = key, .kid = kid, .nonce = NONCE, .url = URL};
    afz_buf body;
    afz_buf_init(&body, 0);
    afz_jws j;
    const char *why = NULL;
    afz_detrand_seed(size);
    if (round_trip && afz_jws_sign(&p, data + 1, size - 1, &body) != AFZ_OK)
        abort();
    if (!round_trip && size > 0 && afz_buf_append(&body, data + 1, size - 1) != AFZ_OK)
        abort();
    afz_rc rc = afz_jws_parse(body.data ? body.data : "", body.len, &j, &why);
    if ((rc == AFZ_OK) != (why == NULL) || (round_trip && rc != AFZ_OK))
        abort();
    if (rc == AFZ_OK && (!j.protected_hdr || j.payload[j.payload_len] != '\0'))
        abort();
    if (rc == AFZ_OK && j.jwk && afz_jwk_to_key(j.jwk, &jwk_key) == AFZ_OK)
        afz_jws_verify(&j, jwk_key);
    if (rc == AFZ_OK)
        afz_jws_verify(&j, key);
    if (round_trip &&
        (j.payload_len != size - 1 || memcmp(j.payload, data + 1, size - 1) != 0 ||
         j.alg != afz_jws_alg_for_key(key) || !j.nonce || strcmp(j.nonce, NONCE) != 0 || !j.url ||
         strcmp(j.url, URL) != 0 || j.has_kid != (kid != NULL) || j.has_jwk == j.has_kid ||
         (kid && (!j.kid || strcmp(j.kid, KID) != 0)) ||
         (j.has_jwk && (!jwk_key || EVP_PKEY_eq(jwk_key, key) != 1)) ||
         afz_jws_verify(&j, key) != AFZ_OK || afz_jws_verify(&j, other) == AFZ_OK))
        abort();
    EVP_PKEY_free(jwk_key);
    afz_jws_cleanup(&j);
    afz_buf_cleanup(&body);
    return 0;
}
