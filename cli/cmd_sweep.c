/* cmd_sweep.c - `acmefuzz sweep`: run a client under many random fault
 * plans and check every property each time. It is the zero-false-positive
 * check for the reference client (every violation there is a bug in the
 * client or in a property), and `acmefuzz replay` reproduces any finding. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afz_check.h"
#include "afz_cli.h"
#include "afz_client_lib.h"
#include "afz_clients.h"
#include "afz_prng.h"
#include "afz_scenario.h"

#define SWEEP_MAX_LEN 1 + 6 * 8

static void sweep_usage(FILE *f)
{
    fputs("usage: acmefuzz sweep [--client NAME | --client-lib PATH.so] [--count N] [--seed S]\n"
          "                      [--save DIR] [--fail-on LEVELS] [--allow ID]... [-q]\n"
          "\n"
          "Runs the client under N random fault plans (half of them legal-only) and checks\n"
          "every property each time. Prints each violation with its plan; with --save, writes\n"
          "the failing input to DIR/sweep-<seed>-<i>.bin for 'acmefuzz "
          "replay'.\n" AFZ_CLI_POLICY_USAGE
          "exit status: 0 no violation fails, 1 one does, 2 usage error\n",
          f);
}

/* Random plan bytes; |legal_only| maps every fault byte onto a legal fault
 * so the plan exercises succeeds-under-legal, and otherwise every fault
 * byte is folded onto the catalog (fault bytes >= AFZ_FAULT__COUNT decode
 * to no rule, afz_plan.h, so unfolded random bytes would be mostly empty
 * slots). Adding a fault changes which plans a seed makes; a saved plan
 * (--save) keeps its meaning. */
static size_t make_input(afz_prng *p, int legal_only, uint8_t *buf)
{
    static uint8_t legal[AFZ_FAULT__COUNT];
    static size_t n_legal;
    if (!n_legal)
        for (size_t i = 0; i < AFZ_FAULT__COUNT; i++)
            if (afz_fault_get((afz_fault_id)i)->cls == AFZ_CLASS_LEGAL)
                legal[n_legal++] = (uint8_t)i;
    size_t rules = (size_t)afz_prng_below(p, 9);
    size_t n = 1 + rules * AFZ_PLAN_RULE_BYTES;
    afz_prng_bytes(p, buf, n);
    for (size_t r = 0; r < rules; r++) {
        uint8_t *fault = &buf[1 + r * AFZ_PLAN_RULE_BYTES + 2];
        *fault = legal_only ? legal[*fault % n_legal] : (uint8_t)(*fault % AFZ_FAULT__COUNT);
    }
    return n;
}

int afz_cmd_sweep(int argc, char **argv)
{
    static const struct option opts[] = {
        {"client", required_argument, NULL, 'c'},
        {"count", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"save", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"client-lib", required_argument, NULL, 'L'},
        AFZ_CLI_POLICY_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    const char *client_name = "reference", *save = NULL, *lib_path = NULL;
    int client_given = 0;
    unsigned long long count = 1000, seed = 1;
    int quiet = 0, c;
    char *end;
    afz_policy policy;
    afz_policy_default(&policy);
    optind = 1;
    while ((c = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            client_name = optarg;
            client_given = 1;
            break;
        case 'L':
            lib_path = optarg;
            break;
        case 'o':
            save = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'n':
        case 's':
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno || *end || !*optarg || *optarg == '-') {
                fprintf(stderr, "acmefuzz sweep: --%s wants a non-negative integer, got '%s'\n",
                        c == 'n' ? "count" : "seed", optarg);
                return 2;
            }
            *(c == 'n' ? &count : &seed) = v;
            break;
        case AFZ_CLI_OPT_FAIL_ON:
        case AFZ_CLI_OPT_ALLOW:
            if (afz_cli_policy_arg("sweep", c, optarg, &policy))
                return 2;
            break;
        case 'h':
            sweep_usage(stdout);
            return 0;
        default:
            sweep_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "acmefuzz sweep: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (afz_cli_check_client("sweep", client_name, client_given, lib_path))
        return 2;
    afz_client_lib *lib = NULL;
    const afz_client *client = NULL;
    if (afz_cli_load_client("sweep", client_name, lib_path, &lib, &client))
        return 2;
    afz_detrand_install();
    afz_world world;
    if (afz_world_init(&world) != AFZ_OK) {
        fprintf(stderr, "acmefuzz sweep: could not create the CA and keys\n");
        afz_client_lib_close(lib);
        return 2;
    }
    afz_check chk;
    afz_check_init(&chk);
    chk.policy = policy;
    afz_prng prng;
    afz_prng_seed(&prng, seed);
    unsigned long long by_class[AFZ_CLASS__COUNT] = {0}, failed = 0, certs = 0;
    int exit_code = 0;
    for (unsigned long long i = 0; i < count; i++) {
        uint8_t buf[SWEEP_MAX_LEN];
        size_t n = make_input(&prng, (int)(i % 2 == 0), buf);
        if (afz_check_input(&chk, &world, client, buf, n) != AFZ_OK) {
            fprintf(stderr, "acmefuzz sweep: run %llu could not be carried out\n", i);
            exit_code = 2;
            break;
        }
        by_class[afz_plan_class(&chk.plan)]++;
        certs += chk.run.client_rc == AFZ_OK;
        const afz_report_entry *v = afz_check_first_violation(&chk);
        if (v) {
            failed++;
            exit_code = 1;
            afz_buf b;
            afz_buf_init(&b, 0);
            afz_scenario_print(&chk.plan, &b);
            printf("VIOLATION %s on plan %llu (%s):\n%s  %s\n", v->prop->id, i,
                   afz_fault_class_name(afz_plan_class(&chk.plan)), afz_buf_cstr(&b),
                   v->result.message);
            afz_buf_cleanup(&b);
            if (save) {
                char path[4096];
                snprintf(path, sizeof(path), "%s/sweep-%llu-%llu.bin", save, seed, i);
                FILE *f = fopen(path, "wb");
                int saved = f && fwrite(buf, 1, n, f) == n;
                if (saved && lib_path)
                    printf("  saved: acmefuzz replay %s --client-lib %s\n", path, lib_path);
                else if (saved)
                    printf("  saved: acmefuzz replay %s --client %s\n", path, client->name);
                if (f)
                    fclose(f);
            }
        }
        if (!quiet && (i + 1) % 1000 == 0)
            fprintf(stderr, "acmefuzz sweep: %llu/%llu plans, %llu violations\n", i + 1, count,
                    failed);
    }
    printf("acmefuzz sweep: client %s, seed %llu: %llu plans (legal %llu, real-world %llu, "
           "degraded %llu, malformed %llu), %llu certificates\n",
           client->name, seed, count, by_class[AFZ_CLASS_LEGAL], by_class[AFZ_CLASS_REAL_WORLD],
           by_class[AFZ_CLASS_DEGRADED], by_class[AFZ_CLASS_MALFORMED], certs);
    printf("%llu passed, %llu failed\n", count - failed, failed);
    afz_check_cleanup(&chk);
    afz_world_cleanup(&world);
    afz_client_lib_close(lib);
    return exit_code;
}
