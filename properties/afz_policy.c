/* afz_policy.c - see afz_policy.h. */
#include "afz_policy.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const afz_level all_levels[] = {AFZ_LEVEL_MUST, AFZ_LEVEL_SHOULD, AFZ_LEVEL_HARM,
                                       AFZ_LEVEL_ROBUST};
#define N_LEVELS (sizeof(all_levels) / sizeof(all_levels[0]))

void afz_policy_default(afz_policy *p)
{
    memset(p, 0, sizeof(*p));
    p->fail_levels = AFZ_POLICY_DEFAULT_LEVELS;
}

/* The word [s, s+n) equals |w| ignoring case. */
static int word_is(const char *s, size_t n, const char *w)
{
    return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

afz_rc afz_policy_levels_parse(const char *text, unsigned *levels, char *err, size_t errlen)
{
    unsigned set = 0;
    const char *p = text ? text : "";
    if (!*p) {
        snprintf(err, errlen, "empty level list (want e.g. \"must,harm\", \"all\" or \"none\")");
        return AFZ_EINVAL;
    }
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        int known = 0;
        if (word_is(p, n, "all")) {
            set |= AFZ_POLICY_ALL_LEVELS;
            known = 1;
        } else if (word_is(p, n, "none")) {
            known = 1;
        }
        for (size_t i = 0; i < N_LEVELS && !known; i++)
            if (word_is(p, n, afz_level_name(all_levels[i]))) {
                set |= AFZ_LEVEL_BIT(all_levels[i]);
                known = 1;
            }
        if (!known) {
            snprintf(err, errlen,
                     "unknown level \"%.*s\" (levels: must, should, harm, robust; or all, none)",
                     (int)(n > 40 ? 40 : n), p);
            return AFZ_EINVAL;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    *levels = set;
    return AFZ_OK;
}

afz_rc afz_policy_levels_print(unsigned levels, afz_buf *out)
{
    levels &= AFZ_POLICY_ALL_LEVELS;
    if (levels == 0)
        return afz_buf_puts(out, "none");
    int first = 1;
    for (size_t i = 0; i < N_LEVELS; i++) {
        if (!(levels & AFZ_LEVEL_BIT(all_levels[i])))
            continue;
        const char *name = afz_level_name(all_levels[i]);
        if (!first && afz_buf_putc(out, ',') != AFZ_OK)
            return AFZ_ENOMEM;
        for (const char *c = name; *c; c++)
            if (afz_buf_putc(out, (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c)) != AFZ_OK)
                return AFZ_ENOMEM;
        first = 0;
    }
    return AFZ_OK;
}

afz_rc afz_policy_allow(afz_policy *p, const char *ids, char *err, size_t errlen)
{
    const char *s = ids ? ids : "";
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        char id[AFZ_POLICY_ID_MAX];
        if (n == 0 || n >= sizeof(id)) {
            snprintf(err, errlen, "\"%.*s\" names no property (try 'acmefuzz list properties')",
                     (int)(n > 40 ? 40 : n), s);
            return AFZ_EINVAL;
        }
        memcpy(id, s, n);
        id[n] = '\0';
        if (!afz_property_find(id)) {
            snprintf(err, errlen, "\"%s\" names no property (try 'acmefuzz list properties')", id);
            return AFZ_EINVAL;
        }
        if (!afz_policy_waives(p, id)) {
            if (p->n_allow == AFZ_POLICY_MAX_ALLOW) {
                snprintf(err, errlen, "at most %d waivers", AFZ_POLICY_MAX_ALLOW);
                return AFZ_ELIMIT;
            }
            memcpy(p->allow[p->n_allow++], id, n + 1);
        }
        if (!comma)
            return AFZ_OK;
        s = comma + 1;
    }
}

int afz_policy_waives(const afz_policy *p, const char *id)
{
    for (size_t i = 0; p && id && i < p->n_allow; i++)
        if (strcmp(p->allow[i], id) == 0)
            return 1;
    return 0;
}

int afz_policy_fails(const afz_policy *p, const afz_property *prop)
{
    unsigned levels = p ? p->fail_levels : AFZ_POLICY_DEFAULT_LEVELS;
    return (levels & AFZ_LEVEL_BIT(prop->level)) && !afz_policy_waives(p, prop->id);
}

afz_rc afz_policy_print(const afz_policy *p, afz_buf *out)
{
    afz_rc rc = afz_buf_puts(out, "fail-on ");
    if (rc == AFZ_OK)
        rc = afz_policy_levels_print(p ? p->fail_levels : AFZ_POLICY_DEFAULT_LEVELS, out);
    if (rc == AFZ_OK)
        rc = afz_buf_puts(out, "; allow ");
    for (size_t i = 0; rc == AFZ_OK && p && i < p->n_allow; i++)
        rc = afz_buf_printf(out, "%s%s", i ? "," : "", p->allow[i]);
    if (rc == AFZ_OK && (!p || p->n_allow == 0))
        rc = afz_buf_putc(out, '-');
    return rc;
}
