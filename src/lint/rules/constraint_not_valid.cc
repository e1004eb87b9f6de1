// constraint-not-valid: a FOREIGN KEY or CHECK added without NOT VALID scans the whole table
// while holding its lock (FK: SHARE ROW EXCLUSIVE on both tables; CHECK: ACCESS EXCLUSIVE).

#include <fmt/format.h>

#include "lint/rule.h"

namespace tandem::lint {
namespace {

class ConstraintNotValid final : public Rule {
 public:
  RuleInfo info() const override {
    return {"constraint-not-valid",
            "adding a foreign key or CHECK validates every row while holding a lock that blocks "
            "writes",
            Severity::kError};
  }
  void check(const Statement& st, const Classification& c, const Context& ctx,
             std::vector<Finding>& out) const override {
    for_each_alter(st, ctx, "AT_AddConstraint", [&](const std::string& table, Node cmd) {
      Node con = cmd["def"]["Constraint"];
      std::string_view type = con["contype"].str();
      if ((type != "CONSTR_FOREIGN" && type != "CONSTR_CHECK") || con["skip_validation"].boolean())
        return;
      std::string name(con["conname"].str());
      if (name.empty()) name = "<name>";
      out.push_back(finding(
          st,
          fmt::format("{} {} on {} is validated against every row under the lock",
                      type == "CONSTR_FOREIGN" ? "FOREIGN KEY" : "CHECK", name, table),
          lock_text(c),
          fmt::format("ALTER TABLE {} ADD CONSTRAINT {} … NOT VALID;\n-- then, in a separate "
                      "transaction (SHARE UPDATE EXCLUSIVE: writes go on):\nALTER TABLE {} "
                      "VALIDATE CONSTRAINT {};",
                      table, name, table, name)));
    });
  }
};

}  // namespace

std::unique_ptr<Rule> make_constraint_not_valid() { return std::make_unique<ConstraintNotValid>(); }

}  // namespace tandem::lint
