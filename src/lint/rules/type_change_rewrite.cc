// type-change-rewrite: ALTER COLUMN … TYPE rewrites the table and every index under ACCESS
// EXCLUSIVE, unless the change is binary-coercible (varchar widening, varchar → text, …).

#include <fmt/format.h>

#include "lint/rule.h"

namespace tandem::lint {
namespace {

class TypeChangeRewrite final : public Rule {
 public:
  RuleInfo info() const override {
    return {"type-change-rewrite",
            "changing a column's type rewrites the table and its indexes under ACCESS EXCLUSIVE",
            Severity::kError};
  }
  void check(const Statement& st, const Classification& c, const Context& ctx,
             std::vector<Finding>& out) const override {
    for_each_alter(st, ctx, "AT_AlterColumnType", [&](const std::string& table, Node cmd) {
      auto known = ctx.tables.find(table);
      Node def = cmd["def"]["ColumnDef"];
      std::string col(cmd["name"].str()), to = type_name(def["typeName"]), from;
      if (known != ctx.tables.end()) {
        auto it = known->second.columns.find(col);
        if (it != known->second.columns.end()) from = it->second;
      }
      bool using_expr = def.contains("raw_default");
      if (!using_expr && !from.empty() && !type_change_rewrites(from, to)) return;
      std::string fix = fmt::format(
          "-- expand/contract instead (a tandem declarative migration):\n"
          "--   - alter_column: {{table: {}, column: {}, type: {}, up: \"{}::{}\", down: "
          "\"...\"}}",
          table, col, to, col, to);
      Finding f = finding(
          st,
          from.empty()
              ? fmt::format("changing {}.{} to {} rewrites the table unless its current type is "
                            "binary-coercible to it (unknown here: it was not created in these "
                            "migrations)",
                            table, col, to)
              : fmt::format("changing {}.{} from {} to {} rewrites the table{}", table, col, from,
                            to, using_expr ? " (USING)" : ""),
          lock_text(c), fix);
      if (from.empty() && !using_expr) f.severity = Severity::kWarning;
      out.push_back(std::move(f));
    });
  }
};

}  // namespace

std::unique_ptr<Rule> make_type_change_rewrite() { return std::make_unique<TypeChangeRewrite>(); }

}  // namespace tandem::lint
