/* afz_crash.c - see afz_crash.h. */
#define _XOPEN_SOURCE 700 /* sigaltstack, SA_ONSTACK */
#include "afz_crash.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Faults below this address are taken for a NULL pointer (plus a field
 * offset) being dereferenced: the first page is never mapped. */
#define NEAR_NULL 4096

/* The alternate stack the handler runs on: the client's own stack may be
 * what overflowed. 64 KiB is well above the kernel's MINSIGSTKSZ even with
 * AVX-512 state, and the handler itself needs a few hundred bytes. */
#define ALT_STACK_SIZE (64 * 1024)

static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
#define N_CRASH_SIGNALS (sizeof(crash_signals) / sizeof(crash_signals[0]))

/* Module state: dispositions are process-wide, and a handler has no
 * context argument, so the armed guard lives here (one at a time). */
static struct {
    sigjmp_buf *volatile landing; /* NULL: nothing to jump to */
    volatile int jump_value;
    volatile sig_atomic_t signo, code, near_null;
    struct sigaction saved[N_CRASH_SIGNALS];
    stack_t saved_stack;
    int armed;
} guard;

static max_align_t alt_stack[ALT_STACK_SIZE / sizeof(max_align_t)];

static void restore_previous(int sig)
{
    for (size_t i = 0; i < N_CRASH_SIGNALS; i++)
        if (crash_signals[i] == sig)
            sigaction(sig, &guard.saved[i], NULL);
}

/* Only async-signal-safe work here: stores to volatile objects, sigaction
 * and the jump out. */
static void on_crash(int sig, siginfo_t *si, void *uctx)
{
    (void)uctx;
    sigjmp_buf *landing = guard.landing;
    if (!landing) {
        /* Not ours to catch (disarming, or a second crash while
         * unwinding): returning with the previous handler back makes a
         * fault happen again under it, and abort() goes on to SIG_DFL. */
        restore_previous(sig);
        return;
    }
    guard.landing = NULL;
    guard.signo = sig;
    guard.code = si ? si->si_code : 0;
    guard.near_null = (sig == SIGSEGV || sig == SIGBUS) && si && si->si_code > 0 &&
                      (uintptr_t)si->si_addr < NEAR_NULL;
    siglongjmp(*landing, guard.jump_value);
}

afz_rc afz_crash_arm(sigjmp_buf *landing, int jump_value)
{
    if (guard.armed || !landing || jump_value == 0)
        return AFZ_EINVAL;
    stack_t ss;
    memset(&ss, 0, sizeof(ss));
    ss.ss_sp = alt_stack;
    ss.ss_size = sizeof(alt_stack);
    if (sigaltstack(&ss, &guard.saved_stack) != 0)
        return AFZ_EIO;
    guard.signo = 0;
    guard.code = 0;
    guard.near_null = 0;
    guard.jump_value = jump_value;
    guard.landing = landing;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_crash;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    size_t i = 0;
    for (; i < N_CRASH_SIGNALS; i++)
        if (sigaction(crash_signals[i], &sa, &guard.saved[i]) != 0)
            break;
    if (i < N_CRASH_SIGNALS) {
        guard.landing = NULL;
        while (i-- > 0)
            sigaction(crash_signals[i], &guard.saved[i], NULL);
        sigaltstack(&guard.saved_stack, NULL);
        return AFZ_EIO;
    }
    guard.armed = 1;
    return AFZ_OK;
}

void afz_crash_disarm(afz_crash_info *info)
{
    if (info)
        memset(info, 0, sizeof(*info));
    if (!guard.armed)
        return;
    guard.landing = NULL;
    for (size_t i = N_CRASH_SIGNALS; i-- > 0;)
        sigaction(crash_signals[i], &guard.saved[i], NULL);
    /* After the jump we run on the thread's own stack again (the kernel
     * tells "on the alternate stack" by the stack pointer), so the old
     * stack can be put back. */
    sigaltstack(&guard.saved_stack, NULL);
    guard.armed = 0;
    if (info) {
        info->signo = guard.signo;
        info->code = guard.code;
        info->near_null = guard.near_null;
    }
}

/* What the kernel's si_code says, in words (sigaction(2)). */
static const char *code_text(int sig, int code)
{
    if (code <= 0) /* SI_USER, SI_TKILL, SI_QUEUE: sent, not a fault */
        return sig == SIGABRT ? "abort() or raised" : "raised, not a fault";
    switch (sig) {
    case SIGSEGV:
        return code == SEGV_MAPERR   ? "address not mapped"
               : code == SEGV_ACCERR ? "invalid permissions for the address"
                                     : "invalid memory reference";
    case SIGBUS:
        return code == BUS_ADRALN   ? "misaligned address"
               : code == BUS_ADRERR ? "nonexistent physical address"
                                    : "bus error";
    case SIGFPE:
        return code == FPE_INTDIV   ? "integer divide by zero"
               : code == FPE_INTOVF ? "integer overflow"
                                    : "arithmetic exception";
    case SIGILL:
        return code == ILL_ILLOPC ? "illegal opcode (a trap?)" : "illegal instruction";
    default:
        return "fault";
    }
}

void afz_crash_describe(const afz_crash_info *c, const char *where, char *buf, size_t n)
{
    if (!n)
        return;
    if (!c || !c->signo) {
        snprintf(buf, n, "no crash");
        return;
    }
    snprintf(buf, n, "%s: %s%s%s%s", afz_crash_signal_name(c->signo), code_text(c->signo, c->code),
             c->near_null ? " (NULL dereference)" : "", where ? " " : "", where ? where : "");
}

int afz_crash_is_crash_signal(int sig)
{
    for (size_t i = 0; i < N_CRASH_SIGNALS; i++)
        if (crash_signals[i] == sig)
            return 1;
    return 0;
}

const char *afz_crash_signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV:
        return "SIGSEGV";
    case SIGBUS:
        return "SIGBUS";
    case SIGFPE:
        return "SIGFPE";
    case SIGILL:
        return "SIGILL";
    case SIGABRT:
        return "SIGABRT";
    case SIGKILL:
        return "SIGKILL";
    case SIGTERM:
        return "SIGTERM";
    case SIGINT:
        return "SIGINT";
    case SIGHUP:
        return "SIGHUP";
    case SIGQUIT:
        return "SIGQUIT";
    case SIGPIPE:
        return "SIGPIPE";
    case SIGALRM:
        return "SIGALRM";
    case SIGTRAP:
        return "SIGTRAP";
    case SIGSYS:
        return "SIGSYS";
    case SIGXCPU:
        return "SIGXCPU";
    case SIGXFSZ:
        return "SIGXFSZ";
    case SIGUSR1:
        return "SIGUSR1";
    case SIGUSR2:
        return "SIGUSR2";
    default:
        return "signal";
    }
}

int afz_crash_from_exit(int exit_code, int term_signal)
{
    if (term_signal > 0)
        return term_signal;
    if (exit_code > 128 && afz_crash_is_crash_signal(exit_code - 128))
        return exit_code - 128;
    return 0;
}
