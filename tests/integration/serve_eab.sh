#!/usr/bin/env bash
# serve_eab.sh BUILD_DIR SOURCE_DIR - external account binding in server
# mode (RFC 8555 7.3.4), as a Pebble-based CI job configures it: a Pebble
# JSON config with externalAccountBindingRequired and externalAccountMACKeys,
# and Debian's lego registering with --eab --kid --hmac.
#
#   1. the right kid and MAC key: lego registers and obtains a certificate,
#      and the account object it got back carries its "key";
#   2. a wrong MAC key: refused 403 unauthorized, no account made;
#   3. an unknown kid: refused 403 unauthorized;
#   4. no binding: the directory's meta says externalAccountRequired and
#      lego stops before newAccount (the server's 403 externalAccountRequired
#      is checked in tests/check_server_eab.c).
# A server that accepted every binding (as acmefuzz did before) fails 2
# and 3. Needs lego, curl, python3. Loopback only; the server is stopped by
# its PID on every exit path. About 3 s.
set -u

BUILD_DIR=${1:?usage: serve_eab.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
# shellcheck source=serve_helpers.bash
. "$(dirname "$0")/serve_helpers.bash"
serve_test_init serve_eab
KID=kid-1
HMAC=YS1rZXktdGhlLWNhLWdhdmUtb3V0 # base64url, no padding (lego's reading)

command -v lego >/dev/null || fail "lego is missing (apt-get install lego; 'make test' does it)"
command -v curl >/dev/null || fail "curl is missing"
command -v python3 >/dev/null || fail "python3 is missing"
[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"

cat >"$WORK/pebble-config.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:0", "managementListenAddress": "127.0.0.1:0",
  "certificate": "", "privateKey": "",
  "externalAccountBindingRequired": true,
  "externalAccountMACKeys": {"kid-0": "b3RoZXIta2V5", "$KID": "$HMAC"}}}
JSON
serve_start -config "$WORK/pebble-config.json" --ca-bundle-out "$WORK/ca.pem"
DIR="https://127.0.0.1:$PORT/dir"
MGMT="https://127.0.0.1:$MPORT"

lego_run() { # NAME EXTRA_ARGS...
    local name=$1
    shift
    mkdir -p "$WORK/$name/webroot"
    env -u HTTPS_PROXY -u https_proxy LEGO_CA_CERTIFICATES="$WORK/ca.pem" \
        timeout 60 lego --server "$DIR" --accept-tos --email t@example.com \
        --path "$WORK/$name/lego" --domains eab.example.com "$@" \
        --http --http.webroot "$WORK/$name/webroot" run >"$WORK/$name/lego.log" 2>&1
}

# newaccount_answers prints "STATUS TYPE KEYFIELD" for every newAccount
# exchange of the current history, in order.
newaccount_answers() {
    curl -sf --max-time 10 --cacert "$WORK/ca.pem" "$MGMT/history" >"$WORK/history.json" ||
        fail "GET /history failed"
    python3 - "$WORK/history.json" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
for x in h["exchanges"]:
    if x["resource"] != "account" or x["request"]["method"] != "POST":
        continue
    body = x["response"].get("body") or ""
    try:
        j = json.loads(body)
    except ValueError:
        j = {}
    t = (j.get("type") or "-").split(":")[-1]
    print(x["response"]["status"], t, "key" if isinstance(j.get("key"), dict) else "-")
PY
}

lego_run good --eab --kid "$KID" --hmac "$HMAC" || {
    sed 's/^/    /' "$WORK/good/lego.log" | tail -n 20
    fail "lego with the right binding failed"
}
[ -s "$WORK/good/lego/certificates/eab.example.com.crt" ] || fail "no certificate for the bound account"
ans=$(newaccount_answers)
[ "$ans" = "201 - key" ] || fail "the bound newAccount: '$ans' (want '201 - key')"
say "ok: the right kid and MAC key register (201, the account shows its key) and issue"

lego_run wrongmac --eab --kid "$KID" --hmac b3RoZXIta2V5 && fail "lego registered with a wrong MAC key"
ans=$(newaccount_answers | tail -n 1)
[ "$ans" = "403 unauthorized -" ] || fail "a wrong MAC key: '$ans' (want '403 unauthorized -')"
say "ok: a wrong MAC key is refused 403 unauthorized"

lego_run wrongkid --eab --kid kid-unknown --hmac "$HMAC" && fail "lego registered with an unknown kid"
ans=$(newaccount_answers | tail -n 1)
[ "$ans" = "403 unauthorized -" ] || fail "an unknown kid: '$ans' (want '403 unauthorized -')"
say "ok: an unknown kid is refused 403 unauthorized"

before=$(newaccount_answers | wc -l)
lego_run none && fail "lego registered without a binding"
grep -q "requires External Account Binding" "$WORK/none/lego.log" ||
    fail "lego without --eab did not read externalAccountRequired from the directory"
[ "$(newaccount_answers | wc -l)" = "$before" ] || fail "lego without --eab posted newAccount anyway"
say "ok: the directory says externalAccountRequired, and lego without --eab stops before newAccount"

serve_stop
echo "PASS: serve_eab: bindings verified as RFC 8555 7.3.4 says, lego registers only with the right one"
