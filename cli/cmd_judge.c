/* cmd_judge.c - `acmefuzz judge FILE`: every property evaluated again over
 * a recorded history, so a history kept as a fixture (corpus/fixtures)
 * shows in review when a property change flips its verdict.
 *
 * FILE is one of
 *   - a bare history, {"exchanges":[...],"events":[...]}, as `serve`'s
 *     GET /history answers (judged with server-mode limits);
 *   - one run: an object with a "history" member, such as `run --json`
 *     output (in-process limits) or one scenario of a suite report, or a
 *     fixture (server-mode limits: its outcome has "exit_code");
 *   - a suite report, `suite --json` output: {"scenarios":[...]}, each
 *     scenario judged on its own.
 * What the file does not say, the options do (--identifiers, --outcome,
 * --class, --limits); what it says, they override. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afz_cli.h"
#include "afz_history.h"
#include "afz_json.h"
#include "afz_plan.h"
#include "afz_report.h"
#include "afz_scenario.h"
#include "afz_serve.h"

#define MAX_IDS 16
#define JUDGE_FILE_MAX ((size_t)256 << 20)

static void judge_usage(FILE *f)
{
    fputs(
        "usage: acmefuzz judge FILE [--fail-on LEVELS] [--allow ID]... [--json | --expected]\n"
        "                      [--identifiers NAME[,NAME]] [--outcome success|failure]\n"
        "                      [--class legal|real-world|degraded|malformed]\n"
        "                      [--limits server|in-process]\n"
        "\n"
        "Evaluates every property again over a recorded history and prints one verdict\n"
        "line per property (id, level, verdict, message). FILE is a bare history (serve's\n"
        "GET /history), one run with a \"history\" member (run --json, a scenario of a\n"
        "suite report, a fixture of corpus/fixtures) or a whole suite --json report.\n"
        "The plan, outcome, attempts and identifiers come from the file; without them a\n"
        "bare history counts as a success when a certificate was downloaded.\n" AFZ_CLI_POLICY_USAGE
        "  --json               print the verdicts as JSON\n"
        "  --expected           print 'id verdict' lines only (pass, violation,\n"
        "                       inconclusive), the form of corpus/fixtures/*.expected\n"
        "  --identifiers L      what the client was asked to obtain (default: the plan's)\n"
        "  --outcome O          whether the client succeeded (default: what the file says)\n"
        "  --class C            the plan's fault class (default: the plan's own)\n"
        "  --limits M           server: server-mode limits (afz_serve_prop_limits), the\n"
        "                       default for suite reports, fixtures and bare histories;\n"
        "                       in-process: the defaults of `run`, the default for run --json\n"
        "exit status: 0 no violation fails under the policy, 1 one does, 2 usage or input\n"
        "error\n",
        f);
}

typedef struct judge_opts {
    afz_policy policy;
    int json, expected;
    const char *ids[MAX_IDS];
    size_t n_ids; /* --identifiers, 0 when not given */
    int outcome;  /* -1 not given, else 1 success / 0 failure */
    int cls;      /* -1 not given, else an afz_fault_class */
    int limits;   /* -1 not given, 1 server, 0 in-process */
} judge_opts;

/* One history to judge and what the file says about it. */
typedef struct judge_case {
    char name[128];
    afz_history history;
    afz_plan plan;
    int has_plan;
    const char *ids[MAX_IDS];
    size_t n_ids;
    int server;        /* server-mode limits */
    int64_t timeout_s; /* server mode: per attempt, 0 when unknown */
    int succeeded, budget_exhausted, aborted, crash_signal, stateless;
    unsigned attempts;
} judge_case;

static const char *const default_ids[] = {"example.com"};

static int has_event(const afz_history *h, afz_event_kind k)
{
    for (size_t i = 0; i < h->n_ev; i++)
        if (h->ev[i].kind == k)
            return 1;
    return 0;
}

/* A number member as an int, |dflt| when absent, not a number or out of
 * range. A repeated name means its last member, as afz_json.h reads. */
static int num(const cJSON *o, const char *key, int dflt)
{
    const cJSON *found = NULL;
    for (const cJSON *m = cJSON_IsObject(o) ? o->child : NULL; m; m = m->next)
        if (m->string && strcmp(m->string, key) == 0)
            found = m;
    if (!cJSON_IsNumber(found) || !(found->valuedouble >= -1e9 && found->valuedouble <= 1e9))
        return dflt;
    return (int)found->valuedouble;
}

static int flag(const cJSON *o, const char *key, int dflt)
{
    int v;
    return afz_json_bool(o, key, &v) == 0 ? v : dflt;
}

/* Fills |c| from one object with a "history" member. Returns 0, or -1
 * after printing why (prefixed with |where|). */
static int load_case(const char *file, const char *where, const cJSON *o, int64_t timeout_s,
                     judge_case *c)
{
    char why[256];
    const cJSON *h = afz_json_object(o, "history");
    if (afz_history_from_json_tree(h, &c->history, why, sizeof(why)) != AFZ_OK) {
        fprintf(stderr, "acmefuzz judge: %s: %s%shistory: %s\n", file, where, *where ? "." : "",
                h ? why : "missing or not an object");
        return -1;
    }
    const char *plan = afz_json_str(o, "plan");
    if (plan) {
        afz_scn_error err;
        if (afz_scenario_parse(plan, strlen(plan), &c->plan, &err) != AFZ_OK) {
            fprintf(stderr, "acmefuzz judge: %s: %s%splan:%u:%u: %s\n", file, where,
                    *where ? "." : "", err.line, err.col, err.msg);
            return -1;
        }
        c->has_plan = 1;
        c->attempts = c->plan.attempts;
    }
    const cJSON *oc = afz_json_object(o, "outcome");
    const char *mode = afz_json_str(o, "mode");
    int certificate;
    if (oc && afz_json_bool(oc, "certificate", &certificate) == 0) {
        /* `run --json`: an in-process run */
        c->server = 0;
        c->succeeded = certificate;
        c->budget_exhausted = flag(oc, "budget_exhausted", 0);
        c->aborted = flag(oc, "aborted", 0);
        c->crash_signal = num(oc, "crash_signal", 0);
    } else if (oc) {
        /* a suite scenario or a fixture made from one: a real client
         * against server mode; a signal that was not the harness's timeout
         * is the client's own crash */
        c->server = 1;
        int timed_out = flag(oc, "timed_out", 0);
        c->succeeded = num(oc, "exit_code", -1) == 0 && !timed_out;
        c->budget_exhausted = timed_out;
        c->crash_signal = timed_out ? 0 : num(oc, "signal", 0);
    } else {
        c->server = 1;
        c->succeeded = has_event(&c->history, AFZ_EV_CERT_DOWNLOADED);
    }
    if (mode)
        c->server = strcmp(mode, "in-process") != 0;
    c->stateless = flag(oc, "client_stateless", 0);
    int attempts = num(oc, "attempts", 0);
    if (attempts > 0)
        c->attempts = (unsigned)attempts;
    c->timeout_s = num(o, "timeout_s", (int)timeout_s);
    const cJSON *ids = afz_json_array(o, "identifiers");
    if (ids) {
        for (const cJSON *m = ids->child; m && c->n_ids < MAX_IDS; m = m->next)
            if (cJSON_IsString(m))
                c->ids[c->n_ids++] = m->valuestring;
    } else if (c->has_plan) {
        const char *const *pi = afz_plan_identifiers();
        for (unsigned i = 0; i < c->plan.n_identifiers && c->n_ids < MAX_IDS; i++)
            c->ids[c->n_ids++] = pi[i];
    } else if (!c->server) {
        c->ids[c->n_ids++] = default_ids[0];
    }
    return 0;
}

static afz_rc judge_one(const judge_opts *op, judge_case *c, afz_report *r)
{
    afz_prop_limits lim;
    int server = op->limits >= 0 ? op->limits : c->server;
    if (server) {
        afz_serve_prop_limits(&lim);
        /* as the suite judges: the timeout per attempt and 5 s of slack;
         * without one, as serve's /verdict does, no time limit */
        unsigned attempts = c->attempts ? c->attempts : 1;
        lim.max_virtual_ms =
            c->timeout_s > 0 ? (c->timeout_s * attempts + 5) * 1000 : INT64_MAX / 4;
    } else {
        afz_prop_limits_default(&lim);
    }
    if (!c->has_plan && op->cls >= 0) {
        afz_plan_init(&c->plan);
        c->has_plan = 1;
    }
    afz_prop_input in;
    memset(&in, 0, sizeof(in));
    in.history = &c->history;
    in.plan = c->has_plan ? &c->plan : NULL;
    in.plan_class = op->cls >= 0  ? (afz_fault_class)op->cls
                    : c->has_plan ? afz_plan_class(&c->plan)
                                  : AFZ_CLASS_LEGAL;
    in.identifiers = op->n_ids ? op->ids : c->ids;
    in.n_identifiers = op->n_ids ? op->n_ids : c->n_ids;
    in.client_succeeded = op->outcome >= 0 ? op->outcome : c->succeeded;
    in.budget_exhausted = c->budget_exhausted;
    in.aborted = c->aborted;
    in.attempts = c->attempts ? c->attempts : 1;
    in.client_crash_signal = c->crash_signal;
    in.client_stateless = c->stateless;
    afz_report_options opt = {.policy = &op->policy, .limits = &lim};
    return afz_report_evaluate_input(&in, &opt, r);
}

static void print_text(const judge_case *c, const afz_report *r, int many, afz_buf *out)
{
    if (many)
        afz_buf_printf(out, "== %s\n", c->name);
    for (size_t i = 0; i < r->n; i++) {
        const afz_report_entry *e = &r->entries[i];
        const char *label = e->result.verdict == AFZ_VERDICT_VIOLATION
                                ? afz_report_entry_label(e)
                                : afz_verdict_name(e->result.verdict);
        afz_buf_printf(out, "%-24s %-6s %-12s %s", e->prop->id, afz_level_name(e->prop->level),
                       label, e->result.message);
        if (e->result.exchange != SIZE_MAX)
            afz_buf_printf(out, " [exchange #%zu]", e->result.exchange + 1);
        afz_buf_putc(out, '\n');
    }
    afz_buf_printf(
        out, "%s: %zu exchanges; %zu violated, %zu warned, %zu waived, %zu inconclusive (", c->name,
        c->history.n_ex, r->violations, r->warnings, r->waived, r->inconclusive);
    afz_policy_print(&r->policy, out);
    afz_buf_puts(out, ")\n");
    if (many)
        afz_buf_putc(out, '\n');
}

static void print_expected(const judge_case *c, const afz_report *r, int many, afz_buf *out)
{
    if (many)
        afz_buf_printf(out, "# %s\n", c->name);
    for (size_t i = 0; i < r->n; i++)
        afz_buf_printf(out, "%s %s\n", r->entries[i].prop->id,
                       afz_verdict_name(r->entries[i].result.verdict));
}

static int parse_ids(char *list, judge_opts *op)
{
    for (char *p = list; p && *p;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (!*p || op->n_ids == MAX_IDS)
            return -1;
        op->ids[op->n_ids++] = p;
        p = comma ? comma + 1 : NULL;
    }
    return op->n_ids ? 0 : -1;
}

int afz_cmd_judge(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"expected", no_argument, NULL, 'e'},
        {"identifiers", required_argument, NULL, 'i'},
        {"outcome", required_argument, NULL, 'o'},
        {"class", required_argument, NULL, 'C'},
        {"limits", required_argument, NULL, 'l'},
        AFZ_CLI_POLICY_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    judge_opts op;
    memset(&op, 0, sizeof(op));
    afz_policy_default(&op.policy);
    op.outcome = op.cls = op.limits = -1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            op.json = 1;
            break;
        case 'e':
            op.expected = 1;
            break;
        case 'i':
            op.n_ids = 0;
            if (parse_ids(optarg, &op)) {
                fprintf(stderr, "acmefuzz judge: --identifiers wants 1 to %d names joined by ','\n",
                        MAX_IDS);
                return 2;
            }
            break;
        case 'o':
            if (strcmp(optarg, "success") != 0 && strcmp(optarg, "failure") != 0) {
                fprintf(stderr, "acmefuzz judge: --outcome wants success or failure\n");
                return 2;
            }
            op.outcome = strcmp(optarg, "success") == 0;
            break;
        case 'C':
            for (int k = 0; k < AFZ_CLASS__COUNT && op.cls < 0; k++)
                if (strcmp(optarg, afz_fault_class_name((afz_fault_class)k)) == 0)
                    op.cls = k;
            if (op.cls < 0) {
                fprintf(stderr,
                        "acmefuzz judge: unknown --class '%s' (legal, real-world, "
                        "degraded, malformed)\n",
                        optarg);
                return 2;
            }
            break;
        case 'l':
            if (strcmp(optarg, "server") != 0 && strcmp(optarg, "in-process") != 0) {
                fprintf(stderr, "acmefuzz judge: --limits wants server or in-process\n");
                return 2;
            }
            op.limits = strcmp(optarg, "server") == 0;
            break;
        case AFZ_CLI_OPT_FAIL_ON:
        case AFZ_CLI_OPT_ALLOW:
            if (afz_cli_policy_arg("judge", c, optarg, &op.policy))
                return 2;
            break;
        case 'h':
            judge_usage(stdout);
            return 0;
        default:
            judge_usage(stderr);
            return 2;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "acmefuzz judge: want exactly one FILE\n");
        judge_usage(stderr);
        return 2;
    }
    if (op.json && op.expected) {
        fprintf(stderr, "acmefuzz judge: --json and --expected exclude each other\n");
        return 2;
    }
    const char *file = argv[optind];

    int exit_code = 2;
    afz_buf text, out;
    afz_buf_init(&text, JUDGE_FILE_MAX);
    afz_buf_init(&out, 0);
    cJSON *root = NULL, *jout = NULL, *jarr = NULL;
    judge_case *cases = NULL;
    size_t n_cases = 0;
    afz_rc rc = afz_buf_read_file(&text, file);
    if (rc != AFZ_OK) {
        fprintf(stderr, "acmefuzz judge: %s: %s\n", file,
                rc == AFZ_ELIMIT ? "too large" : "cannot be read");
        goto out;
    }
    if (afz_json_parse(text.data, text.len, &root) != AFZ_OK || !cJSON_IsObject(root)) {
        /* the loader's reason names the line and column of a syntax error */
        afz_history h;
        char why[256];
        if (afz_history_from_json(text.data, text.len, &h, why, sizeof(why)) == AFZ_OK)
            afz_history_cleanup(&h);
        fprintf(stderr, "acmefuzz judge: %s: %s\n", file, root ? "not a JSON object" : why);
        goto out;
    }
    const cJSON *scenarios = afz_json_array(root, "scenarios");
    size_t want = scenarios ? (size_t)cJSON_GetArraySize(scenarios) : 1;
    if (want > 100000) {
        fprintf(stderr, "acmefuzz judge: %s: too many scenarios\n", file);
        goto out;
    }
    cases = calloc(want ? want : 1, sizeof(*cases));
    if (!cases) {
        fprintf(stderr, "acmefuzz judge: out of memory\n");
        goto out;
    }
    if (scenarios) {
        int64_t timeout_s = num(root, "timeout_s", 0);
        size_t i = 0;
        for (const cJSON *s = scenarios->child; s; s = s->next, i++) {
            const char *name = afz_json_str(s, "name");
            if (!afz_json_object(s, "history")) {
                const char *err = afz_json_str(s, "error");
                fprintf(stderr, "acmefuzz judge: %s: scenario %s was not run%s%s\n", file,
                        name ? name : "?", err ? ": " : "", err ? err : "");
                continue;
            }
            judge_case *jc = &cases[n_cases++];
            snprintf(jc->name, sizeof(jc->name), "%s", name ? name : "?");
            char where[64];
            snprintf(where, sizeof(where), "scenarios[%zu]", i);
            if (load_case(file, where, s, timeout_s, jc))
                goto out;
        }
    } else if (afz_json_object(root, "history")) {
        judge_case *jc = &cases[n_cases++];
        const char *name = afz_json_str(root, "scenario");
        if (!name)
            name = afz_json_str(root, "name");
        snprintf(jc->name, sizeof(jc->name), "%s", name ? name : "run");
        if (load_case(file, "", root, 0, jc))
            goto out;
    } else {
        /* a bare history, as GET /history of `acmefuzz serve` answers */
        judge_case *jc = &cases[n_cases++];
        char why[256];
        snprintf(jc->name, sizeof(jc->name), "history");
        if (afz_history_from_json_tree(root, &jc->history, why, sizeof(why)) != AFZ_OK) {
            fprintf(stderr, "acmefuzz judge: %s: %s\n", file, why);
            goto out;
        }
        jc->server = 1;
        jc->succeeded = has_event(&jc->history, AFZ_EV_CERT_DOWNLOADED);
        for (size_t k = 0; k < jc->history.n_ev; k++)
            if (jc->history.ev[k].kind == AFZ_EV_ATTEMPT_START && jc->history.ev[k].value > 0 &&
                jc->history.ev[k].value < 1000)
                jc->attempts = (unsigned)jc->history.ev[k].value;
    }
    if (op.json &&
        (!(jout = cJSON_CreateObject()) || !(jarr = cJSON_AddArrayToObject(jout, "results")))) {
        fprintf(stderr, "acmefuzz judge: out of memory\n");
        goto out;
    }
    size_t failing = 0;
    for (size_t i = 0; i < n_cases; i++) {
        afz_report r;
        if ((rc = judge_one(&op, &cases[i], &r)) != AFZ_OK) {
            fprintf(stderr, "acmefuzz judge: %s: %s\n", cases[i].name, afz_rc_str(rc));
            goto out;
        }
        failing += r.violations;
        if (op.json) {
            cJSON *t = afz_serve_verdict_tree(&r);
            if (t)
                cJSON_AddItemToArray(jarr, t); /* jout owns it from here */
            if (!t || !cJSON_AddStringToObject(t, "name", cases[i].name) ||
                !cJSON_AddNumberToObject(t, "exchanges", (double)cases[i].history.n_ex)) {
                fprintf(stderr, "acmefuzz judge: out of memory\n");
                goto out;
            }
        } else if (op.expected) {
            print_expected(&cases[i], &r, n_cases > 1, &out);
        } else {
            print_text(&cases[i], &r, n_cases > 1, &out);
        }
    }
    if (op.json) {
        cJSON_AddNumberToObject(jout, "violations", (double)failing);
        char *s = cJSON_Print(jout);
        if (!s || afz_buf_puts(&out, s) != AFZ_OK || afz_buf_putc(&out, '\n') != AFZ_OK) {
            cJSON_free(s);
            fprintf(stderr, "acmefuzz judge: out of memory\n");
            goto out;
        }
        cJSON_free(s);
    }
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    exit_code = failing ? 1 : 0;
out:
    for (size_t i = 0; cases && i < n_cases; i++)
        afz_history_cleanup(&cases[i].history);
    free(cases);
    cJSON_Delete(jout);
    cJSON_Delete(root);
    afz_buf_cleanup(&text);
    afz_buf_cleanup(&out);
    return exit_code;
}
