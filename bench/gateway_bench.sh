#!/usr/bin/env bash
# Gateway benchmark: what `tandem gateway` costs in front of a backend, next to nginx doing the
# same proxying. One machine, loopback, one worker each, `wrk -t1 -c64 --latency`:
#   (a) backend      nginx serving static head-shaped order lists: /orders (~1 KB), /big (~100 KB)
#   (b) nginx proxy  nginx 1.22, proxy_pass to (a) over an upstream keepalive pool of 64
#   (c) passthrough  tandem gateway with Api-Version: 2026-01-01 (head: no transform applies)
#   (d) transform    tandem gateway with Api-Version: 2024-01-01 on /orders: 2 version steps
#   (e) transform    the same on /big
# Prints req/s, p50 and p99 per case, MB/s (wrk's Transfer/sec) for the 100 KB cases, and the
# ratios the gateway is held to: passthrough / nginx proxy >= 1.2 with a p99 no worse, 1 KB
# transform / passthrough >= 0.7.
#
# Usage: bench/gateway_bench.sh [--json] [--peers-only]
#   --json        print the results as one JSON document on stdout (the table goes to stderr)
#   --peers-only  measure (a) and (b) only (no tandem needed)
# env: TANDEM (default build/tandem), DURATION (seconds per case, 10), WARMUP (seconds, 2),
#      ROUNDS (1: every case is run ROUNDS times, interleaved, and the medians are reported —
#      use 3 or more on a machine that is not quiet), CONNECTIONS (64), BACKEND_PORT (18081), PROXY_PORT (18082), GATEWAY_PORT (18083),
#      ADMIN_PORT (18084)
# Installs nginx-light and wrk from Debian when missing. Both nginx instances run as the current
# user from bench/.work/gateway with their own config: no system service is touched.
set -euo pipefail
cd "$(dirname "$0")/.."

JSON=0
PEERS_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --json) JSON=1 ;;
    --peers-only) PEERS_ONLY=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "gateway_bench.sh: unknown argument $arg (see --help)" >&2
      exit 2
      ;;
  esac
done

TANDEM="${TANDEM:-build/tandem}"
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-2}"
ROUNDS="${ROUNDS:-1}"
CONNECTIONS="${CONNECTIONS:-64}"
BACKEND_PORT="${BACKEND_PORT:-18081}"
PROXY_PORT="${PROXY_PORT:-18082}"
GATEWAY_PORT="${GATEWAY_PORT:-18083}"
ADMIN_PORT="${ADMIN_PORT:-18084}"
HEAD_VERSION="2026-01-01"
OLD_VERSION="2024-01-01"
WORK="$PWD/bench/.work/gateway"

# The results go to stdout unless --json asked for it: then the table goes to stderr.
if ((JSON)); then exec 3>&2; else exec 3>&1; fi
log() { echo "$@" >&2; }
die() {
  log "gateway_bench.sh: $*"
  exit 2
}

# --- peers -----------------------------------------------------------------------------------
install_peers() {
  local missing=()
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
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

# Fails unless TANDEM is a tandem binary that has the gateway command.
check_tandem() {
  [ -x "$TANDEM" ] || die "no tandem binary at TANDEM=$TANDEM (build it, or set TANDEM); \
--peers-only measures nginx alone"
  # `tandem --help` lists the commands (a global --help answers even for an unknown one). grep
  # reads it all: with -q it stops at the match, tandem dies of SIGPIPE, and pipefail fails the
  # check (about 1 run in 5).
  if ! "$TANDEM" --help 2>/dev/null | grep -E '^ +gateway( |$)' >/dev/null; then
    die "$TANDEM has no 'gateway' command (not in '$TANDEM --help'): the gateway is not built \
yet; --peers-only measures nginx alone"
  fi
  TANDEM="$(cd "$(dirname "$TANDEM")" && pwd)/$(basename "$TANDEM")"
}

port_free() { ! (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local i
  for ((i = 0; i < 200; i++)); do
    port_free "$1" || return 0
    sleep 0.05
  done
  return 1
}

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# The order lists the backend serves, head-shaped as GET /orders answers:
# {"data":[…orders…],"has_more":false}, of about 1 KB and 100 KB.
write_bodies() {
  mkdir -p "$WORK/www"
  python3 - "$WORK/www" <<'PY'
import json, os, sys
def order(i):
    return {"id": i, "total_amount": 1000 + i * 37 % 9000, "currency": "USD" if i % 3 else "EUR",
            "status": ["settled", "pending", "refunded"][i % 3], "notes": f"order {i}",
            "items": [{"sku": "A1", "unit_price": 500}, {"sku": f"B{i % 100}", "unit_price": 500 + i % 900}]}
def write(name, size):
    orders = []
    while True:
        orders.append(order(len(orders) + 1))
        text = json.dumps({"data": orders, "has_more": False}, separators=(",", ":"))
        if len(text) >= size:
            break
    with open(os.path.join(sys.argv[1], name), "w") as f:
        f.write(text)
write("orders", 1024)
write("big", 100 * 1024)
PY
}

# nginx NAME PORT HTTP_BLOCK: one nginx master + 1 worker as the current user, config and logs
# in WORK; HTTP_BLOCK is the inside of its http {}.
start_nginx() {
  local name="$1" port="$2" body="$3" conf="$WORK/$1.conf" user_line=""
  # Run as root, nginx would hand its worker to "nobody": keep it the current user.
  [ "$(id -u)" -eq 0 ] && user_line="user $(id -un) $(id -gn);"
  port_free "$port" || die "port $port is taken (set ${name^^}_PORT)"
  mkdir -p "$WORK/$name-temp"
  cat >"$conf" <<EOF
$user_line
worker_processes 1;
daemon off;
pid $WORK/$name.pid;
error_log $WORK/$name-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/$name-temp/body;
  proxy_temp_path $WORK/$name-temp/proxy;
  fastcgi_temp_path $WORK/$name-temp/fastcgi;
  uwsgi_temp_path $WORK/$name-temp/uwsgi;
  scgi_temp_path $WORK/$name-temp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
$body
}
EOF
  "$NGINX" -e "$WORK/$name-error.log" -p "$WORK" -c "$conf" -t -q || die "nginx rejected $conf"
  "$NGINX" -e "$WORK/$name-error.log" -p "$WORK" -c "$conf" &
  PIDS+=($!)
  wait_port "$port" || die "nginx $name did not start (see $WORK/$name-error.log)"
}

start_backend() {
  start_nginx backend "$BACKEND_PORT" "  default_type application/json;
  sendfile on;
  tcp_nopush on;
  server {
    listen 127.0.0.1:$BACKEND_PORT;
    root $WORK/www;
    location / { try_files \$uri =404; }
  }"
}

start_proxy() {
  # Buffers that hold a /big response in memory, so nginx does not spill it to a temp file.
  start_nginx proxy "$PROXY_PORT" "  upstream backend {
    server 127.0.0.1:$BACKEND_PORT;
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$PROXY_PORT;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_buffer_size 16k;
      proxy_buffers 16 16k;
    }
  }"
}

start_gateway() {
  port_free "$GATEWAY_PORT" || die "port $GATEWAY_PORT is taken (set GATEWAY_PORT)"
  port_free "$ADMIN_PORT" || die "port $ADMIN_PORT is taken (set ADMIN_PORT)"
  rm -f "$WORK/gateway.db"
  sed -e "s#127\.0\.0\.1:18081#127.0.0.1:$BACKEND_PORT#" \
    -e "s#^state: .*#state: sqlite:$WORK/gateway.db#" bench/gateway/api.yaml >"$WORK/api.yaml"
  "$TANDEM" gateway --config "$WORK/api.yaml" --listen "127.0.0.1:$GATEWAY_PORT" \
    --admin "127.0.0.1:$ADMIN_PORT" --workers 1 >"$WORK/gateway.log" 2>&1 &
  PIDS+=($!)
  wait_port "$GATEWAY_PORT" || die "tandem gateway did not start (see $WORK/gateway.log)"
}

# check URL [HEADER] GREP: the response is a 200 whose body matches GREP (a wrong answer makes
# a meaningless benchmark).
check() {
  local url="$1" header="$2" want="$3" out
  out=$(curl -sS -o "$WORK/check.body" -w '%{http_code}' ${header:+-H "$header"} "$url") ||
    die "GET $url failed"
  [ "$out" = 200 ] || die "GET $url ${header:+($header) }answered $out: $(head -c 300 "$WORK/check.body")"
  grep -q -- "$want" "$WORK/check.body" ||
    die "GET $url ${header:+($header) }is not what it should be (no '$want'): $(head -c 300 "$WORK/check.body")"
}

# --- measuring -------------------------------------------------------------------------------
declare -A RPS P50 P99 MBS NON2XX ERRORS
CASES=()

# wrk's "1.23ms" / "456.00us" / "1.20s" in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0;
    else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
# wrk's "11.48MB" / "900.00KB" / "1.10GB" in MB/s (10^6 bytes).
to_mbs() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /GB$/) n *= 1073.741824; else if (v ~ /MB$/) n *= 1.048576;
    else if (v ~ /KB$/) n *= 0.001024; else n /= 1e6; printf "%.1f", n }'
}

# measure NAME URL [HEADER]: a warm-up run, then the measured one; appends a line
# "req/s p50 p99 MB/s non-2xx socket-errors" to WORK/samples/NAME.
measure() {
  local name="$1" url="$2" header="${3:-}" out non2xx errors
  local args=(-t1 "-c$CONNECTIONS" --latency)
  [ -n "$header" ] && args+=(-H "$header")
  log "  $name: $url${header:+ ($header)}"
  if ((WARMUP > 0)); then wrk "${args[@]}" "-d${WARMUP}s" "$url" >/dev/null; fi
  out=$(wrk "${args[@]}" "-d${DURATION}s" "$url")
  echo "$out" >>"$WORK/wrk-$name.txt"
  [ -f "$WORK/samples/$name" ] || CASES+=("$name")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
  errors=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' <<<"$out")
  echo "$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")" \
    "$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")" \
    "$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")" \
    "$(to_mbs "$(awk '/^Transfer\/sec:/ { print $2 }' <<<"$out")")" \
    "${non2xx:-0}" "${errors:-0}" >>"$WORK/samples/$name"
}

# Column COL of NAME's samples: the median (the lower one of an even count).
median() { awk -v c="$2" '{ print $c }' "$WORK/samples/$1" | sort -g | awk '{ v[NR] = $1 }
  END { print v[int((NR + 1) / 2)] }'; }
total() { awk -v c="$2" '{ n += $c } END { print n + 0 }' "$WORK/samples/$1"; }

summarize() {
  local name
  for name in "${CASES[@]}"; do
    RPS[$name]=$(median "$name" 1)
    P50[$name]=$(median "$name" 2)
    P99[$name]=$(median "$name" 3)
    MBS[$name]=$(median "$name" 4)
    NON2XX[$name]=$(total "$name" 5)
    ERRORS[$name]=$(total "$name" 6)
  done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "n/a" && a >= b) }'; }

# --- run -------------------------------------------------------------------------------------
install_peers
((PEERS_ONLY)) || check_tandem
mkdir -p "$WORK"
rm -rf "$WORK/samples" "$WORK"/wrk-*.txt
mkdir -p "$WORK/samples"
write_bodies
SIZE_1K=$(stat -c %s "$WORK/www/orders")
SIZE_100K=$(stat -c %s "$WORK/www/big")
log "bodies: /orders $SIZE_1K bytes, /big $SIZE_100K bytes; wrk -t1 -c$CONNECTIONS -d${DURATION}s" \
  "(warm-up ${WARMUP}s), $ROUNDS round(s); $(nproc) cores; $("$NGINX" -v 2>&1 | sed 's/.*: //')"

start_backend
check "http://127.0.0.1:$BACKEND_PORT/orders" "" '"unit_price"'
start_proxy
check "http://127.0.0.1:$PROXY_PORT/big" "" '"unit_price"'
if ((!PEERS_ONLY)); then
  start_gateway
  check "http://127.0.0.1:$GATEWAY_PORT/orders" "Api-Version: $HEAD_VERSION" '"total_amount"'
  check "http://127.0.0.1:$GATEWAY_PORT/orders" "Api-Version: $OLD_VERSION" '"total":'
  check "http://127.0.0.1:$GATEWAY_PORT/big" "Api-Version: $OLD_VERSION" '"price":'
  log "tandem: $("$TANDEM" --version 2>/dev/null || true)"
fi

for ((round = 1; round <= ROUNDS; round++)); do
  log "measuring (round $round of $ROUNDS):"
  measure backend_1k "http://127.0.0.1:$BACKEND_PORT/orders"
  measure backend_100k "http://127.0.0.1:$BACKEND_PORT/big"
  measure nginx_1k "http://127.0.0.1:$PROXY_PORT/orders"
  measure nginx_100k "http://127.0.0.1:$PROXY_PORT/big"
  if ((!PEERS_ONLY)); then
    measure passthrough_1k "http://127.0.0.1:$GATEWAY_PORT/orders" "Api-Version: $HEAD_VERSION"
    measure passthrough_100k "http://127.0.0.1:$GATEWAY_PORT/big" "Api-Version: $HEAD_VERSION"
    measure transform_1k "http://127.0.0.1:$GATEWAY_PORT/orders" "Api-Version: $OLD_VERSION"
    measure transform_100k "http://127.0.0.1:$GATEWAY_PORT/big" "Api-Version: $OLD_VERSION"
  fi
done
summarize

declare -A LABEL=(
  [backend_1k]="(a) backend, nginx static, /orders 1 KB"
  [backend_100k]="(a) backend, nginx static, /big 100 KB"
  [nginx_1k]="(b) nginx proxy_pass, /orders 1 KB"
  [nginx_100k]="(b) nginx proxy_pass, /big 100 KB"
  [passthrough_1k]="(c) tandem passthrough, /orders 1 KB"
  [passthrough_100k]="(c) tandem passthrough, /big 100 KB"
  [transform_1k]="(d) tandem 2-step transform, /orders 1 KB"
  [transform_100k]="(e) tandem 2-step transform, /big 100 KB"
)

RATIOS=()  # "name|value|target|verdict"
add_ratio() { RATIOS+=("$1|$2|$3|$4"); }
if ((!PEERS_ONLY)); then
  r=$(ratio "${RPS[passthrough_1k]}" "${RPS[nginx_1k]}")
  verdict=miss
  if at_least "$r" 1.2 && awk -v a="${P99[passthrough_1k]}" -v b="${P99[nginx_1k]}" \
    'BEGIN { exit !(a <= b) }'; then verdict=ok; fi
  add_ratio "passthrough / nginx proxy (1 KB req/s; p99 ${P99[passthrough_1k]} vs ${P99[nginx_1k]} ms)" \
    "$r" ">= 1.2, p99 no worse" "$verdict"
  r=$(ratio "${RPS[passthrough_100k]}" "${RPS[nginx_100k]}")
  add_ratio "passthrough / nginx proxy (100 KB req/s)" "$r" "" ""
  r=$(ratio "${RPS[transform_1k]}" "${RPS[passthrough_1k]}")
  verdict=miss
  at_least "$r" 0.7 && verdict=ok
  add_ratio "1 KB transform / passthrough (req/s)" "$r" ">= 0.7" "$verdict"
  r=$(ratio "${RPS[transform_100k]}" "${RPS[passthrough_100k]}")
  add_ratio "100 KB transform / passthrough (req/s)" "$r" "" ""
fi
add_ratio "nginx proxy / backend (1 KB req/s)" "$(ratio "${RPS[nginx_1k]}" "${RPS[backend_1k]}")" "" ""

# --- report ----------------------------------------------------------------------------------
{
  printf '\n%-44s %10s %9s %9s %8s %s\n' case req/s "p50 ms" "p99 ms" MB/s errors
  for name in "${CASES[@]}"; do
    errs=""
    ((NON2XX[$name] + ERRORS[$name] > 0)) && errs="non-2xx ${NON2XX[$name]}, socket ${ERRORS[$name]}"
    printf '%-44s %10s %9s %9s %8s %s\n' "${LABEL[$name]}" "${RPS[$name]}" "${P50[$name]}" \
      "${P99[$name]}" "${MBS[$name]}" "$errs"
  done
  printf '\n'
  for row in "${RATIOS[@]}"; do
    IFS='|' read -r what value target verdict <<<"$row"
    printf '%-72s %6s  %s\n' "$what" "$value" "${target:+target $target: $verdict}"
  done
} >&3

if ((JSON)); then
  {
    printf '{"duration_s":%s,"rounds":%s,"connections":%s,"body_bytes":{"orders":%s,"big":%s},"cases":{' \
      "$DURATION" "$ROUNDS" "$CONNECTIONS" "$SIZE_1K" "$SIZE_100K"
    sep=""
    for name in "${CASES[@]}"; do
      printf '%s"%s":{"rps":%s,"p50_ms":%s,"p99_ms":%s,"mb_per_s":%s,"non_2xx":%s,"socket_errors":%s}' \
        "$sep" "$name" "${RPS[$name]}" "${P50[$name]}" "${P99[$name]}" "${MBS[$name]}" \
        "${NON2XX[$name]}" "${ERRORS[$name]}"
      sep=","
    done
    printf '},"ratios":['
    sep=""
    for row in "${RATIOS[@]}"; do
      IFS='|' read -r what value target verdict <<<"$row"
      [ "$value" = n/a ] && value=null
      printf '%s{"what":"%s","value":%s,"target":"%s","verdict":"%s"}' "$sep" "$what" "$value" \
        "$target" "$verdict"
      sep=","
    done
    printf ']}\n'
  }
fi
