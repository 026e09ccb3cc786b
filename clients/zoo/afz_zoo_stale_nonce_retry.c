/* afz_zoo_stale_nonce_retry.c - the zoo client "zoo-stale-nonce-retry".
 *
 * Incident:
 *  acme-php retried after badNonce with its old nonce instead of the
 *  one in the error's Replay-Nonce; a custom client in a Boulder report
 *  reused nonces until badNonce persisted through every retry.
 * Source:
 *  acmephp/acmephp#211 (ACME-FAULTS.md 2.3 #28); letsencrypt/boulder#2739
 *  (2.3 #30).
 * Bug (the one change from the reference client):
 *  The badNonce retry signs with the nonce that was just rejected
 *  (AFZ_REF_QUIRK_REUSE_REJECTED_NONCE).
 * Server behaviour that exposes it (corpus/zoo/zoo-stale-nonce-retry.scn):
 *  the first newOrder gets 400 badNonce with a fresh Replay-Nonce.
 * Caught by:
 *  nonce-discipline (RFC 8555 6.5, MUST): one nonce used twice, and the
 *  badNonce retry ignores the fresh nonce. */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_REUSE_REJECTED_NONCE,
};

const afz_client afz_zoo_stale_nonce_retry = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-stale-nonce-retry",
    .description = "retries badNonce with the rejected nonce instead of the fresh one (acmephp "
                   "#211)",
    .expected_property = "nonce-discipline",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
