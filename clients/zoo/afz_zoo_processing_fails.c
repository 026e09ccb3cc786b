/* afz_zoo_processing_fails.c - the zoo client "zoo-processing-fails".
 *
 * Incident:
 *  Certes' Generate() threw ErrorFinalizeFailed whenever finalize
 *  returned "processing"; stonemax/acme2 threw "Order's status
 *  ("processing") was not pending". The scheduler around such a client
 *  (a cron job, a renewal loop) tries again later with a fresh order, while
 *  the CA finishes the abandoned one in the background: a certificate nobody
 *  downloads, then another, until the Duplicate Certificate limit.
 * Source:
 *  fszlin/certes#235 (ACME-FAULTS.md 2.1 #5), stonemax/acme2#13 (2.1 #8);
 *  the 2023-07-13 incident (2.1 #1).
 * Bug (the one change from the reference client):
 *  An order seen "processing" is a failure: forget the saved order and
 *  give up (AFZ_REF_QUIRK_PROCESSING_IS_FAILURE). The scheduler's next
 *  attempt therefore orders again instead of polling.
 * Server behaviour that exposes it (corpus/zoo/zoo-processing-fails.scn):
 *  a campaign of 3 attempts a minute apart; finalize answers
 *  "processing" and the CA issues 30 s later. The account's orders are
 *  looked up at every newOrder (Boulder's order reuse), so the second
 *  attempt's newOrder is where the first order's certificate is seen
 *  issued.
 * Caught by:
 *  no-orphan-issuance (HARM): the first order's certificate is issued and
 *  never downloaded, and the client orders the same names again.
 *  bounded-new-orders stays quiet: one newOrder per obtain call is within
 *  its per-attempt bound; no-duplicate-issuance follows one attempt later. */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_PROCESSING_IS_FAILURE,
};

const afz_client afz_zoo_processing_fails = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-processing-fails",
    .description = "treats a \"processing\" order as a failed issuance and orders again on the "
                   "next run (Certes #235, stonemax/acme2 #13)",
    .expected_property = "no-orphan-issuance",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
