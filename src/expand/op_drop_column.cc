// drop_column. Direct mode: DROP COLUMN; cannot be reverted (its values are gone).

#include <fmt/format.h>

#include "expand/operations.h"

namespace tandem::expand {
namespace {

class DropColumn final : public Operation {
 public:
  std::string table, column;
  std::string kind() const override { return "drop_column"; }
  Result<OperationSql> up(db::Backend) const override {
    return OperationSql{{fmt::format("ALTER TABLE {} DROP COLUMN {}", db::quote_ident(table),
                                     db::quote_ident(column))},
                        true};
  }
  Result<OperationSql> down(db::Backend) const override {
    return irreversible(fmt::format(
        "drop_column {}.{} cannot be reverted in direct mode: its values are gone", table, column));
  }
};

}  // namespace

std::unique_ptr<Operation> parse_drop_column(Fields& f) {
  auto op = std::make_unique<DropColumn>();
  op->table = f.str("table");
  op->column = f.str("column");
  (void)f.opt_str("down");  // used by two-version mode to fill the old column
  f.finish();
  return op;
}

}  // namespace tandem::expand
