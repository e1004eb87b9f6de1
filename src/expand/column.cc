// Column specs shared by create_table and add_column.

#include <fmt/format.h>

#include <unordered_map>

#include "expand/operations.h"

namespace tandem::expand {

ColumnSpec parse_column(Fields& f) {
  ColumnSpec c;
  c.line = f.line();
  c.name = f.name("name", c.fragments, "column.name");
  c.type = f.str("type");
  if (!c.type.empty())
    c.fragments.push_back(f.fragment(db::FragmentKind::kTypeName, "type", c.type, "column.type"));
  c.nullable = f.boolean("nullable", false);
  c.pk = f.boolean("pk", false);
  c.unique = f.boolean("unique", false);
  c.default_sql = f.opt_str("default");
  if (c.default_sql) {
    c.fragments.push_back(
        f.fragment(db::FragmentKind::kColumnDefault, "default", *c.default_sql, "column.default"));
  }
  (void)f.opt_str("comment");
  if (YAML::Node n = f.node("check", false)) {
    c.check = parse_check(f, n, c.fragments);
    c.fragments.push_back(f.fragment(db::FragmentKind::kExpression, "check", c.check->constraint,
                                     "column.check.constraint"));
  }
  if (YAML::Node n = f.node("references", false))
    c.references = parse_references(f, n, c.fragments);
  f.finish();
  return c;
}

CheckSpec parse_check(Fields& f, const YAML::Node& n, std::vector<Fragment>& sink) {
  Fields cf = f.sub(n, "check");
  CheckSpec c{cf.name("name", sink, "check.name"), cf.str("constraint")};
  cf.finish();
  return c;
}

ReferenceSpec parse_references(Fields& f, const YAML::Node& n, std::vector<Fragment>& sink) {
  Fields rf = f.sub(n, "references");
  ReferenceSpec r{rf.name("name", sink, "references.name"),
                  rf.name("table", sink, "references.table"),
                  rf.name("column", sink, "references.column"), "NO ACTION"};
  if (auto od = rf.opt_str("on_delete")) {
    static const char* kActions[] = {"NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"};
    bool known = false;
    for (const char* a : kActions) known = known || *od == a;
    if (!known) {
      rf.problem(rf.line_of("on_delete"),
                 fmt::format("on_delete '{}' is not a foreign key action", *od),
                 "use NO ACTION, RESTRICT, CASCADE, SET NULL or SET DEFAULT");
    }
    r.on_delete = *od;
  }
  rf.finish();
  return r;
}

std::string column_sql(const ColumnSpec& c, db::Backend backend) {
  std::string sql = db::quote_ident(c.name) + " " + c.type;
  if (!c.nullable || c.pk) sql += " NOT NULL";  // SQLite lets a non-integer key hold NULL otherwise
  // As checked (db::FragmentKind::kColumnDefault): in parentheses on PostgreSQL; as written on
  // SQLite, whose ADD COLUMN refuses a parenthesised default.
  if (c.default_sql) {
    sql += backend == db::Backend::kPostgres ? " DEFAULT (" + *c.default_sql + ")"
                                             : " DEFAULT " + *c.default_sql;
  }
  if (c.unique) sql += " UNIQUE";
  if (c.check)
    sql += fmt::format(" CONSTRAINT {} CHECK ({})", db::quote_ident(c.check->name),
                       c.check->constraint);
  if (c.references) {
    sql += fmt::format(" CONSTRAINT {} REFERENCES {} ({}) ON DELETE {}",
                       db::quote_ident(c.references->name), db::quote_ident(c.references->table),
                       db::quote_ident(c.references->column), c.references->on_delete);
  }
  return sql;
}

std::vector<Problem> fragment_problems(db::Backend backend, const std::string& path,
                                       const OperationList& ops) {
  std::vector<Problem> out;
  // The same fragment (a column type such as `bigint`, written for every column) is checked
  // once: on SQLite a check is a CREATE TABLE in a savepoint, about 50 µs.
  std::unordered_map<std::string, Status> checked;
  for (const auto& op : ops) {
    for (const Fragment& f : op->fragments()) {
      if (f.two_version_only && backend != db::Backend::kPostgres) continue;
      std::string key = std::to_string(static_cast<int>(f.kind)) + ':' + f.text;
      auto it = checked.find(key);
      if (it == checked.end())
        it = checked.emplace(std::move(key), db::check_fragment(backend, f.kind, f.text)).first;
      const Status& st = it->second;
      if (st.ok()) continue;
      out.push_back({"bad_fragment", path, f.line, 0,
                     fmt::format("{} `{}`: {}", op->kind(), f.field, st.message()), st.hint()});
    }
  }
  return out;
}

std::string ident_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + db::quote_ident(n);
  return out;
}

Status irreversible(const std::string& why) {
  return Status::InvalidInput(
      why,
      "revert it with a new forward migration, or use `tandem start` / `tandem rollback`, "
      "which keep the old data until `tandem complete`");
}

}  // namespace tandem::expand

namespace tandem::expand {

Result<TwoVersionSql> Operation::two_version(TwoVersionModel&) const {
  return Status::InvalidInput(kind() + " is not supported by `tandem start` yet",
                              "apply this migration with `tandem up` (direct mode)");
}

}  // namespace tandem::expand
