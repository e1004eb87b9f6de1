#!/usr/bin/env bash
# The dashboard in a real browser: Debian's chromium-headless-shell driven by puppeteer-core 24
# (installed here from the npm registry, once, into BUILD_DIR/npm-browser) against a real
# `tandem serve` on a real PostgreSQL with an active migration whose backfill runs in a real
# `tandem start`, and a real `tandem gateway` (with the tests' backend) whose deprecated version
# is still called by a client (tests/serve/dashboard_browser_test.js). Screenshots are kept in
# BUILD_DIR/screenshots (with TANDEM_UPDATE_SCREENSHOTS=1 also copied to docs/img/).
# Nothing is skipped: without the browser, npm or PostgreSQL the test fails saying what to do.
# Usage: dashboard_browser_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD="$1"
SOURCE="$2"
PACKAGES=(puppeteer-core@24.43.1)
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
[ -n "${TANDEM_TEST_PG_URL:-}" ] && [ -n "${TANDEM_TEST_PG_HOST:-}" ] ||
  fail "TANDEM_TEST_PG_URL/TANDEM_TEST_PG_HOST are not set: run the tests with scripts/test.sh (it starts PostgreSQL 15)"
command -v node >/dev/null 2>&1 || fail "node is not installed: scripts/install-deps.sh installs it"
BROWSER="${TANDEM_BROWSER:-/usr/bin/chromium-headless-shell}"
[ -x "$BROWSER" ] || fail "$BROWSER is missing: scripts/install-deps.sh installs Debian's chromium-headless-shell"

MODULES="$BUILD/npm-browser"
STAMP="$MODULES/.installed-$(echo "${PACKAGES[*]}" | md5sum | cut -c1-12)"
if ! [ -f "$STAMP" ]; then
  mkdir -p "$MODULES"
  # The browser is Debian's: puppeteer-core downloads none.
  (cd "$MODULES" && PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund "${PACKAGES[@]}") \
    >"$MODULES/npm.log" 2>&1 ||
    fail "could not install ${PACKAGES[*]} from the npm registry (npm's output: $MODULES/npm.log); check the network or npm's proxy settings"
  touch "$STAMP"
fi

WORK="$(mktemp -d)"
DB="tandem_dashboard_browser_$$"
cleanup() {
  psql -X -q "$TANDEM_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql -X -q "$TANDEM_TEST_PG_URL" -c "CREATE DATABASE $DB" >/dev/null
PG_URL="postgresql://postgres@/$DB?host=$TANDEM_TEST_PG_HOST&port=$TANDEM_TEST_PG_PORT&sslmode=disable"
SHOTS="$BUILD/screenshots"
mkdir -p "$SHOTS"
node "$SOURCE/tests/serve/dashboard_browser_test.js" \
  --modules "$MODULES/node_modules" --browser "$BROWSER" --tandem "$BUILD/tandem" \
  --backend "$BUILD/tandem_test_backend" --db "$PG_URL" --source "$SOURCE" --work "$WORK" \
  --shots "$SHOTS" || fail "the dashboard failed in the browser (screenshots in $SHOTS)"
if [ "${TANDEM_UPDATE_SCREENSHOTS:-0}" = 1 ]; then
  mkdir -p "$SOURCE/docs/img"
  cp "$SHOTS"/dashboard-*.png "$SOURCE/docs/img/"
fi
echo "dashboard_browser: ok" >&2
