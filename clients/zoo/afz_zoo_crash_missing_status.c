/* afz_zoo_crash_missing_status.c - the zoo client "zoo-crash-missing-status".
 *
 * Incident:
 *  Clients crash on fields they assume are always there:
 *  keyvault-acmebot crashed when the CA sent no "alternate" Link header,
 *  letsencrypt-siteextension threw on an unexpected order status. In C the
 *  same assumption about "status" (required by RFC 8555 7.1.3, but a
 *  malformed server may omit it or send a number) is a NULL dereference.
 * Source:
 *  polymind-inc/acmebot#511 (ACME-FAULTS.md 2.6 #44),
 *  sjkp/letsencrypt-siteextension#387 (2.1 #6); RFC 8555 7.1.3.
 * Bug (the one change from the reference client):
 *  The order's "status" string is compared before anyone checks it is
 *  there (AFZ_REF_QUIRK_TRUST_STATUS_FIELD): strcmp(NULL, "valid").
 * Server behaviour that exposes it (corpus/zoo/zoo-crash-missing-status.scn):
 *  the newOrder response has no "status" member (drop_field,
 *  malformed). The reference client fails cleanly: "order has no status
 *  string".
 * Caught by:
 *  "crash" is not a property: the process dies (SIGSEGV; ASan/UBSan
 *  report it in sanitizer builds). Fuzzing finds it as a crash, which is
 *  why a malformed-class plan is enough. */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_TRUST_STATUS_FIELD,
};

const afz_client afz_zoo_crash_missing_status = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-crash-missing-status",
    .description = "dereferences a missing or mistyped order \"status\" (NULL pointer): a crash",
    .expected_property = "crash",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
