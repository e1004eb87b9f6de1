#!/usr/bin/env bash
# `tandem serve` with OpenFeature's real SDKs from the npm registry (installed here, once, into
# BUILD_DIR/npm-ofrep): @openfeature/server-sdk + @openfeature/ofrep-provider and
# @openfeature/web-sdk + @openfeature/ofrep-web-provider evaluate tandem's flags, see a change
# within one poll interval and fall back when `tandem serve` is gone
# (tests/flags/ofrep_openfeature.js) — on SQLite, then on PostgreSQL.
# Nothing is skipped: without npm or PostgreSQL the test fails saying what to do.
# Usage: ofrep_openfeature_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD="$1"
SOURCE="$2"
TANDEM="$BUILD/tandem"
PACKAGES=(@openfeature/server-sdk@1.23.0 @openfeature/ofrep-provider@0.1.3 @openfeature/ofrep-core@0.1.4
          @openfeature/web-sdk@1.10.0 @openfeature/ofrep-web-provider@0.4.3)
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
[ -n "${TANDEM_TEST_PG_URL:-}" ] && [ -n "${TANDEM_TEST_PG_HOST:-}" ] ||
  fail "TANDEM_TEST_PG_URL/TANDEM_TEST_PG_HOST are not set: run the tests with scripts/test.sh (it starts PostgreSQL 15)"
command -v node >/dev/null 2>&1 || fail "node is not installed: scripts/install-deps.sh installs it"

MODULES="$BUILD/npm-ofrep"
STAMP="$MODULES/.installed-$(echo "${PACKAGES[*]}" | md5sum | cut -c1-12)"
if ! [ -f "$STAMP" ]; then
  mkdir -p "$MODULES"
  (cd "$MODULES" && npm install --no-audit --no-fund "${PACKAGES[@]}") >"$MODULES/npm.log" 2>&1 ||
    fail "could not install ${PACKAGES[*]} from the npm registry (npm's output: $MODULES/npm.log); check the network or npm's proxy settings"
  touch "$STAMP"
fi

WORK="$(mktemp -d)"
DB="tandem_ofrep_test_$$"
cleanup() {
  psql -X -q "$TANDEM_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== OpenFeature SDKs, flags on SQLite" >&2
node "$SOURCE/tests/flags/ofrep_openfeature.js" "$MODULES/node_modules" "$TANDEM" "sqlite:$WORK/flags.db" ||
  fail "the OpenFeature SDKs failed against tandem serve on SQLite"

echo "== OpenFeature SDKs, flags on PostgreSQL" >&2
psql -X -q "$TANDEM_TEST_PG_URL" -c "CREATE DATABASE $DB" >/dev/null
PG_URL="postgresql://postgres@/$DB?host=$TANDEM_TEST_PG_HOST&port=$TANDEM_TEST_PG_PORT&sslmode=disable"
node "$SOURCE/tests/flags/ofrep_openfeature.js" "$MODULES/node_modules" "$TANDEM" "$PG_URL" ||
  fail "the OpenFeature SDKs failed against tandem serve on PostgreSQL"
echo "ofrep_openfeature: ok" >&2
