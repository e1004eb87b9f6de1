// add-column-not-null: ADD COLUMN … NOT NULL without a default fails on any table with rows.

#include <fmt/format.h>

#include "lint/rule.h"

namespace tandem::lint {
namespace {

class AddColumnNotNull final : public Rule {
 public:
  RuleInfo info() const override {
    return {"add-column-not-null",
            "ADD COLUMN NOT NULL without a default fails as soon as the table has a row",
            Severity::kError};
  }
  void check(const Statement& st, const Classification& c, const Context& ctx,
             std::vector<Finding>& out) const override {
    for_each_alter(st, ctx, "AT_AddColumn", [&](const std::string& table, Node cmd) {
      Node def = cmd["def"]["ColumnDef"];
      bool not_null = false, has_default = false;
      for (Node con : def["constraints"]) {
        std::string_view t = con["Constraint"]["contype"].str();
        not_null |= t == "CONSTR_NOTNULL" || t == "CONSTR_PRIMARY";
        has_default |= t == "CONSTR_DEFAULT" || t == "CONSTR_IDENTITY" || t == "CONSTR_GENERATED";
      }
      std::string type = type_name(def["typeName"]);
      if (!not_null || has_default || type.find("serial") != std::string::npos) return;
      std::string col(def["colname"].str());
      out.push_back(finding(
          st,
          fmt::format("ADD COLUMN {}.{} NOT NULL has no default: existing rows violate it", table,
                      col),
          lock_text(c),
          fmt::format("ALTER TABLE {0} ADD COLUMN {1} {2} NOT NULL DEFAULT <constant>;  -- "
                      "instant since PostgreSQL 11\n-- or add it nullable, backfill, then a "
                      "validated CHECK ({1} IS NOT NULL) and SET NOT NULL",
                      table, col, type)));
    });
  }
};

}  // namespace

std::unique_ptr<Rule> make_add_column_not_null() { return std::make_unique<AddColumnNotNull>(); }

}  // namespace tandem::lint
