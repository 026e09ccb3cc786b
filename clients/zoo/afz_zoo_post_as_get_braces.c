/* afz_zoo_post_as_get_braces.c - the zoo client "zoo-post-as-get-braces".
 *
 * Incident:
 *  Clients that confuse the POST-as-GET payload "" with the challenge
 *  trigger "{}" send "{}" to order, authorization and certificate URLs;
 *  Boulder answers 400 malformed "POST-as-GET requests must have an empty
 *  payload". Many such clients never polled an order before 2023-07-13:
 *  with synchronous finalize and reused authorizations they never needed a
 *  POST-as-GET, so the asynchronous finalize was the first time the bug ran.
 * Source:
 *  ACME-FAULTS.md 2.6 #47 (code comments in public repositories;
 *  server side boulder wfe2/verify.go, pebble#167); DESIGN.md "Why it
 *  exists" (400 malformed during the 2023-07 incident).
 * Bug (the one change from the reference client):
 *  Every POST-as-GET carries the payload "{}"
 *  (AFZ_REF_QUIRK_POST_AS_GET_BRACES).
 * Server behaviour that exposes it (corpus/zoo/zoo-post-as-get-braces.scn):
 *  the order is "ready" at creation (authorizations reused, so no
 *  authorization is fetched) and finalize answers "processing": the first
 *  POST-as-GET is the order poll, which the server refuses as malformed.
 * Caught by:
 *  post-as-get-empty (RFC 8555 6.3, MUST): a fetch of an order with a
 *  non-empty payload. */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_POST_AS_GET_BRACES,
};

const afz_client afz_zoo_post_as_get_braces = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-post-as-get-braces",
    .description = "POST-as-GET with payload \"{}\" instead of \"\" (the \"\"/{} confusion, "
                   "2023-07)",
    .expected_property = "post-as-get-empty",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
