#!/usr/bin/env bash
# serve_validate.sh BUILD_DIR SOURCE_DIR - server mode checks challenges for
# real on loopback, and holds a request open for the timeout fault.
#
#   1. lego in webroot mode, nothing publishing the webroot: the http-01
#      check fails with a connection error, the challenge and authorization
#      are invalid, lego exits 1 and the suite reports succeeds-under-legal.
#   2. The same command with --serve-webroot: the suite publishes the file
#      lego wrote, the check passes, the suite passes.
#   3. lego answering tls-alpn-01 itself on {tls_port}: the check passes.
#   4. lego answering tls-alpn-01 on another port while `openssl s_server`
#      holds {tls_port} with an ordinary certificate and ALPN acme-tls/1:
#      the check fails because the id-pe-acmeIdentifier extension is
#      missing (RFC 8737 3).
#   5. `serve --scenario` with `directory @1 -> timeout(after=3s)`: the first
#      directory request gets no answer for ~3 s, then the connection is
#      dropped (curl: empty reply); the next one is answered.
# Needs lego, openssl, curl and python3 (`make test` installs them).
# Everything listens on 127.0.0.1; every process is stopped on exit.
set -u

BUILD_DIR=${1:?usage: serve_validate.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: serve_validate.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
WORK=""
SERVE_PID=""

say() { printf 'serve_validate.sh: %s\n' "$*"; }
fail() { say "$*"; echo "FAIL: serve_validate: $*"; exit 1; }
# shellcheck disable=SC2317
cleanup() {
    if [ -n "$SERVE_PID" ]; then
        kill "$SERVE_PID" 2>/dev/null
        wait "$SERVE_PID" 2>/dev/null
    fi
    [ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

for tool in lego openssl curl python3; do
    command -v "$tool" >/dev/null || fail "$tool is missing ('make test' installs it)"
done
[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-validate.XXXXXX") || fail "mktemp failed"
PLAIN="$SOURCE_DIR/corpus/suite/quick/plain.scn"
LEGO='lego --server {directory} --accept-tos --email a@example.com --path {workdir}/lego --domains {domain}'

# validation_events JSON - prints "ok|detail" per validation event.
validation_events() { python3 "$SOURCE_DIR/tests/integration/validation_events.py" "$1"; }

# run_suite NAME EXPECTED_EXIT ARGS... - one suite run, JSON in WORK/NAME.json
run_suite() {
    local name=$1 want=$2
    shift 2
    "$ACMEFUZZ" suite --scenarios "$PLAIN" --timeout 60 --validate all --name "$name" \
        --json "$WORK/$name.json" --workdir "$WORK/$name" "$@" >"$WORK/$name.out" 2>&1
    local rc=$?
    sed 's/^/    /' "$WORK/$name.out"
    [ "$rc" = "$want" ] || fail "$name: the suite exited $rc, want $want"
    [ -s "$WORK/$name.json" ] || fail "$name: no JSON report"
}

# ---- 1. webroot files nobody publishes --------------------------------------
run_suite unpublished 1 --fail-on all --client-cmd "$LEGO --http --http.webroot {workdir}/webroot run"
ev=$(validation_events "$WORK/unpublished.json")
say "events: $ev"
echo "$ev" | grep -q '^0|http-01: cannot fetch http://example.com:[0-9]*/.well-known/acme-challenge/' \
    || fail "unpublished: no failed http-01 check in the history"
grep -q 'succeeds-under-legal' "$WORK/unpublished.out" || fail "unpublished: no succeeds-under-legal"
grep -q 'urn:ietf:params:acme:error:connection' "$WORK"/unpublished/plain/client.log \
    || fail "unpublished: lego did not see the connection error"

# ---- 2. the suite publishes the webroot ------------------------------------
run_suite published 0 --serve-webroot --client-cmd "$LEGO --http --http.webroot {workdir}/webroot run"
ev=$(validation_events "$WORK/published.json")
say "events: $ev"
echo "$ev" | grep -q '^1|http-01: key authorization served at http://example.com:' \
    || fail "published: no passed http-01 check"

# ---- 3. tls-alpn-01 answered by lego ----------------------------------------
run_suite alpn 0 --client-cmd "$LEGO --tls --tls.port 127.0.0.1:{tls_port} run"
ev=$(validation_events "$WORK/alpn.json")
say "events: $ev"
echo "$ev" | grep -q '^1|tls-alpn-01: 127.0.0.1:[0-9]* proved example.com' \
    || fail "alpn: no passed tls-alpn-01 check"

# ---- 4. tls-alpn-01 answered with the wrong certificate ---------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=example.com -addext subjectAltName=DNS:example.com \
    -keyout "$WORK/wrong.key" -out "$WORK/wrong.pem" >/dev/null 2>&1 || fail "openssl req failed"
WRONG="openssl s_server -quiet -accept 127.0.0.1:{tls_port} -cert $WORK/wrong.pem -key $WORK/wrong.key -alpn acme-tls/1 -naccept 1 </dev/null >/dev/null 2>&1 & for i in \$(seq 1 200); do grep -qi \":\$(printf %04X {tls_port}) 00000000:0000 0A\" /proc/net/tcp && break; sleep 0.05; done; $LEGO --tls --tls.port 127.0.0.1:{http_port} run; rc=\$?; kill %1 2>/dev/null; exit \$rc"
run_suite wrongcert 1 --fail-on all --client-cmd "$WRONG"
ev=$(validation_events "$WORK/wrongcert.json")
say "events: $ev"
echo "$ev" | grep -q '^0|tls-alpn-01: 127.0.0.1:[0-9]* for example.com: the certificate has no id-pe-acmeIdentifier extension' \
    || fail "wrongcert: the missing acmeIdentifier extension was not reported"

# ---- 5. the timeout fault holds the request ---------------------------------
printf 'directory @1 -> timeout(after=3s)\n' >"$WORK/stall.scn"
"$ACMEFUZZ" serve --listen 127.0.0.1:0 --scenario "$WORK/stall.scn" \
    --ca-bundle-out "$WORK/stall-ca.pem" >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVE_PID=$!
port=""
for _ in $(seq 1 50); do
    port=$(sed -n 's/^Listening on: 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/serve.out")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || fail "serve did not start: $(cat "$WORK/serve.err")"
t0=$(date +%s%N)
curl -s --cacert "$WORK/stall-ca.pem" --max-time 20 "https://127.0.0.1:$port/directory" >/dev/null
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
say "held request: curl exit $rc after $ms ms"
[ "$rc" = 52 ] || fail "the held request should end with no reply (curl 52), got $rc"
[ "$ms" -ge 2500 ] || fail "the request was dropped after $ms ms, not held ~3 s"
[ "$ms" -lt 15000 ] || fail "the request was held $ms ms, far past 3 s"
# The rule names the first directory request only: the next is answered
# (a held one would end in curl 52, like the first).
curl -sf --cacert "$WORK/stall-ca.pem" --max-time 20 "https://127.0.0.1:$port/directory" \
    | grep -q newOrder || fail "the second directory request was not answered"
say "next request answered"

echo "PASS: serve_validate"
