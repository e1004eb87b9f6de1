#include "cli/db_commands.h"

#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/flags.h"
#include "cli/output.h"
#include "tandem/tandem.h"

namespace tandem::cli {
namespace {

using nlohmann::json;

// `database "app" (postgres://app:****@db/app)` or `sqlite:app.db`.
std::string what(const DatabaseReport& r) {
  return r.backend == "postgres" ? fmt::format("database \"{}\" ({})", r.name, r.database)
                                 : r.database;
}

std::string text(const DatabaseReport& r) {
  if (r.outcome == "created") return "created " + what(r);
  if (r.outcome == "exists") return what(r) + " already exists: nothing to do";
  if (r.outcome == "absent") return what(r) + " does not exist: nothing to drop";
  if (r.outcome == "dropped") {
    std::string files;
    for (const std::string& f : r.files_removed) files += (files.empty() ? "" : ", ") + f;
    return "dropped " + what(r) +
           (r.sessions_ended > 0
                ? fmt::format(", after ending {} other session(s)", r.sessions_ended)
                : "") +
           (files.empty() ? "" : " (removed " + files + ")");
  }
  std::string tries = fmt::format("{} attempt(s), {}", r.attempts, duration_text(r.elapsed_ms));
  if (r.exists) return fmt::format("ready: {} accepts connections ({})", r.database, tries);
  if (r.backend == "postgres") {
    return fmt::format(
        "ready: the server of {} accepts connections; database \"{}\" does not exist yet — "
        "`tandem db create` makes it ({})",
        r.database, r.name, tries);
  }
  return fmt::format("ready: {} does not exist yet and its folder is writable ({})", r.database,
                     tries);
}

json to_json(const DatabaseReport& r) {
  json j = {
      {"database", r.database}, {"backend", r.backend}, {"name", r.name}, {"outcome", r.outcome}};
  if (r.outcome == "dropped") {
    j["sessions_ended"] = r.sessions_ended;
    j["files_removed"] = r.files_removed;
  }
  if (r.outcome == "ready") {
    j["exists"] = r.exists;
    j["attempts"] = r.attempts;
    j["elapsed_ms"] = r.elapsed_ms;
  }
  return j;
}

}  // namespace

void DbCommands::add(CLI::App& app) {
  db = app.add_subcommand("db", "create, drop or wait for the database --db names");
  db->require_subcommand(1);
  db->footer(
      "In a container's entrypoint:\n"
      "  tandem db wait --timeout 60s && tandem db create && tandem up\n"
      "Examples:\n"
      "  tandem --db postgres://app@db/app db create\n"
      "  tandem --db postgres://app@db/app_test db drop --yes\n"
      "  tandem db wait --timeout 30s --json");

  create = db->add_subcommand(
      "create", "create the database; one that exists already is left as it is (exit 0)");
  create->add_option("--owner", create_options.owner, "PostgreSQL: the role that owns it");
  create->add_option("--template", create_options.template_name,
                     "PostgreSQL: the database to copy (default: template1)");
  create->add_option("--encoding", create_options.encoding,
                     "PostgreSQL: its character set, e.g. UTF8 (with --template template0 "
                     "when it differs from template1's)");
  create->footer(
      "PostgreSQL: CREATE DATABASE from the server's maintenance database (postgres, else\n"
      "template1), as the user of --db, who needs CREATEDB. SQLite: the file (its folder must\n"
      "exist).\n"
      "Examples:\n"
      "  tandem --db postgres://app@db:5432/app db create\n"
      "  tandem --db postgres://admin@db/app db create --owner app --template template0 "
      "--encoding UTF8\n"
      "  tandem --db sqlite:var/app.db db create");

  drop = db->add_subcommand(
      "drop", "delete the database and everything in it (only with --yes); exit 0 when absent");
  drop->add_flag("-y,--yes", drop_options.confirmed,
                 "really drop it: without this flag nothing is dropped (exit 2)");
  drop->add_flag("--force", drop_options.force,
                 "PostgreSQL 13+: end the other sessions on it first (DROP DATABASE … WITH "
                 "(FORCE)); without it, a database in use is refused");
  drop->footer(
      "Refuses postgres, template0 and template1. SQLite: removes the file and its -wal, -shm\n"
      "and -journal files, and refuses a file that is not an SQLite database.\n"
      "Examples:\n"
      "  tandem --db postgres://app@db/app_test db drop --yes\n"
      "  tandem --db postgres://app@db/app_test db drop --yes --force   # end its sessions too\n"
      "  tandem --db sqlite:var/app.db db drop --yes");

  wait = db->add_subcommand(
      "wait", "wait until the database's server accepts connections (containers, CI)");
  wait->add_option("--timeout", timeout, "give up after this long (exit 3)")->capture_default_str();
  wait->footer(
      "Connects every half second, printing progress on stderr at most once a second. Ready\n"
      "when the database accepts a connection, or when its server does and the database does\n"
      "not exist yet (`tandem db create` makes it). SQLite: the file, or a writable folder\n"
      "for it.\n"
      "Examples:\n"
      "  tandem db wait --timeout 60s && tandem db create && tandem up\n"
      "  tandem --db postgres://app@db/app db wait --timeout 2m --json");
}

std::optional<int> DbCommands::run(const EngineOptions& options, bool json_out,
                                   const std::function<int(const Status&)>& fail) const {
  if (!db->parsed()) return std::nullopt;
  Result<DatabaseReport> r = Status::InvalidInput("no db command");
  if (create->parsed()) {
    r = create_database(options, create_options);
  } else if (drop->parsed()) {
    r = drop_database(options, drop_options);
  } else {
    auto ms = duration_flag("--timeout", timeout);
    if (!ms.ok()) return fail(ms.status());
    WaitOptions how;
    how.timeout_ms = *ms;
    r = wait_for_database(options, how);
  }
  if (!r.ok()) return fail(r.status());
  if (json_out)
    std::cout << cli::dump(to_json(*r), 2) << "\n";
  else
    std::cout << text(*r) << "\n";
  return 0;
}

}  // namespace tandem::cli
