#!/usr/bin/env bash
# ossfuzz_build.sh BUILD SOURCE - run oss-fuzz/build.sh locally in an
# OSS-Fuzz-like environment and check what it produced.
#
# The environment is what OSS-Fuzz's base-builder gives an address+undefined
# libFuzzer build: CC=clang CXX=clang++, the sanitizer and coverage flags in
# CFLAGS/CXXFLAGS, LIB_FUZZING_ENGINE=-fsanitize=fuzzer, a temporary $OUT and
# $WORK, and SRC = the parent of the source tree. AFZ_OSSFUZZ_ZOO=1 keeps
# the zoo targets, which OSS-Fuzz builds leave out.
#
# Then, for every target the tree defines (fuzz_reference, fuzz_independent, fuzz_zoo_<client>,
# targets/fuzz_*.c): the binary and <t>.options exist, <t>_seed_corpus.zip
# wherever the tree commits corpus/fuzz/<t>/, <t>.dict for the text targets
# (and whatever dict an options file names), the binary needs none of the shared
# libraries the runners lack (libssl, libcrypto, libcurl, libevent), and
# libFuzzer replays the unzipped seed corpus (-runs=0, with the options'
# max_len and dict; a target without committed seeds runs 200 inputs from
# nothing instead):
#   fuzz_reference and the hardening targets: exit 0;
#   zoo targets: a crash carrying the acmefuzz VIOLATION line (the corpus
#     holds the client's known bug: the target works), and with
#     AFZ_FUZZ_NO_ABORT=1 a clean pass over the whole corpus;
#   fuzz_zoo_crash_*: the client itself crashes (a sanitizer report).
# One line per check, then "N passed, M failed"; exit 1 on any failure.
set -uo pipefail
build=${1:?usage: ossfuzz_build.sh BUILD SOURCE}
src=$(cd "${2:?usage: ossfuzz_build.sh BUILD SOURCE}" && pwd)

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
finish() { echo "$pass passed, $fail failed"; [[ $fail -eq 0 ]]; exit $?; }

for tool in clang clang++ python3 readelf; do
  if ! command -v "$tool" > /dev/null; then
    ko "missing $tool (bash scripts/install-deps.sh test installs it)"
    finish
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/afz-ossfuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out" "$tmp/work"

# The flags OSS-Fuzz passes for SANITIZER=address,undefined (abridged).
flags="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address,undefined -fsanitize=fuzzer-no-link"
start=$(date +%s)
if (cd "$src" && env -u CFLAGS -u CXXFLAGS -u LDFLAGS \
      CC=clang CXX=clang++ CFLAGS="$flags" CXXFLAGS="$flags" \
      LIB_FUZZING_ENGINE=-fsanitize=fuzzer SRC="$(dirname "$src")" \
      OUT="$tmp/out" WORK="$tmp/work" AFZ_OSSFUZZ_ZOO=1 \
      bash oss-fuzz/build.sh) > "$tmp/build.log" 2>&1; then
  ok "oss-fuzz/build.sh ran in $(( $(date +%s) - start )) s"
else
  ko "oss-fuzz/build.sh failed:"; tail -30 "$tmp/build.log" | sed 's/^/    /'
  finish
fi

# The targets the tree defines, as targets/CMakeLists.txt makes them.
targets=(fuzz_reference fuzz_independent)
for f in "$src"/clients/zoo/afz_zoo_*.c; do
  s=$(basename "$f" .c); targets+=("fuzz_zoo_${s#afz_zoo_}")
done
for f in "$src"/targets/fuzz_*.c; do
  t=$(basename "$f" .c); [[ $t == fuzz_client ]] || targets+=("$t")
done

out=$tmp/out
for t in "${targets[@]}"; do
  # A seed corpus is expected where the tree commits one (corpus/fuzz/<t>/).
  has_seeds=0
  [[ -d $src/corpus/fuzz/$t ]] && has_seeds=1
  want=("$t" "$t.options")
  [[ $has_seeds -eq 1 ]] && want+=("${t}_seed_corpus.zip")
  missing=()
  for f in "${want[@]}"; do
    [[ -s $out/$f ]] || missing+=("$f")
  done
  # Text targets get acme.dict unless they bring their own options; a dict
  # an options file names must be there.
  text=1
  case $t in fuzz_reference|fuzz_independent|fuzz_zoo_*|fuzz_plan) text=0 ;; esac
  [[ -f $src/targets/$t.options ]] && text=0
  [[ $text -eq 0 || -s $out/$t.dict ]] || missing+=("$t.dict")
  named=$(sed -n 's/^dict *= *//p' "$out/$t.options" 2>/dev/null)
  [[ -z $named || -s $out/$named ]] || missing+=("$named")
  if [[ ${#missing[@]} -gt 0 ]]; then
    ko "$t: missing in \$OUT: ${missing[*]}"; continue
  fi
  # Only $OUT ships: nothing the runner image lacks may be DT_NEEDED.
  needed=$(readelf -d "$out/$t" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
  if grep -Eq 'lib(ssl|crypto|curl|event)' <<<"$needed"; then
    ko "$t: needs shared libraries the runners lack: $needed"; continue
  fi
  # Unzip the seed corpus and replay it the way libFuzzer would use it.
  seeds=$tmp/seeds/$t
  mkdir -p "$seeds"
  n=0 runs=0
  if [[ $has_seeds -eq 1 ]]; then
    n=$(python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); z.extractall(sys.argv[2]); print(len(z.namelist()))' \
          "$out/${t}_seed_corpus.zip" "$seeds")
  else
    runs=200 # no seeds committed: fuzz briefly from nothing instead
  fi
  max_len=$(sed -n 's/^max_len *= *//p' "$out/$t.options")
  dict=$(sed -n 's/^dict *= *//p' "$out/$t.options")
  args=(-runs="$runs" -seed=1 -max_len="${max_len:-4096}")
  [[ -n $dict ]] && args+=(-dict="$out/$dict")
  log=$tmp/$t.log
  ( cd "$tmp" && timeout 300 "$out/$t" "${args[@]}" "$seeds" ) > "$log" 2>&1
  rc=$?
  case $t in
    fuzz_zoo_crash_*)
      if [[ $rc -ne 0 ]] && grep -q 'ERROR: AddressSanitizer\|runtime error\|deadly signal' "$log"; then
        ok "$t: crashed on its seed corpus as expected ($n inputs, exit $rc)"
      else
        ko "$t: expected a crash, got exit $rc"; tail -8 "$log" | sed 's/^/    /'
      fi ;;
    fuzz_zoo_*)
      prop=$(sed -n 's/^==acmefuzz== VIOLATION \([a-z0-9-]*\).*/\1/p' "$log" | head -1)
      if [[ $rc -ne 0 && -n $prop ]]; then
        ok "$t: found its known violation ($prop) in the seed corpus"
      else
        ko "$t: expected a VIOLATION crash, got exit $rc"; tail -8 "$log" | sed 's/^/    /'
      fi
      if ( cd "$tmp" && AFZ_FUZZ_NO_ABORT=1 timeout 300 "$out/$t" "${args[@]}" "$seeds" ) \
           > "$log.noabort" 2>&1; then
        ok "$t: AFZ_FUZZ_NO_ABORT=1 replays all $n seeds cleanly"
      else
        ko "$t: AFZ_FUZZ_NO_ABORT=1 replay failed"; tail -8 "$log.noabort" | sed 's/^/    /'
      fi ;;
    *)
      if [[ $rc -eq 0 ]] && grep -q 'Done [0-9]* runs' "$log"; then
        if [[ $has_seeds -eq 1 ]]; then
          ok "$t: replayed $n seeds, no finding${dict:+ (dict $dict loads)}"
        else
          ok "$t: no committed seed corpus; $runs runs from nothing, no finding${dict:+ (dict $dict loads)}"
        fi
      else
        ko "$t: replay exit $rc"; tail -12 "$log" | sed 's/^/    /'
      fi ;;
  esac
done
# Nothing unexpected in $OUT: every file belongs to a known target.
for f in "$out"/*; do
  b=$(basename "$f"); t=${b%%.*}; t=${t%_seed_corpus}
  # (a here-string, not a pipe: under pipefail, grep -q leaving early can
  # kill printf with SIGPIPE and fail the test at random)
  grep -qx -- "$t" <<<"$(printf '%s\n' "${targets[@]}")" || ko "unexpected file in \$OUT: $b"
done
finish
