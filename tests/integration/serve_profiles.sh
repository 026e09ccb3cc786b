#!/usr/bin/env bash
# serve_profiles.sh BUILD_DIR SOURCE_DIR - certificate profiles
# (draft-aaron-acme-profiles-01) in `acmefuzz serve`, driven by npm's
# acme-client 5.4.0 (clients/external/node-acme-client; its createOrder
# passes "profile" through):
#   1. by default Let's Encrypt's three: meta.profiles names classic,
#      shortlived and tlsserver; an order without a profile says
#      "classic" and its certificate is valid 90 days; an order for
#      "shortlived" says so and its certificate is valid 160 hours; an
#      order for a profile not offered is 400 invalidProfile;
#   2. with a Pebble config's "profiles" (default 90 days, shortlived 6
#      days, as newer Pebble configs hold them) those replace Let's
#      Encrypt's: an order without one says "default", "shortlived" gives
#      6 days.
# Needs node and npm (install.sh: npm ci from the lock file). Loopback
# only; each server is stopped by its PID. About 4 s.
set -u

BUILD_DIR=${1:?usage: serve_profiles.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: serve_profiles.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
ADAPTER=$(cd "$SOURCE_DIR/clients/external/node-acme-client" 2>/dev/null && pwd)
# shellcheck source=serve_helpers.bash
. "$(dirname "$0")/serve_helpers.bash"
serve_test_init serve_profiles

command -v node >/dev/null || fail "node is missing ('make test' installs it)"
[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"
[ -n "$ADAPTER" ] || fail "$SOURCE_DIR/clients/external/node-acme-client is missing"
bash "$ADAPTER/install.sh" || fail "acme-client 5.4.0 could not be installed ($ADAPTER/install.sh)"

# profiles.js DIR: one line per fact, "KEY VALUE"
cat >"$WORK/profiles.js" <<'JS'
'use strict';
const crypto = require('crypto');
const acme = require('acme-client');

async function main() {
    const dir = process.argv[2];
    const client = new acme.Client({
        directoryUrl: dir,
        accountKey: await acme.crypto.createPrivateEcdsaKey(),
        backoffMin: 100,
        backoffMax: 1000,
        backoffAttempts: 30,
    });
    const say = (k, v) => process.stdout.write(`${k} ${v}\n`);
    const d = await client.http.getDirectory();
    const profiles = (d.meta && d.meta.profiles) || {};
    say('profiles', Object.keys(profiles).sort().join(','));
    await client.createAccount({ termsOfServiceAgreed: true });
    // issue NAME PROFILE: the order's profile and the certificate's hours
    const issue = async (name, profile) => {
        const req = { identifiers: [{ type: 'dns', value: name }] };
        if (profile)
            req.profile = profile;
        let order = await client.createOrder(req);
        for (const a of await client.getAuthorizations(order)) {
            const ch = a.challenges.find((c) => c.type === 'http-01');
            await client.completeChallenge(ch);
            await client.waitForValidStatus(ch);
        }
        const [, csr] = await acme.crypto.createCsr({ commonName: name, altNames: [name] });
        order = await client.finalizeOrder(order, csr);
        const pem = await client.getCertificate(order);
        const leaf = new crypto.X509Certificate(acme.crypto.splitPemChain(pem)[0]);
        const hours = Math.round((Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 3600000);
        return `${order.profile || '(none)'} ${hours}h`;
    };
    say('none', await issue('none.example.com', null));
    say('shortlived', await issue('short.example.com', 'shortlived'));
    try {
        await client.createOrder({ identifiers: [{ type: 'dns', value: 'x.example.com' }], profile: 'no-such' });
        say('unknown', 'accepted');
    } catch (e) {
        say('unknown', `refused: ${e.message}`);
    }
}
main().catch((e) => {
    process.stderr.write(`profiles.js: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
});
JS

run_js() { # OUT
    env -u HTTPS_PROXY -u https_proxy NODE_PATH="$ADAPTER/node_modules" \
        NODE_EXTRA_CA_CERTS="$WORK/ca.pem" timeout 60 node "$WORK/profiles.js" \
        "https://127.0.0.1:$PORT/dir" >"$1" 2>"$1.err" ||
        fail "profiles.js failed: $(tail -n 5 "$1.err")"
}
fact() { sed -n "s/^$1 //p" "$2"; }
want() { # KEY FILE VALUE
    local got
    got=$(fact "$1" "$2")
    [ "$got" = "$3" ] || fail "$1: '$got', want '$3'"
    say "ok: $1: $got"
}

# 1. Let's Encrypt's profiles, by default
serve_start --listen 127.0.0.1:0 --management 127.0.0.1:0 --ca-bundle-out "$WORK/ca.pem"
grep -q '^Profiles: classic shortlived tlsserver (an order without one gets classic)' "$WORK/serve.out" ||
    fail "no Profiles line at start-up: $(cat "$WORK/serve.out")"
run_js "$WORK/le.txt"
want profiles "$WORK/le.txt" classic,shortlived,tlsserver
want none "$WORK/le.txt" "classic 2160h"
want shortlived "$WORK/le.txt" "shortlived 160h"
case $(fact unknown "$WORK/le.txt") in
"refused: "*'"no-such" is not offered'*) say "ok: an unknown profile is refused" ;;
*) fail "unknown profile: $(fact unknown "$WORK/le.txt")" ;;
esac
curl -sf --max-time 10 --cacert "$WORK/ca.pem" "https://127.0.0.1:$MPORT/history" >"$WORK/h.json" ||
    fail "GET /history failed"
python3 - "$WORK/h.json" <<'PY' || fail "the refusal is not 400 invalidProfile in the history"
import json, sys
h = json.load(open(sys.argv[1]))
bad = [x for x in h["exchanges"] if x["response"]["status"] == 400
       and "urn:ietf:params:acme:error:invalidProfile" in (x["response"].get("body") or "")]
assert len(bad) == 1, len(bad)
PY
say "ok: the refusal is 400 urn:ietf:params:acme:error:invalidProfile"
serve_stop

# 2. a Pebble config's profiles replace them
cat >"$WORK/pebble-config.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:0", "managementListenAddress": "127.0.0.1:0",
  "certificate": "", "privateKey": "",
  "profiles": {"default": {"description": "The profile you know and love", "validityPeriod": 7776000},
               "shortlived": {"description": "A short-lived cert profile", "validityPeriod": 518400}}}}
JSON
serve_start -config "$WORK/pebble-config.json" --ca-bundle-out "$WORK/ca.pem"
run_js "$WORK/pebble.txt"
want profiles "$WORK/pebble.txt" default,shortlived
want none "$WORK/pebble.txt" "default 2160h"
want shortlived "$WORK/pebble.txt" "shortlived 144h"
serve_stop
echo "PASS: serve_profiles: Let's Encrypt's profiles and a Pebble config's, reflected, validity set, unknown refused"
