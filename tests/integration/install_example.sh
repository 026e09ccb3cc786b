#!/usr/bin/env bash
# install_example.sh BUILD SOURCE - install BUILD into a temporary prefix and
# use it from outside the tree, exactly as examples/README.md says:
#   - the installed files are there (library, driver, headers, .pc files,
#     CLI, dictionary, seeds, examples) and pkg-config finds acmefuzz;
#   - the example client and its fuzz target build from the INSTALLED copy of
#     examples/ with the README's one compiler line, with the standalone
#     driver (any compiler) and with libFuzzer (clang), and each replays the
#     installed seeds with no violation;
#   - the example client builds as a shared object with one line and
#     `acmefuzz run --client-lib ./libmy_client.so --scenario <a legal
#     regression>` exits 0 with a certificate;
#   - a client library of another ABI version, one without afz_client_entry
#     and a missing file each give a clear error and exit 2.
# The compiler is the build's own (a sanitizer build's library must be
# linked by the compiler that built it; its acmefuzz.pc adds the flags).
# One line per check, then "N passed, M failed"; exit 1 on any failure.
set -uo pipefail
build=$(cd "${1:?usage: install_example.sh BUILD SOURCE}" && pwd)
src=$(cd "${2:?usage: install_example.sh BUILD SOURCE}" && pwd)

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
finish() { echo "$pass passed, $fail failed"; [[ $fail -eq 0 ]]; exit $?; }
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/afz-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

if cmake --install "$build" --prefix "$prefix" > "$tmp/install.log" 2>&1; then
  ok "cmake --install into a temporary prefix"
else
  ko "cmake --install failed:"; tail -20 "$tmp/install.log" | sed 's/^/    /'; finish
fi
pcdir=$(dirname "$(find "$prefix" -name acmefuzz.pc | head -1)")
export PKG_CONFIG_PATH=$pcdir
missing=()
for f in bin/acmefuzz include/acmefuzz/acmefuzz.h include/acmefuzz/afz_client.h \
         include/acmefuzz/afz_fuzz.h include/acmefuzz/afz_reference.h \
         include/acmefuzz/afz_http.h include/acmefuzz/afz_rc.h share/acmefuzz/acme.dict \
         share/acmefuzz/examples/my_client.c share/acmefuzz/examples/my_fuzz_target.c; do
  [[ -s $prefix/$f ]] || missing+=("$f")
done
ls "$prefix"/lib*/libacmefuzz.a "$prefix"/lib*/libacmefuzz_standalone.a > /dev/null 2>&1 \
  || missing+=("lib/libacmefuzz.a or lib/libacmefuzz_standalone.a")
ls "$prefix"/include/acmefuzz/*_internal.h > /dev/null 2>&1 && missing+=("(an _internal.h was installed)")
version=$(pkg-config --modversion acmefuzz 2>&1)
if [[ ${#missing[@]} -eq 0 && $version == "$(cache CMAKE_PROJECT_VERSION)" ]]; then
  ok "installed files present; pkg-config acmefuzz $version"
else
  ko "install tree: missing ${missing[*]:-nothing}; pkg-config says '$version'"; finish
fi
# The public API and nothing else: libacmefuzz.a defines as global exactly
# what the installed headers declare AFZ_API (afz_client_entry excepted:
# a client library defines it), and the standalone archive only its
# driver's main.
api=$(grep -ho 'AFZ_API [^(;]*' "$prefix"/include/acmefuzz/*.h | grep -o 'afz_[a-z0-9_]*$' |
      grep -vx afz_client_entry | sort -u)
defined=$(nm -g --defined-only "$prefix"/lib*/libacmefuzz.a | awk 'NF == 3 { print $3 }' | sort -u)
standalone=$(nm -g --defined-only "$prefix"/lib*/libacmefuzz_standalone.a |
             awk 'NF == 3 { print $3 }' | sort -u | tr '\n' ' ')
if [[ -n $api && $api == "$defined" && $standalone == "main " ]]; then
  ok "the installed archives define the public API only ($(echo "$api" | wc -l) AFZ_API symbols)"
else
  ko "exported symbols differ from the AFZ_API declarations:" \
     "$(diff <(echo "$api") <(echo "$defined") | grep '^[<>]' | tr '\n' ' ' | head -c 600)" \
     "standalone: $standalone"
fi
acmefuzz=$prefix/bin/acmefuzz
seeds=$(pkg-config --variable=seeds acmefuzz)
regressions=$(pkg-config --variable=regressions acmefuzz)

cc=$(cache CMAKE_C_COMPILER)
sanitize=$(cache AFZ_SANITIZE)
work=$tmp/client
cp -r "$prefix/share/acmefuzz/examples" "$work"
cd "$work" || finish

# run NAME COMMAND...: a check that COMMAND exits 0; its output is in $tmp/NAME.log.
run() {
  local name=$1; shift
  if "$@" > "$tmp/$name.log" 2>&1; then return 0; fi
  echo "    \$ $*"; tail -15 "$tmp/$name.log" | sed 's/^/    /'
  return 1
}

# 1. Standalone driver: the README's one line, with the build's compiler.
line=("$cc" -g my_client.c my_fuzz_target.c -o my_fuzz $(pkg-config --cflags --libs acmefuzz-standalone))
if run build_standalone "${line[@]}"; then
  ok "one line: ${line[*]//$prefix/PREFIX}"
  if run replay_standalone ./my_fuzz "$seeds" && grep -q '^[0-9]* passed, 0 failed$' "$tmp/replay_standalone.log"; then
    ok "my_fuzz (standalone) replays the installed seeds: $(tail -1 "$tmp/replay_standalone.log")"
  else
    ko "my_fuzz (standalone) over the installed seeds"
  fi
else
  ko "standalone example does not build"
fi

# 2. libFuzzer: clang with -fsanitize=fuzzer (needs a library clang can link:
# any plain build, or a sanitizer build made by clang).
if command -v clang > /dev/null && { [[ $sanitize != ON ]] || [[ $(basename "$cc") == clang* ]]; }; then
  line=(clang -g -O1 -fsanitize=fuzzer,address,undefined my_client.c my_fuzz_target.c -o my_fuzz_lf
        $(pkg-config --cflags --libs acmefuzz))
  if run build_libfuzzer "${line[@]}"; then
    ok "one line: ${line[*]//$prefix/PREFIX}"
    if run replay_libfuzzer ./my_fuzz_lf -runs=0 -max_len=128 "$seeds" \
         && grep -q 'Done [0-9]* runs' "$tmp/replay_libfuzzer.log"; then
      ok "my_fuzz_lf (libFuzzer) replays the installed seeds: $(grep -o 'Done [0-9]* runs.*' "$tmp/replay_libfuzzer.log")"
    else
      ko "my_fuzz_lf (libFuzzer) over the installed seeds"
    fi
  else
    ko "libFuzzer example does not build"
  fi
else
  echo "skip: libFuzzer variant (no clang, or a sanitizer build by another compiler)"
fi

# 3. The client as a shared object, run by the installed CLI.
scn=$regressions/letsencrypt-2023-07-13-async-finalize.scn
line=("$cc" -shared -fPIC -g my_client.c -o libmy_client.so $(pkg-config --cflags --libs acmefuzz))
if run build_so "${line[@]}"; then
  ok "one line: ${line[*]//$prefix/PREFIX}"
  if run run_so "$acmefuzz" run --client-lib ./libmy_client.so --scenario "$scn" \
       && grep -q 'client my-client' "$tmp/run_so.log" \
       && grep -q 'certificate obtained' "$tmp/run_so.log"; then
    ok "acmefuzz run --client-lib ./libmy_client.so --scenario $(basename "$scn"): exit 0, certificate obtained"
  else
    ko "acmefuzz run --client-lib ./libmy_client.so"
  fi
  if run sweep_so "$acmefuzz" sweep --client-lib ./libmy_client.so --count 20 --seed 3 -q \
       && grep -q 'client my-client, seed 3: 20 plans' "$tmp/sweep_so.log" \
       && grep -q '^20 passed, 0 failed' "$tmp/sweep_so.log"; then
    ok "acmefuzz sweep --client-lib ./libmy_client.so --count 20: 20 passed"
  else
    ko "acmefuzz sweep --client-lib ./libmy_client.so: $(tail -2 "$tmp/sweep_so.log")"
  fi
else
  ko "the example client does not build as a shared object"
fi

# 4. Refusals: exit 2 and a message that says what is wrong.
cat > bad_abi.c <<'C'
#include "afz_client.h"
#include "afz_reference.h"
static const afz_client future = {
    .abi_version = AFZ_CLIENT_ABI_VERSION + 98,
    .struct_size = sizeof(afz_client),
    .name = "future",
    .obtain = afz_reference_obtain,
};
const afz_client *afz_client_entry(void) { return &future; }
C
cat > no_entry.c <<'C'
int not_a_client(void);
int not_a_client(void) { return 0; }
C
refuse() { # NAME EXPECTED-TEXT... (runs acmefuzz run --client-lib NAME)
  local lib=$1; shift
  "$acmefuzz" run --client-lib "$lib" > "$tmp/refuse.log" 2>&1
  local rc=$? want
  for want in "$@"; do
    grep -qF -- "$want" "$tmp/refuse.log" || { ko "--client-lib $lib: exit $rc, no '$want' in: $(head -3 "$tmp/refuse.log")"; return; }
  done
  if [[ $rc -eq 2 ]]; then ok "--client-lib $lib refused, exit 2: $(head -1 "$tmp/refuse.log")"
  else ko "--client-lib $lib: exit $rc, want 2"; fi
}
abi=$(sed -n 's/^#define AFZ_CLIENT_ABI_VERSION \([0-9]*\)u*$/\1/p' "$prefix/include/acmefuzz/afz_client.h")
if run build_bad "$cc" -shared -fPIC bad_abi.c -o libbad_abi.so $(pkg-config --cflags --libs acmefuzz) \
   && run build_noentry "$cc" -shared -fPIC no_entry.c -o libno_entry.so $(pkg-config --libs acmefuzz); then
  refuse ./libbad_abi.so "client ABI version $((abi + 98))" "speaks client ABI version $abi"
  refuse ./libno_entry.so "no symbol afz_client_entry"
  refuse ./libmissing.so "No such file"
else
  ko "the refusal fixtures do not build"
fi
finish
