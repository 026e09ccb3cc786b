/* afz_zoo_cert_before_valid.c - the zoo client "zoo-cert-before-valid".
 *
 * Incident:
 *  certbot downloaded the certificate right after finalize from the
 *  "certificate" URL the finalize response carried, without reading the
 *  order's "status": against a CA whose issuance is asynchronous (manual
 *  approval, Retry-After) the order was still "processing" and the
 *  download failed. dehydrated before 0.7 did the same when the field was
 *  absent (ACME-FAULTS.md 2.1 #2).
 * Source:
 *  certbot/certbot#7997 (ACME-FAULTS.md 2.1 #9); RFC 8555 7.1.3, 7.4.
 * Bug (the one change from the reference client):
 *  The certificate is fetched from the finalize response's "certificate"
 *  member whatever the order's status (AFZ_REF_QUIRK_CERT_FROM_FINALIZE);
 *  without one it gives up.
 * Server behaviour that exposes it (corpus/zoo/zoo-cert-before-valid.scn):
 *  finalize answers "processing" and the order already carries its
 *  "certificate" URL, which answers 404 until the order is "valid"
 *  (certificate_early).
 * Caught by:
 *  cert-url-from-order (RFC 8555 7.4.2, ROBUST): a certificate download
 *  from a URL that no "valid" order had given yet. The download fails, so
 *  the client ends without a certificate. */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_CERT_FROM_FINALIZE,
};

const afz_client afz_zoo_cert_before_valid = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-cert-before-valid",
    .description = "downloads from the finalize response's \"certificate\" URL while the order "
                   "is still \"processing\" (certbot #7997)",
    .expected_property = "cert-url-from-order",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
