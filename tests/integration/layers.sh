#!/usr/bin/env bash
# layers.sh BUILD_DIR SOURCE_DIR - the library's layers are enforced by the
# build (README, "Layout"): a file of one layer cannot include a header of
# a layer above it.
#
# For each layer it takes the compile command CMake wrote for one of the
# layer's own sources (BUILD_DIR/compile_commands.json), and compiles a
# one-line probe with exactly those flags, from a scratch directory (so
# the compiler's "directory of the including file" rule finds nothing):
#   - a header of the layer itself or of a layer below must compile (the
#     control: the flags are right and the header is reachable);
#   - a header of every layer above must fail with "No such file".
# It also checks that no library source reaches around the rule with a
# relative include ("../").
set -u

BUILD_DIR=${1:?usage: layers.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: layers.sh BUILD_DIR SOURCE_DIR}
DB=$BUILD_DIR/compile_commands.json
[[ -f $DB ]] || { echo "FAIL: $DB missing (CMAKE_EXPORT_COMPILE_COMMANDS)"; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# The compile command of SOURCE (a path under SOURCE_DIR), with the source
# and the output replaced by placeholders @SRC@ and @OUT@, one word per line.
command_of() {
  python3 - "$DB" "$SOURCE_DIR/$1" <<'EOF'
import json, os, shlex, sys
db, src = sys.argv[1], os.path.realpath(sys.argv[2])
for e in json.load(open(db)):
    path = os.path.realpath(os.path.join(e["directory"], e["file"]))
    if path != src:
        continue
    words = e.get("arguments") or shlex.split(e["command"])
    out, skip = [], False
    for w in words:
        if skip:
            skip = False
            continue
        if w == "-o":
            skip = True
            out += ["-o", "@OUT@"]
        elif os.path.realpath(os.path.join(e["directory"], w)) == src:
            out.append("@SRC@")
        else:
            out.append(w)
    print("\n".join(out))
    sys.exit(0)
sys.exit(1)
EOF
}

# probe LAYER SOURCE HEADER EXPECT(ok|fail)
probe() {
  local layer=$1 src=$2 header=$3 expect=$4
  local -a cmd=()
  mapfile -t cmd < <(command_of "$src") || true
  if [[ ${#cmd[@]} -eq 0 ]]; then
    bad "$layer: no compile command for $src in $DB"
    return
  fi
  printf '#include "%s"\nint afz_layers_probe(void);\nint afz_layers_probe(void) { return 0; }\n' \
    "$header" >"$WORK/probe.c"
  local -a run=()
  for w in "${cmd[@]}"; do
    case $w in
      @SRC@) run+=("$WORK/probe.c") ;;
      @OUT@) run+=("$WORK/probe.o") ;;
      *) run+=("$w") ;;
    esac
  done
  local log=$WORK/log
  if (cd "$WORK" && "${run[@]}") >"$log" 2>&1; then
    [[ $expect == ok ]] && ok "$layer includes $header" ||
      bad "$layer could include $header, a header of a layer above it"
  else
    if [[ $expect == fail ]]; then
      if grep -q -e "No such file" -e "file not found" "$log"; then
        ok "$layer cannot include $header"
      else
        bad "$layer: $header failed for another reason: $(head -3 "$log")"
      fi
    else
      bad "$layer cannot include $header, its own or a lower layer's: $(head -3 "$log")"
    fi
  fi
}

# layer  one of its sources                     may include            must not include
probe core harness/core/base/afz_buf.c afz_server.h ok
probe core harness/core/base/afz_buf.c afz_fault_engine.h ok
for h in afz_property.h afz_trace.h afz_reference.h afz_clients.h afz_run.h afz_report.h \
         afz_serve.h afz_suite.h afz_client_lib.h afz_transport_curl.h; do
  probe core harness/core/base/afz_buf.c "$h" fail
done
probe properties properties/afz_policy.c afz_trace.h ok
probe properties properties/afz_policy.c afz_history.h ok
for h in afz_reference.h afz_clients.h afz_run.h afz_report.h afz_check.h afz_serve.h afz_suite.h; do
  probe properties properties/afz_policy.c "$h" fail
done
probe clients clients/afz_clients.c afz_client.h ok
probe clients clients/afz_clients.c afz_jose.h ok
for h in afz_property.h afz_run.h afz_serve.h afz_transport_curl.h; do
  probe clients clients/afz_clients.c "$h" fail
done
probe run harness/run/afz_run.c afz_property.h ok
probe run harness/run/afz_run.c afz_clients.h ok
for h in afz_serve.h afz_suite.h afz_client_lib.h afz_transport_curl.h afz_webroot.h; do
  probe run harness/run/afz_run.c "$h" fail
done
probe io harness/io/serve/afz_serve.c afz_run.h ok
probe io harness/io/serve/afz_serve.c afz_report.h ok

# No reaching around: relative includes in the library's sources.
rel=$(cd "$SOURCE_DIR" && grep -rn '#include "\.\./' harness properties clients || true)
if [[ -n $rel ]]; then
  bad "relative includes bypass the layers: $rel"
else
  ok "no relative includes in harness/, properties/, clients/"
fi

echo "$pass passed, $fail failed"
[[ $fail -eq 0 && $pass -gt 0 ]]
