/* afz_cli.h - the acmefuzz command line: one function per subcommand.
 * Each takes the arguments after the subcommand name (argv[0] is the
 * subcommand) and returns the process exit code: 0 success, 1 the run
 * found a failure or a violation, 2 a usage or input error. */
#ifndef AFZ_CLI_H
#define AFZ_CLI_H

#include <stdint.h>

#include "afz_policy.h"

/* afz_cli_parse_u64 reads a whole decimal number no larger than |max|
 * (no sign, no junk) into *out; returns 0, or -1 and leaves *out alone. */
int afz_cli_parse_u64(const char *s, uint64_t max, uint64_t *out);

struct afz_client;
struct afz_client_lib;
struct afz_buf;

/* afz_cli_check_output makes sure the report file |path| of option
 * --|opt| can be written before any work is done: it is created (empty)
 * and written for real at the end. Prints the reason and returns -1 when
 * it cannot. */
int afz_cli_check_output(const char *cmd, const char *opt, const char *path);
/* afz_cli_write_file writes |b| to |path|; on failure it says why,
 * removes the partial file (a full disk must not leave a truncated
 * report that looks whole) and returns -1. */
int afz_cli_write_file(const char *cmd, const char *path, const struct afz_buf *b);

/* afz_cli_check_client checks the client choice of subcommand |cmd|
 * before anything is loaded: |lib_path| (--client-lib) and an explicit
 * --client exclude each other, and a name must be a built-in client.
 * Prints the reason and returns -1 on a bad choice. */
int afz_cli_check_client(const char *cmd, const char *name, int name_given, const char *lib_path);
/* afz_cli_load_client sets *client to the built-in |name| or, with
 * |lib_path|, to the client of the shared object it opens into *lib (the
 * caller closes it with afz_client_lib_close; NULL otherwise). Prints the
 * reason and returns -1 when it cannot. */
int afz_cli_load_client(const char *cmd, const char *name, const char *lib_path,
                        struct afz_client_lib **lib, const struct afz_client **client);

/* The getopt values of the two verdict-policy options every judging
 * subcommand takes, and their usage lines. */
#define AFZ_CLI_OPT_FAIL_ON 0x1001
#define AFZ_CLI_OPT_ALLOW 0x1002
#define AFZ_CLI_POLICY_OPTIONS                                                                     \
    {"fail-on", required_argument, NULL, AFZ_CLI_OPT_FAIL_ON},                                     \
    {                                                                                              \
        "allow", required_argument, NULL, AFZ_CLI_OPT_ALLOW                                        \
    }
#define AFZ_CLI_POLICY_USAGE                                                                       \
    "  --fail-on LEVELS     levels whose violations fail the run: must, should, harm,\n"           \
    "                       robust, joined by ',' (or all, none); default must,harm.\n"            \
    "                       Other violations are still reported, as WARNING\n"                     \
    "  --allow ID[,ID]      waive property ID (repeatable); still reported, as WAIVED\n"

/* afz_cli_policy_arg applies option |which| (AFZ_CLI_OPT_FAIL_ON or
 * AFZ_CLI_OPT_ALLOW) with value |arg| to |p|; prints the reason and
 * returns -1 on a bad value. */
int afz_cli_policy_arg(const char *cmd, int which, const char *arg, afz_policy *p);

/* afz_cli_time_scale checks --time-scale *|scale| (> 1) for the client
 * |program| (a program name or a command template): it finds libfaketime
 * (*|lib|; none installed: the reason, -1) and, when the program cannot
 * load it (afz_suite_preload_blocker), says so and sets *|scale| to 1. */
int afz_cli_time_scale(const char *cmd, const char *program, unsigned *scale, const char **lib);

/* afz_cli_adapter returns the real-client adapter named |name|
 * (clients/external) when it can run here: its program is on PATH, and
 * root when it needs root. Otherwise it prints why, as "acmefuzz |cmd|:
 * ...", and returns NULL (an unknown name lists the known ones). */
struct afz_external_client;
const struct afz_external_client *afz_cli_adapter(const char *cmd, const char *name);

int afz_cmd_run(int argc, char **argv);
int afz_cmd_client(int argc, char **argv);
int afz_cmd_list(int argc, char **argv);
int afz_cmd_encode(int argc, char **argv);
int afz_cmd_decode(int argc, char **argv);
int afz_cmd_sweep(int argc, char **argv);
int afz_cmd_replay(int argc, char **argv);
int afz_cmd_serve(int argc, char **argv);
int afz_cmd_suite(int argc, char **argv);
int afz_cmd_judge(int argc, char **argv);
int afz_cmd_coverage(int argc, char **argv);
int afz_cmd_fuzz(int argc, char **argv);

#endif
