#!/usr/bin/env bash
# A/A and A/B figures of `harness compare --fail-above 1.1` (README,
# "Compare two versions").
#
# For each nemesis mix (`none`, and the default swarm mix) and each pair
# i = 0..9:
#   A/A unpaired: A = seeds [100i, 100i+50), B = [100i+50, 100i+100), same version;
#   A/B unpaired: the same ranges, B with --bug slow-append;
#   A/B paired:   A's own seeds again, with --bug slow-append.
# Prints one line per comparison and a tally of exit codes per kind.
#
#   scripts/compare_aa_ab.sh [OUT_DIR] [PAIRS]
set -euo pipefail
out=${1:-runs/compare-aa-ab}
pairs=${2:-10}
harness=${HARNESS:-target/release/harness}
[ -x "$harness" ] || cargo build --release -p harness-cli
rm -rf "$out" && mkdir -p "$out"

sweep() { # dir seeds flags...
  local dir=$1 seeds=$2; shift 2
  "$harness" sweep --seeds "$seeds" --out "$out/$dir" "$@" > "$out/$dir.log" 2>&1 || true
}
compare() { # label a b
  local label=$1 a=$2 b=$3 code
  set +e
  "$harness" compare "$out/$a" "$out/$b" --fail-above 1.1 > "$out/$label.txt" 2>&1
  code=$?
  set -e
  echo "$label exit $code"
}

for mix in none default; do
  flags=()
  [ "$mix" = none ] && flags=(--nemesis none)
  for ((i = 0; i < pairs; i++)); do
    lo=$((100 * i)); mid=$((lo + 50)); hi=$((lo + 100))
    sweep "$mix-$i-a" "$lo..$mid" "${flags[@]}"
    sweep "$mix-$i-b" "$mid..$hi" "${flags[@]}"
    sweep "$mix-$i-b-slow" "$mid..$hi" "${flags[@]}" --bug slow-append
    sweep "$mix-$i-a-slow" "$lo..$mid" "${flags[@]}" --bug slow-append
    compare "aa-$mix-$i" "$mix-$i-a" "$mix-$i-b"
    compare "ab-unpaired-$mix-$i" "$mix-$i-a" "$mix-$i-b-slow"
    compare "ab-paired-$mix-$i" "$mix-$i-a" "$mix-$i-a-slow"
  done
done | tee "$out/results.txt"

echo
for kind in aa ab-unpaired ab-paired; do
  for mix in none default; do
    pass=$(grep -c "^$kind-$mix-[0-9]* exit 0" "$out/results.txt" || true)
    fail=$(grep -c "^$kind-$mix-[0-9]* exit 1" "$out/results.txt" || true)
    other=$(grep "^$kind-$mix-" "$out/results.txt" | grep -vc "exit [01]$" || true)
    echo "$kind $mix: exit 0 for $pass, exit 1 for $fail, other $other (of $pairs)"
  done
done | tee "$out/tally.txt"
