/* acmefuzz.c - main: dispatches to the subcommands in afz_cli.h. */
#include <stdio.h>
#include <string.h>

#include "afz_cli.h"

static void usage(FILE *f)
{
    fputs("usage: acmefuzz COMMAND [OPTIONS]\n"
          "\n"
          "commands:\n"
          "  run     run a built-in client in-process against the ACME server model\n"
          "  client  obtain a real certificate from a real ACME server (reference client)\n"
          "  list    list built-in clients or the fault catalog (list clients|faults)\n"
          "  encode  convert a text scenario (.scn) to the binary plan form\n"
          "  decode  print any plan file as canonical text\n"
          "  replay  replay a fuzz input or crash file: plan, exchange log, verdicts\n"
          "  sweep   run a client under many random plans, checking every property\n"
          "  serve   serve the ACME server model over HTTPS on loopback (Pebble drop-in)\n"
          "  suite   run a real client binary against every scenario of a directory\n"
          "  fuzz    a fuzzing campaign against a real client binary (mutated plans, feedback)\n"
          "  judge   evaluate every property again over a recorded history (JSON)\n"
          "  coverage  which catalog faults the suite tiers meet, and what each scenario catches\n"
          "  help    show this text\n"
          "\n"
          "'acmefuzz COMMAND --help' describes each command.\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return afz_cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "client") == 0)
        return afz_cmd_client(argc - 1, argv + 1);
    if (strcmp(cmd, "list") == 0)
        return afz_cmd_list(argc - 1, argv + 1);
    if (strcmp(cmd, "encode") == 0)
        return afz_cmd_encode(argc - 1, argv + 1);
    if (strcmp(cmd, "decode") == 0)
        return afz_cmd_decode(argc - 1, argv + 1);
    if (strcmp(cmd, "sweep") == 0)
        return afz_cmd_sweep(argc - 1, argv + 1);
    if (strcmp(cmd, "replay") == 0)
        return afz_cmd_replay(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return afz_cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "suite") == 0)
        return afz_cmd_suite(argc - 1, argv + 1);
    if (strcmp(cmd, "fuzz") == 0)
        return afz_cmd_fuzz(argc - 1, argv + 1);
    if (strcmp(cmd, "judge") == 0)
        return afz_cmd_judge(argc - 1, argv + 1);
    if (strcmp(cmd, "coverage") == 0)
        return afz_cmd_coverage(argc - 1, argv + 1);
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "acmefuzz: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
