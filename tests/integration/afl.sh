#!/usr/bin/env bash
# afl.sh BUILD_DIR SOURCE_DIR - AFL++ runs the libFuzzer targets unchanged.
#
# Runs scripts/afl.sh: fuzz_reference built with afl-clang-fast and AFL++'s
# libFuzzer-compatible driver (in BUILD_DIR/afl, with ASan/UBSan when
# BUILD_DIR is a sanitizer build), then afl-fuzz for 10 s on its seed
# corpus in a temporary folder. Passes when afl-fuzz's fuzzer_stats shows
# executions (execs_done > 0) and no crash was saved.
#
# Needs the afl++ package (`make test` installs it); a missing AFL++ is a
# FAIL, never a silent skip.
set -u
BUILD_DIR=${1:?usage: afl.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: afl.sh BUILD_DIR SOURCE_DIR}
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)

fail() { echo "FAIL afl: $*"; echo "0 passed, 1 failed"; exit 1; }
command -v afl-fuzz > /dev/null && command -v afl-clang-fast > /dev/null \
  || fail "AFL++ is missing (bash scripts/install-deps.sh afl)"

sanitize=0
grep -q '^AFZ_SANITIZE:BOOL=ON' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null && sanitize=1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

log=$(AFZ_AFL_BUILD="$BUILD_DIR/afl" AFZ_AFL_TARGET=fuzz_reference AFZ_AFL_SECONDS=10 \
      AFZ_AFL_OUT="$out" AFZ_AFL_SANITIZE=$sanitize bash "$SOURCE_DIR/scripts/afl.sh" 2>&1)
rc=$?
echo "$log"
stats=$out/default/fuzzer_stats
[[ -f $stats ]] || fail "afl-fuzz wrote no fuzzer_stats (scripts/afl.sh exit $rc)"
execs=$(sed -n 's/^execs_done *: *//p' "$stats")
[[ ${execs:-0} -gt 0 ]] || fail "afl-fuzz made no executions"
[[ $rc -eq 0 ]] || fail "scripts/afl.sh exit $rc"
echo "PASS afl: fuzz_reference under afl-fuzz, $execs executions (sanitizers: $sanitize)"
echo "1 passed, 0 failed"
