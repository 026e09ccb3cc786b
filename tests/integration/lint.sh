#!/usr/bin/env bash
# lint.sh BUILD_DIR SOURCE_DIR - the tree is formatted and passes static
# analysis:
#   1. every C file of the project (harness/, properties/, clients/, cli/,
#      targets/, tests/, bench/, examples/) is what clang-format makes of it
#      under the repo's .clang-format (Debian's clang-format);
#   2. cppcheck (Debian's) finds nothing at its "warning" and "portability"
#      levels; a finding that is intended carries an inline
#      `cppcheck-suppress ID` comment saying why.
# Prints each offending file or finding, then "N passed, M failed".
set -u

BUILD_DIR=${1:?usage: lint.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: lint.sh BUILD_DIR SOURCE_DIR}
for tool in clang-format cppcheck; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool missing (scripts/install-deps.sh test)"; exit 1; }
done
cd "$SOURCE_DIR" || exit 1
pass=0
fail=0

mapfile -t files < <(find harness properties clients cli targets tests bench examples \
  -name '*.[ch]' -type f 2>/dev/null | sort)
[[ ${#files[@]} -gt 100 ]] || { echo "FAIL: only ${#files[@]} C files found under $SOURCE_DIR"; exit 1; }
unformatted=0
for f in "${files[@]}"; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "FAIL format: $f (fix: clang-format -i $f)"
    unformatted=$((unformatted + 1))
  fi
done
if [[ $unformatted -eq 0 ]]; then
  echo "ok   format: ${#files[@]} files as clang-format writes them"
  pass=$((pass + 1))
else
  fail=$((fail + 1))
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# fuzz_client.c is built once per client with AFZ_FUZZ_CLIENT set.
if cppcheck -q --enable=warning,portability --std=c11 --inline-suppr --error-exitcode=1 \
     -DAFZ_FUZZ_CLIENT='"reference"' -j 2 harness properties clients cli targets tests \
     >"$log" 2>&1; then
  echo "ok   cppcheck: no finding"
  pass=$((pass + 1))
else
  echo "FAIL cppcheck:"
  sed 's/^/  /' "$log"
  fail=$((fail + 1))
fi

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
