// rename_column (pgroll's rename_column: {table, from, to}). Direct mode: RENAME COLUMN,
// reverted by renaming back. Two-version mode: the new version's view shows the new name at
// once (the old version keeps the old one); the column itself is renamed at complete.

#include <fmt/format.h>

#include "expand/operations.h"
#include "expand/two_version.h"

namespace tandem::expand {
namespace {

class RenameColumn final : public Operation {
 public:
  std::string table, from, to;
  std::string kind() const override { return "rename_column"; }
  Result<OperationSql> up(const db::Dialect&) const override { return rename(table, from, to); }
  Result<OperationSql> down(const db::Dialect&) const override { return rename(table, to, from); }
  Result<TwoVersionSql> two_version(TwoVersionModel& m) const override {
    std::string op = fmt::format("rename_column {}.{}", table, from);
    TANDEM_ASSIGN_OR_RETURN(TableView * t, m.table(table, op));
    TANDEM_ASSIGN_OR_RETURN(ViewColumn * c, m.column(*t, from, op));
    if (m.column(*t, to, op).ok()) {
      return Status::InvalidInput(fmt::format("{}: column \"{}\" already exists", op, to),
                                  "pick another name");
    }
    TANDEM_RETURN_IF_ERROR(m.claim(t->physical, c->source, op));
    TwoVersionSql out;
    TANDEM_ASSIGN_OR_RETURN(out.complete, rename(t->physical, c->source, to));
    c->name = to;
    return out;
  }

 private:
  static Result<OperationSql> rename(const std::string& table, const std::string& a,
                                     const std::string& b) {
    return OperationSql{
        {fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", db::quote_ident(table),
                     db::quote_ident(a), db::quote_ident(b))},
        true};
  }
};

}  // namespace

std::unique_ptr<Operation> parse_rename_column(Fields& f) {
  auto op = std::make_unique<RenameColumn>();
  op->table = f.name("table", op->fragments_sink());
  op->from = f.name("from", op->fragments_sink());
  op->to = f.name("to", op->fragments_sink());
  f.finish();
  return op;
}

}  // namespace tandem::expand
