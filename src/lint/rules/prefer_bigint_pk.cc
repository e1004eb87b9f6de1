// prefer-bigint-pk: an integer primary key runs out at 2,147,483,647 rows, and widening it later
// rewrites the table.

#include <fmt/format.h>

#include "lint/rule.h"

namespace tandem::lint {
namespace {

class Rule_prefer_bigint_pk final : public Rule {
 public:
  RuleInfo info() const override {
    return {"prefer-bigint-pk",
            "an integer primary key runs out at 2,147,483,647 rows, and widening it later rewrites "
            "the table",
            Severity::kWarning};
  }
  void check(const Statement& st, const Classification& c, const Context&,
             std::vector<Finding>& out) const override {
    for (const ColumnUse& u : columns_defined(st)) {
      if (!(u.primary_key && (u.type == "int4" || u.type == "int2" || u.type == "serial" ||
                              u.type == "smallserial" || u.type == "serial4")))
        continue;
      out.push_back(finding(
          st, fmt::format("primary key {}.{} is {}", u.table, u.column, u.type), lock_text(c),
          fmt::format("{} bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY", u.column)));
    }
  }
};

}  // namespace

std::unique_ptr<Rule> make_prefer_bigint_pk() { return std::make_unique<Rule_prefer_bigint_pk>(); }

}  // namespace tandem::lint
