// `tandem lint --plan`: the SQL pending declarative migrations would run, planned against the
// database as it is (read only), linted in place of their files.

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iterator>

#include "commands/hooks.h"
#include "engine/selection.h"
#include "engine/session.h"
#include "expand/lifecycle.h"
#include "expand/plan.h"
#include "tandem/expand.h"

namespace tandem::expand {
namespace {

// "m/0002.yaml" and "./m/0002.yaml" are one file.
bool same_file(const std::string& a, const std::string& b) {
  if (a == b) return true;
  std::error_code ea, eb;
  auto ca = std::filesystem::weakly_canonical(a, ea), cb = std::filesystem::weakly_canonical(b, eb);
  return !ea && !eb && ca == cb;
}

}  // namespace

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
    // In place of the file's sources (an earlier migration read for context stays context);
    // at the end when it was not among them.
    auto of_m = [&](const lint::Source& src) { return same_file(src.file, m.path); };
    auto at = std::find_if(sources.begin(), sources.end(), of_m);
    bool context = at != sources.end() && at->context;
    auto index = at - sources.begin();
    std::erase_if(sources, of_m);
    std::vector<lint::Source> planned = plan_sources(m, *plan);
    for (lint::Source& src : planned) src.context = context;
    sources.insert(sources.begin() + index, std::make_move_iterator(planned.begin()),
                   std::make_move_iterator(planned.end()));
  }
  return sources;
}

}  // namespace tandem::expand
