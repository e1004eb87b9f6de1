// create_table: a new table. Direct mode: CREATE TABLE; reverted by DROP TABLE.

#include <fmt/format.h>

#include "expand/operations.h"
#include "expand/two_version.h"

namespace tandem::expand {
namespace {

class CreateTable final : public Operation {
 public:
  std::string name;
  std::vector<ColumnSpec> columns;

  std::string kind() const override { return "create_table"; }
  Result<OperationSql> up(const db::Dialect& dialect) const override {
    db::Backend backend = dialect.backend();
    std::string defs;
    std::string pk;
    for (const ColumnSpec& c : columns) {
      defs += (defs.empty() ? "\n  " : ",\n  ") + column_sql(c, backend);
      if (c.pk) pk += (pk.empty() ? "" : ", ") + db::quote_ident(c.name);
    }
    if (!pk.empty()) defs += ",\n  PRIMARY KEY (" + pk + ")";
    return OperationSql{{fmt::format("CREATE TABLE {} ({}\n)", db::quote_ident(name), defs)}, true};
  }
  Result<OperationSql> down(const db::Dialect&) const override {
    return OperationSql{{"DROP TABLE " + db::quote_ident(name)}, true};
  }
  // A new table is invisible to the old version (its schema has no view of it).
  Result<TwoVersionSql> two_version(TwoVersionModel& m) const override {
    if (m.table(name, kind()).ok() || m.existing(name)) {
      return Status::InvalidInput(fmt::format("create_table: table \"{}\" already exists", name),
                                  "pick another name, or drop the table in an earlier migration");
    }
    TANDEM_ASSIGN_OR_RETURN(OperationSql create, up(m.sql()));
    TableView view{name, name, {}};
    for (const ColumnSpec& c : columns) view.columns.push_back({c.name, c.name});
    m.after.push_back(std::move(view));
    TwoVersionSql out;
    out.start = create;
    out.rollback = {{"DROP TABLE IF EXISTS " + db::quote_ident(name)}, true};
    return out;
  }
};

}  // namespace

std::unique_ptr<Operation> parse_create_table(Fields& f) {
  auto op = std::make_unique<CreateTable>();
  op->name = f.name("name", op->fragments_sink());
  (void)f.opt_str("comment");
  YAML::Node cols = f.node("columns", true);
  if (cols && (!cols.IsSequence() || cols.size() == 0)) {
    f.problem(cols.Mark().line + 1, "`create_table.columns` must be a non-empty list of columns",
              "");
  } else if (cols) {
    for (const auto& c : cols) {
      Fields cf = f.sub(c, "column");
      op->columns.push_back(parse_column(cf));
      for (const Fragment& fr : op->columns.back().fragments) op->add_fragment(fr);
    }
  }
  f.finish();
  return op;
}

}  // namespace tandem::expand
