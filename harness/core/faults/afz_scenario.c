/* afz_scenario.c - see afz_scenario.h. */
#include "afz_scenario.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SCN_MAX_FILE ((size_t)1 << 20)

typedef struct scn_lexer {
    const char *p;   /* current position in the line */
    const char *end; /* end of the line (exclusive, before comment) */
    const char *line_start;
    unsigned line;
    afz_scn_error *err;
} scn_lexer;

static afz_rc fail(scn_lexer *lx, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static afz_rc fail(scn_lexer *lx, const char *at, const char *fmt, ...)
{
    lx->err->line = lx->line;
    lx->err->col = (unsigned)(at - lx->line_start) + 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lx->err->msg, sizeof(lx->err->msg), fmt, ap);
    va_end(ap);
    return AFZ_EPARSE;
}

static void skip_ws(scn_lexer *lx)
{
    while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
        lx->p++;
}

static int is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '+' || c == '^' || c == '.';
}

/* Reads a word into |buf|; returns its length (0 if none). */
static size_t take_word(scn_lexer *lx, char *buf, size_t cap)
{
    const char *s = lx->p;
    while (lx->p < lx->end && is_word_char(*lx->p))
        lx->p++;
    size_t n = (size_t)(lx->p - s);
    if (n >= cap) {
        lx->p = s;
        return 0;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    return n;
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
    unsigned v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned)(*s - '0');
        if (v > max)
            return -1;
    }
    *out = v;
    return 0;
}

static afz_rc expect_end(scn_lexer *lx)
{
    skip_ws(lx);
    if (lx->p != lx->end)
        return fail(lx, lx->p, "unexpected text '%.*s'",
                    (int)(lx->end - lx->p > 20 ? 20 : lx->end - lx->p), lx->p);
    return AFZ_OK;
}

static afz_rc parse_fault(scn_lexer *lx, afz_rule *r)
{
    char name[48];
    const char *at = lx->p;
    if (!take_word(lx, name, sizeof(name)))
        return fail(lx, at, "expected a fault name");
    const afz_fault_def *d = afz_fault_find(name);
    if (!d)
        return fail(lx, at, "unknown fault '%s' (see 'acmefuzz list faults')", name);
    r->fault = d->id;
    if (lx->p >= lx->end || *lx->p != '(')
        return fail(lx, lx->p, "expected '(' after '%s'", name);
    lx->p++;
    int seen[AFZ_FAULT_MAX_ARGS] = {0};
    skip_ws(lx);
    if (lx->p < lx->end && *lx->p == ')') {
        lx->p++;
        return AFZ_OK;
    }
    for (;;) {
        skip_ws(lx);
        char an[32], av[48];
        at = lx->p;
        if (!take_word(lx, an, sizeof(an)))
            return fail(lx, at, "expected an argument name");
        size_t ai = 0;
        while (ai < d->n_args && strcmp(d->args[ai].name, an) != 0)
            ai++;
        if (ai == d->n_args)
            return fail(lx, at, "fault '%s' has no argument '%s'", d->name, an);
        if (seen[ai])
            return fail(lx, at, "argument '%s' given twice", an);
        seen[ai] = 1;
        if (lx->p >= lx->end || *lx->p != '=')
            return fail(lx, lx->p, "expected '=' after '%s'", an);
        lx->p++;
        at = lx->p;
        if (!take_word(lx, av, sizeof(av)))
            return fail(lx, at, "expected a value for '%s'", an);
        if (afz_arg_value_parse(d->args[ai].type, av, &r->args[ai]) != 0)
            return fail(lx, at, "'%s' is not a value of '%s' (%s)", av, an,
                        afz_arg_type_name(d->args[ai].type));
        skip_ws(lx);
        if (lx->p < lx->end && *lx->p == ',') {
            lx->p++;
            continue;
        }
        if (lx->p < lx->end && *lx->p == ')') {
            lx->p++;
            return AFZ_OK;
        }
        return fail(lx, lx->p, "expected ',' or ')'");
    }
}

static afz_rc parse_rule(scn_lexer *lx, const char *kind_word, const char *kind_at, afz_rule *r)
{
    memset(r, 0, sizeof(*r));
    if (strcmp(kind_word, "any") == 0) {
        r->kind = AFZ_RES_UNKNOWN;
    } else {
        r->kind = afz_resource_from_name(kind_word);
        if (r->kind == AFZ_RES_UNKNOWN)
            return fail(lx, kind_at, "unknown statement or resource '%s'", kind_word);
    }
    skip_ws(lx);
    const char *at = lx->p;
    if (lx->p < lx->end && *lx->p == '*') {
        lx->p++;
        r->occ = AFZ_OCC_EVERY;
    } else if (lx->p < lx->end && *lx->p == '@') {
        lx->p++;
        char num[8];
        size_t i = 0;
        while (lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9' && i < sizeof(num) - 1)
            num[i++] = *lx->p++;
        num[i] = '\0';
        r->occ = AFZ_OCC_NTH;
        if (lx->p < lx->end && *lx->p == '+') {
            lx->p++;
            r->occ = AFZ_OCC_FROM;
        }
        unsigned max = r->occ == AFZ_OCC_NTH ? 127 : 128;
        if (parse_uint(num, max, &r->k) != 0 || r->k == 0)
            return fail(lx, at, "occurrence wants @1..@%u", max);
    } else {
        return fail(lx, at, "expected an occurrence: '*', '@k' or '@k+'");
    }
    skip_ws(lx);
    if (lx->end - lx->p >= 6 && memcmp(lx->p, "after", 5) == 0 &&
        (lx->p[5] == ' ' || lx->p[5] == '\t')) {
        lx->p += 5;
        skip_ws(lx);
        char anchor[32];
        const char *anchor_at = lx->p;
        if ((lx->end - lx->p >= 2 && lx->p[0] == '-' && lx->p[1] == '>') ||
            !take_word(lx, anchor, sizeof(anchor)))
            return fail(lx, anchor_at, "expected a resource after 'after'");
        r->after = afz_resource_from_name(anchor);
        if (r->after == AFZ_RES_UNKNOWN)
            return fail(lx, anchor_at, "unknown resource '%s' after 'after'", anchor);
        skip_ws(lx);
    }
    if (lx->end - lx->p < 2 || lx->p[0] != '-' || lx->p[1] != '>')
        return fail(lx, lx->p, "expected '->' (or 'after RESOURCE')");
    lx->p += 2;
    skip_ws(lx);
    afz_rc rc = parse_fault(lx, r);
    if (rc != AFZ_OK)
        return rc;
    const afz_fault_def *d = afz_fault_get(r->fault);
    if (d->resource != AFZ_RES_UNKNOWN && r->kind != AFZ_RES_UNKNOWN && r->kind != d->resource)
        return fail(lx, kind_at, "fault '%s' applies to '%s', not '%s'", d->name,
                    afz_resource_name(d->resource), kind_word);
    if (r->after && d->mech == AFZ_MECH_CONFIG)
        return fail(lx, kind_at, "fault '%s' sets the server up before any request: no 'after'",
                    d->name);
    afz_rule_canonicalize(r);
    return expect_end(lx);
}

static afz_rc parse_line(scn_lexer *lx, afz_plan *p)
{
    skip_ws(lx);
    if (lx->p == lx->end)
        return AFZ_OK;
    char word[32], arg[16];
    const char *at = lx->p;
    if (!take_word(lx, word, sizeof(word)))
        return fail(lx, at, "expected a statement");
    if (strcmp(word, "identifiers") == 0 || strcmp(word, "attempts") == 0) {
        int ids = word[0] == 'i';
        unsigned max = ids ? AFZ_PLAN_MAX_IDENTIFIERS : AFZ_PLAN_MAX_ATTEMPTS, v;
        skip_ws(lx);
        at = lx->p;
        if (!take_word(lx, arg, sizeof(arg)) || parse_uint(arg, max, &v) != 0 || v == 0)
            return fail(lx, at, "'%s' wants a number from 1 to %u", word, max);
        if (ids)
            p->n_identifiers = v;
        else
            p->attempts = v;
        return expect_end(lx);
    }
    if (strcmp(word, "account-key") == 0) {
        skip_ws(lx);
        at = lx->p;
        afz_jws_alg alg = AFZ_ALG_NONE;
        if (take_word(lx, arg, sizeof(arg)))
            alg = afz_jws_alg_from_name(arg);
        if (alg == AFZ_ALG_NONE)
            return fail(lx, at, "'account-key' wants ES256, ES384, RS256 or EdDSA");
        p->account_alg = alg;
        return expect_end(lx);
    }
    if (p->n_rules == AFZ_PLAN_MAX_RULES)
        return fail(lx, at, "more than %d rules", AFZ_PLAN_MAX_RULES);
    afz_rc rc = parse_rule(lx, word, at, &p->rules[p->n_rules]);
    if (rc == AFZ_OK)
        p->n_rules++;
    return rc;
}

afz_rc afz_scenario_parse(const char *text, size_t n, afz_plan *out, afz_scn_error *err)
{
    afz_plan_init(out);
    memset(err, 0, sizeof(*err));
    scn_lexer lx = {.err = err};
    const char *s = text, *stop = text + n;
    unsigned line = 0;
    while (s < stop) {
        line++;
        const char *eol = memchr(s, '\n', (size_t)(stop - s));
        const char *next = eol ? eol + 1 : stop;
        if (!eol)
            eol = stop;
        size_t len = (size_t)(eol - s);
        if (len > 0 && s[len - 1] == '\r')
            len--;
        const char *content_end = s + len;
        const char *hash = len ? memchr(s, '#', len) : NULL;
        lx.line = line;
        lx.line_start = s;
        lx.p = s;
        lx.end = hash ? hash : content_end;
        for (const char *q = s; q < lx.end; q++)
            if ((unsigned char)*q < 0x20 && *q != '\t')
                return fail(&lx, q, "control character 0x%02x", (unsigned)(unsigned char)*q);
        afz_rc rc = parse_line(&lx, out);
        if (rc != AFZ_OK)
            return rc;
        s = next;
    }
    return AFZ_OK;
}

afz_rc afz_scenario_print(const afz_plan *p, afz_buf *out)
{
    afz_rc rc = AFZ_OK;
    if (p->n_identifiers != 1)
        rc = afz_buf_printf(out, "identifiers %u\n", p->n_identifiers);
    if (rc == AFZ_OK && p->account_alg != AFZ_ALG_ES256)
        rc = afz_buf_printf(out, "account-key %s\n", afz_jws_alg_name(p->account_alg));
    if (rc == AFZ_OK && p->attempts != 1)
        rc = afz_buf_printf(out, "attempts %u\n", p->attempts);
    for (size_t i = 0; i < p->n_rules && rc == AFZ_OK; i++) {
        rc = afz_rule_format(&p->rules[i], out);
        if (rc == AFZ_OK)
            rc = afz_buf_putc(out, '\n');
    }
    return rc;
}

afz_rc afz_rule_format(const afz_rule *rule, afz_buf *out)
{
    afz_rule r = *rule;
    if (afz_rule_canonicalize(&r) != 0)
        return AFZ_EINVAL;
    const afz_fault_def *d = afz_fault_get(r.fault);
    const char *kind = r.kind == AFZ_RES_UNKNOWN ? "any" : afz_resource_name(r.kind);
    afz_rc rc;
    if (r.occ == AFZ_OCC_EVERY)
        rc = afz_buf_printf(out, "%s *", kind);
    else
        rc = afz_buf_printf(out, "%s @%u%s", kind, r.k, r.occ == AFZ_OCC_FROM ? "+" : "");
    if (rc == AFZ_OK && r.after)
        rc = afz_buf_printf(out, " after %s", afz_resource_name(r.after));
    if (rc == AFZ_OK)
        rc = afz_buf_printf(out, " -> %s(", d->name);
    for (size_t a = 0; a < d->n_args && rc == AFZ_OK; a++) {
        char scratch[16];
        rc = afz_buf_printf(out, "%s%s=%s", a ? ", " : "", d->args[a].name,
                            afz_arg_value_name(d->args[a].type, r.args[a], scratch));
    }
    return rc == AFZ_OK ? afz_buf_putc(out, ')') : rc;
}

afz_rc afz_plan_load(const char *path, afz_plan *out, afz_scn_error *err)
{
    memset(err, 0, sizeof(*err));
    afz_buf b;
    afz_buf_init(&b, SCN_MAX_FILE);
    afz_rc rc = afz_buf_read_file(&b, path);
    if (rc != AFZ_OK) {
        if (rc == AFZ_ELIMIT)
            snprintf(err->msg, sizeof(err->msg), "file larger than 1 MiB");
        else
            snprintf(err->msg, sizeof(err->msg), "cannot %s: %s",
                     rc == AFZ_ENOTFOUND ? "open" : "read", strerror(errno));
        afz_buf_cleanup(&b);
        return rc == AFZ_ENOTFOUND ? AFZ_EIO : rc;
    }
    size_t len = strlen(path);
    if (len >= 4 && strcmp(path + len - 4, ".scn") == 0)
        rc = afz_scenario_parse(afz_buf_cstr(&b), b.len, out, err);
    else
        afz_plan_decode((const uint8_t *)b.data, b.len, out);
    afz_buf_cleanup(&b);
    return rc;
}
