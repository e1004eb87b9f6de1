#!/usr/bin/env bash
# Engine benchmark: tandem against dbmate (from the npm registry), same machine, same run.
#   1. N (1,000) small migrations applied to SQLite and to PostgreSQL 15 by each tool;
#   2. `status` over NSTATUS (10,000) applied migration files — on the checkout `up` ran from
#      (tandem's recorded file stats match: applied files are not read again) and on another
#      checkout of the same files (nothing matches: every file is read and hashed).
# Same durability for every tool: SQLite synchronous=FULL (tandem sets it; its WAL commit is
# one fsync), PostgreSQL fsync=on and synchronous_commit=on (the server defaults).
# Runs are interleaved (dbmate, tandem, … then again) so drift in disk speed hits every tool
# alike; each figure is the median of RUNS runs.
# Usage: bench/engine_bench.sh       env: RUNS=5 N=1000 NSTATUS=10000 BENCH_DDL='CREATE TABLE t{i} (id bigint)'
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
RUNS="${RUNS:-5}"
N="${N:-1000}"
NSTATUS="${NSTATUS:-10000}"
DEFAULT_DDL='CREATE TABLE t{i} (id bigint)'
export BENCH_DDL="${BENCH_DDL:-$DEFAULT_DDL}"
WORK="$ROOT/bench/.work"
mkdir -p "$WORK"
rm -f "$WORK"/times.*

bash scripts/install-deps.sh
# -Werror off: GCC 12 at -O3 reports a false -Wrestrict inside std::string's operator+
# (src/expand/names.cc); warnings are enforced by the default build, not by the benchmark.
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DTANDEM_TESTS=OFF -DTANDEM_WERROR=OFF >/dev/null
cmake --build build-bench -j "$(nproc)" --target tandem >/dev/null
TANDEM="$ROOT/build-bench/tandem"

# The peer, from the npm registry (its platform package ships dbmate's Go binary).
DBMATE="$(bash scripts/install-dbmate.sh "$WORK/npm")"
echo "tandem $("$TANDEM" --version | awk '{print $2}') vs dbmate $("$DBMATE" --version | awk '{print $3}'); $N migrations: $BENCH_DDL" >&2

# One folder both tools read: dbmate's markers, which tandem accepts as they are.
gen() {  # gen DIR COUNT
  rm -rf "$1"; mkdir -p "$1"
  python3 - "$1" "$2" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
ddl = os.environ["BENCH_DDL"]
for i in range(1, n + 1):
    with open(os.path.join(d, f"{i:06d}_create_t{i}.sql"), "w") as f:
        f.write(f"-- migrate:up\n{ddl.format(i=i)};\n\n-- migrate:down\nDROP TABLE t{i};\n")
PY
}
gen "$WORK/m$N" "$N"
python3 -c "
import os
for i in range(1, $N + 1): print('BEGIN; ' + os.environ['BENCH_DDL'].format(i=i) + '; COMMIT;')" >"$WORK/floor.sql"

now_ns() { date +%s%N; }
# measure CASE SETUP RUN: one timed run of RUN after SETUP, appended to times.CASE (ms).
measure() {
  eval "$2" >/dev/null 2>&1
  local t0 t1
  t0=$(now_ns)
  eval "$3" >/dev/null 2>"$WORK/last.err" || { echo "FAILED: $1" >&2; cat "$WORK/last.err" >&2; exit 1; }
  t1=$(now_ns)
  echo $(((t1 - t0) / 1000000)) >>"$WORK/times.$1"
}
median() { sort -n "$WORK/times.$1" | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }
ratio() { python3 -c "print(f'{$1/$2:.2f}x')"; }

source scripts/pg-harness.sh
trap pg_stop EXIT
PG_PORT=54391 pg_start "" 2>/dev/null  # durable: server defaults
PGURL() { echo "postgresql://postgres@/$1?host=$TANDEM_TEST_PG_HOST&port=$TANDEM_TEST_PG_PORT&sslmode=disable"; }
reset_db() { psql -X -q "$(PGURL postgres)" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null 2>&1; }
SQ="$WORK/sqlite"; mkdir -p "$SQ"
M="$WORK/m$N"

for ((run = 1; run <= RUNS; run++)); do
  echo "run $run/$RUNS" >&2
  measure dbmate-sqlite "rm -f $SQ/d.db*" "$DBMATE --url sqlite:$SQ/d.db --migrations-dir $M --no-dump-schema up"
  measure tandem-sqlite "rm -f $SQ/t.db*" "$TANDEM --db sqlite:$SQ/t.db --dir $M -q up"
  measure tandem-sqlite-group "rm -f $SQ/g.db*" "$TANDEM --db sqlite:$SQ/g.db --dir $M -q up --group"
  measure dbmate-pg "reset_db bd" "$DBMATE --url '$(PGURL bd)' --migrations-dir $M --no-dump-schema up"
  measure tandem-pg "reset_db bt" "$TANDEM --db '$(PGURL bt)' --dir $M -q up"
  measure tandem-pg-group "reset_db bg" "$TANDEM --db '$(PGURL bg)' --dir $M -q up --group"
  measure psql-floor "reset_db bf" "psql -X -q '$(PGURL bf)' -f $WORK/floor.sql"
done
# Every tool really applied everything.
for check in "sqlite3 $SQ/t.db 'select count(*) from tandem_migrations'" "sqlite3 $SQ/g.db 'select count(*) from tandem_migrations'" \
             "sqlite3 $SQ/d.db 'select count(*) from schema_migrations'" \
             "psql -X -tA '$(PGURL bt)' -c 'select count(*) from tandem.migrations'" \
             "psql -X -tA '$(PGURL bd)' -c 'select count(*) from schema_migrations'"; do
  [ "$(eval "$check")" = "$N" ] || { echo "not all $N applied: $check" >&2; exit 1; }
done

# status over NSTATUS applied files.
gen "$WORK/s$NSTATUS" "$NSTATUS"
S="$WORK/s$NSTATUS"
# Another checkout of the same files (new inodes): tandem's recorded file stats do not match
# there, so its status reads and hashes every file — the first status after a fresh clone.
rm -rf "$S-copy"; cp -r "$S" "$S-copy"
# As in any real project, the files are older than tandem's 2 s racy window when applied (a
# file changed less than 2 s before `up` takes its stat gets none recorded and is read by every
# status; see src/engine/file_stat.cc).
sleep 3
rm -f "$SQ/s.db"* "$SQ/ds.db"*
"$TANDEM" --db "sqlite:$SQ/s.db" --dir "$S" -q up --group >/dev/null
"$DBMATE" --url "sqlite:$SQ/ds.db" --migrations-dir "$S" --no-dump-schema up >/dev/null
reset_db bs
"$TANDEM" --db "$(PGURL bs)" --dir "$S" -q up --group >/dev/null
reset_db bds
"$DBMATE" --url "$(PGURL bds)" --migrations-dir "$S" --no-dump-schema up >/dev/null
for ((run = 1; run <= RUNS; run++)); do
  measure status-tandem-sqlite ":" "$TANDEM --db sqlite:$SQ/s.db --dir $S status"
  measure status-dbmate-sqlite ":" "$DBMATE --url sqlite:$SQ/ds.db --migrations-dir $S status"
  measure status-sqlite3-floor ":" "sqlite3 $SQ/s.db 'select count(*) from tandem_migrations'"
  measure status-tandem-pg ":" "$TANDEM --db '$(PGURL bs)' --dir $S status"
  measure status-dbmate-pg ":" "$DBMATE --url '$(PGURL bds)' --migrations-dir $S status"
  measure status-psql-floor ":" "psql -X -q '$(PGURL bs)' -c 'select * from tandem.migrations' -o /dev/null"
  measure status-tandem-sqlite-cold ":" "$TANDEM --db sqlite:$SQ/s.db --dir $S-copy status"
  measure status-tandem-pg-cold ":" "$TANDEM --db '$(PGURL bs)' --dir $S-copy status"
done
# Every status saw every migration applied (the copy too: same checksums).
for dir in "$S" "$S-copy"; do
  for db in "sqlite:$SQ/s.db" "$(PGURL bs)"; do
    n=$("$TANDEM" --db "$db" --dir "$dir" status --json | python3 -c "import json,sys; print(sum(m['state'] == 'applied' for m in json.load(sys.stdin)['migrations']))")
    [ "$n" = "$NSTATUS" ] || { echo "status $db $dir: $n of $NSTATUS applied" >&2; exit 1; }
  done
done

row() { printf "%-46s %8sms %8s %8s\n" "$1" "$2" "${3:+${3}ms}" "${3:+$(ratio "$3" "$2")}"; }
echo
printf "%-46s %10s %8s %8s\n" "case (median of $RUNS interleaved runs)" "tandem" "dbmate" "speedup"
row "up: $N migrations, SQLite" "$(median tandem-sqlite)" "$(median dbmate-sqlite)"
row "up --group: $N migrations, SQLite" "$(median tandem-sqlite-group)" "$(median dbmate-sqlite)"
row "up: $N migrations, PostgreSQL 15" "$(median tandem-pg)" "$(median dbmate-pg)"
row "up --group: $N migrations, PostgreSQL 15" "$(median tandem-pg-group)" "$(median dbmate-pg)"
row "  server floor: same DDL via psql, 1 txn each" "$(median psql-floor)"
row "status: $NSTATUS applied files, SQLite" "$(median status-tandem-sqlite)" "$(median status-dbmate-sqlite)"
row "  floor: sqlite3 CLI reading that database" "$(median status-sqlite3-floor)"
row "status: $NSTATUS applied files, PostgreSQL 15" "$(median status-tandem-pg)" "$(median status-dbmate-pg)"
row "  floor: psql fetching the history" "$(median status-psql-floor)"
row "status, another checkout (all files read), SQLite" "$(median status-tandem-sqlite-cold)" "$(median status-dbmate-sqlite)"
row "status, another checkout (all files read), PG 15" "$(median status-tandem-pg-cold)" "$(median status-dbmate-pg)"
