#!/usr/bin/env bash
# Lint benchmark: tandem lint against squawk (squawk-cli from the npm registry), same machine,
# same run, same 10,000-statement corpus (tests/lint/corpus/generate.py over TABLES tables).
# Prints both times (median of RUNS) and their ratio, then — on the rules both have — how many
# statements each flags, and how many only one of them flags.
# Usage: bench/lint_bench.sh        env: RUNS=5 TABLES=154 SQUAWK_VERSION=2.66.0
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-5}"
TABLES="${TABLES:-154}"
SQUAWK_VERSION="${SQUAWK_VERSION:-2.66.0}"
WORK="$PWD/bench/.work/lint"
mkdir -p "$WORK"

# shellcheck source=lib.sh
source bench/lib.sh
bench_build
if [ ! -x "$WORK/npm/node_modules/.bin/squawk" ]; then
  mkdir -p "$WORK/npm"
  (cd "$WORK/npm" && npm install --silent --no-audit --no-fund "squawk-cli@$SQUAWK_VERSION" >/dev/null 2>&1)
fi
SQUAWK="$WORK/npm/node_modules/.bin/squawk"

python3 tests/lint/corpus/generate.py "$TABLES" "$WORK"
statements=$(grep -c ';' "$WORK/corpus.sql")
echo "tandem $("$TANDEM" --version | awk '{print $2}') vs $("$SQUAWK" --version); $statements statements" >&2

# time_runs OUT CMD…: median wall seconds of RUNS runs (exit status ignored: findings exit 1).
time_runs() {
  local out="$1"
  shift
  python3 - "$RUNS" "$out" "$@" <<'PY'
import statistics, subprocess, sys, time
runs, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
times = []
for _ in range(runs):
    t0 = time.perf_counter()
    with open(out, "w") as f:
        subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    times.append(time.perf_counter() - t0)
print(f"{statistics.median(times):.3f}")
PY
}

t_tandem=$(time_runs "$WORK/tandem.json" "$TANDEM" lint "$WORK/setup.sql" "$WORK/corpus.sql" --format json)
t_tandem_text=$(time_runs "$WORK/tandem.txt" "$TANDEM" lint "$WORK/setup.sql" "$WORK/corpus.sql")
t_squawk=$(time_runs "$WORK/squawk.txt" "$SQUAWK" --reporter gcc "$WORK/corpus.sql")

python3 - "$WORK" "$statements" "$t_tandem" "$t_tandem_text" "$t_squawk" <<'PY'
import collections, json, re, sys
work, n, t_json, t_text, t_squawk = sys.argv[1], int(sys.argv[2]), *map(float, sys.argv[3:])
print(f"\n## tandem lint vs squawk: {n:,} statements\n")
print("| tool | seconds (median) | statements/s | vs squawk |")
print("|---|---|---|---|")
for name, t in (("squawk --reporter gcc", t_squawk), ("tandem lint (text)", t_text),
                ("tandem lint --format json", t_json)):
    print(f"| {name} | {t:.3f} | {n / t:,.0f} | {t_squawk / t:.2f}x |")

# Which statements (by line) each flags, per shared concern.
pairs = {
    "index without CONCURRENTLY": ({"index-not-concurrent"},
                                   {"require-concurrent-index-creation", "require-concurrent-index-deletion"}),
    "CONCURRENTLY in a transaction": ({"concurrently-in-transaction"},
                                      {"ban-concurrent-index-creation-in-transaction"}),
    "FK/CHECK without NOT VALID": ({"constraint-not-valid"},
                                   {"adding-foreign-key-constraint", "constraint-missing-not-valid"}),
    "SET NOT NULL": ({"set-not-null"}, {"adding-not-nullable-field"}),
    "UNIQUE without USING INDEX": ({"unique-without-index"}, {"disallowed-unique-constraint"}),
    "column type change": ({"type-change-rewrite"}, {"changing-column-type"}),
    "ADD COLUMN rewriting default": ({"add-column-rewrite"}, {"adding-field-with-default"}),
    "ADD COLUMN NOT NULL, no default": ({"add-column-not-null"}, {"adding-required-field"}),
    "drop/rename column or table": ({"breaking-change"},
                                    {"renaming-column", "renaming-table", "ban-drop-column",
                                     "ban-drop-table", "ban-drop-not-null"}),
    "missing lock_timeout": ({"missing-lock-timeout"}, {"require-lock-timeout", "require-timeout-settings"}),
    "json column": ({"prefer-jsonb"}, {"prefer-jsonb"}),
    "timestamp without time zone": ({"prefer-timestamptz"}, {"prefer-timestamptz"}),
    "char(n)": ({"prefer-text"}, {"ban-char-field"}),
}
tandem = collections.defaultdict(set)
for f in json.load(open(work + "/tandem.json"))["findings"]:
    if f["file"].endswith("corpus.sql"):
        tandem[f["rule"]].add(f["line"])
squawk = collections.defaultdict(set)
for line in open(work + "/squawk.txt"):
    m = re.match(r".*corpus\.sql:(\d+):\d+: \w+: ([a-z0-9-]+) ", line)
    if m:
        squawk[m.group(2)].add(int(m.group(1)) + 1)  # squawk counts lines from 0
print("\n| concern | tandem flags | squawk flags | both | tandem only | squawk only |")
print("|---|---|---|---|---|---|")
for name, (tr, sr) in pairs.items():
    a = set().union(*(tandem[r] for r in tr))
    b = set().union(*(squawk[r] for r in sr))
    print(f"| {name} | {len(a)} | {len(b)} | {len(a & b)} | {len(a - b)} | {len(b - a)} |")
PY
