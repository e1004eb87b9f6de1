#!/usr/bin/env bash
# The test command: installs dependencies, builds with warnings as errors, starts a throwaway
# PostgreSQL 15 and runs every test against it and SQLite — then again under
# AddressSanitizer + UBSan. Fails loudly if PostgreSQL cannot start; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
JOBS="$(nproc)"

bash scripts/install-deps.sh

build() {  # build DIR [cmake args…]
  local dir="$1"; shift
  cmake -S "$ROOT" -B "$dir" -DTANDEM_WERROR=ON -DTANDEM_TESTS=ON "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
}

source scripts/pg-harness.sh
trap pg_stop EXIT
# fsync=off only speeds up the throwaway test server; benchmarks use a durable server.
pg_start "-c fsync=off -c full_page_writes=off"

echo "== build (release, -Werror)" >&2
build build
echo "== tests" >&2
(cd build && ctest --output-on-failure --no-tests=error -j "$JOBS" --timeout 600)

if [ "${TANDEM_SKIP_SANITIZERS:-0}" != "1" ]; then
  echo "== build (AddressSanitizer + UBSan)" >&2
  build build-asan -DTANDEM_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  echo "== tests under AddressSanitizer + UBSan" >&2
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure --no-tests=error -j "$JOBS" --timeout 900)
fi
echo "all tests passed" >&2
