/* cmd_suite.c - `acmefuzz suite`: a real client binary against every
 * scenario of a directory, through the HTTPS server mode, with JUnit XML,
 * TAP and JSON reports for CI. The runner is afz_suite.h; this file is
 * options, files and the console. */
#define _XOPEN_SOURCE 700 /* mkdtemp */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afz_cli.h"
#include "afz_client_lib.h"
#include "afz_crash.h"
#include "afz_external.h"
#include "afz_sarif.h"
#include "afz_suite.h"

#define MAX_SCENARIOS 256

static void suite_usage(FILE *f)
{
    fputs(
        "usage: acmefuzz suite (--client NAME | --client-cmd TEMPLATE [--name NAME])\n"
        "                      --scenarios DIR|FILE [--scenarios ...] [--timeout S]\n"
        "                      [--junit FILE] [--tap] [--json FILE] [--html FILE] [--sarif FILE]\n"
        "                      [--fail-on LEVELS] [--allow ID]...\n"
        "                      [--workdir DIR] [--keep] [--validate TYPES] [--serve-webroot]\n"
        "                      [--account-key-algs LIST] [--stateless] [--hosts]\n"
        "                      [--time-scale N] [-v]\n"
        "\n"
        "For each scenario (*.scn or *.bin, in name order): a fresh acmefuzz server on\n"
        "127.0.0.1 with the scenario's fault plan, the client command, then every property\n"
        "over the exchanges the server saw.\n"
        "  --client NAME        a built-in adapter (see clients/external/README.md):\n",
        f);
    for (size_t i = 0; i < afz_external_count(); i++) {
        const afz_external_client *c = afz_external_get(i);
        fprintf(f, "                         %-8s Debian package %s%s\n", c->name, c->package,
                c->needs_root ? ", needs root" : "");
    }
    fputs(
        "  --client-cmd T       a command template run by /bin/sh in the work directory, with\n"
        "                       {directory} {domain} {domains} {ca_bundle} {workdir} {http_port}\n"
        "                       {tls_port}; {domains} is comma-separated, {domains:FLAG}\n"
        "                       repeats FLAG per identifier ({domains:-d} gives\n"
        "                       '-d example.com -d www.example.com'); path placeholders are\n"
        "                       absolute. A scenario with several identifiers warns when\n"
        "                       the template passes only {domain}\n"
        "                       (the same values are in AFZ_DIRECTORY, AFZ_DOMAIN, ...);\n"
        "                       exit status 0 means the client obtained its certificate\n"
        "  --name NAME          the client's name in reports (with --client-cmd)\n"
        "  --scenarios P        a scenario file, or a directory read recursively (repeatable):\n"
        "                       corpus/suite/quick is the tier for every pull request (about\n"
        "                       a minute per client), corpus/suite/full the nightly one, and\n"
        "                       corpus/suite both (`acmefuzz coverage` shows what each meets)\n"
        "  --timeout S          per client run (default 60); past it the process group is\n"
        "                       killed; `terminates` is violated when the client was\n"
        "                       busy (a loop), hung, silent from the start or waiting out\n"
        "                       an absurd Retry-After, and inconclusive when it was still\n"
        "                       backing off as before (docs/PROPERTIES.md)\n"
        "  --junit FILE         JUnit XML: one testsuite per scenario, one testcase per property\n"
        "  --tap                TAP on stdout (progress goes to stderr)\n"
        "  --json FILE          every scenario's outcome, verdicts and history as JSON\n"
        "  --html FILE          a self-contained HTML report: pass/fail per scenario at the\n"
        "                       top, then per scenario a timeline per resource (Retry-After\n"
        "                       windows, faults, early requests), the verdicts linked to\n"
        "                       the exchanges (JWS decoded) and the client's output\n"
        "  --sarif FILE         SARIF 2.1.0 for code-scanning dashboards: one result per\n"
        "                       violation (rule = property, MUST/HARM error, SHOULD\n"
        "                       warning, ROBUST note), the scenario file as location and\n"
        "                       the replay command in the message\n" AFZ_CLI_POLICY_USAGE
        "  --workdir DIR        where work directories go (default: a new one under $TMPDIR);\n"
        "                       each scenario's holds client.log and exchanges.log\n"
        "  --keep               keep every work directory (default: only failing ones)\n"
        "  --validate TYPES     the server checks challenges for real on 127.0.0.1: http-01\n"
        "                       at {http_port}, tls-alpn-01 at {tls_port} (comma list, all,\n"
        "                       none; default none: the model decides). dns-01 is accepted.\n"
        "  --serve-webroot      publish WORKDIR/webroot/.well-known/acme-challenge/ over HTTP\n"
        "                       on {http_port} during each run, for clients that only write\n"
        "                       token files (adapters that need it set it themselves)\n"
        "  --account-key-algs L what the client's account key can be: ES256, ES384, RS256,\n"
        "                       EdDSA (comma list) or all (default: not declared). The client\n"
        "                       brings its own key and the server accepts all four, so a\n"
        "                       scenario's account-key line is not applied here; this only\n"
        "                       documents the client (in-process clients declare it in\n"
        "                       afz_client.account_algs, and runs map plans onto it)\n"
        "  --stateless          the client keeps no state across a campaign's attempts (it\n"
        "                       orders anew each time); campaigns still run, and the\n"
        "                       properties are told (afz_client.h AFZ_CLIENT_STATELESS)\n"
        "  --hosts              (root) run the client in a private mount namespace whose\n"
        "                       /etc/hosts maps the scenario's identifiers to 127.0.0.1, for\n"
        "                       clients that resolve their own names (a self-check of the\n"
        "                       http-01 answer); refused when not root\n"
        "  --time-scale N       the client's clocks and sleeps run N times faster under\n"
        "                       libfaketime (FAKETIME=\"+0 xN\"), the server's clock as fast:\n"
        "                       Retry-After and poll spacing are judged on the client's\n"
        "                       clock; a Go or static binary (lego) cannot load it: then\n"
        "                       a warning, and real time\n"
        "  -v, --verbose        print the exchange log of every failing scenario\n"
        "Trust: the suite writes the CA bundle to WORKDIR/ca-bundle.pem and sets\n"
        "LEGO_CA_CERTIFICATES, REQUESTS_CA_BUNDLE, SSL_CERT_FILE, CURL_CA_BUNDLE and\n"
        "NODE_EXTRA_CA_CERTS to it (proxy variables are removed, HOME is the work directory).\n"
        "Output files (--junit, --json, --html, --sarif) are opened before the first scenario. "
        "SIGINT or\n"
        "SIGTERM stops the running client's process group (SIGTERM, SIGKILL 2 s later),\n"
        "writes the reports of the scenarios done so far (the interrupted one as an\n"
        "error), removes the work directory unless --keep or --workdir, and exits 128+N.\n"
        "exit status: 0 no violation, 1 a violation or an unloadable scenario, 2 usage error\n"
        "or an error of the harness itself (unwritable work directory or report, full\n"
        "disk, exchanges.log not written: the reason is printed, no client verdict is\n"
        "drawn from that scenario), 130 or 143 interrupted by SIGINT or SIGTERM\n",
        f);
}

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n > m && strcmp(s + n - m, suf) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* add_scenarios appends the scenario files under |path| (or |path|):
 * a directory is read recursively (subdirectories such as the tiers
 * corpus/suite/quick and corpus/suite/full included; names starting with
 * '.' skipped), and its files are run in path order. |depth| bounds the
 * recursion (symbolic-link loops). */
static int add_scenarios(const char *path, char **list, size_t *n, int depth)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "acmefuzz suite: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (*n == MAX_SCENARIOS) {
            fprintf(stderr, "acmefuzz suite: more than %d scenarios\n", MAX_SCENARIOS);
            return -1;
        }
        list[(*n)++] = afz_strdup(path);
        return 0;
    }
    if (depth > 8) {
        fprintf(stderr, "acmefuzz suite: %s: directories nested too deep\n", path);
        return -1;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "acmefuzz suite: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t first = *n;
    struct dirent *e;
    int rc = 0;
    afz_buf b;
    afz_buf_init(&b, 0);
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        afz_buf_reset(&b);
        afz_buf_printf(&b, "%s/%s", path, e->d_name);
        struct stat est;
        if (stat(afz_buf_cstr(&b), &est) == 0 && S_ISDIR(est.st_mode)) {
            rc = add_scenarios(afz_buf_cstr(&b), list, n, depth + 1);
            continue;
        }
        if (!(has_suffix(e->d_name, ".scn") || has_suffix(e->d_name, ".bin")))
            continue;
        if (*n == MAX_SCENARIOS) {
            fprintf(stderr, "acmefuzz suite: more than %d scenarios\n", MAX_SCENARIOS);
            rc = -1;
            break;
        }
        list[(*n)++] = afz_strdup(afz_buf_cstr(&b));
    }
    afz_buf_cleanup(&b);
    closedir(d);
    qsort(list + first, *n - first, sizeof(char *), cmp_str);
    return rc;
}

/* write_file writes |b| to |path|; on failure it says why, removes the
 * partial file (a full disk must not leave a 0-byte report that looks
 * like one) and returns -1. */
static int write_file(const char *path, const afz_buf *b)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "acmefuzz suite: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    int ok = fwrite(b->data ? b->data : "", 1, b->len, f) == b->len;
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (!ok) {
        fprintf(stderr, "acmefuzz suite: cannot write %s: %s (removed)\n", path, strerror(e));
        remove(path);
        return -1;
    }
    return 0;
}

/* check_output makes sure |path| can be written before any scenario runs
 * (it is created, empty, and written for real at the end). */
static int check_output(const char *opt, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "acmefuzz suite: --%s %s: %s\n", opt, path, strerror(errno));
        return -1;
    }
    fclose(f);
    return 0;
}

static void on_stop_signal(int sig)
{
    afz_suite_interrupt(sig);
}

static const char *violated_ids(const afz_suite_result *r, char *buf, size_t n)
{
    buf[0] = '\0';
    size_t used = 0;
    for (size_t k = 0; k < r->report.n; k++) {
        const afz_report_entry *e = &r->report.entries[k];
        if (e->result.verdict != AFZ_VERDICT_VIOLATION)
            continue;
        int w = snprintf(buf + used, n - used, "%s%s%s", used ? "," : "", e->prop->id,
                         e->waived  ? "(waived)"
                         : e->fails ? ""
                                    : "(warning)");
        if (w < 0 || (size_t)w >= n - used)
            break;
        used += (size_t)w;
    }
    return buf;
}

static const char *outcome(const afz_suite_result *r, char *buf, size_t n)
{
    /* the signal that killed it, or a shell's 128+N for a crash signal N
     * (afz_crash_from_exit; the reports say which of the two it was) */
    int sig = r->timed_out ? 0 : afz_crash_from_exit(r->exit_code, r->term_signal);
    if (!r->loaded)
        snprintf(buf, n, "-");
    else if (r->timed_out)
        snprintf(buf, n, "timeout");
    else if (sig)
        snprintf(buf, n, "killed by signal %d (%s)", sig, afz_crash_signal_name(sig));
    else if (r->exit_code > 128 && r->exit_code < 128 + 65)
        /* a shell reports a child killed by signal N as 128+N */
        snprintf(buf, n, "exit %d: killed by signal %d (%s)", r->exit_code, r->exit_code - 128,
                 afz_crash_signal_name(r->exit_code - 128));
    else
        snprintf(buf, n, "exit %d", r->exit_code);
    return buf;
}

int afz_cmd_suite(int argc, char **argv)
{
    static const struct option opts[] = {
        {"client", required_argument, NULL, 'c'},
        {"client-cmd", required_argument, NULL, 'C'},
        {"name", required_argument, NULL, 'N'},
        {"scenarios", required_argument, NULL, 'S'},
        {"timeout", required_argument, NULL, 'T'},
        {"junit", required_argument, NULL, 'J'},
        {"tap", no_argument, NULL, 't'},
        {"json", required_argument, NULL, 'j'},
        {"html", required_argument, NULL, 'P'},
        {"sarif", required_argument, NULL, 'F'},
        AFZ_CLI_POLICY_OPTIONS,
        {"workdir", required_argument, NULL, 'w'},
        {"keep", no_argument, NULL, 'k'},
        {"validate", required_argument, NULL, 'V'},
        {"serve-webroot", no_argument, NULL, 'R'},
        {"account-key-algs", required_argument, NULL, 'K'},
        {"stateless", no_argument, NULL, 'L'},
        {"hosts", no_argument, NULL, 'H'},
        {"time-scale", required_argument, NULL, 'x'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *client = NULL, *command = NULL, *name = NULL, *junit = NULL, *json = NULL;
    const char *workdir = NULL, *html = NULL, *sarif = NULL;
    const char *scen_args[32];
    size_t n_scen_args = 0;
    afz_policy policy;
    afz_policy_default(&policy);
    int tap = 0, keep = 0, verbose = 0, timeout_s = 60, serve_webroot = 0, c;
    unsigned validate = 0;
    uint32_t account_algs = 0;
    int stateless = 0, private_hosts = 0;
    unsigned time_scale = 1;
    uint64_t scale_v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
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
        case 'S':
            if (n_scen_args == sizeof(scen_args) / sizeof(scen_args[0])) {
                fprintf(stderr, "acmefuzz suite: too many --scenarios\n");
                return 2;
            }
            scen_args[n_scen_args++] = optarg;
            break;
        case 'T': {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            if (!*optarg || *end || v < 1 || v > 3600) {
                fprintf(stderr, "acmefuzz suite: --timeout wants 1..3600 seconds\n");
                return 2;
            }
            timeout_s = (int)v;
            break;
        }
        case 'J':
            junit = optarg;
            break;
        case 't':
            tap = 1;
            break;
        case 'j':
            json = optarg;
            break;
        case 'P':
            html = optarg;
            break;
        case 'F':
            sarif = optarg;
            break;
        case AFZ_CLI_OPT_FAIL_ON:
        case AFZ_CLI_OPT_ALLOW:
            if (afz_cli_policy_arg("suite", c, optarg, &policy))
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
                fprintf(stderr,
                        "acmefuzz suite: --validate wants http-01, tls-alpn-01 (comma "
                        "list), all or none, got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'R':
            serve_webroot = 1;
            break;
        case 'K':
            if (afz_client_algs_parse(optarg, &account_algs) != AFZ_OK) {
                fprintf(stderr,
                        "acmefuzz suite: --account-key-algs wants ES256, ES384, RS256, "
                        "EdDSA (comma list) or all, got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'L':
            stateless = 1;
            break;
        case 'H':
            private_hosts = 1;
            break;
        case 'x':
            if (afz_cli_parse_u64(optarg, 100, &scale_v) || !scale_v) {
                fprintf(stderr, "acmefuzz suite: --time-scale wants 1..100\n");
                return 2;
            }
            time_scale = (unsigned)scale_v;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'h':
            suite_usage(stdout);
            return 0;
        default:
            suite_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "acmefuzz suite: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!!client == !!command) {
        fprintf(stderr, "acmefuzz suite: give exactly one of --client and --client-cmd\n");
        return 2;
    }
    if (!n_scen_args) {
        fprintf(stderr, "acmefuzz suite: --scenarios is required\n");
        return 2;
    }
    if (client) {
        const afz_external_client *a = afz_cli_adapter("suite", client);
        if (!a)
            return 2;
        command = a->command;
        name = a->name;
        serve_webroot |= a->serve_webroot;
    }
    if (!name)
        name = "custom";
    const char *faketime = NULL;
    if (time_scale > 1 &&
        afz_cli_time_scale("suite", client ? afz_external_find(client)->program : command,
                           &time_scale, &faketime))
        return 2;
    if (private_hosts && geteuid() != 0) {
        fprintf(stderr, "acmefuzz suite: --hosts needs root (it mounts a hosts file in a "
                        "private mount namespace); not root, so the client would resolve "
                        "names as the system does: run as root or drop --hosts\n");
        return 2;
    }
    if ((junit && check_output("junit", junit)) || (json && check_output("json", json)) ||
        (html && check_output("html", html)) || (sarif && check_output("sarif", sarif)))
        return 2;

    int exit_code = 2;
    char *scen[MAX_SCENARIOS];
    size_t n_scen = 0;
    afz_suite_result *res = NULL;
    afz_serve *srv = NULL;
    char root[512], bundle[600];
    int made_root = 0;
    for (size_t i = 0; i < n_scen_args; i++)
        if (add_scenarios(scen_args[i], scen, &n_scen, 0))
            goto done;
    if (!n_scen) {
        fprintf(stderr, "acmefuzz suite: no scenario (*.scn, *.bin) found\n");
        goto done;
    }
    if (workdir) {
        snprintf(root, sizeof(root), "%s", workdir);
        if (mkdir(root, 0700) != 0 && errno != EEXIST) {
            fprintf(stderr, "acmefuzz suite: cannot create %s: %s\n", root, strerror(errno));
            goto done;
        }
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(root, sizeof(root), "%s/acmefuzz-suite.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(root)) {
            fprintf(stderr, "acmefuzz suite: cannot create a work directory: %s\n",
                    strerror(errno));
            goto done;
        }
        made_root = 1;
    }
    /* every path placeholder is absolute, whatever --workdir was */
    char abs_root[PATH_MAX];
    if (!realpath(root, abs_root)) {
        fprintf(stderr, "acmefuzz suite: %s: %s\n", root, strerror(errno));
        goto done;
    }
    if (strlen(abs_root) >= sizeof(root) - 64) {
        fprintf(stderr, "acmefuzz suite: %s: path too long\n", abs_root);
        goto done;
    }
    snprintf(root, sizeof(root), "%s", abs_root);
    res = calloc(n_scen, sizeof(*res));
    if (!res)
        goto done;
    afz_serve_config scfg;
    afz_serve_config_default(&scfg);
    scfg.server.finalize_polls = 1;
    scfg.validate = validate;
    char err[256];
    if (afz_serve_open(&scfg, &srv, err, sizeof(err)) != AFZ_OK) {
        fprintf(stderr, "acmefuzz suite: cannot start the server: %s\n", err);
        goto done;
    }
    snprintf(bundle, sizeof(bundle), "%s/ca-bundle.pem", root);
    if (afz_serve_write_ca_bundle(srv, bundle) != AFZ_OK) {
        fprintf(stderr, "acmefuzz suite: cannot write %s\n", bundle);
        goto done;
    }
    /* the command that reruns one scenario: the adapter by name; for a
     * template afz_suite_replay quotes it (both add --scenarios FILE) */
    afz_buf replay;
    afz_buf_init(&replay, 0);
    if (client)
        afz_buf_printf(&replay, "acmefuzz suite --client %s", client);
    afz_suite_config cfg = {
        .replay = client ? afz_buf_cstr(&replay) : NULL,
        .client = name,
        .command = command,
        .workroot = root,
        .ca_bundle = bundle,
        .timeout_s = timeout_s,
        .policy = policy,
        .verbose = verbose,
        .serve_webroot = serve_webroot,
        .account_algs = account_algs,
        .client_stateless = stateless,
        .private_hosts = private_hosts,
        .time_scale = time_scale,
        .faketime_lib = faketime,
    };
    FILE *con = tap ? stderr : stdout;
    fprintf(con, "acmefuzz suite: client %s, %zu scenario(s), timeout %d s, server %s\n", name,
            n_scen, timeout_s, afz_serve_directory_url(srv));
    fprintf(con, "work directory: %s\n", root);
    if (time_scale > 1)
        fprintf(con, "clocks: the client and the server run %u times real time (libfaketime)\n",
                time_scale);
    if (account_algs || stateless) {
        afz_buf decl;
        afz_buf_init(&decl, 0);
        if (account_algs) {
            afz_buf_puts(&decl, " account keys ");
            afz_client_algs_format(account_algs, &decl);
        }
        if (stateless)
            afz_buf_printf(&decl, "%sstateless", account_algs ? ", " : " ");
        fprintf(con, "client declares:%s\n", afz_buf_cstr(&decl));
        afz_buf_cleanup(&decl);
    }
    if (validate)
        fprintf(con, "challenges checked for real:%s%s%s\n",
                validate & AFZ_SERVE_VALIDATE_HTTP01 ? " http-01 at {http_port}" : "",
                validate & AFZ_SERVE_VALIDATE_TLSALPN01 ? " tls-alpn-01 at {tls_port}" : "",
                serve_webroot ? " (the suite serves the webroot)" : "");
    size_t failed = 0, waived = 0, warned = 0;
    size_t n_all = n_scen;
    int harness_error = 0, stop_sig = 0;
    char ob[64], ids[256];
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    for (size_t i = 0; i < n_all; i++) {
        if ((stop_sig = afz_suite_interrupted())) {
            n_scen = i;
            break;
        }
        fprintf(con, "[%2zu/%zu] %-44s ", i + 1, n_all, scen[i]);
        fflush(con);
        afz_rc rc = afz_suite_run_one(srv, &cfg, scen[i], &res[i]);
        afz_suite_result *r = &res[i];
        if (rc != AFZ_OK) {
            if (r->loaded) /* could not run: count as an error */
                r->loaded = 0;
            failed++;
            if (r->interrupted) {
                fprintf(con, "INTERRUPTED  %s\n", r->error);
                stop_sig = r->interrupted;
                if (!keep)
                    afz_suite_rm_tree(r->workdir);
                n_scen = i + 1;
                break;
            }
            if (rc != AFZ_EPARSE) {
                /* the harness failed, not the client: no verdict, stop here */
                fprintf(con, "ERROR (harness)  %s\n", r->error);
                fprintf(stderr, "acmefuzz suite: harness error in %s: %s\n", scen[i], r->error);
                harness_error = 1;
                n_scen = i + 1;
                break;
            }
            fprintf(con, "ERROR  %s\n", r->error);
            continue;
        }
        int ok = afz_suite_passed(r);
        failed += !ok;
        waived += r->report.waived;
        warned += r->report.warnings;
        fprintf(con, "%-9s %6.2f s %4zu req  %-8s %s\n", ok ? "pass" : "VIOLATION", r->seconds,
                r->requests, outcome(r, ob, sizeof(ob)), violated_ids(r, ids, sizeof(ids)));
        if (r->warning[0])
            fprintf(con, "        warning: %s\n", r->warning);
        if (ok && !keep)
            afz_suite_rm_tree(r->workdir);
    }

    /* summary table */
    fprintf(con, "\n%-36s %-9s %-9s %5s %8s  %s\n", "SCENARIO", "CLASS", "CLIENT", "REQ", "TIME",
            "VERDICT");
    for (size_t i = 0; i < n_scen; i++) {
        const afz_suite_result *r = &res[i];
        fprintf(con, "%-36s %-9s %-9s %5zu %7.2fs  %s %s\n", r->name[0] ? r->name : scen[i],
                r->loaded ? afz_fault_class_name(r->cls) : "-", outcome(r, ob, sizeof(ob)),
                r->requests, r->seconds,
                afz_suite_passed(r) ? "pass" : (r->loaded ? "VIOLATION" : "ERROR"),
                r->loaded ? violated_ids(r, ids, sizeof(ids)) : r->error);
    }
    int any_detail = 0;
    for (size_t i = 0; i < n_scen; i++) {
        const afz_suite_result *r = &res[i];
        for (size_t k = 0; r->loaded && k < r->report.n; k++) {
            const afz_report_entry *e = &r->report.entries[k];
            if (e->result.verdict != AFZ_VERDICT_VIOLATION)
                continue;
            if (!any_detail++)
                fprintf(con, "\nviolations:\n");
            fprintf(con, "  %s: %s%s (%s, %s): %s", r->name,
                    e->waived  ? "waived "
                    : e->fails ? ""
                               : "warning ",
                    e->prop->id, afz_level_name(e->prop->level), e->prop->rfc, e->result.message);
            if (e->result.exchange != SIZE_MAX)
                fprintf(con, " [exchange #%zu]", e->result.exchange + 1);
            fputc('\n', con);
        }
        if (r->loaded && !afz_suite_passed(r)) {
            fprintf(con, "    evidence: %s/exchanges.log and %s/client.log\n", r->workdir,
                    r->workdir);
            if (verbose && r->log)
                fprintf(con, "%s\n", r->log);
        }
    }
    afz_buf pol;
    afz_buf_init(&pol, 0);
    afz_policy_print(&cfg.policy, &pol);
    fprintf(con,
            "\n%zu scenario(s): %zu passed, %zu failed; %zu warning(s), %zu waived violation(s) "
            "(%s)\n",
            n_scen, n_scen - failed, failed, warned, waived, afz_buf_cstr(&pol));
    afz_buf_cleanup(&pol);

    afz_buf out;
    afz_buf_init(&out, 0);
    int io_ok = 1;
    if (junit) {
        if (afz_suite_junit(&cfg, res, n_scen, &out) != AFZ_OK || write_file(junit, &out))
            io_ok = 0;
        afz_buf_reset(&out);
    }
    if (json) {
        if (afz_suite_json(&cfg, res, n_scen, &out) != AFZ_OK || write_file(json, &out))
            io_ok = 0;
        afz_buf_reset(&out);
    }
    if (html) {
        if (afz_suite_html(&cfg, res, n_scen, &out) != AFZ_OK || write_file(html, &out))
            io_ok = 0;
        afz_buf_reset(&out);
    }
    if (sarif) {
        if (afz_sarif_suite(&cfg, res, n_scen, &out) != AFZ_OK || write_file(sarif, &out))
            io_ok = 0;
        afz_buf_reset(&out);
    }
    if (tap && afz_suite_tap(&cfg, res, n_scen, &out) == AFZ_OK)
        fwrite(out.data ? out.data : "", 1, out.len, stdout);
    afz_buf_cleanup(&out);
    if (made_root && !keep && (!failed || stop_sig))
        afz_suite_rm_tree(root);
    if (stop_sig)
        fprintf(stderr,
                "acmefuzz suite: interrupted by signal %d (%s) after %zu of %zu "
                "scenario(s)%s\n",
                stop_sig, afz_crash_signal_name(stop_sig), n_scen, n_all,
                made_root && !keep ? "; work directory removed" : "");
    exit_code = stop_sig ? 128 + stop_sig : harness_error || !io_ok ? 2 : failed ? 1 : 0;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    n_scen = n_all; /* every path below frees them all */
    afz_buf_cleanup(&replay);
done:
    afz_serve_free(srv);
    for (size_t i = 0; res && i < n_scen; i++)
        afz_suite_result_cleanup(&res[i]);
    free(res);
    for (size_t i = 0; i < n_scen; i++)
        free(scen[i]);
    return exit_code;
}
