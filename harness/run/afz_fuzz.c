/* afz_fuzz.c - see afz_fuzz.h. */
#include "afz_fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afz_check.h"
#include "afz_client_abi.h"
#include "afz_clients.h"
#include "afz_policy.h"
#include "afz_prng.h"
#include "afz_property.h"
#include "afz_scenario.h"

/* Per-process state: made on the first input, kept for the process's life
 * (libFuzzer never returns), released at exit so LeakSanitizer stays quiet
 * in the standalone driver. */
static struct {
    int ready;
    const afz_client *client;
    afz_world world;
    afz_check check;
    unsigned long violations;
    int no_abort;
    int policy_set; /* afz_fuzz_set_policy was called */
    afz_policy policy;
} fz;

static void fuzz_release(void)
{
    if (!fz.ready)
        return;
    afz_check_cleanup(&fz.check);
    afz_world_cleanup(&fz.world);
    fz.ready = 0;
}

static void fuzz_setup(void)
{
    afz_detrand_install();
    if (afz_world_init(&fz.world) != AFZ_OK) {
        fprintf(stderr, "acmefuzz: could not create the CA and keys\n");
        exit(2);
    }
    afz_check_init(&fz.check);
    if (!fz.policy_set)
        afz_policy_default(&fz.policy);
    char why[160];
    const char *fail_on = getenv("AFZ_FAIL_ON"), *allow = getenv("AFZ_ALLOW");
    if (fail_on && *fail_on &&
        afz_policy_levels_parse(fail_on, &fz.policy.fail_levels, why, sizeof(why)) != AFZ_OK) {
        fprintf(stderr, "acmefuzz: AFZ_FAIL_ON: %s\n", why);
        exit(2);
    }
    if (allow && *allow && afz_policy_allow(&fz.policy, allow, why, sizeof(why)) != AFZ_OK) {
        fprintf(stderr, "acmefuzz: AFZ_ALLOW: %s\n", why);
        exit(2);
    }
    fz.check.policy = fz.policy;
    const char *na = getenv("AFZ_FUZZ_NO_ABORT");
    fz.no_abort = na && *na && strcmp(na, "0") != 0;
    fz.ready = 1;
    atexit(fuzz_release);
}

static int fuzz_one(const uint8_t *data, size_t size);

int afz_fuzz_client_one(const char *client_name, const uint8_t *data, size_t size)
{
    if (!fz.ready) {
        fz.client = afz_client_find(client_name);
        if (!fz.client) {
            fprintf(stderr, "acmefuzz: no built-in client named '%s'\n", client_name);
            exit(2);
        }
        fuzz_setup();
    }
    return fuzz_one(data, size);
}

static int fuzz_one(const uint8_t *data, size_t size)
{
    afz_rc rc = afz_check_input(&fz.check, &fz.world, fz.client, data, size);
    if (rc != AFZ_OK) {
        fprintf(stderr, "acmefuzz: the run could not be carried out: %s\n", afz_rc_str(rc));
        abort();
    }
    /* A zoo client's target is there to show its own bug: it stops on the
     * property the client names, at any level (other violations are
     * consequences of the same quirk and would hide it). Other clients
     * stop on a violation that fails under the policy. */
    const afz_report_entry *v = NULL;
    const char *want = fz.client->expected_property;
    if (!want || !afz_property_find(want)) {
        v = afz_check_first_violation(&fz.check);
        if (!v)
            return 0;
    } else {
        for (size_t i = 0; i < fz.check.report.n; i++) {
            const afz_report_entry *e = &fz.check.report.entries[i];
            if (e->result.verdict == AFZ_VERDICT_VIOLATION && strcmp(e->prop->id, want) == 0)
                v = e;
        }
        if (!v)
            return 0;
    }
    fz.violations++;
    afz_buf b;
    afz_buf_init(&b, 0);
    afz_buf_printf(&b, "==acmefuzz== VIOLATION %s (%s, %s) by client %s: %s\n", v->prop->id,
                   afz_level_name(v->prop->level), v->prop->rfc, fz.client->name,
                   v->result.message);
    afz_buf_puts(&b, "==acmefuzz== policy: ");
    afz_policy_print(&fz.check.policy, &b);
    afz_buf_putc(&b, '\n');
    afz_buf_puts(&b, "==acmefuzz== plan:\n");
    afz_scenario_print(&fz.check.plan, &b);
    if (afz_client_find(fz.client->name) == fz.client)
        afz_buf_printf(&b, "==acmefuzz== replay: acmefuzz replay INPUT --client %s\n",
                       fz.client->name);
    else /* an out-of-tree client (afz_fuzz_one): run reads binary plans too */
        afz_buf_puts(&b,
                     "==acmefuzz== replay: acmefuzz run --client-lib CLIENT.so --scenario INPUT\n");
    fputs(afz_buf_cstr(&b), stderr);
    afz_buf_cleanup(&b);
    if (!fz.no_abort)
        abort();
    return 0;
}

int afz_fuzz_set_policy(const char *fail_on, const char *allow)
{
    char why[160];
    afz_policy p;
    afz_policy_default(&p);
    if (fail_on && afz_policy_levels_parse(fail_on, &p.fail_levels, why, sizeof(why)) != AFZ_OK) {
        fprintf(stderr, "acmefuzz: afz_fuzz_set_policy: %s\n", why);
        return -1;
    }
    if (allow && afz_policy_allow(&p, allow, why, sizeof(why)) != AFZ_OK) {
        fprintf(stderr, "acmefuzz: afz_fuzz_set_policy: %s\n", why);
        return -1;
    }
    fz.policy = p;
    fz.policy_set = 1;
    if (fz.ready)
        fz.check.policy = p;
    return 0;
}

unsigned long afz_fuzz_violations(void)
{
    return fz.violations;
}

int afz_fuzz_one(const afz_client *client, const uint8_t *data, size_t size)
{
    if (!fz.ready) {
        char why[256];
        if (afz_client_validate(client, why, sizeof(why)) != AFZ_OK) {
            fprintf(stderr, "acmefuzz: cannot fuzz this client: %s\n", why);
            exit(2);
        }
        fz.client = client;
        fuzz_setup();
    }
    return fuzz_one(data, size);
}
