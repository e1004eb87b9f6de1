// The SQL a declarative migration's plan runs, linted like any migration: the statements of
// `start` (generated ones and the `sql` operations' own) while both versions are live, those of
// `complete` once the old one is gone.

#include <fmt/format.h>

#include "engine/selection.h"
#include "engine/session.h"
#include "expand/lifecycle.h"

namespace tandem::expand {
namespace {

// "`tandem start` (add_column)": the phase and the operation on the step's line.
std::string origin(const Migration& m, const PlanStep& step, const char* phase) {
  std::string kind = "dual-write trigger";
  if (step.line != 0 && operations_of(m)) {
    for (const auto& op : *operations_of(m))
      if (op->line() == step.line) kind = op->kind();
  }
  return fmt::format("`tandem {}` ({})", phase, kind);
}

void add_phase(const Migration& m, const std::vector<PlanStep>& steps, const char* phase,
               bool old_version_gone, std::vector<lint::Source>& out) {
  for (const PlanStep& step : steps) {
    if (!step.backfill_table.empty()) continue;  // batched by tandem: no SQL of its own
    std::string sql;
    for (const std::string& one : step.sql) sql += (sql.empty() ? "" : ";\n") + one;
    lint::Source src{m.path, sql, step.line == 0 ? 1 : step.line, step.transactional};
    src.generated_by = origin(m, step, phase);
    src.continues = !out.empty();
    src.old_version_gone = old_version_gone;
    out.push_back(std::move(src));
  }
}

}  // namespace

std::vector<lint::Source> plan_sources(const Migration& m, const TwoVersionPlan& plan) {
  std::vector<lint::Source> out;
  add_phase(m, plan.start, "start", false, out);
  add_phase(m, plan.complete, "complete", true, out);
  return out;
}

Result<std::vector<Problem>> unsafe_plan(const Migration& m, const TwoVersionPlan& plan,
                                         const std::map<std::string, std::string>& rules,
                                         db::Connection& conn, const std::string& schema) {
  lint::LintOptions o;
  TANDEM_ASSIGN_OR_RETURN(o.severity, lint::severities(rules));
  o.runner_sets_lock_timeout = true;
  o.column_types = lint::live_column_types(conn, schema);
  o.continue_after_parse_errors = true;
  TANDEM_ASSIGN_OR_RETURN(lint::LintReport report, lint::lint(plan_sources(m, plan), o));
  std::vector<Problem> out = lint::parse_problems(report);
  for (Problem& p : lint::unsafe_findings(report)) out.push_back(std::move(p));
  return out;
}

Result<std::optional<std::vector<Problem>>> gate_pending(
    Session& s, const Migration& m, const std::map<std::string, std::string>& rules) {
  // Reading index and constraint definitions waits on a table's ACCESS EXCLUSIVE lock: retried
  // after lock_timeout like every statement tandem runs.
  std::optional<PlanBase> base;
  TANDEM_RETURN_IF_ERROR(s.with_lock_retries("reading the catalog:", [&]() -> Status {
    auto now = plan_base(s);
    if (now.ok()) base = std::move(*now);
    return now.status();
  }));
  auto plan = plan_two_version(m, s.options.schema, base->previous, base->catalog, *s.conn);
  if (!plan.ok()) return std::optional<std::vector<Problem>>();
  TANDEM_ASSIGN_OR_RETURN(std::vector<Problem> problems,
                          unsafe_plan(m, *plan, rules, *s.conn, s.options.schema));
  return std::optional<std::vector<Problem>>(std::move(problems));
}

}  // namespace tandem::expand
