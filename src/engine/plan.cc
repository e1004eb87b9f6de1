// plan: the statements up/down would run, computed exactly as they would, running nothing.

#include "engine/engine.h"
#include "engine/preflight.h"
#include "engine/selection.h"
#include "engine/session.h"
#include "tandem/engine.h"

#include <fmt/format.h>

namespace tandem::engine {
namespace {

Result<std::vector<PlannedMigration>> plan(const EngineOptions& options, const Hooks& hooks,
                                           Direction dir, const UpOptions& up_opts,
                                           const DownOptions& down_opts) {
  TANDEM_ASSIGN_OR_RETURN(EngineOptions opts, missing_sqlite_as_empty(options, "planned"));
  TANDEM_ASSIGN_OR_RETURN(auto s, Session::open(opts, hooks, "plan", /*take_lock=*/false));
  PreparedSet prepared = prepare(*s);
  std::vector<HistoryRow> rows;
  TANDEM_ASSIGN_OR_RETURN(bool exists, s->state->exists());
  if (exists) {
    TANDEM_ASSIGN_OR_RETURN(rows, s->state->load());
  }
  std::vector<Pick> picks = dir == Direction::kUp ? select_up(prepared, rows, up_opts)
                                                  : select_down(prepared, rows, down_opts);
  // The same check `up`/`down` make first — lint gate included: plan refuses what they would.
  Preflight how{dir, dir == Direction::kUp ? up_opts.resume : down_opts.resume, &down_opts,
                &up_opts};
  TANDEM_ASSIGN_OR_RETURN(std::vector<Problem> problems, preflight(*s, prepared, rows, picks, how));
  if (!problems.empty()) {
    return refused(problems,
                   fmt::format("`{}` would refuse to run", dir == Direction::kUp ? "up" : "down"));
  }
  std::vector<PlannedMigration> out;
  for (const Pick& p : picks) {
    const Migration& m = *p.migration;
    const auto& stmts =
        dir == Direction::kUp ? prepared.up.at(m.version) : prepared.down.at(m.version);
    PlannedMigration pm;
    pm.version = m.version;
    pm.name = m.name;
    pm.file = m.file;
    pm.direction = dir;
    pm.transactional = !runs_outside_transaction(m, stmts, p.row);
    pm.resume_from = p.resume_from;
    pm.statements = stmts;
    const Procedure* proc = m.body ? m.body->procedure(s->backend()) : nullptr;
    if (dir == Direction::kUp && proc != nullptr) {
      pm.statements = proc->plan(*s, m);
      pm.transactional = false;
    }
    out.push_back(std::move(pm));
  }
  return out;
}

}  // namespace

Result<std::vector<PlannedMigration>> plan_up(const EngineOptions& options, const Hooks& hooks,
                                              const UpOptions& up_options) {
  return plan(options, hooks, Direction::kUp, up_options, DownOptions{});
}

Result<std::vector<PlannedMigration>> plan_down(const EngineOptions& options, const Hooks& hooks,
                                                const DownOptions& down_options) {
  return plan(options, hooks, Direction::kDown, UpOptions{}, down_options);
}

}  // namespace tandem::engine
