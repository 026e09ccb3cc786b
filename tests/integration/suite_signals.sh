#!/usr/bin/env bash
# suite_signals.sh BUILD_DIR SOURCE_DIR - `acmefuzz suite` stops cleanly and
# keeps its own failures apart from the client's (issue 15, item 5):
#
#   1. SIGTERM while a client runs: exit 143, the client's process group is
#      gone, the partial JUnit XML and JSON are written (the interrupted
#      scenario as an error), the temporary work directory is removed.
#   2. SIGINT likewise: exit 130.
#   3. --junit into a missing directory: exit 2 before any scenario runs.
#   4. exchanges.log cannot be written (a directory of that name): exit 2,
#      "harness error" with the reason, no client verdict.
#   5. `replay` errors say "acmefuzz replay:", and a text scenario saved as
#      .bin is read as text, and said so (not run as a random binary plan).
# Stand-in clients only (sh, sleep). Loopback only.
set -u

BUILD_DIR=${1:?usage: suite_signals.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: suite_signals.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
WORK=""

say() { printf 'suite_signals.sh: %s\n' "$*"; }
fail() { say "$*"; echo "FAIL: suite_signals: $*"; exit 1; }
# shellcheck disable=SC2317
cleanup() {
    [ -n "$WORK" ] && [ -f "$WORK/client.pid" ] && kill -9 "$(cat "$WORK/client.pid")" 2>/dev/null
    [ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"
command -v python3 >/dev/null || fail "python3 is missing"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-suite-signals.XXXXXX") || fail "mktemp failed"
mkdir -p "$WORK/scn" "$WORK/tmp"
cp "$SOURCE_DIR/corpus/suite/quick/plain.scn" "$SOURCE_DIR/corpus/suite/quick/bad-nonce.scn" \
    "$WORK/scn/" || fail "corpus/suite/quick is incomplete"

# wait_for FILE: poll (bounded) until FILE exists
wait_for() {
    for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done
    return 1
}

interrupt() { # SIGNAL EXPECTED_STATUS
    local sig=$1 want=$2
    rm -f "$WORK/client.pid" "$WORK/j.xml" "$WORK/j.json"
    # The client records its shell's pid (the process group leader) and
    # sleeps; the suite must take the whole group down.
    TMPDIR="$WORK/tmp" "$ACMEFUZZ" suite --name sleeper \
        --client-cmd "echo \$\$ > $WORK/client.pid; sleep 30 & wait" \
        --scenarios "$WORK/scn" --junit "$WORK/j.xml" --json "$WORK/j.json" \
        >"$WORK/$sig.out" 2>&1 &
    local suite=$!
    wait_for "$WORK/client.pid" || { kill -9 $suite; fail "the stand-in client never started"; }
    local pgid
    pgid=$(cat "$WORK/client.pid")
    kill -"$sig" $suite
    wait $suite
    local rc=$?
    sed 's/^/    /' "$WORK/$sig.out"
    [ "$rc" = "$want" ] || fail "SIG$sig: exit $rc, want $want"
    # leftovers are SIGKILLed; give init a moment to reap them (zombies
    # of a dead group do not count)
    local alive=""
    for _ in $(seq 40); do
        alive=$(ps -eo pgid=,stat= | awk -v g="$pgid" '$1 == g && $2 !~ /^Z/')
        [ -z "$alive" ] && break
        sleep 0.05
    done
    [ -z "$alive" ] || fail "SIG$sig: the client's process group survived: $alive"
    grep -q "interrupted by signal" "$WORK/$sig.out" || fail "SIG$sig: no interruption message"
    python3 - "$WORK/j.xml" "$WORK/j.json" <<'PY' || fail "SIG$sig: the partial reports are wrong"
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.get("tests") == "1", root.get("tests")
assert root.findall("testsuite/testcase/error"), "no <error> for the interrupted scenario"
d = json.load(open(sys.argv[2]))
assert len(d["scenarios"]) == 1, len(d["scenarios"])
PY
    [ -z "$(ls -A "$WORK/tmp")" ] || fail "SIG$sig: the work directory was left behind: $(ls "$WORK/tmp")"
    say "SIG$sig: exit $rc, client group stopped, partial reports written, work directory removed"
}

start=$(date +%s)
interrupt TERM 143
interrupt INT 130

# ---- 3. an unwritable report path is refused before any scenario ----------
rm -f "$WORK/ran"
"$ACMEFUZZ" suite --name toucher --client-cmd "touch $WORK/ran" --scenarios "$WORK/scn" \
    --junit "$WORK/missing/dir/j.xml" --workdir "$WORK/runs3" >"$WORK/out3" 2>&1
rc=$?
[ "$rc" = 2 ] || { cat "$WORK/out3"; fail "unwritable --junit: exit $rc, want 2"; }
[ -e "$WORK/ran" ] && fail "unwritable --junit: a scenario ran before the check"
grep -q "missing/dir/j.xml: No such file or directory" "$WORK/out3" \
    || { cat "$WORK/out3"; fail "unwritable --junit: no reason given"; }
say "unwritable --junit refused before the first scenario"

# ---- 4. exchanges.log not writable: the harness's error, not a verdict ----
mkdir -p "$WORK/runs4/plain/exchanges.log"
rm -f "$WORK/scn/bad-nonce.scn"
"$ACMEFUZZ" suite --name ok --client-cmd "true" --scenarios "$WORK/scn" \
    --workdir "$WORK/runs4" --fail-on all >"$WORK/out4" 2>&1
rc=$?
sed 's/^/    /' "$WORK/out4"
[ "$rc" = 2 ] || fail "exchanges.log unwritable: exit $rc, want 2"
grep -q "harness error in .*cannot write .*exchanges.log" "$WORK/out4" \
    || fail "exchanges.log unwritable: no harness error with the reason"
grep -q "VIOLATION\|succeeds-under-legal" "$WORK/out4" \
    && fail "exchanges.log unwritable: a client verdict was drawn"
say "exchanges.log write failure reported as the harness's error (exit 2)"
# ---- 5. replay: its own name in errors; a text .bin is read as text -------
cp "$SOURCE_DIR/corpus/suite/quick/bad-nonce.scn" "$WORK/text.bin"
"$ACMEFUZZ" replay "$WORK/text.bin" >"$WORK/out5" 2>"$WORK/err5"
rc=$?
[ "$rc" = 0 ] || { cat "$WORK/err5"; fail "replay of a text .bin: exit $rc"; }
grep -q "acmefuzz replay: .*text.bin is a text scenario" "$WORK/err5" \
    || { cat "$WORK/err5"; fail "replay of a text .bin: not said"; }
grep -q "newOrder @1 -> bad_nonce()" "$WORK/out5" || fail "replay of a text .bin: not read as text"
"$ACMEFUZZ" replay "$WORK/no-such.bin" >/dev/null 2>"$WORK/err5b"
grep -q "^acmefuzz replay: " "$WORK/err5b" || { cat "$WORK/err5b"; fail "replay error not named replay"; }
grep -q "acmefuzz run:" "$WORK/err5b" && fail "replay error prefixed acmefuzz run:"
say "replay names itself in errors and reads a text .bin as text"
echo "PASS: suite_signals: clean stop on SIGTERM/SIGINT, harness I/O errors exit 2 ($(($(date +%s) - start)) s)"
