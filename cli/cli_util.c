/* cli_util.c - small helpers the subcommands share. See afz_cli.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "afz_buf.h"
#include "afz_cli.h"
#include "afz_client_lib.h"
#include "afz_clients.h"
#include "afz_external.h"
#include "afz_suite.h"

int afz_cli_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (!s || !*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

int afz_cli_check_client(const char *cmd, const char *name, int name_given, const char *lib_path)
{
    if (lib_path && name_given) {
        fprintf(stderr, "acmefuzz %s: --client and --client-lib exclude each other\n", cmd);
        return -1;
    }
    if (!lib_path && !afz_client_find(name)) {
        fprintf(stderr, "acmefuzz %s: no client named '%s' (try 'acmefuzz list clients')\n", cmd,
                name);
        return -1;
    }
    return 0;
}

int afz_cli_load_client(const char *cmd, const char *name, const char *lib_path,
                        struct afz_client_lib **lib, const struct afz_client **client)
{
    *lib = NULL;
    if (!lib_path) {
        *client = afz_client_find(name);
        return *client ? 0 : -1;
    }
    char why[512];
    if (afz_client_lib_open(lib_path, lib, why, sizeof(why)) != AFZ_OK) {
        fprintf(stderr, "acmefuzz %s: --client-lib %s\n", cmd, why);
        return -1;
    }
    *client = afz_client_lib_client(*lib);
    return 0;
}

int afz_cli_policy_arg(const char *cmd, int which, const char *arg, afz_policy *p)
{
    char why[160];
    afz_rc rc;
    if (which == AFZ_CLI_OPT_FAIL_ON)
        rc = afz_policy_levels_parse(arg, &p->fail_levels, why, sizeof(why));
    else
        rc = afz_policy_allow(p, arg, why, sizeof(why));
    if (rc == AFZ_OK)
        return 0;
    fprintf(stderr, "acmefuzz %s: %s: %s\n", cmd,
            which == AFZ_CLI_OPT_FAIL_ON ? "--fail-on" : "--allow", why);
    return -1;
}

int afz_cli_check_output(const char *cmd, const char *opt, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "acmefuzz %s: --%s %s: %s\n", cmd, opt, path, strerror(errno));
        return -1;
    }
    fclose(f);
    return 0;
}

int afz_cli_write_file(const char *cmd, const char *path, const afz_buf *b)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "acmefuzz %s: cannot write %s: %s\n", cmd, path, strerror(errno));
        return -1;
    }
    int ok = fwrite(b->data ? b->data : "", 1, b->len, f) == b->len;
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (!ok) {
        fprintf(stderr, "acmefuzz %s: cannot write %s: %s (removed)\n", cmd, path, strerror(e));
        remove(path);
        return -1;
    }
    return 0;
}

int afz_cli_time_scale(const char *cmd, const char *program, unsigned *scale, const char **lib)
{
    *lib = afz_suite_faketime_lib();
    if (!*lib) {
        fprintf(stderr,
                "acmefuzz %s: --time-scale needs libfaketime (Debian package faketime, or "
                "AFZ_FAKETIME_LIB=FILE)\n",
                cmd);
        return -1;
    }
    char why[300];
    if (afz_suite_preload_blocker(program, why, sizeof(why))) {
        fprintf(stderr, "acmefuzz %s: --time-scale %u ignored: %s; the client runs in real time\n",
                cmd, *scale, why);
        *scale = 1;
        *lib = NULL;
    }
    return 0;
}

/* on_path: |prog| names an executable file, itself (a name with '/') or
 * in a directory of $PATH. */
static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path || strchr(prog, '/'))
        return access(prog, X_OK) == 0;
    char buf[PATH_MAX];
    for (const char *p = path;;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? p : ".", prog);
        if (access(buf, X_OK) == 0)
            return 1;
        if (!colon)
            return 0;
        p = colon + 1;
    }
}

const afz_external_client *afz_cli_adapter(const char *cmd, const char *name)
{
    const afz_external_client *a = afz_external_find(name);
    if (!a) {
        fprintf(stderr, "acmefuzz %s: no adapter named '%s' (known:", cmd, name);
        for (size_t i = 0; i < afz_external_count(); i++)
            fprintf(stderr, " %s", afz_external_get(i)->name);
        fprintf(stderr, "); use --client-cmd for others\n");
        return NULL;
    }
    if (!on_path(a->program)) {
        fprintf(stderr, "acmefuzz %s: %s is not installed (Debian package %s)\n", cmd, a->program,
                a->package);
        return NULL;
    }
    if (a->needs_root && geteuid() != 0) {
        fprintf(stderr, "acmefuzz %s: the %s adapter needs root (%s)\n", cmd, a->name, a->trust);
        return NULL;
    }
    return a;
}
