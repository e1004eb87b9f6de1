// rename_table. Direct mode: ALTER TABLE … RENAME TO; reverted by renaming back.

#include "expand/operations.h"

namespace tandem::expand {
namespace {

class RenameTable final : public Operation {
 public:
  std::string from, to;
  std::string kind() const override { return "rename_table"; }
  Result<OperationSql> up(db::Backend) const override {
    return OperationSql{
        {"ALTER TABLE " + db::quote_ident(from) + " RENAME TO " + db::quote_ident(to)}, true};
  }
  Result<OperationSql> down(db::Backend) const override {
    return OperationSql{
        {"ALTER TABLE " + db::quote_ident(to) + " RENAME TO " + db::quote_ident(from)}, true};
  }
};

}  // namespace

std::unique_ptr<Operation> parse_rename_table(Fields& f) {
  auto op = std::make_unique<RenameTable>();
  op->from = f.str("from");
  op->to = f.str("to");
  f.finish();
  return op;
}

}  // namespace tandem::expand
