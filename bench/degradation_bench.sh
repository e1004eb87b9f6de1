#!/usr/bin/env bash
# Degradation benchmark: what `tandem gateway` answers while its upstream is down or overloaded,
# next to nginx configured for the same. One machine, loopback, one worker each; the backends
# are tests/gateway/backend/test_backend.cc (built here with c++).
#
#   (A) outage. wrk -t1 -c64 on GET /orders, a cached route, for DURATION seconds. Two test
#       backends sit behind both proxies; in the middle of the run both are SIGKILLed and,
#       OUTAGE seconds later, restarted on the same ports (OUTAGE_MODE=down|reset|hang|error
#       switches them with POST /_fault instead, and back to ok). Both proxies keep an answer
#       fresh for 1 s and may serve it stale on an error for 10 minutes:
#         nginx   two upstream servers, proxy_cache_valid 200 1s, proxy_cache_use_stale error
#                 timeout http_500 http_502 http_503 http_504 updating, proxy_next_upstream error
#                 timeout http_502 http_503 http_504 (default max_fails=1 fail_timeout=10s)
#         tandem  targets: [both], cache: { ttl: 1s, stale_if_error: 10m }, health_check every
#                 1 s, breaker (5 failures, open 2 s up to 10 s), retry: { attempts: 1 }
#                 (bench/degradation/outage.yaml); and again with stale_while_revalidate: 10m,
#                 tandem's counterpart of nginx's `updating` (an expired answer is served while
#                 one request refreshes it, instead of every request waiting on the upstream)
#       Both: connect timeout 2 s, upstream timeout 5 s. Every answer is counted by a wrk Lua
#       script (bench/degradation/count.lua): the share of 2xx among all answers and wrk socket
#       errors, the share served stale, wrk's p50 and p99.
#
#   (B) overload. One test backend with --capacity 8 --work-ms 20: it works 8 requests at a
#       time for 20 ms each, about 400 requests/s; beyond that they queue in it. Critical
#       traffic, GET /orders/1, arrives at 1/4 of that (100/s) for OVERLOAD_DURATION seconds;
#       sheddable traffic, GET /work, brings the total to LOAD_FACTOR (3) times the capacity
#       (1100/s). It starts after OVERLOAD_WARMUP seconds of critical traffic alone (what the
#       upstream answers without load). Four proxies, one at a time:
#         tandem shedding   concurrency: { limit: adaptive }, /orders/{id} critical, /work
#                           sheddable (bench/degradation/overload.yaml)
#         tandem no limit   the same without `concurrency`: nothing is shed
#         nginx             proxy_pass, nothing is shed
#         nginx limit_conn  limit_conn LIMIT_CONN (6) on /work, 503 beyond: a fixed cap of the
#                           sheddable requests in flight, tuned by hand to this backend (8 slots
#                           minus the ~2 critical requests in flight) — nginx's nearest feature
#       Load method: wrk keeps a fixed number of connections busy (closed loop), so a slow
#       server lowers the load it gets, and fixed request rates need wrk2, which Debian lacks.
#       bench/degradation/loadgen.cc is a small open-loop generator instead (one process per
#       class, both at once): request k is due at start + k/rate whatever the answers do, goes
#       out on one of a bounded set of keep-alive connections (critical 64, sheddable 128: the
#       client fleet's connection pools; what the proxies can hold in flight without shedding,
#       and so the unprotected latency, grows with them) and waits in the generator when all
#       are busy. Latency counts from the time a request was due (no coordinated omission); an
#       answer later than CLIENT_TIMEOUT_MS (5000, the proxies' upstream timeout) is a timeout.
#       Its clients do not honour Retry-After: shedding has to hold against load that keeps
#       coming. Measured per class: share of 2xx among the requests due, p50, p99.
#
# Prints both tables and the ratios: 2xx share tandem / nginx, p99 tandem / nginx (below 1:
# tandem's is lower). The per-second timelines, tandem's /metrics and every log stay in
# bench/.work/degradation.
#
# Usage: bench/degradation_bench.sh [--json] [--only outage|overload]
#   --json   print the results as one JSON document on stdout (the tables go to stderr)
#   --only   run one of the two cases
# env: TANDEM (default: built by bench/lib.sh into build-bench), DURATION (seconds of the outage
#      run, 25), OUTAGE (seconds of the outage, 10), OUTAGE_MODE (kill), WARMUP (seconds of wrk
#      before the outage run, 2), CONNECTIONS (wrk's, 64), OVERLOAD_DURATION (seconds measured
#      per overload case, 15), OVERLOAD_WARMUP (3), LOAD_FACTOR (3), LIMIT_CONN (6),
#      CLIENT_TIMEOUT_MS (5000), BACKEND_PORT (18181, and the next one), PROXY_PORT (18183),
#      GATEWAY_PORT (18184), ADMIN_PORT (18185)
# Installs nginx-light, wrk, curl and python3 from Debian when missing. nginx, tandem and the
# backends run as the current user from bench/.work/degradation; no system service is touched.
# About 3 minutes with the defaults (after the build).
set -euo pipefail
cd "$(dirname "$0")/.."

JSON=0
ONLY=""
while (($#)); do
  case "$1" in
    --json) JSON=1 ;;
    --only)
      ONLY="${2:-}"
      shift
      ;;
    --only=*) ONLY="${1#--only=}" ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "degradation_bench.sh: unknown argument $1 (see --help)" >&2
      exit 2
      ;;
  esac
  shift
done
case "$ONLY" in
  "" | outage | overload) ;;
  *)
    echo "degradation_bench.sh: --only takes outage or overload, not '$ONLY'" >&2
    exit 2
    ;;
esac

DURATION="${DURATION:-25}"
OUTAGE="${OUTAGE:-10}"
OUTAGE_MODE="${OUTAGE_MODE:-kill}"
WARMUP="${WARMUP:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
OVERLOAD_DURATION="${OVERLOAD_DURATION:-15}"
OVERLOAD_WARMUP="${OVERLOAD_WARMUP:-3}"
LOAD_FACTOR="${LOAD_FACTOR:-3}"
LIMIT_CONN="${LIMIT_CONN:-6}"
CLIENT_TIMEOUT_MS="${CLIENT_TIMEOUT_MS:-5000}"
BACKEND_PORT="${BACKEND_PORT:-18181}"
BACKEND2_PORT=$((BACKEND_PORT + 1))
PROXY_PORT="${PROXY_PORT:-18183}"
GATEWAY_PORT="${GATEWAY_PORT:-18184}"
ADMIN_PORT="${ADMIN_PORT:-18185}"
# The overloaded backend: 8 slots of 20 ms, 400 requests/s; critical traffic at a quarter of it.
CAPACITY=8
WORK_MS=20
CAPACITY_RPS=$((CAPACITY * 1000 / WORK_MS))
CRITICAL_RATE=$((CAPACITY_RPS / 4))
SHEDDABLE_RATE=$((CAPACITY_RPS * LOAD_FACTOR - CRITICAL_RATE))
CRITICAL_CONNECTIONS=64
SHEDDABLE_CONNECTIONS=128
WORK="$PWD/bench/.work/degradation"

case "$OUTAGE_MODE" in
  kill | down | reset | hang | error) ;;
  *)
    echo "degradation_bench.sh: OUTAGE_MODE is kill, down, reset, hang or error" >&2
    exit 2
    ;;
esac
((OUTAGE < DURATION)) || {
  echo "degradation_bench.sh: OUTAGE ($OUTAGE) must be shorter than DURATION ($DURATION)" >&2
  exit 2
}

# The results go to stdout unless --json asked for it: then the tables go to stderr.
if ((JSON)); then exec 3>&2; else exec 3>&1; fi
log() { echo "$@" >&2; }
die() {
  log "degradation_bench.sh: $*"
  exit 2
}

# --- tools -----------------------------------------------------------------------------------
install_peers() {
  local missing=()
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  command -v c++ >/dev/null 2>&1 || missing+=(g++)
  [ -f /usr/include/boost/beast.hpp ] || missing+=(libboost1.81-dev)
  [ -f /usr/include/nlohmann/json.hpp ] || missing+=(nlohmann-json3-dev)
  if ((${#missing[@]})); then
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    log "installing: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
  NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
}

# build_tool NAME SOURCE: compiles a one-file program of the benchmark into WORK when its source
# is newer than the binary (the test backend is a test target, not built by bench/lib.sh).
build_tool() {
  local bin="$WORK/$1" src="$2"
  if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
    log "building $1 from $src"
    c++ -std=c++20 -O2 "$src" -o "$bin.tmp" -pthread || die "$src did not compile"
    mv "$bin.tmp" "$bin"
  fi
}

# Fails unless TANDEM is a tandem binary that has the gateway command.
check_tandem() {
  [ -x "$TANDEM" ] || die "no tandem binary at TANDEM=$TANDEM"
  # (grep reads it all: with -q it would stop early and SIGPIPE tandem, a failure to pipefail.)
  if ! "$TANDEM" --help 2>/dev/null | grep -E '^ +gateway( |$)' >/dev/null; then
    die "$TANDEM has no 'gateway' command (not in '$TANDEM --help')"
  fi
  TANDEM="$(cd "$(dirname "$TANDEM")" && pwd)/$(basename "$TANDEM")"
}

# --- processes -------------------------------------------------------------------------------
port_free() { ! (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local i
  for ((i = 0; i < 200; i++)); do
    port_free "$1" || return 0
    sleep 0.05
  done
  return 1
}

# Every process this script started and has not reaped yet; NAME → pid for the ones it stops
# itself. A pid leaves PIDS as soon as it is reaped, so cleanup never signals a reused pid.
PIDS=()
declare -A PID_OF
spawn() { # spawn NAME LOGFILE COMMAND...
  local name="$1" logfile="$2"
  shift 2
  "$@" >"$logfile" 2>&1 &
  PID_OF[$name]=$!
  PIDS+=($!)
}
forget() {
  local pid="$1" keep=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}
# reap NAME: waits for NAME to exit by itself.
reap() {
  local pid="${PID_OF[$1]:-}"
  [ -n "$pid" ] || return 0
  wait "$pid" 2>/dev/null || true
  unset "PID_OF[$1]"
  forget "$pid"
}
# halt NAME [SIGNAL]: stops NAME (SIGTERM unless told) and waits for it.
halt() {
  local pid="${PID_OF[$1]:-}"
  [ -n "$pid" ] || return 0
  kill "-${2:-TERM}" "$pid" 2>/dev/null || true
  reap "$1"
}
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# start_backend NAME PORT [OPTION...]: a test backend on PORT. It runs a thread per connection
# and keeps working requests whose client left; its open files are limited to 1024 (a common
# default), so that an overload without shedding holds ~1000 threads in it, not tens of
# thousands on a machine others share (it refuses further connections: they wait in the kernel's
# accept queue, then time out).
start_backend() {
  local name="$1" port="$2"
  shift 2
  port_free "$port" || die "port $port is taken (set BACKEND_PORT)"
  spawn "$name" "$WORK/$name.log" bash -c 'ulimit -n 1024 && exec "$@"' backend \
    "$WORK/test_backend" --port "$port" --name "$name" "$@"
  wait_port "$port" || die "backend $name did not start (see $WORK/$name.log)"
}

# start_nginx HTTP_BLOCK: nginx master + 1 worker as the current user on PROXY_PORT, config and
# logs in WORK; HTTP_BLOCK is the inside of its http {}.
start_nginx() {
  local conf="$WORK/nginx.conf" user_line=""
  # Run as root, nginx would hand its worker to "nobody": keep it the current user.
  [ "$(id -u)" -eq 0 ] && user_line="user $(id -un) $(id -gn);"
  port_free "$PROXY_PORT" || die "port $PROXY_PORT is taken (set PROXY_PORT)"
  rm -rf "$WORK/nginx-temp" "$WORK/nginx-cache"
  mkdir -p "$WORK/nginx-temp" "$WORK/nginx-cache"
  cat >"$conf" <<EOF
$user_line
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx-temp/body;
  proxy_temp_path $WORK/nginx-temp/proxy;
  fastcgi_temp_path $WORK/nginx-temp/fastcgi;
  uwsgi_temp_path $WORK/nginx-temp/uwsgi;
  scgi_temp_path $WORK/nginx-temp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_connect_timeout 2s;
  proxy_send_timeout 5s;
  proxy_read_timeout 5s;
$1
}
EOF
  "$NGINX" -e "$WORK/nginx-error.log" -p "$WORK" -c "$conf" -t -q || die "nginx rejected $conf"
  spawn proxy "$WORK/nginx-run.log" "$NGINX" -e "$WORK/nginx-error.log" -p "$WORK" -c "$conf"
  wait_port "$PROXY_PORT" || die "nginx did not start (see $WORK/nginx-error.log)"
}

# start_gateway CONFIG [SED_EXPRESSION]: tandem gateway on a copy of CONFIG with this run's
# ports and state path (and the sed expression applied).
start_gateway() {
  port_free "$GATEWAY_PORT" || die "port $GATEWAY_PORT is taken (set GATEWAY_PORT)"
  port_free "$ADMIN_PORT" || die "port $ADMIN_PORT is taken (set ADMIN_PORT)"
  rm -f "$WORK/gateway.db"
  sed -e "s#127\.0\.0\.1:18181#127.0.0.1:$BACKEND_PORT#" \
    -e "s#127\.0\.0\.1:18182#127.0.0.1:$BACKEND2_PORT#" \
    -e "s#^state: .*#state: sqlite:$WORK/gateway.db#" -e "${2:-}" "$1" >"$WORK/gateway.yaml"
  "$TANDEM" api check --config "$WORK/gateway.yaml" >/dev/null || die "tandem refused $1"
  spawn gateway "$WORK/gateway.log" "$TANDEM" gateway --config "$WORK/gateway.yaml" \
    --listen "127.0.0.1:$GATEWAY_PORT" --admin "127.0.0.1:$ADMIN_PORT" --workers 1
  wait_port "$GATEWAY_PORT" || die "tandem gateway did not start (see $WORK/gateway.log)"
}

# check URL GREP: the answer is a 200 whose body matches GREP (a wrong answer makes a
# meaningless benchmark).
check() {
  local out
  out=$(curl -sS -o "$WORK/check.body" -w '%{http_code}' "$1") || die "GET $1 failed"
  [ "$out" = 200 ] || die "GET $1 answered $out: $(head -c 300 "$WORK/check.body")"
  grep -q -- "$2" "$WORK/check.body" || die "GET $1 is not what it should be (no '$2')"
}

# R holds every figure measured: load PREFIX FILE sets R[PREFIX.member] for each member of the
# JSON object on FILE's last line (objects and arrays as JSON text).
declare -A R
load() {
  local key value
  while IFS=$'\t' read -r key value; do R[$1.$key]=$value; done < <(python3 - "$2" <<'PY'
import json, sys
for key, v in json.loads(open(sys.argv[1]).read().splitlines()[-1]).items():
    print(key, json.dumps(v, separators=(",", ":")) if isinstance(v, (dict, list)) else v, sep="\t")
PY
  )
}

pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", 100 * a / b; else print "n/a" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# --- (A) outage ------------------------------------------------------------------------------
fault() { # fault MODE: switches both backends' fault mode
  local port
  for port in "$BACKEND_PORT" "$BACKEND2_PORT"; do
    curl -sS -o /dev/null -X POST "http://127.0.0.1:$port/_fault" -d "{\"mode\":\"$1\"}" ||
      die "POST /_fault to $port failed"
  done
}

outage_begin() {
  if [ "$OUTAGE_MODE" = kill ]; then
    halt b1 KILL
    halt b2 KILL
  else
    fault "$OUTAGE_MODE"
  fi
}

outage_end() {
  if [ "$OUTAGE_MODE" = kill ]; then
    start_backend b1 "$BACKEND_PORT"
    start_backend b2 "$BACKEND2_PORT"
  else
    fault ok
  fi
}

# measure_outage NAME URL: wrk on URL for DURATION s with the outage in its middle.
measure_outage() {
  local name="$1" url="$2" file="$WORK/outage-$1.txt" at t0
  at=$(awk -v d="$DURATION" -v o="$OUTAGE" 'BEGIN { printf "%.1f", (d - o) / 2 }')
  log "  $name: wrk -t1 -c$CONNECTIONS -d${DURATION}s $url; outage ($OUTAGE_MODE) from ${at}s for ${OUTAGE}s"
  if ((WARMUP > 0)); then wrk -t1 "-c$CONNECTIONS" "-d${WARMUP}s" "$url" >/dev/null; fi
  t0=$(date +%s.%N)
  spawn wrk "$file" wrk -t1 "-c$CONNECTIONS" "-d${DURATION}s" --timeout 10s --latency \
    -s bench/degradation/count.lua "$url"
  sleep "$at"
  outage_begin
  log "    outage began at $(awk -v t="$(date +%s.%N)" -v t0="$t0" 'BEGIN { printf "%.1f", t - t0 }')s"
  sleep "$OUTAGE"
  outage_end
  log "    backends back at $(awk -v t="$(date +%s.%N)" -v t0="$t0" 'BEGIN { printf "%.1f", t - t0 }')s"
  reap wrk
  grep -q '^RESULT ' "$file" || die "wrk printed no result (see $file)"
  sed -n 's/^RESULT //p' "$file" >"$WORK/outage-$name.json"
  load "outage.$name" "$WORK/outage-$name.json"
  log "    per second [answers, non-2xx, stale]: ${R[outage.$name.timeline]}"
}

run_outage() {
  log "(A) outage:"
  start_backend b1 "$BACKEND_PORT"
  start_backend b2 "$BACKEND2_PORT"
  start_nginx "  proxy_cache_path $WORK/nginx-cache levels=1 keys_zone=orders:1m inactive=10m
                   use_temp_path=off;
  upstream backends {
    server 127.0.0.1:$BACKEND_PORT;
    server 127.0.0.1:$BACKEND2_PORT;
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$PROXY_PORT;
    location / {
      proxy_pass http://backends;
      proxy_next_upstream error timeout http_502 http_503 http_504;
      proxy_cache orders;
      proxy_cache_valid 200 1s;
      proxy_cache_use_stale error timeout http_500 http_502 http_503 http_504 updating;
      add_header X-Cache-Status \$upstream_cache_status always;
    }
  }"
  check "http://127.0.0.1:$PROXY_PORT/orders" '"total_amount"'
  measure_outage nginx "http://127.0.0.1:$PROXY_PORT/orders"
  halt proxy
  halt b1
  halt b2

  local name
  for name in tandem tandem_swr; do
    start_backend b1 "$BACKEND_PORT"
    start_backend b2 "$BACKEND2_PORT"
    if [ "$name" = tandem ]; then
      start_gateway bench/degradation/outage.yaml
    else
      start_gateway bench/degradation/outage.yaml \
        's/stale_if_error: 10m }/stale_if_error: 10m, stale_while_revalidate: 10m }/'
    fi
    check "http://127.0.0.1:$GATEWAY_PORT/orders" '"total_amount"'
    measure_outage "$name" "http://127.0.0.1:$GATEWAY_PORT/orders"
    curl -sS "http://127.0.0.1:$ADMIN_PORT/metrics" >"$WORK/outage-$name-metrics.txt" || true
    log "    $name: $(grep -E '^tandem_gateway_(cache_total|degraded_total|target_ejections_total|retries_total|no_target_total|upstream_errors_total)' \
      "$WORK/outage-$name-metrics.txt" | tr '\n' ' ')"
    halt gateway
    halt b1
    halt b2
  done
}

# --- (B) overload ----------------------------------------------------------------------------
OVERLOAD_CASES=()

# measure_overload NAME PORT: both classes at once against the proxy on PORT.
measure_overload() {
  local name="$1" port="$2" class before after gen=(--timeout-ms "$CLIENT_TIMEOUT_MS")
  log "  $name: critical GET /orders/1 at $CRITICAL_RATE/s, sheddable GET /work at $SHEDDABLE_RATE/s after ${OVERLOAD_WARMUP}s, ${OVERLOAD_DURATION}s"
  OVERLOAD_CASES+=("$name")
  before=$(curl -sS "http://127.0.0.1:$BACKEND_PORT/stats")
  spawn critical "$WORK/overload-$name-critical.json" "$WORK/loadgen" \
    --url "http://127.0.0.1:$port/orders/1" --rate "$CRITICAL_RATE" --warmup "$OVERLOAD_WARMUP" \
    --duration "$OVERLOAD_DURATION" --connections "$CRITICAL_CONNECTIONS" "${gen[@]}"
  sleep "$OVERLOAD_WARMUP"
  spawn sheddable "$WORK/overload-$name-sheddable.json" "$WORK/loadgen" \
    --url "http://127.0.0.1:$port/work" --rate "$SHEDDABLE_RATE" \
    --duration "$OVERLOAD_DURATION" --connections "$SHEDDABLE_CONNECTIONS" "${gen[@]}"
  if [ -n "${PID_OF[gateway]:-}" ]; then
    # tandem's limit, requests in flight and shed counts once a second, while the load runs.
    : >"$WORK/overload-$name-metrics.txt"
    while kill -0 "${PID_OF[sheddable]}" 2>/dev/null; do
      { echo "# $(date +%T.%N | cut -c1-12)"
        curl -sS "http://127.0.0.1:$ADMIN_PORT/metrics" |
          grep -E '^tandem_gateway_(concurrency_limit|upstream_in_flight|shed_total)' || true
      } >>"$WORK/overload-$name-metrics.txt"
      sleep 1
    done
    log "    tandem's concurrency limit, once a second: $(awk '/^tandem_gateway_concurrency_limit/ { printf "%s ", $NF }' \
      "$WORK/overload-$name-metrics.txt")"
  fi
  reap critical
  reap sheddable
  after=$(curl -sS "http://127.0.0.1:$BACKEND_PORT/stats")
  # What the backend received in the run (the /stats request itself aside), and the most requests
  # it held at once (in a slot or waiting for one).
  python3 -c 'import json, sys
b, a = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps({"requests": a["requests"] - b["requests"] - 1, "max_in_flight": a["max_in_flight"]}))' \
    "$before" "$after" >"$WORK/overload-$name-backend.json"
  load "overload.$name.backend" "$WORK/overload-$name-backend.json"
  for class in critical sheddable; do
    local k="overload.$name.$class"
    load "$k" "$WORK/overload-$name-$class.json"
    log "    $class: ${R[$k.ok]} of ${R[$k.due]} 2xx, status ${R[$k.status]}, timeouts ${R[$k.timeouts]}, errors ${R[$k.errors]}"
    log "    $class per second [due, 2xx, p99 ms]: ${R[$k.timeline]}"
  done
}

nginx_overload() { # nginx_overload [LIMIT]: nginx in front of the overloaded backend
  local limit_zone="" limit=""
  if [ -n "${1:-}" ]; then
    # One key for every request to /work: the cap is on the route, not on a client address.
    limit_zone="map \$host \$sheddable_route { default work; }
  limit_conn_zone \$sheddable_route zone=sheddable:1m;"
    limit="limit_conn sheddable $1;
      limit_conn_status 503;
      limit_conn_log_level info;"
  fi
  start_nginx "  $limit_zone
  upstream backend {
    server 127.0.0.1:$BACKEND_PORT;
    keepalive 256;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$PROXY_PORT;
    location / { proxy_pass http://backend; }
    location /work {
      $limit
      proxy_pass http://backend;
    }
  }"
}

run_overload() {
  local name
  log "(B) overload: backend --capacity $CAPACITY --work-ms $WORK_MS (~$CAPACITY_RPS requests/s)"
  for name in tandem_shedding tandem_no_limit nginx_proxy nginx_limit_conn; do
    start_backend b1 "$BACKEND_PORT" --capacity "$CAPACITY" --work-ms "$WORK_MS"
    case "$name" in
      tandem_shedding) start_gateway bench/degradation/overload.yaml ;;
      tandem_no_limit) start_gateway bench/degradation/overload.yaml '/^  concurrency:/d' ;;
      nginx_proxy) nginx_overload ;;
      nginx_limit_conn) nginx_overload "$LIMIT_CONN" ;;
    esac
    local port="$PROXY_PORT"
    [ -n "${PID_OF[gateway]:-}" ] && port="$GATEWAY_PORT"
    check "http://127.0.0.1:$port/orders/1" '"total_amount"'
    check "http://127.0.0.1:$port/work" '"ok"'
    measure_overload "$name" "$port"
    halt gateway
    halt proxy
    halt b1
  done
}

# --- run -------------------------------------------------------------------------------------
install_peers
if [ -z "${TANDEM:-}" ]; then
  # shellcheck source=lib.sh
  source bench/lib.sh
  log "building tandem (bench/lib.sh: build-bench, Release)"
  bench_build
fi
check_tandem
mkdir -p "$WORK"
rm -f "$WORK"/outage-* "$WORK"/overload-*
build_tool test_backend tests/gateway/backend/test_backend.cc
build_tool loadgen bench/degradation/loadgen.cc
log "$(nproc) cores; $("$NGINX" -v 2>&1 | sed 's/.*: //'); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2);" \
  "tandem: $("$TANDEM" --version 2>/dev/null || true)"

[ "$ONLY" = overload ] || run_outage
[ "$ONLY" = outage ] || run_overload

# --- report ----------------------------------------------------------------------------------
declare -A LABEL=(
  [nginx]="nginx proxy_cache + use_stale"
  [tandem]="tandem cache + stale_if_error"
  [tandem_swr]="tandem, + stale_while_revalidate"
  [tandem_shedding]="tandem, adaptive limit (shedding)"
  [tandem_no_limit]="tandem, no limit"
  [nginx_proxy]="nginx"
  [nginx_limit_conn]="nginx + limit_conn $LIMIT_CONN on /work"
)
# Outage: every request wrk made is an answer or a socket error.
for name in nginx tandem tandem_swr; do
  [ -n "${R[outage.$name.answers]:-}" ] || continue
  k="outage.$name"
  R[$k.requests]=$((R[$k.answers] + R[$k.socket_errors]))
  R[$k.ok_pct]=$(pct "${R[$k.ok]}" "${R[$k.requests]}")
  R[$k.stale_pct]=$(pct "${R[$k.stale]}" "${R[$k.requests]}")
done
for name in "${OVERLOAD_CASES[@]}"; do
  for class in critical sheddable; do
    k="overload.$name.$class"
    R[$k.ok_pct]=$(pct "${R[$k.ok]}" "${R[$k.due]}")
  done
done

RATIOS=() # "what|value"
if [ "$ONLY" != overload ]; then
  for what in "2xx share|ok_pct" "p99|p99_ms"; do
    for name in tandem tandem_swr; do
      RATIOS+=("outage, ${what%|*}: ${LABEL[$name]} / nginx|$(ratio \
        "${R[outage.$name.${what#*|}]}" "${R[outage.nginx.${what#*|}]}")")
    done
  done
fi
if [ "$ONLY" != outage ]; then
  for what in "2xx share|ok_pct" "p99|p99_ms"; do
    for peer in nginx_proxy nginx_limit_conn tandem_no_limit; do
      RATIOS+=("overload, critical ${what%|*}: tandem shedding / ${LABEL[$peer]}|$(ratio \
        "${R[overload.tandem_shedding.critical.${what#*|}]}" "${R[overload.$peer.critical.${what#*|}]}")")
    done
  done
fi

{
  if [ "$ONLY" != overload ]; then
    printf '\n(A) outage: GET /orders, wrk -t1 -c%s, %ss, both backends %s for %ss in the middle\n' \
      "$CONNECTIONS" "$DURATION" \
      "$([ "$OUTAGE_MODE" = kill ] && echo killed || echo "in fault mode $OUTAGE_MODE")" "$OUTAGE"
    printf '%-36s %9s %8s %8s %9s %9s %9s  %s\n' case requests "2xx %" "stale %" "p50 ms" \
      "p99 ms" "max ms" "non-2xx, socket errors"
    for name in nginx tandem tandem_swr; do
      k="outage.$name"
      printf '%-36s %9s %8s %8s %9s %9s %9s  %s\n' "${LABEL[$name]}" "${R[$k.requests]}" \
        "${R[$k.ok_pct]}" "${R[$k.stale_pct]}" "${R[$k.p50_ms]}" "${R[$k.p99_ms]}" \
        "${R[$k.max_ms]}" "${R[$k.non_2xx]}, ${R[$k.socket_errors]}"
    done
  fi
  if [ "$ONLY" != outage ]; then
    printf '\n(B) overload: a backend of ~%s requests/s; critical %s/s + sheddable %s/s, %ss\n' \
      "$CAPACITY_RPS" "$CRITICAL_RATE" "$SHEDDABLE_RATE" "$OVERLOAD_DURATION"
    printf '%-36s %-10s %7s %8s %9s %9s  %s\n' case class due "2xx %" "p50 ms" "p99 ms" \
      "answers by status; timeouts"
    for name in "${OVERLOAD_CASES[@]}"; do
      label="${LABEL[$name]}"
      for class in critical sheddable; do
        k="overload.$name.$class"
        printf '%-36s %-10s %7s %8s %9s %9s  %s\n' "$label" "$class" "${R[$k.due]}" \
          "${R[$k.ok_pct]}" "${R[$k.p50_ms]}" "${R[$k.p99_ms]}" \
          "${R[$k.status]}; ${R[$k.timeouts]}"
        label=""
      done
      k="overload.$name.backend"
      printf '%-36s %-10s %s\n' "" backend "received $(awk -v n="${R[$k.requests]}" \
        -v s="$((OVERLOAD_DURATION + OVERLOAD_WARMUP))" 'BEGIN { printf "%.0f", n / s }')/s, at most ${R[$k.max_in_flight]} in it at once"
    done
  fi
  printf '\n'
  for row in "${RATIOS[@]}"; do
    IFS='|' read -r what value <<<"$row"
    printf '%-80s %6s\n' "$what" "$value"
  done
} >&3

if ((JSON)); then
  # The measured objects as loadgen and count.lua printed them, and the ratios.
  {
    printf '{"cores":%s,"outage":{' "$(nproc)"
    if [ "$ONLY" != overload ]; then
      printf '"mode":"%s","duration_s":%s,"outage_s":%s,"connections":%s' "$OUTAGE_MODE" \
        "$DURATION" "$OUTAGE" "$CONNECTIONS"
      for name in nginx tandem tandem_swr; do
        printf ',"%s":%s' "$name" "$(cat "$WORK/outage-$name.json")"
      done
    fi
    printf '},"overload":{'
    if [ "$ONLY" != outage ]; then
      printf '"duration_s":%s,"capacity_rps":%s,"critical_rps":%s,"sheddable_rps":%s' \
        "$OVERLOAD_DURATION" "$CAPACITY_RPS" "$CRITICAL_RATE" "$SHEDDABLE_RATE"
      for name in "${OVERLOAD_CASES[@]}"; do
        printf ',"%s":{"backend":%s,"critical":%s,"sheddable":%s}' "$name" \
          "$(cat "$WORK/overload-$name-backend.json")" "$(cat "$WORK/overload-$name-critical.json")" \
          "$(cat "$WORK/overload-$name-sheddable.json")"
      done
    fi
    printf '},"ratios":['
    sep=""
    for row in "${RATIOS[@]}"; do
      IFS='|' read -r what value <<<"$row"
      [ "$value" = n/a ] && value=null
      printf '%s{"what":"%s","value":%s}' "$sep" "$what" "$value"
      sep=","
    done
    printf ']}\n'
  }
fi
