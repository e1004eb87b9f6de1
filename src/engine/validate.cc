// validate: every problem of the folder, and of the folder against the history; changes nothing.

#include "engine/engine.h"
#include "engine/other_tools.h"
#include "engine/session.h"
#include "tandem/engine.h"

namespace tandem::engine {

Result<std::vector<Problem>> validate(const EngineOptions& options, const Hooks& hooks) {
  TANDEM_ASSIGN_OR_RETURN(EngineOptions opts, missing_sqlite_as_empty(options, "validated"));
  TANDEM_ASSIGN_OR_RETURN(auto s, Session::open(opts, hooks, "validate", /*take_lock=*/false));
  PreparedSet prepared = prepare(*s);
  std::vector<HistoryRow> rows;
  TANDEM_ASSIGN_OR_RETURN(bool exists, s->state->exists());
  if (exists) {
    TANDEM_ASSIGN_OR_RETURN(rows, s->state->load());
  }
  HistoryCheck check;
  check.allow_out_of_order = options.allow_out_of_order;
  std::vector<Problem> problems = prepared.set.problems;
  for (Problem& p : check_history(prepared, rows, check)) problems.push_back(std::move(p));
  // What `up` would refuse on a database another tool migrated (preflight does the same).
  std::vector<Pick> pending = select_up(prepared, rows, UpOptions{});
  TANDEM_ASSIGN_OR_RETURN(std::vector<Problem> others,
                          other_tool_problems(*s, prepared, rows, pending));
  for (Problem& p : others) problems.push_back(std::move(p));
  return problems;
}

}  // namespace tandem::engine
