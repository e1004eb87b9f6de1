// sql: the escape hatch — raw `up` and `down` SQL, run as written.

#include "expand/operations.h"

namespace tandem::expand {
namespace {

class RawSql final : public Operation {
 public:
  std::string up_sql;
  std::optional<std::string> down_sql;
  std::string kind() const override { return "sql"; }
  Result<OperationSql> up(db::Backend) const override { return OperationSql{{up_sql}, true}; }
  Result<OperationSql> down(db::Backend) const override {
    if (!down_sql || down_sql->empty()) return irreversible("this sql operation has no `down`");
    return OperationSql{{*down_sql}, true};
  }
};

}  // namespace

std::unique_ptr<Operation> parse_raw_sql(Fields& f) {
  auto op = std::make_unique<RawSql>();
  op->up_sql = f.str("up");
  op->down_sql = f.opt_str("down");
  (void)f.boolean("onComplete", false);
  f.finish();
  return op;
}

}  // namespace tandem::expand
