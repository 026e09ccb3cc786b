/* check_crash.c - crashes are findings: afz_run with catch_crashes unwinds
 * from a client that dies by a signal, keeps the exchanges made before it
 * and a client_crashed event, and leaves the process's handlers as it found
 * them; without catch_crashes (fuzz targets) the crash still kills; and the
 * suite runner's reading of a shell's exit status.
 *
 * Sanitizer builds. UBSan stops a NULL store or a division by zero with a
 * report of its own before any signal, so there the crash clients raise()
 * the same signal instead of faulting; every assertion but the wording of
 * the detail ("NULL dereference" against "raised") is the same. */
#define _XOPEN_SOURCE 700 /* sigaltstack, stack_t */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "afz_clients.h"
#include "afz_crash.h"
#include "afz_run.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static afz_world world;

static void world_setup(void)
{
    ck_assert_int_eq(afz_world_init(&world), AFZ_OK);
}

static void world_teardown(void)
{
    afz_world_cleanup(&world);
}

/* ---- crashing test clients ------------------------------------------------ */

typedef enum crash_mode {
    CRASH_SEGV,   /* store through NULL */
    CRASH_ABORT,  /* abort() */
    CRASH_FPE,    /* integer division by zero */
    CRASH_BUS,    /* raise(SIGBUS): a real one needs a truncated mapping */
    CRASH_IN_ENV, /* hands env->log a wild pointer: the harness's code faults */
} crash_mode;

/* Opaque to the optimiser, so the faults are really executed. */
static int *volatile null_target = NULL;
static volatile int zero_divisor = 0;
static volatile int sink;

static void crash_now(crash_mode m)
{
    switch (m) {
    case CRASH_SEGV:
        if (SANITIZED)
            raise(SIGSEGV);
        else
            *null_target = 1;
        break;
    case CRASH_ABORT:
        abort();
    case CRASH_FPE:
        if (SANITIZED)
            raise(SIGFPE);
        else
            sink = 7 / zero_divisor; // cppcheck-suppress zerodiv ; the SIGFPE is the test
        break;
    case CRASH_BUS:
        raise(SIGBUS);
        break;
    case CRASH_IN_ENV:
        break;
    }
}

/* Two requests through env->http, a log line, then the crash. */
static afz_rc crasher_obtain(const afz_client *self, const afz_env *env, const afz_obtain_params *p,
                             afz_obtain_result *out)
{
    crash_mode m = *(const crash_mode *)self->config;
    for (int i = 0; i < 2; i++) {
        afz_request rq;
        afz_response rs;
        if (afz_request_init(&rq, "GET", p->directory_url) != AFZ_OK)
            return AFZ_ENOMEM;
        afz_rc rc = env->http(env->ctx, &rq, &rs);
        afz_request_cleanup(&rq);
        if (rc == AFZ_OK)
            afz_response_cleanup(&rs);
    }
    env->log(env->ctx, "about to crash");
    if (m == CRASH_IN_ENV)
        env->log(env->ctx, (const char *)(uintptr_t)8);
    crash_now(m);
    snprintf(out->reason, sizeof(out->reason), "did not crash");
    return AFZ_EFAIL;
}

static const crash_mode modes[] = {CRASH_SEGV, CRASH_ABORT, CRASH_FPE, CRASH_BUS, CRASH_IN_ENV};

#define CRASHER(i)                                                                                 \
    {                                                                                              \
        .abi_version = AFZ_CLIENT_ABI_VERSION, .struct_size = sizeof(afz_client),                  \
        .name = "crasher", .description = "test client that crashes", .config = &modes[i],         \
        .obtain = crasher_obtain                                                                   \
    }

static const afz_client crashers[] = {
    CRASHER(CRASH_SEGV), CRASHER(CRASH_ABORT),  CRASHER(CRASH_FPE),
    CRASHER(CRASH_BUS),  CRASHER(CRASH_IN_ENV),
};

static const struct {
    int signo;
    const char *detail; /* a part of crash_detail */
} want[] = {
    {SIGSEGV, SANITIZED ? "SIGSEGV: raised, not a fault in the client"
                        : "SIGSEGV: address not mapped (NULL dereference) in the client"},
    {SIGABRT, "SIGABRT: abort() or raised in the client"},
    {SIGFPE, SANITIZED ? "SIGFPE: raised, not a fault in the client"
                       : "SIGFPE: integer divide by zero in the client"},
    {SIGBUS, "SIGBUS: raised, not a fault in the client"},
    {SIGSEGV, "in the harness, serving the client's env->log"},
};

static size_t count_events(const afz_history *h, afz_event_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n_ev; i++)
        n += h->ev[i].kind == k;
    return n;
}

static const afz_event *find_event(const afz_history *h, afz_event_kind k)
{
    for (size_t i = 0; i < h->n_ev; i++)
        if (h->ev[i].kind == k)
            return &h->ev[i];
    return NULL;
}

/* The handlers and the signal stack as they are now. */
typedef struct signal_state {
    struct sigaction act[5];
    stack_t stack;
} signal_state;

static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

static void signal_state_get(signal_state *s)
{
    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < 5; i++)
        ck_assert_int_eq(sigaction(crash_signals[i], NULL, &s->act[i]), 0);
    ck_assert_int_eq(sigaltstack(NULL, &s->stack), 0);
}

static void assert_signal_state_eq(const signal_state *a, const signal_state *b)
{
    for (size_t i = 0; i < 5; i++) {
        ck_assert_msg(a->act[i].sa_handler == b->act[i].sa_handler,
                      "handler of signal %d not restored", crash_signals[i]);
        /* (glibc adds its own SA_RESTORER to whatever it installs) */
        const int mask = SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER | SA_RESETHAND;
        ck_assert_int_eq(a->act[i].sa_flags & mask, b->act[i].sa_flags & mask);
    }
    ck_assert_ptr_eq(a->stack.ss_sp, b->stack.ss_sp);
    ck_assert_uint_eq(a->stack.ss_size, b->stack.ss_size);
    ck_assert_int_eq(a->stack.ss_flags, b->stack.ss_flags);
}

/* ---- in-process: caught, recorded, restored -------------------------------- */

START_TEST(test_crash_is_caught_with_its_history)
{
    const afz_client *c = &crashers[_i];
    signal_state before, after;
    signal_state_get(&before);
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    cfg.catch_crashes = 1;
    afz_run_result r;
    afz_run_result_init(&r);
    ck_assert_int_eq(afz_run(&world, c, &cfg, &r), AFZ_OK);
    signal_state_get(&after);
    assert_signal_state_eq(&before, &after);

    ck_assert_int_eq(r.crash_signal, want[_i].signo);
    ck_assert_msg(strstr(r.crash_detail, want[_i].detail), "detail '%s' lacks '%s'", r.crash_detail,
                  want[_i].detail);
    ck_assert_str_eq(r.crash_detail + strlen(r.crash_detail) - strlen(want[_i].detail),
                     want[_i].detail);
    ck_assert_int_ne(r.client_rc, AFZ_OK);
    ck_assert_int_eq(r.aborted, 0);
    ck_assert_ptr_null(r.cert_pem);
    ck_assert_msg(strncmp(r.reason, "crashed with ", 13) == 0, "reason '%s'", r.reason);
    /* The exchanges made before the crash, then the crash. */
    ck_assert_uint_eq(r.n_requests, 2);
    ck_assert_uint_eq(r.history.n_ex, 2);
    ck_assert_int_eq(r.history.ex[0].resp.status, 200);
    ck_assert_int_eq(r.history.ex[1].resp.status, 200);
    ck_assert_uint_eq(count_events(&r.history, AFZ_EV_CLIENT_CRASHED), 1);
    const afz_event *e = find_event(&r.history, AFZ_EV_CLIENT_CRASHED);
    ck_assert_int_eq(e->value, want[_i].signo);
    ck_assert_uint_eq(e->exchange, 2);
    ck_assert_str_eq(e->detail, r.crash_detail);
    const afz_event *log = find_event(&r.history, AFZ_EV_CLIENT_LOG);
    ck_assert_ptr_nonnull(log);
    ck_assert_uint_lt(log->seq, e->seq);
    const afz_event *done = find_event(&r.history, AFZ_EV_CLIENT_DONE);
    ck_assert_ptr_nonnull(done);
    ck_assert_uint_gt(done->seq, e->seq);
    ck_assert_int_eq(done->value, 0);

    /* Both exports carry it. */
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_history_to_json(&r.history, &b), AFZ_OK);
    ck_assert_ptr_nonnull(strstr(afz_buf_cstr(&b), "\"client_crashed\""));
    afz_buf_reset(&b);
    ck_assert_int_eq(afz_history_print_log(&r.history, 0, &b), AFZ_OK);
    const char *line = strstr(afz_buf_cstr(&b), "* client_crashed ");
    ck_assert_ptr_nonnull(line);
    const char *second = strstr(afz_buf_cstr(&b), "#2 ");
    ck_assert_ptr_nonnull(second);
    ck_assert_msg(line > second, "the crash is not logged after exchange #2");
    afz_buf_cleanup(&b);
    afz_run_result_cleanup(&r);
}
END_TEST

START_TEST(test_crash_leaves_later_runs_working)
{
    signal_state before, after;
    signal_state_get(&before);
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    cfg.catch_crashes = 1;
    afz_run_result r;
    afz_run_result_init(&r);
    /* Crash twice in a row: the second is caught as well as the first
     * (the signal is unblocked again, the landing rearmed). */
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(afz_run(&world, &crashers[CRASH_SEGV], &cfg, &r), AFZ_OK);
        ck_assert_int_eq(r.crash_signal, SIGSEGV);
    }
    /* Then a good client, with the same result struct: no trace of the
     * crash is left, and it gets its certificate. */
    ck_assert_int_eq(afz_run(&world, &afz_client_reference, &cfg, &r), AFZ_OK);
    ck_assert_int_eq(r.client_rc, AFZ_OK);
    ck_assert_int_eq(r.crash_signal, 0);
    ck_assert_str_eq(r.crash_detail, "");
    ck_assert_uint_eq(count_events(&r.history, AFZ_EV_CLIENT_CRASHED), 0);
    ck_assert_ptr_nonnull(r.cert_pem);
    /* The process's own handling is back, and the handler's blocking of
     * SIGSEGV did not outlive the jump. */
    signal_state_get(&after);
    assert_signal_state_eq(&before, &after);
    sigset_t blocked;
    ck_assert_int_eq(sigprocmask(SIG_BLOCK, NULL, &blocked), 0);
    ck_assert_int_eq(sigismember(&blocked, SIGSEGV), 0);
    ck_assert_int_eq(sigismember(&blocked, SIGABRT), 0);
    afz_run_result_cleanup(&r);
}
END_TEST

START_TEST(test_crash_ends_the_campaign)
{
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    cfg.catch_crashes = 1;
    cfg.attempts = 3;
    afz_run_result r;
    afz_run_result_init(&r);
    ck_assert_int_eq(afz_run(&world, &crashers[CRASH_ABORT], &cfg, &r), AFZ_OK);
    ck_assert_int_eq(r.crash_signal, SIGABRT);
    ck_assert_uint_eq(r.attempts, 1);
    ck_assert_uint_eq(count_events(&r.history, AFZ_EV_CLIENT_CRASHED), 1);
    afz_run_result_cleanup(&r);
}
END_TEST

/* The budget's unwind shares the landing: still told apart. */
static afz_rc hammer_obtain(const afz_client *self, const afz_env *env, const afz_obtain_params *p,
                            afz_obtain_result *out)
{
    (void)self;
    (void)out;
    /* The request lives on the stack: the unwind must not leak it. */
    afz_request rq = {.method = "GET", .url = (char *)p->directory_url};
    for (;;) {
        afz_response rs;
        if (env->http(env->ctx, &rq, &rs) == AFZ_OK)
            afz_response_cleanup(&rs);
    }
    return AFZ_EFAIL; /* not reached */
}

START_TEST(test_crash_budget_unwind_is_not_a_crash)
{
    const afz_client hammer = {.abi_version = AFZ_CLIENT_ABI_VERSION,
                               .struct_size = sizeof(afz_client),
                               .name = "hammer",
                               .description = "ignores its budget",
                               .obtain = hammer_obtain};
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    cfg.catch_crashes = 1;
    cfg.max_requests = 5;
    afz_run_result r;
    afz_run_result_init(&r);
    ck_assert_int_eq(afz_run(&world, &hammer, &cfg, &r), AFZ_OK);
    ck_assert_int_eq(r.aborted, 1);
    ck_assert_int_eq(r.budget_exhausted, 1);
    ck_assert_int_eq(r.crash_signal, 0);
    ck_assert_uint_eq(count_events(&r.history, AFZ_EV_CLIENT_CRASHED), 0);
    afz_run_result_cleanup(&r);
}
END_TEST

/* ---- off by default: the crash still kills (what libFuzzer needs) -------- */

START_TEST(test_crash_not_caught_by_default)
{
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    ck_assert_int_eq(cfg.catch_crashes, 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        afz_run_result r;
        afz_run_result_init(&r);
        afz_run(&world, &crashers[CRASH_ABORT], &cfg, &r);
        _exit(0);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status), "the child exited %d", WEXITSTATUS(status));
    ck_assert_int_eq(WTERMSIG(status), SIGABRT);
}
END_TEST

/* ---- the module on its own ------------------------------------------------ */

START_TEST(test_crash_arm_refuses_a_second_guard)
{
    sigjmp_buf a, b;
    afz_run_config cfg;
    afz_run_config_default(&cfg);
    cfg.catch_crashes = 1;
    afz_run_result r;
    afz_run_result_init(&r);
    ck_assert_int_eq(afz_crash_arm(&a, 0), AFZ_EINVAL);
    ck_assert_int_eq(afz_crash_arm(&a, 2), AFZ_OK);
    ck_assert_int_eq(afz_crash_arm(&b, 2), AFZ_EINVAL);
    /* afz_run cannot arm its own either, and says so. */
    ck_assert_int_eq(afz_run(&world, &afz_client_reference, &cfg, &r), AFZ_EINVAL);
    afz_crash_info info;
    afz_crash_disarm(&info);
    ck_assert_int_eq(info.signo, 0);
    afz_crash_disarm(&info); /* harmless twice */
    ck_assert_int_eq(info.signo, 0);
    afz_run_result_cleanup(&r);
}
END_TEST

START_TEST(test_crash_reads_exit_statuses)
{
    /* killed outright: any signal */
    ck_assert_int_eq(afz_crash_from_exit(-1, SIGSEGV), SIGSEGV);
    ck_assert_int_eq(afz_crash_from_exit(-1, SIGKILL), SIGKILL);
    /* a shell reporting its child: 128+N, crash signals only */
    ck_assert_int_eq(afz_crash_from_exit(128 + SIGSEGV, 0), SIGSEGV);
    ck_assert_int_eq(afz_crash_from_exit(128 + SIGABRT, 0), SIGABRT);
    ck_assert_int_eq(afz_crash_from_exit(128 + SIGBUS, 0), SIGBUS);
    ck_assert_int_eq(afz_crash_from_exit(128 + SIGTERM, 0), 0);
    ck_assert_int_eq(afz_crash_from_exit(0, 0), 0);
    ck_assert_int_eq(afz_crash_from_exit(1, 0), 0);
    ck_assert_int_eq(afz_crash_from_exit(127, 0), 0);
    ck_assert_str_eq(afz_crash_signal_name(SIGSEGV), "SIGSEGV");
    ck_assert_str_eq(afz_crash_signal_name(SIGABRT), "SIGABRT");
    ck_assert_str_eq(afz_crash_signal_name(0), "signal");
    ck_assert_int_eq(afz_crash_is_crash_signal(SIGILL), 1);
    ck_assert_int_eq(afz_crash_is_crash_signal(SIGTERM), 0);
    char buf[96];
    afz_crash_info none = {0, 0, 0};
    afz_crash_describe(&none, NULL, buf, sizeof(buf));
    ck_assert_str_eq(buf, "no crash");
}
END_TEST

Suite *crash_suite(void)
{
    Suite *s = suite_create("crash");
    TCase *tc = tcase_create("catch");
    tcase_add_unchecked_fixture(tc, world_setup, world_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_crash_is_caught_with_its_history, 0,
                        (int)(sizeof(crashers) / sizeof(crashers[0])));
    tcase_add_test(tc, test_crash_leaves_later_runs_working);
    tcase_add_test(tc, test_crash_ends_the_campaign);
    tcase_add_test(tc, test_crash_budget_unwind_is_not_a_crash);
    tcase_add_test(tc, test_crash_not_caught_by_default);
    tcase_add_test(tc, test_crash_arm_refuses_a_second_guard);
    tcase_add_test(tc, test_crash_reads_exit_statuses);
    suite_add_tcase(s, tc);
    return s;
}
