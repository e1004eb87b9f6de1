#!/usr/bin/env bash
# The dashboard of `tandem serve` on a large project: 10,000 migrations in the history, 50
# backfill jobs, 300 recorded verify results and 50 flags on a durable PostgreSQL 15.
#   api      GET /api/overview, /api/series, /api/migrations?limit=1000 under
#            `wrk -t1 -c8 --latency`, next to nginx 1.22 serving the same overview as a static
#            file (a ceiling: what answering at all costs here); target p99 < 50 ms
#   cli      `tandem status --json` and `tandem backfill status --json`: what a script polls
#            without the dashboard (one process, one connection, the whole folder read)
#   reader   how long one round of the dashboard's reader takes (tandem_serve_dashboard_read_seconds)
#   browser  the page in chromium-headless-shell (puppeteer-core from the npm registry): load to
#            the 50 backfill rows drawn, then 10 s of live updates (a flag changed every second):
#            the longest main-thread task and how many took over 50 ms
# Usage: bench/serve_dashboard_bench.sh [--json]   (TANDEM=… to measure a binary already built)
set -euo pipefail
cd "$(dirname "$0")/.."
JSON=0
[ "${1:-}" = "--json" ] && JSON=1
source bench/lib.sh
DURATION="${DURATION:-10}"
SERVE_PORT="${SERVE_PORT:-18126}"
NGINX_PORT="${NGINX_PORT:-18127}"
MIGRATIONS="${MIGRATIONS:-10000}"
WORK="$PWD/bench/.work/serve-dashboard"
log() { echo "$@" >&2; }
die() {
  log "serve_dashboard_bench.sh: $*"
  exit 2
}
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[ -x /usr/bin/chromium-headless-shell ] || missing+=(chromium-headless-shell)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
# TANDEM=path/to/tandem measures that binary instead of building one.
if [ -n "${TANDEM:-}" ]; then bench_build() { :; }; fi
bench_setup "${PG_PORT:-54341}"
rm -rf "$WORK"
mkdir -p "$WORK/migrations" "$WORK/nginx-temp"
NPM="$PWD/bench/.work/npm-browser"
if ! [ -d "$NPM/node_modules/puppeteer-core" ]; then
  mkdir -p "$NPM"
  (cd "$NPM" && PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund puppeteer-core@24.43.1) >"$NPM/npm.log" 2>&1 ||
    die "could not install puppeteer-core from the npm registry (see $NPM/npm.log)"
fi
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pg_stop
}
trap cleanup EXIT

log "== $MIGRATIONS migrations in the history (baseline), 50 backfill jobs, 300 verify results, 50 flags"
for i in $(seq 1 "$MIGRATIONS"); do
  printf -- '-- tandem:up\nCREATE TABLE t%d (id int);\n-- tandem:down\nDROP TABLE t%d;\n' "$i" "$i" \
    >"$WORK/migrations/$(printf '%05d' "$i")_t$i.sql"
done
"$TANDEM" --db "$URL" --dir "$WORK/migrations" baseline "$MIGRATIONS" -q >/dev/null
"${PSQL[@]}" <<'SQL'
INSERT INTO tandem.backfill_jobs (id, version, table_name, command, state, rows_done, rows_updated,
  rows_total, batch_size, rows_per_second, started_at, updated_at, finished_at)
SELECT g || '/table_' || g, g::text, 'table_' || g, 'start',
  CASE WHEN g <= 2 THEN 'paused' WHEN g <= 5 THEN 'failed' ELSE 'done' END,
  g * 10000, g * 9000, 500000, 2000, 5000, now() - make_interval(hours => 60 - g),
  now() - make_interval(hours => 59 - g), CASE WHEN g > 5 THEN now() - make_interval(hours => 59 - g) END
FROM generate_series(1, 50) g;
INSERT INTO tandem.events (at, action, version, name, status, duration_ms, applied_by, tandem_version, detail)
SELECT now() - make_interval(mins => 300 - g), 'verify', (9950 + g % 50)::text, 't', CASE WHEN g % 7 = 0 THEN 'mismatches' ELSE 'clean' END,
  1200, 'bench', 'bench',
  json_build_object('summary', 'x', 'rows', 1000000, 'mismatches', CASE WHEN g % 7 = 0 THEN g ELSE 0 END,
    'checks', json_build_array(json_build_object('table', 'table_' || g, 'column', 'c', 'direction', 'up',
      'rows', 1000000, 'mismatches', CASE WHEN g % 7 = 0 THEN g ELSE 0 END,
      'sample_keys', json_build_array('(1)', '(2)', '(3)'))))::text
FROM generate_series(1, 300) g;
SQL
for i in $(seq 1 50); do "$TANDEM" --db "$URL" flag set "feature.f$i" true --percent $((i * 2)) -q >/dev/null; done

"$TANDEM" --db "$URL" --dir "$WORK/migrations" serve --listen "127.0.0.1:$SERVE_PORT" --workers 1 \
  2>"$WORK/serve.log" &
PIDS+=($!)
SERVE_PID=$!
wait_port "$SERVE_PORT" || die "tandem serve did not start (see $WORK/serve.log)"
curl -sf "127.0.0.1:$SERVE_PORT/api/overview" >"$WORK/overview.json" || die "no overview"
grep -q '"total":'"$MIGRATIONS" "$WORK/overview.json" || die "the overview does not hold $MIGRATIONS migrations"
[ "$(grep -o '"id":"[0-9]*/table_' "$WORK/overview.json" | wc -l)" = 50 ] || die "the overview does not hold the 50 jobs"

user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user $(id -un) $(id -gn);"
cat >"$WORK/nginx.conf" <<CONF
$user_line
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx-temp/body;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    default_type application/json;
    location = /api/overview { alias $WORK/overview.json; }
  }
}
CONF
"$NGINX" -e "$WORK/nginx-error.log" -p "$WORK" -c "$WORK/nginx.conf" &
PIDS+=($!)
wait_port "$NGINX_PORT" || die "nginx did not start"

declare -A RPS P50 P99 BYTES
measure() {  # NAME URL
  local out
  out=$(wrk -t1 -c8 "-d${DURATION}s" --latency "$2")
  echo "$out" >"$WORK/wrk-$1.txt"
  if grep -q "Non-2xx" <<<"$out"; then die "$1: non-2xx answers (see $WORK/wrk-$1.txt)"; fi
  RPS[$1]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
  P50[$1]=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
  P99[$1]=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
  BYTES[$1]=$(curl -s "$2" | wc -c)
  log "  $1: ${RPS[$1]} req/s, p50 ${P50[$1]} ms, p99 ${P99[$1]} ms, ${BYTES[$1]} bytes"
}
log "== wrk -t1 -c8 -d${DURATION}s"
measure overview "http://127.0.0.1:$SERVE_PORT/api/overview"
measure series "http://127.0.0.1:$SERVE_PORT/api/series"
measure migrations_1000 "http://127.0.0.1:$SERVE_PORT/api/migrations?limit=1000"
measure nginx_overview "http://127.0.0.1:$NGINX_PORT/api/overview"

log "== the CLI a script would poll instead"
cli_ms() {  # ARGS… : the median of 5 runs, in ms
  local times=() t0 t1
  for _ in 1 2 3 4 5; do
    t0=$(date +%s%N)
    "$TANDEM" --db "$URL" --dir "$WORK/migrations" "$@" >/dev/null
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[3] }'
}
STATUS_MS=$(cli_ms status --json)
BACKFILL_MS=$(cli_ms backfill status --json)
log "  tandem status --json: ${STATUS_MS} ms; tandem backfill status --json: ${BACKFILL_MS} ms"
READ_S=$(curl -s "127.0.0.1:$SERVE_PORT/metrics" | awk '/^tandem_serve_dashboard_read_seconds / { print $2 }')
log "  the dashboard reader's last round: ${READ_S} s"

log "== the page in chromium-headless-shell, 10 s of live updates"
( for i in $(seq 1 12); do
    "$TANDEM" --db "$URL" flag set feature.f1 "$((i % 2 == 0))" --type bool -q >/dev/null 2>&1 || true
    sleep 1
  done ) &
FLIPPER=$!
BROWSER_OUT=$(node bench/serve/page_load.js "$NPM/node_modules" "http://127.0.0.1:$SERVE_PORT/" 10000)
wait "$FLIPPER" 2>/dev/null || true
log "  $BROWSER_OUT"
LOAD_MS=$(sed -E 's/.*"load_ms":([0-9.]+).*/\1/' <<<"$BROWSER_OUT")
LONGEST=$(sed -E 's/.*"longest_task_ms":([0-9.]+).*/\1/' <<<"$BROWSER_OUT")
LONG=$(sed -E 's/.*"long_tasks":([0-9]+).*/\1/' <<<"$BROWSER_OUT")
UPDATES=$(sed -E 's/.*"updates":([0-9]+).*/\1/' <<<"$BROWSER_OUT")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
if ((JSON)); then
  printf '{"migrations":%s,"overview":{"rps":%s,"p50_ms":%s,"p99_ms":%s,"bytes":%s},' "$MIGRATIONS" \
    "${RPS[overview]}" "${P50[overview]}" "${P99[overview]}" "${BYTES[overview]}"
  printf '"series":{"rps":%s,"p99_ms":%s},"migrations_1000":{"rps":%s,"p99_ms":%s},' \
    "${RPS[series]}" "${P99[series]}" "${RPS[migrations_1000]}" "${P99[migrations_1000]}"
  printf '"nginx_overview":{"rps":%s,"p99_ms":%s},"cli_status_ms":%s,"cli_backfill_status_ms":%s,' \
    "${RPS[nginx_overview]}" "${P99[nginx_overview]}" "$STATUS_MS" "$BACKFILL_MS"
  printf '"reader_round_s":%s,"page":{"load_ms":%s,"longest_task_ms":%s,"long_tasks":%s,"updates":%s}}\n' \
    "${READ_S:-null}" "$LOAD_MS" "$LONGEST" "$LONG" "$UPDATES"
else
  printf '%-28s %10s %9s %9s %9s\n' route "req/s" "p50 ms" "p99 ms" bytes
  for c in overview series migrations_1000 nginx_overview; do
    printf '%-28s %10s %9s %9s %9s\n' "$c" "${RPS[$c]}" "${P50[$c]}" "${P99[$c]}" "${BYTES[$c]}"
  done
  echo "overview, tandem/nginx static file: req/s $(ratio "${RPS[overview]}" "${RPS[nginx_overview]}"), p99 $(ratio "${P99[overview]}" "${P99[nginx_overview]}")"
  echo "tandem status --json ${STATUS_MS} ms, backfill status --json ${BACKFILL_MS} ms (per poll, a process each); /api/overview p50 ${P50[overview]} ms"
  echo "dashboard reader round: ${READ_S} s"
  echo "page: drawn in ${LOAD_MS} ms; ${UPDATES} live updates in 10 s; longest main-thread task ${LONGEST} ms, ${LONG} over 50 ms"
fi
