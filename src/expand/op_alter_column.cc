// alter_column. This build runs the rename form (`name:`) in direct mode; type, nullability,
// default, check, unique and references changes need two live versions (start/complete).

#include <fmt/format.h>

#include "expand/operations.h"

namespace tandem::expand {
namespace {

class RenameColumn final : public Operation {
 public:
  std::string table, from, to;
  std::string kind() const override { return "alter_column"; }
  Result<OperationSql> up(db::Backend) const override {
    return OperationSql{
        {fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", db::quote_ident(table),
                     db::quote_ident(from), db::quote_ident(to))},
        true};
  }
  Result<OperationSql> down(db::Backend) const override {
    return OperationSql{
        {fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", db::quote_ident(table),
                     db::quote_ident(to), db::quote_ident(from))},
        true};
  }
};

}  // namespace

std::unique_ptr<Operation> parse_alter_column(Fields& f) {
  auto op = std::make_unique<RenameColumn>();
  op->table = f.str("table");
  op->from = f.str("column");
  for (const char* key :
       {"type", "nullable", "default", "check", "unique", "references", "up", "down", "comment"}) {
    if (f.node(key, false)) {
      f.problem(
          f.line_of(key),
          fmt::format(
              "alter_column `{}` changes are not supported by this build yet (they need two live "
              "schema versions: start/complete)",
              key),
          "for now write the change as a .sql migration; renames (`name:`) work");
    }
  }
  op->to = f.str("name");
  f.finish();
  return op;
}

}  // namespace tandem::expand
