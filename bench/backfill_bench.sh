#!/usr/bin/env bash
# Backfill benchmark: a data migration (`update` operation: total = price * qty on every row)
# through tandem's batched, checkpointed backfill vs the single UPDATE statement that makes the
# same change, in the same run, on 100,000 and 1,000,000 rows (SIZES); then the same backfill
# under a pgbench OLTP load at a fixed rate (RATE tps, CLIENTS clients), reporting the load's
# p99 latency during the change against its p99 just before it: for the single UPDATE, and for
# tandem with the default batch target, a shorter one (a batch holds its rows' locks until it
# commits) and a rows/s cap (less WAL per second for the clients' commits to wait behind).
# Usage: bench/backfill_bench.sh     env: SIZES="100000 1000000" CLIENTS=4 RATE=1000 CAP=40000
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
SIZES="${SIZES:-100000 1000000}"
CLIENTS="${CLIENTS:-4}"
RATE="${RATE:-1000}"
CAP="${CAP:-40000}"
WORK="$ROOT/bench/.work/backfill"
rm -rf "$WORK"
mkdir -p "$WORK/m"

# shellcheck source=lib.sh
source bench/lib.sh
bench_setup 54393

cat >"$WORK/m/0001_total.yaml" <<'YAML'
operations:
  - update:
      table: items
      set: { total: "price::bigint * qty" }
YAML

reset_table() {
  "${PSQL[@]}" <<SQL
DROP SCHEMA IF EXISTS tandem CASCADE;
DROP SCHEMA IF EXISTS public_0 CASCADE;
DROP SCHEMA IF EXISTS public_1 CASCADE;
DROP TABLE IF EXISTS items;
CREATE TABLE items (id bigint PRIMARY KEY, price int NOT NULL, qty int NOT NULL, total bigint,
                    note text NOT NULL);
INSERT INTO items SELECT g, g % 1000, 1 + g % 7, NULL, 'item ' || g FROM generate_series(1, $1) g;
VACUUM ANALYZE items;
CHECKPOINT;
SQL
}

check() {
  local bad
  bad=$("${PSQL[@]}" -c "SELECT count(*) FROM items WHERE total IS DISTINCT FROM price::bigint * qty")
  [ "$bad" = 0 ] || { echo "wrong result: $bad rows" >&2; exit 1; }
}
# tandem_run LOG [FLAGS…]: the migration through `tandem up`; prints wall seconds and the
# backfill's own seconds (its "done" progress event).
tandem_run() {
  local t0 t1 log="$1"
  shift
  t0=$(now)
  "$TANDEM" --db "$URL" --dir "$WORK/m" "$@" up >/dev/null 2>"$log"
  t1=$(now)
  python3 - "$log" "$t0" "$t1" <<'PY'
import json, sys
done = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{") and '"backfill"' in l]
done = [e for e in done if e["state"] == "done"][-1]
print(f"{float(sys.argv[3]) - float(sys.argv[2]):.3f} {done['elapsed_ms'] / 1000:.3f}")
PY
}

RESULTS="$WORK/results.tsv"
: >"$RESULTS"
for rows in $SIZES; do
  reset_table "$rows"
  t0=$(now); "${PSQL[@]}" -c "UPDATE items SET total = price::bigint * qty"; t1=$(now)
  check
  single=$(python3 -c "print(f'{$t1 - $t0:.3f}')")
  reset_table "$rows"
  read -r wall backfill < <(tandem_run "$WORK/tandem-$rows.log")
  check
  echo -e "$rows\t$single\t$wall\t$backfill" | tee -a "$RESULTS" >&2
done

# Under load: pgbench at a fixed rate updates and reads items by id the whole time; the
# backfill of the largest size starts after a baseline period.
rows=$(echo "$SIZES" | tr ' ' '\n' | tail -1)
cat >"$WORK/load.sql" <<SQL
\set id random(1, $rows)
UPDATE items SET qty = qty WHERE id = :id;
SELECT note, total FROM items WHERE id = :id;
SQL
backfill_s=$(awk -v r="$rows" '$1 == r {print $3}' "$RESULTS")
LOADS="$WORK/loads.tsv"
: >"$LOADS"
VARIANTS=("single UPDATE|" "tandem (default, --batch-target 100ms)|--batch-target 100ms"
          "tandem --batch-target 20ms|--batch-target 20ms"
          "tandem --max-rows-per-second $CAP|--max-rows-per-second $CAP")
for variant in "${VARIANTS[@]}"; do
  label=${variant%%|*}
  flags=${variant#*|}
  expected=$(python3 -c "print(max($backfill_s, $rows / $CAP if 'rows-per' in '$flags' else 0))")
  duration=$(python3 -c "import math; print(int(math.ceil(16 + 2 * $expected)))")
  reset_table "$rows"
  rm -f "$WORK"/pgb*
  (cd "$WORK" && pgbench -n -f load.sql -c "$CLIENTS" -j "$CLIENTS" -R "$RATE" -T "$duration" -l \
     --log-prefix=pgb "$URL" >"$WORK/pgbench.out" 2>&1) &
  pgbench_pid=$!
  sleep 10
  m0=$(now)
  if [ -z "$flags" ]; then
    "${PSQL[@]}" -c "UPDATE items SET total = price::bigint * qty"
  else
    # shellcheck disable=SC2086
    tandem_run "$WORK/tandem-load.log" $flags >/dev/null
  fi
  m1=$(now)
  wait "$pgbench_pid" || true
  check
  python3 - "$WORK" "$m0" "$m1" "$label" "$rows" >>"$LOADS" <<'PY'
import glob, sys
work, m0, m1, label, rows = sys.argv[1:]
m0, m1 = float(m0), float(m1)
lat = []  # (completion time, latency ms); with -R, latency includes the schedule lag
for path in glob.glob(work + "/pgb.*"):
    for line in open(path):
        f = line.split()
        if len(f) < 6 or f[2] in ("failed", "skipped"):
            continue
        lat.append((int(f[4]) + int(f[5]) / 1e6, int(f[2]) / 1000))
def p(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")
first = min(e for e, _ in lat)
base = [l for e, l in lat if first + 2 <= e < m0]
# Every transaction that was in flight during the change, also those it blocked until after.
during = [l for e, l in lat if e - l / 1000 < m1 and e >= m0]
print(f"{label}\t{m1 - m0:.2f}\t{int(rows) / (m1 - m0):.0f}\t{len(base)}\t{p(base, .5):.2f}\t{p(base, .99):.2f}\t{len(during)}\t{p(during, .5):.2f}\t{p(during, .99):.2f}\t{max(during):.2f}\t{p(during, .99) / p(base, .99):.2f}")
PY
  tail -1 "$LOADS" >&2
done

python3 - "$RESULTS" "$LOADS" "$rows" "$CLIENTS" "$RATE" <<'PY'
import sys
results, loads, rows, clients, rate = sys.argv[1:]
print("\n## Backfill vs single UPDATE (`total = price::bigint * qty` on every row)\n")
print("| rows | single UPDATE s | rows/s | tandem `up` s | tandem backfill s | backfill rows/s | backfill vs single |")
print("|---|---|---|---|---|---|---|")
speeds = {}
for line in open(results):
    n, single, wall, back = line.split()
    n, single, wall, back = int(n), float(single), float(wall), float(back)
    speeds[n] = n / back
    print(f"| {n:,} | {single:.2f} | {n / single:,.0f} | {wall:.2f} | {back:.2f} | {n / back:,.0f} | {single / back:.2f}x |")
ns = sorted(speeds)
if len(ns) > 1:
    print(f"\nbackfill rows/s at {ns[-1]:,} rows = {speeds[ns[-1]] / speeds[ns[0]]:.2f}x of rows/s at {ns[0]:,} rows")
print(f"\n## Load during the backfill of {int(rows):,} rows: pgbench {clients} clients at {rate} tps (update + read by id)\n")
print("| change | s | rows/s | txns before | p50 before ms | p99 before ms | txns during | p50 during ms | p99 during ms | max during ms | p99 during / before |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for line in open(loads):
    print("| " + " | ".join(line.rstrip("\n").split("\t")) + "x |")
PY
