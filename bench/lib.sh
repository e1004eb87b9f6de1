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

# port_free PORT: nothing listens on 127.0.0.1:PORT. wait_port PORT [TRIES]: until something
# does (TRIES × 50 ms, 400 by default).
port_free() { ! (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 "${2:-400}"); do
    port_free "$1" || return 0
    sleep 0.05
  done
  return 1
}
# to_ms VALUE: wrk's latency ("812.00us", "1.20ms", "2.00s") in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0;
    else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
