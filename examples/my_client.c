/* my_client.c - an out-of-tree acmefuzz client: the one adapter file a
 * client author writes.
 *
 * An adapter fills an afz_client table (afz_client.h) whose obtain runs
 * one issuance through the afz_env it is given: every HTTP request, sleep,
 * clock read and random number goes through env, never a socket or the
 * real clock, so acmefuzz can play the CA in-process, fault it and check
 * every property. A real adapter translates those calls to its client's
 * own HTTP and timer hooks. This one is the smallest that does real work:
 * it logs through env, then runs the library's reference client under its
 * own name and User-Agent.
 *
 * The same file serves both ways of plugging in (examples/README.md):
 * linked into a fuzz target (my_fuzz_target.c), and built as a shared
 * object that `acmefuzz run --client-lib ./libmy_client.so` loads, which
 * looks up afz_client_entry. */
#include "afz_client.h"
#include "afz_reference.h"

static const afz_reference_config my_config = {
    .struct_size = sizeof(afz_reference_config),
    .user_agent = "my-client/1.0 (acmefuzz example)",
};

static afz_rc my_obtain(const afz_client *self, const afz_env *env, const afz_obtain_params *p,
                        afz_obtain_result *out)
{
    if (env->log)
        env->log(env->ctx, "my-client: obtaining a certificate");
    return afz_reference_obtain(self, env, p, out);
}

static const afz_client my_client = {
    .abi_version = AFZ_CLIENT_ABI_VERSION,
    .struct_size = sizeof(afz_client),
    .name = "my-client",
    .description = "example out-of-tree client: the reference client with its own User-Agent",
    .expected_property = NULL,
    .config = &my_config,
    .obtain = my_obtain,
    /* Capabilities: declare what the client does, so that no plan fails it
     * for something it never claimed. The account key types it can sign
     * with: a plan that asks for another gets the first declared one
     * instead (a client that signs with P-256 only would say
     * AFZ_CLIENT_ALG_ES256). Leaving it 0 means all four. */
    .account_algs = AFZ_CLIENT_ALGS_ALL,
    /* Whether it keeps state across a campaign's attempts through
     * env->state_get/state_put (the reference client resumes a saved
     * order); a client that starts from scratch every time says
     * AFZ_CLIENT_STATELESS. Leaving it 0 declares neither. */
    .flags = AFZ_CLIENT_STATEFUL,
};

const afz_client *afz_client_entry(void)
{
    return &my_client;
}
