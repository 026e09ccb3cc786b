/* afz_sarif.c - SARIF 2.1.0 logs of violations (see afz_sarif.h). */
#include "afz_sarif.h"

#include <stdlib.h>
#include <string.h>

#include "afz_json.h"
#include "afz_suite.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

const char *afz_sarif_level(afz_level l)
{
    switch (l) {
    case AFZ_LEVEL_MUST:
    case AFZ_LEVEL_HARM:
        return "error";
    case AFZ_LEVEL_SHOULD:
        return "warning";
    case AFZ_LEVEL_ROBUST:
        return "note";
    }
    return "note";
}

/* utf8_clean returns a malloc'd copy of |s| in which every byte that is
 * not part of well-formed UTF-8 is '?', or NULL on allocation failure. */
static char *utf8_clean(const char *s)
{
    size_t n = strlen(s);
    char *c = malloc(n + 1);
    if (!c)
        return NULL;
    memcpy(c, s, n + 1);
    unsigned char *p = (unsigned char *)c;
    for (size_t i = 0; i < n;) {
        size_t len = p[i] < 0x80                    ? 1
                     : p[i] >= 0xC2 && p[i] <= 0xDF ? 2
                     : p[i] >= 0xE0 && p[i] <= 0xEF ? 3
                     : p[i] >= 0xF0 && p[i] <= 0xF4 ? 4
                                                    : 0;
        int ok = len > 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; k++)
            ok = p[i + k] >= 0x80 && p[i + k] <= 0xBF;
        if (ok && len == 3)
            ok = !(p[i] == 0xE0 && p[i + 1] < 0xA0) && !(p[i] == 0xED && p[i + 1] > 0x9F);
        if (ok && len == 4)
            ok = !(p[i] == 0xF0 && p[i + 1] < 0x90) && !(p[i] == 0xF4 && p[i + 1] > 0x8F);
        if (!ok) {
            p[i++] = '?';
            continue;
        }
        i += len;
    }
    return c;
}

/* add_text adds {"text": s} under |key|. */
static int add_text(cJSON *obj, const char *key, const char *s)
{
    char *c = utf8_clean(s ? s : "");
    cJSON *m = c ? cJSON_AddObjectToObject(obj, key) : NULL;
    int ok = m && cJSON_AddStringToObject(m, "text", c);
    free(c);
    return ok;
}

static int add_str(cJSON *obj, const char *key, const char *s)
{
    char *c = utf8_clean(s ? s : "");
    int ok = c && cJSON_AddStringToObject(obj, key, c);
    free(c);
    return ok;
}

/* uri_ref percent-encodes a file path into a URI reference (RFC 3986:
 * unreserved characters and '/' stay). */
static afz_rc uri_ref(const char *path, afz_buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    afz_rc rc = AFZ_OK;
    for (const unsigned char *p = (const unsigned char *)path; *p && rc == AFZ_OK; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p))
            rc = afz_buf_putc(out, (char)*p);
        else
            rc = afz_buf_printf(out, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
    }
    return rc;
}

static int add_location(cJSON *arr, const char *file)
{
    afz_buf u;
    afz_buf_init(&u, 0);
    cJSON *loc = cJSON_CreateObject();
    int ok = loc && cJSON_AddItemToArray(arr, loc);
    if (!ok) {
        cJSON_Delete(loc);
        return 0;
    }
    cJSON *phys = cJSON_AddObjectToObject(loc, "physicalLocation");
    cJSON *art = phys ? cJSON_AddObjectToObject(phys, "artifactLocation") : NULL;
    ok = art && uri_ref(file ? file : "", &u) == AFZ_OK &&
         cJSON_AddStringToObject(art, "uri", afz_buf_cstr(&u));
    afz_buf_cleanup(&u);
    return ok;
}

static int add_rules(cJSON *driver)
{
    size_t n = 0;
    const afz_property *p = afz_properties(&n);
    cJSON *rules = cJSON_AddArrayToObject(driver, "rules");
    if (!rules)
        return 0;
    for (size_t i = 0; i < n; i++) {
        cJSON *r = cJSON_CreateObject();
        if (!r || !cJSON_AddItemToArray(rules, r)) {
            cJSON_Delete(r);
            return 0;
        }
        cJSON *cfg = NULL, *props = NULL;
        if (!cJSON_AddStringToObject(r, "id", p[i].id) ||
            !add_text(r, "shortDescription", p[i].rationale) ||
            !add_text(r, "fullDescription", p[i].rfc) ||
            !(cfg = cJSON_AddObjectToObject(r, "defaultConfiguration")) ||
            !cJSON_AddStringToObject(cfg, "level", afz_sarif_level(p[i].level)) ||
            !(props = cJSON_AddObjectToObject(r, "properties")) ||
            !cJSON_AddStringToObject(props, "acmefuzzLevel", afz_level_name(p[i].level)) ||
            !cJSON_AddStringToObject(props, "cites", p[i].rfc))
            return 0;
    }
    return 1;
}

/* rule_index returns |prop|'s index in the rules array. */
static double rule_index(const afz_property *prop)
{
    size_t n = 0;
    const afz_property *p = afz_properties(&n);
    for (size_t i = 0; i < n; i++)
        if (&p[i] == prop || strcmp(p[i].id, prop->id) == 0)
            return (double)i;
    return -1;
}

static int add_result(cJSON *results, const afz_sarif_finding *f)
{
    const afz_report_entry *e = f->entry;
    cJSON *r = cJSON_CreateObject();
    if (!r || !cJSON_AddItemToArray(results, r)) {
        cJSON_Delete(r);
        return 0;
    }
    afz_buf msg;
    afz_buf_init(&msg, 0);
    afz_buf_printf(&msg, "%s (%s, %s)", e->prop->id, afz_level_name(e->prop->level), e->prop->rfc);
    if (f->scenario)
        afz_buf_printf(&msg, " in scenario %s", f->scenario);
    afz_buf_printf(&msg, ": %s", e->result.message);
    if (e->result.exchange != SIZE_MAX)
        afz_buf_printf(&msg, " [exchange #%zu]", e->result.exchange + 1);
    if (f->replay)
        afz_buf_printf(&msg, ". Replay: %s", f->replay);
    double idx = rule_index(e->prop);
    cJSON *locs = NULL, *props = NULL;
    int ok = cJSON_AddStringToObject(r, "ruleId", e->prop->id) &&
             (idx < 0 || cJSON_AddNumberToObject(r, "ruleIndex", idx)) &&
             cJSON_AddStringToObject(r, "level", afz_sarif_level(e->prop->level)) &&
             add_text(r, "message", afz_buf_cstr(&msg)) &&
             (locs = cJSON_AddArrayToObject(r, "locations")) && add_location(locs, f->location) &&
             (props = cJSON_AddObjectToObject(r, "properties")) &&
             cJSON_AddStringToObject(props, "verdict", afz_report_entry_label(e)) &&
             (!f->replay || add_str(props, "replay", f->replay)) &&
             (e->result.exchange == SIZE_MAX ||
              cJSON_AddNumberToObject(props, "exchange", (double)e->result.exchange + 1));
    afz_buf_cleanup(&msg);
    if (ok && e->waived) {
        cJSON *sup = cJSON_AddArrayToObject(r, "suppressions");
        cJSON *s = cJSON_CreateObject();
        ok = sup && s && cJSON_AddItemToArray(sup, s);
        if (!ok)
            cJSON_Delete(s);
        ok = ok && cJSON_AddStringToObject(s, "kind", "external") &&
             cJSON_AddStringToObject(s, "justification", "waived with --allow");
    }
    return ok;
}

afz_rc afz_sarif_write(const afz_sarif_finding *f, size_t n, const afz_sarif_failure *failures,
                       size_t n_failures, afz_buf *out)
{
    afz_rc rc = AFZ_ENOMEM;
    cJSON *root = cJSON_CreateObject();
    cJSON *runs = NULL, *run = NULL, *tool = NULL, *driver = NULL, *results = NULL;
    cJSON *invs = NULL, *inv = NULL;
    if (!root || !cJSON_AddStringToObject(root, "$schema", SARIF_SCHEMA) ||
        !cJSON_AddStringToObject(root, "version", "2.1.0") ||
        !(runs = cJSON_AddArrayToObject(root, "runs")) || !(run = cJSON_CreateObject()) ||
        !cJSON_AddItemToArray(runs, run) || !(tool = cJSON_AddObjectToObject(run, "tool")) ||
        !(driver = cJSON_AddObjectToObject(tool, "driver")) ||
        !cJSON_AddStringToObject(driver, "name", "acmefuzz") || !add_rules(driver) ||
        !(invs = cJSON_AddArrayToObject(run, "invocations")) || !(inv = cJSON_CreateObject()) ||
        !cJSON_AddItemToArray(invs, inv) ||
        !cJSON_AddBoolToObject(inv, "executionSuccessful", n_failures == 0) ||
        !(results = cJSON_AddArrayToObject(run, "results")))
        goto out;
    if (n_failures) {
        cJSON *notes = cJSON_AddArrayToObject(inv, "toolExecutionNotifications");
        if (!notes)
            goto out;
        for (size_t i = 0; i < n_failures; i++) {
            cJSON *o = cJSON_CreateObject(), *locs = NULL;
            if (!o || !cJSON_AddItemToArray(notes, o)) {
                cJSON_Delete(o);
                goto out;
            }
            if (!cJSON_AddStringToObject(o, "level", "error") ||
                !add_text(o, "message", failures[i].message) ||
                !(locs = cJSON_AddArrayToObject(o, "locations")) ||
                !add_location(locs, failures[i].location))
                goto out;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!add_result(results, &f[i]))
            goto out;
    char *txt = cJSON_Print(root);
    rc = txt ? afz_buf_puts(out, txt) : AFZ_ENOMEM;
    if (rc == AFZ_OK)
        rc = afz_buf_putc(out, '\n');
    cJSON_free(txt);
out:
    cJSON_Delete(root);
    return rc;
}

afz_rc afz_sarif_suite(const afz_suite_config *cfg, const afz_suite_result *r, size_t n,
                       afz_buf *out)
{
    size_t nf = 0, nfail = 0;
    for (size_t i = 0; i < n; i++) {
        if (!r[i].loaded) {
            nfail++;
            continue;
        }
        for (size_t k = 0; k < r[i].report.n; k++)
            nf += r[i].report.entries[k].result.verdict == AFZ_VERDICT_VIOLATION;
    }
    afz_sarif_finding *f = calloc(nf ? nf : 1, sizeof(*f));
    afz_sarif_failure *fl = calloc(nfail ? nfail : 1, sizeof(*fl));
    afz_buf *replays = calloc(n ? n : 1, sizeof(*replays));
    afz_rc rc = AFZ_ENOMEM;
    if (!f || !fl || !replays)
        goto out;
    size_t j = 0, jf = 0;
    for (size_t i = 0; i < n; i++) {
        afz_buf_init(&replays[i], 0);
        if ((rc = afz_suite_replay(cfg, r[i].path, &replays[i])) != AFZ_OK)
            goto out;
        if (!r[i].loaded) {
            fl[jf++] = (afz_sarif_failure){.location = r[i].path, .message = r[i].error};
            continue;
        }
        for (size_t k = 0; k < r[i].report.n; k++) {
            const afz_report_entry *e = &r[i].report.entries[k];
            if (e->result.verdict != AFZ_VERDICT_VIOLATION)
                continue;
            f[j++] = (afz_sarif_finding){.entry = e,
                                         .location = r[i].path,
                                         .scenario = r[i].name,
                                         .replay = afz_buf_cstr(&replays[i])};
        }
    }
    rc = afz_sarif_write(f, j, fl, jf, out);
out:
    for (size_t i = 0; replays && i < n; i++)
        afz_buf_cleanup(&replays[i]);
    free(replays);
    free(f);
    free(fl);
    return rc;
}
