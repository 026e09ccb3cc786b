/* afz_zoo_no_badnonce_retry.c - the zoo client "zoo-no-badnonce-retry".
 *
 * Incident:
 *  certes, simp_le and lua-resty-acme had no badNonce retry at all and
 *  failed whenever the CA rejected a nonce; Pebble rejects 5 % of valid
 *  nonces by default precisely to find such clients.
 * Source:
 *  fszlin/certes#238, zenhack/simp_le#138, fffonion/lua-resty-acme PR #34
 *  (ACME-FAULTS.md 2.3 #31); Pebble PEBBLE_WFE_NONCEREJECT (3.1).
 * Bug (the one change from the reference client):
 *  A badNonce error fails the request (AFZ_REF_QUIRK_NO_BAD_NONCE_RETRY);
 *  RFC 8555 6.5 says to retry with the nonce from the error response.
 * Server behaviour that exposes it (corpus/zoo/zoo-no-badnonce-retry.scn):
 *  the first newOrder gets 400 badNonce with a fresh Replay-Nonce, a
 *  legal answer (RFC 8555 6.5).
 * Caught by:
 *  succeeds-under-legal (ROBUST): only legal faults, and the client ends
 *  without a certificate. */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_NO_BAD_NONCE_RETRY,
};

const afz_client afz_zoo_no_badnonce_retry = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-no-badnonce-retry",
    .description = "treats badNonce as fatal instead of retrying (certes #238, simp_le #138)",
    .expected_property = "succeeds-under-legal",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
