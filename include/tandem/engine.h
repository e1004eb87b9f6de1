#pragma once
// The versioned migration engine: status, up, down, plan, validate, repair, baseline, init, new.
// Every entry point validates the whole folder against the history before it changes anything.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tandem/migration.h"
#include "tandem/status.h"

namespace tandem {

// Options shared by every engine command. Defaults are the CLI's defaults.
struct EngineOptions {
  std::string db_url = "sqlite:tandem.db";
  std::string dir = "migrations";
  std::string schema = "public";    // PostgreSQL schema the migrations run in (search_path)
  int lock_wait_ms = 60000;         // how long to wait for another tandem's migration lock
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
  // Backfills (tandem start): each batch aims to take this long; batch size adapts.
  int backfill_target_ms = 100;
  int backfill_min_rows = 10;
  int backfill_max_rows = 50000;
  // Backfill throttles (0 / "" = off): a rows-per-second cap; pausing while a replica lags
  // more than max_lag_ms (pg_stat_replication on the primary, or the standby at
  // backfill_replica_url); pausing while backfill_throttle_query returns true.
  double backfill_max_rows_per_second = 0;
  int backfill_max_lag_ms = 0;
  std::string backfill_replica_url;
  std::string backfill_throttle_query;
  // PostgreSQL `up`: pending SQL migrations are linted first (tandem/lint.h) and refused when
  // a finding is at error level; true applies them anyway.
  bool allow_unsafe = false;
  // Lint rule severities from the config file: rule id → "off" | "info" | "warning" | "error".
  std::map<std::string, std::string> lint_severity;
  // Called after each backfill batch and whenever a backfill starts or stops waiting.
  std::function<void(const struct BackfillProgress&)> on_backfill;
  // Called after each migration applied or reverted by up/down: the step, how many of this
  // run's migrations are done, and how many the run planned. Null: steps are logged instead.
  std::function<void(const struct AppliedStep&, int done, int total)> on_step;
  // Time, sleeps, the user's name and fault injection (tandem/env.h); null: Env::Default().
  class Env* env = nullptr;
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
};

// Status never changes the database.
Result<StatusReport> status(const EngineOptions& options);

// A running backfill, as reported to EngineOptions::on_backfill.
struct BackfillProgress {
  std::string job, table;
  std::string state;   // running | waiting | done
  std::string reason;  // why it waits: "paused", "replication lag 12.0 s > 5 s", …
  long long rows_done = 0, rows_updated = 0, rows_total = 0;  // rows_total: an estimate
  long long batch_size = 0;
  double rows_per_second = 0;  // over the last few seconds
  long long eta_ms = -1;       // -1: unknown
  long long elapsed_ms = 0;
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

// Applies pending migrations in version order, one transaction each (or statement by
// statement with recorded progress for non-transactional ones). On failure the Status says
// which file, line and statement failed and what to do; the report lists what did apply.
Result<ApplyReport> up(const EngineOptions& options, const UpOptions& up_options,
                       ApplyReport* partial = nullptr);
Result<ApplyReport> down(const EngineOptions& options, const DownOptions& down_options,
                         ApplyReport* partial = nullptr);

struct PlannedMigration {
  std::string version, name, file;
  Direction direction = Direction::kUp;
  bool transactional = true;
  int resume_from = 0;  // first statement that would run (non-zero for --resume)
  std::vector<Statement> statements;
};

// The exact statements `up`/`down` would run now, in order; runs nothing, changes nothing.
Result<std::vector<PlannedMigration>> plan_up(const EngineOptions& options,
                                              const UpOptions& up_options);
Result<std::vector<PlannedMigration>> plan_down(const EngineOptions& options,
                                                const DownOptions& down_options);

// Every problem of the folder and of the folder against the history. Changes nothing.
Result<std::vector<Problem>> validate(const EngineOptions& options);

struct RepairAction {
  std::string version, name;
  std::string action;  // "removed_failed" | "removed_missing" | "updated_checksum"
  std::string detail;
};

// Removes failed/interrupted history rows and rows whose file is gone, and accepts the
// current checksum of edited files. Every action is logged in the event log.
Result<std::vector<RepairAction>> repair(const EngineOptions& options);

// Marks every migration with version <= `version` as applied without running it, for
// adopting tandem on an existing database. Refused when history is not empty.
Result<std::vector<MigrationState>> baseline(const EngineOptions& options,
                                             const std::string& version);

// Creates the migrations folder and the history tables. Idempotent.
Status init(const EngineOptions& options);

// Writes a new migration file with the next free version and returns its path: SQL with
// up/down sections, or with `yaml` a declarative (pgroll-format) template.
Result<std::string> new_migration(const EngineOptions& options, const std::string& name,
                                  bool yaml = false);

// The migration formats tandem reads besides SQL: declarative .yaml, .yml and .json files
// (pgroll's operation format) — for lint::sources and load_migrations.
const Formats& migration_formats();

// Formats problems for a person, one per line: "file:line:col: message\n  hint: …".
std::string format_problems(const std::vector<Problem>& problems);

}  // namespace tandem
