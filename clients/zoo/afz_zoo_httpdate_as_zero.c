/* afz_zoo_httpdate_as_zero.c - the zoo client "zoo-httpdate-as-zero".
 *
 * Incident:
 *  acme.sh read Retry-After as a number: an HTTP-date broke its
 *  parsing, and in 2026 an HTTP-date made its integer test fail so it polled
 *  long before the time the CA had named. Certes had to learn to handle
 *  HTTP-date values too.
 * Source:
 *  acmesh-official/acme.sh#4543, #7201 (ACME-FAULTS.md 2.2 #24);
 *  fszlin/certes#336 (2.1 #5); Pebble's coin-flip Retry-After (3.1).
 * Bug (the one change from the reference client):
 *  An HTTP-date Retry-After reads as 0 seconds, as atoi() reads
 *  "Wed, 21 Oct 2015 07:28:00 GMT" (AFZ_REF_QUIRK_HTTPDATE_AS_ZERO).
 * Server behaviour that exposes it (corpus/zoo/zoo-httpdate-as-zero.scn):
 *  finalize answers "processing" and every processing order carries
 *  Retry-After as an IMF-fixdate 30 s ahead (RFC 9110 10.2.3 allows both
 *  forms; Pebble sends both).
 * Caught by:
 *  respects-retry-after (ROBUST): the order is polled at once, 30 s
 *  before the instant the server named. */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_HTTPDATE_AS_ZERO,
};

const afz_client afz_zoo_httpdate_as_zero = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-httpdate-as-zero",
    .description = "reads an HTTP-date Retry-After as 0 seconds and polls at once (acme.sh "
                   "#4543, #7201)",
    .expected_property = "respects-retry-after",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
