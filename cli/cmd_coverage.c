/* cmd_coverage.c - `acmefuzz coverage`: which catalog faults a suite
 * folder meets, by tier and scenario, and the properties each scenario
 * can catch (afz_suite.h, "coverage"). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "afz_cli.h"
#include "afz_suite.h"

static void coverage_usage(FILE *f)
{
    fputs("usage: acmefuzz coverage [--scenarios DIR] [--no-exercise]\n"
          "\n"
          "Prints, for the suite folder DIR (default corpus/suite, read recursively; its\n"
          "subfolders are the tiers, quick and full), every catalog fault with the tiers and\n"
          "scenarios that inject it, then every scenario with its class, its faults and the\n"
          "properties it can catch: those that some built-in client (reference or zoo, see\n"
          "`acmefuzz list clients`) breaks under the scenario's plan, run in process.\n"
          "The last line names any catalog fault neither met by a scenario nor on the\n"
          "documented list of faults that cannot be met over HTTPS.\n"
          "  --no-exercise   skip the in-process runs (faults and tiers only)\n"
          "exit status: 0 every fault met or excluded, 1 a fault missing or a scenario that\n"
          "does not load, 2 usage or I/O error\n",
          f);
}

int afz_cmd_coverage(int argc, char **argv)
{
    static const struct option opts[] = {
        {"scenarios", required_argument, NULL, 'S'},
        {"no-exercise", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *root = "corpus/suite";
    int exercise = 1, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'S':
            root = optarg;
            break;
        case 'n':
            exercise = 0;
            break;
        case 'h':
            coverage_usage(stdout);
            return 0;
        default:
            coverage_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "acmefuzz coverage: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    afz_suite_coverage cov;
    char err[256];
    if (afz_suite_coverage_scan(root, &cov, err, sizeof(err)) != AFZ_OK) {
        fprintf(stderr, "acmefuzz coverage: %s\n", err);
        afz_suite_coverage_cleanup(&cov);
        return 2;
    }
    if (!cov.n) {
        fprintf(stderr, "acmefuzz coverage: no scenario (*.scn, *.bin) under %s\n", root);
        afz_suite_coverage_cleanup(&cov);
        return 2;
    }
    if (exercise && afz_suite_coverage_exercise(&cov) != AFZ_OK) {
        fprintf(stderr, "acmefuzz coverage: the in-process runs failed (out of memory)\n");
        afz_suite_coverage_cleanup(&cov);
        return 2;
    }
    afz_buf out;
    afz_buf_init(&out, 0);
    afz_suite_coverage_print(&cov, &out);
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    afz_buf_cleanup(&out);
    int bad = afz_suite_coverage_missing(&cov, NULL) != 0;
    for (size_t i = 0; i < cov.n; i++)
        bad |= !cov.entries[i].loaded;
    afz_suite_coverage_cleanup(&cov);
    return bad ? 1 : 0;
}
