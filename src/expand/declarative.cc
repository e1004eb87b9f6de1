// Reading pgroll-format files and turning their operations into direct-mode statements.
// The registry below is the only place that names operations.

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "expand/operations.h"
#include "expand/phase_flags.h"
#include "expand/yaml_input.h"

namespace tandem::expand {

const std::vector<OperationKind>& operation_kinds() {
  static const std::vector<OperationKind> kinds = {
      {"create_table", parse_create_table},
      {"drop_table", parse_drop_table},
      {"rename_table", parse_rename_table},
      {"rename_column", parse_rename_column},
      {"update", parse_update},
      {"add_column", parse_add_column},
      {"drop_column", parse_drop_column},
      {"alter_column", parse_alter_column},
      {"create_index", parse_create_index},
      {"drop_index", parse_drop_index},
      {"create_constraint", parse_create_constraint},
      {"drop_constraint", parse_drop_constraint},
      {"rename_constraint", parse_rename_constraint},
      {"alter_enum", parse_alter_enum},
      {"sql", parse_raw_sql},
  };
  return kinds;
}

std::vector<std::unique_ptr<Operation>> parse_operations(const std::string& path,
                                                         std::string_view content,
                                                         std::vector<Problem>& problems,
                                                         const InputLimits& limits) {
  return parse_declarative(path, content, problems, limits).operations;
}

Declarative parse_declarative(const std::string& path, std::string_view content,
                              std::vector<Problem>& problems, const InputLimits& limits) {
  Declarative out;
  std::vector<std::unique_ptr<Operation>>& ops = out.operations;
  size_t before = problems.size();
  auto problem = [&](int line, std::string msg, std::string hint) {
    problems.push_back({"bad_operation", path, line, 0, std::move(msg), std::move(hint)});
  };
  std::optional<YAML::Node> loaded = load_yaml(path, content, limits, problems);
  if (!loaded) return out;
  const YAML::Node& root = *loaded;
  if (!root.IsMap() || !root["operations"]) {
    problem(1, "a declarative migration is an object with an `operations:` list",
            "write `operations:` followed by a list such as `- add_column: {…}`");
    return out;
  }
  for (const auto& kv : root) {
    std::string key = kv.first.as<std::string>("");
    if (key == "flags") {
      out.flags = parse_phase_flags(kv.second, path, problems);
    } else if (key != "operations" && key != "name") {
      problem(kv.first.Mark().line + 1, fmt::format("unknown top-level field `{}`", key),
              "a migration has `operations:` (and optionally `name:` and `flags:`)");
    }
  }
  YAML::Node list = root["operations"];
  if (!list.IsSequence() || list.size() == 0) {
    problem(list.Mark().line + 1, "`operations` must be a non-empty list", "");
    return out;
  }
  for (const auto& item : list) {
    int line = item.Mark().line + 1;
    if (!item.IsMap() || item.size() != 1) {
      problem(line, "each operation is an object with exactly one key, the operation's name",
              "e.g. `- add_column: {table: users, column: {name: email, type: text}}`");
      continue;
    }
    std::string name = item.begin()->first.as<std::string>("");
    const OperationKind* kind = nullptr;
    for (const OperationKind& k : operation_kinds()) {
      if (name == k.name) kind = &k;
    }
    if (kind == nullptr) {
      std::string known;
      for (const OperationKind& k : operation_kinds())
        known += (known.empty() ? "" : ", ") + std::string(k.name);
      problem(line, fmt::format("unknown operation `{}`", name), "this build knows: " + known);
      continue;
    }
    Fields fields(item.begin()->second, name, path, problems);
    std::unique_ptr<Operation> op = kind->parse(fields);
    op->set_line(line);
    ops.push_back(std::move(op));
  }
  if (problems.size() != before) {
    ops.clear();
    out.flags = {};
  }
  return out;
}

std::vector<Statement> direct_statements(const db::Dialect& dialect, const Migration& m,
                                         Direction dir, std::vector<Problem>& problems) {
  std::vector<Statement> out;
  const OperationList* list = operations_of(m);
  if (list == nullptr) return out;
  // Nothing is generated from a fragment this backend's parser does not accept (the caller
  // reports check_fragments' problems).
  if (!check_fragments(dialect.backend(), m).empty()) return out;
  const OperationList& ops = *list;
  for (size_t k = 0; k < ops.size(); ++k) {
    const Operation& op = *ops[dir == Direction::kUp ? k : ops.size() - 1 - k];
    Result<OperationSql> sql = dir == Direction::kUp ? op.up(dialect) : op.down(dialect);
    if (!sql.ok()) {
      problems.push_back({dir == Direction::kUp ? "bad_operation" : "irreversible", m.path,
                          op.line(), 0, sql.status().message(), sql.status().hint()});
      continue;
    }
    for (size_t i = 0; i < sql->statements.size(); ++i) {
      Statement st;
      st.sql = std::move(sql->statements[i]);
      st.line = op.line();
      st.column = 1;
      st.transactional = sql->transactional;
      st.concurrent_index = sql->concurrent_index;
      if (auto action = sql->actions.find(i); action != sql->actions.end())
        st.action = action->second;
      out.push_back(std::move(st));
    }
  }
  return out;
}

}  // namespace tandem::expand
