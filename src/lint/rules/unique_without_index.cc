// unique-without-index: ADD UNIQUE / PRIMARY KEY builds its index under ACCESS EXCLUSIVE;
// build it CONCURRENTLY first and attach it with USING INDEX.

#include <fmt/format.h>

#include "lint/rule.h"

namespace tandem::lint {
namespace {

class UniqueWithoutIndex final : public Rule {
 public:
  RuleInfo info() const override {
    return {"unique-without-index",
            "ADD UNIQUE or PRIMARY KEY builds its index while holding ACCESS EXCLUSIVE",
            Severity::kError};
  }
  void check(const Statement& st, const Classification& c, const Context& ctx,
             std::vector<Finding>& out) const override {
    for_each_alter(st, ctx, "AT_AddConstraint", [&](const std::string& table, Node cmd) {
      Node con = cmd["def"]["Constraint"];
      std::string_view type = con["contype"].str();
      if ((type != "CONSTR_UNIQUE" && type != "CONSTR_PRIMARY") || !con["indexname"].str().empty())
        return;
      std::string cols;
      for (Node k : con["keys"]) {
        if (!cols.empty()) cols += ", ";
        cols += k["String"]["sval"].str();
      }
      std::string name(con["conname"].str());
      if (name.empty()) name = table + "_" + (type == "CONSTR_UNIQUE" ? "key" : "pkey");
      std::string what = type == "CONSTR_UNIQUE" ? "UNIQUE" : "PRIMARY KEY";
      out.push_back(finding(
          st, fmt::format("{} on {} builds its index under ACCESS EXCLUSIVE", what, table),
          lock_text(c),
          fmt::format("CREATE UNIQUE INDEX CONCURRENTLY {0} ON {1} ({2});  -- outside a "
                      "transaction\nALTER TABLE {1} ADD CONSTRAINT {0} {3} USING INDEX {0};",
                      name, table, cols, what)));
    });
  }
};

}  // namespace

std::unique_ptr<Rule> make_unique_without_index() { return std::make_unique<UniqueWithoutIndex>(); }

}  // namespace tandem::lint
