// prefer-timestamptz: timestamp without time zone silently drops the offset, so the same instant
// reads differently per session.

#include <fmt/format.h>

#include "lint/rule.h"

namespace tandem::lint {
namespace {

class Rule_prefer_timestamptz final : public Rule {
 public:
  RuleInfo info() const override {
    return {"prefer-timestamptz",
            "timestamp without time zone silently drops the offset, so the same instant reads "
            "differently per session",
            Severity::kWarning};
  }
  void check(const Statement& st, const Classification& c, const Context&,
             std::vector<Finding>& out) const override {
    for (const ColumnUse& u : columns_defined(st)) {
      if (!(u.type == "timestamp" || u.type.rfind("timestamp(", 0) == 0)) continue;
      out.push_back(finding(st,
                            fmt::format("{}.{} is timestamp without time zone", u.table, u.column),
                            lock_text(c), fmt::format("{} timestamptz", u.column)));
    }
  }
};

}  // namespace

std::unique_ptr<Rule> make_prefer_timestamptz() {
  return std::make_unique<Rule_prefer_timestamptz>();
}

}  // namespace tandem::lint
