// Choosing what up and down run.

#include "engine/selection.h"

#include <fmt/format.h>

namespace tandem {

std::vector<Pick> select_up(const PreparedSet& prepared, const std::vector<HistoryRow>& rows,
                            const UpOptions& up, size_t limit) {
  std::vector<Pick> picks;
  if (up.resume) {
    for (const HistoryRow& r : rows) {
      if (r.direction == Direction::kUp &&
          (r.status == RunStatus::kFailed || r.status == RunStatus::kRunning)) {
        if (const Migration* m = prepared.find(r.version))
          picks.push_back({m, &r, r.statements_applied});
      }
    }
  }
  std::string to = up.to ? canonical_version(*up.to) : "";
  // Files and rows are both sorted by version: one merge walk, no lookups.
  size_t ri = 0;
  for (const Migration& m : prepared.set.migrations) {
    if (picks.size() >= limit) break;
    while (ri < rows.size() && compare_versions(rows[ri].version, m.version) < 0) ++ri;
    if (ri < rows.size() && rows[ri].version == m.version) continue;
    if (!to.empty() && compare_versions(m.version, to) > 0) break;
    picks.push_back({&m, nullptr, 0});
  }
  return picks;
}

std::vector<Pick> select_down(const PreparedSet& prepared, const std::vector<HistoryRow>& rows,
                              const DownOptions& down) {
  std::vector<Pick> picks;
  std::string to = down.to ? canonical_version(*down.to) : "";
  int budget = down.to ? -1 : down.steps;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    const HistoryRow& r = *it;
    if (budget == 0) break;
    if (!to.empty() && compare_versions(r.version, to) <= 0) break;
    bool failed_down = r.direction == Direction::kDown &&
                       (r.status == RunStatus::kFailed || r.status == RunStatus::kRunning);
    if (r.status == RunStatus::kBaseline) break;
    if (r.status != RunStatus::kApplied && !(down.resume && failed_down)) continue;
    const Migration* m = prepared.find(r.version);
    picks.push_back({m, &r, failed_down ? r.statements_applied : 0});
    if (budget > 0) --budget;
  }
  return picks;
}

std::vector<Problem> check_down(const PreparedSet& prepared, const std::vector<HistoryRow>& rows,
                                const std::vector<Pick>& picks, const DownOptions& down) {
  std::vector<Problem> problems;
  if (down.to) {
    std::string to = canonical_version(*down.to);
    bool known = to == "0" || prepared.find(to) != nullptr;
    for (const HistoryRow& r : rows) known = known || r.version == to;
    if (!known) {
      problems.push_back({"unknown_version", "", 0, 0,
                          fmt::format("version {} is neither a file nor applied", to),
                          "pass a version from `tandem status`, or --to 0 to revert everything"});
    }
  }
  for (const Pick& p : picks) {
    if (p.migration == nullptr) continue;  // reported as missing_file
    if (auto why = prepared.down_unavailable.find(p.migration->version);
        why != prepared.down_unavailable.end()) {
      Problem problem = why->second;
      problem.kind = "missing_down";
      problem.message = "cannot revert: " + problem.message;
      problems.push_back(std::move(problem));
      continue;
    }
    auto it = prepared.down.find(p.migration->version);
    if (!p.migration->down.present || it == prepared.down.end() || it->second.empty()) {
      problems.push_back(
          {"missing_down", p.migration->path,
           p.migration->down.present ? p.migration->down.first_line - 1 : 0, 0,
           "cannot revert: the file has no `-- tandem:down` statements",
           "add a `-- tandem:down` section that undoes the change (write it even when it is "
           "only a DROP), or revert with a new forward migration"});
    }
  }
  return problems;
}

}  // namespace tandem
