/* cmd_run.c - `acmefuzz run`: one in-process issuance with a built-in
 * client, or one loaded from a shared object (--client-lib,
 * afz_client_lib.h), printing the numbered exchange log and the outcome
 * (or, with --json, the whole history as JSON). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afz_cli.h"
#include "afz_client_lib.h"
#include "afz_clients.h"
#include "afz_suite.h"
#include "afz_prng.h"
#include "afz_property.h"
#include "afz_report.h"
#include "afz_run.h"
#include "afz_scenario.h"

#define MAX_DOMAINS 16

static void run_usage(FILE *f)
{
    fputs(
        "usage: acmefuzz run [--client NAME | --client-lib PATH.so] [--scenario FILE]\n"
        "                    [--domain NAME]... [--seed N]\n"
        "                    [--async]\n"
        "                    [--finalize-polls N] [--authz-polls N] [--retry-after S]\n"
        "                    [--account-key-alg ES256|ES384|RS256|EdDSA] [--json] [-v]\n"
        "\n"
        "Runs one issuance in-process on a virtual clock and prints the exchange log.\n"
        "  --client NAME        built-in client (default: reference; see 'acmefuzz list clients')\n"
        "  --client-lib PATH.so a client built as a shared object: dlopen'd, its\n"
        "                       'const afz_client *afz_client_entry(void)' is called and\n"
        "                       the table's ABI version checked (see examples/README.md)\n"
        "  --scenario FILE      fault plan: text form if FILE ends in .scn, else binary form;\n"
        "                       it fixes identifiers, account key, attempts and the seed\n"
        "  --domain NAME        identifier to order (repeatable; default example.com)\n"
        "  --seed N             run seed (default 1): same seed, same history\n"
        "  --async              finalize answers \"processing\"; the order turns valid later\n"
        "  --finalize-polls N   async: order polls before \"valid\" (default 1)\n"
        "  --authz-polls N      authorization polls after the challenge before \"valid\"\n"
        "  --retry-after S      Retry-After seconds on processing orders and pending "
        "authzs\n" AFZ_CLI_POLICY_USAGE
        "  --json               print the verdicts and the history as JSON\n"
        "  -v, --verbose        show client log lines, decoded JWS payloads and bodies\n"
        "Every property ('acmefuzz list properties') is checked over the run. A client\n"
        "that crashes (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) is caught and judged by\n"
        "no-crash; memory it held is lost.\n"
        "exit status: 0 no violation fails the run, 1 one does (see --fail-on), 2 usage or\n"
        "input error\n",
        f);
}

int afz_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"client", required_argument, NULL, 'c'},
        {"client-lib", required_argument, NULL, 'L'},
        {"scenario", required_argument, NULL, 'S'},
        {"domain", required_argument, NULL, 'd'},
        {"seed", required_argument, NULL, 's'},
        {"async", no_argument, NULL, 'a'},
        {"finalize-polls", required_argument, NULL, 'F'},
        {"authz-polls", required_argument, NULL, 'A'},
        {"retry-after", required_argument, NULL, 'R'},
        {"account-key-alg", required_argument, NULL, 'k'},
        {"json", no_argument, NULL, 'j'},
        AFZ_CLI_POLICY_OPTIONS,
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* `replay FILE` runs as `run --scenario FILE` under its own name */
    const char *cmd = argc > 0 && strcmp(argv[0], "replay") == 0 ? "replay" : "run";
    const char *client_name = "reference";
    const char *client_lib_path = NULL;
    int client_given = 0;
    const char *scenario = NULL;
    int seed_given = 0, alg_given = 0;
    const char *domains[MAX_DOMAINS];
    size_t n_domains = 0;
    int json = 0, verbose = 0;
    afz_policy policy;
    afz_policy_default(&policy);
    afz_jws_alg alg = AFZ_ALG_ES256;
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    cfg.server.finalize_polls = 1;
    uint64_t v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            client_name = optarg;
            client_given = 1;
            break;
        case 'L':
            client_lib_path = optarg;
            break;
        case 'S':
            scenario = optarg;
            break;
        case 'd':
            if (n_domains == MAX_DOMAINS) {
                fprintf(stderr, "acmefuzz %s: at most %d --domain\n", cmd, MAX_DOMAINS);
                return 2;
            }
            domains[n_domains++] = optarg;
            break;
        case 's':
            if (afz_cli_parse_u64(optarg, UINT64_MAX, &v)) {
                fprintf(stderr, "acmefuzz %s: --seed wants a non-negative integer, got '%s'\n", cmd,
                        optarg);
                return 2;
            }
            cfg.seed = v;
            seed_given = 1;
            break;
        case 'a':
            cfg.server.async_finalize = 1;
            break;
        case 'F':
            if (afz_cli_parse_u64(optarg, 1000, &v)) {
                fprintf(stderr, "acmefuzz %s: --finalize-polls wants 0..1000, got '%s'\n", cmd,
                        optarg);
                return 2;
            }
            cfg.server.finalize_polls = (uint32_t)v;
            break;
        case 'A':
            if (afz_cli_parse_u64(optarg, 1000, &v)) {
                fprintf(stderr, "acmefuzz %s: --authz-polls wants 0..1000, got '%s'\n", cmd,
                        optarg);
                return 2;
            }
            cfg.server.authz_pending_polls = (uint32_t)v;
            break;
        case 'R':
            if (afz_cli_parse_u64(optarg, 86400, &v)) {
                fprintf(stderr, "acmefuzz %s: --retry-after wants 0..86400 seconds, got '%s'\n",
                        cmd, optarg);
                return 2;
            }
            cfg.server.order_retry_after_s = (int64_t)v;
            cfg.server.authz_retry_after_s = (int64_t)v;
            break;
        case 'k':
            alg = afz_jws_alg_from_name(optarg);
            if (alg == AFZ_ALG_NONE) {
                fprintf(stderr, "acmefuzz %s: unknown --account-key-alg '%s'\n", cmd, optarg);
                return 2;
            }
            alg_given = 1;
            break;
        case 'j':
            json = 1;
            break;
        case AFZ_CLI_OPT_FAIL_ON:
        case AFZ_CLI_OPT_ALLOW:
            if (afz_cli_policy_arg(cmd, c, optarg, &policy))
                return 2;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'h':
            run_usage(stdout);
            return 0;
        default:
            run_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "acmefuzz %s: unexpected argument '%s'\n", cmd, argv[optind]);
        return 2;
    }
    if (afz_cli_check_client(cmd, client_name, client_given, client_lib_path))
        return 2;
    const afz_client *client = NULL;
    afz_plan plan;
    if (scenario) {
        afz_scn_error err;
        int as_text = 0;
        afz_rc lrc = afz_suite_plan_load(scenario, &plan, &err, &as_text);
        if (as_text)
            fprintf(stderr,
                    "acmefuzz %s: %s is a text scenario, not a binary plan: read as "
                    "text (name it .scn)\n",
                    cmd, scenario);
        if (lrc != AFZ_OK) {
            if (err.line)
                fprintf(stderr, "%s:%u:%u: %s\n", scenario, err.line, err.col, err.msg);
            else
                fprintf(stderr, "acmefuzz %s: %s: %s\n", cmd, scenario, err.msg);
            return 2;
        }
        uint64_t seed = cfg.seed;
        afz_run_config_apply_plan(&cfg, &plan);
        if (seed_given)
            cfg.seed = seed;
        if (alg_given)
            cfg.account_alg = alg;
    } else {
        cfg.account_alg = alg;
    }
    if (n_domains) {
        cfg.identifiers = domains;
        cfg.n_identifiers = n_domains;
    }

    /* Loaded last, so every early return above leaves nothing loaded. */
    afz_client_lib *lib = NULL;
    if (afz_cli_load_client(cmd, client_name, client_lib_path, &lib, &client))
        return 2;

    afz_buf replay;
    afz_buf_init(&replay, 4096);
    afz_buf_puts(&replay, "acmefuzz run");
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--json") != 0)
            afz_buf_printf(&replay, " %s", argv[i]);

    afz_detrand_install();
    int exit_code = 2;
    afz_world world;
    afz_run_result res;
    afz_run_result_init(&res);
    afz_buf out;
    afz_buf_init(&out, 0);
    if (afz_world_init(&world) != AFZ_OK) {
        fprintf(stderr, "acmefuzz %s: could not create the CA and keys\n", cmd);
        goto done;
    }
    /* A client that crashes is a finding, not the end of the report: the
     * run unwinds from it and the log, verdicts (no-crash) and replay line
     * are printed as for any other violation. */
    cfg.catch_crashes = 1;
    afz_rc rc = afz_run(&world, client, &cfg, &res);
    if (rc != AFZ_OK) {
        fprintf(stderr, "acmefuzz %s: %s\n", cmd, afz_rc_str(rc));
        goto done_world;
    }
    afz_report report;
    afz_report_options ropt = {.policy = &policy, .limits = NULL};
    rc = afz_report_evaluate(&res, &cfg, &ropt, &report);
    if (rc == AFZ_OK && json) {
        rc = afz_report_json(&report, &res, &cfg, client->name, replay.data, &out);
    } else if (rc == AFZ_OK) {
        afz_buf_printf(&out, "acmefuzz run: client %s, seed %" PRIu64 ", %s finalize\n",
                       client->name, cfg.seed,
                       cfg.server.async_finalize ? "asynchronous" : "synchronous");
        if (scenario) {
            afz_buf_printf(&out, "scenario %s (%s):\n", scenario,
                           afz_fault_class_name(afz_plan_class(&plan)));
            afz_buf plan_text;
            afz_buf_init(&plan_text, 0);
            afz_scenario_print(&plan, &plan_text);
            for (const char *p = afz_buf_cstr(&plan_text); *p;) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) : strlen(p);
                afz_buf_printf(&out, "  %.*s\n", (int)n, p);
                p += n + (nl ? 1 : 0);
            }
            afz_buf_cleanup(&plan_text);
        }
        afz_buf_putc(&out, '\n');
        rc = afz_report_text(&report, &res, verbose, replay.data, &out);
    }
    if (rc != AFZ_OK) {
        fprintf(stderr, "acmefuzz %s: %s\n", cmd, afz_rc_str(rc));
        goto done_world;
    }
    fwrite(out.data, 1, out.len, stdout);
    if (res.crash_signal)
        fprintf(stderr, "acmefuzz %s: the client crashed: %s\n", cmd, res.crash_detail);
    exit_code = report.violations ? 1 : 0;
done_world:
    afz_world_cleanup(&world);
done:
    afz_buf_cleanup(&out);
    afz_buf_cleanup(&replay);
    afz_run_result_cleanup(&res);
    afz_client_lib_close(lib);
    return exit_code;
}
