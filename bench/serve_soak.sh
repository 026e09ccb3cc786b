#!/usr/bin/env bash
# serve_soak.sh BUILD_DIR OUT_DIR - issue 15 items 2 and 3: a long-lived
# `acmefuzz serve` under many correct issuances (`acmefuzz client`, SOAK_JOBS
# at a time, each with its own account), measured at exchange checkpoints:
#
#   exchanges   recorded in the current run (/verdict's summary)
#   sessions    client runs judged by GET /verdict
#   verdict s   wall time of GET /verdict (every session judged)
#   stall ms    time of a GET /directory sent 20 ms after that /verdict:
#               /verdict runs on the server's event loop, so this is how
#               long an ACME client waits behind it
#   history s   wall time of GET /history, and its size
#   RSS MiB     the server's resident set after the checkpoint
#
# Figures only; it never fails on time. Knobs: SOAK_CHECKPOINTS (default
# "2000 10000 20000"; BENCH_QUICK=1: "500 2000"), SOAK_JOBS (default 4).
# Writes OUT_DIR/serve_soak.json. Loopback only; the server and clients are
# stopped on every exit path.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_setup serve_soak "$@"
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  CHECKPOINTS=${SOAK_CHECKPOINTS:-"500 2000"}
else
  CHECKPOINTS=${SOAK_CHECKPOINTS:-"2000 10000 20000"}
fi
JOBS=${SOAK_JOBS:-4}
A=$BUILD_DIR/acmefuzz
PID=""
not_measured() {
  echo "5: serve soak: not measured: $1"
  printf '{"section": "serve_soak", "measured": false, "reason": %s}\n' "$(json_str "$1")" >"$JSON_OUT"
  exit 0
}
# shellcheck disable=SC2317
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  jobs -p | xargs -r kill 2>/dev/null
}
trap cleanup EXIT
[ -x "$A" ] || not_measured "$A is missing: build first"
command -v curl >/dev/null || not_measured "curl is missing"
command -v python3 >/dev/null || not_measured "python3 is missing"

"$A" serve --listen 127.0.0.1:0 --management 127.0.0.1:0 --ca-bundle-out "$WORK/ca.pem" \
  >"$WORK/serve.out" 2>"$WORK/serve.err" &
PID=$!
PORT="" MPORT=""
for _ in $(seq 1 100); do
  PORT=$(sed -n 's/^Listening on: 127\.0\.0\.1://p' "$WORK/serve.out")
  MPORT=$(sed -n 's|^Management API: https://127\.0\.0\.1:||p' "$WORK/serve.out")
  [ -n "$PORT" ] && [ -n "$MPORT" ] && break
  sleep 0.1
done
[ -n "$PORT" ] && [ -n "$MPORT" ] || not_measured "the server printed no ports"
DIR="https://127.0.0.1:$PORT/directory"
MGMT="https://127.0.0.1:$MPORT"

exchanges() {
  curl -s --max-time 600 --cacert "$WORK/ca.pem" "$MGMT/verdict?session=1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["exchanges"])' 2>/dev/null ||
    echo 0
}
# worker N: issuances until the STOP file appears
worker() {
  local i=0
  while [ ! -e "$WORK/STOP" ]; do
    i=$((i + 1))
    "$A" client --directory "$DIR" --ca-bundle "$WORK/ca.pem" --domain "w$1-$i.soak.example" \
      --out "$WORK/out-$1" >/dev/null 2>>"$WORK/client-errors.log" || echo x >>"$WORK/failures"
  done
}
rows=()
: >"$WORK/failures"
started=$(date +%s)
for cp in $CHECKPOINTS; do
  rm -f "$WORK/STOP"
  for j in $(seq 1 "$JOBS"); do worker "$j" & done
  while :; do
    sleep 2
    n=$(exchanges)
    [ "$n" -ge "$cp" ] && break
    [ $(($(date +%s) - started)) -lt 3600 ] || break
  done
  touch "$WORK/STOP"
  wait $(jobs -p | grep -v "^$PID\$") 2>/dev/null
  n=$(exchanges)
  # /verdict, with a directory fetch 20 ms into it
  curl -s --max-time 600 --cacert "$WORK/ca.pem" -o "$WORK/verdict.json" \
    -w '%{time_total}' "$MGMT/verdict" >"$WORK/vt" &
  vp=$!
  sleep 0.02
  stall=$(curl -s --max-time 600 --cacert "$WORK/ca.pem" -o /dev/null -w '%{time_total}' "$DIR")
  wait $vp
  vt=$(cat "$WORK/vt")
  sessions=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["sessions"])' \
    "$WORK/verdict.json" 2>/dev/null || echo "?")
  ht=$(curl -s --max-time 600 --cacert "$WORK/ca.pem" -o "$WORK/history.json" -w '%{time_total}' \
    "$MGMT/history")
  hsize=$(stat -c %s "$WORK/history.json")
  rss=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$PID/status")
  rows+=("$n $sessions $vt $stall $ht $hsize $rss")
done
failures=$(wc -l <"$WORK/failures" 2>/dev/null || echo 0)

echo "5: serve soak (acmefuzz serve, $JOBS clients at a time; failures: $failures)"
printf '   %9s %9s %10s %9s %10s %12s %8s\n' exchanges sessions "verdict s" "stall ms" "history s" "history B" "RSS MiB"
json="["
for r in "${rows[@]}"; do
  read -r n se vt st ht hs rss <<<"$r"
  printf '   %9s %9s %10.3f %9.0f %10.3f %12s %8s\n' "$n" "$se" "$vt" "$(python3 -c "print($st*1000)")" "$ht" "$hs" "$rss"
  json+="{\"exchanges\": $n, \"sessions\": \"$se\", \"verdict_s\": $vt, \"stall_s\": $st, \"history_s\": $ht, \"history_bytes\": $hs, \"rss_mib\": $rss},"
done
json="${json%,}]"
printf '{"section": "serve_soak", "measured": true, "jobs": %s, "client_failures": %s, "checkpoints": %s}\n' \
  "$JOBS" "$failures" "$json" >"$JSON_OUT"
