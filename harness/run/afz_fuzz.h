/* afz_fuzz.h - what every client fuzz target does, in the library so the
 * targets stay a few lines: per-process set-up (deterministic OpenSSL RNG,
 * the CA and keys), then per input: decode, run, check every property, and
 * on a violation print the verdict and abort() so the fuzzer keeps the
 * input.
 *
 * Which violations stop the fuzzer is the policy of afz_policy.h, the
 * same rule `run`, `suite` and `serve` apply (default: MUST and HARM).
 * A zoo client's target stops on the property its client names, at any
 * level: showing that bug is what it is for.
 *
 * Knobs, read once on the first input:
 *   AFZ_FAIL_ON=LEVELS   the fail set ("must,harm", "all", ...);
 *   AFZ_ALLOW=ID[,ID]    waived properties;
 *   AFZ_FUZZ_NO_ABORT=1  report violations on stderr but do not abort
 *                        (afz_fuzz_violations counts them).
 * A bad AFZ_FAIL_ON or AFZ_ALLOW exits with status 2 and the reason. An
 * out-of-tree target can fix its policy in code instead (OSS-Fuzz runs
 * take no environment of the project's): call afz_fuzz_set_policy from
 * LLVMFuzzerInitialize; the environment, when set, still wins. */
#ifndef AFZ_FUZZ_H
#define AFZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "afz_rc.h"

/* Declared, not included: afz_client.h brings in OpenSSL's headers, which
 * the targets that only need the functions below can do without. */
struct afz_client;

/* afz_fuzz_client_one checks one input against the built-in client
 * |client_name| (set up on first use; an unknown name exits with a
 * message). Returns 0; aborts on a violation unless AFZ_FUZZ_NO_ABORT. */
AFZ_API int afz_fuzz_client_one(const char *client_name, const uint8_t *data, size_t size);

/* afz_fuzz_set_policy sets the fail set |fail_on| and waivers |allow|
 * (both in the text of afz_policy.h; NULL keeps the default) before the
 * first input. Returns 0, or -1 with the reason on stderr. */
AFZ_API int afz_fuzz_set_policy(const char *fail_on, const char *allow);

/* afz_fuzz_violations returns how many inputs violated a property so far
 * in this process (meaningful with AFZ_FUZZ_NO_ABORT). */
AFZ_API unsigned long afz_fuzz_violations(void);

/* afz_fuzz_one is afz_fuzz_client_one for a client given by its table,
 * such as an out-of-tree client's (examples/my_fuzz_target.c passes
 * afz_client_entry()). |client| is borrowed for the process's life and
 * checked on first use (afz_client_validate: ABI version, struct size,
 * name, obtain); a client that fails the check exits with status 2 and a
 * message. The first call fixes the client; later calls must pass the
 * same one. Returns 0; aborts on a violation unless AFZ_FUZZ_NO_ABORT. */
AFZ_API int afz_fuzz_one(const struct afz_client *client, const uint8_t *data, size_t size);

#endif
