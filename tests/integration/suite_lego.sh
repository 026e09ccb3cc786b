#!/usr/bin/env bash
# suite_lego.sh BUILD_DIR SOURCE_DIR - `acmefuzz suite` with lego over
# corpus/suite/quick (nine of them), plus the runner's own outcomes with stand-in clients.
#
#   1. acmefuzz suite --client lego --scenarios (nine of corpus/suite/quick) --validate all
#      --junit FILE --json FILE --tap must exit 0: lego answers http-01 on
#      {http_port} and the server checks it for real (at least one passed
#      check, none failed): every scenario loads, lego holds every
#      property (waived: the two known property false positives and lego
#      4.9.1's known early order polls, see clients/external/README.md);
#      the JUnit XML parses, has one
#      testsuite per scenario and no <failure>; the TAP plan matches.
#   2. A client that exits 1 under the fault-free scenario is caught by
#      succeeds-under-legal (exit status 1).
#   3. A client that hangs is killed at --timeout with its whole process
#      group and caught by terminates, within a few seconds.
# Needs lego (`make test` installs it) and python3. Loopback only.
set -u

BUILD_DIR=${1:?usage: suite_lego.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: suite_lego.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
WORK=""

say() { printf 'suite_lego.sh: %s\n' "$*"; }
fail() { say "$*"; echo "FAIL: suite_lego: $*"; exit 1; }
# shellcheck disable=SC2317
cleanup() { [ -n "$WORK" ] && rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

command -v lego >/dev/null || fail "lego is missing (apt-get install lego; 'make test' does it)"
command -v python3 >/dev/null || fail "python3 is missing"
[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-suite-lego.XXXXXX") || fail "mktemp failed"
# The nine scenarios corpus/suite held before the tiers (they are in
# corpus/suite/quick now, with more; suite_zoo.sh runs the whole quick tier),
# so this test keeps its runtime.
SCN="$WORK/scn"
mkdir -p "$SCN" || fail "mkdir failed"
for s in alternate-chains async-finalize async-stale-ready authz-pending bad-nonce \
    finalize-server-error order-ready plain unknown-fields; do
    cp "$SOURCE_DIR/corpus/suite/quick/$s.scn" "$SCN/" || fail "corpus/suite/quick/$s.scn is missing"
done
n_scn=$(find "$SCN" -maxdepth 1 -name '*.scn' | wc -l)
[ "$n_scn" -ge 5 ] || fail "only $n_scn scenarios in $SCN"

# ---- 1. the real client -----------------------------------------------------
start=$(date +%s)
"$ACMEFUZZ" suite --client lego --scenarios "$SCN" --timeout 60 \
    --allow respects-retry-after --validate all \
    --junit "$WORK/lego.xml" --json "$WORK/lego.json" --tap --workdir "$WORK/runs" \
    >"$WORK/tap.out" 2>"$WORK/console.out"
rc=$?
secs=$(($(date +%s) - start))
sed 's/^/    /' "$WORK/console.out"
[ "$rc" = 0 ] || { sed 's/^/    /' "$WORK/tap.out"; fail "the lego suite exited $rc"; }
grep -q "^1\.\.$n_scn\$" "$WORK/tap.out" || fail "the TAP plan is not 1..$n_scn"
[ "$(grep -c '^ok ' "$WORK/tap.out")" = "$n_scn" ] || fail "not every TAP point is ok"
python3 - "$WORK/lego.xml" "$n_scn" <<'PY' || fail "the JUnit XML is wrong"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = root.findall("testsuite")
assert root.tag == "testsuites", root.tag
assert len(suites) == int(sys.argv[2]), len(suites)
for s in suites:
    cases = s.findall("testcase")
    assert len(cases) >= 13, (s.get("name"), len(cases))
    assert not s.findall("testcase/failure"), s.get("name")
    assert not s.findall("testcase/error"), s.get("name")
PY
python3 - "$WORK/lego.json" <<'PY' || fail "the JSON report is wrong"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["client"] == "lego" and d["failed"] == 0, (d["client"], d["failed"])
for s in d["scenarios"]:
    assert s["passed"] and len(s["history"]["exchanges"]) >= 5, s["name"]
PY
python3 "$SOURCE_DIR/tests/integration/validation_events.py" --check "$WORK/lego.json" \
    || fail "the real http-01 checks are missing or failed"
say "lego: $n_scn scenarios pass in ${secs} s"

# ---- 2. a client that fails is caught ---------------------------------------
mkdir -p "$WORK/one"
cp "$SCN/plain.scn" "$WORK/one/"
"$ACMEFUZZ" suite --fail-on all --client-cmd 'echo failing on purpose; exit 1' --name fails \
    --scenarios "$WORK/one" --timeout 10 --workdir "$WORK/runs2" >"$WORK/fail.out" 2>&1
rc=$?
[ "$rc" = 1 ] || { cat "$WORK/fail.out"; fail "a failing client gave exit status $rc, not 1"; }
grep -q 'succeeds-under-legal' "$WORK/fail.out" || fail "succeeds-under-legal did not catch a failing client"
grep -q 'failing on purpose' "$WORK/runs2/plain/client.log" || fail "the client's output was not kept"

# ---- 3. a client that hangs is killed and caught ----------------------------
start=$(date +%s)
"$ACMEFUZZ" suite --client-cmd 'sleep 313 & sleep 313' --name hangs \
    --scenarios "$WORK/one" --timeout 2 --workdir "$WORK/runs3" >"$WORK/hang.out" 2>&1
rc=$?
secs=$(($(date +%s) - start))
[ "$rc" = 1 ] || { cat "$WORK/hang.out"; fail "a hanging client gave exit status $rc, not 1"; }
grep -q 'terminates' "$WORK/hang.out" || fail "terminates did not catch a hanging client"
[ "$secs" -le 10 ] || fail "the hanging client took $secs s to stop (timeout 2 s)"
# 'sleep 313' is this test's marker: nothing else here sleeps that long
if pgrep -f 'sleep 313' >/dev/null 2>&1; then
    fail "the hanging client's process group survived the timeout"
fi
echo "PASS: suite_lego: $n_scn scenarios pass with lego; failing and hanging clients caught"
