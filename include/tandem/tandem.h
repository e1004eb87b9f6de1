#pragma once
// tandem as a library: open it once with Options, then call status/plan/up/down/start/
// complete/rollback/verify on the handle. Every call returns a Status or Result<T> — nothing
// exits the process or throws across this API — and every call validates the whole folder
// against the history before it changes anything. The free functions below are the same
// commands for one-shot use (the CLI calls them).
//
//   tandem::Options options;
//   options.engine.db_url = "postgres://app@db/app";
//   options.engine.dir = "migrations";
//   auto engine = tandem::Engine::open(options);
//   if (!engine.ok()) return fail(engine.status());
//   auto applied = (*engine)->up();
//
// See examples/embed/ for a whole program.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tandem/backfill.h"
#include "tandem/database.h"
#include "tandem/engine.h"
#include "tandem/expand.h"
#include "tandem/lint.h"
#include "tandem/options.h"

namespace tandem {

class Engine {
 public:
  // Checks `options` (the database URL parses, the folder exists) and connects — or adopts
  // options.engine.connection. Reads no history yet; changes nothing.
  static Result<std::unique_ptr<Engine>> open(Options options);

  const Options& options() const { return options_; }

  // Status never changes the database.
  Result<StatusReport> status();
  // The exact statements `up` would run now (the same checks as `up`; runs nothing).
  Result<std::vector<PlannedMigration>> plan(const UpOptions& up = {});
  Result<std::vector<PlannedMigration>> plan_down(const DownOptions& down);
  Result<ApplyReport> up(const UpOptions& up = {});
  Result<ApplyReport> down(const DownOptions& down);
  Result<std::vector<Problem>> validate();
  // The two-version lifecycle (PostgreSQL).
  Result<expand::LifecycleReport> start(const std::optional<std::string>& version = {});
  Result<expand::LifecycleReport> complete();
  Result<expand::LifecycleReport> rollback();
  Result<backfill::VerifyReport> verify();

 private:
  explicit Engine(Options options) : options_(std::move(options)) {}
  Options options_;
};

// Status never changes the database.
Result<StatusReport> status(const EngineOptions& options);

// A value that changes whenever the history changes (an event is appended to the log): for a
// reader that polls (the dashboard). "" without history. Read only; one query.
Result<std::string> history_generation(const EngineOptions& options);

// Applies pending migrations in version order, one transaction each (or statement by
// statement with recorded progress for non-transactional ones). On failure the Status says
// which file, line and statement failed and what to do; the report lists what did apply.
Result<ApplyReport> up(const Options& options, const UpOptions& up_options,
                       ApplyReport* partial = nullptr);
Result<ApplyReport> down(const Options& options, const DownOptions& down_options,
                         ApplyReport* partial = nullptr);

// The exact statements `up`/`down` would run now, in order, after the checks `up` makes (the
// lint gate included); runs nothing, changes nothing.
Result<std::vector<PlannedMigration>> plan_up(const Options& options, const UpOptions& up_options);
Result<std::vector<PlannedMigration>> plan_down(const Options& options,
                                                const DownOptions& down_options);

// Every problem of the folder and of the folder against the history. Changes nothing.
Result<std::vector<Problem>> validate(const EngineOptions& options);

// Removes failed/interrupted history rows and rows whose file is gone, and accepts the
// current checksum of edited files. Every action is logged in the event log.
Result<std::vector<RepairAction>> repair(const EngineOptions& options);

// Marks every migration with version <= `version` as applied without running it, for
// adopting tandem on an existing database. Refused when history is not empty.
Result<std::vector<MigrationState>> baseline(const EngineOptions& options,
                                             const std::string& version);

// Records every version another tool (dbmate, golang-migrate, Flyway) applied to the database
// as applied in tandem's history, with the checksum `up` computes from tandem's file for it —
// running nothing, and leaving that tool's table as it is. Everything is checked first (the
// folder, golang-migrate dirty, failed Flyway migrations, versions without a file, versions
// tandem's history has differently); then one transaction under the migration lock. Running
// it again records nothing new.
Result<ImportReport> import_history(const EngineOptions& options, const ImportOptions& how);

// Creates the migrations folder and the history tables. Idempotent.
Status init(const EngineOptions& options);

// Writes a new migration file with the next free version and returns its path: SQL with
// up/down sections, or with `yaml` a declarative (pgroll-format) template.
Result<std::string> new_migration(const EngineOptions& options, const std::string& name,
                                  bool yaml = false);

// The migration formats tandem reads besides SQL: declarative .yaml, .yml and .json files
// (pgroll's operation format) — for lint::sources and load_migrations.
const Formats& migration_formats();
// The same, read within `limits` (a declarative file's operations: limits.max_operations).
Formats migration_formats(const InputLimits& limits);

}  // namespace tandem
