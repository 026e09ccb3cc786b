#!/usr/bin/env bash
# suite_certbot.sh BUILD_DIR SOURCE_DIR - `acmefuzz suite --client certbot`
# over the first nine scenarios of corpus/suite/quick: every scenario loads and no violation fails under the
# default policy (MUST and HARM) but one true MUST finding, waived visibly
# with --allow nonce-discipline: RFC 8555 6.5 says "However, when retrying
# in response to a "badNonce" error, the client MUST use the nonce provided
# in the error response.", and certbot 2.1.0 (python3-acme 2.1.0,
# acme/client.py ClientNetwork.post -> _post_once: _check_response raises
# before _add_nonce, so the retry takes a nonce from newNonce) does not.
# The finding is real and harmless; see clients/external/README.md. The
# JUnit XML parses with one testsuite per
# scenario and no <failure>. certbot runs in standalone mode on {http_port}
# and the server checks http-01 for real (--validate http-01): the JSON
# report shows passed checks and no failed one. About 3-7 s per scenario
# (certbot's start-up).
# Needs certbot (`make test` installs it) and python3. Loopback only.
set -u

BUILD_DIR=${1:?usage: suite_certbot.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: suite_certbot.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
WORK=""

say() { printf 'suite_certbot.sh: %s\n' "$*"; }
fail() { say "$*"; echo "FAIL: suite_certbot: $*"; exit 1; }
# shellcheck disable=SC2317
cleanup() { [ -n "$WORK" ] && rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

command -v certbot >/dev/null || fail "certbot is missing (apt-get install certbot; 'make test' does it)"
command -v python3 >/dev/null || fail "python3 is missing"
[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-suite-certbot.XXXXXX") || fail "mktemp failed"
# The nine scenarios corpus/suite held before the tiers (they are in
# corpus/suite/quick now, with more; suite_zoo.sh runs the whole quick tier),
# so this test keeps its runtime.
SCN="$WORK/scn"
mkdir -p "$SCN" || fail "mkdir failed"
for s in alternate-chains async-finalize async-stale-ready authz-pending bad-nonce \
    finalize-server-error order-ready plain unknown-fields; do
    cp "$SOURCE_DIR/corpus/suite/quick/$s.scn" "$SCN/" || fail "corpus/suite/quick/$s.scn is missing"
done
n_scn=$(find "$SCN" -maxdepth 1 -name '*.scn' | wc -l)
[ "$n_scn" -ge 5 ] || fail "only $n_scn scenarios in $SCN"

start=$(date +%s)
"$ACMEFUZZ" suite --client certbot --scenarios "$SCN" --timeout 90 \
    --allow nonce-discipline --validate http-01 \
    --junit "$WORK/certbot.xml" --json "$WORK/certbot.json" --workdir "$WORK/runs" >"$WORK/console.out" 2>&1
rc=$?
secs=$(($(date +%s) - start))
sed 's/^/    /' "$WORK/console.out"
[ "$rc" = 0 ] || fail "the certbot suite exited $rc"
python3 - "$WORK/certbot.xml" "$n_scn" <<'PY' || fail "the JUnit XML is wrong"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = root.findall("testsuite")
assert len(suites) == int(sys.argv[2]), len(suites)
for s in suites:
    assert len(s.findall("testcase")) >= 13, s.get("name")
    assert not s.findall("testcase/failure"), s.get("name")
    assert not s.findall("testcase/error"), s.get("name")
PY
python3 "$SOURCE_DIR/tests/integration/validation_events.py" --check "$WORK/certbot.json" \
    || fail "the real http-01 checks are missing or failed"
echo "PASS: suite_certbot: $n_scn scenarios pass with certbot in ${secs} s"
