#!/usr/bin/env bash
# The shrink table of the README: for every planted bug, the first failing
# seed (of the default swarm mix, as the detection matrix's first trial
# runs it: seeds from 0 up, 3,000 ops; for the bugs the swarm never finds,
# of the bug's tuned natural mix), shrunk with `harness shrink --time 60`.
#
#   scripts/shrink_table.sh [WORKDIR]    (default: a fresh directory in /tmp)
#
# Prints one markdown row per bug. Needs the release binaries:
#   cargo build --release -p harness-cli -p raft-kv --example detection_matrix
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
H="${HARNESS_BIN:-$root/target/release/harness}"
M="${MATRIX_BIN:-$root/target/release/examples/detection_matrix}"
work=${1:-$(mktemp -d /tmp/shrink-table.XXXXXX)}
mkdir -p "$work"
cd "$work"

# The first not-linearizable seed of a swarm sweep from 0, in chunks of 20
# (cap 200); prints its run directory.
first_swarm() { # system bug
  local system=$1 bug=$2 start=0
  while [ $start -lt 200 ]; do
    local out="swarm-$bug-$start"
    "$H" sweep --seeds $start..$((start + 20)) --system "$system" --bug "$bug" \
      --ops 3000 --out "$out" >/dev/null 2>&1 || true
    local dir
    dir=$(python3 -c "
import json
r=[x for x in json.load(open('$out/sweep.json'))['results'] if x['verdict']=='not-linearizable']
r.sort(key=lambda x: x['seed'])
print(r[0]['dir'] if r else '')")
    if [ -n "$dir" ]; then echo "$dir"; return; fi
    start=$((start + 20))
  done
}

# The first failing seed of the bug's natural mix, from 0 (cap 100).
first_natural() { # bug
  local bug=$1
  for seed in $(seq 0 99); do
    "$M" --bug "$bug" --print-scenario "$seed" > "natural-$bug-$seed.json"
    if ! "$H" run --scenario "natural-$bug-$seed.json" --out "natural-$bug" >/dev/null 2>&1; then
      local dir="natural-$bug/seed-$seed"
      if grep -q '"valid": false' "$dir/verdict.json" 2>/dev/null; then echo "$dir"; return; fi
    fi
  done
}

row() { # system bug mix dir
  local system=$1 bug=$2 mix=$3 dir=$4
  local log="$work/shrink-$bug.txt"
  "$H" shrink "$dir" --time 60 > "$log" 2>&1 || true
  python3 - "$log" "$bug" "$mix" "$dir" "$system" <<'PY'
import re, sys
log, bug, mix, d, system = sys.argv[1:]
t = open(log).read()
def two(name):
    m = re.search(r"^\s+%s\s+(\S+) → (\S+)" % name, t, re.M)
    return m.groups() if m else ("?", "?")
wall = re.search(r"in ([0-9.]+) s: (\d+) candidate runs", t)
minimal = re.search(r"minimal counterexample: (\d+) of the (\d+) ops", t)
seed = d.rsplit("seed-", 1)[-1]
f, o, c = two("faults"), two("ops"), two("clients")
m = re.search(r"simulated\s+([0-9.]+) s → ([0-9.]+) s", t)
s = m.groups() if m else ("?", "?")
print(f"| `{bug}` ({system}) | {mix} seed {seed} | {f[0]} → {f[1]} | {o[0]} → {o[1]} | {c[0]} → {c[1]} | {s[0]} → {s[1]} s | "
      f"{minimal.group(1) + ' of ' + minimal.group(2) if minimal else '-'} | "
      f"{wall.group(1) + ' s, ' + wall.group(2) + ' runs' if wall else 'failed: see ' + log} |")
PY
}

echo "| bug | start | faults | ops | clients | simulated | minimal counterexample ops | shrink wall |"
echo "|---|---|---|---|---|---|---|---|"
for bug in stale-follower-read ack-before-commit retry-duplicate ack-before-fsync; do
  dir=$(first_swarm raft "$bug")
  if [ -n "$dir" ]; then row raft "$bug" swarm "$dir"; else echo "| \`$bug\` | not found in 200 swarm seeds | | | | | | |"; fi
done
for bug in lease-read-skew lease-read-pause old-term-commit; do
  dir=$(first_natural "$bug")
  if [ -n "$dir" ]; then row raft "$bug" "natural mix" "$dir"; else echo "| \`$bug\` | not found in 100 natural seeds | | | | | | |"; fi
done
dir=$(first_swarm primary-backup reply-after-first-ack)
if [ -n "$dir" ]; then row primary-backup reply-after-first-ack swarm "$dir"; fi
