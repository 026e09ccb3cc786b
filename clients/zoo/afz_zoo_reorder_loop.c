/* afz_zoo_reorder_loop.c - the zoo client "zoo-reorder-loop".
 *
 * Incident:
 *  vercel-acme re-created orders after every failure during the
 *  2023-07-13 incident until Let's Encrypt's Duplicate Certificate limit
 *  stopped all its domains; cert-manager 1.4-1.6 retried rejected orders so
 *  fast that Let's Encrypt saw more than 20,000 rejectedIdentifier errors a
 *  day from single clients; Caddy sent too many requests after a failed
 *  certificate request.
 * Source:
 *  community.letsencrypt.org/t/suddenly-getting-too-many-certificates-error-across-all-domains/201783/14
 *  (ACME-FAULTS.md 2.1 #1); cert-manager/cert-manager#4612 (2.4 #34);
 *  caddyserver/caddy#4186 (2.4 #37).
 * Bug (the one change from the reference client):
 *  Any failure after newOrder starts the issuance over with a new order,
 *  up to 5 orders in one obtain call (AFZ_REF_QUIRK_REORDER_ON_FAILURE),
 *  instead of reporting the failure to its scheduler.
 * Server behaviour that exposes it (corpus/zoo/zoo-reorder-loop.scn):
 *  validation fails: challenge, authorization and order turn
 *  "invalid" (degraded: the client may fail, but safely).
 * Caught by:
 *  bounded-new-orders (HARM): 5 newOrders for the same names in one
 *  obtain call; the bound is 2 (one order, one fresh order after the first
 *  went invalid). */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_REORDER_ON_FAILURE,
};

const afz_client afz_zoo_reorder_loop = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-reorder-loop",
    .description = "starts over with a new order after any failure, up to 5 per run (vercel-acme "
                   "2023-07, cert-manager #4612)",
    .expected_property = "bounded-new-orders",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
