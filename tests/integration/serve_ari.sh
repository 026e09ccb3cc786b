#!/usr/bin/env bash
# serve_ari.sh BUILD_DIR SOURCE_DIR - ACME Renewal Information (RFC 9773)
# under `acmefuzz serve`.
#
# Checks:
#   - the directory names "renewalInfo";
#   - after lego obtains a certificate, an unauthenticated GET of
#     renewalInfo/<certID> (certID built from the leaf with openssl as a
#     client builds it: base64url of the AKI keyIdentifier, ".", base64url
#     of the serial's DER content octets) answers 200 with a
#     suggestedWindow whose start precedes its end, inside the validity,
#     and a Retry-After header; an unknown certID answers 404;
#   - GET /verdict finds no violation but the two property false
#     positives real clients trip (clients/external/README.md);
#   - the server stops cleanly on SIGTERM.
# Needs lego, curl, openssl, python3. Loopback only.
set -u

BUILD_DIR=${1:?usage: serve_ari.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
DOMAIN=ari.example.com
# shellcheck source=serve_helpers.bash
. "$(dirname "$0")/serve_helpers.bash"
serve_test_init serve_ari

command -v lego >/dev/null || fail "lego is missing (apt-get install lego; 'make test' does it)"
command -v curl >/dev/null || fail "curl is missing"
[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"

serve_start --listen 127.0.0.1:0 --management 127.0.0.1:0 --ca-bundle-out "$WORK/ca.pem"
DIR="https://127.0.0.1:$PORT/dir"
MGMT="https://127.0.0.1:$MPORT"
curl -sf --max-time 5 --cacert "$WORK/ca.pem" -o "$WORK/dir.json" "$DIR" || fail "GET $DIR failed"
RI=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("renewalInfo",""))' "$WORK/dir.json")
[ "$RI" = "https://127.0.0.1:$PORT/renewal-info" ] || fail "directory renewalInfo is '$RI'"

mkdir -p "$WORK/webroot"
if ! env -u HTTPS_PROXY -u https_proxy LEGO_CA_CERTIFICATES="$WORK/ca.pem" \
    timeout 60 lego --server "$DIR" --accept-tos --email t@example.com --path "$WORK/lego" \
    --domains "$DOMAIN" --http --http.webroot "$WORK/webroot" run >"$WORK/lego.log" 2>&1; then
    tail -n 20 "$WORK/lego.log" | sed 's/^/    /'
    fail "lego failed"
fi
crt="$WORK/lego/certificates/$DOMAIN.crt"
sed -n '1,/-----END CERTIFICATE-----/p' "$crt" >"$WORK/leaf.pem"

# the certID, computed independently of the server
id=$(python3 - "$WORK/leaf.pem" <<'PY'
import base64, re, subprocess, sys
text = subprocess.run(["openssl", "x509", "-in", sys.argv[1], "-noout", "-text"],
                      capture_output=True, text=True, check=True).stdout
aki = re.search(r"Authority Key Identifier:\s*\n\s*(?:keyid:)?([0-9A-Fa-f:]+)", text).group(1)
serial = subprocess.run(["openssl", "x509", "-in", sys.argv[1], "-noout", "-serial"],
                        capture_output=True, text=True, check=True).stdout.strip().split("=")[1]
s = bytes.fromhex(serial if len(serial) % 2 == 0 else "0" + serial)
if s[0] & 0x80:
    s = b"\0" + s  # DER keeps a positive INTEGER positive
b64 = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
print(b64(bytes.fromhex(aki.replace(":", ""))) + "." + b64(s))
PY
) || fail "cannot compute the certID"
code=$(curl -s --max-time 5 --cacert "$WORK/ca.pem" -D "$WORK/ri.h" -o "$WORK/ri.json" \
    -w '%{http_code}' "$RI/$id")
[ "$code" = 200 ] || fail "GET renewalInfo/$id answered $code: $(cat "$WORK/ri.json")"
grep -qi '^retry-after: [0-9]' "$WORK/ri.h" || fail "no Retry-After on renewalInfo"
bad=$(python3 - "$WORK/ri.json" "$WORK/leaf.pem" <<'PY'
import json, subprocess, sys
from datetime import datetime, timezone
w = json.load(open(sys.argv[1]))["suggestedWindow"]
p = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
start, end = p(w["start"]), p(w["end"])
out = subprocess.run(["openssl", "x509", "-in", sys.argv[2], "-noout", "-startdate", "-enddate"],
                     capture_output=True, text=True, check=True).stdout.split("\n")
q = lambda s: datetime.strptime(s.split("=", 1)[1], "%b %d %H:%M:%S %Y GMT").replace(tzinfo=timezone.utc)
nb, na = q(out[0]), q(out[1])
if not (nb < start < end < na):
    print("window %s..%s not inside %s..%s" % (start, end, nb, na))
PY
) || fail "cannot read the renewalInfo answer: $(cat "$WORK/ri.json")"
[ -z "$bad" ] || fail "$bad"
code=$(curl -s --max-time 5 --cacert "$WORK/ca.pem" -o /dev/null -w '%{http_code}' "$RI/${id%%.*}.AQ")
[ "$code" = 404 ] || fail "GET renewalInfo of an unknown serial answered $code, not 404"
say "renewalInfo/$id: $(cat "$WORK/ri.json")"

known='no-refinalize|nonce-discipline'
verdict=$(curl -sf --max-time 10 --cacert "$WORK/ca.pem" "$MGMT/verdict") || fail "GET /verdict failed"
bad=$(printf '%s' "$verdict" | python3 -c '
import json, re, sys
d = json.load(sys.stdin)
known = re.compile("^(%s)$" % sys.argv[1])
print(" ".join("session %d: %s: %s" % (s["id"], v["property"], v["message"])
               for s in d["sessions"] for v in s["verdict"]["verdicts"]
               if v["verdict"] == "violation" and not known.match(v["property"])))' "$known") ||
    fail "cannot read /verdict"
[ -z "$bad" ] || fail "/verdict: $bad"
serve_stop
say "ok"
