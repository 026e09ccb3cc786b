/* afz_bench_shim.c - wraps a fuzz target for the throughput benchmark
 * (bench/throughput.sh). bench/CMakeLists.txt compiles the target's own
 * source again with -DLLVMFuzzerTestOneInput=afz_bench_target_one and
 * links this file, which is the real LLVMFuzzerTestOneInput: it calls the
 * target, and counts executions, wall time and the crypto operations the
 * library made (afz_cryptostat.h).
 *
 * Executions that make a world (the CA and keys, afz_cryptostat_setup_*)
 * are set-up, not fuzzing: the figures restart after each, and after the
 * first execution whatever it did. The clocks run from the end of the last
 * of those to the end of the last execution, so libFuzzer's
 * own work between inputs (mutation, coverage bookkeeping) is counted as
 * part of the target's throughput, as it is when fuzzing. Two clocks: the
 * process's CPU time (what one core spends; other load on the machine
 * does not change it) and wall time.
 *
 * With AFZ_BENCH_STATS=FILE set, the figures are written to FILE at exit
 * (libFuzzer exits with exit() after -runs=N) and, so that a target that
 * dies on a real crash (a zoo client's segfault) still leaves figures,
 * every AFZ_BENCH_FLUSH executions before that (written aside, then
 * renamed over FILE). The line format is what afz_crypto_floor reads:
 *   execs N           executions measured (those after the last set-up)
 *   seconds S         CPU time over them (CLOCK_PROCESS_CPUTIME_ID)
 *   wall_seconds S    wall time over them (CLOCK_MONOTONIC)
 *   setup OP KEY N    crypto operations made while setting up worlds
 *   op OP KEY N BYTES crypto operations of the measured executions */
#undef LLVMFuzzerTestOneInput

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "afz_cryptostat.h"

#define AFZ_BENCH_FLUSH 128

int afz_bench_target_one(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
    unsigned long long calls;  /* executions since the last set-up */
    uint64_t setup_total;      /* afz_cryptostat_setup_total() then */
    struct timespec t0, t_end; /* CPU time */
    struct timespec w0, w_end; /* wall time */
    afz_cryptostat start;
} bs;

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void bench_write_stats(void)
{
    const char *path = getenv("AFZ_BENCH_STATS");
    if (!path || !*path || bs.calls == 0)
        return;
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        perror(tmp);
        return;
    }
    afz_cryptostat end, run;
    afz_cryptostat_snapshot(&end);
    afz_cryptostat_sub(&end, &bs.start, &run);
    fprintf(f, "execs %llu\n", bs.calls - 1);
    fprintf(f, "seconds %.6f\n", bs.calls > 1 ? seconds_between(&bs.t0, &bs.t_end) : 0.0);
    fprintf(f, "wall_seconds %.6f\n", bs.calls > 1 ? seconds_between(&bs.w0, &bs.w_end) : 0.0);
    for (int o = 0; o < AFZ_CS_OP__COUNT; o++)
        for (int k = 0; k < AFZ_CS_KEY__COUNT; k++) {
            const char *on = afz_cryptostat_op_name((afz_cs_op)o);
            const char *kn = afz_cryptostat_key_name((afz_cs_key)k);
            if (end.setup_n[o][k])
                fprintf(f, "setup %s %s %llu\n", on, kn, (unsigned long long)end.setup_n[o][k]);
            if (run.n[o][k])
                fprintf(f, "op %s %s %llu %llu\n", on, kn, (unsigned long long)run.n[o][k],
                        (unsigned long long)run.bytes[o][k]);
        }
    if (fclose(f) != 0 || rename(tmp, path) != 0)
        perror(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    afz_bench_target_one(data, size);
    uint64_t setup_total = afz_cryptostat_setup_total();
    if (bs.calls == 0 || setup_total != bs.setup_total) {
        if (bs.calls == 0) /* the first execution */
            atexit(bench_write_stats);
        bs.calls = 1;
        bs.setup_total = setup_total;
        afz_cryptostat_snapshot(&bs.start);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &bs.t0);
        clock_gettime(CLOCK_MONOTONIC, &bs.w0);
        bs.t_end = bs.t0;
        bs.w_end = bs.w0;
    } else {
        bs.calls++;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &bs.t_end);
        clock_gettime(CLOCK_MONOTONIC, &bs.w_end);
        if ((bs.calls - 1) % AFZ_BENCH_FLUSH == 0)
            bench_write_stats();
    }
    return 0;
}
