#pragma once
// `tandem plan --runbook`: for every pending migration, the phases an operator goes through —
// what each runs, the locks it takes and on what, how long it should take, the check before
// the next phase, how to undo it, and what cannot be undone. Nothing runs; the database is
// only read (its tables' sizes, the rate of past backfills).

#include <optional>
#include <string>
#include <vector>

#include "tandem/engine.h"
#include "tandem/options.h"

namespace tandem {

// A lock a statement of a phase takes.
struct RunbookLock {
  // PostgreSQL's lock level ("ACCESS EXCLUSIVE", "SHARE", … as lint::lock_name spells them,
  // "ROW EXCLUSIVE" for backfill batches, "ACCESS SHARE" for verify's reads); on SQLite
  // "database write lock" (one writer at a time for the whole database).
  std::string mode;
  std::string relation;   // the table or index; "" for the whole database
  std::string statement;  // the statement taking it, whitespace collapsed (maybe shortened)
  int line = 0;           // where it is in the migration file (0: generated, no own line)
  bool blocks_reads = false;
  bool blocks_writes = false;
  bool rewrites = false;  // every row of the table is copied while the lock is held
  bool scans = false;     // every row of the table is read while the lock is held
};

// One phase of a migration's rollout.
struct RunbookPhase {
  // up (a SQL migration, or a declarative one on SQLite); expand, backfill, validate,
  // read_switch, contract (a declarative migration on PostgreSQL).
  std::string name;
  std::string command;  // what the operator runs ("tandem start 2"); "" when nothing to run
  std::string what;     // what the phase does, one sentence
  // done | active (the migration's current phase) | pending. Only an active declarative
  // migration has phases done.
  std::string state = "pending";
  std::vector<RunbookLock> locks;
  // Rows the phase changes or reads (backfill, validate, a rewrite); 0 when none. Tables are
  // sized from pg_class.reltuples, or count(*) for a table never analyzed (and on SQLite).
  long long rows = 0;
  long long estimate_ms = 0;  // how long the phase should take; 0 = moments (catalog only)
  // How the estimate was made: the rows and the rate, "measured over N finished backfill
  // jobs" or "estimated from default rate".
  std::string estimate_basis;
  std::string gate;  // what must hold before the next phase
  // The command that undoes this phase, "" when none does (only a new migration can).
  std::string rollback;
  std::string rollback_note;         // what the rollback does not undo, or why there is none
  bool rollback_drops_data = false;  // the rollback (a `down`) drops tables, columns or rows
  bool irreversible = false;         // once run, no command brings the previous state back
  std::string irreversible_reason;   // why ("drops the old representation: …")
};

struct MigrationRunbook {
  std::string version, name, file;
  std::string kind;  // "sql" | "declarative"
  std::vector<RunbookPhase> phases;
  // Things the runbook could not know ("planned when it is reached: …").
  std::vector<std::string> notes;
};

struct Runbook {
  std::string database;  // redacted URL
  std::string backend;   // "postgres" | "sqlite"
  // The backfill rate estimates use: measured from tandem.backfill_jobs (finished jobs),
  // else the default (kDefaultBackfillRowsPerSecond), capped by --max-rows-per-second.
  double backfill_rows_per_second = 0;
  int backfill_jobs_measured = 0;  // 0: the default rate
  std::string backfill_rate_basis;
  std::vector<MigrationRunbook> migrations;  // pending ones, in the order `up` applies them
  long long estimate_ms = 0;                 // sum of every phase's estimate
};

// Rates assumed when nothing was measured (documented in docs/engine.md, "Runbooks").
inline constexpr double kDefaultBackfillRowsPerSecond = 10000;
inline constexpr double kDefaultVerifyRowsPerSecond = 100000;
inline constexpr double kDefaultRewriteRowsPerSecond = 200000;  // a table rewrite or scan

// `tandem plan --runbook`: the runbook of the migrations `tandem up` (with `up`) would apply.
// Refused as `tandem plan` refuses (the folder's and the history's problems) — except that an
// active declarative migration is shown with its phases done so far, and the lint gate is not
// run (`tandem plan` and `tandem lint` do that; the runbook shows the locks either way).
Result<Runbook> runbook(const Options& options, const UpOptions& up = {});

}  // namespace tandem
