#pragma once
// The one check before anything runs, shared by `up`, `down`, `plan` and `start`: what `up`
// refuses, `plan` reports the same way and `start` refuses too.

#include <vector>

#include "engine/selection.h"
#include "engine/session.h"

namespace tandem {

struct Preflight {
  Direction direction = Direction::kUp;
  bool resume = false;
  const DownOptions* down = nullptr;  // for `down`: its target and steps
  const UpOptions* up = nullptr;      // for `up`: its target
};

// Every problem of running `picks` now: the folder's (files, statements, fragments), the
// history's (changed, missing, failed, out of order), an active two-version migration this run
// does not continue, `down`'s own (no down section, unknown target), migrations another tool
// (dbmate, golang-migrate, Flyway) already applied (other_tools.h) — and, when all of those
// are clear, the layers' gates (Hooks::pre_apply: the lint gate). Changes nothing.
Result<std::vector<Problem>> preflight(Session& s, const PreparedSet& prepared,
                                       const std::vector<HistoryRow>& rows,
                                       const std::vector<Pick>& picks, const Preflight& how);

}  // namespace tandem
