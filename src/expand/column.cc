// Column specs shared by create_table and add_column.

#include <fmt/format.h>

#include "expand/operations.h"

namespace tandem::expand {

ColumnSpec parse_column(Fields& f) {
  ColumnSpec c;
  c.line = f.line();
  c.name = f.str("name");
  c.type = f.str("type");
  c.nullable = f.boolean("nullable", false);
  c.pk = f.boolean("pk", false);
  c.unique = f.boolean("unique", false);
  c.default_sql = f.opt_str("default");
  (void)f.opt_str("comment");
  if (YAML::Node n = f.node("check", false)) c.check = parse_check(f, n);
  if (YAML::Node n = f.node("references", false)) c.references = parse_references(f, n);
  f.finish();
  return c;
}

CheckSpec parse_check(Fields& f, const YAML::Node& n) {
  Fields cf = f.sub(n, "check");
  CheckSpec c{cf.str("name"), cf.str("constraint")};
  cf.finish();
  return c;
}

ReferenceSpec parse_references(Fields& f, const YAML::Node& n) {
  Fields rf = f.sub(n, "references");
  ReferenceSpec r{rf.str("name"), rf.str("table"), rf.str("column"), "NO ACTION"};
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

std::string column_sql(const ColumnSpec& c) {
  std::string sql = db::quote_ident(c.name) + " " + c.type;
  if (!c.nullable || c.pk) sql += " NOT NULL";  // SQLite lets a non-integer key hold NULL otherwise
  if (c.default_sql) sql += " DEFAULT " + *c.default_sql;
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

std::string sql_literal(const std::string& text) {
  std::string out = "'";
  for (char ch : text) out += ch == '\'' ? std::string("''") : std::string(1, ch);
  return out + "'";
}

std::string ident_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + db::quote_ident(n);
  return out;
}

Status irreversible(const std::string& why) {
  return Status::InvalidInput(
      why,
      "revert it with a new forward migration; two-version start/rollback (which "
      "keeps the old data until complete) is on the roadmap");
}

}  // namespace tandem::expand

namespace tandem::expand {

Result<TwoVersionSql> Operation::two_version(TwoVersionModel&) const {
  return Status::InvalidInput(kind() + " is not supported by `tandem start` yet",
                              "apply this migration with `tandem up` (direct mode)");
}

}  // namespace tandem::expand
