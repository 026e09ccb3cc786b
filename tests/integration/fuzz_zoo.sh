#!/usr/bin/env bash
# fuzz_zoo.sh BUILD_DIR SOURCE_DIR - `acmefuzz fuzz` against built-in
# clients run as binaries (`acmefuzz client --client NAME` over libcurl
# and HTTPS, as suite_zoo.sh runs them), with a fixed seed and a small
# input budget:
#
#   1. zoo-crash-missing-status, seeded with one scenario a mutation away
#      from its bug (newOrder without "certificate"; the bug needs
#      "status" gone, which no quick-tier scenario removes): the campaign
#      finds no-crash, reproduces it 3 of 3 times, shrinks it to one rule,
#      writes the .scn with the exchange log and the client's output, and
#      `acmefuzz suite --scenarios` on that file reports the same
#      violation; the corpus and the SARIF file (schema-valid) are written.
#   2. The reference client under the same seed, seeds and budget: no
#      finding.
#   3. --jobs 2 (two servers, two clients at once) against the reference
#      client, resuming from the corpus of 1: no finding, inputs counted.
#   4. SIGTERM stops a campaign: the findings table, exit status 143.
# Loopback only; no external client needed.
set -u

BUILD_DIR=${1:?usage: fuzz_zoo.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: fuzz_zoo.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$(cd "$BUILD_DIR" && pwd)/acmefuzz
WORK=""

say() { printf 'fuzz_zoo.sh: %s\n' "$*"; }
fail() { say "$*"; echo "FAIL: fuzz_zoo: $*"; exit 1; }
# shellcheck disable=SC2317
cleanup() { [ -n "$WORK" ] && rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"
[ -d "$SOURCE_DIR/corpus/suite/quick" ] || fail "$SOURCE_DIR/corpus/suite/quick is missing"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-fuzz-zoo.XXXXXX") || fail "mktemp failed"
start=$(date +%s)

# abort_on_error=1: in a sanitizer build the sanitizer's report of the
# crash (UBSan's null argument first) ends in SIGABRT, still a crash
# (no-crash), rather than exit status 1
TEMPLATE="ASAN_OPTIONS=abort_on_error=1 UBSAN_OPTIONS=abort_on_error=1 $ACMEFUZZ client --client NAME --directory {directory} --ca-bundle {ca_bundle} --domain {domain} --out {workdir}/out"
# faults that answer at once: no real-time Retry-After waits in make test
FAULTS=drop_field,wrong_type,unknown_fields,shuffle,directory_extras,unknown_challenge
mkdir -p "$WORK/seeds"
printf 'newOrder @1 -> drop_field(field=certificate)\n' >"$WORK/seeds/one-away.scn"
# the quick tier itself does not remove "status": the bug is not seeded
if grep -rq "drop_field(field=status" "$SOURCE_DIR/corpus/suite/quick"; then
    fail "corpus/suite/quick drops \"status\" itself: pick another one-away seed"
fi

campaign() { # NAME OUTDIR [extra args]
    local name=$1 out=$2
    shift 2
    "$ACMEFUZZ" fuzz --client-cmd "${TEMPLATE/NAME/$name}" --name "$name" \
        --seeds "$WORK/seeds" --faults "$FAULTS" --seed 6 --timeout 10 \
        --findings "$out/findings" --corpus "$out/corpus" --workdir "$out/work" "$@" \
        >"$out/stdout" 2>"$out/stderr"
}

# ---- 1. the zoo bug is found, stable, shrunk, replayable --------------------
zoo="zoo-crash-missing-status"
mkdir -p "$WORK/zoo"
campaign "$zoo" "$WORK/zoo" --runs 12 --sarif "$WORK/zoo/findings.sarif"
rc=$?
show() { sed 's/^/    /' "$1/stderr" "$1/stdout"; }
[ "$rc" = 1 ] || { show "$WORK/zoo"; fail "$zoo: exit $rc, expected 1 (findings)"; }
grep -Eq '^no-crash +HARM +[0-9]+ +3/3 ' "$WORK/zoo/stdout" \
    || { show "$WORK/zoo"; fail "$zoo: no stable no-crash finding in the table"; }
scn=$WORK/zoo/findings/no-crash.scn
[ -s "$scn" ] || fail "$zoo: $scn not written"
for f in exchanges.log client.log; do
    [ -s "$WORK/zoo/findings/no-crash.$f" ] || fail "$zoo: no-crash.$f not written"
done
grep -q "Segmentation fault\|SIGSEGV\|SIGABRT" "$WORK/zoo/findings/no-crash.client.log" "$WORK/zoo/findings/no-crash.exchanges.log" \
    || fail "$zoo: the evidence does not show the crash"
rules=$(grep -cv '^#' "$scn")
[ "$rules" = 1 ] || { cat "$scn"; fail "$zoo: the reproducer has $rules rules, expected 1"; }
grep -qx 'newOrder @1 -> drop_field(field=status)' "$scn" \
    || { cat "$scn"; fail "$zoo: unexpected reproducer"; }
ls "$WORK/zoo/corpus/"*.scn >/dev/null 2>&1 || fail "$zoo: the corpus is empty"
python3 - "$WORK/zoo/findings.sarif" "$SOURCE_DIR/tests/sarif-2.1.0-rtm.5.schema.json" <<'EOF' || fail "$zoo: SARIF file wrong"
import json, sys
log = json.load(open(sys.argv[1]))
try:
    import jsonschema
    schema = json.load(open(sys.argv[2]))
    errors = list(jsonschema.Draft4Validator(schema).iter_errors(log))
    for e in errors:
        print("schema:", "/".join(map(str, e.absolute_path)), e.message)
    assert not errors
except ImportError:
    pass  # suite_reports.sh requires it; the shape is checked below
res = log["runs"][0]["results"]
assert [r["ruleId"] for r in res] == ["no-crash"], res
assert "acmefuzz suite" in res[0]["message"]["text"], res[0]["message"]
EOF
"$ACMEFUZZ" suite --client-cmd "${TEMPLATE/NAME/$zoo}" --name "$zoo" --scenarios "$scn" \
    --timeout 10 --workdir "$WORK/zoo/replay" >"$WORK/zoo/replay.out" 2>&1
rc=$?
if [ "$rc" != 1 ] || ! grep -Eq '^no-crash .*VIOLATION no-crash' "$WORK/zoo/replay.out"; then
    sed 's/^/    /' "$WORK/zoo/replay.out"
    fail "$zoo: suite --scenarios on the reproducer: exit $rc, not no-crash"
fi
say "$zoo: no-crash found at input $(grep -o 'first seen at input [0-9]*' "$WORK/zoo/stdout" | grep -o '[0-9]*$') of 12, 3/3, shrunk to: $(grep -v '^#' "$scn"), replayed by suite"

# ---- 2. the reference client: no finding under the same budget ---------------
mkdir -p "$WORK/ref"
campaign reference "$WORK/ref" --runs 12
rc=$?
[ "$rc" = 0 ] || { show "$WORK/ref"; fail "reference: exit $rc, expected 0 (no finding)"; }
grep -q '^(none)$' "$WORK/ref/stdout" || { show "$WORK/ref"; fail "reference: findings table not empty"; }
say "reference: no finding in 12 inputs"

# ---- 3. two jobs at once, resuming from a corpus -------------------------------
mkdir -p "$WORK/par"
cp -r "$WORK/ref/corpus" "$WORK/par/corpus"
n_before=$(find "$WORK/par/corpus" -name "*.scn" | wc -l)
campaign reference "$WORK/par" --runs 6 --jobs 2
rc=$?
[ "$rc" = 0 ] || { show "$WORK/par"; fail "reference --jobs 2: exit $rc"; }
grep -q '^acmefuzz fuzz: 6 inputs' "$WORK/par/stdout" \
    || { show "$WORK/par"; fail "reference --jobs 2: not 6 inputs"; }
grep -q 'fuzz: .* inputs' "$WORK/par/stderr" || fail "no progress lines on stderr"
n_after=$(find "$WORK/par/corpus" -name "*.scn" | wc -l)
[ "$n_after" -ge "$n_before" ] || fail "the corpus shrank"
# ---- 4. SIGTERM stops a campaign: table printed, exit 128+15 -------------------
mkdir -p "$WORK/term"
# (not through campaign(): $! must be acmefuzz itself, not a subshell)
"$ACMEFUZZ" fuzz --client-cmd "${TEMPLATE/NAME/reference}" --name reference \
    --seeds "$WORK/seeds" --faults "$FAULTS" --time 120 --jobs 2 --timeout 10 \
    --workdir "$WORK/term/work" >"$WORK/term/stdout" 2>"$WORK/term/stderr" &
pid=$!
sleep 3
kill -TERM "$pid"
waited=0
while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 40 ]; do
    sleep 0.5
    waited=$((waited + 1))
done
kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid"; fail "SIGTERM: the campaign did not stop within 20 s"; }
wait "$pid"
rc=$?
[ "$rc" = 143 ] || { show "$WORK/term"; fail "SIGTERM: exit $rc, expected 143"; }
grep -q '^== findings' "$WORK/term/stdout" || fail "SIGTERM: no findings table"
say "SIGTERM: stopped, table printed, exit 143"
echo "PASS: fuzz_zoo: zoo bug found, stable, shrunk and replayed; reference clean;" \
    "--jobs 2; SIGTERM ($(($(date +%s) - start)) s)"
