# serve_helpers.bash - sourced by the serve_*.sh integration tests that run
# one `acmefuzz serve` (not a test itself: CTest runs *.sh).
#
#   serve_test_init NAME   say/fail for test NAME, WORK (a fresh temporary
#                          directory), and the traps: on exit the server
#                          and every background job are stopped, WORK is
#                          removed
#   serve_start ARGS...    "$ACMEFUZZ" serve ARGS in the background (output
#                          in $WORK/serve.out and serve.err); sets PID and
#                          PORT (ACME listener) and MPORT (management, when
#                          the arguments or config open one); waits at most
#                          10 s for the ports to be printed
#   serve_stop             SIGTERM; fails unless the server exits 0 (under
#                          ASan that includes LeakSanitizer's verdict)
# Loopback only.

serve_test_init() {
    T_NAME=$1
    PID=""
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-$T_NAME.XXXXXX") || {
        echo "FAIL: $T_NAME: mktemp failed"
        exit 1
    }
    trap serve_cleanup EXIT
    trap 'exit 1' INT TERM HUP
}

say() { printf '%s.sh: %s\n' "$T_NAME" "$*"; }

fail() {
    say "$*"
    [ -n "$WORK" ] && [ -s "$WORK/serve.err" ] && tail -n 20 "$WORK/serve.err" | sed 's/^/    /'
    echo "FAIL: $T_NAME: $*"
    exit 1
}

# shellcheck disable=SC2317
serve_cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    jobs -p | xargs -r kill 2>/dev/null
    [ -n "$WORK" ] && [ -z "${KEEP:-}" ] && rm -rf "$WORK"
}

serve_start() {
    "$ACMEFUZZ" serve "$@" >"$WORK/serve.out" 2>"$WORK/serve.err" &
    PID=$!
    PORT="" MPORT=""
    for _ in $(seq 1 100); do
        kill -0 "$PID" 2>/dev/null || fail "acmefuzz serve exited at start"
        PORT=$(sed -n 's/^Listening on: 127\.0\.0\.1://p' "$WORK/serve.out")
        MPORT=$(sed -n 's|^Management API: https://127\.0\.0\.1:||p' "$WORK/serve.out")
        [ -n "$PORT" ] && [ -n "$MPORT" ] && return 0
        sleep 0.1
    done
    fail "the server printed no ports within 10 s"
}

serve_stop() {
    kill "$PID"
    wait "$PID"
    local rc=$?
    PID=""
    [ "$rc" = 0 ] || fail "acmefuzz serve exited $rc on SIGTERM"
}
