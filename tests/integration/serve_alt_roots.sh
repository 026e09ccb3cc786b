#!/usr/bin/env bash
# serve_alt_roots.sh BUILD_DIR SOURCE_DIR - PEBBLE_ALTERNATE_ROOTS=2 and
# PEBBLE_CHAIN_LENGTH=2 under `acmefuzz serve`, as Pebble serves them.
#
# Checks:
#   - the management API serves /roots/N, /intermediates/N, /root-keys/N
#     and /intermediate-keys/N for N = 0, 1, 2 (3 is 404), each answer
#     linking the same resource of the two other hierarchies with
#     Link rel="alternate"; the three roots are distinct (subject and key);
#   - lego, run three times with --preferred-chain naming each root's
#     common name, gets a chain that `openssl verify` accepts under that
#     root and refuses under the two others: the certificate URL links
#     its alternates, and each is issued under its own hierarchy;
#   - certbot (when installed) with --preferred-chain naming root 2 gets
#     a chain that verifies under root 2 and not under root 0;
#   - GET /verdict finds no violation but the two property false
#     positives real clients trip (clients/external/README.md);
#   - the server stops cleanly on SIGTERM.
# Needs lego, curl, openssl, python3 (certbot optional). Loopback only.
set -u

BUILD_DIR=${1:?usage: serve_alt_roots.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
DOMAIN=alt-roots.example.com
# shellcheck source=serve_helpers.bash
. "$(dirname "$0")/serve_helpers.bash"
serve_test_init serve_alt_roots

command -v lego >/dev/null || fail "lego is missing (apt-get install lego; 'make test' does it)"
command -v curl >/dev/null || fail "curl is missing"
[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"

PEBBLE_ALTERNATE_ROOTS=2 PEBBLE_CHAIN_LENGTH=2 serve_start --listen 127.0.0.1:0 --management 127.0.0.1:0 \
    --ca-bundle-out "$WORK/ca.pem"
grep -q '^Alternate roots: 2' "$WORK/serve.out" || fail "no 'Alternate roots: 2' at start-up"
grep -q '^Chain length: 2' "$WORK/serve.out" || fail "no 'Chain length: 2' at start-up"
grep -q 'PEBBLE_CHAIN_LENGTH' "$WORK/serve.err" && fail "PEBBLE_CHAIN_LENGTH still announced as ignored"
grep -q 'PEBBLE_ALTERNATE_ROOTS' "$WORK/serve.err" && fail "PEBBLE_ALTERNATE_ROOTS still announced as ignored"
DIR="https://127.0.0.1:$PORT/dir"
MGMT="https://127.0.0.1:$MPORT"

get() { # PATH OUT: GET on the management API, headers in OUT.h
    curl -sf --max-time 5 --cacert "$WORK/ca.pem" -D "$2.h" -o "$2" "$MGMT$1"
}
for res in roots intermediates root-keys intermediate-keys; do
    for n in 0 1 2; do
        get "/$res/$n" "$WORK/$res-$n.pem" || fail "GET /$res/$n failed"
        for m in 0 1 2; do
            want="<$MGMT/$res/$m>;rel=\"alternate\""
            if [ "$m" = "$n" ]; then
                grep -qiF "link: $want" "$WORK/$res-$n.pem.h" && fail "/$res/$n links itself"
            else
                grep -qiF "link: $want" "$WORK/$res-$n.pem.h" ||
                    fail "/$res/$n has no Link $want: $(grep -i '^link' "$WORK/$res-$n.pem.h")"
            fi
        done
    done
    code=$(curl -s --max-time 5 --cacert "$WORK/ca.pem" -o /dev/null -w '%{http_code}' "$MGMT/$res/3")
    [ "$code" = 404 ] || fail "GET /$res/3 answered $code, not 404"
done
declare -a CN
for n in 0 1 2; do
    CN[n]=$(openssl x509 -in "$WORK/roots-$n.pem" -noout -subject -nameopt multiline |
        sed -n 's/^ *commonName *= *//p')
    [ -n "${CN[n]}" ] || fail "root $n has no common name"
    openssl x509 -in "$WORK/roots-$n.pem" -noout -pubkey >"$WORK/root-$n.pub"
done
[ "${CN[0]}" != "${CN[1]}" ] && [ "${CN[1]}" != "${CN[2]}" ] && [ "${CN[0]}" != "${CN[2]}" ] ||
    fail "the roots' names are not distinct: ${CN[*]}"
cmp -s "$WORK/root-0.pub" "$WORK/root-1.pub" && fail "roots 0 and 1 share a key"
cmp -s "$WORK/root-1.pub" "$WORK/root-2.pub" && fail "roots 1 and 2 share a key"

for n in 0 1 2; do
    mkdir -p "$WORK/r$n/webroot"
    if ! env -u HTTPS_PROXY -u https_proxy LEGO_CA_CERTIFICATES="$WORK/ca.pem" \
        timeout 60 lego --server "$DIR" --accept-tos --email t@example.com --path "$WORK/r$n/lego" \
        --domains "$DOMAIN" --http --http.webroot "$WORK/r$n/webroot" run \
        --preferred-chain "${CN[n]}" >"$WORK/r$n/lego.log" 2>&1; then
        tail -n 20 "$WORK/r$n/lego.log" | sed 's/^/    /'
        fail "run $n: lego failed"
    fi
    crt="$WORK/r$n/lego/certificates/$DOMAIN.crt"
    [ -s "$crt" ] || fail "run $n: no certificate at $crt"
    sed -n '1,/-----END CERTIFICATE-----/p' "$crt" >"$WORK/r$n/leaf.pem"
    sed '1,/-----END CERTIFICATE-----/d' "$crt" >"$WORK/r$n/chain.pem"
    [ -s "$WORK/r$n/chain.pem" ] || fail "run $n: the chain has no intermediate"
    k=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$WORK/r$n/chain.pem")
    [ "$k" = 2 ] || fail "run $n: $k intermediates under PEBBLE_CHAIN_LENGTH=2, not 2"
    sed -n '1,/-----END CERTIFICATE-----/p' "$WORK/r$n/chain.pem" | cmp -s - "$WORK/intermediates-$n.pem" ||
        fail "run $n: /intermediates/$n is not the leaf's issuer"
    for m in 0 1 2; do
        if openssl verify -CAfile "$WORK/roots-$m.pem" -untrusted "$WORK/r$n/chain.pem" \
            "$WORK/r$n/leaf.pem" >"$WORK/r$n/verify-$m.txt" 2>&1; then
            [ "$m" = "$n" ] || fail "run $n: the chain for '${CN[n]}' verifies under root $m too"
        else
            [ "$m" != "$n" ] || fail "run $n: the chain does not verify under '${CN[n]}': $(cat "$WORK/r$n/verify-$m.txt")"
        fi
    done
    say "run $n: --preferred-chain '${CN[n]}' gave a chain that verifies under root $n only"
done

# certbot picks a chain by its root's name too (when installed)
if command -v certbot >/dev/null; then
    cb="$WORK/certbot"
    hp=$((20000 + RANDOM % 20000))
    if ! env -u HTTPS_PROXY -u https_proxy REQUESTS_CA_BUNDLE="$WORK/ca.pem" timeout 120 \
        certbot certonly --non-interactive --agree-tos --register-unsafely-without-email \
        --server "$DIR" --config-dir "$cb/config" --work-dir "$cb/work" --logs-dir "$cb/logs" \
        --standalone --http-01-address 127.0.0.1 --http-01-port "$hp" -d "$DOMAIN" \
        --preferred-chain "${CN[2]}" >"$WORK/certbot.log" 2>&1; then
        tail -n 20 "$WORK/certbot.log" | sed 's/^/    /'
        fail "certbot failed"
    fi
    live="$cb/config/live/$DOMAIN"
    openssl verify -CAfile "$WORK/roots-2.pem" -untrusted "$live/chain.pem" "$live/cert.pem" \
        >/dev/null 2>&1 || fail "certbot --preferred-chain '${CN[2]}': the chain does not verify under it"
    openssl verify -CAfile "$WORK/roots-0.pem" -untrusted "$live/chain.pem" "$live/cert.pem" \
        >/dev/null 2>&1 && fail "certbot --preferred-chain '${CN[2]}': the chain verifies under root 0"
    say "certbot: --preferred-chain '${CN[2]}' gave a chain that verifies under root 2 only"
else
    say "certbot not installed: its --preferred-chain run is skipped"
fi

# the clients fetched every alternate; the server's links must keep the verdict clean
known='no-refinalize|nonce-discipline'
verdict=$(curl -sf --max-time 10 --cacert "$WORK/ca.pem" "$MGMT/verdict") || fail "GET /verdict failed"
bad=$(printf '%s' "$verdict" | python3 -c '
import json, re, sys
d = json.load(sys.stdin)
known = re.compile("^(%s)$" % sys.argv[1])
out = ["session %d: %s: %s" % (s["id"], v["property"], v["message"])
       for s in d["sessions"] for v in s["verdict"]["verdicts"]
       if v["verdict"] == "violation" and not known.match(v["property"])]
out += ["session %d did not succeed" % s["id"] for s in d["sessions"] if not s["client_succeeded"]]
print(" ".join(out))' "$known") || fail "cannot read /verdict"
[ -z "$bad" ] || fail "/verdict: $bad"
serve_stop
say "ok"
