/* afz_zoo_retry_at_once.c - the zoo client "zoo-retry-at-once".
 *
 * Incident:
 *  acme.sh retried at once on any Retry-After, including 429 answers that
 *  carried days; HTTP-date values broke its parsing altogether.
 * Source:
 *  acmesh-official/acme.sh#4543, #7201 (ACME-FAULTS.md 2.2 #24).
 * Bug (the one change from the reference client):
 *  Every Retry-After is ignored, and a 429 rateLimited or 503 is retried
 *  at once, signed again with a fresh nonce (AFZ_REF_QUIRK_RETRY_AT_ONCE).
 * Server behaviour that exposes it (corpus/zoo/zoo-retry-at-once.scn):
 *  the first newOrder is answered 429 rateLimited with Retry-After: 3.
 * Caught by:
 *  respects-retry-after (RFC 8555 7.4; RFC 9110 10.2.3, ROBUST): newOrder
 *  is sent again at once, 3 s before the instant the server named. */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_RETRY_AT_ONCE,
};

const afz_client afz_zoo_retry_at_once = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-retry-at-once",
    .description = "retries a 429/503 at once, ignoring Retry-After (acme.sh #4543)",
    .expected_property = "respects-retry-after",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
