#!/usr/bin/env bash
# corpus_replay.sh BUILD SOURCE - replay every committed seed corpus through
# its fuzz target with the standalone driver (under ASan/UBSan in the
# sanitizer build). The reference client's and the hardening targets'
# replays must be clean (the reference client at every level:
# AFZ_FAIL_ON=all); each zoo target must violate a property on at
# least one input of its corpus (its known bug), as an expected failure;
# the crash zoo targets must crash (a signal, or a sanitizer report).
set -uo pipefail
build=${1:?usage: corpus_replay.sh BUILD SOURCE}
src=${2:?usage: corpus_replay.sh BUILD SOURCE}
pass=0 fail=0
for corpus in "$src"/corpus/fuzz/*/; do
  t=$(basename "$corpus")
  bin=$build/fuzz/$t
  if [[ ! -x $bin ]]; then
    echo "FAIL $t: no target binary at $bin"; fail=$((fail + 1)); continue
  fi
  if [[ $t == fuzz_zoo_crash_* ]]; then
    out=$(timeout 600 "$bin" "$corpus" 2>&1); rc=$?
    if [[ $rc -ge 128 && $rc -ne 137 ]] || grep -q 'AddressSanitizer\|runtime error' <<<"$out"; then
      echo "PASS $t: crashed as expected (exit $rc)"; pass=$((pass + 1))
    else
      echo "FAIL $t: expected a crash, got exit $rc"; tail -10 <<<"$out" | sed 's/^/    /'
      fail=$((fail + 1))
    fi
    continue
  fi
  args=()
  [[ $t == fuzz_zoo_* ]] && args=(--expect-violation)
  if out=$(AFZ_FAIL_ON=all timeout 600 "$bin" "${args[@]}" "$corpus" 2>&1); then
    echo "PASS $t: $(grep '^standalone:' <<<"$out" | tail -1)"; pass=$((pass + 1))
  else
    echo "FAIL $t:"; tail -25 <<<"$out" | sed 's/^/    /'; fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
