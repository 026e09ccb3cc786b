#!/usr/bin/env bash
# serve_redirect.sh BUILD_DIR SOURCE_DIR - http-01 checks follow redirects
# as RFC 8555 8.3 says the server SHOULD ("The server SHOULD follow
# redirects when dereferencing the URL.") and as Pebble does.
#
# `acmefuzz serve --validate http-01` checks the challenge at a small
# Python web server on {http_port} that answers with a redirect; the
# reference client (`acmefuzz client --challenge-dir`) writes the key
# authorization where a second server publishes it. Each case changes only
# the redirect:
#   1. 302 to http://NAME:PORT2/files/TOKEN (another port): validation
#      passes, the detail names the hop, the client gets its certificate;
#   2. 301 to https://NAME/tls/TOKEN (no port: 443, mapped to the
#      configured tls port, served over TLS by a self-signed certificate,
#      not verified, as a CA's VA does not): passes;
#   3. a relative redirect to itself, forever: fails after 10 redirects;
#   4. 302 to ftp://NAME/TOKEN: fails, "only http and https".
# Needs python3 and openssl. Loopback only; every process started here is
# stopped by PID on every exit path. About 5 s.
set -u

BUILD_DIR=${1:?usage: serve_redirect.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: serve_redirect.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
# shellcheck source=serve_helpers.bash
. "$(dirname "$0")/serve_helpers.bash"
serve_test_init serve_redirect

command -v python3 >/dev/null || fail "python3 is missing"
command -v openssl >/dev/null || fail "openssl is missing"
[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"
mkdir -p "$WORK/tokens"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=redirect \
    -keyout "$WORK/tls.key" -out "$WORK/tls.pem" >/dev/null 2>&1 || fail "openssl req failed"

# The web servers: the challenge port redirects as $WORK/mode says; PORT2
# (plain) and the tls port publish $WORK/tokens under /files and /tls.
cat >"$WORK/web.py" <<'PY'
import http.server, os, socket, ssl, sys, threading
work = sys.argv[1]
def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def send(self, code, body=b"", loc=None):
        self.send_response(code)
        if loc: self.send_header("Location", loc)
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def do_GET(self):
        name = self.headers.get("Host", "").split(":")[0]
        tok = self.path.rsplit("/", 1)[-1]
        if self.server.role == "redirect":
            mode = open(os.path.join(work, "mode")).read().strip()
            if mode == "other-port": return self.send(302, loc="http://%s:%d/files/%s" % (name, port2, tok))
            if mode == "https": return self.send(301, loc="https://%s/tls/%s" % (name, tok))
            if mode == "loop": return self.send(302, loc=tok)
            if mode == "ftp": return self.send(302, loc="ftp://%s/%s" % (name, tok))
            return self.send(500)
        try:
            body = open(os.path.join(work, "tokens", os.path.basename(tok)), "rb").read()
        except OSError:
            return self.send(404)
        self.send(200, body)
def serve(role, port, tls=False):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
    srv.role = role
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(work, "tls.pem"), os.path.join(work, "tls.key"))
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
port1, port2, port3 = free_port(), free_port(), free_port()
serve("redirect", port1); serve("files", port2); serve("files", port3, tls=True)
with open(os.path.join(work, "ports.tmp"), "w") as f: f.write("%d %d %d\n" % (port1, port2, port3))
os.rename(os.path.join(work, "ports.tmp"), os.path.join(work, "ports"))
threading.Event().wait()
PY
echo other-port >"$WORK/mode"
python3 "$WORK/web.py" "$WORK" 2>"$WORK/web.err" & # stopped by the EXIT trap
for _ in $(seq 1 100); do [ -s "$WORK/ports" ] && break; sleep 0.05; done
[ -s "$WORK/ports" ] || fail "the web servers did not start: $(cat "$WORK/web.err")"
read -r P1 P2 P3 <"$WORK/ports"

serve_start --listen 127.0.0.1:0 --management 127.0.0.1:0 --ca-bundle-out "$WORK/ca.pem" \
    --validate http-01 --http-port "$P1" --tls-port "$P3" --validation-timeout 5

# case MODE WANT(pass|fail) PATTERN: one issuance, then the last validation
# event's result and detail
case_() {
    local mode=$1 want=$2 pattern=$3
    echo "$mode" >"$WORK/mode"
    rm -f "$WORK/tokens/"*
    "$ACMEFUZZ" client --directory "https://127.0.0.1:$PORT/directory" --ca-bundle "$WORK/ca.pem" \
        --domain redirect.example --challenge-dir "$WORK/tokens" --out "$WORK/out-$mode" \
        >"$WORK/client-$mode.log" 2>&1
    local rc=$?
    curl -sf --max-time 10 --cacert "$WORK/ca.pem" "https://127.0.0.1:$MPORT/history" \
        >"$WORK/history-$mode.json" || fail "$mode: GET /history failed"
    local ev
    ev=$(python3 -c 'import json, sys
evs = [e for e in json.load(open(sys.argv[1]))["events"] if e["kind"] == "validation"]
print("%d|%s" % (int(evs[-1]["value"]), evs[-1].get("detail")) if evs else "none|no validation event")' \
        "$WORK/history-$mode.json")
    case "$want" in
    pass) [ "$rc" = 0 ] || { sed 's/^/    /' "$WORK/client-$mode.log" | tail -5; fail "$mode: the client failed ($ev)"; }
          [ "${ev%%|*}" = 1 ] || fail "$mode: the check did not pass: $ev" ;;
    fail) [ "$rc" != 0 ] || fail "$mode: the client got a certificate"
          [ "${ev%%|*}" = 0 ] || fail "$mode: the check passed: $ev" ;;
    esac
    grep -Eq -- "$pattern" <<<"$ev" || fail "$mode: the detail does not match /$pattern/: $ev"
    say "ok: $mode: $ev"
}
case_ other-port pass "after 1 redirect\\(s\\): -> http://redirect\\.example:$P2/files/"
case_ https pass "after 1 redirect\\(s\\): -> https://redirect\\.example/tls/"
case_ loop fail "more than 10 redirects"
case_ ftp fail "only http and https"
echo "PASS: serve_redirect: http-01 follows http and https redirects, at most 10, http(s) only"
