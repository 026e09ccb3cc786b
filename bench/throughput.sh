#!/usr/bin/env bash
# throughput.sh BUILD_DIR OUT_DIR - issue #8, section 1: throughput.
#
# What: executions per second of every fuzz target on one core, beside a
# crypto-only loop that does the same public-key operations, measured in
# the same run on the same core, and their ratio (target / crypto-only;
# 1.0 = the harness costs nothing beyond its crypto; the issue's goal is
# 0.85 for fuzz_reference).
#
# How, per target T (BUILD_DIR/bench/bench_T, the fuzz target's own source
# wrapped by bench/afz_bench_shim.c, see bench/README.md):
#   1. libFuzzer -runs=N -seed=1 over a scratch corpus plus the committed
#      seeds, pinned with taskset to BENCH_CPU, with make fuzz's flags
#      (-max_len=128 for plan targets; 4096 and the dictionary for text
#      targets). The shim counts executions (leaving out those that set
#      up the CA and keys: the first, or the first that needs them), their
#      CPU and wall time, and every public-key operation the library made
#      (harness/core/base/afz_cryptostat.h).
#   2. BUILD_DIR/bench/afz_crypto_floor replays exactly those operations
#      (same key types, digests, EVP calls and payload sizes) on the same
#      core and times them: crypto-only iterations per second.
# exec/s and crypto-only it/s are on the process's CPU clock, so other
# load on the machine inflates them less than it would wall time; wall
# time is in the JSON too.
#
# Zoo targets stop on their client's bug; here they run with
# AFZ_FUZZ_NO_ABORT=1 (the violation is printed, the run goes on) and start
# from the reference seeds, because each zoo corpus holds a seed that
# triggers the bug at once. zoo-crash-missing-status really crashes (a
# segfault no flag can step over): its figure covers the executions before
# the crash (the shim writes its counts every 128 executions), and says so.
#
# Also printed: fuzz_reference by account key algorithm (the plan header
# picks ES256 unless bits 6-7 are 11, then bits 2-3 pick ES256, ES384,
# RS256 or EdDSA; afz_plan.h): the reference seeds with those bits
# forced to each algorithm, no mutation, with their own crypto floor.
#
# Knobs (env): BENCH_QUICK=1 (small N), TP_RUNS_REFERENCE (default 3000;
# quick 300), TP_RUNS_ZOO (400; quick 60), TP_RUNS_HARDENING (3000; quick
# 300), TP_TARGETS (subset), BENCH_CPU (default: the last core).
# Output: a table on stdout and OUT_DIR/throughput.json. Exit status 0
# whatever the figures; 2 for a usage error.
set -u

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_setup throughput "$@"

if [ "${BENCH_QUICK:-0}" != 0 ]; then
  d_ref=300 d_zoo=60 d_hard=300
else
  d_ref=3000 d_zoo=400 d_hard=3000
fi
RUNS_REF=${TP_RUNS_REFERENCE:-$d_ref}
RUNS_ZOO=${TP_RUNS_ZOO:-$d_zoo}
RUNS_HARD=${TP_RUNS_HARDENING:-$d_hard}
ncpu=$(nproc 2>/dev/null || echo 1)
CPU=${BENCH_CPU:-$((ncpu - 1))}
for v in RUNS_REF RUNS_ZOO RUNS_HARD; do
  [[ ${!v} =~ ^[0-9]+$ && ${!v} -gt 1 ]] || { echo "throughput.sh: $v must be an integer > 1" >&2; exit 2; }
done

not_measured() {
  echo "1: throughput: not measured: $1"
  jq -n --arg r "$1" '{section: "throughput", measured: false, reason: $r}' > "$JSON_OUT"
  exit 0
}
command -v jq > /dev/null || not_measured "jq is missing (scripts/install-deps.sh bench)"
command -v taskset > /dev/null || not_measured "taskset (util-linux) is missing"
FLOOR=$BUILD_DIR/bench/afz_crypto_floor
[ -x "$FLOOR" ] || not_measured "$FLOOR is missing: configure with -DAFZ_FUZZ=ON -DAFZ_BENCH=ON and build bench_programs"

if [ -n "${TP_TARGETS:-}" ]; then
  read -r -a TARGETS <<< "$TP_TARGETS"
else
  mapfile -t TARGETS < <(cd "$BUILD_DIR/bench" && ls -1 bench_fuzz_* 2> /dev/null | sed 's/^bench_//' | sort)
fi
[ ${#TARGETS[@]} -gt 0 ] || not_measured "no bench_fuzz_* programs in $BUILD_DIR/bench"
# The reference first: it is the one with a goal.
ordered=(fuzz_reference)
for t in "${TARGETS[@]}"; do [ "$t" = fuzz_reference ] || ordered+=("$t"); done
[[ " ${TARGETS[*]} " == *" fuzz_reference "* ]] || ordered=("${ordered[@]:1}")

pin() { taskset -c "$CPU" "$@"; }

# measure T RUNS SEEDS_DIR EXTRA_ENV...: one libFuzzer run, then its floor.
# Leaves $WORK/T.json (the floor's JSON plus run details).
measure() {
  local t=$1 runs=$2 seeds=$3
  shift 3
  local bin=$BUILD_DIR/bench/bench_$t w=$WORK/$t
  mkdir -p "$w/corpus"
  local args=(-runs="$runs" -seed=1 -print_final_stats=1 -timeout=20 -rss_limit_mb=2048)
  case $t in
    fuzz_reference | fuzz_zoo_* | fuzz_plan) args+=(-max_len=128) ;;
    *) args+=(-max_len=4096 -dict="$ROOT/corpus/acme.dict") ;;
  esac
  rm -f "$w/stats"
  env AFZ_BENCH_STATS="$w/stats" "$@" taskset -c "$CPU" "$bin" "${args[@]}" \
    -artifact_prefix="$w/" "$w/corpus" "$seeds" > "$w/log.txt" 2>&1
  local rc=$?
  local lf_eps lf_units crashed=false note=""
  lf_eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$w/log.txt" | tail -1)
  lf_units=$(sed -n 's/^stat::number_of_executed_units: *//p' "$w/log.txt" | tail -1)
  if [ $rc -ne 0 ]; then
    crashed=true
    note="the target died (status $rc) before -runs=$runs; figures cover the executions before"
    grep -q 'deadly signal\|SEGV' "$w/log.txt" && note="$note (a segfault: the client's own crash)"
  fi
  if [ ! -s "$w/stats" ]; then
    printf '%-34s no figures: %s\n' "$t" "${note:-the run left no statistics (see $w/log.txt)}"
    jq -n --arg t "$t" --arg n "${note:-no statistics}" --argjson runs "$runs" \
      '{target: $t, runs: $runs, exec_per_s: null, crypto_per_s: null, ratio: null, note: $n}' > "$WORK/$t.json"
    return
  fi
  pin "$FLOOR" "$w/stats" --label "$t" --json "$w/floor.json" > "$w/floor.txt" 2>&1 \
    || { echo "$t: afz_crypto_floor failed:"; cat "$w/floor.txt"; return; }
  jq --argjson runs "$runs" --arg seeds "${seeds#"$ROOT"/}" --argjson crashed "$crashed" \
     --arg note "$note" --arg lf_eps "${lf_eps:-}" --arg lf_units "${lf_units:-}" \
     '. + {runs: $runs, seeds: $seeds, crashed: $crashed, note: $note,
           libfuzzer_exec_per_s: ($lf_eps | tonumber? // null),
           libfuzzer_units: ($lf_units | tonumber? // null)}' "$w/floor.json" > "$WORK/$t.json"
  jq -r '"\(.target | . + " " * (34 - length)) \(.exec_per_s | . * 10 | round / 10 | tostring | " " * (9 - length) + .)"
         + (if .crypto_per_s == null then "        -       -   no public-key operations"
            else " \(.crypto_per_s | . * 10 | round / 10 | tostring | " " * (9 - length) + .)"
               + " \(.ratio | . * 1000 | round / 1000 | tostring | " " * (7 - length) + .)" end)
         + "  \(.execs) execs" + (if .note != "" then "  (" + .note + ")" else "" end)' "$WORK/$t.json"
}

echo "1: throughput: executions per second on cpu $CPU (CPU time), beside the crypto-only floor"
printf '%-34s %9s %9s %7s  %s\n' TARGET "EXEC/S" "CRYPTO/S" RATIO NOTES
for t in "${ordered[@]}"; do
  case $t in
    fuzz_reference) measure "$t" "$RUNS_REF" "$ROOT/corpus/fuzz/fuzz_reference" ;;
    fuzz_zoo_*) measure "$t" "$RUNS_ZOO" "$ROOT/corpus/fuzz/fuzz_reference" AFZ_FUZZ_NO_ABORT=1 ;;
    *)
      seeds=$ROOT/corpus/fuzz/$t
      [ -d "$seeds" ] || seeds=$WORK/empty-seeds
      mkdir -p "$seeds"
      measure "$t" "$RUNS_HARD" "$seeds"
      ;;
  esac
done

# ---- where fuzz_reference's crypto time goes --------------------------------
ref_floor=$WORK/fuzz_reference/floor.txt
if [ -s "$ref_floor" ]; then
  echo
  echo "fuzz_reference: its public-key operations per execution and their cost (from the floor run)"
  sed -n '2,$p' "$ref_floor"
fi

# ---- fuzz_reference by account key algorithm --------------------------------
# The plan header's bits 6-7 (11) and 2-3 pick the account key (afz_plan.h);
# the same 26 seeds with those bits forced to each algorithm.
by_alg=()
if [[ " ${ordered[*]} " == *" fuzz_reference "* ]]; then
  echo
  echo "fuzz_reference by account key algorithm: the reference seeds with header bits 6-7 and 2-3 forced, x$([ "${BENCH_QUICK:-0}" != 0 ] && echo 2 || echo 8) passes, no mutation"
  printf '%-8s %9s %9s %7s %12s\n' ALG "EXEC/S" "CRYPTO/S" RATIO "MS/EXEC"
  passes=$([ "${BENCH_QUICK:-0}" != 0 ] && echo 2 || echo 8)
  ai=0
  for alg in ES256 ES384 RS256 EdDSA; do
    d=$WORK/alg-$alg
    mkdir -p "$d/in"
    for f in "$ROOT"/corpus/fuzz/fuzz_reference/*; do
      [ -f "$f" ] || continue
      b=$(basename "$f")
      first=$(od -An -tu1 -N1 "$f" | tr -d ' ')
      [ -n "$first" ] || first=0
      hdr=$(( (first & ~12) | (ai << 2) | 192 ))   # bits 6-7 = 11: bits 2-3 count
      for p in $(seq "$passes"); do
        { printf "\\$(printf '%03o' "$hdr")"; tail -c +2 "$f"; } > "$d/in/$b.$p"
      done
    done
    # A leading throw-away input absorbs the set-up (the shim skips it).
    : > "$d/warmup"
    rm -f "$d/stats"
    AFZ_BENCH_STATS="$d/stats" pin "$BUILD_DIR/bench/bench_fuzz_reference" -runs=1 \
      "$d/warmup" "$d"/in/* > "$d/log.txt" 2>&1
    if [ -s "$d/stats" ] && pin "$FLOOR" "$d/stats" --label "$alg" --json "$d/floor.json" > "$d/floor.txt" 2>&1; then
      jq -r '"\(.target | . + " " * (8 - length)) \(.exec_per_s | . * 10 | round / 10 | tostring | " " * (9 - length) + .) \(.crypto_per_s | . * 10 | round / 10 | tostring | " " * (9 - length) + .) \(.ratio | . * 1000 | round / 1000 | tostring | " " * (7 - length) + .) \(1000 / .exec_per_s | . * 100 | round / 100 | tostring | " " * (12 - length) + .)"' "$d/floor.json"
      by_alg+=("$d/floor.json")
    else
      echo "$alg: no figures (see $d/log.txt)"
    fi
    ai=$((ai + 1))
  done
fi

# ---- JSON -------------------------------------------------------------------
target_files=()
for t in "${ordered[@]}"; do [ -s "$WORK/$t.json" ] && target_files+=("$WORK/$t.json"); done
alg_json='[]'
[ ${#by_alg[@]} -gt 0 ] && alg_json=$(jq -s '[.[] | {alg: .target, exec_per_s, crypto_per_s, ratio, execs, ops}]' "${by_alg[@]}")
jq -s --argjson cpu "$CPU" --argjson quick "$([ "${BENCH_QUICK:-0}" != 0 ] && echo true || echo false)" \
   --argjson by_alg "$alg_json" --argjson rr "$RUNS_REF" --argjson rz "$RUNS_ZOO" --argjson rh "$RUNS_HARD" \
   '{section: "throughput", measured: true, cpu: $cpu, quick: $quick, clock: "process CPU time",
     runs: {reference: $rr, zoo: $rz, hardening: $rh},
     goal: {target: "fuzz_reference", ratio: 0.85},
     targets: ., reference_by_account_alg: $by_alg}' "${target_files[@]}" > "$JSON_OUT" \
  || echo "throughput.sh: could not write $JSON_OUT" >&2
exit 0
