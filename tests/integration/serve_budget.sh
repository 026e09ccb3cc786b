#!/usr/bin/env bash
# serve_budget.sh BUILD_DIR SOURCE_DIR - server mode's history is bounded
# by bytes (issue 15 item 2; afz_serve.h "Hardening"): with
# --max-history-mb 2, a client posting 256 KiB bodies in a loop (40 of
# them, 10 MiB) is answered every time, the history keeps what fits and
# counts the rest as "dropped" in /verdict's summary, the server's RSS
# grows by less than the bodies sent, and a correct client issues
# afterwards. Before the budget, every body was kept (20000 x 256 KiB
# could reach 5 GiB). Needs curl and python3. Loopback only. About 3 s.
set -u

BUILD_DIR=${1:?usage: serve_budget.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
# shellcheck source=serve_helpers.bash
. "$(dirname "$0")/serve_helpers.bash"
serve_test_init serve_budget

command -v curl >/dev/null || fail "curl is missing"
command -v python3 >/dev/null || fail "python3 is missing"
[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"

serve_start --listen 127.0.0.1:0 --management 127.0.0.1:0 --max-history-mb 2 --ca-bundle-out "$WORK/ca.pem"
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status"; }

head -c $((256 * 1024 - 64)) /dev/zero | tr '\0' 'A' >"$WORK/body"
rss0=$(rss_kb)
codes=""
for _ in $(seq 1 40); do
    codes+="$(curl -s --max-time 10 --cacert "$WORK/ca.pem" -o /dev/null -w '%{http_code} ' \
        -H 'Content-Type: application/jose+json' --data-binary @"$WORK/body" \
        "https://127.0.0.1:$PORT/new-order")"
done
rss1=$(rss_kb)
n400=$(tr ' ' '\n' <<<"$codes" | grep -c '^400$')
[ "$n400" = 40 ] || fail "not every 256 KiB garbage POST was answered 400: $codes"

"$ACMEFUZZ" client --directory "https://127.0.0.1:$PORT/directory" --ca-bundle "$WORK/ca.pem" \
    --domain budget.example --out "$WORK/out" >"$WORK/client.log" 2>&1 ||
    fail "a correct client failed after the flood: $(tail -n 3 "$WORK/client.log")"
curl -sf --max-time 10 --cacert "$WORK/ca.pem" "https://127.0.0.1:$MPORT/verdict" \
    >"$WORK/verdict.json" || fail "GET /verdict failed"
dropped=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["dropped"])' \
    "$WORK/verdict.json")
grown=$((rss1 - rss0))
say "40 x 256 KiB posted (10240 KiB): RSS ${rss0} -> ${rss1} KiB (+${grown}), dropped $dropped"
# 2 MiB hold about 7 of the bodies; the rest must be dropped, not kept
[ "$dropped" -ge 30 ] || fail "only $dropped exchange(s) dropped under a 2 MiB budget"
# Under ASan freed buffers sit in its quarantine, so RSS says nothing there.
if grep -q '^AFZ_SANITIZE:BOOL=ON' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
    say "sanitizer build: the RSS bound is not checked (ASan's quarantine holds freed bodies)"
else
    [ "$grown" -lt 8192 ] || fail "RSS grew by $grown KiB for 10240 KiB of bodies under a 2 MiB budget"
fi
serve_stop
echo "PASS: serve_budget: history within 2 MiB under a 10 MiB flood ($dropped dropped, RSS +${grown} KiB), issuance still works"
