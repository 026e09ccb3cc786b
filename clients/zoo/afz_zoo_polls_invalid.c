/* afz_zoo_polls_invalid.c - the zoo client "zoo-polls-invalid".
 *
 * Incident:
 *  certbot deduced the order's state from its "certificate" and
 *  "error" fields instead of "status", so an order that went "invalid"
 *  during finalization was polled until the timeout. Fixed by certbot#9297
 *  (use "status").
 * Source:
 *  certbot/certbot#9296, #9297 (ACME-FAULTS.md 2.1 #10).
 * Bug (the one change from the reference client):
 *  "invalid" means "keep polling" (AFZ_REF_QUIRK_POLL_AFTER_INVALID).
 * Server behaviour that exposes it (corpus/zoo/zoo-polls-invalid.scn):
 *  finalize is accepted, then issuance fails and the order turns
 *  "invalid" with an error (Boulder's failOrder).
 * Caught by:
 *  final-states-final (RFC 8555 7.1.3, SHOULD): the order is polled again
 *  after it was seen "invalid", a final state. */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_POLL_AFTER_INVALID,
};

const afz_client afz_zoo_polls_invalid = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-polls-invalid",
    .description = "keeps polling an order that is \"invalid\" (certbot #9296)",
    .expected_property = "final-states-final",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
