#!/usr/bin/env bash
# suite_zoo.sh BUILD_DIR SOURCE_DIR - suite mode measured the way users run
# it: built-in clients as binaries (`acmefuzz client --client NAME` over
# libcurl and HTTPS) under `acmefuzz suite --client-cmd`.
#
#   1. A sample of zoo clients, each on the corpus/suite/quick scenario
#      that meets its bug, is caught under its own property (the client's
#      expected property, `acmefuzz list clients`) at --fail-on all.
#   2. The reference client passes the fast part of the quick tier (the
#      scenarios without real-time Retry-After waits) with no violation at
#      --fail-on all, drop-connection-finalize included (its transport
#      sends signed requests on fresh connections, so libcurl no longer
#      re-sends a finalize whose connection dropped).
# The whole quick tier (about 75 s for the reference client) and the full
# tier against every zoo client are the documented commands in README.md.
# Loopback only; no external client needed.
set -u

BUILD_DIR=${1:?usage: suite_zoo.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: suite_zoo.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$(cd "$BUILD_DIR" && pwd)/acmefuzz
QUICK=$SOURCE_DIR/corpus/suite/quick
WORK=""

say() { printf 'suite_zoo.sh: %s\n' "$*"; }
fail() { say "$*"; echo "FAIL: suite_zoo: $*"; exit 1; }
# shellcheck disable=SC2317
cleanup() { [ -n "$WORK" ] && rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-suite-zoo.XXXXXX") || fail "mktemp failed"
start=$(date +%s)

TEMPLATE="$ACMEFUZZ client --client NAME --directory {directory} --ca-bundle {ca_bundle} --domain {domain} --out {workdir}/out"

# ---- 1. zoo clients caught under their own property -------------------------
# client:scenario:timeout (the property is the client's expected one)
for entry in zoo-ignores-retry-after:rate-limited-neworder:20 \
    zoo-httpdate-as-zero:async-finalize-httpdate:20 \
    zoo-refinalizer-2023:async-finalize:20 \
    zoo-cert-from-location:async-finalize:20 \
    zoo-no-badnonce-retry:bad-nonce:20 \
    zoo-post-as-get-braces:plain:20 \
    zoo-polls-invalid:order-invalid:8; do
    IFS=: read -r zoo scn tmo <<<"$entry"
    prop=$("$ACMEFUZZ" list clients | awk -v c="$zoo" '$1 == c { print $2 }')
    [ -n "$prop" ] && [ "$prop" != - ] || fail "$zoo: no expected property in 'list clients'"
    mkdir -p "$WORK/$zoo/scn"
    cp "$QUICK/$scn.scn" "$WORK/$zoo/scn/" || fail "$QUICK/$scn.scn is missing"
    "$ACMEFUZZ" suite --client-cmd "${TEMPLATE/NAME/$zoo}" --name "$zoo" \
        --scenarios "$WORK/$zoo/scn" --timeout "$tmo" --fail-on all \
        --workdir "$WORK/$zoo/runs" >"$WORK/$zoo.out" 2>&1
    rc=$?
    line=$(grep -E "^$scn +" "$WORK/$zoo.out")
    if [ "$rc" != 1 ] || ! grep -Eq "VIOLATION (.*[ ,])?$prop([ ,(]|\$)" <<<"$line"; then
        sed 's/^/    /' "$WORK/$zoo.out"
        fail "$zoo on $scn: exit $rc, not caught under $prop"
    fi
    say "$zoo caught by quick/$scn under $prop"
done

# ---- 2. the reference client passes (fast part of the quick tier) -----------
mkdir -p "$WORK/ref/scn"
for scn in plain bad-nonce bad-nonce-twice order-ready authz-reuse sync-finalize \
    unknown-fields alternate-chains invalid-json-order valid-without-certificate order-invalid \
    drop-connection-finalize; do
    cp "$QUICK/$scn.scn" "$WORK/ref/scn/" || fail "$QUICK/$scn.scn is missing"
done
"$ACMEFUZZ" suite --client-cmd "${TEMPLATE/NAME/reference}" --name reference \
    --scenarios "$WORK/ref/scn" --timeout 20 --fail-on all --workdir "$WORK/ref/runs" \
    >"$WORK/ref.out" 2>&1
rc=$?
sed 's/^/    /' "$WORK/ref.out"
[ "$rc" = 0 ] || fail "the reference client breaks a property on the quick tier (exit $rc)"
grep -q "12 scenario(s): 12 passed, 0 failed; 0 warning(s)" "$WORK/ref.out" \
    || fail "the reference client: not 12 clean passes"
echo "PASS: suite_zoo: 7 zoo clients caught under their own property, reference clean" \
    "($(($(date +%s) - start)) s)"
