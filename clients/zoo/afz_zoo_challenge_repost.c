/* afz_zoo_challenge_repost.c - the zoo client "zoo-challenge-repost".
 *
 * Incident:
 *  The other half of the ""/{} confusion: {} is the challenge
 *  trigger, "" the fetch. A client that "polls" by sending the challenge
 *  response again asks for a new validation each time (RFC 8555 8.2:
 *  servers retry on such a POST) and never reads the authorization whose
 *  status tells the outcome (7.5.1).
 * Source:
 *  ACME-FAULTS.md 2.6 #47 (code comments in public repositories;
 *  pebble#167, boulder wfe2/verify.go); RFC 8555 7.5.1, 8.2.
 * Bug (the one change from the reference client):
 *  After answering the challenge, every poll is a POST {} to the
 *  challenge URL (AFZ_REF_QUIRK_REPOST_CHALLENGE).
 * Server behaviour that exposes it (corpus/zoo/zoo-challenge-repost.scn):
 *  validation needs 2 fetches of the authorization (or its
 *  challenge) after the challenge POST and 5 s (authz_pending, legal). A
 *  POST {} is a request, not a fetch, so the validation never completes.
 * Caught by:
 *  succeeds-under-legal (ROBUST): with only legal faults the client gives
 *  up after max_polls. Not post-as-get-empty: {} is the right payload for
 *  a challenge URL and the checker must not flag real challenge answers.
 *  Not poll-backoff: the re-POSTs are not POST-as-GET polls, and they are
 *  spaced by the normal back-off and bounded by max_polls. */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_REPOST_CHALLENGE,
};

const afz_client afz_zoo_challenge_repost = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-challenge-repost",
    .description = "\"polls\" by re-POSTing {} to the challenge instead of fetching the "
                   "authorization",
    .expected_property = "succeeds-under-legal",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
