#include "engine/preflight.h"

#include <fmt/format.h>

#include "engine/other_tools.h"

namespace tandem {

Result<std::vector<Problem>> preflight(Session& s, const PreparedSet& prepared,
                                       const std::vector<HistoryRow>& rows,
                                       const std::vector<Pick>& picks, const Preflight& how) {
  std::vector<Problem> problems = prepared.set.problems;
  TANDEM_ASSIGN_OR_RETURN(std::optional<ActiveMigration> active, s.state->active());
  // `up` continues a declarative migration it was killed in the middle of (start or complete
  // part-way); one started by hand is for `tandem complete` or `rollback`.
  bool continuing = active && how.direction == Direction::kUp && !picks.empty() &&
                    picks.front().migration->version == active->version &&
                    (active->phase == Phase::kStarting || active->phase == Phase::kCompleting);
  if (active && !continuing) {
    problems.push_back({"active_migration", "", 0, 0,
                        fmt::format("migration {} is {} (two live versions)", active->version,
                                    phase_name(active->phase)),
                        phase_next_step(active->phase) + ", then run this again"});
  }
  HistoryCheck check;
  // A pending version below the newest applied one is for `up`/`start` to refuse; reverting
  // the newest applied migrations does not touch it.
  check.allow_out_of_order = s.options.allow_out_of_order || how.direction == Direction::kDown;
  if (how.resume) check.resuming = how.direction;
  for (Problem& p : check_history(prepared, rows, check)) problems.push_back(std::move(p));
  if (how.direction == Direction::kUp) {
    // Another tool (dbmate, golang-migrate, Flyway) migrated this database: what it applied
    // must not run again (`tandem import` records it first).
    TANDEM_ASSIGN_OR_RETURN(std::vector<Problem> others,
                            other_tool_problems(s, prepared, rows, picks));
    for (Problem& p : others) problems.push_back(std::move(p));
  }
  if (how.direction == Direction::kUp && how.up != nullptr && how.up->to) {
    // `up --to 9` without a version 9 would apply everything.
    std::string to = canonical_version(*how.up->to);
    bool known = prepared.find(to) != nullptr;
    for (const HistoryRow& r : rows) known = known || r.version == to;
    if (!known) {
      problems.push_back({"unknown_version", "", 0, 0,
                          fmt::format("--to {}: no migration has version {}", *how.up->to, to),
                          "pass a version from `tandem status`"});
    }
  }
  if (how.direction == Direction::kDown && how.down != nullptr) {
    for (Problem& p : check_down(prepared, rows, picks, *how.down))
      problems.push_back(std::move(p));
  }
  // The gates of the layers above (long locks, rewrites, breaking changes), once the rest is
  // clear; a migration under way was accepted when it began.
  if (how.direction == Direction::kUp && s.hooks.pre_apply && problems.empty() && !continuing) {
    std::vector<const Migration*> pending;
    for (const Pick& p : picks) pending.push_back(p.migration);
    TANDEM_ASSIGN_OR_RETURN(std::vector<Problem> refused, s.hooks.pre_apply(s, pending));
    for (Problem& p : refused) problems.push_back(std::move(p));
  }
  return problems;
}

}  // namespace tandem
