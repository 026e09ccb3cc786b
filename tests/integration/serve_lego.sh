#!/usr/bin/env bash
# serve_lego.sh BUILD_DIR SOURCE_DIR - `acmefuzz serve` against a real client.
#
# Starts `acmefuzz serve` on 127.0.0.1 (ports picked by the kernel) with a
# management listener, runs Debian's lego against it twice (the second
# time after POST /reset, which must empty the history), and checks:
#   - lego exits 0 and its certificate names the domain and verifies
#     against the issuing root and intermediate from the management API
#     (/roots/0, /intermediates/0);
#   - /cert-status-by-serial/<serial> answers "Valid" for it;
#   - GET /verdict judges each run as its own session (the first run is
#     labelled by POST /session?name=lego-1, the second starts at POST
#     /reset), reports no violation other than the two property false
#     positives tracked in clients/external/README.md, and ?session=N
#     picks one session;
#   - the server stops cleanly on SIGTERM (exit status 0; under ASan that
#     includes LeakSanitizer's verdict).
# Needs lego (`make test` installs it), curl, openssl. Loopback only; the
# server is stopped by its PID on every exit path.
set -u

BUILD_DIR=${1:?usage: serve_lego.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
DOMAIN=serve-test.example.com
WORK=""
PID=""

say() { printf 'serve_lego.sh: %s\n' "$*"; }
fail() {
    say "$*"
    [ -n "$WORK" ] && [ -s "$WORK/serve.err" ] && tail -n 20 "$WORK/serve.err" | sed 's/^/    /'
    echo "FAIL: serve_lego: $*"
    exit 1
}
# shellcheck disable=SC2317
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    [ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

command -v lego >/dev/null || fail "lego is missing (apt-get install lego; 'make test' does it)"
command -v curl >/dev/null || fail "curl is missing"
[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-serve.XXXXXX") || fail "mktemp failed"

"$ACMEFUZZ" serve --listen 127.0.0.1:0 --management 127.0.0.1:0 \
    --ca-bundle-out "$WORK/ca.pem" -v >"$WORK/serve.out" 2>"$WORK/serve.err" &
PID=$!
PORT="" MPORT=""
for _ in $(seq 1 100); do
    kill -0 "$PID" 2>/dev/null || fail "acmefuzz serve exited at start"
    PORT=$(sed -n 's/^Listening on: 127\.0\.0\.1://p' "$WORK/serve.out")
    MPORT=$(sed -n 's|^Management API: https://127\.0\.0\.1:||p' "$WORK/serve.out")
    [ -n "$PORT" ] && [ -n "$MPORT" ] && break
    sleep 0.1
done
[ -n "$PORT" ] && [ -n "$MPORT" ] || fail "the server printed no ports within 10 s"
DIR="https://127.0.0.1:$PORT/dir" # Pebble's path, served as an alias
MGMT="https://127.0.0.1:$MPORT"
curl -sf --max-time 5 --cacert "$WORK/ca.pem" -o /dev/null "$DIR" || fail "GET $DIR failed"
curl -sf --max-time 5 --cacert "$WORK/ca.pem" -o "$WORK/root.pem" "$MGMT/roots/0" ||
    fail "GET /roots/0 failed"
curl -sf --max-time 5 --cacert "$WORK/ca.pem" -o "$WORK/int.pem" "$MGMT/intermediates/0" ||
    fail "GET /intermediates/0 failed"
code=$(curl -s --max-time 5 --cacert "$WORK/ca.pem" -o /dev/null -w '%{http_code}' "$MGMT/roots/1")
[ "$code" = 404 ] || fail "GET /roots/1 answered $code, not 404"

# The two property false positives real clients trip (see README.md there).
known='no-refinalize|nonce-discipline'

code=$(curl -s --max-time 5 --cacert "$WORK/ca.pem" -o "$WORK/session.json" -w '%{http_code}' \
    -X POST "$MGMT/session?name=lego-1")
[ "$code" = 200 ] || fail "POST /session answered $code"
grep -q '"name":"lego-1"' "$WORK/session.json" || fail "POST /session: $(cat "$WORK/session.json")"

for run in 1 2; do
    mkdir -p "$WORK/r$run/webroot"
    start=$(date +%s%N)
    if ! env -u HTTPS_PROXY -u https_proxy LEGO_CA_CERTIFICATES="$WORK/ca.pem" \
        timeout 60 lego --server "$DIR" --accept-tos --email t@example.com --path "$WORK/r$run/lego" \
        --domains "$DOMAIN" --http --http.webroot "$WORK/r$run/webroot" run \
        >"$WORK/r$run/lego.log" 2>&1; then
        tail -n 20 "$WORK/r$run/lego.log" | sed 's/^/    /'
        fail "run $run: lego failed"
    fi
    ms=$((($(date +%s%N) - start) / 1000000))
    crt="$WORK/r$run/lego/certificates/$DOMAIN.crt"
    [ -s "$crt" ] || fail "run $run: no certificate at $crt"
    sed -n '1,/-----END CERTIFICATE-----/p' "$crt" >"$WORK/r$run/leaf.pem"
    san=$(openssl x509 -in "$WORK/r$run/leaf.pem" -noout -ext subjectAltName 2>&1)
    case "$san" in *"DNS:$DOMAIN"*) ;; *) fail "run $run: $DOMAIN not in the SAN: $san" ;; esac
    v=$(openssl verify -CAfile "$WORK/root.pem" -untrusted "$WORK/int.pem" "$WORK/r$run/leaf.pem" 2>&1) ||
        fail "run $run: the leaf does not verify against /roots/0 + /intermediates/0: $v"
    serial=$(openssl x509 -in "$WORK/r$run/leaf.pem" -noout -serial | sed 's/^serial=//')
    st=$(curl -sf --max-time 5 --cacert "$WORK/ca.pem" "$MGMT/cert-status-by-serial/$serial") ||
        fail "run $run: /cert-status-by-serial/$serial failed"
    case "$st" in *'"Status":"Valid"'*) ;; *) fail "run $run: certificate status: $st" ;; esac
    verdict=$(curl -sf --max-time 10 --cacert "$WORK/ca.pem" "$MGMT/verdict") ||
        fail "run $run: GET /verdict failed"
    echo "$verdict" >"$WORK/r$run/verdict.json"
    bad=$(python3 - "$WORK/r$run/verdict.json" "$known" "$run" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
known = re.compile("^(%s)$" % sys.argv[2])
run = int(sys.argv[3])
ss = d["sessions"]
out = []
# one session per lego run so far: the first named by POST /session, the
# second (after POST /reset) split by its account
if len(ss) != run or d["summary"]["judged"] != run:
    out.append("%d sessions after run %d" % (len(ss), run))
for s in ss:
    out += ["session %d: %s: %s" % (s["id"], v["property"], v["message"])
            for v in s["verdict"]["verdicts"]
            if v["verdict"] == "violation" and not known.match(v["property"])]
    if not s["client_succeeded"] or s["exchanges"] < 7:
        out.append("session %d: %d exchanges, succeeded %s" % (s["id"], s["exchanges"],
                                                               s["client_succeeded"]))
if ss[0]["name"] != "lego-1" or ss[0]["split"] != "session":
    out.append("session 1 is %s/%s" % (ss[0]["name"], ss[0]["split"]))
if run == 2 and (ss[1]["run"] != 2 or ss[1]["split"] != "account" or not ss[1]["account"]):
    out.append("session 2: run %s split %s account %s" % (ss[1]["run"], ss[1]["split"],
                                                          ss[1]["account"]))
print(" ".join(out))
PY
)
    [ -z "$bad" ] || fail "run $run: /verdict: $bad"
    n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sessions"][-1]["exchanges"])' "$WORK/r$run/verdict.json")
    one=$(curl -sf --max-time 10 --cacert "$WORK/ca.pem" "$MGMT/verdict?session=$run&fail-on=all" |
        python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["sessions"]), d["sessions"][0]["id"], d["summary"]["policy"])') ||
        fail "run $run: GET /verdict?session=$run failed"
    case "$one" in "1 $run fail-on must,should,harm,robust;"*) ;; *) fail "run $run: ?session=$run gave: $one" ;; esac
    code=$(curl -s --max-time 5 --cacert "$WORK/ca.pem" -o /dev/null -w '%{http_code}' "$MGMT/verdict?session=99")
    [ "$code" = 404 ] || fail "GET /verdict?session=99 answered $code, not 404"
    code=$(curl -s --max-time 5 --cacert "$WORK/ca.pem" -o /dev/null -w '%{http_code}' "$MGMT/verdict?fail-on=nope")
    [ "$code" = 400 ] || fail "GET /verdict?fail-on=nope answered $code, not 400"
    say "run $run: lego obtained a certificate for $DOMAIN in $ms ms, $n exchanges, no unexpected violation"
    code=$(curl -s --max-time 5 --cacert "$WORK/ca.pem" -o /dev/null -w '%{http_code}' -X POST "$MGMT/reset")
    [ "$code" = 200 ] || fail "POST /reset answered $code"
done
n=$(curl -sf --max-time 5 --cacert "$WORK/ca.pem" "$MGMT/history" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["exchanges"]))')
[ "$n" = 0 ] || fail "the history holds $n exchanges after /reset"

kill -TERM "$PID"
wait "$PID"
rc=$?
PID=""
[ "$rc" = 0 ] || fail "acmefuzz serve exited with status $rc on SIGTERM"
echo "PASS: serve_lego: 2 issuances by lego verified, one clean verdict per session, clean shutdown"
