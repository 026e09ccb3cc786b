/* afz_client_lib.c - see afz_client_lib.h. */
#include "afz_client_lib.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "afz_buf.h"

struct afz_client_lib {
    void *handle;
    const afz_client *client;
};

typedef const afz_client *(*afz_client_entry_fn)(void);

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
static const afz_jws_alg alg_order[] = {AFZ_ALG_ES256, AFZ_ALG_ES384, AFZ_ALG_RS256,
                                        AFZ_ALG_EDDSA};

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

afz_rc afz_client_lib_open(const char *path, afz_client_lib **out, char *err, size_t errlen)
{
    afz_rc rc = AFZ_EIO;
    void *handle = NULL;
    afz_buf where;
    afz_buf_init(&where, 0);
    *out = NULL;
    set_err(err, errlen, "%s", "");
    if (!path || !*path) {
        set_err(err, errlen, "%s", "no client library path given");
        rc = AFZ_EINVAL;
        goto out;
    }
    /* dlopen searches the library path for a bare name; a command-line
     * argument means a file, so anchor it to the current directory. */
    if (afz_buf_puts(&where, strchr(path, '/') ? "" : "./") != AFZ_OK ||
        afz_buf_puts(&where, path) != AFZ_OK) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    struct stat st;
    if (stat(afz_buf_cstr(&where), &st) != 0) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "%s: is a directory, not a shared object", path);
        goto out;
    }
    dlerror();
    handle = dlopen(afz_buf_cstr(&where), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        set_err(err, errlen, "%s: cannot load: %s", path, why ? why : "unknown dlopen error");
        goto out;
    }
    dlerror();
    void *sym = dlsym(handle, AFZ_CLIENT_ENTRY_SYMBOL);
    if (!sym) {
        set_err(err, errlen,
                "%s: no symbol %s: a client library must define "
                "'const afz_client *%s(void)' (see afz_client.h)",
                path, AFZ_CLIENT_ENTRY_SYMBOL, AFZ_CLIENT_ENTRY_SYMBOL);
        rc = AFZ_ENOTFOUND;
        goto out;
    }
    /* POSIX guarantees dlsym's result converts to a function pointer;
     * memcpy says so without an object-to-function pointer cast. */
    afz_client_entry_fn entry;
    memcpy(&entry, &sym, sizeof(entry));
    const afz_client *client = entry();
    char why[256];
    if (afz_client_validate(client, why, sizeof(why)) != AFZ_OK) {
        set_err(err, errlen, "%s: %s", path, why);
        rc = AFZ_EINVAL;
        goto out;
    }
    afz_client_lib *lib = calloc(1, sizeof(*lib));
    if (!lib) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    lib->handle = handle;
    lib->client = client;
    handle = NULL;
    *out = lib;
    rc = AFZ_OK;
out:
    if (handle)
        dlclose(handle);
    if (rc == AFZ_ENOMEM)
        set_err(err, errlen, "%s: out of memory", path ? path : "");
    afz_buf_cleanup(&where);
    return rc;
}

const afz_client *afz_client_lib_client(const afz_client_lib *lib)
{
    return lib->client;
}

void afz_client_lib_close(afz_client_lib *lib)
{
    if (!lib)
        return;
    dlclose(lib->handle);
    free(lib);
}
