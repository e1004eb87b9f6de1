// unsupported-keyword-changed: keywords tandem cannot reason about (JSON Schema `not`,
// `if`/`then`/`else`, `patternProperties`, `dependentSchemas`, …) must be equal on both sides;
// otherwise the check cannot decide, and it refuses (fail closed).

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kUnsupportedKeyword = {
    {"unsupported-keyword-changed", Level::kError,
     "keywords tandem cannot compare (not, if/then/else, patternProperties, …) differ: it "
     "refuses rather than guess"},
};

void unsupported_keyword(Walker& w, const Node& r, const Node& wr) {
  if (r.opaque.empty() || r.opaque == wr.opaque) return;
  w.report("unsupported-keyword-changed", Level::kError, &r.at, &wr.at,
           fmt::format("{}: the {} schema constrains values with {}, which {} — tandem cannot "
                       "prove that every value the {} schema allows passes, so it refuses; keep "
                       "these keywords equal on both sides, or add an exception once checked",
                       w.where(), w.reader_side(), r.opaque,
                       wr.opaque.empty() ? "the other schema does not"
                                         : "differs from the other schema's " + wr.opaque,
                       w.writer_side()));
}

}  // namespace tandem::compat::checks
