#!/usr/bin/env bash
# Source this file: `pg_start` starts a throwaway PostgreSQL 15 in a temp dir on a private unix
# socket and exports TANDEM_TEST_PG_URL; `pg_stop` stops it and removes the dir.
# As root the server runs as the `postgres` user (PostgreSQL refuses to run as root).

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

_pg_run() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
  local extra="${1:-}"
  if [ ! -x "$PG_BIN/initdb" ]; then
    echo "FATAL: PostgreSQL 15 binaries not found in $PG_BIN (apt-get install postgresql-15)" >&2
    return 1
  fi
  PG_TMP="$(mktemp -d /tmp/tandem-pg.XXXXXX)"
  chmod 755 "$PG_TMP"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$PG_TMP"
  PG_PORT="${PG_PORT:-54329}"
  if ! _pg_run "$PG_BIN/initdb" -D "$PG_TMP/data" -U postgres -A trust -E UTF8 --no-sync >"$PG_TMP/initdb.log" 2>&1; then
    echo "FATAL: initdb failed:" >&2; cat "$PG_TMP/initdb.log" >&2; return 1
  fi
  # Private socket dir, no TCP: nothing else on the machine can collide with this server.
  if ! _pg_run "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
      -o "-p $PG_PORT -k $PG_TMP -c listen_addresses='' -c max_connections=200 $extra" start >/dev/null; then
    echo "FATAL: PostgreSQL did not start:" >&2; cat "$PG_TMP/server.log" >&2; return 1
  fi
  export TANDEM_TEST_PG_HOST="$PG_TMP" TANDEM_TEST_PG_PORT="$PG_PORT"
  export TANDEM_TEST_PG_URL="postgresql://postgres@/postgres?host=$PG_TMP&port=$PG_PORT"
  echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') running: $TANDEM_TEST_PG_URL" >&2
}

pg_stop() {
  if [ -n "${PG_TMP:-}" ] && [ -d "$PG_TMP/data" ]; then
    _pg_run "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
  fi
}
