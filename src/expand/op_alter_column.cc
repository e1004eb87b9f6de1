// alter_column. Direct mode runs the forms that need no second schema version:
//  - rename (`name:`): RENAME COLUMN, reverted by renaming back;
//  - `nullable: false` on PostgreSQL with the short-lock pattern: fill NULLs with `up`,
//    CHECK (col IS NOT NULL) NOT VALID, VALIDATE (writes go on), SET NOT NULL (no scan: the
//    validated check proves it), drop the helper check — each in its own transaction;
//  - `nullable: true`: DROP NOT NULL;
//  - `default`: SET DEFAULT / DROP DEFAULT (null), a catalog-only change;
//  - `comment`: COMMENT ON COLUMN.
// Type, check, unique and references changes need two live versions (start/complete) and are
// refused with a message until then.

#include <fmt/format.h>

#include "expand/operations.h"

namespace tandem::expand {
namespace {

class AlterColumn final : public Operation {
 public:
  std::string table, column;
  std::optional<std::string> new_name;
  std::optional<bool> nullable;
  bool has_default = false;
  std::optional<std::string> default_sql;  // nullopt with has_default: DROP DEFAULT
  std::optional<std::string> comment;
  std::optional<std::string> up_sql;

  std::string kind() const override { return "alter_column"; }

  Result<OperationSql> up(db::Backend backend) const override {
    std::string t = db::quote_ident(table), c = db::quote_ident(column);
    if (new_name) return rename(column, *new_name);
    if (backend == db::Backend::kSqlite) {
      return Status::InvalidInput(
          fmt::format(
              "alter_column {}.{}: SQLite cannot change a column's nullability, default or comment",
              table, column),
          "write the table rebuild as a .sql migration");
    }
    OperationSql out;
    out.transactional = false;  // every statement in its own transaction, progress recorded
    if (nullable && !*nullable) {
      std::string check = db::quote_ident(helper_check());
      if (up_sql)
        out.statements.push_back(
            fmt::format("UPDATE {} SET {} = ({}) WHERE {} IS NULL", t, c, *up_sql, c));
      out.statements.push_back(fmt::format(
          "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID", t, check, c));
      out.statements.push_back(fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", t, check));
      out.statements.push_back(fmt::format("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL", t, c));
      out.statements.push_back(fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", t, check));
    } else if (nullable) {
      out.statements.push_back(fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL", t, c));
    }
    if (has_default) {
      out.statements.push_back(
          default_sql
              ? fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}", t, c, *default_sql)
              : fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT", t, c));
    }
    if (comment) {
      out.statements.push_back(
          fmt::format("COMMENT ON COLUMN {}.{} IS {}", t, c, sql_literal(*comment)));
    }
    return out;
  }

  Result<OperationSql> down(db::Backend backend) const override {
    if (new_name) return rename(*new_name, column);
    if (has_default || comment) {
      return irreversible(fmt::format(
          "alter_column {}.{}: the previous default/comment is not in the file", table, column));
    }
    if (backend == db::Backend::kSqlite) return irreversible("SQLite cannot change nullability");
    std::string t = db::quote_ident(table), c = db::quote_ident(column);
    if (nullable && !*nullable)
      return OperationSql{{fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL", t, c)},
                          true};
    return irreversible(
        fmt::format("alter_column {}.{}: making it NOT NULL again may fail on rows written since",
                    table, column));
  }

 private:
  Result<OperationSql> rename(const std::string& from, const std::string& to) const {
    return OperationSql{
        {fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", db::quote_ident(table),
                     db::quote_ident(from), db::quote_ident(to))},
        true};
  }
  std::string helper_check() const {
    return fmt::format("{}_{}_not_null", table, column).substr(0, 63);
  }
};

}  // namespace

std::unique_ptr<Operation> parse_alter_column(Fields& f) {
  auto op = std::make_unique<AlterColumn>();
  op->table = f.str("table");
  op->column = f.str("column");
  for (const char* key : {"type", "check", "unique", "references"}) {
    if (f.node(key, false)) {
      f.problem(
          f.line_of(key),
          fmt::format(
              "alter_column `{}` changes are not supported by this build yet (they need two live "
              "schema versions: start/complete)",
              key),
          "for now write the change as a .sql migration");
    }
  }
  op->new_name = f.opt_str("name");
  if (YAML::Node n = f.node("nullable", false)) op->nullable = f.boolean("nullable", true);
  if (YAML::Node n = f.node("default", false)) {
    op->has_default = true;
    op->default_sql = f.opt_str("default");
  }
  op->comment = f.opt_str("comment");
  op->up_sql = f.opt_str("up");
  (void)f.opt_str("down");  // the old-version rewrite two-version mode uses
  bool changes = op->nullable || op->has_default || op->comment;
  if (op->new_name && changes) {
    f.problem(f.line(), "alter_column renames a column or changes it, not both",
              "split it into two operations");
  }
  if (!op->new_name && !changes && f.ok()) {
    f.problem(f.line(), "alter_column changes nothing",
              "give `name`, `nullable`, `default` or `comment`");
  }
  f.finish();
  return op;
}

}  // namespace tandem::expand
