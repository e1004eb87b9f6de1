// rename_constraint. PostgreSQL: RENAME CONSTRAINT (catalog only); reverted by renaming back.

#include <fmt/format.h>

#include "expand/operations.h"
#include "expand/two_version.h"

namespace tandem::expand {
namespace {

class RenameConstraint final : public Operation {
 public:
  std::string table, from, to;
  std::string kind() const override { return "rename_constraint"; }
  Result<OperationSql> up(const db::Dialect& dialect) const override {
    db::Backend backend = dialect.backend();
    return rename(backend, from, to);
  }
  Result<OperationSql> down(const db::Dialect& dialect) const override {
    db::Backend backend = dialect.backend();
    return rename(backend, to, from);
  }

  // A catalog-only change, made at complete.
  Result<TwoVersionSql> two_version(TwoVersionModel& m) const override {
    TANDEM_ASSIGN_OR_RETURN(TableView * t, m.table(table, kind()));
    TwoVersionSql out;
    out.complete = {
        {fmt::format("ALTER TABLE {} RENAME CONSTRAINT {} TO {}", db::quote_ident(t->physical),
                     db::quote_ident(from), db::quote_ident(to))},
        true};
    return out;
  }

 private:
  Result<OperationSql> rename(db::Backend backend, const std::string& a,
                              const std::string& b) const {
    if (backend == db::Backend::kSqlite) {
      return Status::InvalidInput(
          fmt::format("rename_constraint {}: SQLite cannot rename a constraint", from),
          "write the table rebuild as a .sql migration");
    }
    return OperationSql{
        {fmt::format("ALTER TABLE {} RENAME CONSTRAINT {} TO {}", db::quote_ident(table),
                     db::quote_ident(a), db::quote_ident(b))},
        true};
  }
};

}  // namespace

std::unique_ptr<Operation> parse_rename_constraint(Fields& f) {
  auto op = std::make_unique<RenameConstraint>();
  op->table = f.name("table", op->fragments_sink());
  op->from = f.name("from", op->fragments_sink());
  op->to = f.name("to", op->fragments_sink());
  f.finish();
  return op;
}

}  // namespace tandem::expand
