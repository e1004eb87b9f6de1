// prefer-jsonb: json stores text and reparses it on every access; jsonb is indexable and has
// equality.

#include <fmt/format.h>

#include "lint/rule.h"

namespace tandem::lint {
namespace {

class Rule_prefer_jsonb final : public Rule {
 public:
  RuleInfo info() const override {
    return {"prefer-jsonb",
            "json stores text and reparses it on every access; jsonb is indexable and has equality",
            Severity::kWarning};
  }
  void check(const Statement& st, const Classification& c, const Context&,
             std::vector<Finding>& out) const override {
    for (const ColumnUse& u : columns_defined(st)) {
      if (!(u.type == "json")) continue;
      out.push_back(finding(st, fmt::format("{}.{} is json", u.table, u.column), lock_text(c),
                            fmt::format("{} jsonb", u.column)));
    }
  }
};

}  // namespace

std::unique_ptr<Rule> make_prefer_jsonb() { return std::make_unique<Rule_prefer_jsonb>(); }

}  // namespace tandem::lint
