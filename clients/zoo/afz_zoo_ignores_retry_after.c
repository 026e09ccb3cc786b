/* afz_zoo_ignores_retry_after.c - the zoo client "zoo-ignores-retry-after".
 *
 * Incident:
 *  certbot's acme library did not honour Retry-After while polling
 *  finalization until 2025; acme.sh polled a "processing" order every few
 *  seconds whatever the CA asked.
 * Source:
 *  certbot/certbot#10273, fixed by #10288 (ACME-FAULTS.md 2.1 #12);
 *  acmesh-official/acme.sh#2939 (2.2 #25).
 * Bug (the one change from the reference client):
 *  Retry-After is never read; polls follow the client's back-off alone
 *  (1 s, 2 s, 4 s, ...) (AFZ_REF_QUIRK_IGNORE_RETRY_AFTER).
 * Server behaviour that exposes it (corpus/zoo/zoo-ignores-retry-after.scn):
 *  finalize answers "processing" with Retry-After: 30 and the order
 *  stays processing for 30 s.
 * Caught by:
 *  respects-retry-after (RFC 8555 7.4, RFC 9110 10.2.3, ROBUST): the
 *  order is polled 1 s after the server asked for 30 s. */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_IGNORE_RETRY_AFTER,
};

const afz_client afz_zoo_ignores_retry_after = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-ignores-retry-after",
    .description = "polls on its own back-off and never reads Retry-After (certbot #10273, "
                   "acme.sh #2939)",
    .expected_property = "respects-retry-after",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
