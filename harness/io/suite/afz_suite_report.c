/* afz_suite_report.c - JUnit XML, TAP, JSON and HTML reports of a suite, and
 * the replay command of one scenario (see afz_suite.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afz_crash.h"
#include "afz_json.h"
#include "afz_report_html.h"
#include "afz_suite.h"

/* ---- JUnit XML ---- */

/* xml_text appends |s| escaped for XML 1.0 text and attributes. Bytes
 * XML cannot carry (controls) and non-ASCII bytes (which may not be
 * UTF-8) become '?', so the document always parses. */
static void xml_text(afz_buf *out, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&':
            afz_buf_puts(out, "&amp;");
            break;
        case '<':
            afz_buf_puts(out, "&lt;");
            break;
        case '>':
            afz_buf_puts(out, "&gt;");
            break;
        case '"':
            afz_buf_puts(out, "&quot;");
            break;
        case '\'':
            afz_buf_puts(out, "&apos;");
            break;
        default:
            if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f))
                afz_buf_putc(out, (char)c);
            else if (c != '\r')
                afz_buf_putc(out, '?');
        }
    }
}

static const char *outcome_text(const afz_suite_result *r, char *buf, size_t n)
{
    /* A shell's 128+N for a crash signal N is told as the signal (the
     * runner judged it so, afz_crash_from_exit). */
    int sig = r->timed_out ? 0 : afz_crash_from_exit(r->exit_code, r->term_signal);
    if (!r->loaded)
        snprintf(buf, n, "not run");
    else if (r->timed_out)
        snprintf(buf, n, "timed out");
    else if (r->term_signal)
        snprintf(buf, n, "killed by signal %d (%s)", r->term_signal,
                 afz_crash_signal_name(r->term_signal));
    else if (sig)
        snprintf(buf, n, "killed by signal %d (%s; shell exit status %d)", sig,
                 afz_crash_signal_name(sig), r->exit_code);
    else
        snprintf(buf, n, "exit status %d", r->exit_code);
    return buf;
}

afz_rc afz_suite_junit(const afz_suite_config *cfg, const afz_suite_result *r, size_t n,
                       afz_buf *out)
{
    size_t tests = 0, failures = 0, errors = 0, skipped = 0;
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        total += r[i].seconds;
        if (!r[i].loaded) {
            tests++;
            errors++;
            continue;
        }
        tests += r[i].report.n;
        failures += r[i].report.violations;
        skipped += r[i].report.waived + r[i].report.warnings + r[i].report.inconclusive;
    }
    afz_buf_puts(out,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"acmefuzz suite: ");
    xml_text(out, cfg->client);
    afz_buf_printf(out,
                   "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
                   "time=\"%.3f\">\n",
                   tests, failures, errors, skipped, total);
    char ob[64];
    for (size_t i = 0; i < n; i++) {
        const afz_suite_result *s = &r[i];
        afz_buf_puts(out, "  <testsuite name=\"");
        xml_text(out, cfg->client);
        afz_buf_putc(out, '.');
        xml_text(out, s->name);
        if (!s->loaded) {
            afz_buf_printf(out, "\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" "
                                "time=\"0\">\n    <testcase classname=\"acmefuzz.");
            xml_text(out, cfg->client);
            afz_buf_puts(out, ".");
            xml_text(out, s->name);
            afz_buf_puts(out, "\" name=\"scenario\">\n      <error message=\"");
            xml_text(out, s->error);
            afz_buf_puts(out, "\"/>\n    </testcase>\n  </testsuite>\n");
            continue;
        }
        afz_buf_printf(out,
                       "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" "
                       "time=\"%.3f\">\n    <properties>\n",
                       s->report.n, s->report.violations,
                       s->report.waived + s->report.warnings + s->report.inconclusive, s->seconds);
        const char *props[][2] = {
            {"scenario", s->path},   {"class", afz_fault_class_name(s->cls)},
            {"plan", s->plan_text},  {"client_outcome", outcome_text(s, ob, sizeof(ob))},
            {"workdir", s->workdir},
        };
        for (size_t k = 0; k < sizeof(props) / sizeof(props[0]); k++) {
            afz_buf_printf(out, "      <property name=\"%s\" value=\"", props[k][0]);
            xml_text(out, props[k][1]);
            afz_buf_puts(out, "\"/>\n");
        }
        afz_buf_printf(out,
                       "      <property name=\"requests\" value=\"%zu\"/>\n"
                       "      <property name=\"attempts\" value=\"%u\"/>\n    </properties>\n",
                       s->requests, s->attempts);
        for (size_t k = 0; k < s->report.n; k++) {
            const afz_report_entry *e = &s->report.entries[k];
            afz_buf_puts(out, "    <testcase classname=\"acmefuzz.");
            xml_text(out, cfg->client);
            afz_buf_putc(out, '.');
            xml_text(out, s->name);
            afz_buf_printf(out, "\" name=\"%s\" time=\"0\">", e->prop->id);
            if (e->result.verdict == AFZ_VERDICT_VIOLATION && e->fails) {
                afz_buf_printf(out, "\n      <failure type=\"%s\" message=\"",
                               afz_level_name(e->prop->level));
                xml_text(out, e->result.message);
                afz_buf_puts(out, "\">");
                afz_buf_printf(out, "%s (%s, %s): ", e->prop->id, afz_level_name(e->prop->level),
                               e->prop->rfc);
                xml_text(out, e->result.message);
                if (e->result.exchange != SIZE_MAX)
                    afz_buf_printf(out, " [exchange #%zu]", e->result.exchange + 1);
                afz_buf_puts(out, "\n\n");
                xml_text(out, s->log);
                afz_buf_puts(out, "</failure>\n    ");
            } else if (e->result.verdict != AFZ_VERDICT_PASS) {
                afz_buf_puts(out, "\n      <skipped message=\"");
                afz_buf_puts(out, e->waived ? "waived (--allow): "
                                  : e->result.verdict == AFZ_VERDICT_VIOLATION
                                      ? "warning (level outside --fail-on): "
                                      : "inconclusive: ");
                xml_text(out, e->result.message);
                afz_buf_puts(out, "\"/>\n    ");
            }
            afz_buf_puts(out, "</testcase>\n");
        }
        afz_buf_puts(out, "    <system-out>");
        xml_text(out, s->client_tail);
        afz_buf_puts(out, "</system-out>\n  </testsuite>\n");
    }
    return afz_buf_puts(out, "</testsuites>\n");
}

/* ---- TAP ---- */

static void tap_line(afz_buf *out, const char *prefix, const char *s)
{
    /* one diagnostic line per line of |s| */
    while (s && *s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        afz_buf_printf(out, "%s%.*s\n", prefix, (int)n, s);
        s += n + (nl ? 1 : 0);
    }
}

afz_rc afz_suite_tap(const afz_suite_config *cfg, const afz_suite_result *r, size_t n, afz_buf *out)
{
    afz_buf_printf(out, "TAP version 13\n1..%zu\n", n);
    char ob[64];
    for (size_t i = 0; i < n; i++) {
        const afz_suite_result *s = &r[i];
        int ok = afz_suite_passed(s);
        afz_buf_printf(out, "%s %zu - %s %s", ok ? "ok" : "not ok", i + 1, cfg->client, s->name);
        if (!s->loaded) {
            afz_buf_puts(out, "\n");
            tap_line(out, "# error: ", s->error);
            continue;
        }
        afz_buf_printf(out, " (%s, %s, %zu requests, %.2f s)\n", afz_fault_class_name(s->cls),
                       outcome_text(s, ob, sizeof(ob)), s->requests, s->seconds);
        for (size_t k = 0; k < s->report.n; k++) {
            const afz_report_entry *e = &s->report.entries[k];
            if (e->result.verdict != AFZ_VERDICT_VIOLATION)
                continue;
            afz_buf_printf(out, "# %s %s (%s, %s): ",
                           e->waived  ? "waived"
                           : e->fails ? "violation"
                                      : "warning",
                           e->prop->id, afz_level_name(e->prop->level), e->prop->rfc);
            afz_buf_puts(out, e->result.message);
            if (e->result.exchange != SIZE_MAX)
                afz_buf_printf(out, " [exchange #%zu]", e->result.exchange + 1);
            afz_buf_putc(out, '\n');
        }
        if (!ok)
            afz_buf_printf(out, "# evidence: %s/exchanges.log, %s/client.log\n", s->workdir,
                           s->workdir);
    }
    return AFZ_OK;
}

/* ---- JSON ---- */

afz_rc afz_suite_json(const afz_suite_config *cfg, const afz_suite_result *r, size_t n,
                      afz_buf *out)
{
    afz_rc rc = AFZ_ENOMEM;
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = root ? cJSON_AddArrayToObject(root, "scenarios") : NULL;
    if (!arr)
        goto out;
    cJSON_AddStringToObject(root, "client", cfg->client);
    cJSON_AddStringToObject(root, "command", cfg->command);
    cJSON_AddNumberToObject(root, "timeout_s", cfg->timeout_s);
    size_t passed = 0;
    for (size_t i = 0; i < n; i++) {
        const afz_suite_result *s = &r[i];
        passed += afz_suite_passed(s);
        cJSON *o = s->loaded ? afz_serve_verdict_tree(&s->report) : cJSON_CreateObject();
        if (!o)
            goto out;
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "name", s->name);
        cJSON_AddStringToObject(o, "path", s->path);
        cJSON_AddBoolToObject(o, "passed", afz_suite_passed(s));
        if (!s->loaded) {
            cJSON_AddStringToObject(o, "error", s->error);
            continue;
        }
        cJSON_AddStringToObject(o, "class", afz_fault_class_name(s->cls));
        cJSON_AddStringToObject(o, "plan", s->plan_text ? s->plan_text : "");
        cJSON_AddStringToObject(o, "workdir", s->workdir);
        cJSON *oc = cJSON_AddObjectToObject(o, "outcome");
        if (!oc)
            goto out;
        cJSON_AddNumberToObject(oc, "exit_code", s->exit_code);
        cJSON_AddNumberToObject(oc, "signal", s->term_signal);
        cJSON_AddBoolToObject(oc, "timed_out", s->timed_out);
        cJSON_AddNumberToObject(oc, "attempts", s->attempts);
        cJSON_AddBoolToObject(oc, "client_stateless", cfg->client_stateless);
        cJSON_AddNumberToObject(oc, "seconds", s->seconds);
        cJSON_AddNumberToObject(oc, "requests", (double)s->requests);
        cJSON_AddStringToObject(oc, "client_output_tail", s->client_tail ? s->client_tail : "");
        cJSON *h = NULL;
        if (s->history_json &&
            afz_json_parse(s->history_json, strlen(s->history_json), &h) == AFZ_OK)
            cJSON_AddItemToObject(o, "history", h);
    }
    cJSON_AddNumberToObject(root, "passed", (double)passed);
    cJSON_AddNumberToObject(root, "failed", (double)(n - passed));
    char *txt = cJSON_Print(root);
    rc = txt ? afz_buf_puts(out, txt) : AFZ_ENOMEM;
    if (rc == AFZ_OK)
        rc = afz_buf_putc(out, '\n');
    cJSON_free(txt);
out:
    cJSON_Delete(root);
    return rc;
}

/* ---- replay command ---- */

static int shell_safe(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("._-/:@+=,", c)))
            return 0;
    }
    return 1;
}

/* shell_arg appends |s| as one /bin/sh word. */
static afz_rc shell_arg(afz_buf *out, const char *s)
{
    if (shell_safe(s))
        return afz_buf_puts(out, s);
    afz_rc rc = afz_buf_putc(out, '\'');
    for (; *s && rc == AFZ_OK; s++)
        rc = *s == '\'' ? afz_buf_puts(out, "'\\''") : afz_buf_putc(out, *s);
    return rc == AFZ_OK ? afz_buf_putc(out, '\'') : rc;
}

afz_rc afz_suite_replay(const afz_suite_config *cfg, const char *path, afz_buf *out)
{
    afz_rc rc;
    if (cfg->replay) {
        rc = afz_buf_puts(out, cfg->replay);
    } else {
        rc = afz_buf_puts(out, "acmefuzz suite --client-cmd ");
        if (rc == AFZ_OK)
            rc = shell_arg(out, cfg->command ? cfg->command : "");
        if (rc == AFZ_OK)
            rc = afz_buf_puts(out, " --name ");
        if (rc == AFZ_OK)
            rc = shell_arg(out, cfg->client ? cfg->client : "custom");
    }
    /* a run judged on a scaled clock replays on one */
    if (rc == AFZ_OK && cfg->time_scale > 1 && cfg->faketime_lib)
        rc = afz_buf_printf(out, " --time-scale %u", cfg->time_scale);
    if (rc == AFZ_OK)
        rc = afz_buf_puts(out, " --scenarios ");
    return rc == AFZ_OK ? shell_arg(out, path) : rc;
}

/* ---- HTML ---- */

afz_rc afz_suite_html(const afz_suite_config *cfg, const afz_suite_result *r, size_t n,
                      afz_buf *out)
{
    afz_rc rc = AFZ_ENOMEM;
    afz_html_section *sec = calloc(n ? n : 1, sizeof(*sec));
    afz_history *hist = calloc(n ? n : 1, sizeof(*hist));
    afz_buf *text = calloc(n ? n * 2 : 1, sizeof(*text));
    afz_buf title;
    afz_buf_init(&title, 0);
    if (!sec || !hist || !text)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const afz_suite_result *s = &r[i];
        afz_buf *outcome = &text[2 * i], *replay = &text[2 * i + 1];
        afz_buf_init(outcome, 0);
        afz_buf_init(replay, 0);
        char ob[96];
        afz_buf_printf(outcome, "%s after %u attempt(s), %.2f s, %zu requests",
                       outcome_text(s, ob, sizeof(ob)), s->attempts, s->seconds, s->requests);
        if (s->warning[0])
            afz_buf_printf(outcome, "; warning: %s", s->warning);
        afz_suite_replay(cfg, s->path, replay);
        sec[i] = (afz_html_section){
            .name = s->name[0] ? s->name : s->path,
            .client = cfg->client,
            .scenario = s->path,
            .plan_text = s->plan_text,
            .outcome = afz_buf_cstr(outcome),
            .replay = afz_buf_cstr(replay),
            .client_output = s->client_tail ? s->client_tail : "",
            .error = s->loaded ? NULL : s->error,
            .report = s->loaded ? &s->report : NULL,
        };
        /* the history the suite kept as JSON, rebuilt (afz_history_json.c) */
        char why[160];
        if (s->loaded && s->history_json &&
            afz_history_from_json(s->history_json, strlen(s->history_json), &hist[i], why,
                                  sizeof(why)) == AFZ_OK)
            sec[i].history = &hist[i];
    }
    afz_buf_puts(&title, "acmefuzz suite: ");
    afz_buf_puts(&title, cfg->client ? cfg->client : "custom");
    rc = afz_report_html(afz_buf_cstr(&title), sec, n, out);
out:
    for (size_t i = 0; sec && hist && text && i < n; i++) {
        if (sec[i].history)
            afz_history_cleanup(&hist[i]);
        afz_buf_cleanup(&text[2 * i]);
        afz_buf_cleanup(&text[2 * i + 1]);
    }
    afz_buf_cleanup(&title);
    free(sec);
    free(hist);
    free(text);
    return rc;
}
