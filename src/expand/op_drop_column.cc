// drop_column. Direct mode: DROP COLUMN; cannot be reverted (its values are gone).

#include <fmt/format.h>

#include "expand/expr.h"
#include "expand/operations.h"
#include "expand/two_version.h"

namespace tandem::expand {
namespace {

class DropColumn final : public Operation {
 public:
  std::string table, column;
  std::optional<std::string> down_sql;
  std::string kind() const override { return "drop_column"; }
  Result<OperationSql> up(const db::Dialect&) const override {
    return OperationSql{{fmt::format("ALTER TABLE {} DROP COLUMN {}", db::quote_ident(table),
                                     db::quote_ident(column))},
                        true};
  }
  Result<OperationSql> down(const db::Dialect&) const override {
    return irreversible(fmt::format(
        "drop_column {}.{} cannot be reverted in direct mode: its values are gone", table, column));
  }
  // The new version no longer sees the column; the old one keeps reading and writing it, and
  // rows the new version inserts get `down` (computed from the new version's columns). The
  // column goes at complete.
  Result<TwoVersionSql> two_version(TwoVersionModel& m) const override {
    std::string op = fmt::format("drop_column {}.{}", table, column);
    TANDEM_ASSIGN_OR_RETURN(TableView * t, m.table(table, op));
    TANDEM_ASSIGN_OR_RETURN(ViewColumn * c, m.column(*t, column, op));
    TANDEM_RETURN_IF_ERROR(m.claim(t->physical, c->source, op));
    std::string source = c->source;
    const TableInfo* info = m.existing(t->physical);
    const ColumnInfo* ci = info ? info->column(source) : nullptr;
    if (!down_sql && ci && ci->not_null && !ci->default_sql) {
      return Status::InvalidInput(
          op + ": the column is NOT NULL without a default, so rows inserted through the new "
               "version (which no longer sees it) would fail",
          "give `down: <SQL expression>` over the new version's columns to fill it");
    }
    std::erase_if(t->columns, [&](const ViewColumn& v) { return v.source == source; });
    if (down_sql) {
      TANDEM_RETURN_IF_ERROR(m.add_dual_write({t->physical, source, "", "", *down_sql}, op));
    }
    TwoVersionSql out;
    out.complete = {{fmt::format("ALTER TABLE {} DROP COLUMN IF EXISTS {}",
                                 db::quote_ident(t->physical), db::quote_ident(source))},
                    true};
    return out;
  }
};

}  // namespace

std::unique_ptr<Operation> parse_drop_column(Fields& f) {
  auto op = std::make_unique<DropColumn>();
  op->table = f.name("table", op->fragments_sink());
  op->column = f.name("column", op->fragments_sink());
  op->down_sql = f.opt_str("down");
  if (op->down_sql) {
    Status st = check_expression(*op->down_sql);
    if (!st.ok()) f.problem(f.line_of("down"), st.message(), st.hint());
    op->add_fragment(f.fragment(db::FragmentKind::kExpression, "down", *op->down_sql, "down",
                                /*two_version_only=*/true));
  }
  f.finish();
  return op;
}

}  // namespace tandem::expand
