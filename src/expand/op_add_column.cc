// add_column. Direct mode: ADD COLUMN, filling existing rows with `up` when given;
// reverted by DROP COLUMN.

#include <fmt/format.h>

#include "expand/operations.h"

namespace tandem::expand {
namespace {

class AddColumn final : public Operation {
 public:
  std::string table;
  ColumnSpec column;
  std::optional<std::string> up_sql;

  std::string kind() const override { return "add_column"; }
  Result<OperationSql> up(db::Backend backend) const override {
    std::string t = db::quote_ident(table), c = db::quote_ident(column.name);
    bool sqlite = backend == db::Backend::kSqlite;
    if (sqlite && column.unique) {
      return Status::InvalidInput(
          fmt::format("add_column {}.{}: SQLite cannot add a UNIQUE column", table, column.name),
          "add the column, then a create_index with unique: true");
    }
    if (!up_sql)
      return OperationSql{{fmt::format("ALTER TABLE {} ADD COLUMN {}", t, column_sql(column))},
                          true};
    // Existing rows get `up`: add the column without NOT NULL, fill it, then enforce it.
    ColumnSpec relaxed = column;
    relaxed.nullable = true;
    if (sqlite && !column.nullable && !column.default_sql) {
      return Status::InvalidInput(
          fmt::format("add_column {}.{}: SQLite cannot make a column NOT NULL after filling it",
                      table, column.name),
          "give the column a default (it stays NOT NULL), or nullable: true");
    }
    if (sqlite)
      relaxed.nullable = column.nullable;  // with a default SQLite can add it NOT NULL at once
    OperationSql out;
    out.statements.push_back(fmt::format("ALTER TABLE {} ADD COLUMN {}", t, column_sql(relaxed)));
    out.statements.push_back(fmt::format("UPDATE {} SET {} = ({})", t, c, *up_sql));
    if (!sqlite && !column.nullable) {
      out.statements.push_back(fmt::format("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL", t, c));
    }
    return out;
  }
  Result<OperationSql> down(db::Backend) const override {
    return OperationSql{{fmt::format("ALTER TABLE {} DROP COLUMN {}", db::quote_ident(table),
                                     db::quote_ident(column.name))},
                        true};
  }
  // The old version's views do not list the column; its writes get the default (or NULL).
  Result<TwoVersionSql> two_version() const override {
    if (up_sql || (!column.nullable && !column.default_sql)) {
      return Status::InvalidInput(
          fmt::format(
              "add_column {}.{} with `up` or NOT NULL without a default needs dual-write triggers, "
              "not in this build yet",
              table, column.name),
          "give the column a default or nullable: true, or apply it with `tandem up`");
    }
    std::string t = db::quote_ident(table);
    return TwoVersionSql{
        {{fmt::format("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {}", t, column_sql(column))}, true},
        {},
        {{fmt::format("ALTER TABLE {} DROP COLUMN IF EXISTS {}", t, db::quote_ident(column.name))},
         true}};
  }
};

}  // namespace

std::unique_ptr<Operation> parse_add_column(Fields& f) {
  auto op = std::make_unique<AddColumn>();
  op->table = f.str("table");
  op->up_sql = f.opt_str("up");
  if (YAML::Node n = f.node("column", true)) {
    Fields cf = f.sub(n, "column");
    op->column = parse_column(cf);
  }
  if (op->column.pk) {
    f.problem(op->column.line, "add_column cannot add a primary key column",
              "create the table with its key");
  }
  if (!op->column.nullable && !op->column.default_sql && !op->up_sql && !op->column.name.empty()) {
    f.problem(f.line(),
              fmt::format("add_column {}.{}: a NOT NULL column without a default needs `up` to "
                          "fill existing rows",
                          op->table, op->column.name),
              "add `up: <SQL expression>`, a `default`, or `nullable: true`");
  }
  f.finish();
  return op;
}

}  // namespace tandem::expand
