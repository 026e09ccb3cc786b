/* cmd_fuzz.c - `acmefuzz fuzz`: a fuzzing campaign against a real client
 * binary over HTTPS (afz_campaign.h); this file is options, files and the
 * console: progress on stderr, the findings table on stdout. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afz_campaign.h"
#include "afz_cli.h"
#include "afz_crash.h"
#include "afz_external.h"
#include "afz_sarif.h"

#define DEFAULT_SEEDS "corpus/suite/quick"

static void fuzz_usage(FILE *f)
{
    fputs("usage: acmefuzz fuzz (--client NAME | --client-cmd TEMPLATE [--name NAME])\n"
          "                     [--time S] [--runs N] [--jobs N] [--seed S] [--timeout S]\n"
          "                     [--seeds DIR]... [--corpus DIR] [--findings DIR] [--sarif FILE]\n"
          "                     [--reruns N] [--shrink-runs N] [--faults LIST]\n"
          "                     [--fail-on LEVELS] [--allow ID]... [--workdir DIR] [--keep]\n"
          "                     [--validate TYPES] [--serve-webroot] [--stateless]\n"
          "                     [--time-scale N] [-q]\n"
          "\n"
          "A fuzzing campaign against a real client binary: fault plans generated and\n"
          "mutated (add or drop a rule, change its fault, selector or an argument within\n"
          "its domain, splice), each run as `acmefuzz suite` runs a scenario (a fresh\n"
          "server on 127.0.0.1, the client command, every property). A plan after which\n"
          "the server saw the client do something new (a transition of a resource, a\n"
          "sequence of requests, a fault met, an outcome) joins the corpus. A violation\n"
          "that fails under the policy is a finding: rerun, shrunk and written as a .scn\n"
          "that `acmefuzz suite --scenarios FILE` replays.\n"
          "  --client NAME        a built-in adapter (clients/external/README.md):",
          f);
    for (size_t i = 0; i < afz_external_count(); i++)
        fprintf(f, " %s", afz_external_get(i)->name);
    fputs("\n"
          "  --client-cmd T       a command template, as for `acmefuzz suite` (see its --help)\n"
          "  --name NAME          the client's name in reports (with --client-cmd)\n"
          "  --time S             stop handing out inputs after S seconds (default 60 when\n"
          "                       --runs is not given)\n"
          "  --runs N             stop after N inputs (reruns and shrinking aside)\n"
          "  --jobs N             N servers and clients in parallel (1..64, default 1), each\n"
          "                       a process of its own with its own ports and work folder;\n"
          "                       with 1 the inputs depend on --seed alone\n"
          "  --seed S             the mutation seed (default 1)\n"
          "  --timeout S          per client run (default 30)\n"
          "  --seeds DIR          seed scenarios, read recursively (repeatable; default\n"
          "                       " DEFAULT_SEEDS " when it exists, else the empty plan)\n"
          "  --corpus DIR         the corpus: read at the start (a campaign resumes from it)\n"
          "                       and every kept plan saved there as canonical .scn text\n"
          "  --findings DIR       each finding as PROPERTY.scn (shrunk), with\n"
          "                       PROPERTY.exchanges.log and PROPERTY.client.log\n"
          "  --sarif FILE         the findings as SARIF 2.1.0\n"
          "  --reruns N           extra runs of a violating input before it is reported\n"
          "                       (default 2); not every run violating marks it flaky\n"
          "  --shrink-runs N      client runs spent shrinking each finding (default 40)\n"
          "  --faults LIST        the faults mutations may use (comma list of catalog\n"
          "                       names; default every fault that can be met over "
          "HTTPS)\n" AFZ_CLI_POLICY_USAGE
          "  --workdir DIR        where inputs and work folders go (default: a new one\n"
          "                       under $TMPDIR, removed at the end unless --keep)\n"
          "  --validate TYPES     the servers check challenges for real (as for suite)\n"
          "  --serve-webroot      publish WORKDIR/webroot on {http_port} (as for suite)\n"
          "  --stateless          the client keeps no state across attempts (as for suite)\n"
          "  --time-scale N       run the client's clocks and sleeps N times faster under\n"
          "                       libfaketime (Debian package faketime), and the server's\n"
          "                       clock as fast, so Retry-After and poll spacing are judged\n"
          "                       on the client's clock; a Go or static binary cannot load\n"
          "                       it: then a warning, and real time\n"
          "  -q, --quiet          no progress lines\n"
          "Progress goes to stderr at most once a second: inputs run, inputs per minute,\n"
          "coverage features, corpus size, findings. At the end, on stdout, the findings\n"
          "table: property, level, inputs that violated it, stability, the reproducer.\n"
          "SIGINT or SIGTERM stops the campaign and prints what it found.\n"
          "exit status: 0 no finding, 1 findings, 2 usage or harness error, 128+N signal\n",
          f);
}

static void on_stop(int sig)
{
    afz_campaign_interrupt(sig);
}

static int parse_faults(const char *list, unsigned char *allowed)
{
    memset(allowed, 0, AFZ_FAULT__COUNT);
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", list);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        const afz_fault_def *d = afz_fault_find(t);
        if (!d || d->retired) {
            fprintf(stderr, "acmefuzz fuzz: --faults: no fault named '%s' (acmefuzz list faults)\n",
                    t);
            return -1;
        }
        allowed[d->id] = 1;
    }
    return 0;
}

static int make_dir(const char *opt, const char *dir)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "acmefuzz fuzz: --%s %s: %s\n", opt, dir, strerror(errno));
        return -1;
    }
    return 0;
}

static void print_findings(const afz_campaign_config *cfg, const afz_campaign_result *r)
{
    printf("\n== findings\n");
    printf("%-26s %-7s %6s %-12s %s\n", "PROPERTY", "LEVEL", "COUNT", "REPRODUCED", "REPRODUCER");
    for (size_t i = 0; i < r->n_findings; i++) {
        const afz_campaign_finding *f = &r->findings[i];
        char rep[32];
        snprintf(rep, sizeof(rep), "%u/%u%s", f->reproduced, f->tries,
                 f->reproduced < f->tries ? " flaky" : "");
        printf("%-26s %-7s %6lu %-12s %s\n", f->prop->id, afz_level_name(f->prop->level), f->count,
               rep, f->path[0] ? f->path : "(not written: no --findings)");
    }
    if (!r->n_findings)
        printf("(none)\n");
    for (size_t i = 0; i < r->n_findings; i++) {
        const afz_campaign_finding *f = &r->findings[i];
        printf("\n%s (%s, %s): %s\n", f->prop->id, afz_level_name(f->prop->level), f->prop->rfc,
               f->message);
        printf("  first seen at input %lu; minimized reproducer (%u shrink runs):\n",
               f->first_input, f->shrink_runs);
        for (const char *p = f->plan_text; p && *p;) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            printf("    %.*s\n", (int)n, p);
            p += n + (nl ? 1 : 0);
        }
        if (f->path[0]) {
            afz_buf b;
            afz_buf_init(&b, 0);
            afz_campaign_replay(cfg, f->path, &b);
            printf("  replay: %s\n", afz_buf_cstr(&b));
            afz_buf_cleanup(&b);
        }
    }
}

int afz_cmd_fuzz(int argc, char **argv)
{
    static const struct option opts[] = {
        {"client", required_argument, NULL, 'c'},
        {"client-cmd", required_argument, NULL, 'C'},
        {"name", required_argument, NULL, 'N'},
        {"time", required_argument, NULL, 't'},
        {"runs", required_argument, NULL, 'r'},
        {"jobs", required_argument, NULL, 'j'},
        {"seed", required_argument, NULL, 's'},
        {"timeout", required_argument, NULL, 'T'},
        {"seeds", required_argument, NULL, 'S'},
        {"corpus", required_argument, NULL, 'K'},
        {"findings", required_argument, NULL, 'F'},
        {"sarif", required_argument, NULL, 'A'},
        {"reruns", required_argument, NULL, 'R'},
        {"shrink-runs", required_argument, NULL, 'M'},
        {"faults", required_argument, NULL, 'f'},
        AFZ_CLI_POLICY_OPTIONS,
        {"workdir", required_argument, NULL, 'w'},
        {"keep", no_argument, NULL, 'k'},
        {"validate", required_argument, NULL, 'V'},
        {"serve-webroot", no_argument, NULL, 'W'},
        {"stateless", no_argument, NULL, 'L'},
        {"time-scale", required_argument, NULL, 'x'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    afz_campaign_config cfg;
    afz_campaign_config_default(&cfg);
    const char *client = NULL, *command = NULL, *name = NULL, *sarif = NULL, *workdir = NULL;
    const char *seeds[32];
    size_t n_seeds = 0;
    unsigned char allowed[AFZ_FAULT__COUNT];
    afz_campaign_allowed_default(allowed);
    afz_policy policy;
    afz_policy_default(&policy);
    int keep = 0, quiet = 0, serve_webroot = 0, stateless = 0, timeout_s = 30, c;
    unsigned time_scale = 1;
    unsigned validate = 0;
    uint64_t v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            client = optarg;
            break;
        case 'C':
            command = optarg;
            break;
        case 'N':
            name = optarg;
            break;
        case 't':
            if (afz_cli_parse_u64(optarg, 7 * 86400, &v) || !v) {
                fprintf(stderr, "acmefuzz fuzz: --time wants 1..604800 seconds\n");
                return 2;
            }
            cfg.time_s = (double)v;
            break;
        case 'r':
            if (afz_cli_parse_u64(optarg, 100000000, &v) || !v) {
                fprintf(stderr, "acmefuzz fuzz: --runs wants a positive number\n");
                return 2;
            }
            cfg.runs = (unsigned long)v;
            break;
        case 'j':
            if (afz_cli_parse_u64(optarg, 64, &v) || !v) {
                fprintf(stderr, "acmefuzz fuzz: --jobs wants 1..64\n");
                return 2;
            }
            cfg.jobs = (unsigned)v;
            break;
        case 's':
            if (afz_cli_parse_u64(optarg, UINT64_MAX, &v)) {
                fprintf(stderr, "acmefuzz fuzz: --seed wants a number\n");
                return 2;
            }
            cfg.seed = v;
            break;
        case 'T':
            if (afz_cli_parse_u64(optarg, 3600, &v) || !v) {
                fprintf(stderr, "acmefuzz fuzz: --timeout wants 1..3600 seconds\n");
                return 2;
            }
            timeout_s = (int)v;
            break;
        case 'S':
            if (n_seeds == sizeof(seeds) / sizeof(seeds[0])) {
                fprintf(stderr, "acmefuzz fuzz: too many --seeds\n");
                return 2;
            }
            seeds[n_seeds++] = optarg;
            break;
        case 'K':
            cfg.corpus_dir = optarg;
            break;
        case 'F':
            cfg.findings_dir = optarg;
            break;
        case 'A':
            sarif = optarg;
            break;
        case 'R':
            if (afz_cli_parse_u64(optarg, 100, &v)) {
                fprintf(stderr, "acmefuzz fuzz: --reruns wants 0..100\n");
                return 2;
            }
            cfg.reruns = (unsigned)v;
            break;
        case 'M':
            if (afz_cli_parse_u64(optarg, 10000, &v)) {
                fprintf(stderr, "acmefuzz fuzz: --shrink-runs wants 0..10000\n");
                return 2;
            }
            cfg.max_shrink_runs = (unsigned)v;
            break;
        case 'f':
            if (parse_faults(optarg, allowed))
                return 2;
            break;
        case AFZ_CLI_OPT_FAIL_ON:
        case AFZ_CLI_OPT_ALLOW:
            if (afz_cli_policy_arg("fuzz", c, optarg, &policy))
                return 2;
            break;
        case 'w':
            workdir = optarg;
            break;
        case 'k':
            keep = 1;
            break;
        case 'V':
            if (afz_serve_parse_validate(optarg, &validate) != AFZ_OK) {
                fprintf(stderr, "acmefuzz fuzz: --validate wants http-01, tls-alpn-01 (comma "
                                "list), all or none\n");
                return 2;
            }
            break;
        case 'W':
            serve_webroot = 1;
            break;
        case 'L':
            stateless = 1;
            break;
        case 'x':
            if (afz_cli_parse_u64(optarg, 100, &v) || !v) {
                fprintf(stderr, "acmefuzz fuzz: --time-scale wants 1..100\n");
                return 2;
            }
            time_scale = (unsigned)v;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fuzz_usage(stdout);
            return 0;
        default:
            fuzz_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "acmefuzz fuzz: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!!client == !!command) {
        fprintf(stderr, "acmefuzz fuzz: give exactly one of --client and --client-cmd\n");
        return 2;
    }
    char replay[256] = "";
    if (client) {
        const afz_external_client *a = afz_cli_adapter("fuzz", client);
        if (!a)
            return 2;
        command = a->command;
        name = a->name;
        serve_webroot |= a->serve_webroot;
        snprintf(replay, sizeof(replay), "acmefuzz suite --client %s", a->name);
    }
    if (!name)
        name = "custom";
    const char *faketime = NULL;
    if (time_scale > 1 &&
        afz_cli_time_scale("fuzz", client ? afz_external_find(client)->program : command,
                           &time_scale, &faketime))
        return 2;
    if (!cfg.runs && cfg.time_s <= 0)
        cfg.time_s = 60;
    if (!n_seeds) {
        struct stat st;
        if (stat(DEFAULT_SEEDS, &st) == 0)
            seeds[n_seeds++] = DEFAULT_SEEDS;
    }
    if ((cfg.corpus_dir && make_dir("corpus", cfg.corpus_dir)) ||
        (cfg.findings_dir && make_dir("findings", cfg.findings_dir)))
        return 2;
    if (sarif && afz_cli_check_output("fuzz", "sarif", sarif))
        return 2;
    char root[PATH_MAX];
    int made_root = 0;
    if (workdir) {
        if (make_dir("workdir", workdir) || !realpath(workdir, root)) {
            fprintf(stderr, "acmefuzz fuzz: --workdir %s: %s\n", workdir, strerror(errno));
            return 2;
        }
    } else {
        const char *tmp = getenv("TMPDIR");
        char tmpl[PATH_MAX];
        snprintf(tmpl, sizeof(tmpl), "%s/acmefuzz-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(tmpl) || !realpath(tmpl, root)) {
            fprintf(stderr, "acmefuzz fuzz: cannot create a work directory: %s\n", strerror(errno));
            return 2;
        }
        made_root = 1;
    }
    cfg.workroot = root;
    cfg.seed_dirs = seeds;
    cfg.n_seed_dirs = n_seeds;
    cfg.allowed = allowed;
    cfg.progress = quiet ? NULL : stderr;
    cfg.serve.validate = validate;
    cfg.suite = (afz_suite_config){
        .client = name,
        .command = command,
        .timeout_s = timeout_s,
        .policy = policy,
        .serve_webroot = serve_webroot,
        .client_stateless = stateless,
        .replay = replay[0] ? replay : NULL,
        .time_scale = time_scale,
        .faketime_lib = faketime,
    };
    afz_buf pol;
    afz_buf_init(&pol, 0);
    afz_policy_print(&policy, &pol);
    fprintf(stderr,
            "acmefuzz fuzz: client %s, %u job(s), seed %llu, budget %.0f s / %lu inputs (0: none), "
            "timeout %d s, %s\n",
            name, cfg.jobs, (unsigned long long)cfg.seed, cfg.time_s, cfg.runs, timeout_s,
            afz_buf_cstr(&pol));
    fprintf(stderr, "work directory: %s\n", root);
    if (time_scale > 1)
        fprintf(stderr, "clocks: the client and the server run %u times real time (libfaketime)\n",
                time_scale);
    afz_buf_cleanup(&pol);

    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    afz_campaign_result res;
    afz_rc rc = afz_campaign_run(&cfg, &res);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);

    printf("acmefuzz fuzz: %lu inputs in %.0f s (%.1f/min), %lu more runs for reruns and "
           "shrinking, %zu features, corpus %zu\n",
           res.inputs, res.seconds, res.seconds > 0 ? (double)res.inputs * 60.0 / res.seconds : 0.0,
           res.extra, res.features, res.corpus);
    print_findings(&cfg, &res);
    int exit_code = res.n_findings ? 1 : 0;
    if (rc != AFZ_OK) {
        fprintf(stderr, "acmefuzz fuzz: %s\n", res.error);
        exit_code = 2;
    }
    if (sarif) {
        afz_sarif_finding *sf = calloc(res.n_findings ? res.n_findings : 1, sizeof(*sf));
        afz_report_entry *ent = calloc(res.n_findings ? res.n_findings : 1, sizeof(*ent));
        char(*replays)[900] = calloc(res.n_findings ? res.n_findings : 1, sizeof(*replays));
        afz_buf out;
        afz_buf_init(&out, 0);
        int ok = sf && ent && replays;
        for (size_t i = 0; ok && i < res.n_findings; i++) {
            const afz_campaign_finding *f = &res.findings[i];
            ent[i].prop = f->prop;
            ent[i].result.verdict = AFZ_VERDICT_VIOLATION;
            ent[i].result.exchange = f->exchange;
            snprintf(ent[i].result.message, sizeof(ent[i].result.message), "%s", f->message);
            ent[i].fails = 1;
            afz_buf b;
            afz_buf_init(&b, 0);
            afz_campaign_replay(&cfg, f->path[0] ? f->path : "FINDING.scn", &b);
            snprintf(replays[i], sizeof(replays[i]), "%s", afz_buf_cstr(&b));
            afz_buf_cleanup(&b);
            sf[i].entry = &ent[i];
            sf[i].location = f->path[0] ? f->path : "-";
            sf[i].scenario = f->prop->id;
            sf[i].replay = replays[i];
        }
        if (!ok || afz_sarif_write(sf, res.n_findings, NULL, 0, &out) != AFZ_OK ||
            afz_cli_write_file("fuzz", sarif, &out))
            exit_code = 2;
        afz_buf_cleanup(&out);
        free(sf);
        free(ent);
        free(replays);
    }
    if (res.interrupted) {
        fprintf(stderr, "acmefuzz fuzz: interrupted by signal %d (%s)\n", res.interrupted,
                afz_crash_signal_name(res.interrupted));
        exit_code = 128 + res.interrupted;
    }
    afz_campaign_result_cleanup(&res);
    if (made_root && !keep)
        afz_suite_rm_tree(root);
    return exit_code;
}
