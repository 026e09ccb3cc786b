#!/usr/bin/env bash
# pebble_parity.sh BUILD_DIR SOURCE_DIR [--full] - the same client
# workloads against Debian's Pebble and against `acmefuzz serve`, started
# the same way (`SERVER -config pebble-config.json -dnsserver 127.0.0.1:53`,
# one config file, one environment: PEBBLE_VA_ALWAYS_VALID=1,
# PEBBLE_VA_NOSLEEP=1, PEBBLE_WFE_NONCEREJECT=0, PEBBLE_ALTERNATE_ROOTS=1),
# one server after the other on the same ports; the outcomes are compared
# and every difference fails unless INTENDED below lists it with its reason.
#
# Workloads (each server):
#   lego     run, renew (a new serial), revoke (cert-status-by-serial says
#            Revoked); the certificates verify to the served roots
#   certbot  certonly --preferred-chain <root 1's name> (verifies under
#            root 1 only); with --full also renew --force-renewal (the
#            same chain) and revoke
#   node     npm acme-client 5.4.0 through its API (pebble_parity.js api):
#            account create / again / update / key change / old key /
#            deactivate, an order of two names and a wildcard (dns-01),
#            the default chain and preferredChain <root 1's name>,
#            authorization deactivation, the orders list, revoke twice,
#            the certificate URL after revocation
#   eab      (a second config: externalAccountBindingRequired with
#            externalAccountMACKeys) acme-client with no binding, a wrong
#            MAC key, an unknown kid, the right binding
# Outcomes are exit statuses, statuses, problem types and which served
# roots a chain verifies under, never URLs, serials or keys.
# PARITY_SERVE_ARGS adds arguments to `acmefuzz serve` only (for example
# "--scenario corpus/suite/full/authz-invalid.scn", to see the test fail).
#
# make test runs all of it but certbot's renew and revoke (13-24 s measured);
# --full adds them (29-38 s in all: certbot takes 3 s a run). Needs
# /usr/bin/pebble, lego, certbot, node and npm
# (clients/external/node-acme-client/install.sh, npm ci from its lock
# file), openssl, curl, python3. A missing tool is a FAIL. Loopback only;
# each server is stopped by its PID.
set -u

BUILD_DIR=${1:?usage: pebble_parity.sh BUILD_DIR SOURCE_DIR [--full]}
SOURCE_DIR=${2:?usage: pebble_parity.sh BUILD_DIR SOURCE_DIR [--full]}
FULL=0
[ "${3:-}" = --full ] && FULL=1
PEBBLE=${PEBBLE:-/usr/bin/pebble}
ACMEFUZZ=$BUILD_DIR/acmefuzz
ADAPTER=$(cd "$SOURCE_DIR/clients/external/node-acme-client" 2>/dev/null && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
EAB_KID=kid-1
EAB_HMAC=YS1rZXktdGhlLWNhLWdhdmUtb3V0

WORK=""
SPID=""
say() { printf 'pebble_parity.sh: %s\n' "$*"; }
fail() {
    say "$*"
    echo "FAIL: pebble_parity: $*"
    exit 1
}
# shellcheck disable=SC2317
cleanup() {
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
    [ -n "$WORK" ] && [ -z "${KEEP:-}" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$PEBBLE" ] || fail "$PEBBLE is missing (apt-get install pebble; 'make test' does it)"
[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"
for t in lego certbot node npm openssl curl python3; do
    command -v "$t" >/dev/null || fail "$t is missing ('make test' installs it)"
done
[ -n "$ADAPTER" ] || fail "$SOURCE_DIR/clients/external/node-acme-client is missing"
bash "$ADAPTER/install.sh" || fail "acme-client 5.4.0 could not be installed ($ADAPTER/install.sh)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-pebble-parity.XXXXXX") || fail "mktemp failed"
T0=$(date +%s%N)

# ---- four free ports (nothing listening on them now) ----------------------
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
DIR="https://127.0.0.1:${PORTS[0]}/dir"
MGMT="https://127.0.0.1:${PORTS[1]}"

# ---- a throw-away TLS CA and the listeners' certificate ------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$WORK/tls-ca.key" -out "$WORK/tls-ca.pem" -days 2 -subj "/CN=parity TLS CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>"$WORK/openssl.log" || fail "cannot make the TLS CA: $(cat "$WORK/openssl.log")"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/tls.key" \
    -out "$WORK/tls.csr" -subj "/CN=localhost" 2>"$WORK/openssl.log" ||
    fail "cannot make the TLS key: $(cat "$WORK/openssl.log")"
printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1" >"$WORK/tls.ext"
openssl x509 -req -in "$WORK/tls.csr" -CA "$WORK/tls-ca.pem" -CAkey "$WORK/tls-ca.key" \
    -CAcreateserial -days 2 -extfile "$WORK/tls.ext" -out "$WORK/tls.pem" 2>"$WORK/openssl.log" ||
    fail "cannot sign the TLS certificate: $(cat "$WORK/openssl.log")"

# One config file for both servers (and one for the EAB workload).
config() { # EXTRA_MEMBERS
    cat <<EOF
{
  "pebble": {
    "listenAddress": "127.0.0.1:${PORTS[0]}",
    "managementListenAddress": "127.0.0.1:${PORTS[1]}",
    "certificate": "$WORK/tls.pem",
    "privateKey": "$WORK/tls.key",
    "httpPort": ${PORTS[2]},
    "tlsPort": ${PORTS[3]},
    "ocspResponderURL": "",
    $1
  }
}
EOF
}
config '"externalAccountBindingRequired": false' >"$WORK/pebble-config.json"
config "\"externalAccountBindingRequired\": true,
    \"externalAccountMACKeys\": {\"kid-0\": \"b3RoZXIta2V5\", \"$EAB_KID\": \"$EAB_HMAC\"}" \
    >"$WORK/pebble-config-eab.json"

# ---- one server up / down --------------------------------------------------
# server_start NAME CONFIG: NAME is pebble or acmefuzz
server_start() {
    local name=$1 cfg=$2 cmd
    if [ "$name" = pebble ]; then
        cmd=("$PEBBLE")
    else
        # shellcheck disable=SC2206 # words on purpose
        cmd=("$ACMEFUZZ" serve ${PARITY_SERVE_ARGS:-})
    fi
    env -u PEBBLE_AUTHZREUSE -u PEBBLE_CHAIN_LENGTH -u PEBBLE_VA_SLEEPTIME \
        PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 \
        PEBBLE_ALTERNATE_ROOTS=1 \
        "${cmd[@]}" -config "$cfg" -dnsserver 127.0.0.1:53 >>"$WORK/$name/server.log" 2>&1 &
    SPID=$!
    for _ in $(seq 1 100); do
        kill -0 "$SPID" 2>/dev/null || fail "$name exited at start: $(tail -n 5 "$WORK/$name/server.log")"
        curl -sf --max-time 2 --cacert "$WORK/tls-ca.pem" -o /dev/null "$DIR" && return 0
        sleep 0.1
    done
    fail "$name did not answer $DIR within 10 s"
}
server_stop() { # NAME
    kill "$SPID"
    wait "$SPID"
    local rc=$?
    SPID=""
    # Pebble's Go runtime exits 2 on SIGTERM; acmefuzz serve must exit 0
    [ "$1" = pebble ] || [ "$rc" = 0 ] || fail "$1 exited $rc on SIGTERM"
}

# ---- helpers over the served roots -----------------------------------------
# roots_of LEAF_AND_CHAIN: the served roots (0 1) the chain verifies under
roots_of() { # PEM DIR
    local pem=$1 d=$2 n got=""
    [ -s "$pem" ] || { echo no-certificate; return 0; }
    sed -n '1,/-----END CERTIFICATE-----/p' "$pem" >"$pem.leaf"
    for n in 0 1; do
        openssl verify -CAfile "$d/root-$n.pem" -untrusted "$pem" "$pem.leaf" >/dev/null 2>&1 &&
            got="$got${got:+,}root$n"
    done
    echo "${got:-none}"
}
serial_of() { openssl x509 -in "$1" -noout -serial 2>/dev/null | sed 's/^serial=//'; }
cert_status() { # SERIAL: the Status of /cert-status-by-serial/SERIAL
    [ -n "$1" ] || { echo no-certificate; return 0; }
    curl -s --max-time 5 --cacert "$WORK/tls-ca.pem" "$MGMT/cert-status-by-serial/$1" |
        python3 -c 'import json,sys
try: print(json.load(sys.stdin).get("Status","?"))
except ValueError: print("not-json")'
}

# ---- the workloads ------------------------------------------------------------
# out KEY VALUE: one outcome line of the current server
out() { printf '%s\t%s\n' "$1" "$2" >>"$D/outcome.tsv"; }

lego_workload() {
    # revoke goes through every --domains given: name only the certificate's
    local lego=(env -u HTTPS_PROXY -u https_proxy LEGO_CA_CERTIFICATES="$WORK/tls-ca.pem"
        timeout 60 lego --server "$DIR" --accept-tos --email t@example.com --path "$D/lego"
        --domains lego.example.com --http --http.webroot "$D/webroot")
    local crt="$D/lego/certificates/lego.example.com.crt" s1 s2 rc
    mkdir -p "$D/webroot"
    "${lego[@]}" --domains www.lego.example.com run >"$D/lego-run.log" 2>&1
    out lego.run.exit $?
    out lego.run.chain "$(roots_of "$crt" "$D")"
    s1=$(serial_of "$crt")
    out lego.run.status "$(cert_status "$s1")"
    "${lego[@]}" renew --days 99999 --no-random-sleep >"$D/lego-renew.log" 2>&1
    out lego.renew.exit $?
    s2=$(serial_of "$crt")
    if [ -n "$s2" ] && [ "$s1" != "$s2" ]; then out lego.renew.serial new; else out lego.renew.serial same; fi
    out lego.renew.chain "$(roots_of "$crt" "$D")"
    "${lego[@]}" revoke >"$D/lego-revoke.log" 2>&1
    rc=$?
    out lego.revoke.exit $rc
    out lego.revoke.status "$(cert_status "$s2")"
    out lego.revoke.first-still "$(cert_status "$s1")"
}

certbot_workload() {
    local cb=(env -u HTTPS_PROXY -u https_proxy REQUESTS_CA_BUNDLE="$WORK/tls-ca.pem" timeout 120
        certbot --non-interactive --config-dir "$D/cb/config" --work-dir "$D/cb/work"
        --logs-dir "$D/cb/logs" --server "$DIR")
    local live="$D/cb/config/live/certbot.example.com" s1 s2
    mkdir -p "$D/webroot"
    "${cb[@]}" certonly --agree-tos --register-unsafely-without-email --webroot -w "$D/webroot" \
        -d certbot.example.com --preferred-chain "$ALT_CN" >"$D/certbot-certonly.log" 2>&1
    out certbot.certonly.exit $?
    out certbot.certonly.chain "$(roots_of "$live/fullchain.pem" "$D")"
    [ "$FULL" = 1 ] || return 0
    s1=$(serial_of "$live/cert.pem")
    "${cb[@]}" renew --force-renewal --no-random-sleep-on-renew --cert-name certbot.example.com >"$D/certbot-renew.log" 2>&1
    out certbot.renew.exit $?
    s2=$(serial_of "$live/cert.pem")
    if [ -n "$s2" ] && [ "$s1" != "$s2" ]; then out certbot.renew.serial new; else out certbot.renew.serial same; fi
    out certbot.renew.chain "$(roots_of "$live/fullchain.pem" "$D")"
    "${cb[@]}" revoke --cert-name certbot.example.com --reason keycompromise \
        --no-delete-after-revoke >"$D/certbot-revoke.log" 2>&1
    out certbot.revoke.exit $?
    out certbot.revoke.status "$(cert_status "$s2")"
}

node_workload() { # MODE ARGS...
    local mode=$1
    shift
    env -u HTTPS_PROXY -u https_proxy NODE_PATH="$ADAPTER/node_modules" \
        NODE_EXTRA_CA_CERTS="$WORK/tls-ca.pem" timeout 120 node "$HERE/pebble_parity.js" "$mode" "$DIR" "$D" "$@" \
        >"$D/node-$mode.log" 2>&1
    out "node.$mode.exit" $?
    [ -s "$D/node-$mode.json" ] || return 0
    python3 - "$D/node-$mode.json" >>"$D/outcome.tsv" <<'PY'
import json, sys
for k, v in json.load(open(sys.argv[1])).items():
    print("node.%s\t%s" % (k, v))
PY
    if [ "$mode" = api ]; then
        [ -s "$D/node-default.pem" ] && out node.order.certificate.chain "$(roots_of "$D/node-default.pem" "$D")"
        [ -s "$D/node-preferred.pem" ] && out node.order.preferred-chain.chain "$(roots_of "$D/node-preferred.pem" "$D")"
    fi
    return 0
}

for name in pebble acmefuzz; do
    D=$WORK/$name
    mkdir -p "$D"
    t=$(date +%s%N)
    server_start "$name" "$WORK/pebble-config.json"
    for n in 0 1; do
        curl -sf --max-time 5 --cacert "$WORK/tls-ca.pem" -o "$D/root-$n.pem" "$MGMT/roots/$n" ||
            fail "$name: GET /roots/$n failed"
    done
    ALT_CN=$(openssl x509 -in "$D/root-1.pem" -noout -subject -nameopt multiline |
        sed -n 's/^ *commonName *= *//p')
    [ -n "$ALT_CN" ] || fail "$name: /roots/1 has no common name"
    lego_workload
    node_workload api "$ALT_CN"
    certbot_workload
    server_stop "$name"
    server_start "$name" "$WORK/pebble-config-eab.json"
    node_workload eab "$EAB_KID" "$EAB_HMAC"
    server_stop "$name"
    say "$name: $(wc -l <"$D/outcome.tsv") outcomes in $((($(date +%s%N) - t) / 1000000)) ms"
done

# acmefuzz says what it does not honour: -dnsserver here; the nonce
# rejection rate was set, so nothing about it
grep -q -- '-dnsserver 127.0.0.1:53 is not honoured' "$WORK/acmefuzz/server.log" ||
    fail "acmefuzz serve did not announce that -dnsserver is not honoured"
grep -q 'PEBBLE_WFE_NONCEREJECT' "$WORK/acmefuzz/server.log" &&
    fail "acmefuzz serve announced PEBBLE_WFE_NONCEREJECT although it was set"

# ---- compare ---------------------------------------------------------------------
python3 - "$WORK/pebble/outcome.tsv" "$WORK/acmefuzz/outcome.tsv" "$WORK/counts" <<'PY'
import sys

# Differences that are intended: KEY: (Pebble's outcome, acmefuzz's, why).
# README "Replacing Pebble in your CI" lists the same.
INTENDED = {
    "node.directory": (
        "keyChange,meta,newAccount,newNonce,newOrder,revokeCert "
        "meta=externalAccountRequired,termsOfService",
        "keyChange,meta,newAccount,newNonce,newOrder,renewalInfo,revokeCert "
        "meta=profiles,termsOfService,website",
        "acmefuzz serves ACME Renewal Information (RFC 9773) and Let's Encrypt's certificate "
        "profiles (draft-aaron-acme-profiles), which Pebble 2.4.0 predates; meta carries "
        "website and leaves externalAccountRequired out when false (RFC 8555 7.1.1: both "
        "optional)"),
    "node.account.create-again": (
        "error:malformed/400", "valid same-url=true",
        "acme-client follows newAccount's 200 with an update holding only "
        "termsOfServiceAgreed; RFC 8555 7.3.2: 'The server MUST ignore any updates to the "
        "\"orders\" field, \"termsOfServiceAgreed\" field', so acmefuzz answers the account; "
        "Pebble refuses it as an empty update"),
    "node.account.key-change": (
        "undefined key=absent", "valid key=match",
        "RFC 8555 7.3.5 asks for 200 (OK) only; Pebble sends no body, acmefuzz the "
        "updated account"),
    "node.authz.deactivate": (
        "authz=deactivated order=deactivated", "authz=deactivated order=invalid",
        "'deactivated' is no order status in RFC 8555 7.1.6 (Boulder issue 4887 says so "
        "too); acmefuzz serves invalid"),
    "node.order.finalize": (
        "processing certificate=absent", "valid certificate=url",
        "acmefuzz serve issues at finalize unless --async (or a scenario) says otherwise; "
        "Pebble 2.4.0 always answers processing"),
}

# What both servers must answer (a Pebble that does not is a broken
# environment, an acmefuzz that does not fails anyway).
EXPECT = {
    "lego.run.exit": "0", "lego.run.chain": "root0", "lego.run.status": "Valid",
    "lego.renew.exit": "0", "lego.renew.serial": "new", "lego.revoke.exit": "0",
    "lego.revoke.status": "Revoked", "certbot.certonly.exit": "0",
    "certbot.certonly.chain": "root1", "node.api.exit": "0", "node.eab.exit": "0",
    "node.order.certificate.chain": "root0", "node.order.preferred-chain.chain": "root1",
    "node.revoke": "ok", "node.revoke.again": "error:alreadyRevoked/400",
    "node.revoke.certificate-url": "404", "node.eab.right": "valid",
    "node.eab.none": "error:externalAccountRequired/403",
    "node.account.deactivate": "deactivated",
}

def load(p):
    d = {}
    for line in open(p):
        k, _, v = line.rstrip("\n").partition("\t")
        d[k] = v
    return d

peb, afz = load(sys.argv[1]), load(sys.argv[2])
bad = 0
for k, want in sorted(EXPECT.items()):
    if peb.get(k) != want:
        print("  PEBBLE    %-40s %s, not the expected %s" % (k, peb.get(k, "(missing)"), want))
        bad += 1
for k in sorted(set(peb) | set(afz)):
    a, b = peb.get(k, "(missing)"), afz.get(k, "(missing)")
    if a == b:
        print("  same      %-40s %s" % (k, a))
    elif k in INTENDED and INTENDED[k][:2] == (a, b):
        print("  intended  %-40s Pebble: %s | acmefuzz: %s (%s)" % (k, a, b, INTENDED[k][2]))
    else:
        print("  DIFFERS   %-40s Pebble: %s | acmefuzz: %s" % (k, a, b))
        bad += 1
same = sum(1 for k in peb if afz.get(k) == peb[k])
open(sys.argv[3], "w").write("%d %d\n" % (len(set(peb) | set(afz)), same))
sys.exit(1 if bad else 0)
PY
rc=$?
secs=$((($(date +%s%N) - T0) / 1000000))
[ "$rc" = 0 ] || fail "the outcomes differ (above; KEEP=1 keeps $WORK with every client's log)"
read -r n same <"$WORK/counts"
echo "PASS: pebble_parity: $n outcomes, $same the same on Pebble and acmefuzz serve," \
    "$((n - same)) intended differences$([ "$FULL" = 1 ] && echo " (full)") in ${secs} ms"
