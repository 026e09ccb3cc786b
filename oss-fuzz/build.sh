#!/bin/bash -eu
# build.sh - the OSS-Fuzz / ClusterFuzzLite build of acmefuzz's fuzz targets.
#
# The contract (google.github.io/oss-fuzz/getting-started/new-project-guide/):
#   in   $CC $CXX $CFLAGS $CXXFLAGS  compilers and flags; the sanitizer and
#                                    coverage flags are already in the flags,
#                                    so none are added here
#        $LIB_FUZZING_ENGINE         link flags of the engine (never assume libFuzzer)
#        $SRC                        sources: $SRC/acmefuzz, and $SRC/cJSON if cloned
#        $WORK                       intermediates
#   out  $OUT/<target>               every target of build/fuzz (zoo: see below), no extension
#        $OUT/<target>_seed_corpus.zip   corpus/fuzz/<target>/, files named by sha1
#        $OUT/<target>.options       [libfuzzer] max_len (and dict where used), or
#                                    targets/<target>.options where the tree has one
#        $OUT/<target>.dict          corpus/acme.dict, for the text targets
#
# Only $OUT ships to the runners, so the targets must not need shared
# libraries the runner image lacks: AFZ_STATIC_DEPS links OpenSSL from
# libssl-dev's archives and cJSON from the archive built here from
# $SRC/cJSON (Ubuntu ships no libcjson.a), and drops the libcurl and
# libevent entries the targets never use (--as-needed). Without $SRC/cJSON
# the system's shared libcjson is used: fine locally, not on OSS-Fuzz.
#
# The zoo targets (fuzz_zoo_*) run deliberately buggy clients: each crashes
# on its own seed corpus by design. On OSS-Fuzz that would file the same
# known bugs forever, and ClusterFuzzLite would fail every pull request, so
# they are left out of $OUT unless AFZ_OSSFUZZ_ZOO=1 (the local test sets it
# to check that each still finds its bug). `make fuzz` fuzzes them all.
#
# The source tree is $AFZ_SOURCE_DIR if set, else the current directory when
# it is acmefuzz (OSS-Fuzz runs this from WORKDIR $SRC/acmefuzz), else
# $SRC/acmefuzz. tests/integration/ossfuzz_build.sh runs this script
# locally in an OSS-Fuzz-like environment.

set -euo pipefail # also when run as `bash build.sh`, which ignores the #! flags

: "${CC:?}" "${CXX:?}" "${CFLAGS?}" "${CXXFLAGS?}" "${LIB_FUZZING_ENGINE:?}"
: "${SRC:?}" "${WORK:?}" "${OUT:?}"

if [[ -n ${AFZ_SOURCE_DIR:-} ]]; then
  root=$AFZ_SOURCE_DIR
elif [[ -f CMakeLists.txt ]] && grep -q '^project(acmefuzz' CMakeLists.txt; then
  root=$PWD
else
  root=$SRC/acmefuzz
fi
jobs=$(nproc 2>/dev/null || echo 2)

# cJSON, instrumented like everything else and static, when its source is
# there (the Dockerfiles clone it). One file, so it is compiled directly
# rather than through its own build system; a pkg-config file for it goes
# first in PKG_CONFIG_PATH, so CMake's pkg_check_modules(libcjson) finds the
# archive.
if [[ -f $SRC/cJSON/cJSON.c ]]; then
  echo "== build.sh: cJSON from $SRC/cJSON (static)"
  deps=$WORK/deps
  rm -rf "$deps"
  mkdir -p "$deps/lib/pkgconfig" "$deps/include/cjson"
  # shellcheck disable=SC2086 # CFLAGS is a list of flags
  $CC $CFLAGS -fPIC -c "$SRC/cJSON/cJSON.c" -o "$WORK/cJSON.o"
  ${AR:-ar} rcs "$deps/lib/libcjson.a" "$WORK/cJSON.o"
  cp "$SRC/cJSON/cJSON.h" "$deps/include/cjson/"
  version=$(sed -n 's/^#define CJSON_VERSION_[A-Z]* \([0-9]*\).*/\1/p' "$SRC/cJSON/cJSON.h" | paste -sd.)
  cat > "$deps/lib/pkgconfig/libcjson.pc" <<PC
prefix=$deps
Name: libcjson
Description: cJSON, built from source by acmefuzz's oss-fuzz/build.sh
Version: ${version:-0}
Cflags: -I\${prefix}/include -I\${prefix}/include/cjson
Libs: -L\${prefix}/lib -lcjson -lm
PC
  export PKG_CONFIG_PATH="$deps/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
fi

# acmefuzz: the flags exactly as given (build type None adds none), the
# engine as AFZ_FUZZ_ENGINE, no tests, no -Werror (a newer clang may warn
# about something new; that must not stop the fuzzing), then the fuzz
# targets only: the CLI and the tests are not needed here.
echo "== build.sh: acmefuzz from $root"
build=$WORK/acmefuzz-build
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=None \
      -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
      -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
      -DAFZ_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" -DAFZ_BUILD_TESTS=OFF -DAFZ_WERROR=OFF \
      -DAFZ_STATIC_DEPS=ON
cmake --build "$build" --target fuzz_targets -j "$jobs"

# A deterministic zip of a folder, members named by the sha1 of their
# contents (the OSS-Fuzz convention; duplicates collapse). python3 is in
# every base-builder image; zip is not needed.
seed_zip() {
  python3 - "$1" "$2" <<'PY'
import hashlib, os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
seen = set()
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(os.listdir(src)):
        path = os.path.join(src, name)
        if name.startswith(".") or not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        digest = hashlib.sha1(data).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        info = zipfile.ZipInfo(digest, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        z.writestr(info, data)
print(f"{os.path.basename(dst)}: {len(seen)} inputs")
PY
}

n=0
for bin in "$build"/fuzz/*; do
  [[ -f $bin && -x $bin ]] || continue
  t=$(basename "$bin")
  t=${t%%.*}
  if [[ $t == fuzz_zoo_* && ${AFZ_OSSFUZZ_ZOO:-0} != 1 ]]; then
    continue
  fi
  cp "$bin" "$OUT/$t"
  n=$((n + 1))
  if [[ -d $root/corpus/fuzz/$t ]]; then
    seed_zip "$root/corpus/fuzz/$t" "$OUT/${t}_seed_corpus.zip"
  else
    echo "build.sh: warning: no seed corpus for $t (corpus/fuzz/$t)" >&2
  fi
  # A target may bring its own options (targets/<t>.options); a dict it
  # names as <t>.dict is acme.dict.
  if [[ -f $root/targets/$t.options ]]; then
    cp "$root/targets/$t.options" "$OUT/$t.options"
    if grep -Eq "^dict *= *$t[.]dict *$" "$OUT/$t.options"; then
      cp "$root/corpus/acme.dict" "$OUT/$t.dict"
    fi
    continue
  fi
  # Inputs of the client targets and fuzz_plan are binary fault plans
  # (1 + 16 rules x 6 bytes; longer inputs only repeat); the other targets
  # read text (scenarios, HTTP requests, JSON), where ACME's tokens help.
  # scripts/fuzz.sh uses the same split.
  case $t in
    fuzz_reference|fuzz_independent|fuzz_zoo_*|fuzz_plan)
      printf '[libfuzzer]\nmax_len = 128\n' > "$OUT/$t.options" ;;
    *)
      cp "$root/corpus/acme.dict" "$OUT/$t.dict"
      printf '[libfuzzer]\nmax_len = 4096\ndict = %s.dict\n' "$t" > "$OUT/$t.options" ;;
  esac
done
[[ $n -gt 0 ]] || { echo "build.sh: no fuzz target was built in $build/fuzz" >&2; exit 1; }
echo "== build.sh: $n targets in $OUT"
