#!/usr/bin/env bash
# Registry benchmark: what `tandem registry` sustains on this machine, on PostgreSQL (a durable
# server of the benchmark's own) and on SQLite, with 4 workers:
#   (a) distinct   1000 new schemas, each in its own subject, 8 clients at once (no check)
#   (b) evolve     200 compatible versions of one subject, one after another, BACKWARD (each
#                  checked against the latest) and FULL_TRANSITIVE (each against every one
#                  before it, both ways: the cost grows with the history)
#   (c) read       GET /schemas/ids/{id} (what a consumer asks on a cache miss) with wrk -t1
#                  -c32, next to nginx serving the same document as a static file: the HTTP
#                  floor of this machine. Confluent Schema Registry itself (Java) is neither in
#                  Debian nor on the npm registry, so it cannot be installed here to compare.
# Usage: bench/registry_bench.sh        env: DURATION (seconds per read case, 10)
# Installs wrk and nginx-light from Debian when missing; Node runs the registration clients.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
DURATION="${DURATION:-10}"
WORK="$PWD/bench/.work/registry"
rm -rf "$WORK"
mkdir -p "$WORK"

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

bench_setup 55441
PIDS=()
stop_all() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  pg_stop
}
trap stop_all EXIT

# start_registry DB_URL NAME: sets REGISTRY to its URL.
start_registry() {
  "$TANDEM" --db "$1" registry --listen 127.0.0.1:0 --workers 4 2>"$WORK/$2.log" &
  PIDS+=("$!")
  for _ in $(seq 1 100); do
    REGISTRY="$(sed -n 's/.*serving \(http:\/\/[^ ]*\).*/\1/p' "$WORK/$2.log" | head -1)"
    [ -n "$REGISTRY" ] && return 0
    sleep 0.1
  done
  cat "$WORK/$2.log" >&2
  exit 1
}

# wrk's requests/s and p99 for URL: "RPS P99".
read_rate() {
  wrk -t1 -c32 -d2 "$1" >/dev/null 2>&1 || true  # warm-up
  wrk -t1 -c32 -d"${DURATION}" --latency "$1" >"$WORK/wrk.txt" 2>&1
  local rps p99
  rps="$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")"
  p99="$(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")"
  grep -q "Non-2xx" "$WORK/wrk.txt" && { cat "$WORK/wrk.txt" >&2; echo "non-2xx answers" >&2; exit 1; }
  echo "$rps $p99"
}

field() { node -e "console.log(JSON.parse(process.argv[1])[process.argv[2]].toFixed(1))" "$1" "$2"; }

declare -A RESULT
for backend in postgres sqlite; do
  if [ "$backend" = postgres ]; then
    start_registry "$URL" postgres
  else
    start_registry "sqlite:$WORK/registry.db" sqlite
  fi
  base="$REGISTRY"
  echo "== $backend: $base" >&2
  out="$(node bench/registry/register.js "$base" distinct 1000 8)"
  RESULT[$backend.distinct]="$(field "$out" per_second)"
  out="$(node bench/registry/register.js "$base" evolve 200 BACKWARD)"
  RESULT[$backend.backward]="$(field "$out" per_second)"
  out="$(node bench/registry/register.js "$base" evolve 200 FULL_TRANSITIVE)"
  RESULT[$backend.transitive]="$(field "$out" per_second)"
  read -r rps p99 < <(read_rate "$base/schemas/ids/1")
  RESULT[$backend.read]="$rps"
  RESULT[$backend.p99]="$p99"
  curl -sf "$base/schemas/ids/1" >"$WORK/schema-1.json"
done

# nginx serving the same document: the floor an HTTP server on this machine reaches.
mkdir -p "$WORK/www/schemas/ids"
cp "$WORK/schema-1.json" "$WORK/www/schemas/ids/1"
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user $(id -un) $(id -gn);"
cat >"$WORK/nginx.conf" <<CONF
$user_line
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/vnd.schemaregistry.v1+json;
  server { listen 127.0.0.1:18091; root $WORK/www; }
}
CONF
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/nginx-error.log" &
PIDS+=("$!")
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:18091/schemas/ids/1" >/dev/null && break; sleep 0.1; done
read -r nginx_rps nginx_p99 < <(read_rate "http://127.0.0.1:18091/schemas/ids/1")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "tandem registry, 4 workers, $(nproc) cores, loopback (registrations/s; reads req/s, p99)"
printf "%-44s %12s %12s\n" "case" "PostgreSQL" "SQLite"
printf "%-44s %12s %12s\n" "(a) 1000 new schemas, 8 clients" "${RESULT[postgres.distinct]}" "${RESULT[sqlite.distinct]}"
printf "%-44s %12s %12s\n" "(b) 200 versions of one subject, BACKWARD" "${RESULT[postgres.backward]}" "${RESULT[sqlite.backward]}"
printf "%-44s %12s %12s\n" "(b) 200 versions, FULL_TRANSITIVE" "${RESULT[postgres.transitive]}" "${RESULT[sqlite.transitive]}"
printf "%-44s %12s %12s\n" "(c) GET /schemas/ids/1, req/s" "${RESULT[postgres.read]}" "${RESULT[sqlite.read]}"
printf "%-44s %12s %12s\n" "(c) p99" "${RESULT[postgres.p99]}" "${RESULT[sqlite.p99]}"
printf "%-44s %12s  (p99 %s)\n" "(c) nginx, the same document as a file" "$nginx_rps" "$nginx_p99"
printf "%-44s %12s %12s\n" "(c) registry / nginx" "$(ratio "${RESULT[postgres.read]}" "$nginx_rps")" "$(ratio "${RESULT[sqlite.read]}" "$nginx_rps")"
