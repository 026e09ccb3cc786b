/* afz_zoo_authz_no_backoff.c - the zoo client "zoo-authz-no-backoff".
 *
 * Incident:
 *  An authorization stayed "pending" after a second order with a
 *  different challenge type, and lego polled it for minutes; Let's Encrypt
 *  asks clients to back off between polls, and RFC 8555 7.5.1 leaves the
 *  interval to Retry-After, which this server does not send.
 * Source:
 *  letsencrypt/boulder#2125 (ACME-FAULTS.md 2.5 #41).
 * Bug (the one change from the reference client):
 *  No back-off at all: the next poll follows the last answer at once
 *  (AFZ_REF_QUIRK_NO_BACKOFF).
 * Server behaviour that exposes it (corpus/zoo/zoo-authz-no-backoff.scn):
 *  after the challenge POST the authorization stays "pending" for 5
 *  polls, without Retry-After (legal: RFC 8555 7.5.1).
 * Caught by:
 *  poll-backoff (HARM): polls of a pending
 *  authorization 0 ms apart, under the 1 s minimum. */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_NO_BACKOFF,
};

const afz_client afz_zoo_authz_no_backoff = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-authz-no-backoff",
    .description = "polls a pending authorization back to back, without back-off (boulder #2125)",
    .expected_property = "poll-backoff",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
