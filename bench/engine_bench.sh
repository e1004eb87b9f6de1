#!/usr/bin/env bash
# Engine benchmark: tandem vs dbmate (from the npm registry), same machine, same run.
#  1. 1,000 small migrations applied to SQLite and to PostgreSQL by each tool
#  2. `tandem status` (and `dbmate status`) over 10,000 applied migration files
# Both tools run with full durability: SQLite synchronous=FULL, PostgreSQL fsync=on and
# synchronous_commit=on (the server defaults). Each timing is the median of RUNS runs.
# Usage: bench/engine_bench.sh            (writes nothing to the repo; prints a table)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
RUNS="${RUNS:-5}"
N="${N:-1000}"
NSTATUS="${NSTATUS:-10000}"
WORK="$ROOT/bench/.work"
mkdir -p "$WORK"

bash scripts/install-deps.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DTANDEM_TESTS=OFF >/dev/null
cmake --build build-bench -j "$(nproc)" --target tandem >/dev/null
TANDEM="$ROOT/build-bench/tandem"

# The peer, from the npm registry (its platform package ships the Go binary).
DBMATE_VERSION="${DBMATE_VERSION:-2.36.0}"
if [ ! -x "$WORK/npm/node_modules/@dbmate/linux-x64/bin/dbmate" ]; then
  mkdir -p "$WORK/npm"
  (cd "$WORK/npm" && npm install --silent --no-audit --no-fund "dbmate@$DBMATE_VERSION" >/dev/null 2>&1)
fi
DBMATE="$WORK/npm/node_modules/@dbmate/linux-x64/bin/dbmate"
echo "tandem $("$TANDEM" --version | awk '{print $2}') vs dbmate $("$DBMATE" --version | awk '{print $3}')"

# One folder both tools read: dbmate's markers, which tandem accepts as is.
gen() {  # gen DIR COUNT
  rm -rf "$1"; mkdir -p "$1"
  python3 - "$1" "$2" <<'PY'
import sys, os
d, n = sys.argv[1], int(sys.argv[2])
for i in range(1, n + 1):
    with open(os.path.join(d, f"{i:06d}_create_t{i}.sql"), "w") as f:
        f.write(f"-- migrate:up\n{os.environ.get('BENCH_DDL', 'CREATE TABLE t{i} (id bigint)').format(i=i)};\n\n"
                f"-- migrate:down\nDROP TABLE t{i};\n")
PY
}
gen "$WORK/m$N" "$N"

ms() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# time_runs NAME SETUP_CMD RUN_CMD: runs SETUP then RUN, RUNS times; prints the median in ms.
time_runs() {
  local setup="$2" run="$3" i t0 t1
  for ((i = 0; i < RUNS; i++)); do
    eval "$setup" >/dev/null 2>&1
    t0=$(ms); eval "$run" >/dev/null 2>"$WORK/last.err" || { echo "FAILED: $1" >&2; cat "$WORK/last.err" >&2; exit 1; }; t1=$(ms)
    echo $(((t1 - t0) / 1000000))
  done | median
}
ratio() { python3 -c "print(f'{$1/$2:.2f}x')"; }

# --- SQLite -----------------------------------------------------------------------------
SQ="$WORK/sqlite"; mkdir -p "$SQ"
d_sqlite=$(time_runs dbmate-sqlite "rm -f $SQ/d.db*" "$DBMATE --url sqlite:$SQ/d.db --migrations-dir $WORK/m$N --no-dump-schema up")
t_sqlite=$(time_runs tandem-sqlite "rm -f $SQ/t.db*" "$TANDEM --db sqlite:$SQ/t.db --dir $WORK/m$N -q up")
[ "$(sqlite3 "$SQ/t.db" "select count(*) from tandem_migrations")" = "$N" ] || { echo "tandem did not apply $N" >&2; exit 1; }
g_sqlite=$(time_runs tandem-sqlite-group "rm -f $SQ/g.db*" "$TANDEM --db sqlite:$SQ/g.db --dir $WORK/m$N -q up --group")
[ "$(sqlite3 "$SQ/g.db" "select count(*) from tandem_migrations")" = "$N" ] || { echo "tandem --group did not apply $N" >&2; exit 1; }
[ "$(sqlite3 "$SQ/d.db" "select count(*) from schema_migrations")" = "$N" ] || { echo "dbmate did not apply $N" >&2; exit 1; }

# --- PostgreSQL (durable server: default fsync/synchronous_commit) ----------------------
source scripts/pg-harness.sh
trap pg_stop EXIT
PG_PORT=54391 pg_start "" 2>/dev/null
PGURL() { echo "postgresql://postgres@/$1?host=$TANDEM_TEST_PG_HOST&port=$TANDEM_TEST_PG_PORT&sslmode=disable"; }
psql_admin() { psql -X -q "$(PGURL postgres)" -c "$1" >/dev/null; }
reset_db() { psql_admin "DROP DATABASE IF EXISTS $1 WITH (FORCE)"; psql_admin "CREATE DATABASE $1"; }
d_pg=$(time_runs dbmate-pg "reset_db bd" "$DBMATE --url '$(PGURL bd)' --migrations-dir $WORK/m$N --no-dump-schema up")
t_pg=$(time_runs tandem-pg "reset_db bt" "$TANDEM --db '$(PGURL bt)' --dir $WORK/m$N -q up")
[ "$(psql -X -tA "$(PGURL bt)" -c "select count(*) from tandem.migrations")" = "$N" ] || { echo "tandem did not apply $N on pg" >&2; exit 1; }
g_pg=$(time_runs tandem-pg-group "reset_db bg" "$TANDEM --db '$(PGURL bg)' --dir $WORK/m$N -q up --group")
# The server's own cost: the same DDL, one transaction each, sent by psql with no history table.
python3 -c "
import os
for i in range(1, $N + 1): print('BEGIN; ' + os.environ.get('BENCH_DDL', 'CREATE TABLE t{i} (id bigint)').format(i=i) + '; COMMIT;')" > "$WORK/floor.sql"
f_pg=$(time_runs psql-floor "reset_db bf" "psql -X -q '$(PGURL bf)' -f $WORK/floor.sql")

# --- status over NSTATUS applied files -------------------------------------------------
gen "$WORK/m$NSTATUS" "$NSTATUS"
rm -f "$SQ/s.db"* "$SQ/ds.db"*
"$TANDEM" --db "sqlite:$SQ/s.db" --dir "$WORK/m$NSTATUS" -q up >/dev/null
"$DBMATE" --url "sqlite:$SQ/ds.db" --migrations-dir "$WORK/m$NSTATUS" --no-dump-schema up >/dev/null
t_status=$(time_runs tandem-status ":" "$TANDEM --db sqlite:$SQ/s.db --dir $WORK/m$NSTATUS status")
d_status=$(time_runs dbmate-status ":" "$DBMATE --url sqlite:$SQ/ds.db --migrations-dir $WORK/m$NSTATUS status")
reset_db bs
"$TANDEM" --db "$(PGURL bs)" --dir "$WORK/m$NSTATUS" -q up >/dev/null
t_status_pg=$(time_runs tandem-status-pg ":" "$TANDEM --db '$(PGURL bs)' --dir $WORK/m$NSTATUS status")
# SQLite parses the whole schema (here $NSTATUS tables) on first access: any tool pays this.
f_status=$(time_runs sqlite3-floor ":" "sqlite3 $SQ/s.db 'select count(*) from tandem_migrations'")

echo
printf "%-44s %10s %10s %8s\n" "case (median of $RUNS runs)" "tandem" "dbmate" "speedup"
printf "%-44s %8sms %8sms %8s\n" "up: $N migrations, SQLite" "$t_sqlite" "$d_sqlite" "$(ratio "$d_sqlite" "$t_sqlite")"
printf "%-44s %8sms %8sms %8s\n" "up --group: $N migrations, SQLite" "$g_sqlite" "$d_sqlite" "$(ratio "$d_sqlite" "$g_sqlite")"
printf "%-44s %8sms %8sms %8s\n" "up: $N migrations, PostgreSQL 15" "$t_pg" "$d_pg" "$(ratio "$d_pg" "$t_pg")"
printf "%-44s %8sms %8sms %8s\n" "up --group: $N migrations, PostgreSQL 15" "$g_pg" "$d_pg" "$(ratio "$d_pg" "$g_pg")"
printf "%-44s %8sms %10s\n" "  floor: same DDL via psql, 1 txn each" "$f_pg" "-"
printf "%-44s %8sms %8sms %8s\n" "status: $NSTATUS applied files, SQLite" "$t_status" "$d_status" "$(ratio "$d_status" "$t_status")"
printf "%-44s %8sms %10s\n" "  floor: sqlite3 CLI opening that database" "$f_status" "-"
printf "%-44s %8sms %10s\n" "status: $NSTATUS applied files, PostgreSQL" "$t_status_pg" "-"
