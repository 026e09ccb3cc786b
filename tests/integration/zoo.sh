#!/usr/bin/env bash
# zoo.sh - every zoo client is caught by the property it names, and the
# reference client is not, on the same scenario.
#
# usage: bash zoo.sh BUILD_DIR SOURCE_DIR   (CTest passes both)
#
# For each client that `acmefuzz list clients` shows with a name starting
# "zoo-", run it on SOURCE_DIR/corpus/zoo/<name>.scn with --fail-on all
# (a zoo client is caught by its own property at whatever level it has):
#   - a client whose expected property is "crash" must terminate
#     abnormally: killed by a signal, or a sanitizer report on stderr (a
#     sanitizer exits with a status of its own), or its crash caught by
#     `run` (afz_crash.h): exit 1 with "VIOLATION no-crash"; exit 0 or 1
#     without one of those fails;
#   - any other must exit 1 with a line "VIOLATION <expected-property> ".
# Then run the reference client on the same scenario: it must exit 0 or 1
# (a clean failure under a degraded or malformed plan is fine) and print no
# VIOLATION line at all.
# One line per case, then "N passed, M failed"; the exit status is 1 when
# anything failed.
set -u

build=${1:?usage: zoo.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: zoo.sh BUILD_DIR SOURCE_DIR}
bin="$build/acmefuzz"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'PASS %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$1"; }

if [ ! -x "$bin" ]; then
    echo "zoo.sh: $bin not built" >&2
    exit 1
fi

# run CLIENT SCENARIO: runs one case, leaving stdout/stderr in $tmp and
# the exit status in $rc. Sanitizers abort on the first report, so a
# report always ends the run.
run() {
    local timeout_cmd=()
    command -v timeout > /dev/null && timeout_cmd=(timeout 120)
    # (the braces keep bash's "Segmentation fault" notice out of the log)
    {
        ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
            "${timeout_cmd[@]}" "$bin" run --client "$1" --scenario "$2" --fail-on all \
            > "$tmp/out" 2> "$tmp/err"
        rc=$?
    } 2> /dev/null
}

sanitizer_report() {
    grep -qE 'AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer|runtime error:' "$tmp/err"
}

# the VIOLATION lines of the last run, as "id" per line
violations() {
    sed -n 's/^VIOLATION \([^ ]*\) .*/\1/p' "$tmp/out"
}

zoo=$("$bin" list clients | awk '$1 ~ /^zoo-/ { print $1, $2 }')
if [ -z "$zoo" ]; then
    echo "zoo.sh: 'acmefuzz list clients' lists no zoo client" >&2
    exit 1
fi

while read -r name expected; do
    scn="$src/corpus/zoo/$name.scn"
    if [ ! -f "$scn" ]; then
        fail "$name: no scenario $scn"
        continue
    fi

    run "$name" "$scn"
    if [ "$expected" = crash ]; then
        if [ "$rc" -ge 128 ] && [ "$rc" -ne 124 ]; then
            pass "$name: crashed (signal $((rc - 128)))"
        elif sanitizer_report; then
            pass "$name: crashed (sanitizer report, exit $rc)"
        elif [ "$rc" -eq 1 ] && violations | grep -qxF no-crash; then
            pass "$name: crashed, caught: VIOLATION no-crash"
        else
            fail "$name: expected a crash, got exit $rc"
        fi
    elif [ "$rc" -eq 1 ] && violations | grep -qxF -- "$expected"; then
        pass "$name: VIOLATION $expected"
    else
        got=$(violations | tr '\n' ' ')
        fail "$name: expected exit 1 and VIOLATION $expected, got exit $rc, violations: ${got:-none}"
    fi

    run reference "$scn"
    got=$(violations | tr '\n' ' ')
    if [ "$rc" -gt 1 ]; then
        fail "reference on $name.scn: exit $rc$(sanitizer_report && echo ' (sanitizer report)')"
    elif [ -n "$got" ]; then
        fail "reference on $name.scn: violations: $got"
    else
        pass "reference on $name.scn: clean (exit $rc)"
    fi
done <<< "$zoo"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
