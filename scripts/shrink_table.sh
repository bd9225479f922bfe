#!/usr/bin/env bash
# The shrink table of the README: for every planted bug, the first failing
# seed of the default exploration, exactly as
#
#   harness sweep --seeds 0..N [--system S] --bug X
#
# runs it (no other flag: every dimension of each run drawn from its seed;
# a failing verdict is not-linearizable, liveness or invariant, never
# unknown), shrunk with `harness shrink --time 60`. The default does not
# find raft's lease-read-skew, lease-read-pause and old-term-commit (see the
# mistake catalogue's table); for them the start is the first failing seed
# of the bug's tuned natural mix (detection_matrix --print-scenario), as
# before.
#
#   scripts/shrink_table.sh [WORKDIR] [BUG...]   (default: a fresh directory in /tmp, every bug)
#
# Prints one markdown row per bug. Needs the release binaries:
#   cargo build --release -p harness-cli && cargo build --release -p raft-kv --example detection_matrix
# (two commands: with `--example`, cargo builds only that example of every
# package named, not the harness binary)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
H="${HARNESS_BIN:-$root/target/release/harness}"
M="${MATRIX_BIN:-$root/target/release/examples/detection_matrix}"
work=${1:-$(mktemp -d /tmp/shrink-table.XXXXXX)}
shift || true
only=" $* "
mkdir -p "$work"
cd "$work"
want() { [ "$only" = "  " ] || [[ "$only" == *" $1 "* ]]; }

# The first failing seed of the default sweep from 0, in chunks of 20 (cap
# 200); prints its run directory. `--out` and `--jobs` change no run.
first_default() { # system bug
  local system=$1 bug=$2 start=0
  while [ $start -lt 200 ]; do
    local out="default-$system-$bug-$start"
    "$H" sweep --seeds $start..$((start + 20)) --system "$system" --bug "$bug" \
      --out "$out" --jobs "${SWEEP_JOBS:-2}" >/dev/null 2>&1 || true
    local dir
    dir=$(python3 -c "
import json
fail = {'not-linearizable', 'liveness', 'invariant'}
r = [x for x in json.load(open('$out/sweep.json'))['results'] if x['verdict'] in fail]
r.sort(key=lambda x: x['seed'])
print(r[0]['dir'] + ' ' + r[0]['verdict'] if r else '')")
    if [ -n "$dir" ]; then echo "$dir"; return; fi
    start=$((start + 20))
  done
}

# The first failing seed of the bug's natural mix, from 0 (cap 100), by
# `harness run`'s exit code: 1 not linearizable, 4 liveness, 5 invariant.
first_natural() { # bug
  local bug=$1 code
  for seed in $(seq 0 99); do
    "$M" --bug "$bug" --print-scenario "$seed" > "natural-$bug-$seed.json"
    code=0
    "$H" run --scenario "natural-$bug-$seed.json" --out "natural-$bug" >/dev/null 2>&1 || code=$?
    case $code in
      1) echo "natural-$bug/seed-$seed not-linearizable"; return ;;
      4) echo "natural-$bug/seed-$seed liveness"; return ;;
      5) echo "natural-$bug/seed-$seed invariant"; return ;;
    esac
  done
}

row() { # system bug mix dir verdict
  local system=$1 bug=$2 mix=$3 dir=$4 verdict=$5
  local log="$work/shrink-$system-$bug.txt"
  "$H" shrink "$dir" --time "${SHRINK_TIME:-60}" > "$log" 2>&1 || true
  python3 - "$log" "$bug" "$mix" "$dir" "$system" "$verdict" <<'PY'
import re, sys
log, bug, mix, d, system, verdict = sys.argv[1:]
t = open(log).read()
def two(name):
    m = re.search(r"^\s+%s\s+(\S+) → (\S+)" % name, t, re.M)
    return m.groups() if m else ("?", "?")
wall = re.search(r"in ([0-9.]+) s: (\d+) candidate runs", t)
cut = "budget spent" in t
minimal = re.search(r"minimal counterexample: (\d+) of the (\d+) ops", t)
seed = d.rsplit("seed-", 1)[-1]
f, o, c = two("faults"), two("ops"), two("clients")
m = re.search(r"simulated\s+([0-9.]+) s → ([0-9.]+) s", t)
s = m.groups() if m else ("?", "?")
met = []
if f[1] != "?":
    met.append("faults " + ("✓" if int(f[1]) <= 3 else "✗"))
    met.append("ops " + ("✓" if int(o[1]) * 10 <= int(o[0]) else "✗"))
k = re.search(r"^  verdict\s+(\S+)", t, re.M)
kind = k.group(1) if k else "?"
if kind == "not-linearizable":
    met.append("minimal " + ("✓" if minimal and int(minimal.group(1)) <= 10 else "✗"))
else:
    met.append("minimal n/a")
met.append("time " + ("✓" if wall and not cut and float(wall.group(1)) <= 60 else "✗"))
print(f"| `{bug}` ({system}) | {mix} seed {seed} ({verdict}) | {f[0]} → {f[1]} | {o[0]} → {o[1]} | {c[0]} → {c[1]} | {s[0]} → {s[1]} s | "
      f"{minimal.group(1) + ' of ' + minimal.group(2) if minimal else 'n/a (' + kind + ')'} | "
      f"{wall.group(1) + ' s, ' + wall.group(2) + ' runs' + (' (budget)' if cut else '') if wall else 'failed: see ' + log} | "
      f"{', '.join(met)} |")
PY
}

default_row() { # system bug
  local found
  found=$(first_default "$1" "$2")
  if [ -n "$found" ]; then
    row "$1" "$2" default $found
  else
    echo "| \`$2\` ($1) | not found in 200 default seeds | | | | | | | |"
  fi
}

echo "uptime at start: $(uptime)" >&2
echo "| bug | start | faults | ops | clients | simulated | minimal counterexample ops | shrink wall | targets |"
echo "|---|---|---|---|---|---|---|---|---|"
for bug in stale-follower-read ack-before-commit retry-duplicate ack-before-fsync; do
  want "$bug" && default_row raft "$bug"
done
for bug in lease-read-skew lease-read-pause old-term-commit; do
  want "$bug" || continue
  found=$(first_natural "$bug")
  if [ -n "$found" ]; then row raft "$bug" "natural mix" $found; else echo "| \`$bug\` (raft) | not found in 100 natural seeds | | | | | | | |"; fi
done
want reply-after-first-ack && default_row primary-backup reply-after-first-ack
for bug in stale-read flush-before-sync; do
  want "$bug" && default_row openraft "$bug"
done
echo "uptime at end: $(uptime)" >&2
