#!/usr/bin/env bash
# `tandem serve` benchmark: OFREP evaluations per second and their latency, next to nginx 1.22
# returning the same answer as a constant (a ceiling: what answering at all costs on this
# machine), and how long a `tandem flag set` takes to reach an evaluating client.
# One machine, loopback, one worker each, `wrk -t1 -c64 --latency`, flags on SQLite:
#   single  POST /ofrep/v1/evaluate/flags/orders.read_new (a 25 % split, a new targeting key
#           per request: the hash and the targeting run every time)
#   bulk    POST /ofrep/v1/evaluate/flags (all 50 flags, one body)
#   kill    `tandem flag set orders.read_new false`, then curl until the server answers false:
#           the median of 10, with --refresh 1s (the default) and 100ms
# Prints req/s, p50, p99 and the ratios tandem/nginx. Installs nginx-light and wrk from Debian
# when missing; nothing runs as a system service. Usage: bench/serve_bench.sh [--json]
set -euo pipefail
cd "$(dirname "$0")/.."
JSON=0
[ "${1:-}" = "--json" ] && JSON=1
source bench/lib.sh
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
SERVE_PORT="${SERVE_PORT:-18116}"
NGINX_PORT="${NGINX_PORT:-18117}"
WORK="$PWD/bench/.work/serve"
log() { echo "$@" >&2; }
die() {
  log "serve_bench.sh: $*"
  exit 2
}
port_free() { ! (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 200); do
    port_free "$1" || return 0
    sleep 0.05
  done
  return 1
}

missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
if [ -z "${TANDEM:-}" ]; then bench_build; fi

rm -rf "$WORK"
mkdir -p "$WORK/nginx-temp"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
DB="sqlite:$WORK/flags.db"
log "== 50 flags on $DB"
"$TANDEM" --db "$DB" flag set orders.read_new true --percent 25 --deny tenant-0 -q >/dev/null
for i in $(seq 1 49); do
  "$TANDEM" --db "$DB" flag set "feature.f$i" "$((i % 2 == 0))" --type number -q >/dev/null
done

start_serve() {  # REFRESH
  port_free "$SERVE_PORT" || die "port $SERVE_PORT is taken (set SERVE_PORT)"
  "$TANDEM" --db "$DB" serve --listen "127.0.0.1:$SERVE_PORT" --workers 1 --refresh "$1" \
    2>"$WORK/serve.log" &
  SERVE_PID=$!
  PIDS+=("$SERVE_PID")
  wait_port "$SERVE_PORT" || die "tandem serve did not start (see $WORK/serve.log)"
}
stop_serve() {
  kill "$SERVE_PID"
  wait "$SERVE_PID" 2>/dev/null || true
}
start_serve 1s
ONE=$(curl -s -XPOST "127.0.0.1:$SERVE_PORT/ofrep/v1/evaluate/flags/orders.read_new" \
  -d '{"context":{"targetingKey":"tenant-1"}}')
ALL=$(curl -s -XPOST "127.0.0.1:$SERVE_PORT/ofrep/v1/evaluate/flags" -d '{"context":{"targetingKey":"tenant-1"}}')
[[ "$ONE" == *'"key":"orders.read_new"'* ]] || die "tandem serve answered: $ONE"
printf '%s' "$ONE" >"$WORK/one.json"
printf '%s' "$ALL" >"$WORK/all.json"
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user $(id -un) $(id -gn);"
cat >"$WORK/nginx.conf" <<CONF
$user_line
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx-temp/body;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    default_type application/json;
    # The answers as static files; a POST to a file is a 405 that is turned into the file.
    location = /ofrep/v1/evaluate/flags/orders.read_new {
      alias $WORK/one.json;
      error_page 405 =200 \$uri;
    }
    location = /ofrep/v1/evaluate/flags {
      alias $WORK/all.json;
      error_page 405 =200 \$uri;
    }
  }
}
CONF
port_free "$NGINX_PORT" || die "port $NGINX_PORT is taken (set NGINX_PORT)"
"$NGINX" -e "$WORK/nginx-error.log" -p "$WORK" -c "$WORK/nginx.conf" -t -q || die "nginx rejected its config"
"$NGINX" -e "$WORK/nginx-error.log" -p "$WORK" -c "$WORK/nginx.conf" &
PIDS+=($!)
wait_port "$NGINX_PORT" || die "nginx did not start"

to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0;
    else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
declare -A RPS P50 P99
measure() {  # NAME URL
  local out
  wrk -t1 "-c$CONNECTIONS" -d2s -s bench/serve/evaluate.lua "$2" >/dev/null
  out=$(wrk -t1 "-c$CONNECTIONS" "-d${DURATION}s" --latency -s bench/serve/evaluate.lua "$2")
  echo "$out" >"$WORK/wrk-$1.txt"
  if grep -q "Non-2xx" <<<"$out"; then die "$1: non-2xx answers (see $WORK/wrk-$1.txt)"; fi
  RPS[$1]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
  P50[$1]=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
  P99[$1]=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
  log "  $1: ${RPS[$1]} req/s, p50 ${P50[$1]} ms, p99 ${P99[$1]} ms"
}
log "== wrk -t1 -c$CONNECTIONS -d${DURATION}s"
measure tandem_single "http://127.0.0.1:$SERVE_PORT/ofrep/v1/evaluate/flags/orders.read_new"
measure nginx_single "http://127.0.0.1:$NGINX_PORT/ofrep/v1/evaluate/flags/orders.read_new"
measure tandem_bulk "http://127.0.0.1:$SERVE_PORT/ofrep/v1/evaluate/flags"
measure nginx_bulk "http://127.0.0.1:$NGINX_PORT/ofrep/v1/evaluate/flags"
RSS=$(ps -o rss= -p "$SERVE_PID" | tr -d ' ')

# kill REFRESH: the median of 10 flips, from `flag set` returning to the first answer with the
# new value.
declare -A KILL
kill_switch() {
  local refresh="$1" times=() value t0 t1 i
  stop_serve
  start_serve "$refresh"
  for i in $(seq 1 10); do
    value=$([ $((i % 2)) = 1 ] && echo false || echo true)
    "$TANDEM" --db "$DB" flag set orders.read_new "$value" -q >/dev/null
    t0=$(date +%s%N)
    until curl -s -XPOST "127.0.0.1:$SERVE_PORT/ofrep/v1/evaluate/flags/orders.read_new" -d '{}' |
      grep -q "\"value\":$value"; do sleep 0.005; done
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000000)))
  done
  KILL[$refresh]=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  log "  kill switch with --refresh $refresh: median ${KILL[$refresh]} ms (${times[*]})"
}
log "== kill switch: flag set -> first evaluation with the new value"
kill_switch 1s
kill_switch 100ms

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
if ((JSON)); then
  printf '{"tandem_single":{"rps":%s,"p50_ms":%s,"p99_ms":%s},"nginx_single":{"rps":%s,"p50_ms":%s,"p99_ms":%s},' \
    "${RPS[tandem_single]}" "${P50[tandem_single]}" "${P99[tandem_single]}" "${RPS[nginx_single]}" "${P50[nginx_single]}" "${P99[nginx_single]}"
  printf '"tandem_bulk":{"rps":%s,"p50_ms":%s,"p99_ms":%s},"nginx_bulk":{"rps":%s,"p50_ms":%s,"p99_ms":%s},' \
    "${RPS[tandem_bulk]}" "${P50[tandem_bulk]}" "${P99[tandem_bulk]}" "${RPS[nginx_bulk]}" "${P50[nginx_bulk]}" "${P99[nginx_bulk]}"
  printf '"kill_switch_ms":{"refresh_1s":%s,"refresh_100ms":%s},"serve_rss_kb":%s}\n' "${KILL[1s]}" "${KILL[100ms]}" "$RSS"
else
  printf '%-34s %10s %9s %9s\n' case "req/s" "p50 ms" "p99 ms"
  for c in tandem_single nginx_single tandem_bulk nginx_bulk; do
    printf '%-34s %10s %9s %9s\n' "$c" "${RPS[$c]}" "${P50[$c]}" "${P99[$c]}"
  done
  echo "single evaluation, tandem/nginx constant: req/s $(ratio "${RPS[tandem_single]}" "${RPS[nginx_single]}"), p99 $(ratio "${P99[tandem_single]}" "${P99[nginx_single]}")"
  echo "bulk (50 flags), tandem/nginx constant:   req/s $(ratio "${RPS[tandem_bulk]}" "${RPS[nginx_bulk]}"), p99 $(ratio "${P99[tandem_bulk]}" "${P99[nginx_bulk]}")"
  echo "kill switch (flag set -> served), median: ${KILL[1s]} ms with --refresh 1s, ${KILL[100ms]} ms with --refresh 100ms"
  echo "tandem serve RSS after the load: ${RSS} KiB"
fi
