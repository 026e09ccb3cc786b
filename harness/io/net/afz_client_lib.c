/* afz_client_lib.c - see afz_client_lib.h. */
#include "afz_client_lib.h"

#include <dlfcn.h>
#include <errno.h>
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

afz_rc afz_client_lib_open(const char *path, afz_client_lib **out, char *err, size_t errlen)
{
    afz_rc rc = AFZ_EIO;
    void *handle = NULL;
    afz_buf where;
    afz_buf_init(&where, 0);
    *out = NULL;
    snprintf(err, err ? errlen : 0, "%s", "");
    if (!path || !*path) {
        snprintf(err, err ? errlen : 0, "%s", "no client library path given");
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
        snprintf(err, err ? errlen : 0, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, err ? errlen : 0, "%s: is a directory, not a shared object", path);
        goto out;
    }
    dlerror();
    handle = dlopen(afz_buf_cstr(&where), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        snprintf(err, err ? errlen : 0, "%s: cannot load: %s", path,
                 why ? why : "unknown dlopen error");
        goto out;
    }
    dlerror();
    void *sym = dlsym(handle, AFZ_CLIENT_ENTRY_SYMBOL);
    if (!sym) {
        snprintf(err, err ? errlen : 0,
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
        snprintf(err, err ? errlen : 0, "%s: %s", path, why);
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
        snprintf(err, err ? errlen : 0, "%s: out of memory", path ? path : "");
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
