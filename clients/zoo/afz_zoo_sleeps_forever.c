/* afz_zoo_sleeps_forever.c - the zoo client "zoo-sleeps-forever".
 *
 * Incident:
 *  acme.sh slept whatever a 429 said, days included; Certes capped
 *  Retry-After at 15 minutes only in its 2026 rework; RFC 9773 4.3.2 makes
 *  clients clamp ARI's Retry-After (for example to one day). A client that
 *  trusts the header blindly hangs a renewal for as long as a broken or
 *  hostile server likes.
 * Source:
 *  acmesh-official/acme.sh#4543 (ACME-FAULTS.md 2.2 #24),
 *  fszlin/certes#336 (2.1 #5), RFC 9773 4.3.2 (1.5), ACME-FAULTS.md 1.6
 *  (far-future IMF-fixdate).
 * Bug (the one change from the reference client):
 *  No upper limit on a wait (AFZ_REF_QUIRK_NO_WAIT_LIMIT): the
 *  reference client gives up on a wait over max_wait_ms (1 hour); this
 *  one sleeps.
 * Server behaviour that exposes it (corpus/zoo/zoo-sleeps-forever.scn):
 *  order responses carry Retry-After: Fri, 31 Dec 9999 23:59:59 GMT
 *  while finalize answers "processing".
 * Caught by:
 *  terminates (HARM): the run's virtual-time budget is spent in one
 *  sleep. respects-retry-after passes: the client never asked early. */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_NO_WAIT_LIMIT,
};

const afz_client afz_zoo_sleeps_forever = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-sleeps-forever",
    .description = "sleeps as long as any Retry-After says, even until the year 9999",
    .expected_property = "terminates",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
