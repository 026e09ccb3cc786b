#!/usr/bin/env bash
# afl.sh - build the fuzz targets with AFL++ and run one under afl-fuzz:
#
#   bash scripts/afl.sh                                  # fuzz_reference, 10 s
#   AFZ_AFL_TARGET=fuzz_server AFZ_AFL_SECONDS=600 AFZ_AFL_OUT=afl-out bash scripts/afl.sh
#
# The targets are the libFuzzer ones, unchanged: afl-clang-fast compiles
# the library and the targets with AFL++'s coverage instrumentation, and
# AFZ_FUZZ_ENGINE=-fsanitize=fuzzer makes afl-clang-fast link AFL++'s
# libFuzzer-compatible driver (/usr/lib/afl/libAFLDriver.a in Debian 12's
# afl++ package) where the standalone driver would go, so the same
# LLVMFuzzerTestOneInput runs in AFL++'s persistent mode. The seeds are
# corpus/fuzz/<target>/.
#
#   AFZ_AFL_BUILD     build folder (default build-afl)
#   AFZ_AFL_TARGET    the target to fuzz (default fuzz_reference)
#   AFZ_AFL_SECONDS   how long afl-fuzz runs, its -V (default 10)
#   AFZ_AFL_OUT       afl-fuzz's output folder (default: a temporary folder,
#                     removed at exit; set it to keep the queue and findings)
#   AFZ_AFL_SANITIZE  1: build with ASan/UBSan too (AFZ_SANITIZE; slower)
# (Not AFL_*: afl-fuzz warns about every AFL_ variable it does not know.)
#
# Needs the afl++ Debian package (scripts/install-deps.sh afl installs it).
# Prints afl-fuzz's execs_done, execs_per_sec and saved_crashes. Exit
# status: 0 when afl-fuzz ran executions and saved no crash (for a zoo
# target, when it saved at least one: its bug), 1 otherwise, 2 when the
# build or afl-fuzz itself failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${AFZ_AFL_BUILD:-build-afl}
target=${AFZ_AFL_TARGET:-fuzz_reference}
seconds=${AFZ_AFL_SECONDS:-10}
sanitize=${AFZ_AFL_SANITIZE:-0}

[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] \
  || { echo "afl: AFZ_AFL_SECONDS must be a positive integer" >&2; exit 2; }
for tool in afl-clang-fast afl-clang-fast++ afl-fuzz; do
  command -v "$tool" > /dev/null || {
    echo "afl: $tool is missing; install AFL++: bash scripts/install-deps.sh afl" >&2; exit 2; }
done
seeds=$root/corpus/fuzz/$target
[[ -d $seeds ]] || { echo "afl: no seed corpus at $seeds" >&2; exit 2; }

san=OFF; [[ $sanitize == 1 ]] && san=ON
echo "== afl: building $target with afl-clang-fast (sanitizers: $san) in $build"
export AFL_QUIET=1
cmake -S . -B "$build" -DCMAKE_C_COMPILER=afl-clang-fast -DCMAKE_CXX_COMPILER=afl-clang-fast++ \
      -DAFZ_FUZZ_ENGINE=-fsanitize=fuzzer -DAFZ_SANITIZE="$san" -DAFZ_BUILD_TESTS=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$build.configure.log" 2>&1 \
  || { tail -30 "$build.configure.log"; exit 2; }
cmake --build "$build" -j "$(nproc)" --target "$target" > "$build.build.log" 2>&1 \
  || { tail -30 "$build.build.log"; exit 2; }
bin=$build/fuzz/$target

out=${AFZ_AFL_OUT:-}
if [[ -z $out ]]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
echo "== afl: afl-fuzz -V $seconds on $target, seeds $seeds, output $out"
# No CPU-frequency or core_pattern checks (containers, CI), no CPU binding
# (CTest runs other tests beside this one), no UI, no memory limit (ASan
# reserves terabytes of address space).
# Sanitizer options are afl-fuzz's own (abort_on_error, symbolize=0, ...):
# it refuses the ones `make test` exports for the other tests.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS MSAN_OPTIONS
timeout $((seconds + 120)) afl-fuzz -i "$seeds" -o "$out" -V "$seconds" -m none -t 5000 \
  -- "$bin" > "$out.log" 2>&1
rc=$?
stats=$out/default/fuzzer_stats
if [[ ! -f $stats ]]; then
  echo "afl: afl-fuzz wrote no fuzzer_stats (exit $rc):" >&2
  tail -30 "$out.log" >&2
  rm -f "$out.log"
  exit 2
fi
rm -f "$out.log"
stat() { sed -n "s/^$1 *: *//p" "$stats" | head -1; }
execs=$(stat execs_done); eps=$(stat execs_per_sec); crashes=$(stat saved_crashes)
[[ -n $crashes ]] || crashes=$(stat unique_crashes)
echo "afl: $target: execs_done ${execs:-0}, execs_per_sec ${eps:-?}, saved_crashes ${crashes:-0}"
for f in "$out"/default/crashes/id:*; do
  [[ -e $f ]] && echo "afl: crash input $f (replay: $bin $f)"
done
[[ ${execs:-0} -gt 0 ]] || { echo "afl: no executions" >&2; exit 1; }
if [[ $target == fuzz_zoo_* ]]; then
  [[ ${crashes:-0} -gt 0 ]] || { echo "afl: the zoo client's bug was not found" >&2; exit 1; }
else
  [[ ${crashes:-0} -eq 0 ]] || { echo "afl: UNEXPECTED crash in $target" >&2; exit 1; }
fi
exit 0
