// create_constraint: check, unique or foreign_key on one or more columns.
// PostgreSQL direct mode uses the patterns that keep locks short: CHECK and FOREIGN KEY are
// added NOT VALID (a brief lock, no scan) and validated in a separate transaction (a scan
// that lets writes go on); UNIQUE is built CONCURRENTLY as an index and then attached with
// ADD CONSTRAINT … USING INDEX. Every statement runs in its own transaction, with progress.
// SQLite has no ADD CONSTRAINT: unique becomes a unique index; check/foreign_key need a table
// rebuild, which this build does not do yet.

#include <fmt/format.h>

#include "expand/operations.h"

namespace tandem::expand {
namespace {

class CreateConstraint final : public Operation {
 public:
  std::string table, name, type, check;
  std::vector<std::string> columns;
  std::string ref_table, on_delete = "NO ACTION";
  std::vector<std::string> ref_columns;

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
  (void)f.node("up", false);
  (void)f.node("down", false);
  if (op->type == "check") {
    op->check = f.str("check");
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
