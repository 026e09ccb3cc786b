#!/usr/bin/env bash
# fixtures.sh BUILD_DIR SOURCE_DIR - recorded histories of real clients,
# judged again: `acmefuzz judge --expected` over every
# corpus/fixtures/<client>/<scenario>.json must print exactly its
# <scenario>.expected (one "property verdict" line per property). A
# property change that flips a verdict on a real client's history fails
# here with the diff; if the change is deliberate, regenerate with
# scripts/make-fixtures.sh and review `git diff corpus/fixtures`.
# Needs no client: only the recorded JSON. Ends with "N passed, M failed".
set -u

BUILD_DIR=${1:?usage: fixtures.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: fixtures.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
FIX=$SOURCE_DIR/corpus/fixtures
[ -x "$ACMEFUZZ" ] || { echo "fixtures.sh: $ACMEFUZZ is missing: build first"; echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
for f in "$FIX"/*/*.json; do
    [ -e "$f" ] || continue
    name=${f#"$FIX"/}
    exp=${f%.json}.expected
    if [ ! -f "$exp" ]; then
        echo "FAIL $name: no ${exp#"$FIX"/} (scripts/make-fixtures.sh writes it)"
        failed=$((failed + 1))
        continue
    fi
    rc=0
    got=$("$ACMEFUZZ" judge --expected "$f" 2>&1) || rc=$?
    if [ "$rc" -ge 2 ]; then
        echo "FAIL $name: acmefuzz judge exited $rc:"
        printf '%s\n' "$got" | sed 's/^/    /'
        failed=$((failed + 1))
    elif ! diff -u --label "expected ${exp#"$FIX"/}" --label "judged now" "$exp" - <<<"$got" >/tmp/fixtures.$$.diff; then
        echo "FAIL $name: a verdict changed:"
        sed 's/^/    /' /tmp/fixtures.$$.diff
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
    rm -f /tmp/fixtures.$$.diff
done
# The loader refuses a broken fixture with a reason, and judge says so.
broken=$(mktemp "${TMPDIR:-/tmp}/acmefuzz-fixture.XXXXXX")
printf '{"history":{"exchanges":[{"index":0}],"events":[]}}\n' >"$broken"
rc=0
out=$("$ACMEFUZZ" judge "$broken" 2>&1) || rc=$?
rm -f "$broken"
if [ "$rc" = 2 ] && printf '%s' "$out" | grep -q 'history: exchanges\[0\]: member "seq" is missing'; then
    passed=$((passed + 1))
else
    echo "FAIL broken fixture: exit $rc, '$out'"
    failed=$((failed + 1))
fi
[ "$passed" -gt 1 ] || { echo "FAIL: no fixture under $FIX"; failed=$((failed + 1)); }
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
