#pragma once
// The one statement runner: what `up`/`down` run for a migration that cannot be one transaction,
// and what start/complete/rollback run for each phase — the same rules everywhere:
//   - every step under lock_timeout, retried with backoff when the lock is not granted;
//   - a transactional step commits together with its progress (so a re-run never repeats it),
//     fenced by the lock epoch; a step PostgreSQL refuses in a transaction runs alone, then its
//     progress is recorded;
//   - CREATE INDEX CONCURRENTLY run again after a kill: an INVALID leftover is dropped and built
//     again, a valid index the statement already built is accepted;
//   - nothing more is written once the migration lock is lost.

#include <functional>
#include <string>
#include <vector>

#include "engine/session.h"

namespace tandem {

// What the runner commits at once: statements that run together in one transaction, one
// statement that cannot run in one (CREATE INDEX CONCURRENTLY, VACUUM), or work that commits on
// its own (a backfill, batch by batch).
struct Step {
  std::vector<Statement> statements;  // each exactly one statement or an Action
  bool transactional = true;
  int line = 0;                       // in the migration's file, for messages
  std::function<Status()> work = {};  // instead of statements
};

// Where the runner reports a step done: inside the step's transaction when it has one.
using RecordProgress = std::function<Status(int steps_done)>;

struct RunSteps {
  std::string file;  // shown in messages and -v traces ("0007_add_index.sql")
  // "start": the Env's fault points are "start:statement:<i>" after step i is recorded, and
  // "start:unrecorded:<i>" after a non-transactional step ran, before it is recorded.
  std::string crash_point;
  RecordProgress progress;
};

struct StepsOutcome {
  size_t failed = 0;  // the step that failed (when the Status is not ok)
  int retries = 0;    // lock_timeout retries over all steps
};

// Runs steps[from…] on `s` (no transaction open). On failure the Status is the step's own
// (a lock_timeout after every retry, a LockNotAcquired when the migration lock was lost) and
// outcome.failed says which step.
Status run_steps(Session& s, const std::vector<Step>& steps, size_t from, const RunSteps& how,
                 StepsOutcome& outcome);

// One statement on `s`: its Action, or its SQL (exactly one statement).
Status execute_statement(Session& s, const Statement& st);

// Before a CREATE INDEX CONCURRENTLY runs (again): true when it must run — no index of that
// name, or an INVALID leftover of an interrupted build (dropped here first); false when a valid
// index built from this very statement exists (its build finished but the progress was not
// recorded); an InvalidInput when a valid index of that name has another definition.
Result<bool> concurrent_index_needed(Session& s, const Statement& st);

}  // namespace tandem
