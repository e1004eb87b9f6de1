// validate-same-transaction: VALIDATE CONSTRAINT in the transaction that added the constraint
// NOT VALID keeps the ADD's lock for the whole validation — NOT VALID then buys nothing.

#include <fmt/format.h>

#include "lint/rule.h"

namespace tandem::lint {
namespace {

class ValidateSameTransaction final : public Rule {
 public:
  RuleInfo info() const override {
    return {"validate-same-transaction",
            "VALIDATE in the transaction that added the constraint NOT VALID holds the ADD's "
            "lock through the whole scan",
            Severity::kError};
  }
  void check(const Statement& st, const Classification&, const Context& ctx,
             std::vector<Finding>& out) const override {
    if (st.kind != "AlterTableStmt" || !ctx.in_transaction) return;
    std::string table = relation_name(st.body()["relation"]);
    for (Node item : st.body()["cmds"]) {
      Node cmd = item["AlterTableCmd"];
      if (cmd["subtype"].str() != "AT_ValidateConstraint") continue;
      std::string name(cmd["name"].str());
      if (!ctx.not_valid_here.count(table + "." + name)) continue;
      out.push_back(finding(
          st, fmt::format("{} is validated in the same transaction that added it NOT VALID", name),
          fmt::format("the ADD CONSTRAINT's lock on {} stays until COMMIT", table),
          fmt::format("-- commit after ADD CONSTRAINT … NOT VALID, then in its own "
                      "transaction (or migration):\nALTER TABLE {} VALIDATE CONSTRAINT {};",
                      table, name)));
    }
  }
};

}  // namespace

std::unique_ptr<Rule> make_validate_same_transaction() {
  return std::make_unique<ValidateSameTransaction>();
}

}  // namespace tandem::lint
