/* cli_util.c - small helpers the subcommands share. See afz_cli.h. */
#include <errno.h>
#include <stdlib.h>

#include "afz_cli.h"

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
