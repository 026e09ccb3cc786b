/* cmd_replay.c - `acmefuzz replay FILE`: a fuzz input, crash file or
 * scenario run again with its decoded plan, exchange log and verdicts;
 * it is `acmefuzz run --scenario FILE` under another name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afz_cli.h"

int afz_cmd_replay(int argc, char **argv)
{
    /* replay FILE [run options] is run --scenario FILE [run options]. */
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || argv[1][0] == '-') {
        fprintf(argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr,
                "usage: acmefuzz replay FILE [--client NAME | --client-lib PATH.so] [-v] [--json]\n"
                "                            [--html FILE]\n"
                "Replays a fuzz input or crash file (binary plan; text if it ends in .scn, or\n"
                "if its bytes are a text scenario, which is then said):\n"
                "prints the decoded plan, the numbered exchange log and every verdict;\n"
                "--html FILE also writes the HTML report (timeline, verdicts, exchanges).\n");
        return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    char **args = calloc((size_t)argc + 2, sizeof(*args));
    if (!args)
        return 2;
    args[0] = "replay"; /* afz_cmd_run names itself after it in errors */
    args[1] = "--scenario";
    args[2] = argv[1];
    for (int i = 2; i < argc; i++)
        args[i + 1] = argv[i];
    int rc = afz_cmd_run(argc + 1, args);
    free(args);
    return rc;
}
