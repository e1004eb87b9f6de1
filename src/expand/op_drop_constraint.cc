// drop_constraint. PostgreSQL direct mode: DROP CONSTRAINT (a brief lock, no scan); not
// revertible (the definition is not in the file). SQLite: a table rebuild without it.

#include <fmt/format.h>

#include "expand/operations.h"
#include "expand/sqlite_rebuild.h"
#include "expand/two_version.h"

namespace tandem::expand {
namespace {

class DropConstraint final : public Operation {
 public:
  std::string table, name;
  std::string kind() const override { return "drop_constraint"; }
  Result<OperationSql> up(const db::Dialect& dialect) const override {
    db::Backend backend = dialect.backend();
    if (backend == db::Backend::kSqlite) {
      OperationSql out;
      out.add(sqlite_drop_constraint(table, name));
      return out;
    }
    return OperationSql{{fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", db::quote_ident(table),
                                     db::quote_ident(name))},
                        true};
  }
  Result<OperationSql> down(const db::Dialect&) const override {
    return irreversible("drop_constraint " + name +
                        " cannot be reverted: the file does not hold its definition");
  }
  // The constraint keeps holding for both versions until complete drops it: stricter for the
  // new version meanwhile, never lossy. (pgroll's `up`/`down` are accepted and not needed.)
  Result<TwoVersionSql> two_version(TwoVersionModel& m) const override {
    TANDEM_ASSIGN_OR_RETURN(TableView * t, m.table(table, kind()));
    TwoVersionSql out;
    out.complete = {{fmt::format("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
                                 db::quote_ident(t->physical), db::quote_ident(name))},
                    true};
    return out;
  }
};

}  // namespace

std::unique_ptr<Operation> parse_drop_constraint(Fields& f) {
  auto op = std::make_unique<DropConstraint>();
  op->table = f.name("table", op->fragments_sink());
  op->name = f.name("name", op->fragments_sink());
  (void)f.node("up", false);
  (void)f.node("down", false);
  f.finish();
  return op;
}

}  // namespace tandem::expand
