#!/usr/bin/env bash
# Dump and drift benchmark: a schema of TABLES tables (each with a primary key, a foreign key to
# the one before, an index and a trigger; a view and a function per ten tables), made by
# migrations of ten tables each. Measures, median of RUNS runs each:
#   - `tandem dump` against `pg_dump --schema-only --schema=public` on the same database;
#   - `tandem drift` (create the scratch database, replay every migration, dump both, compare,
#     drop it) with no drift, and after a column added by hand (exit 1, the table named).
# Usage: bench/drift_bench.sh     env: TABLES=200 RUNS=5 TANDEM=path (skips the Release build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TABLES="${TABLES:-200}"
RUNS="${RUNS:-5}"
WORK="$ROOT/bench/.work/drift"
rm -rf "$WORK"
mkdir -p "$WORK/migrations"

# shellcheck source=lib.sh
source bench/lib.sh
if [ -n "${TANDEM:-}" ]; then bench_build() { :; }; fi
bench_setup 54393
PG_DUMP="${PG_BIN:-/usr/lib/postgresql/15/bin}/pg_dump"

# Migrations: ten tables per file.
for ((m = 0; m < TABLES / 10; m++)); do
  f="$WORK/migrations/$(printf '%04d' $((m + 1)))_tables_$m.sql"
  {
    echo "-- tandem:up"
    for ((k = 0; k < 10; k++)); do
      i=$((m * 10 + k))
      ref=""
      [ "$i" -gt 0 ] && ref="REFERENCES t$((i - 1)) (id)"
      echo "CREATE TABLE t$i (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, parent bigint $ref, name text NOT NULL DEFAULT '', amount numeric(12,2), created timestamptz NOT NULL DEFAULT now());"
      echo "CREATE INDEX t${i}_name_idx ON t$i (name);"
      echo "CREATE FUNCTION t${i}_touch() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN NEW.name := lower(NEW.name); RETURN NEW; END \$\$;"
      echo "CREATE TRIGGER t${i}_touch BEFORE INSERT ON t$i FOR EACH ROW EXECUTE FUNCTION t${i}_touch();"
    done
    echo "CREATE VIEW v$m AS SELECT id, name FROM t$((m * 10)) WHERE amount > 0;"
  } >"$f"
done
"$TANDEM" --db "$URL" --dir "$WORK/migrations" -q up --allow-unsafe >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_it() {  # prints the seconds one run of "$@" takes (its exit code ignored)
  local t0 t1
  t0=$(now)
  "$@" >/dev/null 2>&1 || true
  t1=$(now)
  echo "$t1 - $t0" | bc
}
measure() {  # label, command…: median of RUNS runs
  local label="$1"
  shift
  local m
  m=$(for ((r = 0; r < RUNS; r++)); do time_it "$@"; done | median)
  printf '%-44s %8.3f s\n' "$label" "$m"
}

objects=$("$TANDEM" --db "$URL" dump | grep -c '^-- [a-z]* ' || true)
echo "schema: $TABLES tables, $objects objects in tandem's dump; $((TABLES / 10)) migrations"
measure "tandem dump" "$TANDEM" --db "$URL" dump
measure "pg_dump --schema-only --schema=public" "$PG_DUMP" --schema-only --schema=public "$URL"
cmp <("$TANDEM" --db "$URL" dump) <("$TANDEM" --db "$URL" dump) && echo "two dumps: identical bytes"
measure "tandem drift (no drift, exit 0)" "$TANDEM" --db "$URL" --dir "$WORK/migrations" -q drift
"${PSQL[@]}" -c "ALTER TABLE t7 ADD COLUMN by_hand text"
code=0
out=$("$TANDEM" --db "$URL" --dir "$WORK/migrations" -q drift) || code=$?
echo "after ALTER TABLE t7 ADD COLUMN by hand: exit $code, $(echo "$out" | grep -c '^changed ') changed object(s): $(echo "$out" | grep '^changed ' | head -1)"
measure "tandem drift (one column added, exit 1)" "$TANDEM" --db "$URL" --dir "$WORK/migrations" -q drift
left=$("${PSQL[@]}" -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'tandem\_drift\_%'")
echo "scratch databases left on the server: $left"
