#!/usr/bin/env bash
# memory.sh BUILD_DIR OUT_DIR - issue #8, section 4: memory.
#
# What: the peak resident set size of a fuzz run of the reference target
# (BUILD_DIR/fuzz/fuzz_reference, the target make fuzz runs, here without
# sanitizers) for two run lengths side by side, 10,000 and 100,000
# iterations, and the RSS along the long run, to show whether memory grows
# with the iteration count.
#
# How: libFuzzer -runs=N -seed=1 with make fuzz's flags for client targets
# (-max_len=128 -timeout=20 -rss_limit_mb=2048) over a scratch corpus plus
# the committed seeds, pinned to one core, under GNU time: its "maximum
# resident set size" is the peak RSS of the whole process; libFuzzer's own
# peak_rss_mb is printed beside it. Every status line libFuzzer prints
# (NEW, REDUCE, pulse at each power of two) carries the RSS at that
# iteration, so the long run also gives RSS against iteration count. What
# libFuzzer itself keeps growing, its corpus (units and bytes at the end),
# is reported too: the harness's memory is what is left.
#
# -runs counts every execution, seeds included; the iterations reported are
# libFuzzer's number_of_executed_units, never the number asked for.
#
# Time. fuzz_reference runs at ~110-200 exec/s on one core (slower as its
# corpus grows: longer plans, campaigns of up to 4 obtains), so 100,000
# iterations take 9-15 minutes by themselves. make bench has 15 minutes for
# everything: run.sh starts the long run first, on its own core, with the
# budget left (MEM_BUDGET, -max_total_time), and the short run beside it
# once the single-core sections are done. If the budget ends first, the
# table says how many iterations actually ran ("ran N of 100000").
# MEM_BUDGET=0 runs both lengths to the end. Alone (no second core), the
# short run goes first with at most a quarter of the budget.
#
# Knobs (env): BENCH_QUICK=1 (1,000 and 5,000, no budget), MEM_SHORT
# (10000), MEM_LONG (100000), MEM_BUDGET (seconds for both runs; default
# 660, quick 0 = none), BENCH_MEM_CPU (core; default BENCH_CPU, else the
# last one), BENCH_MEM_SHORT_CPU and BENCH_MEM_SHORT_AFTER (see below).
# Output: a table on stdout and OUT_DIR/memory.json. Exit status 0 whatever
# the figures; 2 for a usage error.
set -u

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_setup memory "$@"

if [ "${BENCH_QUICK:-0}" != 0 ]; then
  d_short=1000 d_long=5000 d_budget=0
else
  d_short=10000 d_long=100000 d_budget=660
fi
SHORT=${MEM_SHORT:-$d_short}
LONG=${MEM_LONG:-$d_long}
BUDGET=${MEM_BUDGET:-$d_budget}
ncpu=$(nproc 2>/dev/null || echo 1)
CPU=${BENCH_MEM_CPU:-${BENCH_CPU:-$((ncpu - 1))}}
# With BENCH_MEM_SHORT_CPU (another core) the long run starts at once and
# the short one runs beside it on that core, once BENCH_MEM_SHORT_AFTER (a
# file) exists: run.sh creates it when its single-core sections are done,
# so the short run never disturbs them and the long one gets the whole
# budget.
SHORT_CPU=${BENCH_MEM_SHORT_CPU:-$CPU}
SHORT_AFTER=${BENCH_MEM_SHORT_AFTER:-}
for v in SHORT LONG; do
  [[ ${!v} =~ ^[0-9]+$ && ${!v} -gt 0 ]] || { echo "memory.sh: $v must be a positive integer" >&2; exit 2; }
done
[[ $BUDGET =~ ^[0-9]+$ ]] || { echo "memory.sh: MEM_BUDGET must be a number of seconds" >&2; exit 2; }

not_measured() {
  echo "4: memory: not measured: $1"
  jq -n --arg r "$1" '{section: "memory", measured: false, reason: $r}' > "$JSON_OUT" 2> /dev/null \
    || printf '{"section": "memory", "measured": false}\n' > "$JSON_OUT"
  exit 0
}
command -v jq > /dev/null || not_measured "jq is missing (scripts/install-deps.sh bench)"
[ -x /usr/bin/time ] || not_measured "GNU time (/usr/bin/time) is missing (Debian package time)"
command -v taskset > /dev/null || not_measured "taskset (util-linux) is missing"
BIN=$BUILD_DIR/fuzz/fuzz_reference
[ -x "$BIN" ] || not_measured "$BIN is missing: configure with -DAFZ_FUZZ=ON and build fuzz_targets"
SEEDS=$ROOT/corpus/fuzz/fuzz_reference

started=$(date +%s)
# run NAME N SHARE CPU: one run of at most SHARE percent of the budget
# left; leaves $WORK/NAME.json. Violations are reported by the target and
# fuzzing goes on (AFZ_FUZZ_NO_ABORT=1): a finding must not cut the run
# short; the count of them is kept in the notes.
run() {
  local name=$1 n=$2 share=$3 cpu=$4 w=$WORK/$1
  mkdir -p "$w/corpus"
  local args=(-runs="$n" -seed=1 -max_len=128 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$w/")
  local cap=0
  if [ "$BUDGET" -gt 0 ]; then
    cap=$(( (BUDGET - ($(date +%s) - started)) * share / 100 ))
    [ "$cap" -ge 1 ] || cap=1
    args+=(-max_total_time="$cap")
  fi
  AFZ_FUZZ_NO_ABORT=1 /usr/bin/time -f '%M %e' -o "$w/time.txt" taskset -c "$cpu" "$BIN" \
    "${args[@]}" "$w/corpus" "$SEEDS" > "$w/log.txt" 2>&1
  local rc=$?
  local found
  found=$(grep -c '^==acmefuzz== VIOLATION' "$w/log.txt")
  local rss_kb secs units lf_rss corp
  read -r rss_kb secs < <(tail -1 "$w/time.txt")
  units=$(sed -n 's/^stat::number_of_executed_units: *//p' "$w/log.txt" | tail -1)
  lf_rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$w/log.txt" | tail -1)
  corp=$(grep -o 'corp: [0-9]*/[0-9]*[bKM]*' "$w/log.txt" | tail -1 | sed 's/corp: //')
  # RSS along the run: "#ITER ... rss: NMb" status lines.
  sed -n 's/^#\([0-9]*\)[[:space:]].* rss: \([0-9]*\)Mb.*/\1 \2/p' "$w/log.txt" > "$w/rss.txt"
  local note=""
  [ "$rc" -eq 0 ] || note="libFuzzer exited with status $rc (see $w/log.txt)"
  if [ -n "${units:-}" ] && [ "$units" -lt "$n" ]; then
    note="${note:+$note; }ran $units of $n iterations (MEM_BUDGET=${BUDGET}s)"
  fi
  if [ "${found:-0}" -gt 0 ]; then
    note="${note:+$note; }$found property violation(s) reported (see $w/log.txt)"
  fi
  jq -n --arg name "$name" --argjson asked "$n" --arg units "${units:-}" --arg rss "${rss_kb:-}" \
     --arg secs "${secs:-}" --arg lf "${lf_rss:-}" --arg corp "${corp:-}" --arg note "$note" \
     --rawfile curve "$w/rss.txt" '
    {name: $name, iterations_asked: $asked, iterations_run: ($units | tonumber? // null),
     peak_rss_mb: (($rss | tonumber? // null) | if . == null then null else (. / 1024 * 10 | round / 10) end),
     libfuzzer_peak_rss_mb: ($lf | tonumber? // null), seconds: ($secs | tonumber? // null),
     corpus_at_end: $corp, note: $note,
     rss_by_iteration: [$curve | split("\n")[] | select(length > 0) | split(" ")
                        | {iteration: (.[0] | tonumber), rss_mb: (.[1] | tonumber)}]}' > "$WORK/$name.json"
}

if [ "$SHORT_CPU" != "$CPU" ]; then
  echo "4: memory: peak RSS of fuzz_reference (no sanitizers): $LONG iterations on cpu $CPU, $SHORT beside it on cpu $SHORT_CPU"
  run long "$LONG" 100 "$CPU" &
  long_pid=$!
  if [ -n "$SHORT_AFTER" ]; then
    # bounded: at most the budget (or an hour without one)
    limit=$(( BUDGET > 0 ? BUDGET : 3600 ))
    while [ ! -e "$SHORT_AFTER" ] && [ $(( $(date +%s) - started )) -lt "$limit" ]; do sleep 1; done
  fi
  run short "$SHORT" 100 "$SHORT_CPU"
  wait "$long_pid"
else
  echo "4: memory: peak RSS of fuzz_reference (no sanitizers) on cpu $CPU, $SHORT and $LONG iterations"
  run short "$SHORT" 25 "$CPU"
  run long "$LONG" 100 "$CPU"
fi

printf '%-12s %12s %14s %16s %10s  %s\n' RUN ITERATIONS "PEAK RSS (MB)" "LIBFUZZER (MB)" SECONDS "CORPUS AT END / NOTES"
for r in short long; do
  jq -r '"\(.name | . + " " * (12 - length)) \(.iterations_run // "-" | tostring | " " * (12 - length) + .) \(.peak_rss_mb // "-" | tostring | " " * (14 - length) + .) \(.libfuzzer_peak_rss_mb // "-" | tostring | " " * (16 - length) + .) \(.seconds // "-" | tostring | " " * (10 - length) + .)  \(.corpus_at_end) units/bytes\(if .note != "" then "; " + .note else "" end)"' "$WORK/$r.json"
done

# RSS along the long run at each power of two (the last status line at or
# before it) and at its end.
echo "RSS along the long run (iteration: MB):"
jq -r '.rss_by_iteration as $c | ($c | map(.iteration) | max // 0) as $last
       | [range(0; 30) | pow(2; .) | select(. >= 1024 and . <= $last)] + [$last]
       | unique | map(. as $k | ($c | map(select(.iteration <= $k)) | last) as $p
                       | if $p == null then empty else "\($k): \($p.rss_mb)" end)
       | "  " + join("  ")' "$WORK/long.json"

jq -s --argjson cpu "$CPU" --argjson budget "$BUDGET" '
  {section: "memory", measured: true, cpu: $cpu, target: "fuzz_reference", budget_seconds: $budget,
   runs: .,
   growth_mb: (if (.[0].peak_rss_mb != null and .[1].peak_rss_mb != null)
               then ((.[1].peak_rss_mb - .[0].peak_rss_mb) * 10 | round / 10) else null end)}' \
  "$WORK/short.json" "$WORK/long.json" > "$JSON_OUT" || echo "memory.sh: could not write $JSON_OUT" >&2
jq -r '"peak RSS: \(.runs[0].iterations_run) iterations \(.runs[0].peak_rss_mb) MB, \(.runs[1].iterations_run) iterations \(.runs[1].peak_rss_mb) MB: \(.growth_mb) MB more for \(.runs[1].iterations_run - .runs[0].iterations_run) more iterations"' "$JSON_OUT" 2> /dev/null
exit 0
