// alter_enum (beyond pgroll, which has no enum support): add a value or rename one.
//   - alter_enum: {name: order_status, add_value: shipped, after: paid}
//   - alter_enum: {name: order_status, rename_value: {from: canceled, to: cancelled}}
// PostgreSQL only. ADD VALUE runs in its own transaction (a value added inside a transaction
// cannot be used until it commits); it cannot be reverted, since PostgreSQL cannot drop an
// enum value. RENAME VALUE is reverted by renaming back.

#include <fmt/format.h>

#include "expand/operations.h"
#include "expand/two_version.h"

namespace tandem::expand {
namespace {

class AlterEnum final : public Operation {
 public:
  std::string type;
  std::optional<std::string> add, before, after;
  std::string from, to;

  std::string kind() const override { return "alter_enum"; }
  Result<OperationSql> up(const db::Dialect& dialect) const override {
    db::Backend backend = dialect.backend();
    if (backend == db::Backend::kSqlite) {
      return Status::InvalidInput(fmt::format("alter_enum {}: SQLite has no enum types", type),
                                  "use a CHECK constraint on a text column there");
    }
    if (add) {
      TANDEM_ASSIGN_OR_RETURN(std::string value, dialect.literal(*add));
      std::string sql =
          fmt::format("ALTER TYPE {} ADD VALUE IF NOT EXISTS {}", db::quote_ident(type), value);
      if (before) {
        TANDEM_ASSIGN_OR_RETURN(std::string lit, dialect.literal(*before));
        sql += " BEFORE " + lit;
      }
      if (after) {
        TANDEM_ASSIGN_OR_RETURN(std::string lit, dialect.literal(*after));
        sql += " AFTER " + lit;
      }
      return OperationSql{{sql}, false};
    }
    return rename_value(dialect, from, to);
  }
  // ADD VALUE at start (both versions may then see the value; PostgreSQL cannot drop it again,
  // so rollback leaves it); RENAME VALUE at complete, when the old version is gone.
  Result<TwoVersionSql> two_version(TwoVersionModel& m) const override {
    TANDEM_ASSIGN_OR_RETURN(OperationSql sql, up(m.sql()));
    TwoVersionSql out;
    (add ? out.start : out.complete) = sql;
    return out;
  }
  Result<OperationSql> down(const db::Dialect& dialect) const override {
    db::Backend backend = dialect.backend();
    if (add)
      return irreversible(
          fmt::format("alter_enum {}: PostgreSQL cannot remove an enum value", type));
    if (backend == db::Backend::kSqlite) return irreversible("SQLite has no enum types");
    return rename_value(dialect, to, from);
  }

 private:
  Result<OperationSql> rename_value(const db::Dialect& dialect, const std::string& old_value,
                                    const std::string& new_value) const {
    TANDEM_ASSIGN_OR_RETURN(std::string o, dialect.literal(old_value));
    TANDEM_ASSIGN_OR_RETURN(std::string n, dialect.literal(new_value));
    return OperationSql{
        {fmt::format("ALTER TYPE {} RENAME VALUE {} TO {}", db::quote_ident(type), o, n)}, true};
  }
};

}  // namespace

std::unique_ptr<Operation> parse_alter_enum(Fields& f) {
  auto op = std::make_unique<AlterEnum>();
  op->type = f.name("name", op->fragments_sink());
  op->add = f.opt_str("add_value");
  op->before = f.opt_str("before");
  op->after = f.opt_str("after");
  YAML::Node rename = f.node("rename_value", false);
  if (rename) {
    Fields rf = f.sub(rename, "rename_value");
    op->from = rf.name("from", op->fragments_sink());
    op->to = rf.name("to", op->fragments_sink());
    rf.finish();
  }
  if (op->add.has_value() == static_cast<bool>(rename)) {
    f.problem(f.line(), "alter_enum needs exactly one of `add_value` or `rename_value`",
              "write one alter_enum per change");
  }
  if (op->before && op->after)
    f.problem(f.line_of("after"), "give `before` or `after`, not both", "");
  if ((op->before || op->after) && !op->add) {
    f.problem(f.line_of(op->before ? "before" : "after"),
              "`before`/`after` position an added value", "");
  }
  f.finish();
  return op;
}

}  // namespace tandem::expand
