#!/usr/bin/env bash
# make-corpus.sh ACMEFUZZ - regenerate the committed seed corpora under
# corpus/fuzz/<target>/ from the text scenarios:
#   client targets (fuzz_reference, fuzz_zoo_*): the binary form of every
#     corpus/regressions/*.scn, plus each zoo client's own corpus/zoo scenario;
#   fuzz_plan: the same binaries; fuzz_scenario: the .scn texts themselves.
# Files are named after the scenario, so a regenerated corpus diffs cleanly.
#   fuzz_server, fuzz_jws, fuzz_csr: see the end of this script.
# Also writes corpus/acme.dict (`acmefuzz list dict`, from the catalog).
# Needs python3.
set -euo pipefail
acmefuzz=${1:?usage: make-corpus.sh PATH-TO-acmefuzz}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/corpus/fuzz
# Everything is regenerated except the seeds named fuzz-*.bin in
# fuzz_independent: findings of its fuzz runs, kept by hand.
find "$out" -mindepth 1 -maxdepth 1 ! -name fuzz_independent -exec rm -rf {} +
mkdir -p "$out/fuzz_independent"
find "$out/fuzz_independent" -type f ! -name 'fuzz-*.bin' -delete

encode() { "$acmefuzz" encode "$1" > "$2"; }

client_targets=(fuzz_reference fuzz_independent)
for src in "$root"/clients/zoo/afz_zoo_*.c; do
  short=$(basename "$src" .c); short=${short#afz_zoo_}
  client_targets+=("fuzz_zoo_$short")
done

for t in "${client_targets[@]}" fuzz_plan; do
  mkdir -p "$out/$t"
  for scn in "$root"/corpus/regressions/*.scn; do
    encode "$scn" "$out/$t/$(basename "$scn" .scn).bin"
  done
done
for t in "${client_targets[@]}"; do
  [[ $t == fuzz_zoo_* ]] || continue
  short=${t#fuzz_zoo_}
  scn=$root/corpus/zoo/zoo-${short//_/-}.scn
  if [[ -f $scn ]]; then
    encode "$scn" "$out/$t/$(basename "$scn" .scn).bin"
  fi
done
mkdir -p "$out/fuzz_scenario"
cp "$root"/corpus/regressions/*.scn "$root"/corpus/zoo/*.scn "$out/fuzz_scenario/"
"$acmefuzz" list dict > "$root/corpus/acme.dict"

# Hardening targets of the server's input surfaces:
#   fuzz_server: request sequences in the binary form of
#     harness/run/afz_fuzz_request.h, written by the encoder below (a happy
#     path, async issuance, every JWS breakage, odd payloads, methods and
#     paths, tiny bounds, expiry, deactivation, reuse);
#   fuzz_jws: the JWS bodies of reference-client runs (one per account key
#     algorithm), behind a 0x00 byte (parse mode), plus round-trip inputs;
#   fuzz_csr: the CSRs of those runs' finalize requests behind a 0x00 byte
#     (DER mode), plus build-mode inputs (byte 0 odd, names).
# Everything derives from acmefuzz's deterministic runs, so the files are
# the same on every regeneration.
command -v python3 > /dev/null || { echo "make-corpus: python3 is missing" >&2; exit 1; }
mkdir -p "$out/fuzz_server" "$out/fuzz_jws" "$out/fuzz_csr"
python3 - "$out/fuzz_server" <<'PY'
import os, sys
# The layout of harness/run/afz_fuzz_request.h: byte 0 the server
# configuration, 4-byte records (sel, flags, var, len) from the front, the
# byte runs from the back (the first record's run last).
T = dict(directory=0, nonce=1, new_account=2, new_order=3, revoke=4, key_change=5,
         account=6, account_orders=7, order=8, authz=9, challenge=10, finalize=11,
         cert=12, link=13, path=14, suffix=15)
M = dict(POST=0, GET=4, HEAD=5, PUT=6, RUN=7)
B = dict(jws=0, raw_jws=3, empty=4, broken=5, raw=6, none=7)
ASYNC, SLOW_AUTHZ, ORDER_REUSE, AUTHZ_REUSE, TINY, SHORT_LIVED, ALT_CHAINS, READY = (
    1 << i for i in range(8))

# Key slots: 0 ES256, 1 EdDSA, 2 the P-256 certificate key, 3 ES256,
# 4 ES384, 5 RS256, 6 EdDSA, 7 the certificate key.
def r(target, m='POST', key=0, jwk=0, body='jws', var=0, run=b'', brk=0, tick=0, badct=0):
    n = len(run)
    if body == 'broken':
        assert n < 16
        ln = brk | n << 4
    else:
        assert n < 128, 'runs of 128 bytes or more need a length 128 + 16k'
        ln = n
    flags = (key & 3) | jwk << 2 | B[body] << 3 | badct << 6 | (key >> 2) << 7
    return bytes([T[target] | M[m] << 4 | tick << 7, flags, var, ln]), run

def encode(config, recs):
    assert len(recs) <= 32
    return (bytes([config]) + b''.join(x[0] for x in recs) +
            b''.join(x[1] for x in reversed(recs)))

def j(s):
    return s.encode()

setup = [r('directory', 'GET', body='none'), r('nonce', 'HEAD', body='none'),
         r('new_account', jwk=1, var=1)]
issue = [r('new_order'), r('authz'), r('challenge'), r('authz'), r('order'), r('finalize'),
         r('cert')]
seeds = {
    'happy-path': (0, setup + issue + [
        r('link'), r('account_orders'), r('revoke'), r('key_change', var=1),
        r('account', key=1)]),
    'async-slow-authz': (ASYNC | SLOW_AUTHZ, setup + [
        r('new_order'), r('authz'), r('challenge'), r('authz', tick=1), r('authz'),
        r('order'), r('finalize'), r('order', tick=1), r('order'), r('cert')]),
    'ready-eddsa-alternate-chains': (READY | ALT_CHAINS, setup[:2] + [
        r('new_account', key=1, jwk=1, var=1), r('new_order', key=1, var=1),
        r('finalize', key=1), r('cert', key=1), r('link', key=1),
        r('link', key=1, var=1 << 4), r('account_orders', key=1)]),
    'broken-jws': (0, setup + [r('new_order', body='broken', brk=b) for b in range(15)] + [
        r('new_order', body='broken', brk=15, run=j('short')),
        r('new_account', jwk=1, var=1, body='broken', brk=3),
        r('new_account', jwk=1, var=1, body='broken', brk=13, run=j('EC')),
        r('new_account', jwk=1, var=1, body='broken', brk=14), r('new_order')]),
    'odd-orders-and-csrs': (0, setup + [
        r('new_order', body='raw_jws', run=j('{"identifiers":[{"type":"dns","value":"EXAMPLE.com"},'
                                           '{"type":"ip","value":"192.0.2.1"}]}')),
        r('new_order', body='raw_jws', run=j('{"identifiers":[]}')),
        r('new_order', body='raw_jws', run=j('{"identifiers":"example.com"}')),
        r('new_order', var=4, run=j('blocked.test')),
        r('new_order', var=5, run=j('-bad..name.')),
        r('new_order', var=8),
        r('new_order'), r('authz'),
        r('challenge', var=2, run=j('token.thumbprint')),
        r('authz'),
        r('finalize', var=3, run=bytes.fromhex('3082010a02820101')),
        r('finalize', var=2),
        r('finalize', var=1),
        r('finalize', var=4 | 5 << 3),
        r('finalize', body='raw_jws', run=j('{"csr":"not base64url!"}')),
        r('finalize'), r('cert'),
        r('revoke', var=2, run=bytes.fromhex('300d06092a864886f70d0101010500')),
        r('revoke', var=1),
        r('revoke', var=8 << 2),
        r('revoke', key=1, jwk=1),
        r('revoke', var=2 << 2, key=2, jwk=1), r('revoke'),
        r('new_account', key=2, jwk=1, var=1), r('new_order', key=2), r('authz', key=2),
        r('challenge', key=2, var=3 | 2 << 4, run=j('dns-01')), r('authz', key=2),
        r('finalize', key=2),
    ]),
    'odd-accounts-and-key-changes': (0, setup + [
        r('key_change', var=1 | 4, run=j('https://acme.invalid/account/x')),
        r('key_change', var=1 | 8),
        r('key_change', var=1 | 1 << 4),
        r('key_change', var=1 | 2 << 4),
        r('key_change', var=1 | 3 << 4),
        r('key_change', var=0),
        r('key_change', body='raw_jws', run=j('{"protected":"e30","payload":"","signature":""}')),
        r('account', var=1, run=j('admin@example.com')),
        r('account', var=1, run=j('admin@example.com?subject=x')),
        r('account', var=3, run=j('valid')),
        r('new_account', jwk=1, var=3, run=j('a b@example.com')),
        r('new_account', key=1, jwk=1, var=4),
        r('new_account', key=1, jwk=1, var=8),
        r('new_account', key=5, jwk=1, var=1),
        r('new_account', key=4, jwk=1, var=1),
        r('key_change', key=5, var=1), r('account', key=1), r('account', key=5),
        r('new_order', key=4), r('account_orders', key=4),
    ]),
    'methods-and-paths': (0, setup + [
        r('new_account', 'GET', body='none'), r('directory', 'HEAD', body='none'),
        r('order', 'PUT', body='none'), r('directory', 'RUN', body='none', run=j('DELETE')),
        r('nonce', 'RUN', body='none', run=j('OPTIONS-WITH-A-LONG-NAME')),
        r('directory', body='raw', run=j('{}')),
        r('new_order', badct=1),
        r('new_order', body='none'),
        r('new_order', body='raw', run=j('{"protected":')),
        r('path', run=j('../../directory')),
        r('path', var=1, run=j('http://other.invalid/directory')),
        r('path', run=j('chall/x-9')),
        r('path', run=j('alt-cert/-1')),
        r('suffix', run=j('/orders')),
        r('suffix', run=j('-1')),
        r('suffix', run=j('/up')),
        r('nonce', 'GET', body='none'),
        r('new_order', body='empty'),
        r('account', body='raw_jws', run=j('{"contact":[]}')),
    ]),
    'tiny-bounds': (TINY, setup[:2] + [r('new_account', key=k, jwk=1, var=1) for k in (0, 1, 2, 4)] +
                    [r('new_order', var=v) for v in range(4)] +
                    [r('nonce', 'HEAD', body='none') for _ in range(6)] +
                    [r('new_order', body='broken', brk=1), r('new_order')]),
    'expiry': (SHORT_LIVED, setup + [
        r('new_order'), r('nonce', 'HEAD', body='none', tick=1, var=3 << 6), r('order'),
        r('authz'), r('challenge'), r('new_order', tick=1, var=1 << 6), r('new_order'),
        r('nonce', 'HEAD', body='none', tick=1, var=2 << 6), r('new_order', var=1)]),
    'deactivate': (0, setup + [
        r('new_order'), r('authz', var=1), r('order'), r('challenge'),
        r('account', var=2), r('new_order'), r('new_account', jwk=1, var=1)]),
    'reuse': (ORDER_REUSE | AUTHZ_REUSE, setup + issue + [
        r('new_order'), r('new_order'), r('order'), r('finalize'), r('cert'),
        r('new_order', var=1), r('authz', var=1 << 4)]),
}
for name, (config, recs) in seeds.items():
    with open(os.path.join(sys.argv[1], name + '.bin'), 'wb') as f:
        f.write(encode(config, recs))
PY

runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT
for alg in ES256 ES384 RS256 EdDSA; do
  domains=(--domain example.com)
  [[ $alg == ES384 ]] && domains+=(--domain www.example.com --domain '*.example.net')
  "$acmefuzz" run --json --account-key-alg "$alg" "${domains[@]}" > "$runs/$alg.json"
done
python3 - "$out" "$runs"/*.json <<'PY'
import base64, json, os, sys
out = sys.argv[1]
def b64url(s):
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))
for path in sys.argv[2:]:
    alg = os.path.basename(path)[:-5]
    seen = set()
    for ex in json.load(open(path))['history']['exchanges']:
        req = ex['request']
        body = req.get('body')
        if req['method'] != 'POST' or not body:
            continue
        kind = ex['resource']
        if kind in seen:
            continue
        seen.add(kind)
        with open(os.path.join(out, 'fuzz_jws', '%s-%s.bin' % (alg, kind)), 'wb') as f:
            f.write(b'\0' + body.encode())
        if kind == 'finalize':
            jws = json.loads(body)
            csr = json.loads(b64url(jws['payload']))['csr']
            with open(os.path.join(out, 'fuzz_csr', '%s-finalize.der.bin' % alg), 'wb') as f:
                f.write(b'\0' + b64url(csr))
# Round trips (fuzz_jws, byte 0 odd: bits 1-2 key, bit 3 kid) and CSR
# builds (fuzz_csr, byte 0 odd: bits 1-3 key, bytes 1-2 and bits 5-7 the
# flipped bit, then NUL-separated names).
payloads = [b'', b'{}', b'{"identifiers":[{"type":"dns","value":"example.com"}]}']
for k in range(4):
    for kid in (0, 8):
        with open(os.path.join(out, 'fuzz_jws', 'sign-key%d%s.bin' % (k, '-kid' if kid else '')),
                  'wb') as f:
            f.write(bytes([1 | k << 1 | kid]) + payloads[(k + kid) % 3])
names = [b'example.com', b'example.com\0www.example.com',
         b'*.example.net\0Example.ORG\0example.org', b'bad..name', b'a' * 63 + b'.' + b'b' * 10]
for k in range(5):
    with open(os.path.join(out, 'fuzz_csr', 'build-key%d.bin' % k), 'wb') as f:
        f.write(bytes([1 | k << 1 | (k % 8) << 5, 0, 40 + k]) + names[k])
PY
echo "make-corpus: $(find "$out" -type f | wc -l) files in $(ls "$out" | wc -l) corpora, $(wc -l < "$root/corpus/acme.dict") dictionary entries"
