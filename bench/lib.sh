# lib.sh - what the section scripts of bench/ share; sourced, not run.
#
#   bench_setup NAME ARGS...  checks "BUILD_DIR OUT_DIR" (else usage, exit 2)
#                             and sets ROOT (the source tree), BUILD_DIR and
#                             OUT_DIR (absolute; OUT_DIR created), JSON_OUT
#                             (OUT_DIR/NAME.json) and WORK (OUT_DIR/NAME,
#                             emptied)
#   json_str S                prints S as a JSON string literal (control
#                             bytes other than \t \n \r dropped)

bench_setup() {
  local name=$1
  shift
  [ $# -eq 2 ] || { echo "usage: $name.sh BUILD_DIR OUT_DIR" >&2; exit 2; }
  BUILD_DIR=$1
  OUT_DIR=$2
  ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  case $BUILD_DIR in /*) ;; *) BUILD_DIR=$PWD/$BUILD_DIR ;; esac
  mkdir -p "$OUT_DIR" || { echo "$name.sh: cannot create $OUT_DIR" >&2; exit 2; }
  OUT_DIR=$(cd "$OUT_DIR" && pwd)
  JSON_OUT=$OUT_DIR/$name.json
  WORK=$OUT_DIR/$name
  rm -rf "$WORK"
  mkdir -p "$WORK"
}

json_str() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\t'/\\t}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  printf '"%s"' "$(printf '%s' "$s" | tr -d '\000-\037')"
}
