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

# More servers, for tests that need several (a fleet) or a standby. Each lives in DIR (its data
# dir DIR/data, its socket in DIR, no TCP) and prints its URL on stdout; pg_server_stop DIR
# stops it and removes DIR. Usable from a test as `bash -c 'source pg-harness.sh; …'`.
#   pg_server_start DIR PORT [EXTRA]            a new, empty server
#   pg_replica_start DIR PORT PRIMARY_URL_HOST PRIMARY_PORT [EXTRA]
#                                               a streaming replica of a harness server, made
#                                               with pg_basebackup -R (PostgreSQL 15's defaults
#                                               wal_level=replica and max_wal_senders=10, and
#                                               initdb's `local replication all trust`, are
#                                               what it needs from the primary)
_pg_server_prepare() {
  mkdir -p "$1" && chmod 755 "$1"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$1"
  return 0
}

_pg_server_run() {  # DIR PORT EXTRA
  if ! _pg_run "$PG_BIN/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 \
      -o "-p $2 -k $1 -c listen_addresses='' -c max_connections=200 -c fsync=off $3" start >/dev/null; then
    echo "FATAL: PostgreSQL in $1 did not start:" >&2; cat "$1/server.log" >&2; return 1
  fi
  echo "postgresql://postgres@/postgres?host=$1&port=$2"
}

pg_server_start() {
  local dir="$1" port="$2" extra="${3:-}"
  _pg_server_prepare "$dir" || return 1
  if ! _pg_run "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1; then
    echo "FATAL: initdb failed:" >&2; cat "$dir/initdb.log" >&2; return 1
  fi
  _pg_server_run "$dir" "$port" "$extra"
}

pg_replica_start() {
  local dir="$1" port="$2" primary_host="$3" primary_port="$4" extra="${5:-}"
  _pg_server_prepare "$dir" || return 1
  # -R writes standby.signal and primary_conninfo; -X stream copies the WAL written meanwhile.
  if ! _pg_run "$PG_BIN/pg_basebackup" -h "$primary_host" -p "$primary_port" -U postgres \
      -D "$dir/data" -R -X stream -c fast --no-sync >"$dir/basebackup.log" 2>&1; then
    echo "FATAL: pg_basebackup failed:" >&2; cat "$dir/basebackup.log" >&2; return 1
  fi
  _pg_server_run "$dir" "$port" "-c hot_standby=on -c wal_receiver_status_interval=1s $extra"
}

pg_server_stop() {
  local dir="$1"
  if [ -n "$dir" ] && [ -d "$dir/data" ]; then
    _pg_run "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  [ -n "$dir" ] && rm -rf "$dir"
  return 0
}
