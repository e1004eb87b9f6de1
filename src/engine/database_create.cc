// db create: the database --db names. PostgreSQL: CREATE DATABASE from the maintenance
// database; SQLite: the file. An existing database is reported, not an error.

#include <fmt/format.h>

#include <filesystem>

#include "engine/database_admin.h"
#include "engine/engine.h"

namespace tandem::engine {
namespace {

Result<DatabaseReport> create_sqlite(const EngineOptions& options, const AdminTarget& target,
                                     const CreateDatabaseOptions& how) {
  for (const std::string* pg_only : {&how.owner, &how.template_name, &how.encoding}) {
    if (!pg_only->empty()) {
      return Status::InvalidInput("--owner, --template and --encoding exist on PostgreSQL only",
                                  "leave them out for an SQLite database");
    }
  }
  DatabaseReport report = target.report();
  const std::string& path = target.name;
  SqliteFile found = sqlite_file(path);
  switch (found) {
    case SqliteFile::kDatabase:
      report.outcome = "exists";
      return report;
    case SqliteFile::kNotDatabase:
    case SqliteFile::kNotFile:
      return not_sqlite_database(path, found, "nothing was created");
    case SqliteFile::kAbsent:
      break;
  }
  std::string folder = sqlite_folder(path);
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    return Status::InvalidInput(
        fmt::format("cannot create {}: the folder {} does not exist", path, folder),
        fmt::format("create the folder first (mkdir -p {}), or check the path in --db", folder));
  }
  db::ConnectOptions copts;
  copts.create = true;
  copts.busy_timeout_ms = options.lock_wait_ms;
  TANDEM_ASSIGN_OR_RETURN(auto conn, db::connect(options.db_url, copts));
  // Reading the schema makes SQLite open the new file for real (and fail here, not later, on
  // a folder it cannot write to).
  TANDEM_RETURN_IF_ERROR(conn->query("SELECT count(*) FROM sqlite_master").status());
  report.outcome = "created";
  return report;
}

// "CREATE DATABASE "name" WITH OWNER = … TEMPLATE = … ENCODING = …": names quoted, the
// encoding a literal (PostgreSQL reads it as a name or a string).
Result<std::string> create_sql(const db::Connection& conn, const std::string& name,
                               const CreateDatabaseOptions& how) {
  std::string sql = "CREATE DATABASE " + db::quote_ident(name);
  std::string with;
  if (!how.owner.empty()) with += " OWNER = " + db::quote_ident(how.owner);
  if (!how.template_name.empty()) with += " TEMPLATE = " + db::quote_ident(how.template_name);
  if (!how.encoding.empty()) {
    TANDEM_ASSIGN_OR_RETURN(std::string encoding, conn.literal(how.encoding));
    with += " ENCODING = " + encoding;
  }
  return with.empty() ? sql : sql + " WITH" + with;
}

}  // namespace

Result<DatabaseReport> create_database(const EngineOptions& options,
                                       const CreateDatabaseOptions& how) {
  TANDEM_ASSIGN_OR_RETURN(AdminTarget target, admin_target(options, "create", true));
  if (!target.pg()) return create_sqlite(options, target, how);
  DatabaseReport report = target.report();
  TANDEM_ASSIGN_OR_RETURN(auto conn,
                          connect_maintenance(target, "create", options.connect_timeout_s));
  TANDEM_ASSIGN_OR_RETURN(bool exists, database_exists(*conn, target.name));
  if (exists) {
    report.outcome = "exists";
    return report;
  }
  TANDEM_ASSIGN_OR_RETURN(std::string sql, create_sql(*conn, target.name, how));
  Status st = conn->execute(sql);
  // 42P04 duplicate_database: another process created it since the check.
  if (st.sqlstate() == "42P04") {
    report.outcome = "exists";
    return report;
  }
  if (st.sqlstate() == "42501") {
    return st.with_hint(
        "the user in --db needs the CREATEDB privilege (ALTER ROLE … CREATEDB), or ask an "
        "administrator to create the database");
  }
  if (!st.ok()) return st.with_context(fmt::format("cannot create database \"{}\": ", target.name));
  report.outcome = "created";
  return report;
}

}  // namespace tandem::engine
