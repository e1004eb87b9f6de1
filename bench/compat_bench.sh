#!/usr/bin/env bash
# Compat benchmark: tandem compat against avsc's resolver (the `avsc` package from the npm
# registry: readerType.createResolver(writerType) throws when the reader cannot read the
# writer's data), same machine, same run, same corpus — the Avro pairs of
# tests/compat/corpus/avro.yaml, in both directions (BACKWARD: new reads old; FORWARD: old
# reads new). Prints, pair by pair, where the two verdicts differ (each difference is explained
# in docs/compat.md), then the time of both: one process per check for each tool (what a CI step
# runs), and avsc inside one Node process (its floor).
# Usage: bench/compat_bench.sh          env: AVSC_VERSION=5.7.7 RUNS=3
# (Protobuf against `buf breaking` comes with the Protobuf reader.)
set -euo pipefail
cd "$(dirname "$0")/.."
AVSC_VERSION="${AVSC_VERSION:-5.7.7}"
RUNS="${RUNS:-3}"
WORK="$PWD/bench/.work/compat"
mkdir -p "$WORK"

# shellcheck source=lib.sh
source bench/lib.sh
bench_build
if [ ! -d "$WORK/npm/node_modules/avsc" ] || [ ! -d "$WORK/npm/node_modules/js-yaml" ]; then
  mkdir -p "$WORK/npm"
  (cd "$WORK/npm" && npm install --silent --no-audit --no-fund "avsc@$AVSC_VERSION" js-yaml@4 >/dev/null 2>&1)
fi
NODE_PATH="$WORK/npm/node_modules" TANDEM="$TANDEM" WORK="$WORK" RUNS="$RUNS" \
  node bench/compat/avro_vs_avsc.js tests/compat/corpus/avro.yaml
