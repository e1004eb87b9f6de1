#include "expand/shadow.h"

#include <fmt/format.h>

#include <algorithm>

#include "expand/expr.h"
#include "expand/names.h"
#include "expand/operations.h"

namespace tandem::expand {
namespace {

std::string helper_check(const ShadowChange& x) {
  return derived_name(fmt::format("{}_{}_not_null", x.table, x.column));
}

std::string temp_name(const std::string& name) {
  return derived_name(std::string(kShadowPrefix) + name);
}

Status check_supported(const ShadowChange& x, const TableInfo& info, const ColumnInfo& ci,
                       const std::string& op) {
  if (x.type && (!x.up || !x.down)) {
    return Status::InvalidInput(
        op + ": a type change needs both `up` (old value → new type) and `down` (new value → "
             "old type)",
        fmt::format("e.g. up: \"{}::{}\" and down: \"{}::{}\"", x.column, *x.type,
                    x.new_name.value_or(x.column), ci.type));
  }
  if (ci.identity) {
    return Status::InvalidInput(op + ": identity and generated columns cannot be changed with "
                                     "two live versions",
                                "write the change as a .sql migration");
  }
  for (const IndexInfo& i : info.indexes) {
    bool uses = std::find(i.columns.begin(), i.columns.end(), ci.name) != i.columns.end();
    if (uses && i.primary) {
      return Status::InvalidInput(
          op + ": the column is part of the primary key " + i.name,
          "changing a primary key in place is not supported with two live versions; add a new "
          "key column and switch to it over several migrations");
    }
    // An expression (or its predicate) may read the column; tandem cannot rebuild it.
    bool expression = std::find(i.columns.begin(), i.columns.end(), "") != i.columns.end();
    if (expression && i.definition.find(ci.name) != std::string::npos) {
      return Status::InvalidInput(
          fmt::format("{}: table {} has the expression index {}, which tandem cannot rebuild "
                      "on the new column",
                      op, info.name, i.name),
          "drop the index (drop_index) in an earlier migration and create it again after");
    }
    (void)uses;
  }
  for (const IncomingKey& k : info.referenced_by) {
    if (std::find(k.columns.begin(), k.columns.end(), ci.name) != k.columns.end()) {
      return Status::InvalidInput(
          fmt::format("{}: foreign key {} on table {} references the column", op, k.name, k.table),
          "drop that foreign key first (drop_constraint) and add it again afterwards");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> shadow_column(TwoVersionModel& m, TableView* t, ViewColumn* c,
                                  const ShadowChange& x, TwoVersionSql& out) {
  const std::string& op = x.op;
  std::string tq = db::quote_ident(t->physical);
  std::string final_name = x.new_name.value_or(x.column);
  TANDEM_RETURN_IF_ERROR(m.claim(t->physical, c->source, op));
  const TableInfo* info = m.existing(t->physical);
  const ColumnInfo* ci = info ? info->column(c->source) : nullptr;
  if (ci == nullptr) {
    return Status::InvalidInput(op + ": the column is created by this migration",
                                "give it its final form in add_column/create_table");
  }
  TANDEM_RETURN_IF_ERROR(check_supported(x, *info, *ci, op));
  std::string old_col = ci->name, shadow = shadow_name(ci->name);
  std::string sq = db::quote_ident(shadow);
  bool not_null = x.nullable ? !*x.nullable : ci->not_null;
  out.after_backfill.transactional = false;
  out.start.statements.push_back(fmt::format("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}", tq,
                                             sq, x.type.value_or(ci->type)));
  // The default applies to inserts from now on; set separately so existing rows are not
  // rewritten (a volatile default such as nextval() would be evaluated for every row).
  std::optional<std::string> def = x.has_default ? x.default_sql : ci->default_sql;
  if (def) {
    out.start.statements.push_back(
        fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}", tq, sq, *def));
  }
  std::vector<std::string>& complete = out.complete.statements;
  complete.push_back(fmt::format("ALTER TABLE {} DROP COLUMN {}", tq, db::quote_ident(old_col)));
  complete.push_back(
      fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", tq, sq, db::quote_ident(final_name)));
  std::string helper = helper_check(x);
  if (not_null) {
    add_validated(out, t->physical, helper, fmt::format("CHECK ({} IS NOT NULL)", sq));
    complete.push_back(fmt::format("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL", tq,
                                   db::quote_ident(final_name)));
    complete.push_back(
        fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", tq, db::quote_ident(helper)));
  }
  // The old column's own checks, foreign keys and indexes, rebuilt on the shadow under
  // temporary names and renamed at complete, once the originals went with the old column.
  std::map<std::string, std::string> to_shadow = {{old_col, shadow}};
  for (const ConstraintInfo& k : info->constraints) {
    if (std::find(k.columns.begin(), k.columns.end(), old_col) == k.columns.end()) continue;
    std::string tmp = temp_name(k.name);
    std::string body;
    if (k.type == 'c') {
      std::string expr = k.definition.substr(k.definition.find('(')), tail = " NOT VALID";
      if (expr.size() > tail.size() && expr.ends_with(tail)) expr.resize(expr.size() - tail.size());
      TANDEM_ASSIGN_OR_RETURN(std::string rewritten, rewrite_column_refs(expr, to_shadow));
      body = "CHECK " + rewritten;
    } else {
      size_t refs = k.definition.find(") REFERENCES");
      std::vector<std::string> cols = k.columns;
      for (std::string& col : cols)
        if (col == old_col) col = shadow;
      body = "FOREIGN KEY (" + ident_list(cols) + k.definition.substr(refs);
      if (body.ends_with(" NOT VALID")) body.resize(body.size() - 10);
    }
    add_validated(out, t->physical, tmp, body);
    complete.push_back(fmt::format("ALTER TABLE {} RENAME CONSTRAINT {} TO {}", tq,
                                   db::quote_ident(tmp), db::quote_ident(k.name)));
  }
  for (const IndexInfo& i : info->indexes) {
    if (std::find(i.columns.begin(), i.columns.end(), old_col) == i.columns.end()) continue;
    std::string tmp = temp_name(i.name);
    std::vector<std::string> cols = i.columns;
    for (std::string& col : cols)
      if (col == old_col) col = shadow;
    std::string sql =
        fmt::format("CREATE {}INDEX CONCURRENTLY {} ON {} USING {} ({})", i.unique ? "UNIQUE " : "",
                    db::quote_ident(tmp), tq, i.method, ident_list(cols));
    if (!i.predicate.empty()) {
      TANDEM_ASSIGN_OR_RETURN(std::string pred, rewrite_column_refs(i.predicate, to_shadow));
      sql += " WHERE " + pred;
    }
    out.after_backfill.statements.push_back(sql);
    complete.push_back(
        fmt::format("ALTER INDEX {} RENAME TO {}", db::quote_ident(tmp), db::quote_ident(i.name)));
    if (i.constraint) {
      complete.push_back(fmt::format("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}", tq,
                                     db::quote_ident(i.name), db::quote_ident(i.name)));
    }
  }
  // New constraints from the file, written over the new version's column names.
  auto sources = column_sources(*t);
  sources.erase(x.column);
  sources[final_name] = shadow;
  if (x.check) {
    TANDEM_ASSIGN_OR_RETURN(std::string expr, rewrite_column_refs(x.check->constraint, sources));
    add_validated(out, t->physical, x.check->name, "CHECK (" + expr + ")");
  }
  if (x.references) {
    TANDEM_ASSIGN_OR_RETURN(std::string fk, foreign_key_sql(m, shadow, *x.references, op));
    add_validated(out, t->physical, x.references->name, fk);
  }
  if (x.unique_name) {
    std::string u = db::quote_ident(*x.unique_name);
    out.after_backfill.statements.push_back(
        fmt::format("CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({})", u, tq, sq));
    complete.push_back(
        fmt::format("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}", tq, u, u));
  }
  if (x.comment) {
    TANDEM_ASSIGN_OR_RETURN(std::string text, m.sql().literal(*x.comment));
    complete.push_back(
        fmt::format("COMMENT ON COLUMN {}.{} IS {}", tq, db::quote_ident(final_name), text));
  }
  out.rollback.statements.push_back(fmt::format("ALTER TABLE {} DROP COLUMN IF EXISTS {}", tq, sq));
  // The new version sees the shadow under the final name; writes keep both in step.
  c->name = final_name;
  c->source = shadow;
  std::string up = x.up.value_or(db::quote_ident(old_col));
  std::string down = x.down.value_or(db::quote_ident(final_name));
  TANDEM_RETURN_IF_ERROR(m.add_dual_write({t->physical, old_col, shadow, up, down}, op));
  return shadow;
}

}  // namespace tandem::expand
