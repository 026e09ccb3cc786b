#!/usr/bin/env bash
# fuzz.sh - what `make fuzz` runs: build every fuzz target with clang,
# libFuzzer and ASan/UBSan, fuzz each for its share of FUZZ_SECONDS, and end
# with a findings table (target, property, input file, replay command).
#
#   FUZZ_SECONDS  total fuzzing time, split across targets (default 60)
#   FUZZ_JOBS     >1 runs each target with libFuzzer -fork=FUZZ_JOBS
#   FUZZ_TARGETS  space-separated subset of targets (default: all)
#   FUZZ_OUT      where findings and grown corpora go (default build-fuzz/findings)
#
# Expected on a fresh machine: every zoo client's bug is found, and the
# reference client's and the hardening targets find nothing. The exit
# status is 0 when that holds, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${FUZZ_BUILD:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
out=${FUZZ_OUT:-$build/findings}

[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "fuzz: FUZZ_SECONDS must be a positive integer" >&2; exit 2; }
[[ $jobs =~ ^[0-9]+$ && $jobs -gt 0 ]] || { echo "fuzz: FUZZ_JOBS must be a positive integer" >&2; exit 2; }

echo "== fuzz: building with clang + libFuzzer + ASan/UBSan in $build"
mkdir -p "$build"
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DAFZ_FUZZ=ON -DAFZ_SANITIZE=ON \
      -DAFZ_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$build/configure.log" 2>&1 \
  || { cat "$build/configure.log"; exit 2; }
cmake --build "$build" -j "$(nproc)" > "$build/build.log" 2>&1 \
  || { tail -40 "$build/build.log"; exit 2; }

if [[ -n ${FUZZ_TARGETS:-} ]]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  mapfile -t targets < <(cd "$build/fuzz" && ls fuzz_* | sort)
fi
n=${#targets[@]}
share=$(( seconds / n )); [[ $share -ge 1 ]] || share=1
echo "== fuzz: ${n} targets, ${share} s each (FUZZ_SECONDS=$seconds), jobs=$jobs"
mkdir -p "$out"

client_of() { # fuzz_zoo_refinalizer_2023 -> zoo-refinalizer-2023
  case $1 in
    fuzz_reference) echo reference ;;
    fuzz_independent) echo independent ;;
    fuzz_zoo_*) local s=${1#fuzz_zoo_}; echo "zoo-${s//_/-}" ;;
    *) echo "" ;;
  esac
}

rows=()
status=0
for t in "${targets[@]}"; do
  bin=$build/fuzz/$t
  [[ -x $bin ]] || { echo "fuzz: no target $t" >&2; status=1; continue; }
  work=$out/$t
  rm -rf "$work"; mkdir -p "$work/corpus" "$work/artifacts"
  seeds=$root/corpus/fuzz/$t
  args=(-max_total_time="$share" -artifact_prefix="$work/artifacts/" -print_final_stats=1
        -timeout=20 -rss_limit_mb=2048)
  case $t in
    fuzz_reference|fuzz_independent|fuzz_zoo_*|fuzz_plan) args+=(-max_len=128) ;;   # 1 + 16 rules x 6 bytes
    *) args+=(-max_len=4096 -dict="$root/corpus/acme.dict") ;;      # text surfaces
  esac
  [[ $jobs -gt 1 ]] && args+=(-fork="$jobs")
  corpora=("$work/corpus"); [[ -d $seeds ]] && corpora+=("$seeds")
  printf '== %-34s ' "$t"
  start=$(date +%s.%N)
  # The reference client is the project's correct client: held to every
  # level (AFZ_FAIL_ON=all) unless the caller chose a policy; a zoo target
  # stops on its own property whatever the policy.
  AFZ_FAIL_ON=${AFZ_FAIL_ON:-all} "$bin" "${args[@]}" "${corpora[@]}" > "$work/log.txt" 2>&1
  elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log.txt" | tail -1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log.txt" | tail -1)
  crash=$(ls "$work"/artifacts/crash-* "$work"/artifacts/timeout-* "$work"/artifacts/oom-* 2>/dev/null | head -1)
  client=$(client_of "$t")
  if [[ -n $crash ]]; then
    prop=$(sed -n 's/^==acmefuzz== VIOLATION \([a-z-]*\).*/\1/p' "$work/log.txt" | head -1)
    [[ -n $prop ]] || prop=$(grep -m1 -o 'AddressSanitizer: [A-Za-z-]*\|runtime error\|deadly signal\|ERROR: libFuzzer: [a-z-]*' "$work/log.txt" | head -1)
    [[ -n $prop ]] || prop="crash"
    replay="$build/acmefuzz replay $crash${client:+ --client $client}"
    [[ -z $client ]] && replay="$bin $crash"
    echo "FOUND   ${prop} after ${elapsed}s (${execs:-?} execs, ${eps:-?}/s)"
    rows+=("$t|$prop|$crash|$replay")
    [[ $t == fuzz_zoo_* ]] || status=1
  else
    echo "clean   ${elapsed}s (${execs:-?} execs, ${eps:-?}/s)"
    rows+=("$t|-|-|-")
    [[ $t == fuzz_zoo_* ]] && status=1
  fi
done

echo
echo "== findings"
printf '%-34s %-24s %s\n' TARGET PROPERTY REPLAY
for r in "${rows[@]}"; do
  IFS='|' read -r t prop file replay <<<"$r"
  printf '%-34s %-24s %s\n' "$t" "$prop" "$replay"
done
echo
if [[ $status -eq 0 ]]; then
  echo "fuzz: as expected: every zoo bug found, nothing in the correct clients (reference, independent) or the harness"
else
  echo "fuzz: UNEXPECTED: a zoo bug was not found, or a correct client or the harness has a finding"
fi
echo "minimize a finding: $build/fuzz/TARGET -minimize_crash=1 -runs=10000 FILE; then"
echo "  $build/acmefuzz decode MINIMIZED-FILE   prints the plan as .scn"
exit $status
