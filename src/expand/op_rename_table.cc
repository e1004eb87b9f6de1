// rename_table. Direct mode: ALTER TABLE … RENAME TO; reverted by renaming back.

#include "expand/operations.h"
#include "expand/two_version.h"

namespace tandem::expand {
namespace {

class RenameTable final : public Operation {
 public:
  std::string from, to;
  std::string kind() const override { return "rename_table"; }
  Result<OperationSql> up(const db::Dialect&) const override {
    return OperationSql{
        {"ALTER TABLE " + db::quote_ident(from) + " RENAME TO " + db::quote_ident(to)}, true};
  }
  Result<OperationSql> down(const db::Dialect&) const override {
    return OperationSql{
        {"ALTER TABLE " + db::quote_ident(to) + " RENAME TO " + db::quote_ident(from)}, true};
  }
  // The new version sees the table under its new name (a view); the table itself is renamed
  // at complete, after every other operation's complete (they use its physical name).
  Result<TwoVersionSql> two_version(TwoVersionModel& m) const override {
    TANDEM_ASSIGN_OR_RETURN(TableView * t, m.table(from, kind()));
    if (m.table(to, kind()).ok()) {
      return Status::InvalidInput("rename_table: table \"" + to + "\" already exists",
                                  "pick another name");
    }
    t->name = to;
    TwoVersionSql out;
    out.finish = {
        {"ALTER TABLE " + db::quote_ident(t->physical) + " RENAME TO " + db::quote_ident(to)},
        true};
    return out;
  }
};

}  // namespace

std::unique_ptr<Operation> parse_rename_table(Fields& f) {
  auto op = std::make_unique<RenameTable>();
  op->from = f.name("from", op->fragments_sink());
  op->to = f.name("to", op->fragments_sink());
  f.finish();
  return op;
}

}  // namespace tandem::expand
