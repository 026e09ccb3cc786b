/* afz_zoo_retry_after_int32.c - the zoo client "zoo-retry-after-int32".
 *
 * Incident:
 *  No public report names this exact overflow; it is the
 *  "20-digit overflow" and "2^31" row of the Retry-After fuzz values, and
 *  the reason clients added clamps: Certes' 2026 rework gives Retry-After a
 *  1 s floor and a 15 min cap, and RFC 9773 4.3.2 makes clamping a MUST for
 *  ARI. acme.sh's integer handling of Retry-After (#4543, #7201) shows how
 *  such values reach shell and C integer code.
 * Source:
 *  ACME-FAULTS.md 1.6 (fuzz values: 20-digit overflow), fszlin/certes#336
 *  (2.1 #5), acmesh-official/acme.sh#4543, #7201 (2.2 #24); RFC 9773 4.3.2.
 * Bug (the one change from the reference client):
 *  delay-seconds are accumulated in a 32-bit signed int and a negative
 *  result means "no wait" (AFZ_REF_QUIRK_RETRY_AFTER_INT32): Retry-After:
 *  2147483648 (68 years) becomes "poll now".
 * Server behaviour that exposes it (corpus/zoo/zoo-retry-after-int32.scn):
 *  every order response carries Retry-After: 2147483648 while finalize
 *  answers "processing" for 2 polls. The reference client refuses a wait
 *  over an hour and fails cleanly.
 * Caught by:
 *  respects-retry-after (ROBUST): a delay over retry_after_cap_ms is
 *  judged like a malformed one, and the client asked again after 0 ms,
 *  under the 1 s floor. */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_RETRY_AFTER_INT32,
};

const afz_client afz_zoo_retry_after_int32 = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-retry-after-int32",
    .description = "keeps Retry-After seconds in a 32-bit int: 2147483648 wraps negative and it "
                   "polls at once",
    .expected_property = "respects-retry-after",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
