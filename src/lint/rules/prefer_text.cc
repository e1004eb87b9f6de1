// prefer-text: char(n) pads with spaces and is no faster; text (or varchar with a CHECK) says what
// is meant.

#include <fmt/format.h>

#include "lint/rule.h"

namespace tandem::lint {
namespace {

class Rule_prefer_text final : public Rule {
 public:
  RuleInfo info() const override {
    return {"prefer-text",
            "char(n) pads with spaces and is no faster; text (or varchar with a CHECK) says what "
            "is meant",
            Severity::kWarning};
  }
  void check(const Statement& st, const Classification& c, const Context&,
             std::vector<Finding>& out) const override {
    for (const ColumnUse& u : columns_defined(st)) {
      if (!(u.type.rfind("bpchar", 0) == 0)) continue;
      out.push_back(
          finding(st, fmt::format("{}.{} is char(n)", u.table, u.column), lock_text(c),
                  fmt::format("{} text  -- with CHECK (length({}) <= n) if the limit matters",
                              u.column, u.column)));
    }
  }
};

}  // namespace

std::unique_ptr<Rule> make_prefer_text() { return std::make_unique<Rule_prefer_text>(); }

}  // namespace tandem::lint
