// add_column. Direct mode: ADD COLUMN, filling existing rows with `up` when given;
// reverted by DROP COLUMN.

#include <fmt/format.h>

#include "expand/expr.h"
#include "expand/names.h"
#include "expand/operations.h"
#include "expand/sqlite_rebuild.h"
#include "expand/two_version.h"
#include "tandem/lint.h"

namespace tandem::expand {
namespace {

class AddColumn final : public Operation {
 public:
  std::string table;
  ColumnSpec column;
  std::optional<std::string> up_sql;

  std::string kind() const override { return "add_column"; }
  Result<OperationSql> up(const db::Dialect& dialect) const override {
    db::Backend backend = dialect.backend();
    std::string t = db::quote_ident(table), c = db::quote_ident(column.name);
    bool sqlite = backend == db::Backend::kSqlite;
    // Existing rows get `up`: add the column without NOT NULL, fill it, then enforce it.
    // SQLite cannot add a UNIQUE column (a unique index follows) nor make a column NOT NULL
    // afterwards (a table rebuild does).
    ColumnSpec add = column;
    if (sqlite) add.unique = false;
    bool fill_then_enforce = up_sql && !column.nullable && !(sqlite && column.default_sql);
    if (fill_then_enforce) add.nullable = true;
    OperationSql out;
    out.statements.push_back(
        fmt::format("ALTER TABLE {} ADD COLUMN {}", t, column_sql(add, backend)));
    if (up_sql) out.statements.push_back(fmt::format("UPDATE {} SET {} = ({})", t, c, *up_sql));
    if (fill_then_enforce && !sqlite) {
      out.statements.push_back(fmt::format("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL", t, c));
    } else if (fill_then_enforce) {
      out.add(sqlite_set_not_null(table, column.name, true));
    }
    if (sqlite && column.unique) {
      out.statements.push_back(
          fmt::format("CREATE UNIQUE INDEX {} ON {} ({})",
                      db::quote_ident(fmt::format("{}_{}_key", table, column.name)), t, c));
    }
    return out;
  }
  Result<OperationSql> down(const db::Dialect&) const override {
    return OperationSql{{fmt::format("ALTER TABLE {} DROP COLUMN {}", db::quote_ident(table),
                                     db::quote_ident(column.name))},
                        true};
  }
  // The old version's views do not list the column: its inserts get the default, or `up`
  // computed from the old columns by the dual-write trigger, which also backfills existing rows
  // (a volatile default fills them in batches).
  // Constraints are added without long locks: CHECK and FOREIGN KEY NOT VALID, then VALIDATE
  // after the backfill; NOT NULL through a validated CHECK (col IS NOT NULL), made a real NOT
  // NULL at complete; UNIQUE as an index built concurrently, attached at complete.
  Result<TwoVersionSql> two_version(TwoVersionModel& m) const override {
    std::string op = fmt::format("add_column {}.{}", table, column.name);
    TANDEM_ASSIGN_OR_RETURN(TableView * t, m.table(table, op));
    if (m.column(*t, column.name, op).ok()) {
      return Status::InvalidInput(op + ": the column already exists", "pick another name");
    }
    TANDEM_RETURN_IF_ERROR(m.claim(t->physical, column.name, op));
    std::string phys = t->physical;
    std::string tq = db::quote_ident(phys), c = db::quote_ident(column.name);
    ColumnSpec plain = column;
    plain.unique = false;
    plain.check.reset();
    plain.references.reset();
    // A volatile default (random(), nextval(), gen_random_uuid()) on a table with rows: ADD
    // COLUMN … DEFAULT would compute it for every row while rewriting the table under ACCESS
    // EXCLUSIVE. The column is added without it, the default set for new rows, and existing
    // rows filled in batches (with `up` when given, else the default itself).
    bool batched_default = column.default_sql && m.existing(phys) != nullptr &&
                           lint::volatile_expression(*column.default_sql);
    if (batched_default) plain.default_sql.reset();
    bool helper = !column.nullable && (up_sql || !column.default_sql || batched_default);
    if (helper) plain.nullable = true;
    TwoVersionSql out;
    out.start.statements.push_back(fmt::format("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {}", tq,
                                               column_sql(plain, db::Backend::kPostgres)));
    if (batched_default) {
      out.start.statements.push_back(fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT ({})",
                                                 tq, c, *column.default_sql));
      if (!up_sql) {
        out.updates.push_back(
            {phys, fmt::format("{} = ({})", c, *column.default_sql), c + " IS NULL"});
      }
    }
    std::string check_name = not_null_check();
    if (column.check) {
      auto sources = column_sources(*t);
      sources[column.name] = column.name;
      TANDEM_ASSIGN_OR_RETURN(std::string expr,
                              rewrite_column_refs(column.check->constraint, sources));
      add_validated(out, phys, column.check->name, "CHECK (" + expr + ")");
    }
    if (column.references) {
      TANDEM_ASSIGN_OR_RETURN(std::string fk,
                              foreign_key_sql(m, column.name, *column.references, op));
      add_validated(out, phys, column.references->name, fk);
    }
    if (helper) add_validated(out, phys, check_name, fmt::format("CHECK ({} IS NOT NULL)", c));
    std::vector<std::string>& finish = out.complete.statements;
    if (column.unique) {
      std::string idx = db::quote_ident(derived_name(fmt::format("{}_{}_key", phys, column.name)));
      out.after_backfill.transactional = false;
      out.after_backfill.statements.push_back(
          fmt::format("CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({})", idx, tq, c));
      finish.push_back(
          fmt::format("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}", tq, idx, idx));
    }
    if (helper) {
      finish.push_back(fmt::format("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL", tq, c));
      finish.push_back(
          fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", tq, db::quote_ident(check_name)));
    }
    out.rollback = {{fmt::format("ALTER TABLE {} DROP COLUMN IF EXISTS {}", tq, c)}, true};
    t->columns.push_back({column.name, column.name});
    if (up_sql) {
      TANDEM_RETURN_IF_ERROR(m.add_dual_write({phys, "", column.name, *up_sql, ""}, op));
    }
    return out;
  }

 private:
  std::string not_null_check() const {
    return derived_name(fmt::format("{}_{}_not_null", table, column.name));
  }
};

}  // namespace

std::unique_ptr<Operation> parse_add_column(Fields& f) {
  auto op = std::make_unique<AddColumn>();
  op->table = f.name("table", op->fragments_sink());
  op->up_sql = f.opt_str("up");
  if (op->up_sql) {
    Status st = check_expression(*op->up_sql);
    if (!st.ok()) f.problem(f.line_of("up"), st.message(), st.hint());
    op->add_fragment(f.fragment(db::FragmentKind::kExpression, "up", *op->up_sql));
  }
  if (YAML::Node n = f.node("column", true)) {
    Fields cf = f.sub(n, "column");
    op->column = parse_column(cf);
    for (const Fragment& fr : op->column.fragments) op->add_fragment(fr);
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
