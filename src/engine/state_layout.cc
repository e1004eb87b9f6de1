// tandem's own tables: their layout, and the upgrades from each earlier layout.

#include <fmt/format.h>

#include "engine/state.h"
#include "tandem/version.h"

namespace tandem {

namespace {

// The history and event tables as layout 1 created them (the file stats came with layout 2).
std::vector<std::string> base_ddl(bool pg, const std::string& m, const std::string& e,
                                  const std::string& meta) {
  std::string ts = pg ? "timestamptz" : "text";
  std::string id =
      pg ? "bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT";
  std::vector<std::string> out;
  if (pg) out.push_back("CREATE SCHEMA IF NOT EXISTS tandem");
  out.push_back(fmt::format(R"(CREATE TABLE IF NOT EXISTS {m} (
  version            text PRIMARY KEY,
  name               text NOT NULL,
  checksum           text NOT NULL,
  status             text NOT NULL,
  direction          text NOT NULL DEFAULT 'up',
  applied_at         {ts} NOT NULL,
  duration_ms        bigint NOT NULL DEFAULT 0,
  applied_by         text NOT NULL,
  tandem_version     text NOT NULL,
  transactional      integer NOT NULL DEFAULT 1,
  statements_applied integer NOT NULL DEFAULT 0,
  statements_total   integer NOT NULL DEFAULT 0,
  error              text,
  failed_statement   text
))",
                            fmt::arg("m", m), fmt::arg("ts", ts)));
  out.push_back(fmt::format(R"(CREATE TABLE IF NOT EXISTS {e} (
  id                 {id},
  at                 {ts} NOT NULL,
  action             text NOT NULL,
  version            text,
  name               text,
  checksum           text,
  status             text,
  duration_ms        bigint,
  applied_by         text,
  tandem_version     text,
  statements_applied integer,
  statements_total   integer,
  error              text,
  failed_statement   text,
  detail             text
))",
                            fmt::arg("e", e), fmt::arg("ts", ts), fmt::arg("id", id)));
  out.push_back(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (key text PRIMARY KEY, value text NOT NULL)", meta));
  return out;
}

// PostgreSQL's tables for two live versions and backfills (created lazily by layout 1).
std::vector<std::string> postgres_ddl() {
  return {
      "CREATE TABLE IF NOT EXISTS tandem.active (version text PRIMARY KEY, name text NOT NULL, "
      "file text NOT NULL, checksum text NOT NULL, previous text NOT NULL, created_previous "
      "boolean NOT NULL, step text NOT NULL, statements_done integer NOT NULL DEFAULT 0, "
      "started_at timestamptz NOT NULL DEFAULT now(), base text, backfill text)",
      // Layout 1 added these to an existing table later.
      "ALTER TABLE tandem.active ADD COLUMN IF NOT EXISTS base text, ADD COLUMN IF NOT EXISTS "
      "backfill text",
      "CREATE TABLE IF NOT EXISTS tandem.version_schemas (schema_name text PRIMARY KEY, version "
      "text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
      "CREATE TABLE IF NOT EXISTS tandem.backfill_jobs (id text PRIMARY KEY, version text NOT "
      "NULL, table_name text NOT NULL, command text NOT NULL, state text NOT NULL, throttled "
      "text NOT NULL DEFAULT '', rows_done bigint NOT NULL DEFAULT 0, rows_updated bigint NOT "
      "NULL DEFAULT 0, rows_total bigint NOT NULL DEFAULT 0, batch_size bigint NOT NULL DEFAULT "
      "0, rows_per_second float8 NOT NULL DEFAULT 0, checkpoint text, error text, runner text, "
      "runner_pid integer, runner_started timestamptz, started_at timestamptz NOT NULL DEFAULT "
      "now(), updated_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz, settings "
      "text)",
      // What a job runs with (its throttles), kept so that continuing it keeps them.
      "ALTER TABLE tandem.backfill_jobs ADD COLUMN IF NOT EXISTS settings text"};
}

constexpr const char* kFileColumns[] = {"file_size", "file_mtime_ns", "file_ctime_ns",
                                        "file_inode"};

}  // namespace

Result<bool> State::exists() {
  const char* sql =
      pg_ ? "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = 'tandem' AND tablename = "
            "'migrations'"
          : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tandem_migrations'";
  TANDEM_ASSIGN_OR_RETURN(db::Rows r, conn_.query(sql));
  return !r.empty();
}

Result<int> State::layout() {
  if (layout_ >= 0) return layout_;
  // Both tables in one lookup: on SQLite each lookup scans the schema table (10,000 rows in a
  // database of 10,000 tables).
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows tables,
      conn_.query(pg_ ? "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = 'tandem' "
                        "AND tablename IN ('migrations', 'meta')"
                      : "SELECT substr(name, 8) FROM sqlite_master WHERE type = 'table' AND "
                        "name IN ('tandem_migrations', 'tandem_meta')"));
  bool history = false, has_meta = false;
  for (size_t i = 0; i < tables.size(); ++i) {
    history = history || tables.text(i, 0) == "migrations";
    has_meta = has_meta || tables.text(i, 0) == "meta";
  }
  if (!history) return 0;
  if (!has_meta) return 1;  // the first releases kept no layout version
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows v,
      conn_.query(fmt::format("SELECT value FROM {} WHERE key = 'state_version'", meta_)));
  if (v.empty()) return 1;
  std::optional<long long> n = db::to_integer(v.text(0, 0));
  if (!n || *n < 1) {
    return Status::Database(fmt::format("{} holds state_version '{}'", meta_, v.text(0, 0)), "",
                            "tandem's state looks damaged; restore it from a backup");
  }
  // Kept, as declared: each lookup above scans SQLite's schema table, which in a database of
  // 10,000 tables costs milliseconds, and load() asks again.
  layout_ = static_cast<int>(*n);
  return layout_;
}

Result<bool> State::has_column(const std::string& table, const std::string& column) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r,
      pg_ ? conn_.query("SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = $1::regclass AND "
                        "attname = $2 AND NOT attisdropped",
                        {table, column})
          : conn_.query("SELECT 1 FROM pragma_table_info($1) WHERE name = $2", {table, column}));
  return !r.empty();
}

Status State::upgrade_step(int to, const std::vector<std::string>& sql) {
  // SQLite callers already hold BEGIN IMMEDIATE: the step joins it.
  std::optional<db::Transaction> tx;
  if (pg_) {
    TANDEM_ASSIGN_OR_RETURN(db::Transaction t, db::Transaction::begin(conn_));
    tx.emplace(std::move(t));
  }
  for (const std::string& one : sql) TANDEM_RETURN_IF_ERROR(conn_.execute(one));
  TANDEM_RETURN_IF_ERROR(
      conn_
          .query(fmt::format("INSERT INTO {} (key, value) VALUES ('state_version', $1) ON "
                             "CONFLICT (key) DO UPDATE SET value = excluded.value",
                             meta_),
                 {std::to_string(to)})
          .status());
  if (tx) TANDEM_RETURN_IF_ERROR(tx->commit());
  layout_ = to;
  return Status::Ok();
}

Status State::adopt_version_schemas() {
  // Schemas an earlier tandem made before it recorded them: `<schema>_<digits>` beside an
  // existing schema, holding nothing but views. A user's schema with anything else in it is
  // never adopted (and so never dropped).
  return conn_.execute(
      "INSERT INTO tandem.version_schemas (schema_name, version) "
      "SELECT n.nspname, substring(n.nspname from '_([0-9]+)$') FROM pg_catalog.pg_namespace n "
      "WHERE n.nspname ~ '^.+_[0-9]+$' AND EXISTS (SELECT 1 FROM pg_catalog.pg_namespace b "
      "WHERE b.nspname = substring(n.nspname from '^(.+)_[0-9]+$')) "
      "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid AND "
      "c.relkind <> 'v') "
      "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.pronamespace = n.oid) "
      "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type t WHERE t.typnamespace = n.oid AND "
      "t.typrelid = 0 AND t.typcategory <> 'A') "
      "ON CONFLICT DO NOTHING");
}

Status State::ensure() {
  TANDEM_ASSIGN_OR_RETURN(int have, layout());
  if (have > kLayout) {
    return Status::InvalidInput(
        fmt::format("tandem's state in this database has layout {}, newer than this tandem "
                    "understands ({}); nothing was changed",
                    have, kLayout),
        "use the tandem release that wrote it, or a newer one");
  }
  if (have == kLayout) return Status::Ok();
  if (have == 0) {
    // A database tandem never touched: every table at once, at the current layout.
    std::vector<std::string> sql = base_ddl(pg_, migrations_, events_, meta_);
    for (const char* col : kFileColumns)
      sql.push_back(fmt::format("ALTER TABLE {} ADD COLUMN {} bigint", migrations_, col));
    if (pg_) {
      for (std::string& one : postgres_ddl()) sql.push_back(std::move(one));
    }
    return upgrade_step(kLayout, sql);
  }
  if (have < 2) {
    // 1 → 2: the tables layout 1 created on first use, version_schemas (adopting the schemas an
    // earlier tandem made), the file stats of history rows.
    std::vector<std::string> sql = base_ddl(pg_, migrations_, events_, meta_);
    for (const char* col : kFileColumns) {
      TANDEM_ASSIGN_OR_RETURN(bool present, has_column(migrations_, col));
      if (!present)
        sql.push_back(fmt::format("ALTER TABLE {} ADD COLUMN {} bigint", migrations_, col));
    }
    if (pg_) {
      for (std::string& one : postgres_ddl()) sql.push_back(std::move(one));
      TANDEM_RETURN_IF_ERROR(upgrade_step(2, sql));
      TANDEM_RETURN_IF_ERROR(adopt_version_schemas());
    } else {
      TANDEM_RETURN_IF_ERROR(upgrade_step(2, sql));
    }
  }
  // 2 → 3: a backfill job keeps the settings it runs with (postgres_ddl adds the column).
  std::vector<std::string> three;
  if (pg_) three = postgres_ddl();
  return upgrade_step(3, three);
}

}  // namespace tandem
