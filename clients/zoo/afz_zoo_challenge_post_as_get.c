/* afz_zoo_challenge_post_as_get.c - the zoo client
 * "zoo-challenge-post-as-get".
 *
 * Incident:
 *  The ""/{} confusion the other way round: a client that sends the
 *  POST-as-GET payload "" where the challenge response {} is due. The
 *  server reads "" as a fetch of the challenge (RFC 8555 6.3), so
 *  validation never starts, and the client polls the authorization until
 *  its own limit, waiting for progress that cannot come. Measured on a
 *  small C client with this bug injected (issue 13): 30 polls, judged by
 *  nothing specific before no-unasked-authz-polls.
 * Source:
 *  ACME-FAULTS.md 1 (7.5 / 7.5.1: a public C# client notes that "" to the
 *  challenge URL leaves it pending forever) and 2.6 #47; RFC 8555 7.5.1.
 * Bug (the one change from the reference client):
 *  The challenge is "answered" with payload "" instead of "{}"
 *  (AFZ_REF_QUIRK_CHALLENGE_EMPTY_PAYLOAD).
 * Server behaviour that exposes it
 * (corpus/zoo/zoo-challenge-post-as-get.scn):
 *  none beyond RFC 8555: the authorization stays "pending" because no
 *  validation was asked for.
 * Caught by:
 *  no-unasked-authz-polls (HARM): more than 3 re-reads of a pending
 *  authorization none of whose challenges was asked to validate. Not
 *  post-as-get-empty: "" to a challenge URL is a legal read. Not
 *  poll-backoff: those polls are of an authorization whose validation
 *  never started (succeeds-under-legal fires too, under a legal plan). */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_CHALLENGE_EMPTY_PAYLOAD,
};

const afz_client afz_zoo_challenge_post_as_get = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-challenge-post-as-get",
    .description = "answers the challenge with \"\" (a POST-as-GET read) instead of {}, then "
                   "polls the authorization that never starts validating",
    .expected_property = "no-unasked-authz-polls",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
