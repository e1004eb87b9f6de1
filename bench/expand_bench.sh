#!/usr/bin/env bash
# Zero-downtime benchmark: schema changes on a ROWS-row table (1,000,000) under a steady OLTP
# load — pgbench, CLIENTS clients, a custom script that updates and reads rows the way the old
# application does — each run through tandem (start + complete) and, in the same run, as the
# naive single ALTER that makes the same change. For each: failed client transactions, the
# longest client-visible stall, and throughput during the change as a share of the load's own
# throughput just before it. Then the dual-write trigger cost: a full-table UPDATE with tandem's
# trigger installed vs none vs a minimal hand-written PL/pgSQL trigger.
#
# pgbench runs for a fixed time (it cannot be stopped early without losing its log), so each
# change first runs once without load to size that time.
# Usage: bench/expand_bench.sh     env: ROWS=1000000 CLIENTS=8 LOCK_TIMEOUT=500ms OPS="…"
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
ROWS="${ROWS:-1000000}"
CLIENTS="${CLIENTS:-8}"
LOCK_TIMEOUT="${LOCK_TIMEOUT:-500ms}"
OPS="${OPS:-add_not_null_default int_to_bigint rename_column add_foreign_key add_unique set_not_null}"
WORK="$ROOT/bench/.work/expand"
rm -rf "$WORK"
mkdir -p "$WORK"

# shellcheck source=lib.sh
source bench/lib.sh
bench_setup 54392

reset_table() {
  "${PSQL[@]}" <<SQL
DROP SCHEMA IF EXISTS tandem CASCADE;
DO \$\$ DECLARE s text; BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname LIKE 'public\_%' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
END \$\$;
DROP SCHEMA public CASCADE;
CREATE SCHEMA public;
CREATE TABLE owners (id int PRIMARY KEY);
INSERT INTO owners SELECT g FROM generate_series(1, 1000) g;
CREATE TABLE accounts (
  id bigint PRIMARY KEY,
  owner_id int NOT NULL,
  balance int NOT NULL,
  email text,
  note text
);
INSERT INTO accounts SELECT g, 1 + g % 1000, g % 10000, 'user' || g || '@example.com', 'n' || g
FROM generate_series(1, $ROWS) g;
VACUUM ANALYZE accounts;
SQL
}

# The old application: update a balance, read a row.
cat >"$WORK/load.sql" <<SQL
\set id random(1, $ROWS)
UPDATE accounts SET balance = balance + 1 WHERE id = :id;
SELECT email, balance FROM accounts WHERE id = :id;
SQL

naive_sql() {
  case "$1" in
    add_not_null_default) echo "ALTER TABLE accounts ADD COLUMN flag boolean NOT NULL DEFAULT false" ;;
    int_to_bigint) echo "ALTER TABLE accounts ALTER COLUMN balance TYPE bigint" ;;
    rename_column) echo "ALTER TABLE accounts RENAME COLUMN note TO memo" ;;
    add_foreign_key) echo "ALTER TABLE accounts ADD CONSTRAINT accounts_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id)" ;;
    add_unique) echo "ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email)" ;;
    set_not_null) echo "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL" ;;
  esac
}

tandem_yaml() {
  echo "operations:"
  case "$1" in
    add_not_null_default) echo "  - add_column: {table: accounts, column: {name: flag, type: boolean, default: 'false'}}" ;;
    int_to_bigint) echo "  - alter_column: {table: accounts, column: balance, type: bigint, up: balance::bigint, down: balance::integer}" ;;
    rename_column) echo "  - rename_column: {table: accounts, from: note, to: memo}" ;;
    add_foreign_key) echo "  - create_constraint: {table: accounts, name: accounts_owner_fk, type: foreign_key, columns: [owner_id], references: {table: owners, columns: [id]}}" ;;
    add_unique) echo "  - create_constraint: {table: accounts, name: accounts_email_key, type: unique, columns: [email]}" ;;
    set_not_null) echo "  - alter_column: {table: accounts, column: email, nullable: false, up: \"coalesce(email, '')\", down: email}" ;;
  esac
}

# change MODE OP: the change itself (no load).
change() {
  if [ "$1" = naive ]; then
    "${PSQL[@]}" -c "$(naive_sql "$2")"
  else
    rm -rf "$WORK/m" && mkdir -p "$WORK/m"
    tandem_yaml "$2" >"$WORK/m/0002_$2.yaml"
    "$TANDEM" --db "$URL" --dir "$WORK/m" -q --lock-timeout "$LOCK_TIMEOUT" --lock-retries 100 start >/dev/null
    "$TANDEM" --db "$URL" --dir "$WORK/m" -q --lock-timeout "$LOCK_TIMEOUT" --lock-retries 100 complete >/dev/null
  fi
}

echo "tandem vs naive ALTER on $ROWS rows under pgbench ($CLIENTS clients); tandem lock_timeout $LOCK_TIMEOUT" >&2
RESULTS="$WORK/results.tsv"
: >"$RESULTS"
for op in $OPS; do
  for mode in naive tandem; do
    reset_table
    t0=$(now); change "$mode" "$op"; t1=$(now)
    dry=$(python3 -c "print($t1 - $t0)")
    reset_table
    duration=$(python3 -c "import math; print(int(math.ceil(6 + 2 * $dry)))")
    rm -f "$WORK"/pgb*
    (cd "$WORK" && pgbench -n -f load.sql -c "$CLIENTS" -j "$CLIENTS" -T "$duration" -l \
       --log-prefix=pgb "$URL" >"$WORK/pgbench.out" 2>"$WORK/pgbench.err") &
    pgbench_pid=$!
    sleep 3
    m0=$(now)
    change "$mode" "$op"
    m1=$(now)
    wait "$pgbench_pid" || true
    python3 - "$WORK" "$m0" "$m1" "$op" "$mode" "$dry" >>"$RESULTS" <<'PY'
import glob, re, sys
work, m0, m1, op, mode, dry = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5], float(sys.argv[6])
done = []  # (completion time, latency s)
for path in glob.glob(work + "/pgb.*"):
    for line in open(path):
        f = line.split()
        if len(f) < 6 or f[2] in ("failed", "skipped"):
            continue
        end = int(f[4]) + int(f[5]) / 1e6
        done.append((end, int(f[2]) / 1e6))
out = open(work + "/pgbench.out").read() + open(work + "/pgbench.err").read()
failed = sum(int(x) for x in re.findall(r"number of failed transactions: (\d+)", out))
failed += len(re.findall(r"aborted", out))
first = min(e - l for e, l in done)
base = [x for x in done if first + 0.5 <= x[0] < m0]
base_tps = len(base) / max(m0 - (first + 0.5), 1e-9)
window = max(m1 - m0, 1.0)  # at least a second, so one lucky gap does not decide it
during = [x for x in done if m0 <= x[0] < m0 + window]
stall = max([l for e, l in done if e >= m0 and e - l <= m1] or [0])
finished_after_load = m1 > max(e for e, _ in done)
print(f"{op}\t{mode}\t{m1 - m0:.2f}\t{failed}\t{stall * 1000:.0f}\t{len(during) / window / base_tps:.2f}\t{base_tps:.0f}\t{'yes' if finished_after_load else ''}")
PY
    tail -1 "$RESULTS" >&2
  done
done

# Dual-write trigger cost: the same full-table UPDATE with no trigger, a minimal PL/pgSQL trigger
# filling a bigint copy of the column, and tandem's trigger (alter_column balance → bigint).
# Each on a fresh table after one full-table rewrite + VACUUM, so every run finds the same
# free space.
timed() { local t0 t1; t0=$(now); "${PSQL[@]}" -c "$1"; t1=$(now); python3 -c "print(f'{$t1 - $t0:.3f}')"; }
prepare_table() { reset_table; "${PSQL[@]}" -c "UPDATE accounts SET note = note" -c "VACUUM accounts"; }
FULL="UPDATE accounts SET balance = balance + 1"
prepare_table
t_none=$(timed "$FULL")
prepare_table
"${PSQL[@]}" <<'SQL'
ALTER TABLE accounts ADD COLUMN balance_big bigint;
CREATE FUNCTION copy_balance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.balance_big := NEW.balance::bigint; RETURN NEW; END $$;
CREATE TRIGGER copy_balance BEFORE INSERT OR UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION copy_balance();
UPDATE accounts SET balance_big = balance;
VACUUM accounts;
SQL
t_plain=$(timed "$FULL")
reset_table
rm -rf "$WORK/m" && mkdir -p "$WORK/m"
tandem_yaml int_to_bigint >"$WORK/m/0002_int_to_bigint.yaml"
"$TANDEM" --db "$URL" --dir "$WORK/m" -q start >/dev/null
"${PSQL[@]}" -c "VACUUM accounts"
t_tandem=$(timed "$FULL")

echo
echo "## Zero-downtime: $ROWS rows, pgbench $CLIENTS clients (update + read by id), tandem lock_timeout $LOCK_TIMEOUT"
echo
echo "| change | how | duration s | failed txns | longest stall ms | throughput vs before | load tps before |"
echo "|---|---|---|---|---|---|---|"
while IFS=$'\t' read -r op mode dur failed stall share tps late; do
  echo "| $op | $mode | $dur${late:+ (load ended first)} | $failed | $stall | $share | $tps |"
done <"$RESULTS"
echo
echo "## Dual-write trigger cost: \`$FULL\` on $ROWS rows"
echo
python3 - "$t_none" "$t_plain" "$t_tandem" "$ROWS" <<'PY'
import sys
none, plain, tandem, rows = map(float, sys.argv[1:])
print("| trigger | seconds | rows/s | speed vs no trigger |")
print("|---|---|---|---|")
for name, t in (("none", none), ("minimal PL/pgSQL copy", plain), ("tandem dual-write", tandem)):
    print(f"| {name} | {t:.2f} | {rows / t:,.0f} | {none / t:.2f}x |")
PY
