#pragma once
// A backfill's row in tandem.backfill_jobs. Its progress is updated inside each batch's
// transaction, so the counts are exact across kills; the state written by another process
// (`tandem backfill pause|resume|cancel`) is read back there and takes effect between batches.

#include <string>

#include "tandem/db.h"

namespace tandem::backfill {

class JobRecord {
 public:
  // Registers job `id` for this connection's process, or takes over the row a killed run left:
  // counters reset when `fresh` (the step begins at its first row); a cancelled or failed job
  // runs again, a paused one stays paused.
  // `settings`: what it runs with (settings.h's stored form), kept with the job.
  static Result<JobRecord> begin(db::Connection& conn, const std::string& id,
                                 const std::string& version, const std::string& table,
                                 const std::string& qualified_table, const std::string& command,
                                 bool fresh, const std::string& settings);
  // The settings job `id` last ran with, "" when there is no such job to continue.
  static Result<std::string> stored_settings(db::Connection& conn, const std::string& id);
  // Marks every job of `version` rolled back (its columns are gone).
  static Status rolled_back(db::Connection& conn, const std::string& version);

  // In the batch's transaction: adds the batch, records the checkpoint; `done` for the last
  // batch. Returns the state now stored: running, paused or cancelled. (The caller adds the
  // batch to rows_done/rows_updated once the transaction commits.)
  Result<std::string> record_batch(db::Connection& conn, long long scanned, long long updated,
                                   const std::string& checkpoint, long long batch_size,
                                   double rows_per_second, bool done);
  Result<std::string> state(db::Connection& conn) const;
  // Why the job waits ("" = it does not), for `backfill status`.
  Status set_throttled(db::Connection& conn, const std::string& reason) const;
  Status failed(db::Connection& conn, const std::string& error) const;

  const std::string& id() const { return id_; }
  const std::string& initial_state() const { return initial_state_; }
  long long rows_done = 0, rows_updated = 0, rows_total = 0;
  // Where the job continues after: a key as JSON, "" = the first row, kDone = finished.
  std::string checkpoint;

 private:
  std::string id_, initial_state_;
};

}  // namespace tandem::backfill
