/* afz_zoo_refinalizer_2023.c - the zoo client "zoo-refinalizer-2023".
 *
 * Incident:
 *  On 2023-07-13 from 22:34 UTC Let's Encrypt re-enabled asynchronous
 *  finalization in production by mistake. The operator of vercel-acme/1.0 saw
 *  403 orderNotReady "Order's status ("valid") is not acceptable for
 *  finalization" and then the Duplicate Certificate limit on every domain:
 *  the client finalized orders that were past "ready". Crypt-LE did the same
 *  on purpose: on "processing" it re-POSTed finalize instead of polling.
 * Source:
 *  community.letsencrypt.org/t/suddenly-getting-too-many-certificates-error-across-all-domains/201783/14
 *  (ACME-FAULTS.md 2.1 #1); do-know/Crypt-LE#65 (2.1 #7).
 * Bug (the one change from the reference client):
 *  When the order shows "processing" after a finalize, finalize again
 *  (AFZ_REF_QUIRK_REFINALIZE_ON_PROCESSING) instead of polling the order
 *  URL after Retry-After (RFC 8555 7.4).
 * Server behaviour that exposes it (corpus/zoo/zoo-refinalizer-2023.scn):
 *  finalize answers "processing" without "certificate" and the order
 *  stays processing for 3 polls (Retry-After: 3), as Boulder's AsyncFinalize
 *  does; the second finalize gets 403 orderNotReady.
 * Caught by:
 *  no-refinalize (RFC 8555 7.1.3, 7.4, SHOULD): a finalize POSTed while the order
 *  was last seen "processing". */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_REFINALIZE_ON_PROCESSING,
};

const afz_client afz_zoo_refinalizer_2023 = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-refinalizer-2023",
    .description = "re-POSTs finalize whenever the order shows \"processing\" (vercel-acme "
                   "2023-07, Crypt-LE #65)",
    .expected_property = "no-refinalize",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
