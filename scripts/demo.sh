#!/usr/bin/env bash
# The main job on the embedded default: installs, builds, applies the shipped examples to a
# SQLite file and prints `tandem status`. No server needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build-demo -DTANDEM_TESTS=OFF >/dev/null
# tandem_dist: the man page and completions, so that `cmake --install build-demo` works too.
cmake --build build-demo -j "$(nproc)" --target tandem tandem_dist
DB="${1:-demo.db}"
./build-demo/tandem --db "sqlite:$DB" --dir examples/migrations up
./build-demo/tandem --db "sqlite:$DB" --dir examples/migrations status
