#pragma once
// The batched backfill: keyset pagination on the row key, each batch committed together with
// its checkpoint and its job's progress, batch size adapting to a target duration, throttles
// and pause/cancel honoured between batches. A killed run continues from the checkpoint.

#include <functional>
#include <string>
#include <vector>

#include "engine/session.h"
#include "tandem/backfill.h"

namespace tandem::backfill {

// The checkpoint of a backfill whose last batch has committed.
inline constexpr const char* kDone = "\"done\"";

// `UPDATE table SET set WHERE where` over every row, in key order.
struct Spec {
  std::string table;  // quoted and qualified
  std::string name;   // for messages and the job ("orders")
  std::vector<std::string> key;
  std::string set;    // "col" = (expr), …
  std::string where;  // "" = every row
  // Writes as this application version (tandem.version for the batch's transaction), so the
  // dual-write triggers translate them into the other version's representation. "" = as a
  // plain write to the table (the old version).
  std::string as_version = {};
};

struct Run {
  std::string job_id, version;
  // Continue the job from the checkpoint its row holds (the step was under way when a run
  // stopped); false starts it over from the first row.
  bool resume = false;
  // Called inside each batch's transaction just before it commits (the batch's number, from 1):
  // a fault-injection point — a kill there loses exactly that batch.
  std::function<void(long long batch)> before_commit = {};
};

struct Stats {
  long long rows = 0, updated = 0, batches = 0, elapsed_ms = 0;
};

// Runs (or continues) the backfill on `s` (PostgreSQL, no transaction open). Errors: a row
// the change fails on is named by its key ("failed at row key (42): …"), the batch it was in
// rolled back and every earlier batch kept; a cancelled job fails with a Problem status.
// Batch sizes, throttles and progress come from `options`.
Result<Stats> run(Session& s, const BackfillOptions& options, const Spec& spec, const Run& run);

}  // namespace tandem::backfill
