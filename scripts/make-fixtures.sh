#!/usr/bin/env bash
# make-fixtures.sh [--record] [--build DIR] [CLIENT...] - regenerate the
# recorded-history fixtures of corpus/fixtures (see its README.md).
#
# By default it records nothing: it judges every existing fixture
# corpus/fixtures/<client>/<scenario>.json again with `acmefuzz judge
# --expected` and rewrites <scenario>.expected beside it. Do that after a
# deliberate property change, then review `git diff corpus/fixtures`: each
# changed line is a verdict on a real client's history that the change
# flipped.
#
# --record first runs `acmefuzz suite --client CLIENT --scenarios
# corpus/suite/quick --json` (the quick tier; AFZ_FIXTURE_SCENARIOS=corpus/suite/full or
# =corpus/suite records another folder of the source tree) for each CLIENT (default: lego, certbot, uacme,
# acme-tiny and node-acme-client (its folder clients/external/node-acme-client
# on PATH after its install.sh),
# those installed; `bash scripts/install-deps.sh test` installs lego and
# certbot, `apt-get install uacme` the third) and replaces that client's
# fixtures with one file per scenario, keeping only what judge reads: the
# plan, the outcome, the suite's timeout and the history. Real clients
# against real time do not repeat byte for byte, so re-record only when a
# client, the server model or the scenarios changed, and review the diff.
#
# --build DIR is the build directory holding acmefuzz (default build).
# Loopback only; needs python3.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD="$SRC/build"
RECORD=0
CLIENTS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --record) RECORD=1 ;;
        --build) BUILD=${2:?--build wants a directory}; shift ;;
        -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "make-fixtures.sh: unknown option $1" >&2; exit 2 ;;
        *) CLIENTS+=("$1") ;;
    esac
    shift
done
ACMEFUZZ="$BUILD/acmefuzz"
FIX="$SRC/corpus/fixtures"
[ -x "$ACMEFUZZ" ] || { echo "make-fixtures.sh: $ACMEFUZZ is missing: build first" >&2; exit 2; }
command -v python3 >/dev/null || { echo "make-fixtures.sh: python3 is missing" >&2; exit 2; }

# The suite options of each client, as its integration test runs it
# (tests/integration/suite_*.sh): real http-01 checks where it answers them.
suite_opts() {
    case "$1" in
        lego) echo "--timeout 60 --validate all" ;;
        certbot) echo "--timeout 90 --validate http-01" ;;
        uacme) echo "--timeout 90 --validate http-01" ;;
        *) echo "--timeout 90" ;;
    esac
}

if [ "$RECORD" = 1 ]; then
    [ ${#CLIENTS[@]} -gt 0 ] || CLIENTS=(lego certbot uacme acme-tiny node-acme-client)
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-fixtures.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
    for c in "${CLIENTS[@]}"; do
        prog=$c
        [ "$c" = node-acme-client ] && prog=acmefuzz-node-acme-client
        if ! command -v "$prog" >/dev/null; then
            echo "make-fixtures.sh: $c is not installed; its fixtures are kept as they are"
            continue
        fi
        echo "make-fixtures.sh: recording $c over ${AFZ_FIXTURE_SCENARIOS:-corpus/suite/quick}"
        # shellcheck disable=SC2046
        "$ACMEFUZZ" suite --client "$c" --scenarios "$SRC/${AFZ_FIXTURE_SCENARIOS:-corpus/suite/quick}" $(suite_opts "$c") \
            --json "$WORK/$c.json" --workdir "$WORK/runs-$c" >"$WORK/$c.out" 2>&1 || true
        [ -s "$WORK/$c.json" ] || { cat "$WORK/$c.out"; echo "make-fixtures.sh: $c gave no report" >&2; exit 1; }
        rm -rf "${FIX:?}/$c"
        mkdir -p "$FIX/$c"
        python3 - "$WORK/$c.json" "$FIX/$c" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
for s in report["scenarios"]:
    if "history" not in s:
        print("  %s: not run (%s), no fixture" % (s["name"], s.get("error", "?")))
        continue
    oc = s["outcome"]
    fixture = {
        "fixture": "acmefuzz judge fixture: recorded by scripts/make-fixtures.sh --record",
        "client": report["client"],
        "scenario": s["name"],
        "timeout_s": report["timeout_s"],
        "class": s["class"],
        "plan": s["plan"],
        "outcome": {k: oc[k] for k in ("exit_code", "signal", "timed_out", "attempts")},
        "history": s["history"],
    }
    with open("%s/%s.json" % (sys.argv[2], s["name"]), "w") as f:
        json.dump(fixture, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("  %s: %d exchanges" % (s["name"], len(s["history"]["exchanges"])))
PY
    done
fi

n=0
for f in "$FIX"/*/*.json; do
    [ -e "$f" ] || continue
    exp="${f%.json}.expected"
    rc=0
    "$ACMEFUZZ" judge --expected "$f" >"$exp.tmp" || rc=$?
    if [ "$rc" -ge 2 ]; then
        rm -f "$exp.tmp"
        echo "make-fixtures.sh: acmefuzz judge failed on $f" >&2
        exit 1
    fi
    mv "$exp.tmp" "$exp"
    n=$((n + 1))
done
echo "make-fixtures.sh: $n fixtures judged; review with: git diff -- corpus/fixtures"
