# Shared by the benchmarks (source it from bench/*.sh, in the repository root).
# bench_build: installs the Debian packages and builds tandem in Release; sets TANDEM.
# bench_setup PORT: bench_build, then a PostgreSQL of the benchmark's own on PORT with default
# durability and a database `bench`; sets URL and PSQL; stops the server on exit.

bench_build() {
  bash scripts/install-deps.sh
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DTANDEM_TESTS=OFF >/dev/null
  cmake --build build-bench -j "$(nproc)" --target tandem >/dev/null
  TANDEM="$PWD/build-bench/tandem"
}

bench_setup() {
  bench_build
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
