/* cmd_plan.c - `acmefuzz encode` and `acmefuzz decode`: convert fault
 * plans between the text form (.scn) and the binary form fuzzers mutate. */
#include <stdio.h>
#include <string.h>

#include "afz_cli.h"
#include "afz_scenario.h"

static int load(const char *cmd, const char *path, afz_plan *plan)
{
    afz_scn_error err;
    afz_rc rc = afz_plan_load(path, plan, &err);
    if (rc == AFZ_OK)
        return 0;
    if (err.line)
        fprintf(stderr, "%s:%u:%u: %s\n", path, err.line, err.col, err.msg);
    else
        fprintf(stderr, "acmefuzz %s: %s: %s\n", cmd, path, err.msg);
    return -1;
}

int afz_cmd_encode(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "--help") == 0) {
        fprintf(argc == 2 ? stdout : stderr,
                "usage: acmefuzz encode FILE.scn > FILE.bin\n"
                "Writes the binary form of a text scenario to standard output.\n");
        return argc == 2 ? 0 : 2;
    }
    afz_plan plan;
    if (load("encode", argv[1], &plan) != 0)
        return 2;
    afz_buf b;
    afz_buf_init(&b, 0);
    afz_rc rc = afz_plan_encode(&plan, &b);
    if (rc == AFZ_OK && fwrite(b.data, 1, b.len, stdout) != b.len)
        rc = AFZ_EIO;
    afz_buf_cleanup(&b);
    if (rc != AFZ_OK) {
        fprintf(stderr, "acmefuzz encode: %s\n", afz_rc_str(rc));
        return 2;
    }
    return 0;
}

int afz_cmd_decode(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "--help") == 0) {
        fprintf(
            argc == 2 ? stdout : stderr,
            "usage: acmefuzz decode FILE\n"
            "Prints any plan file (binary, or text if it ends in .scn) in canonical text form.\n");
        return argc == 2 ? 0 : 2;
    }
    afz_plan plan;
    if (load("decode", argv[1], &plan) != 0)
        return 2;
    afz_buf b;
    afz_buf_init(&b, 0);
    afz_rc rc = afz_scenario_print(&plan, &b);
    if (rc == AFZ_OK) {
        if (b.len == 0)
            printf("# empty plan: no faults\n");
        else
            fwrite(b.data, 1, b.len, stdout);
    }
    afz_buf_cleanup(&b);
    return rc == AFZ_OK ? 0 : 2;
}
