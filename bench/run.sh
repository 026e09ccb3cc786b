#!/usr/bin/env bash
# run.sh - what `make bench` runs (issue #8; bench/README.md says what each
# section measures and how to read it):
#
#   1. throughput       bench/throughput.sh       exec/s of every fuzz target beside
#                                                 its crypto-only floor, the ratio
#   2. time to detect   bench/detect.sh           seconds until each zoo bug is found
#   3. server mode      bench/serve_vs_pebble.sh  acmefuzz serve beside Pebble
#   4. memory           bench/memory.sh           peak RSS of fuzz_reference, two lengths
#   5. serve soak       bench/serve_soak.sh       a long-lived serve at 2k/10k/20k exchanges:
#                                                 /verdict time, ACME stall, /history, RSS
#                                                 (opt-in: BENCH_SECTIONS=serve_soak; ~10 min)
#
# It installs what is missing (scripts/install-deps.sh bench), builds
# BENCH_BUILD (default build-bench) with clang and libFuzzer and WITHOUT
# ASan/UBSan (a sanitizer build would measure the sanitizer: ASan alone
# costs 2x or more), runs the sections, prints one combined table and
# writes BENCH_BUILD/bench.json. Every section script takes BUILD_DIR
# OUT_DIR, prints its own table and writes OUT_DIR/<section>.json; a
# missing script or a failed section is reported, never fatal.
#
# Benchmarks print figures; they never pass or fail on time. The exit
# status is 0 unless the build fails (2).
#
# Knobs (environment):
#   BENCH_QUICK=1      small N everywhere: a smoke run of a few minutes
#   BENCH_BUILD        build directory (default build-bench)
#   BENCH_OUT          where sections write (default BENCH_BUILD/bench-out)
#   BENCH_SECTIONS     subset, e.g. "throughput memory" (default: all four)
#   BENCH_CPU          the core single-core measurements are pinned to
#                      (default: the last one)
#   BENCH_MEMORY_PARALLEL=0|1  run section 4's long run on another core
#                      while sections 1-3 run (default 1 with >= 2 cores:
#                      peak RSS does not depend on CPU contention, and the
#                      100,000-iteration run would not fit the time otherwise)
#   and each section's own knobs (see the scripts' headers).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${BENCH_BUILD:-build-bench}
out=${BENCH_OUT:-$build/bench-out}
export BENCH_QUICK=${BENCH_QUICK:-0}
ncpu=$(nproc 2>/dev/null || echo 1)
export BENCH_CPU=${BENCH_CPU:-$((ncpu - 1))}
sections=${BENCH_SECTIONS:-throughput detect serve_vs_pebble memory}
mem_parallel=${BENCH_MEMORY_PARALLEL:-$([ "$ncpu" -ge 2 ] && echo 1 || echo 0)}
started=$(date +%s)

say() { printf '== bench: %s\n' "$*"; }
elapsed() { echo $(( $(date +%s) - started )); }

bash scripts/install-deps.sh bench || exit 2

say "building $build (clang, libFuzzer, no sanitizers, RelWithDebInfo)"
mkdir -p "$build" "$out"
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DAFZ_FUZZ=ON -DAFZ_BENCH=ON \
      -DAFZ_SANITIZE=OFF -DAFZ_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      > "$build/configure.log" 2>&1 \
  || { cat "$build/configure.log"; exit 2; }
cmake --build "$build" -j "$ncpu" --target fuzz_targets bench_programs acmefuzz \
      > "$build/build.log" 2>&1 \
  || { tail -40 "$build/build.log"; exit 2; }
# Server mode is benchmarked against Pebble without coverage
# instrumentation: a separate, plain build of the command-line tool.
say "building $build/cli (the acmefuzz CLI without coverage instrumentation)"
cmake -S . -B "$build/cli" -DCMAKE_C_COMPILER=clang -DAFZ_BUILD_TESTS=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$build/cli-configure.log" 2>&1 \
  && cmake --build "$build/cli" -j "$ncpu" --target acmefuzz > "$build/cli-build.log" 2>&1 \
  || { tail -40 "$build/cli-build.log" 2>/dev/null || cat "$build/cli-configure.log"; exit 2; }
export BENCH_ACMEFUZZ=$root/$build/cli/acmefuzz
say "built in $(elapsed) s; sections: $sections; BENCH_QUICK=$BENCH_QUICK; cpu $BENCH_CPU of $ncpu"

want() { [[ " $sections " == *" $1 "* ]]; }

# Section 4's runs go first, in the background on another core, when
# asked: they are the longest, and what they measure (peak RSS) is the same
# however busy the machine is. Section 1 stays pinned to BENCH_CPU.
mem_pid=""
if want memory && [[ $mem_parallel == 1 && -f bench/memory.sh ]]; then
  mem_cpu=$(( BENCH_CPU == 0 ? 1 : 0 ))
  # Its time budget ends just inside the 15 minutes make bench has (at
  # least 5 minutes), unless MEM_BUDGET says otherwise.
  if [[ -n ${MEM_BUDGET:-} ]]; then
    mem_budget=$MEM_BUDGET
  elif [[ $BENCH_QUICK != 0 ]]; then
    mem_budget=0
  else
    mem_budget=$(( 880 - $(elapsed) ))
    (( mem_budget < 300 )) && mem_budget=300
  fi
  rm -f "$out/.single-core-done"
  say "section 4 (memory) runs in the background: the long run on cpu $mem_cpu (budget ${mem_budget} s; 0 = none), the short one on cpu $BENCH_CPU after sections 1-3; its table follows the others"
  MEM_BUDGET=$mem_budget BENCH_MEM_CPU=$mem_cpu BENCH_MEM_SHORT_CPU=$BENCH_CPU \
    BENCH_MEM_SHORT_AFTER="$out/.single-core-done" \
    bash bench/memory.sh "$build" "$out" > "$out/memory.txt" 2>&1 &
  mem_pid=$!
  # Section 2's parallel runs would share the memory run's core.
  export DETECT_JOBS=${DETECT_JOBS:-1}
fi

run_section() { # NAME TITLE
  local name=$1 title=$2 script=bench/$1.sh
  echo
  say "section $title ($(elapsed) s so far)"
  if [[ ! -f $script ]]; then
    echo "$title: section not available ($script is missing)"
    return
  fi
  rm -f "$out/$name.json"
  bash "$script" "$build" "$out"
  local rc=$?
  [[ $rc -eq 0 ]] || echo "$title: $script exited with status $rc"
  [[ -s $out/$name.json ]] || echo "$title: $script wrote no $out/$name.json"
}

want throughput && run_section throughput "1: throughput"
want detect && run_section detect "2: time to detect"
want serve_vs_pebble && run_section serve_vs_pebble "3: server mode vs Pebble"
touch "$out/.single-core-done"   # the short memory run may use BENCH_CPU now
if want memory; then
  if [[ -n $mem_pid ]]; then
    echo
    say "section 4: memory (waiting for the background runs, $(elapsed) s so far)"
    wait "$mem_pid" || echo "4: memory: bench/memory.sh exited with status $?"
    cat "$out/memory.txt"
  else
    run_section memory "4: memory"
  fi
fi
want serve_soak && run_section serve_soak "5: serve soak"

# ---- one JSON, one table ---------------------------------------------------
total=$(elapsed)
json=$build/bench.json
args=()
for s in throughput detect serve_vs_pebble memory; do
  f=$out/$s.json
  if want "$s" && [[ -s $f ]] && jq -e . "$f" > /dev/null 2>&1; then
    args+=(--slurpfile "$s" "$f")
  else
    args+=(--argjson "$s" '[null]')
  fi
done
jq -n "${args[@]}" --arg host "$(uname -srm)" --arg cpu "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)" \
   --argjson ncpu "$ncpu" --argjson quick "$([[ $BENCH_QUICK != 0 ]] && echo true || echo false)" \
   --argjson seconds "$total" --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
   --arg openssl "$(openssl version 2>/dev/null)" --arg clang "$(clang --version | head -1)" \
   --arg sections "$sections" '
  {date: $date, host: $host, cpu: $cpu, ncpu: $ncpu, quick: $quick, total_seconds: $seconds,
   openssl: $openssl, compiler: $clang,
   throughput: $throughput[0], detect: $detect[0], serve_vs_pebble: $serve_vs_pebble[0],
   memory: $memory[0], sections_run: ($sections | split(" ") | map(select(length > 0)))}' \
   > "$json" || { echo "bench: could not write $json" >&2; }

echo
say "summary (full tables above; JSON: $json)"
if [[ -s $json ]]; then
  jq -r '
    def absent($s): if (.sections_run | index($s)) then "section not available"
                    else "not run (BENCH_SECTIONS)" end;
    def f1: if . == null then "-" else (. * 10 | round / 10 | tostring) end;
    def f3: if . == null then "-" else (. * 1000 | round / 1000 | tostring) end;
    "1. throughput (exec/s on one core; crypto-only it/s; ratio)",
    (if .throughput == null then "   " + absent("throughput")
     else (.throughput.targets[] |
       "   \(.target | .[0:32] | . + " " * (32 - length)) \(.exec_per_s | f1) exec/s   crypto-only \(.crypto_per_s | f1)   ratio \(.ratio | f3)")
     end),
    "2. time to detect: " + (if .detect == null then absent("detect") else "see the section 2 table above" end),
    "3. server mode vs Pebble: " + (if .serve_vs_pebble == null then absent("serve_vs_pebble") else "see the section 3 table above" end),
    "4. memory (peak RSS of fuzz_reference)",
    (if .memory == null then "   " + absent("memory")
     else (.memory.runs[] | "   \(.iterations_run) iterations: peak RSS \(.peak_rss_mb) MB (libFuzzer: \(.libfuzzer_peak_rss_mb // "-") MB), \(.seconds | f1) s")
     end)' "$json"
fi
say "done in ${total} s (limit for a fresh machine: 900 s)"
exit 0
