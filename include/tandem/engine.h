#pragma once
// The versioned migration engine's options and reports: what status, up, down, plan, validate,
// repair, baseline, init and new (tandem/tandem.h) take and return. Every entry point
// validates the whole folder against the history before it changes anything.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tandem/migration.h"
#include "tandem/status.h"

namespace tandem {

// The versioned engine's options: where the migrations and the database are, and how long
// anything may wait. Backfills (tandem/backfill.h: BackfillOptions) and the lint gate
// (tandem/lint.h: GateOptions) have their own; tandem/options.h holds the three together.
// Defaults are the CLI's defaults.
struct EngineOptions {
  std::string db_url = "sqlite:tandem.db";
  std::string dir = "migrations";
  std::string schema = "public";  // PostgreSQL schema the migrations run in (search_path)
  int lock_wait_ms = 60000;       // how long to wait for another tandem's migration lock
  // PostgreSQL: seconds a connection attempt may take (a connect_timeout in db_url wins);
  // 0 leaves it to libpq (PGCONNECT_TIMEOUT, else no limit).
  int connect_timeout_s = 10;
  int lock_timeout_ms = 2000;       // lock_timeout for every statement
  int statement_timeout_ms = 0;     // statement_timeout for every statement (0 = none)
  int lock_retries = 10;            // retries of a statement/transaction that hit lock_timeout
  int retry_base_ms = 250;          // first backoff; doubles per retry, with jitter
  bool allow_out_of_order = false;  // apply pending versions lower than the newest applied
  // SQLite: commands that write switch a rollback-journal database to WAL (readers are not
  // blocked while migrations commit). True keeps the database's journal mode as it is.
  bool sqlite_keep_journal = false;
  // Receives progress and warnings (one line, no newline). Null: silent.
  std::function<void(const std::string&)> log;
  // Log every statement before it runs.
  bool verbose = false;
  // How much one migration file may hold (size, statements, operations); a file over a limit
  // is a problem of the folder, refused before anything runs.
  InputLimits limits;
  // Called after each migration applied or reverted by up/down: the step, how many of this
  // run's migrations are done, and how many the run planned. Null: steps are logged instead.
  std::function<void(const struct AppliedStep&, int done, int total)> on_step;
  // Called by up/down inside a migration after each of its statements: the file, how many of
  // its statements are done and how many it has — for progress inside a long migration (the
  // caller decides how often to show it). Null: nothing.
  std::function<void(const std::string& file, int done, int total)> on_statement;
  // Time, sleeps, the user's name and fault injection (tandem/env.h); null: Env::Default().
  class Env* env = nullptr;
  // A connection of the embedding program's to do the work on, instead of opening db_url
  // (which is still what the migration lock's own connection opens; Engine::open checks both
  // are the same database). tandem sets its session settings on it (search_path for `schema`,
  // lock_timeout, statement_timeout, idle timeouts) and sets them back when each call ends;
  // use it for nothing else while a call runs.
  std::shared_ptr<db::Connection> connection;
};

// One migration as `status` sees it: file and history merged.
struct MigrationState {
  std::string version;
  std::string name;
  std::string file;  // "" when the file is missing
  // applied | pending | failed | running | interrupted | baseline | missing | changed |
  // out_of_order
  std::string state;
  std::string applied_at;  // ISO-8601 UTC, "" when never applied
  long long duration_ms = 0;
  std::string applied_by;
  std::string checksum;  // of the file, or of history when the file is missing
  bool transactional = true;
  std::string direction;  // for failed/running/interrupted: "up" or "down"
  int statements_applied = 0;
  int statements_total = 0;
  std::string error;
  std::string failed_statement;
};

// Another migration tool's history table found in the database (dbmate, golang-migrate,
// Flyway), as `status` reports it. tandem reads it and never changes it.
struct OtherToolHistory {
  std::string tool;   // "dbmate" | "golang-migrate" | "flyway"
  std::string table;  // where: "public.schema_migrations", "flyway_schema_history"
  // Versions it lists as applied (golang-migrate: the migration files up to its version).
  int applied = 0;
  // Of those, how many tandem's history does not have: `up` refuses to run them again, and
  // `tandem import --from <tool>` records them.
  int not_in_history = 0;
  // Of those, how many have no file in the folder: import cannot record them (it refuses, or
  // skips them with --allow-missing-files), and `up` has nothing to run for them.
  int without_file = 0;
  std::string version;  // golang-migrate: its current version ("" otherwise)
  // What stops an import (golang-migrate dirty, a failed Flyway migration), one per line.
  std::vector<std::string> blocking;
};

struct StatusReport {
  std::string database;  // redacted URL
  std::string backend;   // "postgres" | "sqlite"
  std::string dir;
  std::string current_version;  // highest applied, "" for none
  int applied = 0, pending = 0, failed = 0;
  std::vector<MigrationState> migrations;
  std::vector<Problem> problems;
  bool history_exists = false;
  // PostgreSQL: who holds the migration lock right now ("" when free).
  std::string lock_holder;
  // PostgreSQL: the migration `tandem start` made active ("version:step"), "" when none.
  std::string active_migration;
  // The active migration's version schemas: the old version's and the new version's.
  std::string active_old_schema, active_new_schema;
  // What to run next for it (only commands its phase allows), "" when none is active.
  std::string active_next_step;
  // Other tools' history tables in the database (`tandem import` takes their history over).
  std::vector<OtherToolHistory> other_tools;
};

struct AppliedStep {
  std::string version, name, file;
  Direction direction = Direction::kUp;
  long long duration_ms = 0;
  int statements = 0;
  bool transactional = true;
  int retries = 0;
  bool resumed = false;
};

struct ApplyReport {
  std::vector<AppliedStep> steps;
  std::string current_version;
  long long elapsed_ms = 0;  // wall time of the whole command, lock wait included
};

struct UpOptions {
  std::optional<std::string> to;  // apply up to and including this version
  bool resume = false;            // continue a failed/interrupted non-transactional migration
  // Run consecutive transactional migrations in one transaction: all of them or none
  // (Flyway's `group`). Migrations that must run outside a transaction still run alone.
  bool group = false;
};

struct DownOptions {
  std::optional<std::string> to;  // revert everything above this version
  int steps = 1;                  // used when `to` is not set
  bool resume = false;
};

struct PlannedMigration {
  std::string version, name, file;
  Direction direction = Direction::kUp;
  bool transactional = true;
  int resume_from = 0;  // first statement that would run (non-zero for --resume)
  std::vector<Statement> statements;
};

// `tandem import`: record what another tool applied as tandem's history, running nothing.
struct ImportOptions {
  std::string from;      // "dbmate" | "golang-migrate" | "flyway"
  std::string table;     // its history table when not the tool's default ("schema.name" allowed)
  bool dry_run = false;  // check everything and report what would be recorded; write nothing
  // Record the versions that have a file and skip those that have none (listed in the report)
  // instead of refusing the import.
  bool allow_missing_files = false;
};

struct ImportedVersion {
  std::string version, name, file;
  std::string state;   // "applied" | "baseline" (below a Flyway baseline marker)
  std::string detail;  // what the tool's history says about it (Flyway: script, by, on)
};

struct ImportReport {
  std::string tool, table;
  bool dry_run = false;
  std::vector<ImportedVersion> imported;  // recorded now (with dry_run: would be)
  std::vector<std::string> already;       // versions tandem's history had already
  // Versions imported before and reverted by `tandem down` since: not imported again.
  std::vector<std::string> reverted;
  // Versions the tool applied that no file has (imported with --allow-missing-files: skipped).
  std::vector<std::string> missing_files;
  // What the tool's history holds that is not a versioned migration (Flyway's repeatable
  // scripts), reported and not imported.
  std::vector<std::string> not_imported;
};

struct RepairAction {
  std::string version, name;
  std::string action;  // "removed_failed" | "removed_missing" | "updated_checksum"
  std::string detail;
};

// Formats problems for a person, one per line: "file:line:col: message\n  hint: …".
std::string format_problems(const std::vector<Problem>& problems);

// The refusal of a command stopped by `problems` before it changed anything: kInvalidInput,
// "N problem(s) found, <outcome>:" and the list, the problems attached (Status::problems()).
Status refused(const std::vector<Problem>& problems,
               const std::string& outcome = "nothing was changed");

}  // namespace tandem
