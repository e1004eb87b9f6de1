// update (beyond pgroll): a data migration — change existing rows in batches.
//   - update:
//       table: orders
//       set: {total_amount_minor: "total_amount::bigint", currency: "'USD'"}
//       where: "currency IS NULL"
// PostgreSQL (start, or `tandem up`): keyset batches over the primary key (or a unique NOT NULL
// index), each committed with its checkpoint, batch size adapting to --batch-target; a killed run
// continues from the checkpoint. Rows the application writes meanwhile are its own business:
// batches only touch rows inside their key range, once. SQLite (direct mode): one UPDATE in the
// migration's transaction. Not revertible (the old values are not kept).

#include <fmt/format.h>

#include "expand/expr.h"
#include "expand/operations.h"
#include "expand/two_version.h"

namespace tandem::expand {
namespace {

class Update final : public Operation {
 public:
  std::string table, where;
  std::vector<std::pair<std::string, std::string>> set;  // column, expression

  std::string kind() const override { return "update"; }
  Result<OperationSql> up(const db::Dialect&) const override {
    TANDEM_ASSIGN_OR_RETURN(std::string assignments, set_clause({}));
    std::string sql = fmt::format("UPDATE {} SET {}", db::quote_ident(table), assignments);
    if (!where.empty()) sql += " WHERE (" + where + ")";
    return OperationSql{{sql}, true};
  }
  Result<OperationSql> down(const db::Dialect&) const override {
    return irreversible(fmt::format("update {}: the previous values are not kept", table));
  }
  // The data change runs in batches during start, on the columns as the new version names them
  // (a shadow column of a type change receives the value).
  Result<TwoVersionSql> two_version(TwoVersionModel& m) const override {
    std::string op = "update " + table;
    TANDEM_ASSIGN_OR_RETURN(TableView * t, m.table(table, op));
    std::map<std::string, std::string> sources = column_sources(*t);
    for (const auto& [column, expr] : set) {
      if (!sources.count(column)) {
        return Status::InvalidInput(
            fmt::format("{}: column \"{}\" does not exist in table \"{}\"", op, column, table),
            "check the name (operations earlier in the file may have renamed or dropped it)");
      }
    }
    TwoVersionSql out;
    BatchedUpdate u;
    u.table = t->physical;
    TANDEM_ASSIGN_OR_RETURN(u.set, set_clause(sources));
    if (!where.empty()) {
      TANDEM_ASSIGN_OR_RETURN(u.where, rewrite_column_refs(where, sources));
    }
    out.updates.push_back(std::move(u));
    return out;
  }

 private:
  // `"col" = (expr), …`; with `sources`, names (targets and inside expressions) become physical.
  Result<std::string> set_clause(const std::map<std::string, std::string>& sources) const {
    std::string out;
    for (const auto& [column, expr] : set) {
      std::string target = sources.count(column) ? sources.at(column) : column;
      std::string value = expr;
      if (!sources.empty()) {
        TANDEM_ASSIGN_OR_RETURN(value, rewrite_column_refs(expr, sources));
      }
      out += fmt::format("{}{} = ({})", out.empty() ? "" : ", ", db::quote_ident(target), value);
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<Operation> parse_update(Fields& f) {
  auto op = std::make_unique<Update>();
  op->table = f.name("table", op->fragments_sink());
  op->where = f.opt_str("where").value_or("");
  if (!op->where.empty()) {
    Status st = check_expression(op->where);
    if (!st.ok()) f.problem(f.line_of("where"), "`where`: " + st.message(), st.hint());
    op->add_fragment(f.fragment(db::FragmentKind::kExpression, "where", op->where));
  }
  if (YAML::Node n = f.node("set", true)) {
    if (!n.IsMap() || n.size() == 0) {
      f.problem(f.line_of("set"), "`set` must map each column to a SQL expression",
                "e.g. set: {currency: \"'USD'\"}");
    } else {
      for (const auto& kv : n) {
        std::string expr = kv.second.as<std::string>("");
        std::string column = kv.first.as<std::string>("");
        Status st = check_expression(expr);
        if (!st.ok()) f.problem(kv.second.Mark().line + 1, st.message(), st.hint());
        op->add_fragment(Fragment{db::FragmentKind::kExpression, "set." + column, expr,
                                  kv.second.Mark().line + 1});
        op->add_fragment(
            Fragment{db::FragmentKind::kName, "set", column, kv.first.Mark().line + 1});
        op->set.emplace_back(column, expr);
      }
    }
  }
  f.finish();
  return op;
}

}  // namespace tandem::expand
