// repair: make the history agree with the folder after a human fixed things by hand.

#include <fmt/format.h>

#include <algorithm>

#include "engine/engine.h"
#include "engine/file_stat.h"
#include "engine/session.h"
#include "tandem/engine.h"

namespace tandem::engine {

Result<std::vector<RepairAction>> repair(const EngineOptions& options, const Hooks& hooks) {
  TANDEM_ASSIGN_OR_RETURN(auto s, Session::open(options, hooks, "repair", /*take_lock=*/true));
  MigrationSet set = load_migrations(options.dir, hooks.formats, options.limits);
  // A misnamed or unreadable file would look like a missing one and lose its history row.
  if (!set.problems.empty()) {
    std::vector<Problem> blocking;
    for (const Problem& p : set.problems) {
      if (p.kind == "bad_name" || p.kind == "duplicate_version" || p.kind == "unreadable_file" ||
          p.kind == "missing_dir" || p.kind == "unreadable_dir" || p.kind == "split_file") {
        blocking.push_back(p);
      }
    }
    if (!blocking.empty()) {
      return Status::InvalidInput(
                 "the migrations folder has problems; repair would misread it, nothing was "
                 "changed:\n" +
                 format_problems(blocking))
          .with_problems(blocking);
    }
  }
  std::vector<RepairAction> actions;
  TANDEM_ASSIGN_OR_RETURN(bool exists, s->state->exists());
  if (!exists) return actions;
  TANDEM_ASSIGN_OR_RETURN(db::Transaction tx,
                          db::Transaction::begin(*s->conn, s->pg() ? "BEGIN" : "BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    TANDEM_ASSIGN_OR_RETURN(std::vector<HistoryRow> rows, s->state->load());
    for (HistoryRow& r : rows) {
      const Migration* m = nullptr;
      for (const Migration& f : set.migrations) {
        if (f.version == r.version) m = &f;
      }
      RepairAction a{r.version, r.name, "", ""};
      if (r.status == RunStatus::kFailed || r.status == RunStatus::kRunning) {
        a.action = "removed_failed";
        a.detail = fmt::format(
            "removed the {} {} record ({} of {} statements had run; they were not undone)",
            run_status_name(r.status), direction_name(r.direction), r.statements_applied,
            r.statements_total);
        TANDEM_RETURN_IF_ERROR(s->state->remove(r.version));
      } else if (m == nullptr) {
        a.action = "removed_missing";
        a.detail =
            "removed the record of a migration whose file is gone (its changes stay in the "
            "database)";
        TANDEM_RETURN_IF_ERROR(s->state->remove(r.version));
      } else if (m->checksum != r.checksum) {
        a.action = "updated_checksum";
        a.detail = fmt::format("accepted the edited file: checksum {}… → {}…",
                               r.checksum.substr(0, 12), m->checksum.substr(0, 12));
        r.checksum = m->checksum;
        // The stat lets `status` skip the file from now on — only for a file without problems,
        // since `status` does not parse a file it skips.
        bool clean = std::none_of(set.problems.begin(), set.problems.end(),
                                  [&](const Problem& p) { return p.file == m->path; });
        r.file = clean ? stat_for_history(m->path, m->checksum) : FileStat{};
        TANDEM_RETURN_IF_ERROR(s->state->upsert(r));
      } else {
        continue;
      }
      TANDEM_ASSIGN_OR_RETURN(r.applied_by, s->state->applied_by());
      TANDEM_RETURN_IF_ERROR(s->state->event("repair", r, a.action + ": " + a.detail));
      actions.push_back(std::move(a));
    }
    return tx.commit();
  };
  TANDEM_RETURN_IF_ERROR(body());  // an error rolls `tx` back
  return actions;
}

}  // namespace tandem::engine
