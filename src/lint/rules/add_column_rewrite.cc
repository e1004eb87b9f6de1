// add-column-rewrite: ADD COLUMN with a volatile default, serial/identity, or GENERATED … STORED
// rewrites the whole table under ACCESS EXCLUSIVE (a constant or stable default does not).

#include <fmt/format.h>

#include "lint/rule.h"

namespace tandem::lint {
namespace {

class AddColumnRewrite final : public Rule {
 public:
  RuleInfo info() const override {
    return {"add-column-rewrite",
            "ADD COLUMN with a volatile default, serial/identity or GENERATED STORED rewrites "
            "the table under ACCESS EXCLUSIVE",
            Severity::kError};
  }
  void check(const Statement& st, const Classification& c, const Context& ctx,
             std::vector<Finding>& out) const override {
    for_each_alter(st, ctx, "AT_AddColumn", [&](const std::string& table, Node cmd) {
      Node def = cmd["def"]["ColumnDef"];
      std::string col(def["colname"].str()), type = type_name(def["typeName"]), why;
      if (type.find("serial") != std::string::npos) why = type;
      for (Node con : def["constraints"]) {
        std::string_view t = con["Constraint"]["contype"].str();
        if (t == "CONSTR_IDENTITY") why = "an identity column";
        if (t == "CONSTR_GENERATED") why = "GENERATED … STORED";
        if (t == "CONSTR_DEFAULT" && volatile_default(con["Constraint"]["raw_expr"]))
          why = "a volatile default";
      }
      if (why.empty()) return;
      out.push_back(
          finding(st, fmt::format("ADD COLUMN {}.{} with {} rewrites every row", table, col, why),
                  lock_text(c),
                  fmt::format("ALTER TABLE {0} ADD COLUMN {1} {2};  -- no default: instant\n"
                              "ALTER TABLE {0} ALTER COLUMN {1} SET DEFAULT …;  -- new rows\n"
                              "-- then fill existing rows in batches (a tandem `update` operation)",
                              table, col,
                              type == "serial"      ? "integer"
                              : type == "bigserial" ? "bigint"
                                                    : type)));
    });
  }
};

}  // namespace

std::unique_ptr<Rule> make_add_column_rewrite() { return std::make_unique<AddColumnRewrite>(); }

}  // namespace tandem::lint
