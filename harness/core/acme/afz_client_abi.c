/* afz_client_abi.c - see afz_client_abi.h. */
#include "afz_client_abi.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

afz_rc afz_client_validate(const afz_client *c, char *err, size_t errlen)
{
    set_err(err, errlen, "%s", "");
    if (!c) {
        set_err(err, errlen, "%s returned NULL", AFZ_CLIENT_ENTRY_SYMBOL);
        return AFZ_EINVAL;
    }
    /* abi_version and struct_size lead every version of the struct, so
     * they are safe to read whatever header the client was built with. */
    if (c->abi_version != AFZ_CLIENT_ABI_VERSION) {
        set_err(err, errlen,
                "client ABI version %u, but this acmefuzz speaks client ABI version %u: "
                "rebuild the client against this acmefuzz's afz_client.h",
                (unsigned)c->abi_version, (unsigned)AFZ_CLIENT_ABI_VERSION);
        return AFZ_EINVAL;
    }
    if (c->struct_size < AFZ_CLIENT_MIN_SIZE) {
        set_err(err, errlen,
                "client struct_size %u is smaller than the smallest afz_client (%zu bytes) "
                "at ABI version %u: set .struct_size = sizeof(afz_client)",
                (unsigned)c->struct_size, (size_t)AFZ_CLIENT_MIN_SIZE,
                (unsigned)AFZ_CLIENT_ABI_VERSION);
        return AFZ_EINVAL;
    }
    if (!c->name || !c->name[0]) {
        set_err(err, errlen, "%s", "client has no name");
        return AFZ_EINVAL;
    }
    if (!c->obtain) {
        set_err(err, errlen, "client '%s' has no obtain function", c->name);
        return AFZ_EINVAL;
    }
    afz_client_caps caps;
    if (afz_client_caps_get(c, &caps) != AFZ_OK) {
        set_err(err, errlen,
                "client '%s' declares contradictory capabilities (both AFZ_CLIENT_STATEFUL "
                "and AFZ_CLIENT_STATELESS, or account_algs without ES256, ES384, RS256 or "
                "EdDSA)",
                c->name);
        return AFZ_EINVAL;
    }
    return AFZ_OK;
}

/* The bit layout is the enum's, so that AFZ_CLIENT_ALG_* (afz_client.h,
 * which a client includes without afz_jose.h) and afz_jws_alg agree. */
_Static_assert(AFZ_CLIENT_ALG_ES256 == 1u << AFZ_ALG_ES256 &&
                   AFZ_CLIENT_ALG_ES384 == 1u << AFZ_ALG_ES384 &&
                   AFZ_CLIENT_ALG_RS256 == 1u << AFZ_ALG_RS256 &&
                   AFZ_CLIENT_ALG_EDDSA == 1u << AFZ_ALG_EDDSA,
               "AFZ_CLIENT_ALG_* bits follow afz_jws_alg");

/* A client's table holds a field only when its struct_size reaches the
 * field's end: a table built with an older afz_client.h is shorter, and
 * the bytes after it belong to someone else. */
static uint32_t field_u32(const afz_client *c, size_t offset)
{
    if (c->struct_size < offset + sizeof(uint32_t))
        return 0;
    uint32_t v;
    memcpy(&v, (const unsigned char *)c + offset, sizeof(v));
    return v;
}

afz_rc afz_client_caps_get(const afz_client *c, afz_client_caps *out)
{
    memset(out, 0, sizeof(*out));
    out->account_algs = AFZ_CLIENT_ALGS_ALL;
    uint32_t algs = field_u32(c, offsetof(afz_client, account_algs));
    uint32_t flags = field_u32(c, offsetof(afz_client, flags));
    if ((flags & AFZ_CLIENT_STATEFUL) && (flags & AFZ_CLIENT_STATELESS))
        return AFZ_EINVAL;
    /* Bits of algorithms a newer acmefuzz may know are dropped; what is
     * left must still name one we can hand the client a key for. */
    if (algs != 0 && (algs & AFZ_CLIENT_ALGS_ALL) == 0)
        return AFZ_EINVAL;
    if (algs != 0)
        out->account_algs = algs & AFZ_CLIENT_ALGS_ALL;
    out->stateful = (flags & AFZ_CLIENT_STATEFUL) != 0;
    out->stateless = (flags & AFZ_CLIENT_STATELESS) != 0;
    return AFZ_OK;
}

/* The order of preference when a plan's algorithm is not declared. */
static const afz_jws_alg alg_order[] = {AFZ_ALG_ES256, AFZ_ALG_ES384, AFZ_ALG_RS256, AFZ_ALG_EDDSA};

afz_jws_alg afz_client_caps_pick_alg(const afz_client_caps *caps, afz_jws_alg want)
{
    uint32_t algs = caps && (caps->account_algs & AFZ_CLIENT_ALGS_ALL)
                        ? caps->account_algs & AFZ_CLIENT_ALGS_ALL
                        : AFZ_CLIENT_ALGS_ALL;
    if ((int)want > 0 && (int)want < 32 && (algs & (1u << want)))
        return want;
    for (size_t i = 0; i < sizeof(alg_order) / sizeof(alg_order[0]); i++)
        if (algs & (1u << alg_order[i]))
            return alg_order[i];
    return AFZ_ALG_ES256; /* unreachable: algs is never empty */
}

afz_rc afz_client_algs_parse(const char *list, uint32_t *out)
{
    *out = 0;
    if (!list || !*list)
        return AFZ_EINVAL;
    if (strcmp(list, "all") == 0) {
        *out = AFZ_CLIENT_ALGS_ALL;
        return AFZ_OK;
    }
    uint32_t algs = 0;
    for (const char *p = list;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        afz_jws_alg a = AFZ_ALG_NONE;
        for (size_t i = 0; i < sizeof(alg_order) / sizeof(alg_order[0]); i++) {
            const char *name = afz_jws_alg_name(alg_order[i]);
            if (n == strlen(name) && memcmp(p, name, n) == 0)
                a = alg_order[i];
        }
        if (a == AFZ_ALG_NONE)
            return AFZ_EINVAL;
        algs |= 1u << a;
        if (!comma)
            break;
        p = comma + 1;
    }
    *out = algs;
    return AFZ_OK;
}

afz_rc afz_client_algs_format(uint32_t algs, afz_buf *out)
{
    algs &= AFZ_CLIENT_ALGS_ALL;
    if (algs == 0 || algs == AFZ_CLIENT_ALGS_ALL)
        return afz_buf_puts(out, "all");
    afz_rc rc = AFZ_OK;
    int first = 1;
    for (size_t i = 0; rc == AFZ_OK && i < sizeof(alg_order) / sizeof(alg_order[0]); i++) {
        if (!(algs & (1u << alg_order[i])))
            continue;
        rc = afz_buf_printf(out, "%s%s", first ? "" : ",", afz_jws_alg_name(alg_order[i]));
        first = 0;
    }
    return rc;
}
