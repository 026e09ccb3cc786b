/* cmd_suite.c - `acmefuzz suite`: a real client binary against every
 * scenario of a directory, through the HTTPS server mode, with JUnit XML,
 * TAP and JSON reports for CI. The runner is afz_suite.h; this file is
 * options, files and the console. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afz_cli.h"
#include "afz_client_lib.h"
#include "afz_crash.h"
#include "afz_external.h"
#include "afz_suite.h"

#define MAX_SCENARIOS 256

static void suite_usage(FILE *f)
{
    fputs("usage: acmefuzz suite (--client NAME | --client-cmd TEMPLATE [--name NAME])\n"
          "                      --scenarios DIR|FILE [--scenarios ...] [--timeout S]\n"
          "                      [--junit FILE] [--tap] [--json FILE] [--fail-on LEVELS] [--allow ID]...\n"
          "                      [--workdir DIR] [--keep] [--validate TYPES] [--serve-webroot]\n"
          "                      [--account-key-algs LIST] [--stateless] [-v]\n"
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
    fputs("  --client-cmd T       a command template run by /bin/sh in the work directory, with\n"
          "                       {directory} {domain} {domains} {ca_bundle} {workdir} {http_port}\n"
          "                       {tls_port}\n"
          "                       (the same values are in AFZ_DIRECTORY, AFZ_DOMAIN, ...);\n"
          "                       exit status 0 means the client obtained its certificate\n"
          "  --name NAME          the client's name in reports (with --client-cmd)\n"
          "  --scenarios P        a scenario directory or file (repeatable)\n"
          "  --timeout S          per client run (default 60); past it the process group is\n"
          "                       killed and `terminates` is violated\n"
          "  --junit FILE         JUnit XML: one testsuite per scenario, one testcase per property\n"
          "  --tap                TAP on stdout (progress goes to stderr)\n"
          "  --json FILE          every scenario's outcome, verdicts and history as JSON\n"
          AFZ_CLI_POLICY_USAGE
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
          "  -v, --verbose        print the exchange log of every failing scenario\n"
          "Trust: the suite writes the CA bundle to WORKDIR/ca-bundle.pem and sets\n"
          "LEGO_CA_CERTIFICATES, REQUESTS_CA_BUNDLE, SSL_CERT_FILE, CURL_CA_BUNDLE and\n"
          "NODE_EXTRA_CA_CERTS to it (proxy variables are removed, HOME is the work directory).\n"
          "exit status: 0 no violation, 1 a violation or an unloadable scenario, 2 usage error\n",
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

/* add_scenarios appends the scenario files under |path| (or |path|). */
static int add_scenarios(const char *path, char **list, size_t *n)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "acmefuzz suite: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (*n == MAX_SCENARIOS)
            return -1;
        list[(*n)++] = afz_strdup(path);
        return 0;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "acmefuzz suite: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t first = *n;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !(has_suffix(e->d_name, ".scn") || has_suffix(e->d_name, ".bin")))
            continue;
        if (*n == MAX_SCENARIOS) {
            fprintf(stderr, "acmefuzz suite: more than %d scenarios\n", MAX_SCENARIOS);
            closedir(d);
            return -1;
        }
        afz_buf b;
        afz_buf_init(&b, 0);
        afz_buf_printf(&b, "%s/%s", path, e->d_name);
        list[(*n)++] = afz_buf_take(&b, NULL);
        afz_buf_cleanup(&b);
    }
    closedir(d);
    qsort(list + first, *n - first, sizeof(char *), cmp_str);
    return 0;
}

static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path || strchr(prog, '/'))
        return access(prog, X_OK) == 0;
    afz_buf b;
    afz_buf_init(&b, 0);
    int found = 0;
    for (const char *p = path; !found;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        afz_buf_reset(&b);
        afz_buf_printf(&b, "%.*s/%s", (int)n, n ? p : ".", prog);
        found = access(afz_buf_cstr(&b), X_OK) == 0;
        if (!colon)
            break;
        p = colon + 1;
    }
    afz_buf_cleanup(&b);
    return found;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(p);
    return 0;
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int write_file(const char *path, const afz_buf *b)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = fwrite(b->data ? b->data : "", 1, b->len, f) == b->len;
    ok = fclose(f) == 0 && ok;
    return ok ? 0 : -1;
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
                         e->waived ? "(waived)" : e->fails ? "" : "(warning)");
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
        AFZ_CLI_POLICY_OPTIONS,
        {"workdir", required_argument, NULL, 'w'},
        {"keep", no_argument, NULL, 'k'},
        {"validate", required_argument, NULL, 'V'},
        {"serve-webroot", no_argument, NULL, 'R'},
        {"account-key-algs", required_argument, NULL, 'K'},
        {"stateless", no_argument, NULL, 'L'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *client = NULL, *command = NULL, *name = NULL, *junit = NULL, *json = NULL;
    const char *workdir = NULL;
    const char *scen_args[32];
    size_t n_scen_args = 0;
    afz_policy policy;
    afz_policy_default(&policy);
    int tap = 0, keep = 0, verbose = 0, timeout_s = 60, serve_webroot = 0, c;
    unsigned validate = 0;
    uint32_t account_algs = 0;
    int stateless = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
        switch (c) {
        case 'c': client = optarg; break;
        case 'C': command = optarg; break;
        case 'N': name = optarg; break;
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
        case 'J': junit = optarg; break;
        case 't': tap = 1; break;
        case 'j': json = optarg; break;
        case AFZ_CLI_OPT_FAIL_ON:
        case AFZ_CLI_OPT_ALLOW:
            if (afz_cli_policy_arg("suite", c, optarg, &policy))
                return 2;
            break;
        case 'w': workdir = optarg; break;
        case 'k': keep = 1; break;
        case 'V':
            if (afz_serve_parse_validate(optarg, &validate) != AFZ_OK) {
                fprintf(stderr, "acmefuzz suite: --validate wants http-01, tls-alpn-01 (comma "
                                "list), all or none, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'R': serve_webroot = 1; break;
        case 'K':
            if (afz_client_algs_parse(optarg, &account_algs) != AFZ_OK) {
                fprintf(stderr, "acmefuzz suite: --account-key-algs wants ES256, ES384, RS256, "
                                "EdDSA (comma list) or all, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'L': stateless = 1; break;
        case 'v': verbose = 1; break;
        case 'h': suite_usage(stdout); return 0;
        default: suite_usage(stderr); return 2;
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
        const afz_external_client *a = afz_external_find(client);
        if (!a) {
            fprintf(stderr, "acmefuzz suite: no adapter named '%s' (known:", client);
            for (size_t i = 0; i < afz_external_count(); i++)
                fprintf(stderr, " %s", afz_external_get(i)->name);
            fprintf(stderr, "); use --client-cmd for others\n");
            return 2;
        }
        if (!on_path(a->program)) {
            fprintf(stderr, "acmefuzz suite: %s is not installed (Debian package %s)\n",
                    a->program, a->package);
            return 2;
        }
        if (a->needs_root && geteuid() != 0) {
            fprintf(stderr, "acmefuzz suite: the %s adapter needs root (%s)\n", a->name,
                    a->trust);
            return 2;
        }
        command = a->command;
        name = a->name;
        serve_webroot |= a->serve_webroot;
    }
    if (!name)
        name = "custom";

    int exit_code = 2;
    char *scen[MAX_SCENARIOS];
    size_t n_scen = 0;
    afz_suite_result *res = NULL;
    afz_serve *srv = NULL;
    char root[512], bundle[600];
    int made_root = 0;
    for (size_t i = 0; i < n_scen_args; i++)
        if (add_scenarios(scen_args[i], scen, &n_scen))
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
    afz_suite_config cfg = {
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
    };
    FILE *con = tap ? stderr : stdout;
    fprintf(con, "acmefuzz suite: client %s, %zu scenario(s), timeout %d s, server %s\n", name,
            n_scen, timeout_s, afz_serve_directory_url(srv));
    fprintf(con, "work directory: %s\n", root);
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
    char ob[64], ids[256];
    for (size_t i = 0; i < n_scen; i++) {
        fprintf(con, "[%2zu/%zu] %-44s ", i + 1, n_scen, scen[i]);
        fflush(con);
        afz_rc rc = afz_suite_run_one(srv, &cfg, scen[i], &res[i]);
        afz_suite_result *r = &res[i];
        if (rc != AFZ_OK) {
            if (r->loaded) /* could not run: count as an error */
                r->loaded = 0;
            fprintf(con, "ERROR  %s\n", r->error);
            failed++;
            continue;
        }
        int ok = afz_suite_passed(r);
        failed += !ok;
        waived += r->report.waived;
        warned += r->report.warnings;
        fprintf(con, "%-9s %6.2f s %4zu req  %-8s %s\n", ok ? "pass" : "VIOLATION", r->seconds,
                r->requests, outcome(r, ob, sizeof(ob)), violated_ids(r, ids, sizeof(ids)));
        if (ok && !keep)
            rm_tree(r->workdir);
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
                    e->waived ? "waived " : e->fails ? "" : "warning ",
                    e->prop->id, afz_level_name(e->prop->level), e->prop->rfc,
                    e->result.message);
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
        if (afz_suite_junit(&cfg, res, n_scen, &out) != AFZ_OK || write_file(junit, &out)) {
            fprintf(stderr, "acmefuzz suite: cannot write %s\n", junit);
            io_ok = 0;
        }
        afz_buf_reset(&out);
    }
    if (json) {
        if (afz_suite_json(&cfg, res, n_scen, &out) != AFZ_OK || write_file(json, &out)) {
            fprintf(stderr, "acmefuzz suite: cannot write %s\n", json);
            io_ok = 0;
        }
        afz_buf_reset(&out);
    }
    if (tap && afz_suite_tap(&cfg, res, n_scen, &out) == AFZ_OK)
        fwrite(out.data ? out.data : "", 1, out.len, stdout);
    afz_buf_cleanup(&out);
    if (made_root && !failed && !keep)
        rm_tree(root);
    exit_code = failed ? 1 : io_ok ? 0 : 2;
done:
    afz_serve_free(srv);
    for (size_t i = 0; res && i < n_scen; i++)
        afz_suite_result_cleanup(&res[i]);
    free(res);
    for (size_t i = 0; i < n_scen; i++)
        free(scen[i]);
    return exit_code;
}
