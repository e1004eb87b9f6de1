// drop_index. Direct mode: DROP INDEX CONCURRENTLY on PostgreSQL; not revertible (the
// definition is not in the file).

#include "expand/operations.h"
#include "expand/two_version.h"

namespace tandem::expand {
namespace {

class DropIndex final : public Operation {
 public:
  std::string name;
  std::string kind() const override { return "drop_index"; }
  Result<OperationSql> up(const db::Dialect& dialect) const override {
    db::Backend backend = dialect.backend();
    bool pg = backend == db::Backend::kPostgres;
    return OperationSql{
        {std::string("DROP INDEX ") + (pg ? "CONCURRENTLY " : "") + db::quote_ident(name)}, !pg};
  }
  Result<OperationSql> down(const db::Dialect&) const override {
    return irreversible("drop_index " + name +
                        " cannot be reverted: the file does not hold the index definition");
  }
  // The old version may rely on the index: it goes at complete.
  Result<TwoVersionSql> two_version(TwoVersionModel&) const override {
    TwoVersionSql out;
    out.complete = {{"DROP INDEX CONCURRENTLY IF EXISTS " + db::quote_ident(name)}, false};
    return out;
  }
};

}  // namespace

std::unique_ptr<Operation> parse_drop_index(Fields& f) {
  auto op = std::make_unique<DropIndex>();
  op->name = f.name("name", op->fragments_sink());
  f.finish();
  return op;
}

}  // namespace tandem::expand
