// db drop: the database --db names, and everything in it — so only when confirmed, never a
// database the server needs, and (PostgreSQL) not while other sessions use it unless forced.
// A database that does not exist is reported, not an error.

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "engine/database_admin.h"
#include "engine/engine.h"

namespace tandem::engine {
namespace {

Result<DatabaseReport> drop_sqlite(const AdminTarget& target, const DropDatabaseOptions& how) {
  if (how.force) {
    return Status::InvalidInput("--force exists on PostgreSQL only",
                                "leave it out for an SQLite database");
  }
  DatabaseReport report = target.report();
  const std::string& path = target.name;
  SqliteFile found = sqlite_file(path);
  switch (found) {
    case SqliteFile::kAbsent:
      report.outcome = "absent";
      return report;
    case SqliteFile::kNotDatabase:
    case SqliteFile::kNotFile:
      return not_sqlite_database(path, found, "it was not removed");
    case SqliteFile::kDatabase:
      break;
  }
  // The companions first: a -wal or -journal left behind without its database would be read
  // as part of a new database made at the same path.
  for (const char* suffix : {"-wal", "-shm", "-journal", ""}) {
    std::string file = path + suffix;
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::symlink_status(file, ec))) continue;
    if (!std::filesystem::remove(file, ec) || ec) {
      return Status::Database(fmt::format("cannot remove {}: {}", file, ec.message()), "",
                              "check the folder's permissions");
    }
    report.files_removed.push_back(file);
  }
  report.outcome = "dropped";
  return report;
}

Result<int> other_sessions(db::Connection& conn, const std::string& name) {
  // An autovacuum worker does not count: DROP DATABASE ends it by itself.
  TANDEM_ASSIGN_OR_RETURN(db::Rows rows,
                          conn.query("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 "
                                     "AND backend_type IS DISTINCT FROM 'autovacuum worker'",
                                     {name}));
  TANDEM_ASSIGN_OR_RETURN(long long n, rows.integer(0, 0));
  return static_cast<int>(n);
}

Status in_use(const AdminTarget& target, int sessions) {
  return Status::Database(
      fmt::format("database \"{}\" has {} other session(s) connected; it was not dropped",
                  target.name, sessions),
      "55006",
      "stop what uses it (pg_stat_activity shows who), or pass --force to end those sessions "
      "and drop it (PostgreSQL 13+)");
}

}  // namespace

Result<DatabaseReport> drop_database(const EngineOptions& options, const DropDatabaseOptions& how) {
  TANDEM_ASSIGN_OR_RETURN(AdminTarget target, admin_target(options, "drop", true));
  if (target.pg() && is_maintenance_database(target.name)) {
    return Status::InvalidInput(
        fmt::format("refusing to drop \"{}\": the server needs its postgres, template0 and "
                    "template1 databases",
                    target.name),
        "name the database to drop in --db: postgres://user@host:5432/NAME");
  }
  if (!how.confirmed) {
    std::string what = target.pg()
                           ? fmt::format("database \"{}\" on {}", target.name, target.redacted)
                           : fmt::format("{} (and its -wal, -shm and -journal files)", target.name);
    return Status::InvalidInput(
        fmt::format("`tandem db drop` deletes {} with every table and row in it; nothing was "
                    "dropped",
                    what),
        "pass --yes to drop it");
  }
  if (!target.pg()) return drop_sqlite(target, how);

  DatabaseReport report = target.report();
  TANDEM_ASSIGN_OR_RETURN(auto conn,
                          connect_maintenance(target, "drop", options.connect_timeout_s));
  TANDEM_ASSIGN_OR_RETURN(bool exists, database_exists(*conn, target.name));
  if (!exists) {
    report.outcome = "absent";
    return report;
  }
  TANDEM_ASSIGN_OR_RETURN(int sessions, other_sessions(*conn, target.name));
  if (sessions > 0 && !how.force) return in_use(target, sessions);
  if (how.force && conn->server_version() < 130000) {
    return Status::InvalidInput(
        fmt::format("--force needs PostgreSQL 13 or newer; this server is {}.{}",
                    conn->server_version() / 10000, conn->server_version() % 10000),
        "end the sessions yourself (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = '…'), then drop it without --force");
  }
  std::string sql = "DROP DATABASE IF EXISTS " + db::quote_ident(target.name);
  if (how.force) sql += " WITH (FORCE)";
  Status st = conn->execute(sql);
  if (st.sqlstate() == "55006") {  // object_in_use: a session connected since the count
    TANDEM_ASSIGN_OR_RETURN(int now, other_sessions(*conn, target.name));
    return in_use(target, std::max(now, 1));
  }
  if (!st.ok()) return st.with_context(fmt::format("cannot drop database \"{}\": ", target.name));
  report.outcome = "dropped";
  report.sessions_ended = how.force ? sessions : 0;
  return report;
}

}  // namespace tandem::engine
