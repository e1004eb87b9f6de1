# Shared by the PostgreSQL benchmarks (source it from bench/*.sh, in the repository root):
# builds tandem in Release, starts a PostgreSQL of the benchmark's own on PORT with default
# durability, creates database `bench`. Sets TANDEM, URL, PSQL; stops the server on exit.
# Usage: bench_setup PORT

bench_setup() {
  bash scripts/install-deps.sh
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DTANDEM_TESTS=OFF >/dev/null
  cmake --build build-bench -j "$(nproc)" --target tandem >/dev/null
  TANDEM="$PWD/build-bench/tandem"
  # shellcheck source=../scripts/pg-harness.sh
  source scripts/pg-harness.sh
  PG_PORT="${PG_PORT:-$1}" pg_start "-c shared_buffers=256MB -c max_wal_size=4GB" >&2
  trap pg_stop EXIT
  psql "$TANDEM_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench"
  URL=$(echo "$TANDEM_TEST_PG_URL" | sed "s#/postgres?#/bench?#")
  export PGOPTIONS="-c client_min_messages=warning"
  PSQL=(psql "$URL" -qAtX -v ON_ERROR_STOP=1)
}

now() { date +%s.%N; }
