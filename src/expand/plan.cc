#include "expand/plan.h"

#include <fmt/format.h>

#include "expand/expr.h"

namespace tandem::expand {
namespace {

void add(std::vector<PlanStep>& out, const OperationSql& sql, int line) {
  for (const std::string& text : sql.statements) {
    PlanStep st;
    st.sql = {text};
    st.line = line;
    // Only what PostgreSQL refuses in a transaction block runs alone (the classifier the
    // splitter and the linter share); the rest commits together with the progress counter, so
    // a re-run never repeats it.
    Statement probe;
    probe.sql = text;
    classify_statement(db::Backend::kPostgres, probe);
    st.transactional = probe.transactional;
    st.concurrent_index = probe.concurrent_index;
    out.push_back(std::move(st));
  }
}

// Complete and rollback remove what the dual-write triggers maintain: the triggers and every
// transaction-safe change go in one transaction, so no write ever sees a column half gone;
// CONCURRENTLY statements follow.
std::vector<PlanStep> one_transaction(const std::vector<PlanStep>& steps) {
  std::vector<PlanStep> out(1);
  for (const PlanStep& st : steps) {
    if (!st.transactional) {
      out.push_back(st);
      continue;
    }
    out[0].sql.insert(out[0].sql.end(), st.sql.begin(), st.sql.end());
    if (out[0].line == 0) out[0].line = st.line;
  }
  if (out[0].sql.empty()) out.erase(out.begin());
  return out;
}

Status no_key(const Migration& m, const std::string& table) {
  return Status::InvalidInput(
      fmt::format("{}: table \"{}\" has no primary key and no unique index on NOT NULL "
                  "columns, so its rows cannot be changed in batches",
                  m.path, table),
      "add a primary key (or a unique NOT NULL column with create_constraint) in an earlier "
      "migration");
}

}  // namespace

Result<TwoVersionPlan> plan_two_version(const Migration& m, const std::string& schema,
                                        const std::string& old_version, const Catalog& base,
                                        const db::Dialect& dialect) {
  if (std::vector<Problem> bad = check_fragments(db::Backend::kPostgres, m); !bad.empty()) {
    return Status::InvalidInput(format_problems(bad), bad.front().hint).with_problems(bad);
  }
  const OperationList* list = operations_of(m);
  if (list == nullptr) return Status::InvalidInput(m.path + " is not a declarative migration");
  TwoVersionModel model(schema, old_version, m.version, base, dialect);
  const OperationList& ops = *list;
  std::vector<TwoVersionSql> sql;
  for (const auto& op : ops) {
    auto tv = op->two_version(model);
    if (!tv.ok()) return tv.status().with_context(fmt::format("{}:{}: ", m.path, op->line()));
    sql.push_back(std::move(*tv));
  }
  TwoVersionPlan plan;
  plan.old_views = views_of(base);
  plan.new_views = model.after;
  plan.dual_writes = model.dual_writes;
  plan.base = base;
  std::vector<std::string> tables = dual_write_tables(model);
  // start: additive changes, dual-write triggers, backfills, then what needs filled columns.
  for (size_t i = 0; i < ops.size(); ++i) add(plan.start, sql[i].start, ops[i]->line());
  for (const std::string& t : tables) {
    TANDEM_ASSIGN_OR_RETURN(std::vector<std::string> trigger, dual_write_create_sql(model, t));
    plan.start.push_back({trigger, 0, true, "", "", {}, "", "", ""});
  }
  for (const std::string& t : tables) {
    const TableInfo* info = base.table(t);
    if (info == nullptr) continue;  // created by this migration: no rows yet
    std::string set;
    for (const DualWrite& dw : model.dual_writes) {
      if (dw.table != t || dw.new_column.empty() || dw.up.empty()) continue;
      set += fmt::format("{}{} = ({})", set.empty() ? "" : ", ", db::quote_ident(dw.new_column),
                         dw.up);
    }
    if (set.empty()) continue;
    std::vector<std::string> key = info->row_key();
    if (key.empty()) return no_key(m, t);
    PlanStep st;
    st.backfill_table = t;
    st.key = key;
    st.set = set;
    st.sql = {fmt::format("backfill {}", t)};
    st.transactional = false;
    plan.start.push_back(std::move(st));
  }
  for (size_t i = 0; i < ops.size(); ++i) {
    for (const BatchedUpdate& u : sql[i].updates) {
      const TableInfo* info = base.table(u.table);
      if (info == nullptr) continue;  // created by this migration: no rows yet
      std::vector<std::string> key = info->row_key();
      if (key.empty()) return no_key(m, u.table);
      PlanStep st;
      st.backfill_table = u.table;
      st.key = key;
      st.set = u.set;
      st.where = u.where;
      st.line = ops[i]->line();
      st.sql = {fmt::format("update {} in batches", u.table)};
      st.as_version = m.version;
      st.transactional = false;
      plan.start.push_back(std::move(st));
    }
  }
  for (size_t i = 0; i < ops.size(); ++i) add(plan.start, sql[i].after_backfill, ops[i]->line());
  // complete: triggers off, destructive changes, table renames last.
  for (const std::string& t : tables)
    plan.complete.push_back({dual_write_drop_sql(schema, t), 0, true, "", "", {}, "", "", ""});
  for (size_t i = 0; i < ops.size(); ++i) add(plan.complete, sql[i].complete, ops[i]->line());
  for (size_t i = 0; i < ops.size(); ++i) add(plan.complete, sql[i].finish, ops[i]->line());
  // rollback: triggers off, then every operation's start undone in reverse.
  for (const std::string& t : tables)
    plan.rollback.push_back({dual_write_drop_sql(schema, t), 0, true, "", "", {}, "", "", ""});
  for (size_t i = ops.size(); i-- > 0;) add(plan.rollback, sql[i].rollback, ops[i]->line());
  plan.complete = one_transaction(plan.complete);
  plan.rollback = one_transaction(plan.rollback);
  return plan;
}

}  // namespace tandem::expand
