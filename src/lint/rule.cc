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
  Node b = st.body();
  auto column = [&](const std::string& table, Node def, bool pk) {
    ColumnUse u{table, std::string(def["colname"].str()), type_name(def["typeName"]), pk};
    for (Node con : def["constraints"])
      u.primary_key |= con["Constraint"]["contype"].str() == "CONSTR_PRIMARY";
    out.push_back(std::move(u));
  };
  if (st.kind == "CreateStmt") {
    std::string table = relation_name(b["relation"]);
    std::set<std::string, std::less<>> pk;  // table-level PRIMARY KEY (a, b)
    for (Node e : b["tableElts"])
      if (e["Constraint"]["contype"].str() == "CONSTR_PRIMARY")
        for (Node k : e["Constraint"]["keys"]) pk.emplace(k["String"]["sval"].str());
    for (Node e : b["tableElts"])
      if (e.contains("ColumnDef"))
        column(table, e["ColumnDef"], pk.count(e["ColumnDef"]["colname"].str()) > 0);
  } else if (st.kind == "AlterTableStmt") {
    std::string table = relation_name(b["relation"]);
    for (Node item : b["cmds"]) {
      Node cmd = item["AlterTableCmd"];
      std::string_view sub = cmd["subtype"].str();
      if (sub == "AT_AddColumn") column(table, cmd["def"]["ColumnDef"], false);
      if (sub == "AT_AlterColumnType") {
        out.push_back({table, std::string(cmd["name"].str()),
                       type_name(cmd["def"]["ColumnDef"]["typeName"]), false});
      }
    }
  }
  return out;
}

void for_each_alter(const Statement& st, const Context& ctx, std::string_view subtype,
                    const std::function<void(const std::string&, Node)>& fn) {
  if (st.kind != "AlterTableStmt") return;
  std::string table = relation_name(st.body()["relation"]);
  if (ctx.created(table)) return;
  for (Node item : st.body()["cmds"]) {
    Node cmd = item["AlterTableCmd"];
    if (cmd["subtype"].str() == subtype) fn(table, cmd);
  }
}

std::string lock_text(const Classification& c) { return lock_text(c.lock, c.relation); }

}  // namespace tandem::lint
