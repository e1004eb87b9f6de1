#!/usr/bin/env bash
# `tandem registry` with a real Kafka client: @kafkajs/confluent-schema-registry from the npm
# registry (installed here, once, into BUILD_DIR/npm-registry) registers, fetches, encodes and
# decodes Avro, JSON Schema and Protobuf messages (tests/compat/registry/kafkajs_client.js)
# against one registry on SQLite, then against two registry processes sharing one PostgreSQL
# database, where concurrent registrations through both must get one id.
# Nothing is skipped: without npm or PostgreSQL the test fails saying what to do.
# Usage: registry_kafkajs_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD="$1"
SOURCE="$2"
TANDEM="$BUILD/tandem"
VERSION=3.3.0
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
[ -n "${TANDEM_TEST_PG_URL:-}" ] && [ -n "${TANDEM_TEST_PG_HOST:-}" ] ||
  fail "TANDEM_TEST_PG_URL/TANDEM_TEST_PG_HOST are not set: run the tests with scripts/test.sh (it starts PostgreSQL 15)"
command -v node >/dev/null 2>&1 || fail "node is not installed: scripts/install-deps.sh installs it"

MODULES="$BUILD/npm-registry"
PKG="$MODULES/node_modules/@kafkajs/confluent-schema-registry/package.json"
if ! [ -f "$PKG" ] || ! grep -q "\"version\": \"$VERSION\"" "$PKG"; then
  mkdir -p "$MODULES"
  (cd "$MODULES" && npm install --no-audit --no-fund "@kafkajs/confluent-schema-registry@$VERSION") \
    >"$MODULES/npm.log" 2>&1 ||
    fail "could not install @kafkajs/confluent-schema-registry@$VERSION from the npm registry (npm's output: $MODULES/npm.log); check the network or npm's proxy settings"
fi

WORK="$(mktemp -d)"
DB="tandem_registry_test_$$"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -X -q "$TANDEM_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# start_registry DB_URL LOG: starts `tandem registry` on a free port; sets REGISTRY to its URL.
start_registry() {
  local log="$2" pid
  "$TANDEM" --db "$1" registry --listen 127.0.0.1:0 --workers 3 2>"$log" &
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 100); do
    if grep -q "serving http://" "$log"; then
      REGISTRY="$(sed -n 's/.*serving \(http:\/\/[^ ]*\).*/\1/p' "$log" | head -1)"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$log" >&2
  fail "tandem registry did not start"
}

echo "== one registry on SQLite" >&2
start_registry "sqlite:$WORK/registry.db" "$WORK/sqlite.log"
URL="$REGISTRY"
node "$SOURCE/tests/compat/registry/kafkajs_client.js" "$MODULES/node_modules" "$URL" ||
  fail "the client failed against the SQLite registry (its log: $(cat "$WORK/sqlite.log"))"

echo "== two registries on one PostgreSQL database" >&2
psql -X -q "$TANDEM_TEST_PG_URL" -c "CREATE DATABASE $DB" >/dev/null
PG_URL="postgresql://postgres@/$DB?host=$TANDEM_TEST_PG_HOST&port=$TANDEM_TEST_PG_PORT&sslmode=disable"
start_registry "$PG_URL" "$WORK/pg1.log"
URL1="$REGISTRY"
start_registry "$PG_URL" "$WORK/pg2.log"
URL2="$REGISTRY"
node "$SOURCE/tests/compat/registry/kafkajs_client.js" "$MODULES/node_modules" "$URL1" "$URL2" ||
  fail "the client failed against the PostgreSQL registries"
# The state is in the database: a registry started afterwards answers the same.
start_registry "$PG_URL" "$WORK/pg3.log"
subjects() { node -e "fetch('$1/subjects').then(r => r.text()).then(t => console.log(t))"; }
[ "$(subjects "$REGISTRY")" = "$(subjects "$URL1")" ] && [ "$(subjects "$URL1")" != "[]" ] ||
  fail "a third registry on the same database lists other subjects"
echo "registry_kafkajs: ok" >&2
