#!/usr/bin/env bash
# Compat benchmark: tandem compat against its peers from the npm registry, same machine, same
# run, same corpus; each tool's verdict, pair by pair, then the time of both.
# 1. Avro: avsc's resolver (readerType.createResolver(writerType) throws when the reader cannot
#    read the writer's data) on the pairs of tests/compat/corpus/avro.yaml, in both directions
#    (BACKWARD: new reads old; FORWARD: old reads new) — bench/compat/avro_vs_avsc.js.
# 2. Protobuf: `buf breaking` (@bufbuild/buf) on the cases of tests/compat/corpus/protobuf/, in
#    the categories WIRE and WIRE_JSON — bench/compat/proto_vs_buf.js.
# Each prints where the verdicts differ (each difference is explained in docs/compat.md), then the
# time: one process per check for each tool (what a CI step runs), and each peer's floor.
# Usage: bench/compat_bench.sh [avro|protobuf]  (default: both)
# env: AVSC_VERSION=5.7.7 BUF_VERSION=1.75.0 RUNS=3 MODES="FULL BACKWARD" (tandem modes against buf)
set -euo pipefail
cd "$(dirname "$0")/.."
AVSC_VERSION="${AVSC_VERSION:-5.7.7}"
BUF_VERSION="${BUF_VERSION:-1.75.0}"
RUNS="${RUNS:-3}"
WORK="$PWD/bench/.work/compat"
WHICH="${1:-all}"
case "$WHICH" in all | avro | protobuf) ;; *) echo "usage: bench/compat_bench.sh [avro|protobuf]" >&2; exit 2 ;; esac
mkdir -p "$WORK"

# npm_peer DIR PACKAGE@VERSION...: installs the packages into DIR from the npm registry unless
# they are there at those versions; stops the benchmark, saying why, when npm cannot get them.
npm_peer() {
  local dir=$1; shift
  local spec name version have need=()
  for spec in "$@"; do
    name=${spec%@*} version=${spec##*@}
    have=$(node -p "require('$dir/node_modules/$name/package.json').version" 2>/dev/null || true)
    [ "$have" = "$version" ] || need+=("$spec")
  done
  ((${#need[@]})) || return 0
  mkdir -p "$dir"
  if ! (cd "$dir" && npm install --no-audit --no-fund "${need[@]}") >"$dir/npm.log" 2>&1; then
    echo "bench/compat_bench.sh: cannot install ${need[*]} from the npm registry" \
         "($(npm config get registry)); npm said:" >&2
    grep -E 'ERR|error' "$dir/npm.log" | head -5 >&2 || tail -5 "$dir/npm.log" >&2
    exit 1
  fi
}

# shellcheck source=lib.sh
source bench/lib.sh
bench_build

if [ "$WHICH" = all ] || [ "$WHICH" = avro ]; then
  npm_peer "$WORK/npm" "avsc@$AVSC_VERSION" js-yaml@4.1.0
  NODE_PATH="$WORK/npm/node_modules" TANDEM="$TANDEM" WORK="$WORK" RUNS="$RUNS" \
    node bench/compat/avro_vs_avsc.js tests/compat/corpus/avro.yaml
fi

if [ "$WHICH" = all ] || [ "$WHICH" = protobuf ]; then
  [ "$WHICH" = all ] && echo
  npm_peer "$WORK/buf" "@bufbuild/buf@$BUF_VERSION"
  # The package's bin/buf is a Node launcher until its postinstall swaps in the native binary;
  # run the native binary of the platform package, as an installed buf runs.
  BUF=""
  for b in "$WORK"/buf/node_modules/@bufbuild/buf-*/bin/buf; do [ -x "$b" ] && BUF=$b && break; done
  if [ -z "$BUF" ] || [ "$("$BUF" --version 2>&1)" != "$BUF_VERSION" ]; then
    echo "bench/compat_bench.sh: no native buf $BUF_VERSION for this platform in $WORK/buf" >&2
    exit 1
  fi
  echo "buf $BUF_VERSION ($BUF), tandem $TANDEM"
  TANDEM="$TANDEM" BUF="$BUF" WORK="$WORK/protobuf" RUNS="$RUNS" \
    node bench/compat/proto_vs_buf.js tests/compat/corpus/protobuf
fi
