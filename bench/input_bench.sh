#!/usr/bin/env bash
# Input limits benchmark (issue 12): what validate and up cost on migration files at and over
# the input limits (tandem.yaml `limits:`, docs/config.md), on SQLite (no server needed).
# Each case: the median wall time of RUNS runs and the largest peak RSS (/usr/bin/time), the
# exit code it must end with (1: validate found a problem; 0: valid / applied).
#   - a 54 MiB declarative file of 512,000 operations: refused unread (default limits), and read
#     with every limit raised (what it cost before the limits);
#   - a declarative file at the operation limit (10,000 operations) and one at the YAML node
#     limit (one create_table of 35,000 columns, about 245,000 nodes);
#   - an SQL file at the size and statement limits (15.4 MiB, 100,000 statements): validate, up;
#   - an SQL file of 200,000 statements (11 MB) with max_statements raised: validate (the split),
#     up.
# Usage: bench/input_bench.sh       env: RUNS=3
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-3}"
WORK="$PWD/bench/.work/input"
mkdir -p "$WORK"

# shellcheck source=lib.sh
source bench/lib.sh
bench_build
echo "tandem $("$TANDEM" --version | awk '{print $2}'); RUNS=$RUNS" >&2

python3 - "$WORK" <<'PY'
import os, sys
w = sys.argv[1]
def folder(name):
    d = os.path.join(w, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    return d
def yaml_ops(name, n):
    with open(os.path.join(folder(name), "0001_big.yaml"), "w") as f:
        f.write("operations:\n  - create_table: {name: t, columns: [{name: id, type: bigint, pk: true}, "
                "{name: note, type: text, nullable: true}]}\n")
        for i in range(1, n):
            f.write(f"  - sql: {{up: \"INSERT INTO t (id, note) VALUES ({i}, 'n{i:08d}')\", "
                    f"down: \"DELETE FROM t WHERE id = {i}\"}}\n")
def sql(name, n, pad):
    with open(os.path.join(folder(name), "0001_big.sql"), "w") as f:
        f.write("-- tandem:up\nCREATE TABLE t (id bigint PRIMARY KEY, note text);\n")
        for i in range(1, n):
            f.write(f"INSERT INTO t (id, note) VALUES ({i}, 'note {i:06d}{pad}');\n")
        f.write("-- tandem:down\nDROP TABLE t;\n")
yaml_ops("yaml512k", 512_000)
yaml_ops("yaml10k", 10_000)
with open(os.path.join(folder("yamlnodes"), "0001_wide.yaml"), "w") as f:
    f.write("operations:\n  - create_table:\n      name: t\n      columns:\n")
    for i in range(35_000):
        f.write(f"        - {{name: c{i}, type: bigint, nullable: true}}\n")
sql("sql100k", 99_999, " " + "x" * 105)
sql("sql200k", 200_000, "")
PY
printf 'limits:\n  max_file_size: 64MiB\n  max_statements: 600000\n  max_operations: 600000\n  max_yaml_nodes: 5000000\n' >"$WORK/raised.yaml"

# measure NAME WANT_EXIT SETUP CMD…: RUNS runs of CMD after SETUP; prints one table row.
measure() {
  local name="$1" want="$2" setup="$3"
  shift 3
  local times=() rss=0
  for ((run = 1; run <= RUNS; run++)); do
    eval "$setup"
    local code=0
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/err" || code=$?
    if [ "$code" != "$want" ]; then
      echo "FAILED: $name exited $code, expected $want" >&2
      cat "$WORK/err" >&2
      exit 1
    fi
    read -r t m < <(tail -n 1 "$WORK/time")  # after "Command exited with non-zero status"
    times+=("$t")
    ((m > rss)) && rss=$m
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
  printf '| %s | %s s | %s MB |\n' "$name" "$median" "$((rss / 1024))"
}

DB="$WORK/bench.db"
fresh="rm -f $DB $DB-wal $DB-shm"
echo "| case (SQLite) | wall (median of $RUNS) | peak RSS |"
echo "|---|---:|---:|"
measure "validate, 54 MiB YAML, 512,000 operations: refused unread" 1 "$fresh" \
  "$TANDEM" --db "sqlite:$DB" --dir "$WORK/yaml512k" validate
measure "validate, the same with every limit raised" 0 "$fresh" \
  "$TANDEM" --config "$WORK/raised.yaml" --db "sqlite:$DB" --dir "$WORK/yaml512k" validate
measure "validate, YAML at the operation limit (10,000 operations, 1.0 MiB)" 0 "$fresh" \
  "$TANDEM" --db "sqlite:$DB" --dir "$WORK/yaml10k" validate
measure "validate, YAML near the node limit (35,000 columns, ~245,000 nodes, 1.8 MiB)" 0 "$fresh" \
  "$TANDEM" --db "sqlite:$DB" --dir "$WORK/yamlnodes" validate
measure "validate, SQL at the limits (15.4 MiB, 100,000 statements)" 0 "$fresh" \
  "$TANDEM" --db "sqlite:$DB" --dir "$WORK/sql100k" validate
measure "up, SQL at the limits (15.4 MiB, 100,000 statements)" 0 "$fresh" \
  "$TANDEM" -q --db "sqlite:$DB" --dir "$WORK/sql100k" up
measure "validate, SQL of 200,000 statements (10.7 MiB), max_statements raised" 0 "$fresh" \
  "$TANDEM" --config "$WORK/raised.yaml" --db "sqlite:$DB" --dir "$WORK/sql200k" validate
measure "up, SQL of 200,000 statements, max_statements raised" 0 "$fresh" \
  "$TANDEM" -q --config "$WORK/raised.yaml" --db "sqlite:$DB" --dir "$WORK/sql200k" up
