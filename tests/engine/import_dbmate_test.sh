#!/usr/bin/env bash
# Moving over from dbmate, with dbmate itself (from the npm registry, scripts/install-dbmate.sh):
# dbmate migrates a real PostgreSQL database and a SQLite file; tandem then sees dbmate's history
# (status), refuses to run again what dbmate applied (up, plan: exit 2, naming dbmate and
# `tandem import --from dbmate`), imports it (every migration applied, none changed), applies only
# a new file, converges when the import runs again, and leaves dbmate's table as it was.
# Nothing is skipped: without dbmate (or PostgreSQL) the test fails saying how to get it.
# Usage: import_dbmate_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD="$1"
SOURCE="$2"
TANDEM="$BUILD/tandem"
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
[ -n "${TANDEM_TEST_PG_URL:-}" ] && [ -n "${TANDEM_TEST_PG_HOST:-}" ] ||
  fail "TANDEM_TEST_PG_URL/TANDEM_TEST_PG_HOST are not set: run the tests with scripts/test.sh (it starts PostgreSQL 15)"
if ! DBMATE="$(bash "$SOURCE/scripts/install-dbmate.sh" "$BUILD/npm")"; then
  fail "this test needs dbmate: install it with \`bash scripts/install-dbmate.sh $BUILD/npm\` (npm install dbmate from the npm registry; npm comes with scripts/install-deps.sh)"
fi
echo "dbmate: $("$DBMATE" --version)" >&2

WORK="$(mktemp -d)"
DB="tandem_import_dbmate_$$"
ADMIN="$TANDEM_TEST_PG_URL"
cleanup() {
  psql -X -q "$ADMIN" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql -X -q "$ADMIN" -c "CREATE DATABASE $DB" >/dev/null
PG_URL="postgresql://postgres@/$DB?host=$TANDEM_TEST_PG_HOST&port=$TANDEM_TEST_PG_PORT&sslmode=disable"
SQLITE_URL="sqlite:$WORK/app.db"

# A dbmate project: dbmate's markers, which tandem reads as they are.
M="$WORK/db/migrations"
mkdir -p "$M"
cat >"$M/20240101000001_create_users.sql" <<'SQL'
-- migrate:up
CREATE TABLE users (id integer PRIMARY KEY, name text NOT NULL);

-- migrate:down
DROP TABLE users;
SQL
cat >"$M/20240101000002_add_email.sql" <<'SQL'
-- migrate:up
ALTER TABLE users ADD COLUMN email text;
INSERT INTO users (id, name, email) VALUES (1, 'ada', 'ada@example.com');

-- migrate:down
ALTER TABLE users DROP COLUMN email;
SQL
cat >"$M/20240101000003_index_email.sql" <<'SQL'
-- migrate:up
CREATE INDEX users_email ON users (email);

-- migrate:down
DROP INDEX users_email;
SQL

# expect_in TEXT NEEDLE WHAT
expect_in() { grep -qF -- "$2" <<<"$1" || fail "$3: expected \"$2\" in:
$1"; }
# refused WHAT ARGS…: tandem ARGS exits 2 (refused, nothing changed); prints what it said.
refused() {
  local what="$1" out rc=0
  shift
  out="$("$TANDEM" "$@" 2>&1)" || rc=$?
  [ "$rc" = 2 ] || fail "$what exited $rc, not 2: $out"
  echo "$out"
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

check() {  # check NAME URL
  local name="$1" url="$2"
  local t=(--db "$url" --dir "$M")
  # dbmate's table: query it with the backend's client.
  q() {
    if [ "$name" = postgres ]; then psql -X -qAt "$url" -c "$1"; else sqlite3 "${url#sqlite:}" "$1"; fi
  }
  echo "== $name: dbmate up" >&2
  "$DBMATE" --url "$url" --migrations-dir "$M" --no-dump-schema up >/dev/null
  [ "$(q 'SELECT count(*) FROM schema_migrations')" = 3 ] || fail "$name: dbmate did not apply 3 migrations"

  echo "== $name: tandem sees dbmate's history and refuses to run it again" >&2
  local out
  out="$("$TANDEM" "${t[@]}" status)"
  expect_in "$out" "dbmate's history" "$name: status"
  expect_in "$out" "3 applied versions, 3 not in tandem's history" "$name: status"
  [ "$("$TANDEM" "${t[@]}" status --json | json 'd["other_tools"][0]["tool"], d["other_tools"][0]["applied"]')" = "dbmate 3" ] ||
    fail "$name: status --json other_tools"
  for cmd in up plan; do
    out="$(refused "$cmd" "${t[@]}" "$cmd")"
    expect_in "$out" "dbmate already applied 3 of the migrations" "$name: $cmd"
    expect_in "$out" "tandem import --from dbmate" "$name: $cmd"
  done
  [ "$(q 'SELECT count(*) FROM users')" = 1 ] || fail "$name: the refused up changed the data"

  echo "== $name: tandem import --from dbmate" >&2
  out="$("$TANDEM" "${t[@]}" import --from dbmate --dry-run)"
  expect_in "$out" "would import 3 versions dbmate applied" "$name: import --dry-run"
  out="$("$TANDEM" "${t[@]}" import --from dbmate)"
  expect_in "$out" "imported 3 versions dbmate applied" "$name: import"
  local states
  states="$("$TANDEM" "${t[@]}" status --json | json '" ".join(m["state"] for m in d["migrations"]), d["other_tools"][0]["not_in_history"]')"
  [ "$states" = "applied applied applied 0" ] || fail "$name: after import, status says: $states"

  echo "== $name: a new migration: up applies only it" >&2
  cat >"$M/20240102000000_create_audit.sql" <<'SQL'
-- migrate:up
CREATE TABLE audit (id bigint PRIMARY KEY, note text);

-- migrate:down
DROP TABLE audit;
SQL
  out="$("$TANDEM" "${t[@]}" up --json)"
  [ "$(json '" ".join(s["version"] for s in d["migrations"])' <<<"$out")" = 20240102000000 ] ||
    fail "$name: up ran more than the new migration: $out"
  [ "$(q 'SELECT count(*) FROM users')" = 1 ] || fail "$name: users changed"
  out="$("$TANDEM" "${t[@]}" import --from dbmate)"
  expect_in "$out" "imported 0 versions dbmate applied" "$name: import again"
  expect_in "$out" "3 already in tandem's history" "$name: import again"
  [ "$("$TANDEM" "${t[@]}" status --json | json 'd["applied"], d["pending"]')" = "4 0" ] ||
    fail "$name: status after up"
  # dbmate's own table is untouched: dbmate still sees its 3 and the new file as pending.
  [ "$(q 'SELECT count(*) FROM schema_migrations')" = 3 ] || fail "$name: schema_migrations changed"
  out="$("$DBMATE" --url "$url" --migrations-dir "$M" status 2>&1 || true)"
  expect_in "$out" "Applied: 3" "$name: dbmate status"
  rm "$M/20240102000000_create_audit.sql"
}

check postgres "$PG_URL"
check sqlite "$SQLITE_URL"
echo "import from dbmate: ok (PostgreSQL and SQLite)" >&2
