/* afz_fault.c - the fault catalog tables generated from AFZ_FAULT_TABLE and
 * the value tables of fault arguments. See afz_fault.h. */
#include "afz_fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARGDEF(n, t)                                                                               \
    {                                                                                              \
        n, AFZ_ARG_##t                                                                             \
    }
#define NARGS(t0, t1, t2)                                                                          \
    ((size_t)(AFZ_ARG_##t0 != AFZ_ARG_NONE) + (size_t)(AFZ_ARG_##t1 != AFZ_ARG_NONE) +             \
     (size_t)(AFZ_ARG_##t2 != AFZ_ARG_NONE))

static const afz_fault_def catalog[AFZ_FAULT__COUNT] = {
#define AFZ_FAULT_ROW(e, name, cls, mech, res, n0, t0, n1, t1, n2, t2, desc, ref)                  \
    {AFZ_FAULT_##e,                                                                                \
     name,                                                                                         \
     AFZ_CLASS_##cls,                                                                              \
     AFZ_MECH_##mech,                                                                              \
     AFZ_RES_##res,                                                                                \
     {ARGDEF(n0, t0), ARGDEF(n1, t1), ARGDEF(n2, t2)},                                             \
     NARGS(t0, t1, t2),                                                                            \
     desc,                                                                                         \
     ref,                                                                                          \
     AFZ_FAULT_IS_RETIRED(AFZ_FAULT_##e)},
    AFZ_FAULT_TABLE(AFZ_FAULT_ROW)
#undef AFZ_FAULT_ROW
};

const afz_fault_def *afz_fault_get(afz_fault_id id)
{
    if ((int)id < 0 || id >= AFZ_FAULT__COUNT)
        return NULL;
    return &catalog[id];
}

const afz_fault_def *afz_fault_find(const char *name)
{
    for (size_t i = 0; i < AFZ_FAULT__COUNT; i++)
        if (strcmp(catalog[i].name, name) == 0)
            return &catalog[i];
    return NULL;
}

const char *afz_fault_class_name(afz_fault_class c)
{
    switch (c) {
    case AFZ_CLASS_LEGAL:
        return "legal";
    case AFZ_CLASS_REAL_WORLD:
        return "real-world";
    case AFZ_CLASS_DEGRADED:
        return "degraded";
    case AFZ_CLASS_MALFORMED:
        return "malformed";
    case AFZ_CLASS__COUNT:
        break;
    }
    return "unknown";
}

const char *afz_fault_mech_name(afz_fault_mech m)
{
    switch (m) {
    case AFZ_MECH_CONFIG:
        return "config";
    case AFZ_MECH_BEFORE:
        return "before";
    case AFZ_MECH_AFTER:
        return "after";
    }
    return "unknown";
}

/* ---- argument value tables ---- */

static const int64_t seconds_table[] = {0, 1, 2, 3, 5, 10, 30, 60};

/* Well-formed Retry-After forms: none, delta-seconds, HTTP-date. */
static const struct {
    const char *token;
    int is_date;
    int64_t seconds;
} ra_table[] = {
    {"none", 0, 0}, {"0", 0, 0},       {"1", 0, 1},       {"2", 0, 2},         {"3", 0, 3},
    {"30", 0, 30},  {"date+1s", 1, 1}, {"date+5s", 1, 5}, {"date+30s", 1, 30},
};

/* Retry-After values a careful client must survive: absurd but
 * well-formed ones, and every malformed shape seen in the wild. */
static const struct {
    const char *token;
    const char *value;
} ra_bad_table[] = {
    {"day", "86400"},
    {"2^31", "2147483648"},
    {"2^63", "9223372036854775808"},
    {"2^64", "18446744073709551616"},
    {"digits30", "999999999999999999999999999999"},
    {"negative", "-1"},
    {"decimal", "1.5"},
    {"plus", "+5"},
    {"words", "soon"},
    {"empty", ""},
    {"past_date", "Thu, 01 Jan 1970 00:00:00 GMT"},
    {"iso8601", "2026-01-01T00:00:30Z"},
    {"bad_zone", "Thu, 01 Jan 2026 00:00:30 +0000"},
    {"far_date", "Fri, 31 Dec 9999 23:59:59 GMT"},
};

static const char *const field_table[] = {
    "status",     "certificate", "finalize", "authorizations", "identifiers", "expires",
    "challenges", "url",         "token",    "identifier",     "error",       "newNonce",
    "newAccount", "newOrder",    "type",     "value",
};

static const char *const jtype_table[AFZ_JTYPE__COUNT] = {
    "null", "number", "bool", "object", "array", "string", "huge_string",
};

static const char *const status_table[] = {
    "Valid", "VALID", "completed", "", "processing ", "issued", "pend\x01ing", "\xc3\xa9tat",
};

static const char *const stale_table[] = {"ready", "pending"};

static const struct {
    const char *token;
    const char *body;
} junk_table[] = {
    {"truncated", "{\"status\": \"valid\", \"certificate\": \"https://acme"},
    {"html", "<html><body><h1>502 Bad Gateway</h1></body></html>"},
    {"array", "[]"},
    {"string", "\"valid\""},
    {"null", "null"},
    {"trailing", "{\"status\":\"valid\"} {\"status\":\"invalid\"}"},
    {"nested", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]"
               "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"},
    {"bad_escape", "{\"status\":\"val\\xid\"}"},
};

static const struct {
    const char *token;
    const char *value; /* NULL: remove the header */
} ctype_table[] = {
    {"none", NULL},
    {"html", "text/html"},
    {"plain", "text/plain"},
    {"json_for_pem", "application/json"},
    {"pem_for_json", "application/pem-certificate-chain"},
    {"garbage", ";;;"},
};

static const char *const pem_table[AFZ_PEM__COUNT] = {
    "junk", "private_key", "der", "empty_chain", "truncated", "bad_base64",
};

#define N(a) ((unsigned)(sizeof(a) / sizeof((a)[0])))

unsigned afz_arg_domain(afz_arg_type t)
{
    switch (t) {
    case AFZ_ARG_NONE:
        return 1;
    case AFZ_ARG_COUNT:
        return 16;
    case AFZ_ARG_SECONDS:
        return N(seconds_table);
    case AFZ_ARG_RA:
        return N(ra_table);
    case AFZ_ARG_RA_BAD:
        return N(ra_bad_table);
    case AFZ_ARG_FIELD:
        return N(field_table);
    case AFZ_ARG_JTYPE:
        return N(jtype_table);
    case AFZ_ARG_STATUS:
        return N(status_table);
    case AFZ_ARG_STALE:
        return N(stale_table);
    case AFZ_ARG_JUNK:
        return N(junk_table);
    case AFZ_ARG_PEM:
        return N(pem_table);
    case AFZ_ARG_CTYPE:
        return N(ctype_table);
    case AFZ_ARG_PERCENT:
        return 100;
    case AFZ_ARG__COUNT:
        break;
    }
    return 1;
}

const char *afz_arg_type_name(afz_arg_type t)
{
    switch (t) {
    case AFZ_ARG_NONE:
        return "-";
    case AFZ_ARG_COUNT:
        return "0..15";
    case AFZ_ARG_SECONDS:
        return "seconds 0|1|2|3|5|10|30|60";
    case AFZ_ARG_RA:
        return "none|0|1|2|3|30|date+1s|date+5s|date+30s";
    case AFZ_ARG_RA_BAD:
        return "day|2^31|2^63|2^64|digits30|negative|decimal|plus|words|empty|past_date|iso8601|"
               "bad_zone|far_date";
    case AFZ_ARG_FIELD:
        return "status|certificate|finalize|authorizations|identifiers|expires|challenges|url|"
               "token|identifier|error|newNonce|newAccount|newOrder|type|value";
    case AFZ_ARG_JTYPE:
        return "null|number|bool|object|array|string|huge_string";
    case AFZ_ARG_STATUS:
        return "s0..s7 (Valid, VALID, completed, empty, 'processing ', issued, control char "
               "inside, non-ASCII)";
    case AFZ_ARG_STALE:
        return "ready|pending";
    case AFZ_ARG_JUNK:
        return "truncated|html|array|string|null|trailing|nested|bad_escape";
    case AFZ_ARG_PEM:
        return "junk|private_key|der|empty_chain|truncated|bad_base64";
    case AFZ_ARG_CTYPE:
        return "none|html|plain|json_for_pem|pem_for_json|garbage";
    case AFZ_ARG_PERCENT:
        return "0..99";
    case AFZ_ARG__COUNT:
        break;
    }
    return "?";
}

const char *afz_arg_value_name(afz_arg_type t, unsigned v, char scratch[16])
{
    if (v >= afz_arg_domain(t))
        return NULL;
    switch (t) {
    case AFZ_ARG_NONE:
        return "";
    case AFZ_ARG_COUNT:
    case AFZ_ARG_PERCENT:
        snprintf(scratch, 16, "%u", v);
        return scratch;
    case AFZ_ARG_SECONDS:
        snprintf(scratch, 16, "%llds", (long long)seconds_table[v]);
        return scratch;
    case AFZ_ARG_RA:
        return ra_table[v].token;
    case AFZ_ARG_RA_BAD:
        return ra_bad_table[v].token;
    case AFZ_ARG_FIELD:
        return field_table[v];
    case AFZ_ARG_JTYPE:
        return jtype_table[v];
    case AFZ_ARG_STATUS:
        snprintf(scratch, 16, "s%u", v);
        return scratch;
    case AFZ_ARG_STALE:
        return stale_table[v];
    case AFZ_ARG_JUNK:
        return junk_table[v].token;
    case AFZ_ARG_PEM:
        return pem_table[v];
    case AFZ_ARG_CTYPE:
        return ctype_table[v].token;
    case AFZ_ARG__COUNT:
        break;
    }
    return NULL;
}

int afz_arg_value_parse(afz_arg_type t, const char *token, unsigned *v)
{
    char scratch[16];
    unsigned n = afz_arg_domain(t);
    for (unsigned i = 0; i < n; i++) {
        const char *name = afz_arg_value_name(t, i, scratch);
        if (name && strcmp(name, token) == 0) {
            *v = i;
            return 0;
        }
    }
    return -1;
}

int64_t afz_arg_seconds(unsigned v)
{
    return seconds_table[v % N(seconds_table)];
}

int afz_arg_ra(unsigned v, int *is_date, int64_t *seconds)
{
    v %= N(ra_table);
    *is_date = ra_table[v].is_date;
    *seconds = ra_table[v].seconds;
    return v != 0;
}

const char *afz_arg_ra_bad(unsigned v)
{
    return ra_bad_table[v % N(ra_bad_table)].value;
}

const char *afz_arg_field(unsigned v)
{
    return field_table[v % N(field_table)];
}

const char *afz_arg_status(unsigned v)
{
    return status_table[v % N(status_table)];
}

const char *afz_arg_stale(unsigned v)
{
    return stale_table[v % N(stale_table)];
}

const char *afz_arg_junk(unsigned v)
{
    return junk_table[v % N(junk_table)].body;
}

const char *afz_arg_ctype(unsigned v)
{
    return ctype_table[v % N(ctype_table)].value;
}
