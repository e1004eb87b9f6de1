// tandem::Engine: the commands on one handle, opened once by an embedding program.

#include <fmt/format.h>

#include <filesystem>

#include "commands/guard.h"
#include "tandem/tandem.h"

namespace tandem {
namespace {

// Which database a connection is on: PostgreSQL's server (port, start time) and database name;
// SQLite's main file.
Result<std::string> identity(db::Connection& conn) {
  if (conn.backend() == db::Backend::kPostgres) {
    TANDEM_ASSIGN_OR_RETURN(
        db::Rows r, conn.query("SELECT current_setting('port') || '|' || "
                               "pg_postmaster_start_time()::text || '|' || current_database()"));
    return r.text(0, 0);
  }
  TANDEM_ASSIGN_OR_RETURN(db::Rows r, conn.query("PRAGMA database_list"));
  for (size_t i = 0; i < r.size(); ++i) {
    if (r.text(i, 1) == "main") return r.text(i, 2);
  }
  return std::string();
}

// The program's connection must be on the database db_url names: the migration lock is taken
// through db_url, and a lock on another database guards nothing.
Status same_database(db::Connection& given, const db::Url& url, const EngineOptions& o) {
  const Status differ = Status::InvalidInput(
      "options.engine.connection is not on the database options.engine.db_url names",
      "set db_url to the database the connection is open on: tandem takes the migration lock "
      "through it");
  if (given.backend() != url.backend) return differ;
  TANDEM_ASSIGN_OR_RETURN(std::string on, identity(given));
  if (url.backend == db::Backend::kSqlite) {
    std::error_code ec;
    auto a = std::filesystem::weakly_canonical(on, ec);
    auto b = std::filesystem::weakly_canonical(url.target, ec);
    return !on.empty() && a == b ? Status::Ok() : differ;
  }
  db::ConnectOptions copts;
  copts.application_name = "tandem (embedded, checking db_url)";
  copts.connect_timeout_s = o.connect_timeout_s;
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<db::Connection> named, db::connect(o.db_url, copts));
  TANDEM_ASSIGN_OR_RETURN(std::string there, identity(*named));
  return on == there ? Status::Ok() : differ;
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::open(Options options) {
  return commands::guarded("open", [&]() -> Result<std::unique_ptr<Engine>> {
    EngineOptions& o = options.engine;
    TANDEM_ASSIGN_OR_RETURN(db::Url url, db::parse_url(o.db_url));
    std::error_code ec;
    if (!std::filesystem::is_directory(o.dir, ec)) {
      return Status::InvalidInput(fmt::format("migrations folder {} does not exist", o.dir),
                                  "create it (tandem::init, or `tandem init`), or set "
                                  "options.engine.dir");
    }
    if (o.connection) TANDEM_RETURN_IF_ERROR(same_database(*o.connection, url, o));
    if (!o.connection) {
      db::ConnectOptions copts;
      copts.application_name = "tandem (embedded)";
      copts.busy_timeout_ms = o.lock_wait_ms;
      copts.connect_timeout_s = o.connect_timeout_s;
      TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<db::Connection> conn, db::connect(o.db_url, copts));
      o.connection = std::move(conn);
    }
    return std::unique_ptr<Engine>(new Engine(std::move(options)));
  });
}

Result<StatusReport> Engine::status() { return tandem::status(options_.engine); }

Result<std::vector<PlannedMigration>> Engine::plan(const UpOptions& up) {
  return tandem::plan_up(options_, up);
}

Result<std::vector<PlannedMigration>> Engine::plan_down(const DownOptions& down) {
  return tandem::plan_down(options_, down);
}

Result<ApplyReport> Engine::up(const UpOptions& up) { return tandem::up(options_, up); }

Result<ApplyReport> Engine::down(const DownOptions& down) { return tandem::down(options_, down); }

Result<std::vector<Problem>> Engine::validate() { return tandem::validate(options_.engine); }

Result<expand::LifecycleReport> Engine::start(const std::optional<std::string>& version) {
  return expand::start(options_, version);
}

Result<expand::LifecycleReport> Engine::complete() { return expand::complete(options_); }

Result<expand::LifecycleReport> Engine::rollback() { return expand::rollback(options_); }

Result<backfill::VerifyReport> Engine::verify() { return backfill::verify(options_.engine); }

}  // namespace tandem
