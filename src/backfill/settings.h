#pragma once
// The settings a backfill runs with: BackfillOptions with every unset value taken from what the
// job stored when it last ran (so `backfill resume`, or re-running the command after a kill,
// keeps its throttles), else the default. A job stores what it runs with.

#include <string>

#include "tandem/backfill.h"

namespace tandem::backfill {

struct Settings {
  int target_ms = 100;
  int min_rows = 10;
  int max_rows = 50000;
  double max_rows_per_second = 0;
  int max_lag_ms = 0;
  std::string replica_url;
  std::string throttle_query;
};

// `stored`: the JSON a previous run of the job stored ("" = none). A stored replica URL with a
// password is stored without it: continuing such a job needs the URL given again.
Result<Settings> resolve(const BackfillOptions& options, const std::string& stored);

// What the job stores: JSON, the replica URL's password left out.
std::string stored_form(const Settings& settings);

// "100ms batches, at most 500 rows/s, …": the throttles in force, for the log.
std::string describe(const Settings& settings);

}  // namespace tandem::backfill
