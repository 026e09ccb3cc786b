/* afz_zoo_cert_from_location.c - the zoo client "zoo-cert-from-location".
 *
 * Incident:
 *  ACMEv1 returned the certificate's URL in the Location of the
 *  issuance response, and clients carried the habit over: win-acme asked
 *  for the certificate right after finalize from a URL that was not the
 *  order's certificate URL (it even POSTed to the directory URL) and got
 *  NotFound. Under RFC 8555 the finalize response's Location is the order
 *  URL (Boulder, Pebble and this server model all send it).
 * Source:
 *  win-acme/win-acme#1225 (ACME-FAULTS.md 2.1 #17); RFC 8555 7.4.2.
 * Bug (the one change from the reference client):
 *  The certificate is fetched from the finalize response's Location
 *  header (AFZ_REF_QUIRK_CERT_URL_FROM_LOCATION), not from the order's
 *  "certificate" member once the order is "valid".
 * Server behaviour that exposes it (corpus/zoo/zoo-cert-from-location.scn):
 *  finalize answers "processing" (Location: the order URL) and the
 *  order turns valid a poll later.
 * Caught by:
 *  cert-url-from-order (RFC 8555 7.4.2, ROBUST): a certificate download
 *  (Accept: application/pem-certificate-chain) from a URL the server never
 *  gave as a certificate URL. The client fails too, so succeeds-under-legal
 *  also reports it. */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_CERT_URL_FROM_LOCATION,
};

const afz_client afz_zoo_cert_from_location = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-cert-from-location",
    .description = "downloads the certificate from the finalize response's Location header "
                   "(win-acme #1225)",
    .expected_property = "cert-url-from-order",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
