// drop_table. Direct mode: DROP TABLE; cannot be reverted (the data is gone).

#include "expand/operations.h"
#include "expand/two_version.h"

namespace tandem::expand {
namespace {

class DropTable final : public Operation {
 public:
  std::string name;
  std::string kind() const override { return "drop_table"; }
  Result<OperationSql> up(const db::Dialect&) const override {
    return OperationSql{{"DROP TABLE " + db::quote_ident(name)}, true};
  }
  Result<OperationSql> down(const db::Dialect&) const override {
    return irreversible("drop_table " + name +
                        " cannot be reverted in direct mode: its rows are gone");
  }
  // The new version no longer sees the table; the old one keeps using it until complete.
  Result<TwoVersionSql> two_version(TwoVersionModel& m) const override {
    TANDEM_ASSIGN_OR_RETURN(TableView * t, m.table(name, kind()));
    TANDEM_RETURN_IF_ERROR(m.claim(t->physical, "", kind() + " " + name));
    std::string physical = t->physical;
    std::erase_if(m.after, [&](const TableView& v) { return v.physical == physical; });
    TwoVersionSql out;
    out.complete = {{"DROP TABLE IF EXISTS " + db::quote_ident(physical)}, true};
    return out;
  }
};

}  // namespace

std::unique_ptr<Operation> parse_drop_table(Fields& f) {
  auto op = std::make_unique<DropTable>();
  op->name = f.name("name", op->fragments_sink());
  f.finish();
  return op;
}

}  // namespace tandem::expand
