#pragma once
// Batched backfill of shadow columns: keyset pagination on the row key, each batch committed
// together with its checkpoint, batch size adapting to a target duration. A killed run
// continues from the checkpoint; re-filling a row is harmless (the same expression again).

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/session.h"
#include "expand/plan.h"

namespace tandem::expand {

// The checkpoint of a backfill whose last batch has committed.
inline constexpr const char* kBackfillDone = "\"done\"";

struct BackfillStats {
  long long rows = 0, batches = 0, elapsed_ms = 0;
};

// Fills `step.set` on every row of `step.backfill_table` (in `schema`) after key `from`
// (JSON array of the key's values as text; "" = from the start). `checkpoint(key_json)` runs
// inside each batch's transaction and must record the key.
Result<BackfillStats> run_backfill(Session& s, const std::string& schema, const Step& step,
                                   const std::string& from,
                                   const std::function<Status(const std::string&)>& checkpoint);

}  // namespace tandem::expand
