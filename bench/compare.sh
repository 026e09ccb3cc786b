#!/usr/bin/env bash
# compare.sh BEFORE_BUILD AFTER_BUILD OUT_DIR - fuzz_reference before and
# after a change, side by side: exec/s, the crypto-only floor and their
# ratio (bench/README.md, section 1), measured in one session.
#
# Why not two throughput.sh runs: libFuzzer's mutation follows coverage, so
# two builds of different code fuzz different inputs, and on a shared
# machine two runs minutes apart see different load. Here both builds run
# the same fixed inputs, alternately, on the same core:
#   - "seeds": the committed reference seeds as they are (the plan header
#     picks the account key: mostly ES256, a quarter of P-384/RSA/Ed25519);
#   - "es256": the same seeds with the header forced to ES256 (bits 6-7 =
#     11, bits 2-3 = 00, as throughput.sh's by-algorithm table does);
# CMP_PASSES copies of each (default 20), -runs=1, no mutation, a throw-away
# first input absorbing the set-up (the shim leaves it out). Each build runs
# CMP_ROUNDS times (default 5), interleaved; the best (highest) exec/s of
# each is kept, the least disturbed by other load. Both builds must make
# exactly the same public-key operations (checked: the same inputs, the
# same crypto); their floor (afz_crypto_floor of AFTER_BUILD over those
# operations) is measured CMP_ROUNDS times between the runs, best kept.
#
# Builds: BUILD/bench/bench_fuzz_reference and BUILD/bench/afz_crypto_floor
# (cmake -DAFZ_FUZZ=ON -DAFZ_BENCH=ON, targets bench_programs; run.sh's
# configuration). To measure a commit against its parent, build the parent
# from `git archive` into a directory of its own.
#
# Knobs (env): CMP_ROUNDS, CMP_PASSES, BENCH_CPU (default: the last core).
# Output: a table on stdout and OUT_DIR/compare.json. Exit status 0 when
# measured; 1 when the builds' crypto operations differ; 2 for a usage
# error or a missing program.
set -u

[ $# -eq 3 ] || { echo "usage: compare.sh BEFORE_BUILD AFTER_BUILD OUT_DIR" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
BEFORE=$(abs "$1")
AFTER=$(abs "$2")
OUT=$(abs "$3")
ROUNDS=${CMP_ROUNDS:-5}
PASSES=${CMP_PASSES:-20}
ncpu=$(nproc 2> /dev/null || echo 1)
CPU=${BENCH_CPU:-$((ncpu - 1))}
for v in ROUNDS PASSES; do
  [[ ${!v} =~ ^[0-9]+$ && ${!v} -gt 0 ]] || { echo "compare.sh: CMP_$v must be a positive integer" >&2; exit 2; }
done
for b in "$BEFORE" "$AFTER"; do
  [ -x "$b/bench/bench_fuzz_reference" ] || { echo "compare.sh: $b/bench/bench_fuzz_reference is missing" >&2; exit 2; }
done
FLOOR=$AFTER/bench/afz_crypto_floor
[ -x "$FLOOR" ] || { echo "compare.sh: $FLOOR is missing" >&2; exit 2; }
command -v jq > /dev/null || { echo "compare.sh: jq is missing (scripts/install-deps.sh bench)" >&2; exit 2; }
command -v taskset > /dev/null || { echo "compare.sh: taskset is missing" >&2; exit 2; }

WORK=$OUT/compare
rm -rf "$WORK"
mkdir -p "$WORK" || exit 2
: > "$WORK/warmup"

# inputs SET: WORK/SET/ with PASSES copies of every seed.
make_inputs() {
  local set=$1 d=$WORK/$1
  mkdir -p "$d"
  for f in "$ROOT"/corpus/fuzz/fuzz_reference/*; do
    [ -f "$f" ] || continue
    local b first hdr
    b=$(basename "$f")
    for p in $(seq "$PASSES"); do
      if [ "$set" = es256 ]; then
        first=$(od -An -tu1 -N1 "$f" | tr -d ' ')
        hdr=$(((${first:-0} & ~12) | 192))
        # shellcheck disable=SC2059 # the format is the one byte, as an octal escape
        { printf "\\$(printf '%03o' "$hdr")"; tail -c +2 "$f"; } > "$d/$b.$p"
      else
        cp "$f" "$d/$b.$p"
      fi
    done
  done
}

# run BUILD SET TAG: one pass over the set; prints exec/s (CPU clock).
run() {
  local stats=$WORK/$3.stats
  rm -f "$stats"
  AFZ_BENCH_STATS=$stats taskset -c "$CPU" "$1/bench/bench_fuzz_reference" -runs=1 \
    "$WORK/warmup" "$WORK/$2"/* > "$WORK/$3.log" 2>&1
  awk '/^execs /{e=$2} /^seconds /{t=$2} END{if (t > 0) printf "%.3f\n", e / t}' "$stats"
}

best() { sort -g | tail -1; }

rows=()
fail=0
printf 'fuzz_reference on fixed inputs, cpu %s, CPU time, best of %s interleaved rounds, %s passes\n' \
  "$CPU" "$ROUNDS" "$PASSES"
printf '%-7s %-7s %9s %9s %7s\n' INPUTS BUILD "EXEC/S" "CRYPTO/S" RATIO
for set in seeds es256; do
  make_inputs "$set"
  : > "$WORK/$set.before" && : > "$WORK/$set.after" && : > "$WORK/$set.floor"
  for _ in $(seq "$ROUNDS"); do
    run "$BEFORE" "$set" "$set-before" >> "$WORK/$set.before"
    run "$AFTER" "$set" "$set-after" >> "$WORK/$set.after"
    taskset -c "$CPU" "$FLOOR" "$WORK/$set-after.stats" --label "$set" --json "$WORK/$set.floor.json" \
      > /dev/null 2>&1 && jq -r '.crypto_per_s' "$WORK/$set.floor.json" >> "$WORK/$set.floor"
  done
  if ! cmp -s <(grep '^op ' "$WORK/$set-before.stats") <(grep '^op ' "$WORK/$set-after.stats"); then
    echo "compare.sh: $set: the builds made different public-key operations; no ratio" >&2
    diff <(grep '^op ' "$WORK/$set-before.stats") <(grep '^op ' "$WORK/$set-after.stats") >&2
    fail=1
    continue
  fi
  fl=$(best < "$WORK/$set.floor")
  for build in before after; do
    eps=$(best < "$WORK/$set.$build")
    ratio=$(awk -v e="$eps" -v f="$fl" 'BEGIN{printf "%.3f", e / f}')
    printf '%-7s %-7s %9.1f %9.1f %7s\n' "$set" "$build" "$eps" "$fl" "$ratio"
    rows+=("$(jq -n --arg set "$set" --arg build "$build" --argjson e "$eps" --argjson f "$fl" \
      --argjson r "$ratio" --slurpfile all <(jq -R 'tonumber' "$WORK/$set.$build") \
      '{inputs: $set, build: $build, exec_per_s: $e, crypto_per_s: $f, ratio: $r, rounds: $all}')")
  done
done
printf '%s\n' "${rows[@]}" | jq -s --arg before "$BEFORE" --arg after "$AFTER" --argjson cpu "$CPU" \
  --argjson rounds "$ROUNDS" --argjson passes "$PASSES" \
  '{section: "compare", target: "fuzz_reference", cpu: $cpu, clock: "process CPU time",
    rounds: $rounds, passes: $passes, before: $before, after: $after, rows: .}' \
  > "$OUT/compare.json" || echo "compare.sh: could not write $OUT/compare.json" >&2
exit $fail
