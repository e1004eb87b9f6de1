#!/usr/bin/env bash
# Fleet benchmark: a rollout over N (1,000) databases on one PostgreSQL server, the "many
# tenants on one server" case. Each database is made from an empty template (CREATE DATABASE …
# STRATEGY FILE_COPY: about 60 ms each, ~7.5 MB each on disk). Then:
#   1. warm-up: `fleet up` of migration 1 at --concurrency 16 (creates each target's history
#      tables too, so it is not comparable to the others; reported apart);
#   2. one more small migration per run, each applied to every target, at each --concurrency
#      in CONCURRENCY — so every measured run does the same work: one migration per target;
#   3. `fleet status` (read only) at the highest concurrency.
# For each: wall time of the whole command (the reachability check of every target included),
# the sum of the targets' own times (target_ms in --json), their mean, and sum / wall (how many
# targets' worth of work ran at once). The server runs with fsync=off: the figures are tandem's
# per-target overhead and its parallelism, not disk flushes.
# Usage: bench/fleet_bench.sh       env: N=1000 CONCURRENCY="1 4 16" WAVE=100
#        TANDEM=path/to/tandem (skip the Release build) PG_PORT=55470
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
N="${N:-1000}"
CONCURRENCY="${CONCURRENCY:-1 4 16}"
WAVE="${WAVE:-100}"
WORK="$ROOT/bench/.work/fleet"
rm -rf "$WORK"
mkdir -p "$WORK/migrations"

# shellcheck source=lib.sh
source bench/lib.sh
if [ -z "${TANDEM:-}" ]; then bench_build; fi
# shellcheck source=../scripts/pg-harness.sh
source scripts/pg-harness.sh
PG_PORT="${PG_PORT:-55470}" pg_start "-c fsync=off -c full_page_writes=off -c max_connections=400" >&2
trap pg_stop EXIT
export PGOPTIONS="-c client_min_messages=warning"
url_of() { echo "$TANDEM_TEST_PG_URL" | sed "s#/postgres?#/$1?#"; }

echo "creating $N databases…" >&2
t0=$(date +%s)
psql "$TANDEM_TEST_PG_URL" -qAtX -v ON_ERROR_STOP=1 -c "CREATE DATABASE fleet_tpl TEMPLATE template0"
for i in $(seq -f "%04g" 1 "$N"); do
  echo "CREATE DATABASE fleet_$i TEMPLATE fleet_tpl STRATEGY FILE_COPY;"
done | psql "$TANDEM_TEST_PG_URL" -qAtX -v ON_ERROR_STOP=1
echo "created in $(($(date +%s) - t0)) s" >&2

{
  echo "targets:"
  for i in $(seq -f "%04g" 1 "$N"); do
    echo "  - { name: db-$i, url: \"$(url_of "fleet_$i")\", labels: { shard: \"$((10#$i % 10))\" } }"
  done
  echo "canary: db-0001"
} >"$WORK/targets.yaml"

migration() {  # migration N: a small table with an index, like a tenant's schema change
  printf -- '-- tandem:up\nCREATE TABLE t%s (id bigint PRIMARY KEY, note text);\nCREATE INDEX t%s_note ON t%s (note);\n-- tandem:down\nDROP TABLE t%s;\n' \
    "$1" "$1" "$1" "$1" >"$WORK/migrations/$(printf %04d "$1")_t$1.sql"
}

# run LABEL ARGS…: one timed fleet command; prints a table row from its --json report.
run() {
  local label="$1"
  shift
  local t0 t1
  t0=$(date +%s%N)
  "$TANDEM" --dir "$WORK/migrations" -q fleet "$@" --targets "$WORK/targets.yaml" --json \
    >"$WORK/out.json" 2>"$WORK/err.log" || { echo "FAILED: $label" >&2; tail -5 "$WORK/err.log" >&2; exit 1; }
  t1=$(date +%s%N)
  python3 - "$label" $(((t1 - t0) / 1000000)) "$WORK/out.json" <<'PY'
import json, sys
label, wall, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
r = json.load(open(path))
n = len(r["targets"])
bad = [t["name"] for t in r["targets"] if t["state"] not in ("done", "up_to_date")]
if bad: sys.exit(f"{label}: targets not done: {bad[:5]}")
s = r["target_ms"]
print(f"| {label} | {n} | {wall / 1000:.1f} s | {s / 1000:.1f} s | {s / n:.1f} ms | {s / wall:.1f} |")
PY
}

echo "| run | targets | wall | sum of per-target times | per-target mean | sum / wall |"
echo "|---|---|---|---|---|---|"
migration 1
run "warm-up: up (history created), --concurrency 16" up --concurrency 16 --wave-size "$WAVE"
m=1
for c in $CONCURRENCY; do
  m=$((m + 1))
  migration "$m"
  run "up, one migration, --concurrency $c" up --concurrency "$c" --wave-size "$WAVE"
done
top="${CONCURRENCY##* }"
run "status (read only), --concurrency $top" status --concurrency "$top"
