/* afz_zoo_retry_same_jws.c - the zoo client "zoo-retry-same-jws".
 *
 * Incident:
 *  node-acme-client 5.4's automatic retry on 429 and 5xx resent the same
 *  JWS, with the same nonce, at once: the CA answered badNonce, the client
 *  retried that with a fresh nonce, met 429 again, and repeated. Let's
 *  Encrypt saw the loop in its logs.
 * Source:
 *  publishlab/node-acme-client#103 (ACME-FAULTS.md 2.2 #27).
 * Bug (the one change from the reference client):
 *  On 429 rateLimited or 503, resend the same request bytes
 *  (AFZ_REF_QUIRK_RETRY_SAME_JWS) instead of signing again with a fresh
 *  nonce. (The reference client's transport still holds every request to
 *  the Retry-After instant, so the resend comes after 3 s: what is left of
 *  the bug is the spent nonce, which is what made the CA loop.)
 * Server behaviour that exposes it (corpus/zoo/zoo-retry-same-jws.scn):
 *  the first newOrder is answered 429 rateLimited with Retry-After: 3.
 * Caught by:
 *  nonce-fresh (RFC 8555 6.5, ROBUST: the server MUST reject a nonce it
 *  has seen, and no sentence binds the client): the resent newOrder
 *  carries the nonce the refused one already used, and gets badNonce. */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_RETRY_SAME_JWS,
};

const afz_client afz_zoo_retry_same_jws = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-retry-same-jws",
    .description = "resends the same JWS and nonce on 429/503 (node-acme-client #103)",
    .expected_property = "nonce-fresh",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
