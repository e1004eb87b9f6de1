// set-not-null: ALTER COLUMN … SET NOT NULL scans the whole table under ACCESS EXCLUSIVE,
// unless a validated CHECK (col IS NOT NULL) already proves it (PostgreSQL 12+ then skips it).

#include <fmt/format.h>

#include "lint/rule.h"

namespace tandem::lint {
namespace {

class SetNotNull final : public Rule {
 public:
  RuleInfo info() const override {
    return {"set-not-null",
            "SET NOT NULL reads every row while holding ACCESS EXCLUSIVE (reads and writes wait)",
            Severity::kError};
  }
  void check(const Statement& st, const Classification& c, const Context& ctx,
             std::vector<Finding>& out) const override {
    for_each_alter(st, ctx, "AT_SetNotNull", [&](const std::string& table, Node cmd) {
      auto checked = ctx.not_null_checked.find(table);
      std::string col(cmd["name"].str());
      if (checked != ctx.not_null_checked.end() && checked->second.count(col)) return;
      std::string con = table + "_" + col + "_not_null";
      out.push_back(finding(
          st,
          fmt::format("SET NOT NULL on {}.{} without a validated CHECK ({} IS NOT NULL) first",
                      table, col, col),
          lock_text(c),
          fmt::format("ALTER TABLE {0} ADD CONSTRAINT {2} CHECK ({1} IS NOT NULL) NOT VALID;\n"
                      "ALTER TABLE {0} VALIDATE CONSTRAINT {2};  -- separate transaction\n"
                      "ALTER TABLE {0} ALTER COLUMN {1} SET NOT NULL;  -- no scan now\n"
                      "ALTER TABLE {0} DROP CONSTRAINT {2};",
                      table, col, con)));
    });
  }
};

}  // namespace

std::unique_ptr<Rule> make_set_not_null() { return std::make_unique<SetNotNull>(); }

}  // namespace tandem::lint
