#!/usr/bin/env bash
# make-corpus.sh ACMEFUZZ - regenerate the committed seed corpora under
# corpus/fuzz/<target>/ from the text scenarios:
#   client targets (fuzz_reference, fuzz_zoo_*): the binary form of every
#     corpus/regressions/*.scn, plus each zoo client's own corpus/zoo scenario;
#   fuzz_plan: the same binaries; fuzz_scenario: the .scn texts themselves.
# Files are named after the scenario, so a regenerated corpus diffs cleanly.
# Also writes corpus/acme.dict (`acmefuzz list dict`, from the catalog).
set -euo pipefail
acmefuzz=${1:?usage: make-corpus.sh PATH-TO-acmefuzz}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/corpus/fuzz
rm -rf "$out"
mkdir -p "$out"

encode() { "$acmefuzz" encode "$1" > "$2"; }

client_targets=(fuzz_reference)
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
echo "make-corpus: $(find "$out" -type f | wc -l) files in $(ls "$out" | wc -l) corpora, $(wc -l < "$root/corpus/acme.dict") dictionary entries"
