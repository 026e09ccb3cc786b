#!/usr/bin/env bash
# crash_findings.sh BUILD_DIR SOURCE_DIR - crashes are findings (issue 12
# item 5), in both ways a client runs.
#
#   1. acmefuzz run with the zoo client that dereferences a missing order
#      "status": the crash is caught (afz_crash.h), the run exits 1 with
#      VIOLATION no-crash, the partial exchange log (a client_crashed event
#      after exchange #4), the plan and the replay line; acmefuzz replay
#      of the same scenario says the same. (A sanitizer build may stop at
#      its own report first: that is accepted, as zoo.sh does.)
#   2. acmefuzz suite with a client command whose child dies by SIGSEGV
#      (the shell reports exit status 139) and with one where the shell
#      itself is killed by SIGSEGV: both exit 1, the console and TAP say
#      "killed by signal 11 (SIGSEGV", the JSON has no-crash violated and a
#      client_crashed event.
#   3. The runner's own signals are not crashes: a client killed at the
#      timeout violates terminates, not no-crash; a client that exits 1
#      holds no-crash (and the suite exits 0 or 1 as the policy says).
# Needs python3. Loopback only. Ends with "N passed, M failed".
set -u

BUILD_DIR=${1:?usage: crash_findings.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: crash_findings.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
WORK=""
passed=0
failed=0

pass() { passed=$((passed + 1)); printf 'PASS %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$1"; }
# shellcheck disable=SC2317
cleanup() { [ -n "$WORK" ] && rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$ACMEFUZZ" ] || { echo "crash_findings.sh: $ACMEFUZZ is missing: build first"; exit 1; }
command -v python3 >/dev/null || { echo "crash_findings.sh: python3 is missing"; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-crash.XXXXXX") || exit 1

sanitizer_report() {
    grep -qE 'AddressSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$1"
}

# ---- 1. run and replay: the crash is caught and reported --------------------
scn="$SOURCE_DIR/corpus/zoo/zoo-crash-missing-status.scn"
for cmd in run replay; do
    if [ "$cmd" = run ]; then
        args=(run --client zoo-crash-missing-status --scenario "$scn")
    else
        args=(replay "$scn" --client zoo-crash-missing-status)
    fi
    { "$ACMEFUZZ" "${args[@]}" >"$WORK/$cmd.out" 2>"$WORK/$cmd.err"; rc=$?; } 2>/dev/null
    if sanitizer_report "$WORK/$cmd.err"; then
        pass "$cmd: the sanitizer reported the crash first (exit $rc)"
        continue
    fi
    why=""
    [ "$rc" = 1 ] || why="$why exit $rc, not 1;"
    grep -q '^VIOLATION no-crash .*killed by signal 11 (SIGSEGV)' "$WORK/$cmd.out" ||
        why="$why no 'VIOLATION no-crash ... signal 11 (SIGSEGV)';"
    grep -q 'drop_field(field=status)' "$WORK/$cmd.out" || why="$why no plan;"
    # the log: exchange #4 (newOrder), then the crash
    python3 - "$WORK/$cmd.out" <<'PY' || why="$why the log does not show the crash after #4;"
import re, sys
text = open(sys.argv[1]).read()
x4 = re.search(r"^(=> )?#4 ", text, re.M)
crash = re.search(r"^\s+\* client_crashed SIGSEGV: .* in the client$", text, re.M)
assert x4 and crash and crash.start() > x4.start(), (x4, crash)
assert not re.search(r"^(=> )?#5 ", text, re.M)
PY
    grep -q '^replay: acmefuzz ' "$WORK/$cmd.out" || why="$why no replay line;"
    grep -q 'the client crashed: SIGSEGV' "$WORK/$cmd.err" || why="$why no crash note on stderr;"
    if [ -z "$why" ]; then
        pass "$cmd: crash caught: exit 1, VIOLATION no-crash, log, plan and replay line"
    else
        fail "$cmd:$why"
        sed 's/^/    /' "$WORK/$cmd.out" "$WORK/$cmd.err" | tail -30
    fi
done

# ---- 2. suite: a client that dies by SIGSEGV --------------------------------
mkdir -p "$WORK/one"
cp "$SOURCE_DIR/corpus/suite/quick/plain.scn" "$WORK/one/"

# suite_case NAME COMMAND [suite options]: runs one suite over plain.scn,
# leaving console, TAP and JSON in $WORK/NAME.*, the exit status in $rc.
suite_case() {
    local name=$1 cmd=$2
    shift 2
    "$ACMEFUZZ" suite --client-cmd "$cmd" --name "$name" --scenarios "$WORK/one" \
        --workdir "$WORK/runs-$name" --json "$WORK/$name.json" --tap "$@" \
        >"$WORK/$name.tap" 2>"$WORK/$name.console"
    rc=$?
}

# json_check FILE PYTHON-EXPR: the expression, over the one scenario s
# (and v: property id -> verdict, events: the history's event kinds).
json_check() {
    python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["scenarios"][0]
v = {x["property"]: x["verdict"] for x in s["verdicts"]}
events = [e["kind"] for e in s["history"]["events"]]
ok = eval(sys.argv[2])
if not ok:
    print("    outcome:", s["outcome"], "verdicts:", {k: x for k, x in v.items() if x != "pass"},
          "events:", events)
sys.exit(0 if ok else 1)
PY
}

# the child dies; the shell reports 128+11 and exits
suite_case child "sh -c 'kill -SEGV \$\$'" --timeout 20
why=""
[ "$rc" = 1 ] || why="$why exit $rc, not 1;"
grep -q 'killed by signal 11 (SIGSEGV' "$WORK/child.console" || why="$why console lacks the signal;"
grep -q 'killed by signal 11 (SIGSEGV; shell exit status 139)' "$WORK/child.tap" ||
    why="$why TAP lacks the signal;"
json_check "$WORK/child.json" \
    's["outcome"]["exit_code"] == 139 and v.get("no-crash") == "violation" and not s["passed"] and "client_crashed" in events' ||
    why="$why the JSON is wrong;"
if [ -z "$why" ]; then
    pass "suite: a child killed by SIGSEGV (shell exit 139) violates no-crash"
else
    fail "suite, child SIGSEGV:$why"
    sed 's/^/    /' "$WORK/child.console" "$WORK/child.tap" | tail -30
fi

# the shell itself is killed
suite_case shell 'kill -SEGV $$' --timeout 20
why=""
[ "$rc" = 1 ] || why="$why exit $rc, not 1;"
grep -q 'killed by signal 11 (SIGSEGV)' "$WORK/shell.console" || why="$why console lacks the signal;"
grep -q 'killed by signal 11 (SIGSEGV)' "$WORK/shell.tap" || why="$why TAP lacks the signal;"
json_check "$WORK/shell.json" \
    's["outcome"]["signal"] == 11 and v.get("no-crash") == "violation" and not s["passed"]' ||
    why="$why the JSON is wrong;"
if [ -z "$why" ]; then
    pass "suite: a client command killed by SIGSEGV violates no-crash"
else
    fail "suite, shell SIGSEGV:$why"
    sed 's/^/    /' "$WORK/shell.console" "$WORK/shell.tap" | tail -30
fi

# ---- 3. not crashes: the runner's own timeout, a plain failure ---------------
# ('sleep 317' is this test's marker: nothing else here sleeps that long)
suite_case hangs 'sleep 317' --timeout 1
if [ "$rc" = 1 ] && json_check "$WORK/hangs.json" \
    's["outcome"]["timed_out"] and v.get("terminates") == "violation" and v.get("no-crash") == "pass" and "client_crashed" not in events'; then
    pass "suite: a client killed at the timeout violates terminates, not no-crash"
else
    fail "suite, timeout: exit $rc or the JSON is wrong"
    sed 's/^/    /' "$WORK/hangs.console" | tail -20
fi

# (exit 0 or 1: whether succeeds-under-legal fails the run is the policy's)
suite_case fails 'echo failing on purpose; exit 1' --timeout 20
if [ "$rc" -le 1 ] && json_check "$WORK/fails.json" \
    's["outcome"]["exit_code"] == 1 and v.get("no-crash") == "pass"'; then
    pass "suite: a client that exits 1 holds no-crash"
else
    fail "suite, exit 1: exit $rc or the JSON is wrong"
    sed 's/^/    /' "$WORK/fails.console" | tail -20
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
