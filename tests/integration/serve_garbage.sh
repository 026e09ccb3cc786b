#!/usr/bin/env bash
# serve_garbage.sh BUILD_DIR SOURCE_DIR - the server survives what a hostile
# or broken client sends, then still serves a correct client.
#
# Against `acmefuzz serve` on 127.0.0.1 (small caps: 32 connections, 3 s
# timeout) it sends, each bounded in count and time:
#   plain-text junk and random bytes to the TLS port; a malformed request
#   line, random bytes and a truncated request inside TLS; a 300 KiB body
#   (413 expected); 20 KiB of headers (refused); bad JWS bodies to every
#   POST resource (4xx expected); idle and half-open connections; 64
#   connections held open at once (over the cap);
# and then checks that the server is alive, answers /directory and that
# lego obtains a certificate. SIGTERM must stop it with status 0 (under ASan
# LeakSanitizer's verdict is part of that). Loopback only.
set -u

BUILD_DIR=${1:?usage: serve_garbage.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$BUILD_DIR/acmefuzz
WORK=""
PID=""
HOLD_PIDS=()

say() { printf 'serve_garbage.sh: %s\n' "$*"; }
fail() {
    say "$*"
    [ -n "$WORK" ] && [ -s "$WORK/serve.err" ] && tail -n 20 "$WORK/serve.err" | sed 's/^/    /'
    echo "FAIL: serve_garbage: $*"
    exit 1
}
# shellcheck disable=SC2317
cleanup() {
    for p in "${HOLD_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    [ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

command -v lego >/dev/null || fail "lego is missing (apt-get install lego; 'make test' does it)"
command -v curl >/dev/null || fail "curl is missing"
command -v openssl >/dev/null || fail "openssl is missing"
[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-garbage.XXXXXX") || fail "mktemp failed"

"$ACMEFUZZ" serve --listen 127.0.0.1:0 --ca-bundle-out "$WORK/ca.pem" \
    --max-connections 32 --timeout 3 >"$WORK/serve.out" 2>"$WORK/serve.err" &
PID=$!
PORT=""
for _ in $(seq 1 100); do
    kill -0 "$PID" 2>/dev/null || fail "acmefuzz serve exited at start"
    PORT=$(sed -n 's/^Listening on: 127\.0\.0\.1://p' "$WORK/serve.out")
    [ -n "$PORT" ] && break
    sleep 0.1
done
[ -n "$PORT" ] || fail "the server printed no port within 10 s"
BASE="https://127.0.0.1:$PORT"
alive() { kill -0 "$PID" 2>/dev/null || fail "the server died after: $1"; }
tls_send() { # tls_send FILE: send FILE's bytes inside TLS, print the answer
    timeout 5 openssl s_client -quiet -connect "127.0.0.1:$PORT" \
        -CAfile "$WORK/ca.pem" <"$1" 2>/dev/null
}
curl_code() { curl -s --max-time 10 --cacert "$WORK/ca.pem" -o /dev/null -w '%{http_code}' "$@"; }

# 1. junk where a TLS ClientHello belongs
for i in 1 2 3; do
    head -c $((i * 1000)) /dev/urandom >"$WORK/junk$i"
    timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT && cat '$WORK/junk$i' >&3 && cat <&3 >/dev/null" 2>/dev/null
    printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' |
        timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT && cat >&3 && cat <&3 >/dev/null" 2>/dev/null
done
alive "plain-text junk on the TLS port"

# 2. malformed HTTP inside TLS
printf 'THIS IS NOT HTTP\r\n\r\n' >"$WORK/m1"
printf 'GET /directory HTTP/9.9 extra\r\nHost\r\n\r\n' >"$WORK/m2"
printf 'POST /new-order HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort' >"$WORK/m3"
printf 'POST /new-order HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n' >"$WORK/m4"
printf 'POST /new-order HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n' >"$WORK/m5"
for f in m1 m2 m3 m4 m5 junk1 junk2; do
    tls_send "$WORK/$f" >"$WORK/$f.answer"
    alive "malformed request $f inside TLS"
done
head -c 20 "$WORK/m1.answer" | grep -q '^HTTP/1\.[01] 400' ||
    fail "a malformed request line got no 400: $(head -c 80 "$WORK/m1.answer")"

# 3. oversized body and headers
head -c $((300 * 1024)) /dev/zero | tr '\0' 'a' >"$WORK/big"
# With "Expect: 100-continue" (what clients send before a large body) the
# server refuses before the body is sent: always a 413. Without it, the
# server answers 413 and closes while curl may still be sending, so curl
# sees either the 413 or a reset (000): both refuse the body; the server
# must stay up either way.
code=$(curl_code -X POST -H 'Expect: 100-continue' -H 'Content-Type: application/jose+json' \
    --data-binary @"$WORK/big" "$BASE/new-order")
[ "$code" = 413 ] || fail "a 300 KiB body announced with Expect got $code, not 413"
code=$(curl_code -X POST -H 'Content-Type: application/jose+json' --data-binary @"$WORK/big" "$BASE/new-order")
case "$code" in 413|000) ;; *) fail "a 300 KiB body got $code, not 413 (or a reset)" ;; esac
code=$(curl_code -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' 'b')" "$BASE/directory")
case "$code" in 4*|000) ;; *) fail "20 KiB of headers got $code" ;; esac
alive "oversized body and headers"

# 4. bad JWS to every POST resource
for path in new-account new-order order/0 authz/0 chall/0 finalize/0 cert/0 revoke-cert key-change; do
    for body in '' '{}' '{"protected":"!!","payload":"","signature":""}' '[1,2' 'null'; do
        code=$(curl_code -X POST -H 'Content-Type: application/jose+json' --data-binary "$body" "$BASE/$path")
        case "$code" in 4*) ;; *) fail "POST /$path with body '$body' got $code, not 4xx" ;; esac
    done
done
alive "bad JWS"

# 5. slow and dropped connections, and more connections than the cap
for i in $(seq 1 64); do
    (exec 3<>/dev/tcp/127.0.0.1/"$PORT" && : >"$WORK/held.$i" && sleep 6) 2>/dev/null &
    HOLD_PIDS+=($!)
done
# wait (bounded) until each of the 64 has connected (its marker file) or
# given up (its process gone): the server holds at most 32 of them
for _ in $(seq 1 100); do
    settled=0
    for i in $(seq 1 64); do
        if [ -e "$WORK/held.$i" ] || ! kill -0 "${HOLD_PIDS[$((i - 1))]}" 2>/dev/null; then
            settled=$((settled + 1))
        fi
    done
    [ "$settled" -eq 64 ] && break
    sleep 0.05
done
[ "$settled" -eq 64 ] || fail "only $settled of 64 connection attempts settled within 5 s"
alive "64 idle connections"
# a half-sent request inside TLS, left hanging until the server's timeout
(printf 'POST /new-order HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"a":'; sleep 6) |
    timeout 8 openssl s_client -quiet -connect "127.0.0.1:$PORT" -CAfile "$WORK/ca.pem" >/dev/null 2>&1 &
HOLD_PIDS+=($!)
for p in "${HOLD_PIDS[@]}"; do wait "$p" 2>/dev/null; done
HOLD_PIDS=()
alive "slow and held connections"

# 6. the server still serves a correct client
ok=0
for _ in $(seq 1 20); do
    code=$(curl_code "$BASE/directory")
    [ "$code" = 200 ] && { ok=1; break; }
    sleep 0.5
done
[ "$ok" = 1 ] || fail "GET /directory no longer answers 200 (last: $code)"
mkdir -p "$WORK/webroot"
env -u HTTPS_PROXY -u https_proxy LEGO_CA_CERTIFICATES="$WORK/ca.pem" \
    timeout 60 lego --server "$BASE/directory" --accept-tos --email t@example.com \
    --path "$WORK/lego" --domains after-garbage.example.com --http --http.webroot "$WORK/webroot" run \
    >"$WORK/lego.log" 2>&1 || { tail -n 20 "$WORK/lego.log"; fail "lego failed after the garbage"; }
[ -s "$WORK/lego/certificates/after-garbage.example.com.crt" ] || fail "lego saved no certificate"

kill -TERM "$PID"
wait "$PID"
rc=$?
PID=""
[ "$rc" = 0 ] || fail "acmefuzz serve exited with status $rc on SIGTERM"
echo "PASS: serve_garbage: junk, malformed HTTP, oversized bodies, bad JWS, held connections survived; lego served after"
