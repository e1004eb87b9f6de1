// create_index. Direct mode: CREATE INDEX CONCURRENTLY on PostgreSQL (outside a transaction,
// so writes go on while it builds), CREATE INDEX on SQLite; reverted by DROP INDEX.

#include <fmt/format.h>

#include "expand/expr.h"
#include "expand/operations.h"
#include "expand/two_version.h"

namespace tandem::expand {
namespace {

class CreateIndex final : public Operation {
 public:
  std::string name, table, method, predicate, storage;
  std::vector<std::string> columns;
  bool unique = false;

  std::string kind() const override { return "create_index"; }
  Result<OperationSql> up(const db::Dialect& dialect) const override {
    db::Backend backend = dialect.backend();
    std::string cols = ident_list(columns);
    bool pg = backend == db::Backend::kPostgres;
    if (!pg && ((!method.empty() && method != "btree") || !storage.empty())) {
      return Status::InvalidInput(
          fmt::format("create_index {}: SQLite has only btree indexes and no storage "
                      "parameters",
                      name),
          "drop `method`/`storage_parameters` for SQLite");
    }
    std::string sql =
        fmt::format("CREATE {}INDEX {}{} ON {}", unique ? "UNIQUE " : "", pg ? "CONCURRENTLY " : "",
                    db::quote_ident(name), db::quote_ident(table));
    if (pg && !method.empty()) sql += " USING " + method;
    sql += " (" + cols + ")";
    if (!storage.empty()) sql += " WITH (" + storage + ")";
    if (!predicate.empty()) sql += " WHERE (" + predicate + ")";
    return OperationSql{{sql}, !pg, pg ? name : ""};
  }
  // Built CONCURRENTLY at start on the physical columns the new version's names map to.
  Result<TwoVersionSql> two_version(TwoVersionModel& m) const override {
    TANDEM_ASSIGN_OR_RETURN(TableView * t, m.table(table, kind() + " " + name));
    CreateIndex physical = *this;
    physical.table = t->physical;
    for (std::string& c : physical.columns) {
      TANDEM_ASSIGN_OR_RETURN(ViewColumn * col, m.column(*t, c, kind() + " " + name));
      c = col->source;
    }
    if (!predicate.empty()) {
      TANDEM_ASSIGN_OR_RETURN(physical.predicate,
                              rewrite_column_refs(predicate, column_sources(*t)));
    }
    TANDEM_ASSIGN_OR_RETURN(OperationSql build, physical.up(m.sql()));
    TwoVersionSql out;
    out.start = build;
    out.rollback = {{"DROP INDEX CONCURRENTLY IF EXISTS " + db::quote_ident(name)}, false};
    return out;
  }
  Result<OperationSql> down(const db::Dialect& dialect) const override {
    db::Backend backend = dialect.backend();
    bool pg = backend == db::Backend::kPostgres;
    return OperationSql{
        {fmt::format("DROP INDEX {}{}", pg ? "CONCURRENTLY " : "", db::quote_ident(name))}, !pg};
  }
};

}  // namespace

std::unique_ptr<Operation> parse_create_index(Fields& f) {
  auto op = std::make_unique<CreateIndex>();
  op->name = f.name("name", op->fragments_sink());
  op->table = f.name("table", op->fragments_sink());
  op->columns = f.names("columns", op->fragments_sink());
  op->unique = f.boolean("unique", false);
  op->method = f.opt_str("method").value_or("");
  op->predicate = f.opt_str("predicate").value_or("");
  op->storage = f.opt_str("storage_parameters").value_or("");
  if (!op->predicate.empty())
    op->add_fragment(f.fragment(db::FragmentKind::kExpression, "predicate", op->predicate));
  if (!op->storage.empty()) {
    op->add_fragment(
        f.fragment(db::FragmentKind::kStorageParams, "storage_parameters", op->storage));
  }
  static const char* kMethods[] = {"btree", "hash", "gist", "spgist", "gin", "brin"};
  bool known = op->method.empty();
  for (const char* m : kMethods) known = known || op->method == m;
  if (!known) {
    f.problem(f.line_of("method"),
              fmt::format("index method '{}' is not one of btree, hash, gist, spgist, gin, brin",
                          op->method),
              "");
  }
  f.finish();
  return op;
}

}  // namespace tandem::expand
