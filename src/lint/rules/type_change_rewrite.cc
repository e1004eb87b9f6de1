// type-change-rewrite: ALTER COLUMN … TYPE rewrites the table and every index under ACCESS
// EXCLUSIVE, unless the change is binary-coercible (varchar widening, varchar → text, …).
// The old type comes from the migrations, else from the live catalog (LintOptions::
// column_types); unknown is an error by default (LintOptions::unknown_type_change).

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
      Node def = cmd["def"]["ColumnDef"];
      std::string col(cmd["name"].str()), to = type_name(def["typeName"]);
      OldType from = old_type(ctx, table, col);
      bool using_expr = def.contains("raw_default");
      bool live = from.source == OldType::kLiveCatalog;
      std::string was = live ? fmt::format("{} (live catalog)", from.display) : from.type;
      if (!using_expr && !from.type.empty() && !change_rewrites(ctx, from.type, to)) {
        // Free, as the live catalog shows: say so, since the files alone could not.
        if (live) {
          Finding f = finding(st,
                              fmt::format("changing {}.{} from {} to {} does not rewrite the "
                                          "table (binary-coercible)",
                                          table, col, was, to),
                              lock_text(c), "-- nothing to change: only the catalog is updated");
          f.severity = Severity::kInfo;
          out.push_back(std::move(f));
        }
        return;
      }
      std::string fix = fmt::format(
          "-- expand/contract instead (a tandem declarative migration):\n"
          "--   - alter_column: {{table: {}, column: {}, type: {}, up: \"{}::{}\", down: "
          "\"...\"}}",
          table, col, to, col, to);
      std::string message;
      if (using_expr) {
        message = fmt::format("changing {}.{} {}to {} rewrites the table (USING)", table, col,
                              from.type.empty() ? "" : "from " + was + " ", to);
      } else if (!from.type.empty()) {
        message =
            fmt::format("changing {}.{} from {} to {} rewrites the table", table, col, was, to);
      } else {
        // Unknown is unsafe: int → bigint rewrites and blocks the table for the whole copy.
        const char* why =
            ctx.options->column_types
                ? "not created in these migrations, and the live database (--db) has no such "
                  "column"
                : "not created in these migrations; pass --db postgres://… (or DATABASE_URL) and "
                  "tandem reads it from the live catalog";
        message = fmt::format(
            "changing {}.{} to {} rewrites the table unless its current type is binary-coercible "
            "to it; its current type is unknown ({})",
            table, col, to, why);
      }
      Finding f = finding(st, message, lock_text(c), fix);
      if (from.type.empty() && !using_expr) f.severity = ctx.options->unknown_type_change;
      out.push_back(std::move(f));
    });
  }
};

}  // namespace

std::unique_ptr<Rule> make_type_change_rewrite() { return std::make_unique<TypeChangeRewrite>(); }

}  // namespace tandem::lint
