#!/usr/bin/env bash
# pebble.sh BUILD_DIR SOURCE_DIR - the reference client against a real CA.
#
# Starts Debian's Pebble on loopback with a throw-away TLS CA, then runs
# `acmefuzz client` six times (account keys ES256, ES384, RS256, EdDSA,
# ES256, ES384) for two names, and checks every certificate: both names in
# the SAN, a chain that verifies against the root and intermediate Pebble
# publishes on its management API, and a private key file (mode 0600) that
# matches it. Pebble keeps its default 5% badNonce rejection, so the
# client's badNonce retry runs against a real server along the way.
#
# Pebble 2.4.0 (Debian 12) refuses Ed25519 account keys with badPublicKey
# ("no signature algorithms suitable for given key type"). The EdDSA run
# therefore passes either with a certificate (a newer Pebble) or with that
# clean refusal: exit status 1 and the badPublicKey reason printed.
#
# Needs /usr/bin/pebble (`make test` installs it), openssl and curl. A
# missing Pebble is a FAIL, never a silent skip. Everything listens on
# 127.0.0.1 only; Pebble is stopped by its PID and the temporary directory
# removed on every exit path.
set -u

BUILD_DIR=${1:?usage: pebble.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: pebble.sh BUILD_DIR SOURCE_DIR}
PEBBLE=${PEBBLE:-/usr/bin/pebble}
ACMEFUZZ=$BUILD_DIR/acmefuzz
NAMES=(test1.example.com test2.example.com)
ALGS=(ES256 ES384 RS256 EdDSA ES256 ES384)

WORK=""
PEBBLE_PID=""

say() { printf 'pebble.sh: %s\n' "$*"; }
fail() {
    say "$*"
    if [ -n "$WORK" ] && [ -s "$WORK/pebble.log" ]; then
        say "last lines of the Pebble log:"
        tail -n 20 "$WORK/pebble.log" | sed 's/^/    /'
    fi
    echo "FAIL: pebble integration: $*"
    exit 1
}
# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
    if [ -n "$PEBBLE_PID" ]; then
        kill "$PEBBLE_PID" 2>/dev/null
        wait "$PEBBLE_PID" 2>/dev/null
    fi
    if [ -n "$WORK" ]; then
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$PEBBLE" ] || fail "$PEBBLE is missing: install Debian's pebble package (apt-get install pebble; 'make test' does it)"
command -v openssl >/dev/null || fail "the openssl command is missing"
command -v curl >/dev/null || fail "the curl command is missing"
[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"
[ -d "$SOURCE_DIR" ] || fail "source directory $SOURCE_DIR is missing"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-pebble.XXXXXX") || fail "mktemp failed"

# ---- free ports: anything not listening on TCP (v4 or v6) now ------------
listening_ports() {
    local f addr state
    for f in /proc/net/tcp /proc/net/tcp6; do
        [ -r "$f" ] || continue
        while read -r _ addr _ state _; do
            [ "$state" = "0A" ] && echo $((16#${addr##*:}))
        done < <(tail -n +2 "$f")
    done
}
USED=" $(listening_ports | sort -un | tr '\n' ' ') "
PORTS=()
for _ in $(seq 1 1000); do
    [ ${#PORTS[@]} -eq 4 ] && break
    p=$((20000 + RANDOM % 40000))
    case "$USED ${PORTS[*]:-} " in
    *" $p "*) continue ;;
    esac
    PORTS+=("$p")
done
[ ${#PORTS[@]} -eq 4 ] || fail "could not find four free TCP ports"
ACME_PORT=${PORTS[0]}
MGMT_PORT=${PORTS[1]}
HTTP_PORT=${PORTS[2]}
TLS_PORT=${PORTS[3]}

# ---- throw-away TLS CA and a server certificate for loopback -------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$WORK/tls-ca.key" -out "$WORK/tls-ca.pem" -days 2 \
    -subj "/CN=acmefuzz throw-away TLS CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>"$WORK/openssl.log" ||
    fail "cannot make the TLS CA: $(cat "$WORK/openssl.log")"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$WORK/tls-server.key" -out "$WORK/tls-server.csr" \
    -subj "/CN=localhost" 2>"$WORK/openssl.log" ||
    fail "cannot make the TLS server key: $(cat "$WORK/openssl.log")"
cat >"$WORK/tls-server.ext" <<EOF
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1
EOF
openssl x509 -req -in "$WORK/tls-server.csr" -CA "$WORK/tls-ca.pem" \
    -CAkey "$WORK/tls-ca.key" -CAcreateserial -days 2 \
    -extfile "$WORK/tls-server.ext" -out "$WORK/tls-server.pem" 2>"$WORK/openssl.log" ||
    fail "cannot sign the TLS server certificate: $(cat "$WORK/openssl.log")"

cat >"$WORK/pebble.json" <<EOF
{
  "pebble": {
    "listenAddress": "127.0.0.1:$ACME_PORT",
    "managementListenAddress": "127.0.0.1:$MGMT_PORT",
    "certificate": "$WORK/tls-server.pem",
    "privateKey": "$WORK/tls-server.key",
    "httpPort": $HTTP_PORT,
    "tlsPort": $TLS_PORT,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false
  }
}
EOF

# ---- start Pebble ----------------------------------------------------------
# Every challenge is accepted at once; PEBBLE_WFE_NONCEREJECT keeps its
# default (5% of good nonces rejected with badNonce).
env -u PEBBLE_WFE_NONCEREJECT PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 \
    "$PEBBLE" -config "$WORK/pebble.json" -dnsserver 127.0.0.1:53 \
    >"$WORK/pebble.log" 2>&1 &
PEBBLE_PID=$!

DIR_URL="https://127.0.0.1:$ACME_PORT/dir"
MGMT_URL="https://127.0.0.1:$MGMT_PORT"
ready=0
for _ in $(seq 1 100); do
    kill -0 "$PEBBLE_PID" 2>/dev/null || fail "Pebble exited at start"
    if curl -sf --max-time 2 --cacert "$WORK/tls-ca.pem" -o /dev/null "$DIR_URL"; then
        ready=1
        break
    fi
    sleep 0.1
done
[ "$ready" = 1 ] || fail "Pebble did not answer $DIR_URL within 10 s"
say "Pebble (pid $PEBBLE_PID) serves $DIR_URL"

curl -sf --max-time 5 --cacert "$WORK/tls-ca.pem" -o "$WORK/root.pem" "$MGMT_URL/roots/0" ||
    fail "cannot fetch $MGMT_URL/roots/0"
curl -sf --max-time 5 --cacert "$WORK/tls-ca.pem" -o "$WORK/intermediate.pem" \
    "$MGMT_URL/intermediates/0" || fail "cannot fetch $MGMT_URL/intermediates/0"

# ---- issue and check -------------------------------------------------------
domain_args=()
for n in "${NAMES[@]}"; do
    domain_args+=(--domain "$n")
done
bad_nonces=0
issued=0
eddsa_refused=0
run=0
for alg in "${ALGS[@]}"; do
    run=$((run + 1))
    out="$WORK/out$run"
    start=$(date +%s%N)
    if ! timeout 180 "$ACMEFUZZ" client --directory "$DIR_URL" --ca-bundle "$WORK/tls-ca.pem" \
        "${domain_args[@]}" --out "$out" --account-key-alg "$alg" \
        --contact "mailto:run$run@example.com" -v >"$WORK/client$run.out" 2>"$WORK/client$run.err"; then
        if [ "$alg" = EdDSA ] &&
            grep -q 'FAILED: newAccount: HTTP 400 badPublicKey' "$WORK/client$run.err"; then
            eddsa_refused=1
            say "issuance $run: $alg account refused by Pebble (badPublicKey); client failed cleanly: ok"
            continue
        fi
        say "client output:"
        sed 's/^/    /' "$WORK/client$run.out" "$WORK/client$run.err" | tail -n 40
        fail "issuance $run ($alg account key) failed"
    fi
    ms=$((($(date +%s%N) - start) / 1000000))
    n_bad=$(grep -c 'badNonce, retrying' "$WORK/client$run.err")
    bad_nonces=$((bad_nonces + n_bad))
    n_req=$(grep -c '^acmefuzz: > ' "$WORK/client$run.err")

    [ -s "$out/cert.pem" ] || fail "issuance $run: $out/cert.pem is missing or empty"
    [ -s "$out/cert-key.pem" ] || fail "issuance $run: $out/cert-key.pem is missing or empty"
    mode=$(stat -c %a "$out/cert-key.pem")
    [ "$mode" = 600 ] || fail "issuance $run: cert-key.pem has mode $mode, not 600"
    grep -q -- '-----BEGIN PRIVATE KEY-----' "$out/cert-key.pem" ||
        fail "issuance $run: cert-key.pem is not a PKCS#8 PEM key"

    # the leaf is the first block of the chain as received
    sed -n '1,/-----END CERTIFICATE-----/p' "$out/cert.pem" >"$out/leaf.pem"
    san=$(openssl x509 -in "$out/leaf.pem" -noout -ext subjectAltName 2>&1) ||
        fail "issuance $run: cannot read the leaf certificate: $san"
    for n in "${NAMES[@]}"; do
        case "$san" in
        *"DNS:$n"*) ;;
        *) fail "issuance $run: $n is not in the certificate's SAN: $san" ;;
        esac
    done
    v=$(openssl verify -CAfile "$WORK/root.pem" -untrusted "$WORK/intermediate.pem" \
        "$out/leaf.pem" 2>&1) ||
        fail "issuance $run: leaf does not verify against Pebble's root/intermediate: $v"
    v=$(openssl verify -CAfile "$WORK/root.pem" -untrusted "$out/cert.pem" "$out/leaf.pem" 2>&1) ||
        fail "issuance $run: the chain as received does not verify: $v"
    leaf_pub=$(openssl x509 -in "$out/leaf.pem" -noout -pubkey)
    key_pub=$(openssl pkey -in "$out/cert-key.pem" -pubout)
    [ "$leaf_pub" = "$key_pub" ] || fail "issuance $run: cert-key.pem does not match the leaf"
    issued=$((issued + 1))
    say "issuance $run: $alg account, $n_req requests, $n_bad badNonce retries, ${ms} ms: ok"
done

kill -0 "$PEBBLE_PID" 2>/dev/null || fail "Pebble died during the test"
say "badNonce retries across all issuances: $bad_nonces"
if [ "$bad_nonces" -eq 0 ]; then
    say "note: Pebble's 5% nonce rejection did not trigger this time"
fi
[ "$issued" -ge 5 ] || fail "only $issued issuances succeeded"
extra=""
if [ "$eddsa_refused" = 1 ]; then
    extra=", EdDSA account refused by Pebble with badPublicKey as expected"
fi
echo "PASS: pebble integration: $issued issuances for ${NAMES[*]} verified, $bad_nonces badNonce retries$extra"
exit 0
