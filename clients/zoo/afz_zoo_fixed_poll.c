/* afz_zoo_fixed_poll.c - the zoo client "zoo-fixed-poll".
 *
 * Incident:
 *  acme-tiny (Debian 5.0.1) sleeps a fixed 2 s between polls of an
 *  authorization or order and never reads Retry-After; against a CA that
 *  asks for more it polls early every time (README, "Real clients":
 *  measured polling every 2 s for up to an hour). Fixed 1 s and 2 s sleeps
 *  pass any test whose Retry-After is 1; they fail at 3 s or more.
 * Source:
 *  acme-tiny's time.sleep(2) polling loop (Debian package acme-tiny);
 *  issue 13 (nine real clients on the suite).
 * Bug (the one change from the reference client):
 *  Every wait between polls is 2 s, Retry-After unread
 *  (AFZ_REF_QUIRK_FIXED_POLL).
 * Server behaviour that exposes it (corpus/zoo/zoo-fixed-poll.scn):
 *  finalize answers "processing" with Retry-After: 3 and the order stays
 *  processing for 2 polls and 10 s.
 * Caught by:
 *  respects-retry-after (RFC 8555 7.4; RFC 9110 10.2.3, ROBUST): the order
 *  is polled 2 s after the server asked for 3. */
#include "afz_reference.h"
#include "afz_zoo.h"

static const afz_reference_config config = {
    .struct_size = sizeof(afz_reference_config),
    .quirks = AFZ_REF_QUIRK_FIXED_POLL,
};

const afz_client afz_zoo_fixed_poll = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "zoo-fixed-poll",
    .description = "polls every 2 s whatever Retry-After says (acme-tiny's fixed sleep)",
    .expected_property = "respects-retry-after",
    .config = &config,
    .obtain = afz_reference_obtain,
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    .flags = AFZ_CLIENT_STATEFUL,
};
