#pragma once
// Which migrations `up` and `down` run next, in order. Shared by apply and plan so that
// `plan` prints exactly what `up`/`down` would do.

#include <cstdint>

#include "engine/session.h"

namespace tandem {

struct Pick {
  const Migration* migration = nullptr;
  const HistoryRow* row = nullptr;  // the existing history row (down, or a resumed up)
  int resume_from = 0;              // index of the first statement to run
};

// Pending migrations up to `to`, lowest first; a failed/interrupted `up` first when resuming.
// At most `limit` picks are returned.
std::vector<Pick> select_up(const PreparedSet& prepared, const std::vector<HistoryRow>& rows,
                            const UpOptions& up, size_t limit = SIZE_MAX);

// Applied migrations above `to` (or the last `steps`), highest first; a failed/interrupted
// `down` first when resuming. Baseline rows are a floor: never reverted.
std::vector<Pick> select_down(const PreparedSet& prepared, const std::vector<HistoryRow>& rows,
                              const DownOptions& down);

// Problems specific to reverting `picks` (no down section, unknown target).
std::vector<Problem> check_down(const PreparedSet& prepared, const std::vector<HistoryRow>& rows,
                                const std::vector<Pick>& picks, const DownOptions& down);

}  // namespace tandem
