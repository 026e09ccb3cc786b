#!/usr/bin/env bash
# detect.sh BUILD_DIR OUT_DIR - issue #8, section 2: time to detect.
#
# What: for every zoo client, the wall-clock seconds its libFuzzer target
# (BUILD_DIR/fuzz/fuzz_zoo_*) needs to stop on the client's named property,
# over libFuzzer -seed=1..N. Two starting corpora, two columns:
#   committed   corpus/fuzz/fuzz_zoo_<name>/ as committed: the 26 reference
#               seeds plus the one zoo-specific seed (zoo-<name>.bin, the
#               file the reference corpus lacks) that triggers the bug
#               directly. This is what `make fuzz` starts from; it mostly
#               measures start-up + seed replay, and libFuzzer replays seeds
#               in a fixed order, so -seed hardly matters here.
#   no own seed corpus/fuzz/fuzz_reference/ only (the reference seeds):
#               the fuzzer's real ability to reach the bug by mutation.
# Goal (issue #8): committed-corpus median under 5 s for every zoo bug and
# under 1 s for zoo-refinalizer-2023.
#
# How: each run copies its seed directory into a temporary corpus (corpus/
# is never written), then runs the target with the flags `make fuzz` uses
# for client targets (-max_len=128 -timeout=20 -rss_limit_mb=2048) plus
# -seed=S and -max_total_time=CAP, under `timeout`. The time reported is
# the process's wall time from exec to exit: libFuzzer start-up, corpus
# load, seed replay, fuzzing and writing the crash report are all in it;
# nothing is subtracted. For scale (2026-11-28, this 2-core machine):
# ~0.1 s of each run is start-up (the first input creates the CA and keys)
# and ~0.1 s is libFuzzer symbolizing the crash's stack trace, so ~0.25 s
# is the floor of a bug found by its first seed.
# A run counts as found only when it crashed AND the log's `==acmefuzz== VIOLATION <property>` line names the client's expected
# property (for zoo-crash-missing-status, whose property is "crash": a
# deadly signal with no VIOLATION line). Anything else (no crash within CAP,
# another property, a libFuzzer timeout/oom) is "not found" and is treated
# as ">CAP" for the median: the median is the middle order statistic, so it
# is a number only when more than half the runs found the bug.
# Expected properties come from `BUILD_DIR/acmefuzz list clients`, or from
# the zoo sources (clients/zoo/*.c) when the CLI is not there.
#
# Seeds come from `git ls-files` when the tree is a git checkout, so inputs
# a fuzzing run left in corpus/ do not count as committed (found 2026-11-28:
# some other run had left extra inputs in corpus/fuzz/fuzz_reference for a
# while, and no-own-seed times came out several times shorter). Untracked
# files are named on stderr.
#
# Runs are single-threaded libFuzzer processes, DETECT_JOBS (default:
# min(2, nproc)) at a time, so concurrent runs compete with each other and
# with anything else on the machine: the numbers are noisy; read medians.
# A global budget (DETECT_BUDGET s) bounds the section: runs not started
# by then are reported as "not run (budget)", never silently dropped. The
# committed-corpus runs (fast, the goal) go first, then the no-own-seed
# runs seed by seed across all clients, so a cut leaves every client with
# its first seeds. With the defaults the section took ~3 min here.
#
# Knobs (env): BENCH_QUICK=1 (2 seeds, 10 s caps), DETECT_SEEDS (5),
# DETECT_CAP (60, committed corpus), DETECT_NOOWN_SEEDS (5; 3 when
# DETECT_JOBS is 1), DETECT_NOOWN_CAP (60), DETECT_JOBS, DETECT_BUDGET
# (330 s; the runs under way then still finish), DETECT_TARGETS (subset, e.g.
# "fuzz_zoo_refinalizer_2023 fuzz_zoo_reorder_loop").
# Output: a table on stdout and OUT_DIR/detect.json. Exit status 0 whatever
# the times; 2 only for a usage error.
# shellcheck disable=SC2059 # tables: one printf format for header and rows
set -u

usage() { echo "usage: detect.sh BUILD_DIR OUT_DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
BUILD_DIR=$1
OUT_DIR=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)

ncpu=$(nproc 2>/dev/null || echo 1)
d_jobs=2
[ "$ncpu" -lt 2 ] && d_jobs=1
JOBS=${DETECT_JOBS:-$d_jobs}
[[ $JOBS =~ ^[0-9]+$ && $JOBS -gt 0 ]] || { echo "detect.sh: DETECT_JOBS must be a positive integer" >&2; exit 2; }
if [ "${BENCH_QUICK:-0}" != 0 ]; then
    d_seeds=2 d_cap=10 d_noown_seeds=2 d_noown_cap=10 d_budget=120
else
    # 5 no-own-seed runs per client take ~3 min with two at a time; one at
    # a time (DETECT_JOBS=1, e.g. while bench/memory.sh holds the other
    # core) would take ~6, so that column drops to 3 seeds.
    d_seeds=5 d_cap=60 d_noown_seeds=5 d_noown_cap=60 d_budget=330
    [ "$JOBS" -lt 2 ] && d_noown_seeds=3
fi
SEEDS=${DETECT_SEEDS:-$d_seeds}
CAP=${DETECT_CAP:-$d_cap}
NOOWN_SEEDS=${DETECT_NOOWN_SEEDS:-$d_noown_seeds}
NOOWN_CAP=${DETECT_NOOWN_CAP:-$d_noown_cap}
BUDGET=${DETECT_BUDGET:-$d_budget}
for v in SEEDS CAP NOOWN_SEEDS NOOWN_CAP BUDGET JOBS; do
    [[ ${!v} =~ ^[0-9]+$ && ${!v} -gt 0 ]] || { echo "detect.sh: $v must be a positive integer" >&2; exit 2; }
done

say() { printf 'detect.sh: %s\n' "$*" >&2; }
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"   # json_str

mkdir -p "$OUT_DIR" || { echo "detect.sh: cannot create $OUT_DIR" >&2; exit 2; }
JSON_OUT=$OUT_DIR/detect.json

# A section that cannot run still leaves a table row and a JSON file.
not_measured() {
    printf '%-26s not measured: %s\n' "time-to-detect" "$1"
    {
        printf '{\n  "benchmark": "detect",\n  "measured": false,\n  "reason": %s\n}\n' "$(json_str "$1")"
    } >"$JSON_OUT"
    exit 0
}

command -v timeout >/dev/null || not_measured "the timeout command (coreutils) is missing"
[ -d "$BUILD_DIR/fuzz" ] || not_measured "$BUILD_DIR/fuzz is missing: configure with -DCMAKE_C_COMPILER=clang -DAFZ_FUZZ=ON and build"
REF_SEEDS=$ROOT/corpus/fuzz/fuzz_reference
[ -d "$REF_SEEDS" ] || not_measured "$REF_SEEDS is missing"

if [ -n "${DETECT_TARGETS:-}" ]; then
    read -r -a TARGETS <<<"$DETECT_TARGETS"
else
    TARGETS=()
    for f in "$BUILD_DIR"/fuzz/fuzz_zoo_*; do
        [ -f "$f" ] && TARGETS+=("${f##*/}")
    done
fi
[ ${#TARGETS[@]} -gt 0 ] || not_measured "no fuzz_zoo_* targets in $BUILD_DIR/fuzz (was it built with -DAFZ_FUZZ=ON?)"

# ---- expected property per zoo client --------------------------------------
declare -A EXPECT
if [ -x "$BUILD_DIR/acmefuzz" ] && listing=$("$BUILD_DIR/acmefuzz" list clients 2>/dev/null); then
    while read -r c p _; do
        case $c in zoo-*) EXPECT[$c]=$p ;; esac
    done <<<"$listing"
    EXPECT_SRC="$BUILD_DIR/acmefuzz list clients"
else
    for f in "$ROOT"/clients/zoo/afz_zoo_*.c; do
        c=$(sed -n 's/^ *\.name *= *"\(zoo-[a-z0-9-]*\)".*/\1/p' "$f" | head -1)
        p=$(sed -n 's/^ *\.expected_property *= *"\([a-z-]*\)".*/\1/p' "$f" | head -1)
        [ -n "$c" ] && [ -n "$p" ] && EXPECT[$c]=$p
    done
    EXPECT_SRC="clients/zoo/*.c ($BUILD_DIR/acmefuzz is missing or does not run)"
fi

# seed_files DIR: the committed seed files of DIR (names only). With a git
# checkout that is `git ls-files` (read-only), so inputs a fuzzing run left
# in corpus/ are not counted; without one, every regular file in DIR.
seed_files() {
    local list
    if [ "$HAVE_GIT" = 1 ] && list=$(git -C "$1" ls-files -- . 2>/dev/null) && [ -n "$list" ]; then
        printf '%s\n' "$list" | grep -v /
    else
        (cd "$1" && find . -maxdepth 1 -type f -printf '%f\n' | sort)
    fi
}
HAVE_GIT=0
command -v git >/dev/null && git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1 && HAVE_GIT=1

client_of() { local s=${1#fuzz_zoo_}; echo "zoo-${s//_/-}"; }

# ---- temp space and cleanup -----------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-detect.XXXXXX") || not_measured "mktemp failed"
JOBPIDS=()
# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
    local f p
    for f in "$TMP"/run-*/pid; do
        [ -f "$f" ] || continue
        p=$(cat "$f" 2>/dev/null)
        # the pid is a `timeout` process, leader of its own process group:
        # TERM makes it pass TERM on to the fuzzer (and KILL 5 s later)
        [ -n "$p" ] && kill -TERM "$p" 2>/dev/null
    done
    for p in "${JOBPIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
trap '' PIPE # a reader that stops early (| head) must not cost the JSON file

# ---- one run ----------------------------------------------------------------
# run_one ID BIN SEEDDIR SEED CAP EXPECTED -> $TMP/run-ID/result:
#   status seconds execs property
# status: found | other (crashed on something else) | none (no crash by CAP)
#         | error
run_one() {
    local id=$1 bin=$2 seeddir=$3 seed=$4 cap=$5 want=$6
    local w=$TMP/run-$id
    mkdir -p "$w/corpus" "$w/art"
    local f
    while IFS= read -r f; do
        cp -- "$seeddir/$f" "$w/corpus/"
    done < <(seed_files "$seeddir")
    local t0 t1 rc
    t0=$(date +%s%N)
    timeout -k 5 $((cap + 30)) "$bin" -seed="$seed" -max_total_time="$cap" -max_len=128 \
        -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$w/art/" \
        "$w/corpus" >"$w/log" 2>&1 </dev/null &
    echo $! >"$w/pid"
    wait $!
    rc=$?
    t1=$(date +%s%N)
    rm -f "$w/pid"
    local secs execs prop status crash other
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$w/log" | tail -1)
    prop=$(sed -n 's/^==acmefuzz== VIOLATION \([a-z-]*\).*/\1/p' "$w/log" | head -1)
    crash=$(find "$w/art" -maxdepth 1 -name 'crash-*' | head -1)
    other=$(find "$w/art" -maxdepth 1 \( -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | head -1)
    if [ -n "$crash" ]; then
        if [ "$want" = crash ]; then
            if [ -z "$prop" ]; then status=found prop=crash; else status=other; fi
        elif [ "$prop" = "$want" ]; then
            status=found
        else
            status=other
            [ -n "$prop" ] || prop=crash
        fi
    elif [ -n "$other" ]; then
        status=other prop=$(basename "$other" | sed 's/-.*//')
    elif [ "$rc" -eq 0 ]; then
        status=none prop=-
    else
        status=error prop="exit-$rc"
    fi
    echo "$status $secs ${execs:-0} ${prop:--}" >"$w/result"
}

# ---- the job list: committed-corpus runs, then no-own-seed runs seed-major --
JOB_ID=()
JOB_T=()
JOB_KIND=()
JOB_SEED=()
for t in "${TARGETS[@]}"; do
    for s in $(seq 1 "$SEEDS"); do
        JOB_ID+=("${t}-committed-$s") JOB_T+=("$t") JOB_KIND+=(committed) JOB_SEED+=("$s")
    done
done
for s in $(seq 1 "$NOOWN_SEEDS"); do
    for t in "${TARGETS[@]}"; do
        JOB_ID+=("${t}-noown-$s") JOB_T+=("$t") JOB_KIND+=(noown) JOB_SEED+=("$s")
    done
done

declare -A SKIP # target -> reason it cannot run at all
for t in "${TARGETS[@]}"; do
    c=$(client_of "$t")
    if [ ! -x "$BUILD_DIR/fuzz/$t" ]; then
        SKIP[$t]="$BUILD_DIR/fuzz/$t is missing"
    elif [ ! -d "$ROOT/corpus/fuzz/$t" ]; then
        SKIP[$t]="no committed seeds in corpus/fuzz/$t"
    elif [ -z "${EXPECT[$c]:-}" ]; then
        SKIP[$t]="no expected property known for $c"
    fi
done

# The zoo-specific seed: what the committed zoo corpus has and the reference
# corpus lacks (expected: exactly zoo-<name>.bin).
declare -A OWN
REF_LIST=$(seed_files "$REF_SEEDS")
NREF=$(printf '%s\n' "$REF_LIST" | grep -c .)
for t in "${TARGETS[@]}"; do
    [ -n "${SKIP[$t]:-}" ] && continue
    OWN[$t]=$(comm -23 <(seed_files "$ROOT/corpus/fuzz/$t" | LC_ALL=C sort) \
        <(printf '%s\n' "$REF_LIST" | LC_ALL=C sort) | paste -sd' ')
    missing=$(comm -13 <(seed_files "$ROOT/corpus/fuzz/$t" | LC_ALL=C sort) \
        <(printf '%s\n' "$REF_LIST" | LC_ALL=C sort) | grep -c .)
    [ "$missing" -gt 0 ] && say "note: corpus/fuzz/$t lacks $missing of the reference seeds"
done
for d in "$REF_SEEDS" "${TARGETS[@]/#/$ROOT/corpus/fuzz/}"; do
    [ -d "$d" ] || continue
    extra=$(($(find "$d" -maxdepth 1 -type f | wc -l) - $(seed_files "$d" | grep -c .)))
    [ "$extra" -gt 0 ] && say "note: ignoring $extra untracked file(s) in ${d#"$ROOT"/} (not committed seeds)"
done

say "${#TARGETS[@]} zoo targets; committed corpus: $SEEDS seeds, cap ${CAP}s; without own seed: $NOOWN_SEEDS seeds, cap ${NOOWN_CAP}s; $JOBS runs at a time (nproc $ncpu); budget ${BUDGET}s"
say "expected properties from $EXPECT_SRC"
T_START=$(date +%s)
declare -A BUDGET_SKIPPED
njobs=${#JOB_ID[@]}
for ((i = 0; i < njobs; i++)); do
    t=${JOB_T[$i]}
    [ -n "${SKIP[$t]:-}" ] && continue
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
        wait -n
    done
    if [ $(($(date +%s) - T_START)) -ge "$BUDGET" ]; then
        BUDGET_SKIPPED[${JOB_ID[$i]}]=1
        continue
    fi
    c=$(client_of "$t")
    if [ "${JOB_KIND[$i]}" = noown ]; then
        seeddir=$REF_SEEDS cap=$NOOWN_CAP
    else
        seeddir=$ROOT/corpus/fuzz/$t cap=$CAP
    fi
    run_one "${JOB_ID[$i]}" "$BUILD_DIR/fuzz/$t" "$seeddir" "${JOB_SEED[$i]}" "$cap" "${EXPECT[$c]}" &
    JOBPIDS+=($!)
done
wait
JOBPIDS=()
T_TOTAL=$(($(date +%s) - T_START))

# ---- summarise -------------------------------------------------------------
# stats KIND TARGET CAP -> "median max found total notes"
# Not-found runs sort as +inf; the median is the middle order statistic
# (for an even count, the mean of the two middle ones).
stats() {
    local kind=$1 t=$2 cap=$3 s st secs _e prop n=0 found=0 vals=() notes=() skipped=0 per=()
    for s in $(seq 1 "$([ "$kind" = noown ] && echo "$NOOWN_SEEDS" || echo "$SEEDS")"); do
        local id="${t}-${kind}-$s" f="$TMP/run-${t}-${kind}-$s/result"
        if [ -n "${BUDGET_SKIPPED[$id]:-}" ] || [ ! -f "$f" ]; then
            skipped=$((skipped + 1))
            continue
        fi
        read -r st secs _e prop <"$f"
        per+=("$(printf '{"seed": %d, "status": "%s", "wall_s": %s, "execs": %d, "stopped_on": "%s"}' "$s" "$st" "$secs" "$_e" "$prop")")
        n=$((n + 1))
        if [ "$st" = found ]; then
            found=$((found + 1))
            vals+=("$secs")
        else
            vals+=(inf)
            [ "$st" = none ] || notes+=("seed $s: $st $prop")
        fi
    done
    [ "$skipped" -gt 0 ] && notes+=("$skipped not run (budget)")
    printf '%s\n' "${per[@]}" >"$TMP/per-$kind-$t"
    local med=- max=-
    if [ "$n" -gt 0 ]; then
        read -r med max < <(printf '%s\n' "${vals[@]}" | sort -g | awk -v cap="$cap" '
            { v[NR] = $1 }
            END {
                m = (NR % 2) ? v[(NR + 1) / 2] : ((v[NR / 2] == "inf" || v[NR / 2 + 1] == "inf") ? "inf" : (v[NR / 2] + v[NR / 2 + 1]) / 2)
                x = v[NR]
                printf "%s %s\n", (m == "inf") ? ">" cap : sprintf("%.2f", m), (x == "inf") ? ">" cap : sprintf("%.2f", x)
            }')
    fi
    local IFS=';'
    echo "$med $max $found $n ${notes[*]:-}"
}

per_seed() { [ -s "$TMP/per-$1-$2" ] && paste -sd, "$TMP/per-$1-$2" | sed 's/},{/}, {/g'; }
num() { case $1 in ">"* | -) echo null ;; *) echo "$1" ;; esac; }

hdr='%-26s %-22s %9s %8s %6s   %9s %8s %6s\n'
printf '\n== time to detect (wall s per libFuzzer process, incl. start-up; noisy: %d run(s) at a time on %d cores)\n' "$JOBS" "$ncpu"
printf '   committed corpus: -seed=1..%d, cap %d s; without own seed: -seed=1..%d, cap %d s%s\n' "$SEEDS" "$CAP" "$NOOWN_SEEDS" "$NOOWN_CAP" \
    "$([ -z "${DETECT_NOOWN_SEEDS:-}" ] && [ "$NOOWN_SEEDS" -lt "$SEEDS" ] && echo " (fewer seeds: one run at a time, to fit the time box)")"
printf "$hdr" "" "" "committed" "corpus" "" "without" "own" "seed"
printf "$hdr" client property "median s" "max s" found "median s" "max s" found
ROWS=()
worst_c=0 worst_c_name="" goal5=1 goal1=unknown any=0 all_noown=1
for t in "${TARGETS[@]}"; do
    c=$(client_of "$t")
    p=${EXPECT[$c]:--}
    if [ -n "${SKIP[$t]:-}" ]; then
        printf '%-26s %-22s not measured: %s\n' "$c" "$p" "${SKIP[$t]}"
        ROWS+=("$(printf '{"client": %s, "target": %s, "property": %s, "measured": false, "reason": %s}' \
            "$(json_str "$c")" "$(json_str "$t")" "$(json_str "$p")" "$(json_str "${SKIP[$t]}")")")
        goal5=0
        continue
    fi
    any=1
    read -r cmed cmax cfound cn cnotes < <(stats committed "$t" "$CAP")
    read -r nmed nmax nfound nn nnotes < <(stats noown "$t" "$NOOWN_CAP")
    printf "$hdr" "$c" "$p" "$cmed" "$cmax" "$cfound/$cn" "$nmed" "$nmax" "$nfound/$nn"
    [ -n "$cnotes" ] && printf '%-26s   committed: %s\n' "" "$cnotes"
    [ -n "$nnotes" ] && printf '%-26s   without own seed: %s\n' "" "$nnotes"
    case $cmed in
    ">"* | -) goal5=0 worst_c=inf worst_c_name=$c ;;
    *)
        if [ "$worst_c" != inf ] && awk -v a="$cmed" -v b="$worst_c" 'BEGIN { exit !(a > b) }'; then
            worst_c=$cmed worst_c_name=$c
        fi
        awk -v a="$cmed" 'BEGIN { exit !(a < 5) }' || goal5=0
        ;;
    esac
    case $nmed in ">"* | -) all_noown=0 ;; esac
    if [ "$c" = zoo-refinalizer-2023 ]; then
        case $cmed in
        ">"* | -) goal1=0 ;;
        *) if awk -v a="$cmed" 'BEGIN { exit !(a < 1) }'; then goal1=1; else goal1=0; fi ;;
        esac
    fi
    ROWS+=("$(printf '{"client": %s, "target": %s, "property": %s, "own_seed": %s, "measured": true, "committed": {"median_s": %s, "max_s": %s, "median": %s, "max": %s, "found": %d, "runs": %d, "cap_s": %d, "notes": %s, "per_seed": [%s]}, "without_own_seed": {"median_s": %s, "max_s": %s, "median": %s, "max": %s, "found": %d, "runs": %d, "cap_s": %d, "notes": %s, "per_seed": [%s]}}' \
        "$(json_str "$c")" "$(json_str "$t")" "$(json_str "$p")" "$(json_str "${OWN[$t]:-}")" \
        "$(num "$cmed")" "$(num "$cmax")" "$(json_str "$cmed")" "$(json_str "$cmax")" "$cfound" "$cn" "$CAP" "$(json_str "$cnotes")" "$(per_seed committed "$t")" \
        "$(num "$nmed")" "$(num "$nmax")" "$(json_str "$nmed")" "$(json_str "$nmax")" "$nfound" "$nn" "$NOOWN_CAP" "$(json_str "$nnotes")" "$(per_seed noown "$t")")")
done

odd_own=""
for t in "${TARGETS[@]}"; do
    [ -n "${SKIP[$t]:-}" ] && continue
    [ "${OWN[$t]:-}" = "$(client_of "$t").bin" ] || odd_own+=" $(client_of "$t")=[${OWN[$t]:-none}]"
done
echo "own seed = the file corpus/fuzz/fuzz_zoo_<name>/ adds to the $NREF reference seeds (zoo-<name>.bin);"
echo "  'without own seed' starts from corpus/fuzz/fuzz_reference/ only. '>N': not found by the median run within N s."
[ -n "$odd_own" ] && echo "note: unexpected zoo-specific seed set:$odd_own"

verdict() { case $1 in 1) echo met ;; 0) echo "NOT met" ;; *) echo "not measured" ;; esac; }
[ "$any" = 1 ] || goal5=unknown
echo
if [ "$worst_c" = inf ]; then
    echo "worst committed-corpus median: not found within ${CAP}s ($worst_c_name)"
elif [ -n "$worst_c_name" ]; then
    echo "worst committed-corpus median: ${worst_c}s ($worst_c_name)"
fi
echo "goal: median < 5 s for every zoo bug (committed corpus): $(verdict "$goal5")"
echo "goal: zoo-refinalizer-2023 median < 1 s (committed corpus): $(verdict "$goal1")"
if [ "$any" = 1 ]; then
    if [ "$all_noown" = 1 ]; then
        echo "without its own seed: every bug's median is under ${NOOWN_CAP}s"
    else
        echo "without its own seed: some bugs are not found by the median run within ${NOOWN_CAP}s (see '>' rows)"
    fi
fi
echo "section took ${T_TOTAL}s wall"

{
    printf '{\n  "benchmark": "detect",\n  "measured": true,\n'
    printf '  "timing": "wall-clock seconds of the libFuzzer process, exec to exit (start-up, seed replay and crash report included, nothing subtracted)",\n'
    printf '  "flags": "-seed=S -max_total_time=CAP -max_len=128 -timeout=20 -rss_limit_mb=2048",\n'
    printf '  "seeds": %d, "cap_s": %d, "noown_seeds": %d, "noown_cap_s": %d,\n' "$SEEDS" "$CAP" "$NOOWN_SEEDS" "$NOOWN_CAP"
    printf '  "parallel_runs": %d, "nproc": %d, "budget_s": %d, "wall_s": %d, "quick": %s,\n' \
        "$JOBS" "$ncpu" "$BUDGET" "$T_TOTAL" "$([ "${BENCH_QUICK:-0}" != 0 ] && echo true || echo false)"
    printf '  "expected_properties_from": %s,\n' "$(json_str "$EXPECT_SRC")"
    seeds_from="directory listing"
    [ "$HAVE_GIT" = 1 ] && seeds_from="git ls-files"
    printf '  "seeds_from": %s, "reference_seeds": %d,\n' "$(json_str "$seeds_from")" "$NREF"
    printf '  "goal_median_under_5s": %s,\n' "$(case $goal5 in 1) echo true ;; 0) echo false ;; *) echo null ;; esac)"
    printf '  "goal_refinalizer_under_1s": %s,\n' "$(case $goal1 in 1) echo true ;; 0) echo false ;; *) echo null ;; esac)"
    printf '  "clients": [\n'
    for ((i = 0; i < ${#ROWS[@]}; i++)); do
        printf '    %s%s\n' "${ROWS[$i]}" "$([ $i -lt $((${#ROWS[@]} - 1)) ] && echo ,)"
    done
    printf '  ]\n}\n'
} >"$JSON_OUT"
say "wrote $JSON_OUT"
exit 0
