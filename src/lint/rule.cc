#include "lint/rule.h"

#include <fmt/format.h>

namespace tandem::lint {

Finding Rule::finding(const Statement& st, std::string message, std::string lock,
                      std::string fix) const {
  RuleInfo i = info();
  Finding f;
  f.file = st.file;
  f.line = st.line;
  f.column = st.column;
  f.rule = i.id;
  f.severity = i.default_severity;
  f.message = std::move(message);
  f.why = i.reason;
  f.lock = std::move(lock);
  f.fix = std::move(fix);
  return f;
}

std::string lock_text(Lock lock, const std::string& relation) {
  if (lock == Lock::kNone) return "no table lock";
  const char* effect = lock == Lock::kAccessExclusive ? " (blocks reads and writes)"
                       : lock >= Lock::kShare         ? " (blocks writes)"
                                                      : "";
  return fmt::format("{}{}{}", lock_name(lock), relation.empty() ? "" : " on " + relation, effect);
}

std::vector<ColumnUse> columns_defined(const Statement& st) {
  std::vector<ColumnUse> out;
  const auto& b = st.body();
  auto column = [&](const std::string& table, const nlohmann::json& def, bool pk) {
    ColumnUse u{table, str(def, "colname"), type_name(def["typeName"]), pk};
    for (const auto& con : list(def, "constraints"))
      u.primary_key |= str(con["Constraint"], "contype") == "CONSTR_PRIMARY";
    out.push_back(std::move(u));
  };
  if (st.kind == "CreateStmt") {
    std::string table = relation_name(b["relation"]);
    std::set<std::string> pk;  // table-level PRIMARY KEY (a, b)
    for (const auto& e : list(b, "tableElts"))
      if (e.contains("Constraint") && str(e["Constraint"], "contype") == "CONSTR_PRIMARY")
        for (const auto& k : list(e["Constraint"], "keys")) pk.insert(str(k["String"], "sval"));
    for (const auto& e : list(b, "tableElts"))
      if (e.contains("ColumnDef"))
        column(table, e["ColumnDef"], pk.count(str(e["ColumnDef"], "colname")) > 0);
  } else if (st.kind == "AlterTableStmt") {
    std::string table = relation_name(b["relation"]);
    for (const auto& item : list(b, "cmds")) {
      const auto& cmd = item["AlterTableCmd"];
      std::string sub = str(cmd, "subtype");
      if (sub == "AT_AddColumn") column(table, cmd["def"]["ColumnDef"], false);
      if (sub == "AT_AlterColumnType") {
        out.push_back(
            {table, str(cmd, "name"), type_name(cmd["def"]["ColumnDef"]["typeName"]), false});
      }
    }
  }
  return out;
}

void for_each_alter(const Statement& st, const Context& ctx, const char* subtype,
                    const std::function<void(const std::string&, const nlohmann::json&)>& fn) {
  if (st.kind != "AlterTableStmt") return;
  std::string table = relation_name(st.body()["relation"]);
  if (ctx.created(table)) return;
  for (const auto& item : list(st.body(), "cmds")) {
    const auto& cmd = item["AlterTableCmd"];
    if (str(cmd, "subtype") == subtype) fn(table, cmd);
  }
}

std::string lock_text(const Classification& c) { return lock_text(c.lock, c.relation); }

}  // namespace tandem::lint
