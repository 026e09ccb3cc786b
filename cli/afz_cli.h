/* afz_cli.h - the acmefuzz command line: one function per subcommand.
 * Each takes the arguments after the subcommand name (argv[0] is the
 * subcommand) and returns the process exit code: 0 success, 1 the run
 * found a failure or a violation, 2 a usage or input error. */
#ifndef AFZ_CLI_H
#define AFZ_CLI_H

#include <stdint.h>

/* afz_cli_parse_u64 reads a whole decimal number no larger than |max|
 * (no sign, no junk) into *out; returns 0, or -1 and leaves *out alone. */
int afz_cli_parse_u64(const char *s, uint64_t max, uint64_t *out);

int afz_cmd_run(int argc, char **argv);
int afz_cmd_client(int argc, char **argv);
int afz_cmd_list(int argc, char **argv);
int afz_cmd_encode(int argc, char **argv);
int afz_cmd_decode(int argc, char **argv);
int afz_cmd_sweep(int argc, char **argv);
int afz_cmd_replay(int argc, char **argv);
int afz_cmd_serve(int argc, char **argv);
int afz_cmd_suite(int argc, char **argv);

#endif
