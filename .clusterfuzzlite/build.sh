#!/bin/bash -eu
# ClusterFuzzLite build script: the same build as OSS-Fuzz's. The work is in
# oss-fuzz/build.sh (it honours $CC $CXX $CFLAGS $CXXFLAGS
# $LIB_FUZZING_ENGINE $SRC $WORK $OUT); see the zoo note there.
exec bash "$SRC/acmefuzz/oss-fuzz/build.sh"
