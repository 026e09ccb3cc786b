#!/usr/bin/env bash
# suite_node_acme_client.sh BUILD_DIR SOURCE_DIR - `acmefuzz suite --client
# node-acme-client` (the npm package acme-client 5.4.0, driven by
# clients/external/node-acme-client/obtain.js) on a few quick legal
# scenarios, with the server checking http-01 for real (obtain.js writes
# the token into the webroot the suite publishes):
#
#   plain.scn, async-finalize.scn, order-ready.scn, bad-nonce.scn from
#   corpus/suite/quick, and
#   two-names.scn (made here: "identifiers 2", one CSR for both names)
#
# First clients/external/node-acme-client/install.sh puts acme-client in
# node_modules/ there (`npm ci` from the lock file; nothing when already in
# place), and that folder goes on PATH for the adapter's program. Every
# scenario must pass under the default policy (fail on MUST and HARM), the
# client must exit 0 in each, and each cert.pem must hold a certificate for
# every name that verifies against the suite's CA bundle. At least one real
# http-01 check passes and none fails. About 20 s once installed, most of
# it async-finalize: acme-client waits 5 s, then 10 s, ignoring Retry-After
# (a ROBUST warning, which the default policy does not fail on).
# Needs node and npm (`make test` installs Debian's when missing), the npm
# registry for the first install, openssl and python3. Loopback only.
set -u

BUILD_DIR=${1:?usage: suite_node_acme_client.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: suite_node_acme_client.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
# Absolute: the folder goes on PATH, and the client runs in its work directory.
ADAPTER=$(cd "$SOURCE_DIR/clients/external/node-acme-client" 2>/dev/null && pwd)
WORK=""
passed=0
failed=0

say() { printf 'suite_node_acme_client.sh: %s\n' "$*"; }
fail() {
    say "$*"
    echo "FAIL: suite_node_acme_client: $*"
    echo "$passed passed, $((failed + 1)) failed"
    exit 1
}
ok() { passed=$((passed + 1)); say "ok: $*"; }
# shellcheck disable=SC2317
cleanup() { [ -n "$WORK" ] && rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

command -v node >/dev/null ||
    fail "node is missing (apt-get install nodejs npm; 'make test' does it)"
command -v npm >/dev/null ||
    fail "npm is missing (apt-get install nodejs npm; 'make test' does it)"
command -v openssl >/dev/null || fail "openssl is missing"
command -v python3 >/dev/null || fail "python3 is missing"
[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"
[ -n "$ADAPTER" ] || fail "$SOURCE_DIR/clients/external/node-acme-client is missing"
bash "$ADAPTER/install.sh" ||
    fail "acme-client 5.4.0 could not be installed ($ADAPTER/install.sh: npm ci from the lock file)"
ok "acme-client $(node -p 'require(process.argv[1]).version' \
    "$ADAPTER/node_modules/acme-client/package.json") in $ADAPTER/node_modules"
export PATH="$ADAPTER:$PATH"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-suite-node-acme-client.XXXXXX") || fail "mktemp failed"
mkdir "$WORK/scn"
for s in plain async-finalize order-ready bad-nonce; do
    cp "$SOURCE_DIR/corpus/suite/quick/$s.scn" "$WORK/scn/" || fail "corpus/suite/quick/$s.scn is missing"
done
printf '# Two names in one order: the CSR lists both (legal, no fault).\nidentifiers 2\n' \
    >"$WORK/scn/two-names.scn"

start=$(date +%s)
"$ACMEFUZZ" suite --client node-acme-client --scenarios "$WORK/scn" --timeout 40 \
    --validate http-01 --json "$WORK/node.json" --workdir "$WORK/runs" --keep \
    >"$WORK/console.out" 2>&1
rc=$?
secs=$(($(date +%s) - start))
sed 's/^/    /' "$WORK/console.out"
[ "$rc" = 0 ] || fail "the node-acme-client suite exited $rc (evidence above)"
ok "5 scenarios pass under the default policy in ${secs} s"

python3 - "$WORK/node.json" <<'PY' || fail "the JSON report is wrong"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["client"] == "node-acme-client" and d["failed"] == 0 and d["passed"] == 5, d
for s in d["scenarios"]:
    assert s["passed"], s["name"]
    assert s["outcome"]["exit_code"] == 0, (s["name"], s["outcome"]["exit_code"])
    assert not [v for v in s["verdicts"] if v["fails"]], s["name"]
PY
ok "the JSON report: every scenario passed and the client exited 0"

python3 "$SOURCE_DIR/tests/integration/validation_events.py" --check "$WORK/node.json" ||
    fail "the real http-01 checks are missing or failed"
ok "obtain.js's token files were served and checked"

for s in plain async-finalize order-ready bad-nonce two-names; do
    cert=$WORK/runs/$s/cert.pem
    grep -q 'BEGIN CERTIFICATE' "$cert" 2>/dev/null || fail "$s: no certificate in $cert"
    openssl verify -CAfile "$WORK/runs/ca-bundle.pem" -untrusted "$cert" "$cert" >/dev/null 2>&1 ||
        fail "$s: $cert does not verify against the suite's CA bundle"
    names=$(openssl x509 -in "$cert" -noout -ext subjectAltName 2>/dev/null)
    want="example.com"
    [ "$s" = two-names ] && want="example.com www.example.com"
    for n in $want; do
        grep -q "DNS:$n\\b" <<<"$names" || fail "$s: the certificate lacks $n ($names)"
    done
done
ok "every cert.pem verifies and names every identifier"
echo "PASS: suite_node_acme_client: acme-client 5.4.0 gets its certificates in ${secs} s"
echo "$passed passed, $failed failed"
