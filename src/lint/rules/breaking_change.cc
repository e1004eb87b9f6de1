// breaking-change: dropping or renaming a column or table, or DROP NOT NULL, breaks the
// application version still running during a rolling deploy.

#include <fmt/format.h>

#include "lint/rule.h"

namespace tandem::lint {
namespace {

class BreakingChange final : public Rule {
 public:
  RuleInfo info() const override {
    return {"breaking-change",
            "the application version still running reads or writes what this removes or renames",
            Severity::kError};
  }
  void check(const Statement& st, const Classification& c, const Context& ctx,
             std::vector<Finding>& out) const override {
    if (ctx.old_version_gone) return;
    Node b = st.body();
    auto add = [&](const std::string& what, const std::string& op) {
      out.push_back(finding(st, what + " breaks the running application version", lock_text(c),
                            "-- expand/contract: a tandem declarative migration with\n--   - " +
                                op + "\n-- keeps both versions working until `tandem complete`"));
    };
    if (st.kind == "AlterTableStmt") {
      std::string table = relation_name(b["relation"]);
      if (ctx.created(table)) return;
      for (Node item : b["cmds"]) {
        Node cmd = item["AlterTableCmd"];
        std::string_view sub = cmd["subtype"].str();
        std::string col(cmd["name"].str());
        if (sub == "AT_DropColumn")
          add(fmt::format("DROP COLUMN {}.{}", table, col),
              fmt::format("drop_column: {{table: {}, column: {}}}", table, col));
        if (sub == "AT_DropNotNull")
          add(fmt::format("DROP NOT NULL on {}.{} (old readers expect a value)", table, col),
              fmt::format("alter_column: {{table: {}, column: {}, nullable: true, up: …, down: "
                          "\"coalesce({}, …)\"}}",
                          table, col, col));
      }
    } else if (st.kind == "RenameStmt") {
      std::string_view type = b["renameType"].str();
      std::string table = relation_name(b["relation"]);
      if (ctx.created(table)) return;
      std::string_view from = b["subname"].str(), to = b["newname"].str();
      if (type == "OBJECT_COLUMN")
        add(fmt::format("RENAME COLUMN {}.{} TO {}", table, from, to),
            fmt::format("rename_column: {{table: {}, from: {}, to: {}}}", table, from, to));
      if (type == "OBJECT_TABLE")
        add(fmt::format("RENAME TABLE {} TO {}", table, to),
            fmt::format("rename_table: {{from: {}, to: {}}}", table, to));
    } else if (st.kind == "DropStmt" && b["removeType"].str() == "OBJECT_TABLE") {
      if (ctx.created(c.relation)) return;
      add(fmt::format("DROP TABLE {}", c.relation),
          fmt::format("drop_table: {{name: {}}}", c.relation));
    }
  }
};

}  // namespace

std::unique_ptr<Rule> make_breaking_change() { return std::make_unique<BreakingChange>(); }

}  // namespace tandem::lint
