// History tables on PostgreSQL and SQLite.

#include "engine/history.h"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>

#include "tandem/migration.h"
#include "tandem/version.h"

namespace tandem {

History::History(db::Connection& conn)
    : conn_(conn), pg_(conn.backend() == db::Backend::kPostgres) {
  migrations_ = pg_ ? "tandem.migrations" : "tandem_migrations";
  events_ = pg_ ? "tandem.events" : "tandem_events";
  meta_ = pg_ ? "tandem.meta" : "tandem_meta";
}

namespace {

// ISO-8601 UTC with milliseconds from milliseconds since the epoch.
std::string iso_from_epoch_ms(long long ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf, static_cast<int>(ms % 1000));
}

}  // namespace

std::string History::now() {
  auto t = std::chrono::system_clock::now();
  return iso_from_epoch_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

Result<std::string> History::applied_by() {
  if (!applied_by_.empty()) return applied_by_;
  if (pg_) {
    TANDEM_ASSIGN_OR_RETURN(db::Rows r, conn_.query("SELECT current_user"));
    applied_by_ = r.text(0, 0);
  } else {
    const char* user = std::getenv("USER");
    if (user == nullptr || *user == '\0') {
      struct passwd* pw = getpwuid(getuid());
      user = pw ? pw->pw_name : "unknown";
    }
    applied_by_ = user;
  }
  return applied_by_;
}

Result<std::string> History::active_migration() {
  if (!pg_) return std::string();
  TANDEM_ASSIGN_OR_RETURN(db::Rows t,
                          conn_.query("SELECT to_regclass('tandem.active') IS NOT NULL"));
  if (t.text(0, 0) != "t") return std::string();
  TANDEM_ASSIGN_OR_RETURN(db::Rows r,
                          conn_.query("SELECT version || ':' || step FROM tandem.active"));
  return r.empty() ? std::string() : r.text(0, 0);
}

Result<bool> History::exists() {
  const char* sql =
      pg_ ? "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = 'tandem' AND tablename = "
            "'migrations'"
          : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tandem_migrations'";
  TANDEM_ASSIGN_OR_RETURN(db::Rows r, conn_.query(sql));
  return !r.empty();
}

Status History::ensure() {
  TANDEM_ASSIGN_OR_RETURN(bool present, exists());
  if (present) return Status::Ok();
  std::string ts = pg_ ? "timestamptz" : "text";
  std::string id =
      pg_ ? "bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT";
  std::string ddl;
  if (pg_) ddl += "CREATE SCHEMA IF NOT EXISTS tandem;\n";
  ddl += fmt::format(R"(
CREATE TABLE IF NOT EXISTS {m} (
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
);
CREATE TABLE IF NOT EXISTS {e} (
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
);
CREATE TABLE IF NOT EXISTS {meta} (key text PRIMARY KEY, value text NOT NULL);
INSERT INTO {meta} (key, value) VALUES ('state_version', '1') ON CONFLICT (key) DO NOTHING;
)",
                     fmt::arg("m", migrations_), fmt::arg("e", events_), fmt::arg("meta", meta_),
                     fmt::arg("ts", ts), fmt::arg("id", id));
  return conn_.execute_script(ddl);
}

Result<std::vector<HistoryRow>> History::load() {
  // PostgreSQL: epoch milliseconds, formatted here; to_char() on every row costs more than
  // the rest of the query, and the text form of timestamptz depends on session settings.
  std::string at = pg_ ? "round(date_part('epoch', applied_at) * 1000)::bigint" : "applied_at";
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r,
      conn_.query(fmt::format(
          "SELECT version, name, checksum, status, direction, {}, duration_ms, applied_by, "
          "tandem_version, transactional, statements_applied, statements_total, error, "
          "failed_statement FROM {}",
          at, migrations_)));
  std::vector<HistoryRow> rows;
  rows.reserve(r.size());
  for (size_t i = 0; i < r.size(); ++i) {
    auto& v = r.rows[i];
    auto take = [&v](size_t col) { return v[col] ? std::move(*v[col]) : std::string(); };
    HistoryRow h;
    h.version = take(0);
    h.name = take(1);
    h.checksum = take(2);
    h.status = take(3);
    h.direction = take(4);
    h.applied_at = take(5);
    if (pg_) h.applied_at = iso_from_epoch_ms(std::strtoll(h.applied_at.c_str(), nullptr, 10));
    h.duration_ms = std::strtoll(take(6).c_str(), nullptr, 10);
    h.applied_by = take(7);
    h.tandem_version = take(8);
    h.transactional = take(9) != "0";
    h.statements_applied = static_cast<int>(std::strtol(take(10).c_str(), nullptr, 10));
    h.statements_total = static_cast<int>(std::strtol(take(11).c_str(), nullptr, 10));
    h.error = take(12);
    h.failed_statement = take(13);
    rows.push_back(std::move(h));
  }
  auto by_version = [](const HistoryRow& a, const HistoryRow& b) {
    return compare_versions(a.version, b.version) < 0;
  };
  if (!std::is_sorted(rows.begin(), rows.end(), by_version))
    std::sort(rows.begin(), rows.end(), by_version);
  return rows;
}

namespace {
db::Param opt(const std::string& s) { return s.empty() ? db::Param() : db::Param(s); }
}  // namespace

Status History::upsert(const HistoryRow& row) {
  std::string sql = fmt::format(
      "INSERT INTO {} (version, name, checksum, status, direction, applied_at, duration_ms, "
      "applied_by, "
      "tandem_version, transactional, statements_applied, statements_total, error, "
      "failed_statement) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
      "ON CONFLICT (version) DO UPDATE SET name = excluded.name, checksum = excluded.checksum, "
      "status = excluded.status, direction = excluded.direction, applied_at = excluded.applied_at, "
      "duration_ms = excluded.duration_ms, applied_by = excluded.applied_by, "
      "tandem_version = excluded.tandem_version, transactional = excluded.transactional, "
      "statements_applied = excluded.statements_applied, statements_total = "
      "excluded.statements_total, "
      "error = excluded.error, failed_statement = excluded.failed_statement",
      migrations_);
  auto r = conn_.query(
      sql, {row.version, row.name, row.checksum, row.status, row.direction,
            row.applied_at.empty() ? now() : row.applied_at, std::to_string(row.duration_ms),
            row.applied_by, TANDEM_VERSION, row.transactional ? "1" : "0",
            std::to_string(row.statements_applied), std::to_string(row.statements_total),
            opt(row.error), opt(row.failed_statement)});
  return r.status();
}

Status History::remove(const std::string& version) {
  return conn_.query(fmt::format("DELETE FROM {} WHERE version = $1", migrations_), {version})
      .status();
}

Status History::event(const std::string& action, const HistoryRow& row, const std::string& detail) {
  std::string sql = fmt::format(
      "INSERT INTO {} (at, action, version, name, checksum, status, duration_ms, applied_by, "
      "tandem_version, "
      "statements_applied, statements_total, error, failed_statement, detail) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
      events_);
  auto r = conn_.query(
      sql, {now(), action, opt(row.version), opt(row.name), opt(row.checksum), opt(row.status),
            std::to_string(row.duration_ms), row.applied_by, TANDEM_VERSION,
            std::to_string(row.statements_applied), std::to_string(row.statements_total),
            opt(row.error), opt(row.failed_statement), opt(detail)});
  return r.status();
}

}  // namespace tandem
