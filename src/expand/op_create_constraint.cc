// create_constraint: check, unique or foreign_key on one or more columns.
// PostgreSQL direct mode uses the patterns that keep locks short: CHECK and FOREIGN KEY are
// added NOT VALID (a brief lock, no scan) and validated in a separate transaction (a scan
// that lets writes go on); UNIQUE is built CONCURRENTLY as an index and then attached with
// ADD CONSTRAINT … USING INDEX. Every statement runs in its own transaction, with progress.
// SQLite has no ADD CONSTRAINT: unique becomes a unique index; check/foreign_key need a table
// rebuild, which this build does not do yet.

#include <fmt/format.h>

#include "expand/expr.h"
#include "expand/operations.h"
#include "expand/two_version.h"

namespace tandem::expand {
namespace {

class CreateConstraint final : public Operation {
 public:
  std::string table, name, type, check;
  std::vector<std::string> columns;
  std::string ref_table, on_delete = "NO ACTION";
  std::vector<std::string> ref_columns;
  bool rewrites = false;  // per-column `up`/`down` given

  std::string kind() const override { return "create_constraint"; }
  Result<OperationSql> up(db::Backend backend) const override {
    std::string t = db::quote_ident(table), n = db::quote_ident(name);
    if (backend == db::Backend::kSqlite) {
      if (type == "unique") {
        return OperationSql{
            {fmt::format("CREATE UNIQUE INDEX {} ON {} ({})", n, t, ident_list(columns))}, true};
      }
      return Status::InvalidInput(
          fmt::format(
              "create_constraint {}: SQLite cannot add a {} constraint to an existing table", name,
              type),
          "declare it in create_table, or write the table rebuild as a .sql migration");
    }
    if (type == "unique") {
      return OperationSql{
          {fmt::format("CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({})", n, t, ident_list(columns)),
           fmt::format("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}", t, n, n)},
          false,
          name};
    }
    std::string add =
        type == "check"
            ? fmt::format("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({}) NOT VALID", t, n, check)
            : fmt::format(
                  "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) "
                  "ON DELETE {} NOT VALID",
                  t, n, ident_list(columns), db::quote_ident(ref_table), ident_list(ref_columns),
                  on_delete);
    return OperationSql{{add, fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", t, n)}, false};
  }
  // Two-version mode: the constraint holds for both versions from start — CHECK and FOREIGN
  // KEY NOT VALID then VALIDATE, UNIQUE as an index built concurrently (attached as the
  // constraint at complete). Rows the old version writes must satisfy it.
  Result<TwoVersionSql> two_version(TwoVersionModel& m) const override {
    std::string op = "create_constraint " + name;
    if (rewrites) {
      return Status::InvalidInput(
          op + ": per-column `up`/`down` (rewriting values through shadow columns) are not "
               "supported by this build",
          "remove `up`/`down`: the constraint is then added NOT VALID and validated, and the old "
          "version's writes must already satisfy it");
    }
    TANDEM_ASSIGN_OR_RETURN(TableView * t, m.table(table, op));
    std::vector<std::string> cols;
    for (const std::string& c : columns) {
      TANDEM_ASSIGN_OR_RETURN(ViewColumn * col, m.column(*t, c, op));
      cols.push_back(col->source);
    }
    std::string tq = db::quote_ident(t->physical), n = db::quote_ident(name);
    TwoVersionSql out;
    if (type == "unique") {
      out.after_backfill = {
          {fmt::format("CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({})", n, tq, ident_list(cols))},
          false};
      out.complete = {
          {fmt::format("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}", tq, n, n)}, true};
      out.rollback = {{"DROP INDEX CONCURRENTLY IF EXISTS " + n}, false};
      return out;
    }
    if (type == "check") {
      TANDEM_ASSIGN_OR_RETURN(std::string expr, rewrite_column_refs(check, column_sources(*t)));
      add_validated(out, t->physical, name, "CHECK (" + expr + ")");
    } else {
      TANDEM_ASSIGN_OR_RETURN(TableView * rt, m.table(ref_table, op + ": references"));
      std::vector<std::string> rcols;
      for (const std::string& c : ref_columns) {
        TANDEM_ASSIGN_OR_RETURN(ViewColumn * col, m.column(*rt, c, op + ": references"));
        rcols.push_back(col->source);
      }
      add_validated(
          out, t->physical, name,
          fmt::format("FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {}", ident_list(cols),
                      db::quote_ident(rt->physical), ident_list(rcols), on_delete));
    }
    out.rollback = {{fmt::format("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}", tq, n)}, true};
    return out;
  }
  Result<OperationSql> down(db::Backend backend) const override {
    if (backend == db::Backend::kSqlite)
      return OperationSql{{"DROP INDEX " + db::quote_ident(name)}, true};
    return OperationSql{{fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", db::quote_ident(table),
                                     db::quote_ident(name))},
                        true};
  }
};

}  // namespace

std::unique_ptr<Operation> parse_create_constraint(Fields& f) {
  auto op = std::make_unique<CreateConstraint>();
  op->table = f.str("table");
  op->name = f.str("name");
  op->type = f.str("type");
  op->columns = f.str_list("columns");
  // up/down are the per-column rewrites two-version mode uses; direct mode does not need them.
  op->rewrites = static_cast<bool>(f.node("up", false));
  op->rewrites = static_cast<bool>(f.node("down", false)) || op->rewrites;
  if (op->type == "check") {
    op->check = f.str("check");
    Status st = check_expression(op->check);
    if (!st.ok()) f.problem(f.line_of("check"), st.message(), st.hint());
  } else if (op->type == "foreign_key") {
    if (YAML::Node n = f.node("references", true)) {
      Fields rf = f.sub(n, "references");
      op->ref_table = rf.str("table");
      op->ref_columns = rf.str_list("columns");
      op->on_delete = rf.opt_str("on_delete").value_or("NO ACTION");
      rf.finish();
      if (!op->ref_columns.empty() && op->ref_columns.size() != op->columns.size()) {
        f.problem(f.line_of("references"),
                  "a foreign key needs as many referenced columns as columns", "");
      }
    }
  } else if (op->type != "unique" && !op->type.empty()) {
    f.problem(f.line_of("type"),
              fmt::format("constraint type '{}' is not check, unique or foreign_key", op->type),
              "");
  }
  f.finish();
  return op;
}

}  // namespace tandem::expand
