#!/usr/bin/env bash
# suite_acme_tiny.sh BUILD_DIR SOURCE_DIR - `acmefuzz suite --client
# acme-tiny` on a few quick legal scenarios, with the server checking
# http-01 for real (acme-tiny writes the token into the webroot the suite
# publishes):
#
#   plain.scn, async-finalize.scn, order-ready.scn from corpus/suite/quick, and
#   two-names.scn (made here: "identifiers 2", so the CSR carries both
#   names from {domains})
#
# must all pass under the default policy (fail on MUST and HARM; acme-tiny's
# early order poll after a "processing" finalize is a ROBUST warning), the
# client must exit 0 in each, and each chain.pem must hold a certificate for
# every name that verifies against the suite's CA bundle. At least one
# real http-01 check passes and none fails. About 15 s.
# Needs acme-tiny and openssl (`make test` installs them) and python3.
# Loopback only.
set -u

BUILD_DIR=${1:?usage: suite_acme_tiny.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: suite_acme_tiny.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
WORK=""
passed=0
failed=0

say() { printf 'suite_acme_tiny.sh: %s\n' "$*"; }
fail() { say "$*"; echo "FAIL: suite_acme_tiny: $*"; echo "$passed passed, $((failed + 1)) failed"; exit 1; }
ok() { passed=$((passed + 1)); say "ok: $*"; }
# shellcheck disable=SC2317
cleanup() { [ -n "$WORK" ] && rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

command -v acme-tiny >/dev/null ||
    fail "acme-tiny is missing (apt-get install acme-tiny; 'make test' does it)"
command -v openssl >/dev/null || fail "openssl is missing"
command -v python3 >/dev/null || fail "python3 is missing"
[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-suite-acme-tiny.XXXXXX") || fail "mktemp failed"
mkdir "$WORK/scn"
for s in plain async-finalize order-ready; do
    cp "$SOURCE_DIR/corpus/suite/quick/$s.scn" "$WORK/scn/" || fail "corpus/suite/quick/$s.scn is missing"
done
printf '# Two names in one order: the CSR lists both (legal, no fault).\nidentifiers 2\n' \
    >"$WORK/scn/two-names.scn"

start=$(date +%s)
"$ACMEFUZZ" suite --client acme-tiny --scenarios "$WORK/scn" --timeout 40 --validate http-01 \
    --json "$WORK/acme-tiny.json" --workdir "$WORK/runs" --keep >"$WORK/console.out" 2>&1
rc=$?
secs=$(($(date +%s) - start))
sed 's/^/    /' "$WORK/console.out"
[ "$rc" = 0 ] || fail "the acme-tiny suite exited $rc (evidence above)"
ok "4 scenarios pass under the default policy in ${secs} s"

python3 - "$WORK/acme-tiny.json" <<'PY' || fail "the JSON report is wrong"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["client"] == "acme-tiny" and d["failed"] == 0 and d["passed"] == 4, d
for s in d["scenarios"]:
    assert s["passed"], s["name"]
    assert s["outcome"]["exit_code"] == 0, (s["name"], s["outcome"]["exit_code"])
    assert not [v for v in s["verdicts"] if v["fails"]], s["name"]
PY
ok "the JSON report: every scenario passed and acme-tiny exited 0"

python3 "$SOURCE_DIR/tests/integration/validation_events.py" --check "$WORK/acme-tiny.json" ||
    fail "the real http-01 checks are missing or failed"
ok "acme-tiny's token files were served and checked"

for s in plain async-finalize order-ready two-names; do
    chain=$WORK/runs/$s/chain.pem
    grep -q 'BEGIN CERTIFICATE' "$chain" 2>/dev/null || fail "$s: no certificate in $chain"
    openssl verify -CAfile "$WORK/runs/ca-bundle.pem" -untrusted "$chain" "$chain" >/dev/null 2>&1 ||
        fail "$s: $chain does not verify against the suite's CA bundle"
    names=$(openssl x509 -in "$chain" -noout -ext subjectAltName 2>/dev/null)
    want="example.com"
    [ "$s" = two-names ] && want="example.com www.example.com"
    for n in $want; do
        grep -q "DNS:$n\\b" <<<"$names" || fail "$s: the certificate lacks $n ($names)"
    done
done
ok "every chain.pem verifies and names every identifier"
echo "PASS: suite_acme_tiny: acme-tiny gets its certificates in ${secs} s"
echo "$passed passed, $failed failed"
