/* afz_crash.h - catching a crash of a callback and unwinding out of it.
 *
 * Crashes are findings: a client that dies by SIGSEGV on a malformed
 * answer has a bug as real as one that re-finalizes an order. When the
 * client runs in-process, though, its crash is the harness's crash: the
 * process dies with no report, no exchange log and no replay line. The
 * catcher turns the crash back into an outcome: while it is armed, SIGSEGV,
 * SIGBUS, SIGFPE, SIGILL and SIGABRT run a handler (on an alternate signal
 * stack, so a stack overflow is caught too) that records the signal and
 * siglongjmps to a landing the caller set with sigsetjmp(landing, 1).
 * Disarming puts the previous handlers and signal stack back.
 *
 * Use it around a call into code you do not trust, the way afz_run does
 * around a client's obtain (afz_run_config.catch_crashes):
 *
 *   switch (sigsetjmp(landing, 1)) {      // 1: the mask comes back too
 *   case 0: break;
 *   default: return ...;                  // crashed: afz_crash_disarm says how
 *   }
 *   afz_crash_arm(&landing, 2);
 *   untrusted_call();
 *   ...afz_crash_disarm(&info);            // on both paths
 *
 * What it cannot do. The unwind skips every frame between the crash and
 * the landing: memory the crashed code held is lost and locks it held stay
 * held. A crash inside libc itself (malloc finding a corrupt heap and
 * aborting) may leave libc unusable; the catcher is best effort for a
 * report, not a sandbox (suite mode runs clients as processes).
 *
 * One guard at a time, per process: signal dispositions are process-wide
 * and the handler finds the landing in module state. A crash signal that
 * arrives while nothing is armed (another thread's) restores the previous
 * handler, so the signal does what it would have done without us.
 *
 * Sanitizers. Under ASan the runtime installs its own SEGV/BUS/FPE
 * handlers at start-up; arming replaces them for the armed window (with
 * ASan's default allow_user_segv_handler=1), so an ASan build reports a
 * wild dereference as a caught crash rather than an ASan report, while
 * ASan's own reports (heap-buffer-overflow, use-after-free) still print
 * and end the process through its die path (not a signal). UBSan's
 * -fno-sanitize-recover traps abort first. The catcher is meant for the
 * CLI's plain build; fuzz targets must not arm it: libFuzzer treats a
 * crash as a finding already, with the input saved. */
#ifndef AFZ_CRASH_H
#define AFZ_CRASH_H

#include <setjmp.h>
#include <stddef.h>

#include "afz_rc.h"

/* How a caught crash happened. */
typedef struct afz_crash_info {
    int signo;     /* the signal, 0: no crash was caught */
    int code;      /* its si_code (SEGV_MAPERR, FPE_INTDIV, ..., or <= 0 when raised) */
    int near_null; /* SIGSEGV/SIGBUS at an address below 4096: a NULL dereference */
} afz_crash_info;

/* afz_crash_arm installs the handlers and the alternate signal stack; from
 * now until afz_crash_disarm a crash signal in the calling thread does
 * siglongjmp(*landing, jump_value). |landing| (borrowed until disarm) must
 * have been set with sigsetjmp(*landing, 1) so the signal mask, which
 * blocks the signal while its handler runs, is restored by the jump;
 * |jump_value| must not be 0. Returns AFZ_EINVAL when a guard is armed
 * already or |jump_value| is 0, AFZ_EIO when sigaction or sigaltstack
 * refuse (nothing stays installed then). */
afz_rc afz_crash_arm(sigjmp_buf *landing, int jump_value);

/* afz_crash_disarm restores the handlers and the signal stack that were
 * there before afz_crash_arm, and fills |info| (may be NULL) with the crash
 * caught since then (info->signo 0: none). Harmless when not armed. */
void afz_crash_disarm(afz_crash_info *info);

/* afz_crash_describe writes one line about |c| to |buf| (|n| bytes):
 * the signal's name, what the kernel says about it and |where| (may be
 * NULL), e.g. "SIGSEGV: address not mapped (NULL dereference) in the
 * client". No address: the text must repeat from run to run. */
void afz_crash_describe(const afz_crash_info *c, const char *where, char *buf, size_t n);

/* afz_crash_is_crash_signal returns 1 for the signals the catcher takes
 * (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT), else 0. */
int afz_crash_is_crash_signal(int sig);

/* afz_crash_signal_name returns "SIGSEGV" and the like for any common
 * signal, "signal" for others. Static. */
const char *afz_crash_signal_name(int sig);

/* afz_crash_from_exit says whether a client process died by a signal,
 * for a command run under /bin/sh: |term_signal| is the signal that ended
 * the process (0 when it exited) and |exit_code| its exit status. Returns
 * the signal, or 0. Any signal that ended the process counts (SIGKILL from
 * the OOM killer and SIGPIPE leave the user without a certificate as
 * surely as SIGSEGV); the caller leaves out the runs it signalled itself
 * (a timeout's SIGTERM/SIGKILL). A shell that forks the client (dash,
 * Debian's /bin/sh, forks even for `sh -c 'client args'`) reports a child
 * killed by signal N as exit status 128+N rather than dying itself, and
 * prefixing "exec" would break compound templates ("cd x && client"), so
 * an exit status 128+N for a crash signal N (afz_crash_is_crash_signal)
 * counts as that signal too: a heuristic, which takes a client that exits
 * 139 on purpose for a SIGSEGV. */
int afz_crash_from_exit(int exit_code, int term_signal);

#endif
