#pragma once
// Why a backfill should wait before its next batch: a replica lagging behind, a custom query
// saying so, or the rows-per-second cap (the gh-ost / pt-osc throttles).

#include <chrono>
#include <memory>
#include <string>

#include "backfill/settings.h"
#include "tandem/db.h"

namespace tandem::backfill {

class Throttle {
 public:
  explicit Throttle(const Settings& settings) : o_(settings) {}

  // Runs every configured signal once, so a wrong query or an unreachable replica is reported
  // before the backfill changes anything.
  Status check_config(db::Connection& conn);
  // Before each batch: why the backfill must wait now ("" = go on). Lag and the custom query
  // are asked at most every 250 ms.
  Result<std::string> wait_reason(db::Connection& conn);
  // After a batch of `rows` that took `batch_ms`: how long to sleep to stay under the cap.
  long long cap_sleep_ms(long long rows, double batch_ms) const;

 private:
  Result<double> lag_ms(db::Connection& conn);
  Result<bool> query_says_wait(db::Connection& conn);

  const Settings& o_;
  std::unique_ptr<db::Connection> replica_;
  std::chrono::steady_clock::time_point checked_{};
  std::string last_reason_;
};

}  // namespace tandem::backfill
