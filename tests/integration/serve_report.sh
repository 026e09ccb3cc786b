#!/usr/bin/env bash
# serve_report.sh BUILD_DIR SOURCE_DIR - GET /report of `acmefuzz serve`'s
# management API (afz_serve_mgmt.c): before any exchange it answers a page
# that says so; after a client's issuance it answers the HTML report of
# that session (text/html, the exchanges on the timeline, the verdict
# table, the decoded JWS), and after POST /reset (an empty current run)
# still the last session of the finished run. Loopback only; about 2 s.
set -u

BUILD_DIR=${1:?usage: serve_report.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
# shellcheck source=serve_helpers.bash
. "$(dirname "$0")/serve_helpers.bash"
serve_test_init serve_report

command -v curl >/dev/null || fail "curl is missing"
[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"

serve_start --listen 127.0.0.1:0 --management 127.0.0.1:0 --ca-bundle-out "$WORK/ca.pem"
C=(curl -s --max-time 60 --cacert "$WORK/ca.pem")
R="https://127.0.0.1:$MPORT/report"

"${C[@]}" -o "$WORK/empty.html" "$R" || fail "GET /report failed"
grep -q 'no exchange recorded yet' "$WORK/empty.html" || fail "empty run: no 'no exchange' page"

"$ACMEFUZZ" client --directory "https://127.0.0.1:$PORT/directory" --ca-bundle "$WORK/ca.pem" \
    --domain r.example --out "$WORK/out" >"$WORK/client.log" 2>&1 ||
    fail "issuance failed: $(tail -n 2 "$WORK/client.log")"

ctype=$("${C[@]}" -o "$WORK/r.html" -w '%{content_type}' "$R")
case "$ctype" in text/html*) ;; *) fail "content type '$ctype', not text/html" ;; esac
for want in '<!DOCTYPE html>' 'id="s0-tl"' 'id="s0-x0"' 'class="verdicts"' \
    'JWS protected header (decoded)' 'a certificate was downloaded' '/new-order'; do
    grep -qF "$want" "$WORK/r.html" || fail "the report lacks '$want'"
done
marks=$(grep -o 'class="mk st' "$WORK/r.html" | wc -l)
[ "$marks" -ge 8 ] || fail "only $marks timeline marks for a whole issuance"

"${C[@]}" -X POST -o /dev/null "https://127.0.0.1:$MPORT/reset" || fail "POST /reset failed"
"${C[@]}" -o "$WORK/after.html" "$R" || fail "GET /report after reset failed"
grep -q 'run 1, session' "$WORK/after.html" || fail "after a reset: not the finished run's session"
after=$(grep -o 'class="mk st' "$WORK/after.html" | wc -l)
[ "$after" = "$marks" ] || fail "after a reset: $after marks, not the $marks of the finished run"
serve_stop
echo "PASS: serve_report: /report of an empty run, of a session ($marks marks), and after a reset"
