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
    const auto& b = st.body();
    auto add = [&](const std::string& what, const std::string& op) {
      out.push_back(finding(st, what + " breaks the running application version", lock_text(c),
                            "-- expand/contract: a tandem declarative migration with\n--   - " +
                                op + "\n-- keeps both versions working until `tandem complete`"));
    };
    if (st.kind == "AlterTableStmt") {
      std::string table = relation_name(b["relation"]);
      if (ctx.created(table)) return;
      for (const auto& item : list(b, "cmds")) {
        const auto& cmd = item["AlterTableCmd"];
        std::string sub = str(cmd, "subtype"), col = str(cmd, "name");
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
      std::string type = str(b, "renameType"), table = relation_name(b["relation"]);
      if (ctx.created(table)) return;
      if (type == "OBJECT_COLUMN")
        add(fmt::format("RENAME COLUMN {}.{} TO {}", table, str(b, "subname"), str(b, "newname")),
            fmt::format("rename_column: {{table: {}, from: {}, to: {}}}", table, str(b, "subname"),
                        str(b, "newname")));
      if (type == "OBJECT_TABLE")
        add(fmt::format("RENAME TABLE {} TO {}", table, str(b, "newname")),
            fmt::format("rename_table: {{from: {}, to: {}}}", table, str(b, "newname")));
    } else if (st.kind == "DropStmt" && str(b, "removeType") == "OBJECT_TABLE") {
      if (ctx.created(c.relation)) return;
      add(fmt::format("DROP TABLE {}", c.relation),
          fmt::format("drop_table: {{name: {}}}", c.relation));
    }
  }
};

}  // namespace

std::unique_ptr<Rule> make_breaking_change() { return std::make_unique<BreakingChange>(); }

}  // namespace tandem::lint
