// `tandem lint --plan`: the SQL pending declarative migrations would run, planned against the
// database as it is (read only), linted in place of their files.

#include <fmt/format.h>

#include "commands/hooks.h"
#include "engine/selection.h"
#include "engine/session.h"
#include "expand/lifecycle.h"
#include "expand/plan.h"
#include "tandem/expand.h"

namespace tandem::expand {

Result<std::vector<lint::Source>> with_planned_sql(const EngineOptions& options,
                                                   std::vector<lint::Source> sources,
                                                   std::vector<std::string>& notes) {
  TANDEM_ASSIGN_OR_RETURN(
      auto s,
      Session::open_postgres(options, commands::hooks(options), "lint --plan", /*take_lock=*/false,
                             "it plans declarative migrations against its tables",
                             "give --db postgres://… (it is only read)"));
  PreparedSet prepared = prepare(*s);
  TANDEM_ASSIGN_OR_RETURN(PlanBase base, plan_base(*s));
  for (const Pick& p : select_up(prepared, base.history, UpOptions{})) {
    const Migration& m = *p.migration;
    if (!operations_of(m)) continue;
    auto plan = plan_two_version(m, options.schema, base.previous, base.catalog, *s->conn);
    if (!plan.ok()) {
      notes.push_back(fmt::format("{}: not planned: {}", m.path, plan.status().message()));
      continue;
    }
    std::erase_if(sources, [&](const lint::Source& src) { return src.file == m.path; });
    for (lint::Source& src : plan_sources(m, *plan)) sources.push_back(std::move(src));
  }
  return sources;
}

}  // namespace tandem::expand
