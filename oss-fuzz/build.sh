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
#   out  $OUT/<target>               every target of build/fuzz, no extension
#        $OUT/<target>_seed_corpus.zip   corpus/fuzz/<target>/, files named by sha1
#        $OUT/<target>.options       [libfuzzer] max_len (and dict where used)
#        $OUT/<target>.dict          corpus/acme.dict, for the text targets
#
# Only $OUT ships to the runners, so the targets must not need shared
# libraries the runner image lacks: AFZ_STATIC_DEPS links OpenSSL from
# libssl-dev's archives and cJSON from the archive built here from
# $SRC/cJSON (Ubuntu ships no libcjson.a), and drops the libcurl and
# libevent entries the targets never use (--as-needed). Without $SRC/cJSON
# the system's shared libcjson is used: fine locally, not on OSS-Fuzz.
#
# The source tree is $AFZ_SOURCE_DIR if set, else the current directory when
# it is acmefuzz (OSS-Fuzz runs this from WORKDIR $SRC/acmefuzz), else
# $SRC/acmefuzz. tests/integration/ossfuzz_build.sh runs this script
# locally in an OSS-Fuzz-like environment.

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
# there (the Dockerfiles clone it). Its pkg-config file then wins over the
# system's, so CMake's pkg_check_modules(libcjson) finds the archive.
if [[ -f $SRC/cJSON/cJSON.c ]]; then
  echo "== build.sh: cJSON from $SRC/cJSON (static)"
  cmake -S "$SRC/cJSON" -B "$WORK/cjson-build" -DCMAKE_BUILD_TYPE=None \
        -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS" \
        -DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
        -DENABLE_CJSON_TEST=OFF -DENABLE_CJSON_UTILS=OFF -DENABLE_CUSTOM_COMPILER_FLAGS=OFF \
        -DCMAKE_INSTALL_PREFIX="$WORK/deps" -DCMAKE_INSTALL_LIBDIR=lib
  cmake --build "$WORK/cjson-build" -j "$jobs"
  cmake --install "$WORK/cjson-build"
  export PKG_CONFIG_PATH="$WORK/deps/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
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
  cp "$bin" "$OUT/$t"
  n=$((n + 1))
  if [[ -d $root/corpus/fuzz/$t ]]; then
    seed_zip "$root/corpus/fuzz/$t" "$OUT/${t}_seed_corpus.zip"
  else
    echo "build.sh: warning: no seed corpus for $t (corpus/fuzz/$t)" >&2
  fi
  # Inputs of the client targets and fuzz_plan are binary fault plans
  # (1 + 16 rules x 6 bytes; longer inputs only repeat); the other targets
  # read text (scenarios, HTTP requests, JSON), where ACME's tokens help.
  # scripts/fuzz.sh uses the same split.
  case $t in
    fuzz_reference|fuzz_zoo_*|fuzz_plan)
      printf '[libfuzzer]\nmax_len = 128\n' > "$OUT/$t.options" ;;
    *)
      cp "$root/corpus/acme.dict" "$OUT/$t.dict"
      printf '[libfuzzer]\nmax_len = 4096\ndict = %s.dict\n' "$t" > "$OUT/$t.options" ;;
  esac
done
[[ $n -gt 0 ]] || { echo "build.sh: no fuzz target was built in $build/fuzz" >&2; exit 1; }
echo "== build.sh: $n targets in $OUT"
