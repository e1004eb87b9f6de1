// sql: the escape hatch — raw `up` and `down` SQL, run as written.

#include "expand/operations.h"
#include "expand/two_version.h"

namespace tandem::expand {
namespace {

class RawSql final : public Operation {
 public:
  std::string up_sql;
  std::optional<std::string> down_sql;
  bool on_complete = false;
  std::string kind() const override { return "sql"; }
  Result<OperationSql> up(const db::Dialect& dialect) const override {
    db::Backend backend = dialect.backend();
    return split(backend, up_sql);
  }
  Result<OperationSql> down(const db::Dialect& dialect) const override {
    db::Backend backend = dialect.backend();
    if (!down_sql || down_sql->empty()) return irreversible("this sql operation has no `down`");
    return split(backend, *down_sql);
  }
  // `up` at start (or at complete with onComplete: true), `down` at rollback. Views of the new
  // version are built from the tables after start, so raw DDL the new version should see
  // belongs in a typed operation.
  Result<TwoVersionSql> two_version(TwoVersionModel&) const override {
    TwoVersionSql out;
    if (on_complete) {
      TANDEM_ASSIGN_OR_RETURN(out.complete, split(db::Backend::kPostgres, up_sql));
      return out;
    }
    if (!down_sql || down_sql->empty()) {
      return Status::InvalidInput(
          "sql: an operation without `down` cannot be rolled back after `tandem start`",
          "add `down`, set `onComplete: true`, or apply the migration with `tandem up`");
    }
    TANDEM_ASSIGN_OR_RETURN(out.start, split(db::Backend::kPostgres, up_sql));
    TANDEM_ASSIGN_OR_RETURN(out.rollback, split(db::Backend::kPostgres, *down_sql));
    return out;
  }

 private:
  // The text split into single statements by the backend's own tokenizer (each runs on its
  // own); not transactional when one of them cannot run in a transaction.
  static Result<OperationSql> split(db::Backend backend, const std::string& sql) {
    std::vector<Problem> problems;
    std::vector<Statement> stmts = split_sql(backend, "", sql, 1, problems);
    if (!problems.empty())
      return Status::InvalidInput("sql: " + problems[0].message, problems[0].hint);
    if (stmts.empty()) return Status::InvalidInput("sql: the operation holds no statement");
    OperationSql out;
    for (const Statement& st : stmts) {
      out.statements.push_back(st.sql);
      if (!st.transactional) {
        out.transactional = false;
        out.concurrent_index = st.concurrent_index;
      }
    }
    return out;
  }
};

}  // namespace

std::vector<WrittenSql> written_sql(const Migration& m) {
  std::vector<WrittenSql> out;
  const OperationList* ops = operations_of(m);
  if (ops == nullptr) return out;
  for (const auto& op : *ops) {
    const auto* raw = dynamic_cast<const RawSql*>(op.get());
    if (raw == nullptr) continue;
    out.push_back({raw->up_sql, op->line(), true,
                   raw->on_complete ? "the `sql` operation (onComplete)" : "the `sql` operation",
                   raw->on_complete});
  }
  return out;
}

std::unique_ptr<Operation> parse_raw_sql(Fields& f) {
  auto op = std::make_unique<RawSql>();
  op->up_sql = f.str("up");
  op->down_sql = f.opt_str("down");
  op->on_complete = f.boolean("onComplete", false);
  f.finish();
  return op;
}

}  // namespace tandem::expand
