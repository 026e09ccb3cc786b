/* afz_zoo_scheduler_no_resume.c - the zoo client "zoo-scheduler-no-resume".
 *
 * Incident:
 *  cert-manager's certificates appeared in CT logs but not in the
 *  cluster, so it issued again and again until the rate limit; deleting
 *  namespaces or secrets (lost state) did the same. A renewal whose
 *  certificate was issued but not saved is retried from scratch.
 * Source:
 *  cert-manager/cert-manager#3990 (ACME-FAULTS.md 2.4 #33), #2741 and
 *  #1500 (2.4 #35).
 * Bug (the one change from the reference client):
 *  The client never reads or writes its state store
 *  (AFZ_REF_QUIRK_IGNORE_STATE), so the scheduler's next attempt orders
 *  anew instead of downloading the certificate of the finalized order.
 * Server behaviour that exposes it (corpus/zoo/zoo-scheduler-no-resume.scn):
 *  a campaign of 3 attempts; the first certificate download returns a
 *  broken chain, so the first attempt fails after the certificate was
 *  issued. The reference client resumes the saved order and downloads it.
 * Caught by:
 *  no-duplicate-issuance (HARM): two certificates for the same names in
 *  one run. */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_IGNORE_STATE,
};

const afz_client afz_zoo_scheduler_no_resume = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-scheduler-no-resume",
    .description = "keeps no state: a retried renewal orders (and issues) again after a lost "
                   "download (cert-manager #3990)",
    .expected_property = "no-duplicate-issuance",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    /* Declared stateful, as cert-manager is (it keeps its orders in the
     * cluster): the bug is losing that state, not lacking it. Declaring it
     * stateless would tell the properties that ordering again is all it
     * can do. */
    .flags = AFZ_CLIENT_STATEFUL,
};
