#!/usr/bin/env bash
# serve_vs_pebble.sh BUILD_DIR OUT_DIR - issue #8, section 3: server mode vs
# Pebble.
#
# What: issuances per second and issuance latency of Debian's lego against
# `BUILD_DIR/acmefuzz serve` and against Debian's Pebble, in the same run on
# the same machine, and the ratio acmefuzz/Pebble. Goal (issue #8):
# acmefuzz at least as fast as Pebble.
#
# How: one throw-away TLS CA and one P-256 server certificate for 127.0.0.1
# serve both (same TLS cost). Both servers get the same Pebble JSON config
# (acmefuzz serve reads Pebble's -config; only the ports differ) and the
# same environment: PEBBLE_VA_NOSLEEP=1 PEBBLE_VA_ALWAYS_VALID=1 (no
# challenge validation, no artificial sleep), PEBBLE_WFE_NONCEREJECT=0 (no
# badNonce rejections; acmefuzz's default is 0 too, Pebble's is 5%) and
# PEBBLE_AUTHZREUSE=0 (no authorization reuse; acmefuzz's default, Pebble's
# is 50%; with a fresh account per run it would not apply anyway). acmefuzz
# runs with no scenario and no --async: a plain, well-behaved server; it
# still records every exchange (its history grows over the run, as Pebble's
# database does). Both start once, are checked ready with a bounded GET of
# the directory, get one untimed warm-up issuance, then:
#   sequential  N lego `run`s per server, alternating servers run by run
#               (so background load hits both alike); latency = wall time
#               of the lego process in ms, lego's start-up (~20 ms) and its
#               account and certificate key generation included, the same
#               for both servers. issuances/s = successes / sum of those
#               wall times.
#   concurrent  K rounds of C simultaneous lego runs per server (servers
#               alternating round by round); issuances/s = successes / sum
#               of round wall times (a round ends with its slowest run).
# Every lego run uses a fresh --path (new account key, new account, new
# certificate key) and the webroot http-01 solver (nothing is served: both
# servers accept the challenge without fetching). A run counts only when
# lego exits 0 and left a PEM certificate; failures are counted and shown,
# never timed as successes. After the runs: each server's peak RSS
# (VmHWM from /proc/PID/status) and its CPU time (utime+stime).
#
# Caveats: the numbers measure each server as lego sees it, lego's own
# waits included, and Pebble works asynchronously where acmefuzz serve
# (without --async) answers at once:
#   - Pebble finalizes in the background; when finalize answers
#     "processing", lego looks at the order again after 500 ms. Pebble's
#     latency is therefore bimodal (~0.1 s when the certificate was ready at
#     once, ~0.6 s otherwise) and its median can land in either mode:
#     compare issuances/s (successes per summed wall time) and the mean.
#   - Pebble's VA validates in the background too; when lego's first look
#     at the authorization still finds it pending, lego waits 5 s (its
#     default when the answer has no Retry-After). Sequential runs almost
#     never hit this; concurrent ones sometimes do (~6 s runs, counted in
#     the output).
# The machine may be busy with other work: numbers are noisy; compare the
# two servers within one run only.
# If BUILD_DIR/acmefuzz was built with -DAFZ_FUZZ=ON it carries libFuzzer's
# coverage instrumentation and can be slower than a plain build (bench/
# run.sh passes a plain one in BENCH_ACMEFUZZ): the output says which. BENCH_ACMEFUZZ=PATH picks another acmefuzz binary.
#
# Knobs (env): BENCH_QUICK=1 (N=5, K=2), SVP_SEQ (N, default 20),
# SVP_CONC (C, default 4), SVP_ROUNDS (K, default 5), PEBBLE (/usr/bin/pebble),
# BENCH_ACMEFUZZ, SVP_KEEP=1 (keep the work directory: logs of every run).
# Needs lego, pebble, openssl, curl (`scripts/install-deps.sh
# test` installs them). A missing piece gives a "not measured: reason" row;
# the exit status is 0 whatever the numbers (2 only for a usage error).
# Loopback only; servers and lego runs are stopped by PID on every exit path.
# shellcheck disable=SC2059 # tables: one printf format for header and rows
set -u

usage() { echo "usage: serve_vs_pebble.sh BUILD_DIR OUT_DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
BUILD_DIR=$1
OUT_DIR=$2

if [ "${BENCH_QUICK:-0}" != 0 ]; then
    d_seq=5 d_rounds=2
else
    d_seq=20 d_rounds=5
fi
SEQ=${SVP_SEQ:-$d_seq}
CONC=${SVP_CONC:-4}
ROUNDS=${SVP_ROUNDS:-$d_rounds}
for v in SEQ CONC ROUNDS; do
    [[ ${!v} =~ ^[0-9]+$ && ${!v} -gt 0 ]] || { echo "serve_vs_pebble.sh: SVP_$v must be a positive integer" >&2; exit 2; }
done
PEBBLE=${PEBBLE:-/usr/bin/pebble}
ACMEFUZZ=${BENCH_ACMEFUZZ:-$BUILD_DIR/acmefuzz}
DOMAIN=bench.example.com
LEGO_TIMEOUT=60

say() { printf 'serve_vs_pebble.sh: %s\n' "$*" >&2; }
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"   # json_str

mkdir -p "$OUT_DIR" || { echo "serve_vs_pebble.sh: cannot create $OUT_DIR" >&2; exit 2; }
JSON_OUT=$OUT_DIR/serve_vs_pebble.json

# ---- what can run -----------------------------------------------------------
SERVERS=(acmefuzz pebble)
declare -A WHYNOT # server -> reason it is not measured
common=""
command -v lego >/dev/null || common="lego is missing (apt-get install lego; scripts/install-deps.sh test installs it)"
[ -z "$common" ] && ! command -v openssl >/dev/null && common="the openssl command is missing"
[ -z "$common" ] && ! command -v curl >/dev/null && common="the curl command is missing"
[ -z "$common" ] && ! command -v timeout >/dev/null && common="the timeout command (coreutils) is missing"
if [ -n "$common" ]; then
    WHYNOT[acmefuzz]=$common WHYNOT[pebble]=$common
else
    if [ ! -x "$ACMEFUZZ" ]; then
        WHYNOT[acmefuzz]="$ACMEFUZZ is missing (build the CLI; BENCH_ACMEFUZZ=PATH picks another binary)"
    fi
    [ -x "$PEBBLE" ] || WHYNOT[pebble]="$PEBBLE is missing (apt-get install pebble; scripts/install-deps.sh test installs it)"
fi
INSTRUMENTED=unknown
if [ -z "${WHYNOT[acmefuzz]:-}" ]; then
    if grep -aq '__sanitizer_cov_\|__asan_init' "$ACMEFUZZ"; then INSTRUMENTED=yes; else INSTRUMENTED=no; fi
fi

# ---- temp space and cleanup -----------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-svp.XXXXXX") || { echo "serve_vs_pebble.sh: mktemp failed" >&2; exit 0; }
declare -A SPID # server -> pid
BGPIDS=()
# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
    local p f
    for f in "$WORK"/*/run-*/pid; do
        [ -f "$f" ] || continue
        p=$(cat "$f" 2>/dev/null)
        [ -n "$p" ] && kill -TERM "$p" 2>/dev/null # a `timeout`: passes TERM on to lego
    done
    for p in "${BGPIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${SPID[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    wait 2>/dev/null
    if [ "${SVP_KEEP:-0}" != 0 ]; then
        say "kept $WORK (SVP_KEEP)"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
trap '' PIPE # a reader that stops early (| head) must not cost the JSON file

# ---- free loopback ports: anything not listening on TCP now --------------
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
    [ ${#PORTS[@]} -eq 6 ] && break
    p=$((20000 + RANDOM % 40000))
    case "$USED ${PORTS[*]:-} " in *" $p "*) continue ;; esac
    PORTS+=("$p")
done

# ---- shared TLS: a throw-away CA and one P-256 certificate for 127.0.0.1 --
make_tls() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$WORK/tls-ca.key" -out "$WORK/tls-ca.pem" -days 2 \
        -subj "/CN=acmefuzz bench throw-away TLS CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" &&
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout "$WORK/tls-server.key" -out "$WORK/tls-server.csr" -subj "/CN=localhost" &&
        printf '%s\n' basicConstraints=CA:FALSE keyUsage=critical,digitalSignature \
            extendedKeyUsage=serverAuth subjectAltName=DNS:localhost,IP:127.0.0.1 >"$WORK/tls-server.ext" &&
        openssl x509 -req -in "$WORK/tls-server.csr" -CA "$WORK/tls-ca.pem" \
            -CAkey "$WORK/tls-ca.key" -CAcreateserial -days 2 \
            -extfile "$WORK/tls-server.ext" -out "$WORK/tls-server.pem"
}
if [ -z "$common" ]; then
    if [ ${#PORTS[@]} -ne 6 ]; then
        common="could not find six free TCP ports"
    elif ! make_tls >"$WORK/openssl.log" 2>&1; then
        common="cannot make the throw-away TLS certificate: $(tail -n 3 "$WORK/openssl.log" | tr '\n' ' ')"
    fi
    if [ -n "$common" ]; then WHYNOT[acmefuzz]=$common WHYNOT[pebble]=$common; fi
fi

# ---- start the servers ---------------------------------------------------
declare -A DIRURL
start_server() { # NAME ACME_PORT MGMT_PORT
    local s=$1 ap=$2 mp=$3 d=$WORK/$1
    mkdir -p "$d"
    cat >"$d/config.json" <<EOF
{
  "pebble": {
    "listenAddress": "127.0.0.1:$ap",
    "managementListenAddress": "127.0.0.1:$mp",
    "certificate": "$WORK/tls-server.pem",
    "privateKey": "$WORK/tls-server.key",
    "httpPort": ${PORTS[4]},
    "tlsPort": ${PORTS[5]},
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false
  }
}
EOF
    local cmd
    if [ "$s" = pebble ]; then
        cmd=("$PEBBLE" -config "$d/config.json" -dnsserver 127.0.0.1:53)
    else
        cmd=("$ACMEFUZZ" serve -config "$d/config.json")
    fi
    env -u PEBBLE_VA_SLEEPTIME -u PEBBLE_CHAIN_LENGTH \
        PEBBLE_VA_NOSLEEP=1 PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
        "${cmd[@]}" >"$d/server.log" 2>&1 </dev/null &
    SPID[$s]=$!
    DIRURL[$s]="https://127.0.0.1:$ap/dir"
    local i
    for i in $(seq 1 100); do
        if ! kill -0 "${SPID[$s]}" 2>/dev/null; then
            unset "SPID[$s]"
            WHYNOT[$s]="the server exited at start: $(tail -n 3 "$d/server.log" | tr '\n' ' ')"
            return 1
        fi
        curl -sf --max-time 2 --cacert "$WORK/tls-ca.pem" -o /dev/null "${DIRURL[$s]}" && return 0
        sleep 0.1
    done
    WHYNOT[$s]="the server did not answer ${DIRURL[$s]} within 10 s"
    return 1
}
[ -z "${WHYNOT[acmefuzz]:-}" ] && start_server acmefuzz "${PORTS[0]}" "${PORTS[1]}"
[ -z "${WHYNOT[pebble]:-}" ] && start_server pebble "${PORTS[2]}" "${PORTS[3]}"

LIVE=()
for s in "${SERVERS[@]}"; do
    [ -z "${WHYNOT[$s]:-}" ] && LIVE+=("$s")
done

# ---- one lego issuance ------------------------------------------------------
# lego_run SERVER ID -> $WORK/SERVER/run-ID/result: "ok|fail MS RC"
lego_run() {
    local s=$1 d=$WORK/$1/run-$2 t0 t1 rc st
    mkdir -p "$d/webroot"
    t0=$(date +%s%N)
    env -u HTTPS_PROXY -u https_proxy -u HTTP_PROXY -u http_proxy -u ALL_PROXY -u all_proxy \
        -u NO_PROXY -u no_proxy -u SSL_CERT_FILE -u SSL_CERT_DIR HOME="$d" \
        LEGO_CA_CERTIFICATES="$WORK/tls-ca.pem" \
        timeout -k 5 "$LEGO_TIMEOUT" lego --server "${DIRURL[$s]}" --accept-tos \
        --email bench@example.com --path "$d/lego" --domains "$DOMAIN" \
        --http --http.webroot "$d/webroot" run >"$d/lego.log" 2>&1 </dev/null &
    echo $! >"$d/pid"
    wait $!
    rc=$?
    t1=$(date +%s%N)
    rm -f "$d/pid"
    st=fail
    if [ "$rc" -eq 0 ] && grep -q -- '-----BEGIN CERTIFICATE-----' "$d/lego/certificates/$DOMAIN.crt" 2>/dev/null; then
        st=ok
    fi
    echo "$st $(((t1 - t0) / 1000000)) $rc" >"$d/result"
    [ "$st" = ok ] && rm -rf "$d/lego" "$d/webroot" # keep failures' files for the report
    return 0
}

# ---- the runs --------------------------------------------------------------
T0=$(date +%s)
if [ ${#LIVE[@]} -gt 0 ]; then
    say "servers: ${LIVE[*]}; acmefuzz binary $ACMEFUZZ (coverage-instrumented: $INSTRUMENTED)"
    say "warm-up: one untimed issuance per server"
    for s in "${LIVE[@]}"; do lego_run "$s" warmup; done
    say "sequential: $SEQ issuances per server, alternating"
    for i in $(seq 1 "$SEQ"); do
        if [ $((i % 2)) -eq 1 ]; then order=("${LIVE[@]}"); else order=(); for ((j = ${#LIVE[@]} - 1; j >= 0; j--)); do order+=("${LIVE[$j]}"); done; fi
        for s in "${order[@]}"; do lego_run "$s" "seq-$i"; done
    done
    say "concurrent: $ROUNDS rounds of $CONC simultaneous issuances per server"
    for r in $(seq 1 "$ROUNDS"); do
        if [ $((r % 2)) -eq 1 ]; then order=("${LIVE[@]}"); else order=(); for ((j = ${#LIVE[@]} - 1; j >= 0; j--)); do order+=("${LIVE[$j]}"); done; fi
        for s in "${order[@]}"; do
            t0=$(date +%s%N)
            BGPIDS=()
            for k in $(seq 1 "$CONC"); do
                lego_run "$s" "conc-$r-$k" &
                BGPIDS+=($!)
            done
            wait "${BGPIDS[@]}"
            BGPIDS=()
            echo $((($(date +%s%N) - t0) / 1000000)) >>"$WORK/$s/rounds"
        done
    done
fi
T_TOTAL=$(($(date +%s) - T0))

# ---- per-server figures -----------------------------------------------------
# pct P < sorted numbers: nearest-rank percentile
pct() { awk -v p="$1" '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } i = int((p / 100) * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; print v[i] }'; }
declare -A F # server.key -> value
for s in "${LIVE[@]}"; do
    d=$WORK/$s
    ok=0 fail=0 sum=0
    : >"$d/seq-ok-ms"
    for i in $(seq 1 "$SEQ"); do
        read -r st ms _ <"$d/run-seq-$i/result" || { st=fail ms=0; }
        sum=$((sum + ms))
        if [ "$st" = ok ]; then ok=$((ok + 1)); echo "$ms" >>"$d/seq-ok-ms"; else fail=$((fail + 1)); fi
    done
    F[$s.seq_ok]=$ok F[$s.seq_fail]=$fail
    F[$s.seq_median]=$(sort -n "$d/seq-ok-ms" | pct 50)
    F[$s.seq_p90]=$(sort -n "$d/seq-ok-ms" | pct 90)
    F[$s.seq_min]=$(sort -n "$d/seq-ok-ms" | pct 0)
    F[$s.seq_max]=$(sort -n "$d/seq-ok-ms" | pct 100)
    F[$s.seq_mean]=$(awk '{ s += $1 } END { if (NR) printf "%.0f", s / NR; else print "-" }' "$d/seq-ok-ms")
    F[$s.seq_rate]=$(awk -v n="$ok" -v ms="$sum" 'BEGIN { if (ms > 0) printf "%.2f", n * 1000 / ms; else print "-" }')
    cok=0
    : >"$d/conc-ok-ms"
    for f in "$d"/run-conc-*/result; do
        [ -f "$f" ] || continue
        read -r st ms _ <"$f"
        [ "$st" = ok ] && { cok=$((cok + 1)); echo "$ms" >>"$d/conc-ok-ms"; }
    done
    # runs whose result file is missing (killed) are failures too
    cfail=$((ROUNDS * CONC - cok))
    rsum=$(awk '{ s += $1 } END { print s + 0 }' "$d/rounds" 2>/dev/null || echo 0)
    F[$s.conc_ok]=$cok F[$s.conc_fail]=$cfail
    F[$s.conc_median]=$(sort -n "$d/conc-ok-ms" | pct 50)
    F[$s.conc_max]=$(sort -n "$d/conc-ok-ms" | pct 100)
    F[$s.round_ms]=$(paste -sd, "$d/rounds" 2>/dev/null)
    F[$s.conc_rate]=$(awk -v n="$cok" -v ms="$rsum" 'BEGIN { if (ms > 0) printf "%.2f", n * 1000 / ms; else print "-" }')
    w=$(cat "$d/run-warmup/result" 2>/dev/null)
    F[$s.warmup]=${w:-fail}
    pid=${SPID[$s]:-}
    hwm=- rss=- cpu=-
    if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
        hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
        rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
        # utime + stime: fields 14 and 15 after the ")" that ends the command name
        cpu=$(sed 's/.*) //' "/proc/$pid/stat" | awk -v hz="$(getconf CLK_TCK 2>/dev/null || echo 100)" '{ printf "%.2f", ($12 + $13) / hz }')
    else
        F[$s.died]=1
    fi
    F[$s.hwm_kb]=${hwm:--} F[$s.rss_kb]=${rss:--} F[$s.cpu_s]=${cpu:--}
    # one failed run's log tail, for the report
    for f in "$d"/run-*/result; do
        read -r st _ rc <"$f"
        if [ "$st" = fail ]; then
            F[$s.fail_example]="$(basename "$(dirname "$f")") exit $rc: $(grep -v '^ *$' "$(dirname "$f")/lego.log" | tail -n 2 | tr '\n' ' ' | cut -c1-300)"
            break
        fi
    done
done

pkg_version() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo "?"; }
LEGO_VERSION=$(pkg_version lego)
PEBBLE_VERSION=$(pkg_version pebble)

# ---- table --------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "-" }'; }
printf '\n== server mode vs Pebble %s: lego %s, %d sequential + %dx%d concurrent issuances per server (noisy: shared machine)\n' \
    "$PEBBLE_VERSION" "$LEGO_VERSION" "$SEQ" "$ROUNDS" "$CONC"
hdr='%-10s %9s %7s %7s %8s %10s %10s %9s %9s %6s %s\n'
printf "$hdr" server "median ms" "p90 ms" "mean ms" "ok/runs" "seq iss/s" "conc iss/s" "conc med" "peak RSS" "CPU s" ""
for s in "${SERVERS[@]}"; do
    if [ -n "${WHYNOT[$s]:-}" ]; then
        printf '%-10s not measured: %s\n' "$s" "${WHYNOT[$s]}"
        continue
    fi
    hwm=${F[$s.hwm_kb]}
    [ "$hwm" != - ] && hwm="$((hwm / 1024)) MiB"
    printf "$hdr" "$s" "${F[$s.seq_median]}" "${F[$s.seq_p90]}" "${F[$s.seq_mean]}" \
        "$((F[$s.seq_ok] + F[$s.conc_ok]))/$((SEQ + ROUNDS * CONC))" "${F[$s.seq_rate]}" \
        "${F[$s.conc_rate]}" "${F[$s.conc_median]}" "$hwm" "${F[$s.cpu_s]}" ""
    [ -n "${F[$s.fail_example]:-}" ] && printf '%-10s   a failed run: %s\n' "" "${F[$s.fail_example]}"
    case ${F[$s.warmup]} in ok*) ;; *) printf '%-10s   warm-up issuance failed\n' "" ;; esac
    slow=$(cat "$WORK/$s/seq-ok-ms" "$WORK/$s/conc-ok-ms" | awk '$1 > 3000' | wc -l)
    [ "$slow" -gt 0 ] && printf '%-10s   %d run(s) took over 3 s\n' "" "$slow"
    [ -n "${F[$s.died]:-}" ] && printf '%-10s   the server was gone after the runs (exited or crashed): no RSS/CPU figures\n' ""
done
r_lat=- r_seq=- r_conc=- goal=unknown
if [ -z "${WHYNOT[acmefuzz]:-}" ] && [ -z "${WHYNOT[pebble]:-}" ]; then
    r_lat=$(ratio "${F[acmefuzz.seq_median]}" "${F[pebble.seq_median]}")
    r_seq=$(ratio "${F[acmefuzz.seq_rate]}" "${F[pebble.seq_rate]}")
    r_conc=$(ratio "${F[acmefuzz.conc_rate]}" "${F[pebble.conc_rate]}")
    printf "$hdr" "ratio a/p" "$r_lat" "" "" "" "$r_seq" "$r_conc" "" "" "" ""
    echo "           (acmefuzz / Pebble: iss/s above 1 and ms below 1 mean acmefuzz is faster)"
    if [ "$r_seq" != - ] && [ "$r_conc" != - ]; then
        if awk -v a="$r_seq" -v b="$r_conc" 'BEGIN { exit !(a >= 1 && b >= 1) }'; then goal=1; else goal=0; fi
    fi
else
    printf '%-10s not measured: needs both servers\n' "ratio a/p"
fi
echo
echo "latency = wall time of one lego process (start-up and key generation included, the same for both servers);"
echo "  Pebble finalizes asynchronously and lego re-polls the order after 500 ms, so Pebble's latencies are"
echo "  bimodal (~0.1 s / ~0.6 s) and its median can land in either mode: compare issuances/s (1000 / mean)."
echo "acmefuzz binary: $ACMEFUZZ (libFuzzer coverage-instrumented: $INSTRUMENTED)"
[ "$INSTRUMENTED" = yes ] && echo "note: an instrumented acmefuzz can be slower than a plain build (-DAFZ_FUZZ=OFF); BENCH_ACMEFUZZ=PATH picks another"
case $goal in
1) echo "goal: acmefuzz at least as fast as Pebble (issuances/s, sequential $r_seq x and concurrent $r_conc x): met" ;;
0) echo "goal: acmefuzz at least as fast as Pebble (issuances/s, sequential $r_seq x and concurrent $r_conc x): NOT met" ;;
*) echo "goal: acmefuzz at least as fast as Pebble: not measured" ;;
esac
echo "section took ${T_TOTAL}s wall"

# ---- JSON ---------------------------------------------------------------------
num() { case $1 in '' | - | *[!0-9.]*) echo null ;; *) echo "$1" ;; esac; }
{
    printf '{\n  "benchmark": "serve_vs_pebble",\n'
    printf '  "pebble_version": %s,\n' "$(json_str "$PEBBLE_VERSION")"
    printf '  "lego": %s, "domain": %s, "sequential_runs": %d, "concurrency": %d, "rounds": %d, "quick": %s,\n' \
        "$(json_str "$LEGO_VERSION")" "$(json_str "$DOMAIN")" "$SEQ" "$CONC" "$ROUNDS" \
        "$([ "${BENCH_QUICK:-0}" != 0 ] && echo true || echo false)"
    printf '  "latency": "wall ms of one lego run process, start-up and key generation included",\n'
    printf '  "server_env": "PEBBLE_VA_NOSLEEP=1 PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0",\n'
    printf '  "acmefuzz_binary": %s, "acmefuzz_instrumented": %s,\n' "$(json_str "$ACMEFUZZ")" "$(json_str "$INSTRUMENTED")"
    printf '  "wall_s": %d,\n  "servers": {\n' "$T_TOTAL"
    n=0
    for s in "${SERVERS[@]}"; do
        n=$((n + 1))
        sep=,
        [ "$n" -eq ${#SERVERS[@]} ] && sep=
        if [ -n "${WHYNOT[$s]:-}" ]; then
            printf '    "%s": {"measured": false, "reason": %s}%s\n' "$s" "$(json_str "${WHYNOT[$s]}")" "$sep"
            continue
        fi
        printf '    "%s": {"measured": true, "seq_ok": %d, "seq_failed": %d, "seq_median_ms": %s, "seq_p90_ms": %s, "seq_mean_ms": %s, "seq_min_ms": %s, "seq_max_ms": %s, "seq_issuances_per_s": %s, "conc_ok": %d, "conc_failed": %d, "conc_median_ms": %s, "conc_max_ms": %s, "round_wall_ms": [%s], "conc_issuances_per_s": %s, "peak_rss_kb": %s, "rss_kb": %s, "cpu_s": %s, "failed_run_example": %s}%s\n' \
            "$s" "${F[$s.seq_ok]}" "${F[$s.seq_fail]}" "$(num "${F[$s.seq_median]}")" "$(num "${F[$s.seq_p90]}")" "$(num "${F[$s.seq_mean]}")" \
            "$(num "${F[$s.seq_min]}")" "$(num "${F[$s.seq_max]}")" "$(num "${F[$s.seq_rate]}")" \
            "${F[$s.conc_ok]}" "${F[$s.conc_fail]}" "$(num "${F[$s.conc_median]}")" "$(num "${F[$s.conc_max]}")" "${F[$s.round_ms]}" "$(num "${F[$s.conc_rate]}")" \
            "$(num "${F[$s.hwm_kb]}")" "$(num "${F[$s.rss_kb]}")" "$(num "${F[$s.cpu_s]}")" \
            "$(json_str "${F[$s.fail_example]:-}")" "$sep"
    done
    printf '  },\n'
    printf '  "ratio_acmefuzz_over_pebble": {"seq_median_latency": %s, "seq_issuances_per_s": %s, "conc_issuances_per_s": %s},\n' \
        "$(num "$r_lat")" "$(num "$r_seq")" "$(num "$r_conc")"
    printf '  "goal_at_least_as_fast": %s\n}\n' "$(case $goal in 1) echo true ;; 0) echo false ;; *) echo null ;; esac)"
} >"$JSON_OUT"
say "wrote $JSON_OUT"
exit 0
