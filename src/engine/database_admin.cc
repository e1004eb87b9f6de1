// The database the URL names, and the maintenance connection create and drop run on.

#include "engine/database_admin.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace tandem::engine {

DatabaseReport AdminTarget::report() const {
  DatabaseReport r;
  r.database = redacted;
  r.backend = pg() ? "postgres" : "sqlite";
  r.name = name;
  return r;
}

Result<AdminTarget> admin_target(const EngineOptions& options, const char* command,
                                 bool need_name) {
  AdminTarget t;
  TANDEM_ASSIGN_OR_RETURN(t.url, db::parse_url(options.db_url));
  t.redacted = db::redact_url(options.db_url);
  if (!t.pg()) {
    t.name = t.url.target;
    if (need_name && t.name == ":memory:") {
      return Status::InvalidInput(
          fmt::format("`tandem db {}` needs a database file: sqlite::memory: is gone when the "
                      "connection ends",
                      command),
          "pass --db sqlite:PATH");
    }
    return t;
  }
  TANDEM_ASSIGN_OR_RETURN(t.name, db::url_database_name(options.db_url));
  if (!need_name) return t;
  if (t.name.empty()) {
    return Status::InvalidInput(
        fmt::format("the database URL {} names no database, so `tandem db {}` does not know "
                    "which one to {}",
                    t.redacted, command, command),
        "name it in the URL: postgres://user@host:5432/NAME (or dbname=NAME)");
  }
  // PostgreSQL cuts longer names to 63 bytes: the database made or dropped would not be the
  // one named.
  if (t.name.size() > 63) {
    return Status::InvalidInput(
        fmt::format("the database name \"{}…\" is {} bytes long; PostgreSQL keeps only 63",
                    t.name.substr(0, 40), t.name.size()),
        "use a name of at most 63 bytes");
  }
  return t;
}

bool is_maintenance_database(const std::string& name) {
  return name == "postgres" || name == "template0" || name == "template1";
}

Result<std::unique_ptr<db::Connection>> connect_maintenance(const AdminTarget& target,
                                                            const char* command,
                                                            int connect_timeout_s) {
  db::ConnectOptions copts;
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  copts.application_name = fmt::format("tandem db {} (pid {}@{})", command, getpid(), host);
  copts.connect_timeout_s = connect_timeout_s;
  copts.dbname = "postgres";
  auto conn = db::connect(target.url.target, copts);
  if (conn.ok()) return conn;
  copts.dbname = "template1";
  auto fallback = db::connect(target.url.target, copts);
  if (fallback.ok()) return fallback;
  return conn.status().with_hint(
      fmt::format("`tandem db {}` works from the server's maintenance database (postgres, else "
                  "template1), which it could not reach either; check that the server is "
                  "running and that --db names the right host, port and user",
                  command));
}

Result<bool> database_exists(db::Connection& maintenance, const std::string& name) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows, maintenance.query("SELECT 1 FROM pg_database WHERE datname = $1", {name}));
  return !rows.empty();
}

SqliteFile sqlite_file(const std::string& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) return SqliteFile::kAbsent;
  if (!std::filesystem::is_regular_file(status)) return SqliteFile::kNotFile;
  // An SQLite database starts with this header; an empty file is an empty database.
  static const char kHeader[] = "SQLite format 3";  // and its NUL: 16 bytes
  char head[sizeof kHeader] = {};
  std::ifstream in(path, std::ios::binary);
  in.read(head, sizeof head);
  if (in.gcount() == 0 && in.eof()) return SqliteFile::kDatabase;
  if (in.gcount() == static_cast<std::streamsize>(sizeof head) &&
      std::memcmp(head, kHeader, sizeof head) == 0) {
    return SqliteFile::kDatabase;
  }
  return SqliteFile::kNotDatabase;
}

Status not_sqlite_database(const std::string& path, SqliteFile found, const std::string& outcome) {
  return Status::InvalidInput(
      fmt::format("{} is not {}{}", path,
                  found == SqliteFile::kNotFile ? "a file" : "an SQLite database",
                  outcome.empty() ? "" : "; " + outcome),
      "check the path in --db / DATABASE_URL");
}

std::string sqlite_folder(const std::string& path) {
  std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

}  // namespace tandem::engine
