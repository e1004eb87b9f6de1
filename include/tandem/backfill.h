#pragma once
// Backfills and data migrations: batched, checkpointed, throttled changes of every row of a
// table while the application keeps writing; the jobs' state in the database so another
// terminal can watch, pause, resume or cancel them; and verification (old vs new
// representation of an active migration, or two tables by chunked checksums).

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tandem/engine.h"

namespace tandem {

struct Options;  // tandem/options.h

// A running backfill, as reported to BackfillOptions::on_progress.
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

// How backfills (the batched UPDATEs of `tandem start` and `up`) run. A value left unset is
// the one the job stored when it last ran — `backfill resume`, or running the command again
// after a kill, keeps a job's throttles — else the default in the comment (the CLI's).
struct BackfillOptions {
  // Each batch aims to take this long (100); the batch size adapts between min_rows and
  // max_rows (50000).
  std::optional<int> target_ms;
  int min_rows = 10;
  std::optional<int> max_rows;
  // Throttles (0 / "" = off, the default): a rows-per-second cap; pausing while a replica lags
  // more than max_lag_ms (pg_stat_replication on the primary, or the standby at replica_url —
  // stored without its password); pausing while throttle_query returns true.
  std::optional<double> max_rows_per_second;
  std::optional<int> max_lag_ms;
  std::optional<std::string> replica_url;
  std::optional<std::string> throttle_query;
  // Called after each batch and whenever a backfill starts or stops waiting. Null: progress
  // is logged (EngineOptions::log) every few seconds.
  std::function<void(const BackfillProgress&)> on_progress;
};

}  // namespace tandem

namespace tandem::backfill {

// A job's state as stored in tandem.backfill_jobs (one row per backfill step of a migration).
struct BackfillJob {
  std::string id;       // "<version>/<table>", "#2" appended for a second job on one table
  std::string version;  // the migration it belongs to
  std::string table;
  std::string command;  // the command that runs it: "up" or "start"
  // running | paused | cancelled | failed | done | rolled_back
  std::string state;
  std::string throttled;       // why a running job is waiting right now ("" = it is not)
  long long rows_done = 0;     // rows scanned so far
  long long rows_updated = 0;  // rows changed so far (fewer than rows_done with a `where`)
  long long rows_total = 0;    // estimate (pg_class.reltuples at the job's start)
  long long batch_size = 0;
  double rows_per_second = 0;
  long long eta_ms = -1;   // -1: unknown
  std::string checkpoint;  // the last committed batch's upper key, "(42)"; "" before the first
  std::string error;       // why it failed, for failed jobs
  std::string runner;      // the process running it ("tandem start (pid 12@host)"), "" = none
  std::string started_at, updated_at, finished_at;
};

// Jobs, running and paused first, then newest first: `job` alone, or every unfinished job and
// the newest `finished` others.
Result<std::vector<BackfillJob>> status(const EngineOptions& options,
                                        const std::optional<std::string>& job, int finished = 20);

enum class Action { kPause, kResume, kCancel };

struct ControlReport {
  BackfillJob job;             // after the action
  std::string previous_state;  // before it
  // kResume of a job no process runs: the command that started it was run again here, and
  // this is what it reported (the job is done when it returns).
  bool continued_here = false;
};

// Pauses (the runner waits after its current batch), resumes, or cancels (the runner stops
// after its current batch and fails; the checkpoint stays, so `resume` — or running the
// command again — continues, and `tandem rollback` undoes the migration) `job`, or the one
// unfinished job when `job` is empty. Resuming a job no process runs continues it here.
// A job resumed here runs with `options.backfill`.
// With `continue_here` false, resuming a job no process runs is refused (Code::kInvalidInput,
// nothing changed) instead — for a caller that must not run a backfill itself (a server).
Result<ControlReport> control(const Options& options, const std::optional<std::string>& job,
                              Action action, bool continue_here = true);

// One translated column of the active migration, checked over every row.
struct VerifyCheck {
  std::string table;       // physical
  std::string column;      // the column checked (physical)
  std::string direction;   // "up": new column = up(old columns); "down": old column = down(new)
  std::string expression;  // what it is compared with
  long long rows = 0, mismatches = 0;
  std::vector<std::string> sample_keys;  // up to 5 row keys, as "(1)" / "(1,'a')"
};

struct VerifyReport {
  std::string version, file;
  std::vector<VerifyCheck> checks;
  long long elapsed_ms = 0;
  long long mismatches() const {
    long long n = 0;
    for (const VerifyCheck& c : checks) n += c.mismatches;
    return n;
  }
};

// One `tandem verify` as the event log keeps it (each run is recorded, clean or not).
struct VerifyRecord {
  std::string version;                 // the migration verified
  std::string at;                      // ISO-8601 UTC
  std::string status;                  // "clean" | "mismatches"
  std::string summary;                 // "3 mismatch(es) in 2 check(s) over 1000 row(s)"
  long long rows = 0, mismatches = 0;  // 0 for results recorded before tandem kept them
  long long elapsed_ms = 0;
  std::vector<VerifyCheck> checks;  // with their sample keys; empty for older results
};

// The newest `limit` recorded verify results (of every migration), newest first. Read only;
// empty without history.
Result<std::vector<VerifyRecord>> verify_history(const EngineOptions& options, int limit);

// `tandem verify`: for the active migration, counts the rows where a new column differs from
// `up` of the old columns and where an old column differs from `down` of the new ones — in
// key-range batches, all under one consistent snapshot (REPEATABLE READ, read only), without
// taking the migration lock. Run it before `tandem complete`.
Result<VerifyReport> verify(const EngineOptions& options);

// A key range where two tables differ.
struct DiffRange {
  std::string after, upto;  // keys, "(42)"; "" = the table's start / end
  long long rows_a = 0, rows_b = 0;
  std::vector<std::string> sample_keys;  // up to 5 keys whose rows differ or exist on one side
};

struct TableDiff {
  std::string table_a, table_b;
  std::vector<std::string> key, columns;  // key: table_a's; columns compared (both tables have)
  long long rows_a = 0, rows_b = 0, chunks = 0;
  std::vector<DiffRange> ranges;  // empty: the tables hold the same rows
  long long elapsed_ms = 0;
};

// `tandem verify --tables A B`: compares the rows of two PostgreSQL tables (schema-qualified or
// in --schema) chunk by chunk along A's key — an order-independent checksum of each chunk's
// rows over the columns both have, under one snapshot — and names the key ranges that differ,
// with sample keys. Changes nothing.
Result<TableDiff> compare_tables(const EngineOptions& options, const std::string& table_a,
                                 const std::string& table_b, long long chunk_rows = 10000);

}  // namespace tandem::backfill
