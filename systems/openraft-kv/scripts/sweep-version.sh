#!/usr/bin/env bash
# The default sweep against a chosen openraft 0.9 release.
#
#   systems/openraft-kv/scripts/sweep-version.sh VERSION [SEEDS] [SWEEP FLAGS...]
#   e.g. systems/openraft-kv/scripts/sweep-version.sh 0.9.14 0..1000
#
# Copies the workspace (without target/ and runs/) to a scratch directory,
# pins openraft there with `cargo update -p openraft --precise VERSION`
# (a yanked release can be pinned this way), builds the harness and runs
# `harness sweep --system openraft --seeds SEEDS` with the default mix and
# any further flags. The checkout's own Cargo.lock is not touched. Builds
# share one target directory (default target/openraft-versions), so a
# second version only rebuilds openraft and what depends on it.
set -euo pipefail
version=${1:?usage: sweep-version.sh VERSION [SEEDS] [SWEEP FLAGS...]}
seeds=${2:-0..1000}
shift $(( $# >= 2 ? 2 : 1 ))
root=$(cd "$(dirname "$0")/../../.." && pwd)
scratch=${SCRATCH:-${TMPDIR:-/tmp}/openraft-$version}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target/openraft-versions}
out=${OUT:-runs/openraft-$version-${seeds//./_}}

rm -rf "$scratch" && mkdir -p "$scratch"
tar -C "$root" --exclude=./target --exclude=./runs --exclude=./.git -cf - . | tar -C "$scratch" -xf -
cd "$scratch"
cargo update -p openraft --precise "$version"
grep -A1 '^name = "openraft"$' Cargo.lock | sed -n 2p
cargo build --release -p harness-cli
cd "$root"
rm -rf "$out"
exec "$CARGO_TARGET_DIR/release/harness" sweep --system openraft --seeds "$seeds" --out "$out" "$@"
