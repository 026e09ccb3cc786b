#!/usr/bin/env bash
# serve_history.sh BUILD_DIR SOURCE_DIR - GET /history and GET /verdict of
# `acmefuzz serve` are computed in a child process and /history is
# streamed (issue 15 items 2 and 3; afz_serve_mgmt.c):
#   1. /history comes chunked (Transfer-Encoding: chunked, no
#      Content-Length), parses, and holds every exchange /verdict counts;
#   2. a slow reader (curl --limit-rate) gets the same bytes as a fast one,
#      and the ACME listener answers a directory request while that
#      download is in progress;
#   3. /verdict still answers per session, and ?session=N of an unknown
#      session is 404.
# Needs curl and python3. Loopback only. About 5 s.
set -u

BUILD_DIR=${1:?usage: serve_history.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
# shellcheck source=serve_helpers.bash
. "$(dirname "$0")/serve_helpers.bash"
serve_test_init serve_history

command -v curl >/dev/null || fail "curl is missing"
command -v python3 >/dev/null || fail "python3 is missing"
[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"

serve_start --listen 127.0.0.1:0 --management 127.0.0.1:0 --ca-bundle-out "$WORK/ca.pem"
C=(curl -s --max-time 60 --cacert "$WORK/ca.pem")

for i in 1 2 3; do
    "$ACMEFUZZ" client --directory "https://127.0.0.1:$PORT/directory" --ca-bundle "$WORK/ca.pem" \
        --domain "h$i.example" --out "$WORK/out$i" >"$WORK/client$i.log" 2>&1 ||
        fail "issuance $i failed: $(tail -n 2 "$WORK/client$i.log")"
done
# bulk: 24 refused 192 KiB bodies make the document ~6 MiB
head -c $((192 * 1024)) /dev/zero | tr '\0' 'B' >"$WORK/body"
for _ in $(seq 1 24); do
    "${C[@]}" -o /dev/null -H 'Content-Type: application/jose+json' --data-binary @"$WORK/body" \
        "https://127.0.0.1:$PORT/new-order"
done

# 1. chunked, complete
"${C[@]}" -D "$WORK/h.headers" -o "$WORK/fast.json" "https://127.0.0.1:$MPORT/history" ||
    fail "GET /history failed"
grep -qi '^transfer-encoding: chunked' "$WORK/h.headers" || fail "/history is not chunked: $(cat "$WORK/h.headers")"
grep -qi '^content-length' "$WORK/h.headers" && fail "/history has a Content-Length"
"${C[@]}" -o "$WORK/verdict.json" "https://127.0.0.1:$MPORT/verdict" || fail "GET /verdict failed"
python3 - "$WORK/fast.json" "$WORK/verdict.json" <<'PY' || fail "/history and /verdict disagree"
import json, sys
h = json.load(open(sys.argv[1]))
v = json.load(open(sys.argv[2]))
n = v["summary"]["exchanges"]
assert len(h["exchanges"]) == n, (len(h["exchanges"]), n)
assert n >= 3 * 9 + 24, n
assert v["summary"]["sessions"] >= 3, v["summary"]
PY
size=$(stat -c %s "$WORK/fast.json")
say "ok: /history chunked, $size bytes, as many exchanges as /verdict counts"

# 2. a slow reader gets the same bytes; the ACME side answers meanwhile
"${C[@]}" --limit-rate 1M -o "$WORK/slow.json" "https://127.0.0.1:$MPORT/history" &
slow=$!
sleep 0.5
kill -0 "$slow" 2>/dev/null || fail "the slow download ended within 0.5 s: nothing was slow"
code=$("${C[@]}" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT/directory")
[ "$code" = 200 ] || fail "GET /directory during a slow /history answered '$code'"
wait "$slow" || fail "the slow /history download failed"
cmp -s "$WORK/fast.json" "$WORK/slow.json" || fail "a slow reader got other bytes than a fast one"
say "ok: a slow reader (1 MiB/s) gets the same $size bytes; /directory answered during it"

# 3. per-session verdicts
code=$("${C[@]}" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$MPORT/verdict?session=999")
[ "$code" = 404 ] || fail "?session=999 answered $code, not 404"
serve_stop
echo "PASS: serve_history: /history streamed from a child ($size bytes), /verdict per session"
