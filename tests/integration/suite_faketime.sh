#!/usr/bin/env bash
# suite_faketime.sh BUILD_DIR SOURCE_DIR - faster clocks (--time-scale):
# the client runs under libfaketime (FAKETIME="+0 x10") and the server's
# clock runs ten times real time too, so Retry-After is judged on the
# client's clock. Built-in clients as binaries (`acmefuzz client`):
#   1. the reference client on Retry-After scenarios holds every property
#      (--fail-on all) at x10, and in under half the real-time wall time;
#   2. zoo-ignores-retry-after is caught at x10 exactly as in real time
#      (the same scenarios, the same property), zoo-httpdate-as-zero at
#      x10 on the HTTP-date scenario only (dates on the scaled clock);
#   3. a Go binary (lego, when installed) is refused the preload with a
#      warning and runs in real time.
# Skipped (77) without libfaketime (Debian package faketime).
set -u

BUILD_DIR=${1:?usage: suite_faketime.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: suite_faketime.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$(cd "$BUILD_DIR" && pwd)/acmefuzz
QUICK=$SOURCE_DIR/corpus/suite/quick
WORK=""

say() { printf 'suite_faketime.sh: %s\n' "$*"; }
fail() { say "$*"; echo "FAIL: suite_faketime: $*"; exit 1; }
# shellcheck disable=SC2317
cleanup() { [ -n "$WORK" ] && rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"
have_lib=${AFZ_FAKETIME_LIB:-}
for f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
    [ -e "$f" ] && have_lib=$f
done
if [ -z "$have_lib" ]; then
    say "libfaketime is not installed (Debian package faketime): skipped"
    exit 77
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-faketime.XXXXXX") || fail "mktemp failed"
TEMPLATE="$ACMEFUZZ client --client NAME --directory {directory} --ca-bundle {ca_bundle} --domain {domain} --out {workdir}/out"
mkdir -p "$WORK/scn"
for s in rate-limited-neworder async-finalize-httpdate retry-after-poll; do
    cp "$QUICK/$s.scn" "$WORK/scn/" || fail "$QUICK/$s.scn is missing"
done

suite() { # NAME SCALE OUT
    "$ACMEFUZZ" suite --client-cmd "${TEMPLATE/NAME/$1}" --name "$1" --scenarios "$WORK/scn" \
        --timeout 30 --fail-on all --time-scale "$2" --workdir "$WORK/runs-$1-$2" >"$3" 2>&1
}
# the verdict column of every scenario line
verdicts() { grep -E '^\[' "$1" | awk '{ $1 = $2 = ""; print }' | sed -E 's/ +[0-9.]+ s +/ /'; }

# ---- 1. the reference client: clean, and faster -----------------------------
t0=$(date +%s%N)
suite reference 1 "$WORK/ref1.out"
rc1=$?
t1=$(date +%s%N)
suite reference 10 "$WORK/ref10.out"
rc10=$?
t2=$(date +%s%N)
real_ms=$(((t1 - t0) / 1000000))
fast_ms=$(((t2 - t1) / 1000000))
[ "$rc1" = 0 ] || { cat "$WORK/ref1.out"; fail "reference in real time: exit $rc1"; }
[ "$rc10" = 0 ] || { cat "$WORK/ref10.out"; fail "reference at x10: exit $rc10 (a false alarm of the scaled clock)"; }
grep -q "run 10 times real time" "$WORK/ref10.out" || fail "x10 not announced"
[ $((fast_ms * 2)) -lt "$real_ms" ] || fail "x10 took $fast_ms ms, real time $real_ms ms: not faster"
say "reference: clean at x1 ($real_ms ms) and x10 ($fast_ms ms)"

# ---- 2. zoo clients caught the same way ----------------------------------------
zoo="zoo-ignores-retry-after"
suite "$zoo" 1 "$WORK/$zoo-1.out"
suite "$zoo" 10 "$WORK/$zoo-10.out"
v1=$(verdicts "$WORK/$zoo-1.out")
v10=$(verdicts "$WORK/$zoo-10.out")
grep -q "respects-retry-after" <<<"$v10" || { cat "$WORK/$zoo-10.out"; fail "$zoo not caught at x10"; }
[ "$v1" = "$v10" ] || { printf '%s\n---\n%s\n' "$v1" "$v10"; fail "$zoo: verdicts differ between x1 and x10"; }
say "$zoo: the same verdicts at x1 and x10"
# an HTTP-date read as 0: the dates are on the scaled wall clock
zoo="zoo-httpdate-as-zero"
suite "$zoo" 10 "$WORK/$zoo-10.out"
grep -Eq '^\[.*async-finalize-httpdate.scn +VIOLATION .*respects-retry-after' "$WORK/$zoo-10.out" \
    || { cat "$WORK/$zoo-10.out"; fail "$zoo not caught at x10"; }
grep -Eq '^\[.*rate-limited-neworder.scn +pass' "$WORK/$zoo-10.out" \
    || { cat "$WORK/$zoo-10.out"; fail "$zoo: delta-seconds Retry-After flagged at x10"; }
say "$zoo: caught on the HTTP-date scenario only, at x10"

# ---- 3. a Go binary runs in real time ------------------------------------------
if command -v lego >/dev/null 2>&1; then
    "$ACMEFUZZ" suite --client lego --scenarios "$QUICK/plain.scn" --time-scale 10 \
        --workdir "$WORK/lego" >"$WORK/lego.out" 2>&1
    grep -q "time-scale 10 ignored: lego is a Go binary" "$WORK/lego.out" \
        || { cat "$WORK/lego.out"; fail "lego: no real-time fallback"; }
    say "lego: Go binary, real time"
fi
echo "PASS: suite_faketime: x10 clean for the reference client, zoo verdicts unchanged" \
    "($real_ms ms -> $fast_ms ms)"
