#!/usr/bin/env bash
# serve_nonce_reject.sh BUILD_DIR SOURCE_DIR - PEBBLE_WFE_NONCEREJECT in
# `acmefuzz serve`: a POST refused with badNonce at random has still spent
# its nonce, as Pebble's does (it checks the nonce before the roll) and as
# RFC 8555 6.5 asks of any server ("Once a nonce value has appeared in an
# ACME request, the server MUST consider it invalid").
#   1. With PEBBLE_WFE_NONCEREJECT=50 the reference client (`acmefuzz
#      client`, which retries badNonce with the error's nonce) still gets
#      its certificate, and some of its requests were refused at random.
#   2. The exact bytes of a refused request, sent again 8 times, are never
#      accepted: each answer is badNonce. A server that did not spend the
#      nonce would accept one of them with probability 1 - 2^-8.
# Needs curl and python3. Loopback only. About 3 s.
set -u

BUILD_DIR=${1:?usage: serve_nonce_reject.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
# shellcheck source=serve_helpers.bash
. "$(dirname "$0")/serve_helpers.bash"
serve_test_init serve_nonce_reject

command -v curl >/dev/null || fail "curl is missing"
command -v python3 >/dev/null || fail "python3 is missing"
[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"

# --seed fixes the random refusals (the server's PRNG), so the run cannot
# meet six refusals in a row by chance and fail the client
PEBBLE_WFE_NONCEREJECT=50 serve_start --listen 127.0.0.1:0 --management 127.0.0.1:0 --seed 7 \
    --ca-bundle-out "$WORK/ca.pem"

"$ACMEFUZZ" client --directory "https://127.0.0.1:$PORT/directory" --ca-bundle "$WORK/ca.pem" \
    --domain reject.example --out "$WORK/out" >"$WORK/client.log" 2>&1 ||
    fail "the reference client failed under PEBBLE_WFE_NONCEREJECT=50: $(tail -n 3 "$WORK/client.log")"
curl -s --max-time 10 --cacert "$WORK/ca.pem" -o "$WORK/history.json" \
    "https://127.0.0.1:$MPORT/history" || fail "GET /history failed"
# the first request refused at random: its URL and body
python3 - "$WORK/history.json" "$WORK/refused" <<'PY' || fail "no request was refused at random"
import json, sys
h = json.load(open(sys.argv[1]))
refused = {e["exchange"] for e in h["events"]
           if e["kind"] == "fault" and "PEBBLE_WFE_NONCEREJECT" in (e.get("detail") or "")}
xs = [x for x in h["exchanges"] if x["index"] in refused and x["request"]["method"] == "POST"]
assert xs, "none refused"
x = xs[0]
open(sys.argv[2] + ".url", "w").write(x["request"]["url"])
open(sys.argv[2] + ".body", "w").write(x["request"]["body"])
PY
say "ok: the reference client got its certificate; requests refused at random: $(python3 -c \
    'import json,sys; h=json.load(open(sys.argv[1])); print(sum(1 for e in h["events"] if e["kind"]=="fault"))' \
    "$WORK/history.json")"

url=$(cat "$WORK/refused.url")
for i in $(seq 1 8); do
    curl -s --max-time 10 --cacert "$WORK/ca.pem" -o "$WORK/replay$i.json" -w '%{http_code}' \
        -H 'Content-Type: application/jose+json' --data-binary @"$WORK/refused.body" "$url" \
        >"$WORK/replay$i.code" || fail "replay $i: curl failed"
    code=$(cat "$WORK/replay$i.code")
    [ "$code" = 400 ] && grep -q 'badNonce' "$WORK/replay$i.json" ||
        fail "replay $i of a refused request was answered $code: $(cat "$WORK/replay$i.json")"
done
say "ok: the bytes of a request refused at random, sent 8 more times, got badNonce each time"
serve_stop
echo "PASS: serve_nonce_reject: a nonce refused at random is spent"
