// drop_table. Direct mode: DROP TABLE; cannot be reverted (the data is gone).

#include "expand/operations.h"

namespace tandem::expand {
namespace {

class DropTable final : public Operation {
 public:
  std::string name;
  std::string kind() const override { return "drop_table"; }
  Result<OperationSql> up(db::Backend) const override {
    return OperationSql{{"DROP TABLE " + db::quote_ident(name)}, true};
  }
  Result<OperationSql> down(db::Backend) const override {
    return irreversible("drop_table " + name +
                        " cannot be reverted in direct mode: its rows are gone");
  }
};

}  // namespace

std::unique_ptr<Operation> parse_drop_table(Fields& f) {
  auto op = std::make_unique<DropTable>();
  op->name = f.str("name");
  f.finish();
  return op;
}

}  // namespace tandem::expand
