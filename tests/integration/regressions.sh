#!/usr/bin/env bash
# regressions.sh BUILD_DIR SOURCE_DIR - replay the named incident corpus.
#
# For every corpus/regressions/*.scn:
#   - the file is named in lower case with dashes, opens with a '#' header
#     that has a "Sources:" line, and has a row in the corpus README;
#   - `acmefuzz decode FILE` succeeds and prints exactly the file's rule
#     lines (comments and blank lines removed): the corpus is canonical;
#   - `acmefuzz encode FILE` then `acmefuzz decode` of that binary prints
#     the same text (the binary form round-trips);
#   - `acmefuzz run --client reference --scenario FILE --fail-on all` is
#     bounded by a timeout; its class is read from the "scenario FILE
#     (CLASS):" line. The reference client is held to every level: a legal
#     or real-world scenario must exit 0 (certificate obtained, no
#     violation at any level). A degraded or
#     malformed one may exit 0 or 1 (a clean failure, or later a property
#     verdict), never 2, a signal or the timeout; its output must not
#     mention a spent budget. No run may print a sanitizer report.
#
# One line per scenario, then a last line "N passed, M failed" (CI reads
# it). Exit status 0 only when every scenario passed and there was at
# least one. Everything runs locally; temporary files live in one mktemp
# directory removed on exit.
set -u

BUILD_DIR=${1:?usage: regressions.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: regressions.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
CORPUS=$SOURCE_DIR/corpus/regressions
README=$CORPUS/README.md
RUN_TIMEOUT=${AFZ_REGRESSION_TIMEOUT:-120}

passed=0
failed=0

if [ ! -x "$ACMEFUZZ" ]; then
    echo "FAIL: $ACMEFUZZ is missing: build first"
    echo "0 passed, 1 failed"
    exit 1
fi
if [ ! -d "$CORPUS" ]; then
    echo "FAIL: corpus directory $CORPUS is missing"
    echo "0 passed, 1 failed"
    exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/afz-regressions.XXXXXX") || {
    echo "FAIL: mktemp"
    echo "0 passed, 1 failed"
    exit 1
}
# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

TIMEOUT=()
if command -v timeout >/dev/null; then
    TIMEOUT=(timeout -k 5 "$RUN_TIMEOUT")
fi

# rule_lines FILE: the statements of a .scn file, as the grammar reads
# them: '#' to end of line removed, surrounding blanks trimmed, empty
# lines dropped.
rule_lines() {
    sed -e 's/#.*$//' -e 's/^[[:blank:]]*//' -e 's/[[:blank:]]*$//' "$1" | grep -v '^$'
}

# check_one FILE: on success prints "(CLASS) OUTCOME" and returns 0; on
# failure prints "(CLASS) reason" (CLASS "?" before the run) and returns 1.
say() { printf '(%s) %s\n' "$CLASS" "$*"; }

check_one() {
    local f=$1 base rc out
    base=$(basename "$f")
    CLASS="?"
    OUTCOME=""

    if ! [[ $base =~ ^[a-z0-9]+(-[a-z0-9]+)*\.scn$ ]]; then
        say "file name is not lower-case words joined by dashes"
        return 1
    fi
    if ! head -n 1 "$f" | grep -q '^#'; then
        say "no header comment"
        return 1
    fi
    if ! grep -q '^#.*Sources\?:' "$f"; then
        say "header cites no source (no 'Sources:' line)"
        return 1
    fi
    if [ ! -f "$README" ] || ! grep -qF "$base" "$README"; then
        say "not listed in corpus/regressions/README.md"
        return 1
    fi

    # Canonical form: decode prints exactly the rule lines of the file.
    if ! ${TIMEOUT[@]+"${TIMEOUT[@]}"} "$ACMEFUZZ" decode "$f" >"$WORK/decoded" 2>"$WORK/decode.err"; then
        say "decode failed: $(head -n 1 "$WORK/decode.err")"
        return 1
    fi
    rule_lines "$f" >"$WORK/rules"
    if ! cmp -s "$WORK/rules" "$WORK/decoded"; then
        say "rule lines are not canonical; decode prints:"
        sed 's/^/        /' "$WORK/decoded"
        return 1
    fi

    # Binary round trip: encode, then decode the binary.
    if ! ${TIMEOUT[@]+"${TIMEOUT[@]}"} "$ACMEFUZZ" encode "$f" >"$WORK/plan.bin" 2>"$WORK/encode.err"; then
        say "encode failed: $(head -n 1 "$WORK/encode.err")"
        return 1
    fi
    if ! ${TIMEOUT[@]+"${TIMEOUT[@]}"} "$ACMEFUZZ" decode "$WORK/plan.bin" >"$WORK/redecoded" 2>"$WORK/decode.err"; then
        say "decode of the encoded binary failed: $(head -n 1 "$WORK/decode.err")"
        return 1
    fi
    if ! cmp -s "$WORK/decoded" "$WORK/redecoded"; then
        say "encode+decode differs from the text decode"
        return 1
    fi

    # The reference client under the plan.
    ${TIMEOUT[@]+"${TIMEOUT[@]}"} "$ACMEFUZZ" run --client reference --scenario "$f" --fail-on all >"$WORK/run.out" 2>&1
    rc=$?
    out="$WORK/run.out"
    OUTCOME=$(grep -m 1 '^outcome:' "$out" | sed 's/^outcome: //')
    CLASS=$(sed -n 's/^scenario .* (\(legal\|real-world\|degraded\|malformed\)):$/\1/p' "$out" | head -n 1)
    [ -n "$CLASS" ] || CLASS="?"

    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        say "run timed out after ${RUN_TIMEOUT}s"
        return 1
    fi
    if [ "$rc" -gt 128 ]; then
        say "run killed by signal $((rc - 128))"
        return 1
    fi
    if grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$out"; then
        say "sanitizer report in the run output"
        return 1
    fi
    if [ "$CLASS" = "?" ]; then
        say "run printed no scenario class (exit $rc)"
        return 1
    fi
    if grep -qi 'budget' "$out"; then
        say "run spent its budget (exit $rc): $OUTCOME"
        return 1
    fi
    case $CLASS in
    legal | real-world)
        if [ "$rc" -ne 0 ]; then
            say "$CLASS plan but exit $rc (want 0, certificate obtained): $OUTCOME"
            return 1
        fi
        ;;
    *)
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
            say "exit $rc (want 0 or 1): $OUTCOME"
            return 1
        fi
        ;;
    esac
    say "exit $rc: $OUTCOME"
    return 0
}

shopt -s nullglob
files=("$CORPUS"/*.scn)
shopt -u nullglob

if [ "${#files[@]}" -eq 0 ]; then
    echo "FAIL: no scenarios in $CORPUS"
    echo "0 passed, 1 failed"
    exit 1
fi

for f in "${files[@]}"; do
    base=$(basename "$f")
    # check_one runs in a subshell: it reports through its output only.
    msg=$(check_one "$f")
    status=$?
    if [ "$status" -eq 0 ]; then
        passed=$((passed + 1))
        printf 'PASS %s %s\n' "$base" "$msg"
    else
        failed=$((failed + 1))
        printf 'FAIL %s %s\n' "$base" "$msg"
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
