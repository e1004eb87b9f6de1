// alter_column: rename a column and/or change its type, nullability, default, check, unique,
// references or comment.
//
// Two-version mode (start/complete), PostgreSQL: a rename or a new default is only a view
// change until complete. Type, nullability, check, unique and references changes go through a
// shadow column `_tandem_new_<col>` that the new version sees under the column's name: existing
// rows are backfilled with `up`, dual-write triggers keep both columns in step (`up` for
// writes through the old version, `down` for writes through the new one), and the column's
// indexes and constraints are rebuilt on the shadow without long locks. Complete drops the old
// column and renames the shadow into place.
//
// Direct mode runs the forms that need no second version: rename, `nullable` (PostgreSQL, with
// the CHECK NOT VALID → VALIDATE → SET NOT NULL pattern), `default` and `comment`.

#include <fmt/format.h>

#include "expand/expr.h"
#include "expand/operations.h"
#include "expand/two_version.h"

namespace tandem::expand {
namespace {

class AlterColumn final : public Operation {
 public:
  std::string table, column;
  std::optional<std::string> new_name, type;
  std::optional<bool> nullable;
  bool has_default = false;
  std::optional<std::string> default_sql;  // nullopt with has_default: DROP DEFAULT
  std::optional<std::string> comment;
  std::optional<std::string> up_sql, down_sql;
  std::optional<CheckSpec> check;
  std::optional<std::string> unique_name;
  std::optional<ReferenceSpec> references;

  std::string kind() const override { return "alter_column"; }

  bool needs_shadow() const { return type || nullable || check || unique_name || references; }

  Result<OperationSql> up(db::Backend backend) const override {
    std::string t = db::quote_ident(table), c = db::quote_ident(column);
    if (type || check || unique_name || references) {
      return Status::InvalidInput(
          fmt::format("alter_column {}.{}: type, check, unique and references changes need two "
                      "live versions",
                      table, column),
          backend == db::Backend::kSqlite ? "on SQLite write the table rebuild as a .sql migration"
                                          : "run it with `tandem start` and `tandem complete`");
    }
    if (new_name && !nullable && !has_default && !comment) return rename(column, *new_name);
    if (backend == db::Backend::kSqlite) {
      return Status::InvalidInput(
          fmt::format(
              "alter_column {}.{}: SQLite cannot change a column's nullability, default or comment",
              table, column),
          "write the table rebuild as a .sql migration");
    }
    OperationSql out;
    out.transactional = false;  // every statement in its own transaction, progress recorded
    if (nullable && !*nullable) {
      std::string check_name = db::quote_ident(helper_check());
      if (up_sql)
        out.statements.push_back(
            fmt::format("UPDATE {} SET {} = ({}) WHERE {} IS NULL", t, c, *up_sql, c));
      out.statements.push_back(fmt::format(
          "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID", t, check_name, c));
      out.statements.push_back(fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", t, check_name));
      out.statements.push_back(fmt::format("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL", t, c));
      out.statements.push_back(fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", t, check_name));
    } else if (nullable) {
      out.statements.push_back(fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL", t, c));
    }
    if (has_default) {
      out.statements.push_back(
          default_sql
              ? fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}", t, c, *default_sql)
              : fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT", t, c));
    }
    if (comment) {
      out.statements.push_back(
          fmt::format("COMMENT ON COLUMN {}.{} IS {}", t, c, sql_literal(*comment)));
    }
    if (new_name) {
      out.statements.push_back(
          fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", t, c, db::quote_ident(*new_name)));
    }
    return out;
  }

  Result<OperationSql> down(db::Backend backend) const override {
    if (new_name && !nullable && !has_default && !comment) return rename(*new_name, column);
    if (has_default || comment || new_name) {
      return irreversible(fmt::format(
          "alter_column {}.{}: the previous default/comment is not in the file", table, column));
    }
    if (backend == db::Backend::kSqlite) return irreversible("SQLite cannot change nullability");
    std::string t = db::quote_ident(table), c = db::quote_ident(column);
    if (nullable && !*nullable)
      return OperationSql{{fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL", t, c)},
                          true};
    return irreversible(
        fmt::format("alter_column {}.{}: making it NOT NULL again may fail on rows written since",
                    table, column));
  }

  Result<TwoVersionSql> two_version(TwoVersionModel& m) const override {
    std::string op = fmt::format("alter_column {}.{}", table, column);
    TANDEM_ASSIGN_OR_RETURN(TableView * t, m.table(table, op));
    TANDEM_ASSIGN_OR_RETURN(ViewColumn * c, m.column(*t, column, op));
    std::string final_name = new_name.value_or(column);
    if (new_name && m.column(*t, *new_name, op).ok()) {
      return Status::InvalidInput(fmt::format("{}: column \"{}\" already exists", op, *new_name),
                                  "pick another name");
    }
    TANDEM_RETURN_IF_ERROR(m.claim(t->physical, c->source, op));
    std::string tq = db::quote_ident(t->physical);
    if (!needs_shadow()) return view_only(*t, *c, final_name);

    const TableInfo* info = m.existing(t->physical);
    const ColumnInfo* ci = info ? info->column(c->source) : nullptr;
    if (ci == nullptr) {
      return Status::InvalidInput(op + ": the column is created by this migration",
                                  "give it its final form in add_column/create_table");
    }
    TANDEM_RETURN_IF_ERROR(check_supported(*info, *ci, op));
    std::string old_col = ci->name, shadow = shadow_name(ci->name);
    std::string sq = db::quote_ident(shadow);
    bool not_null = nullable ? !*nullable : ci->not_null;
    TwoVersionSql out;
    out.after_backfill.transactional = false;
    out.start.statements.push_back(fmt::format("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}", tq,
                                               sq, type.value_or(ci->type)));
    // The default applies to inserts from now on; set separately so existing rows are not
    // rewritten (a volatile default such as nextval() would be evaluated for every row).
    std::optional<std::string> def = has_default ? default_sql : ci->default_sql;
    if (def) {
      out.start.statements.push_back(
          fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}", tq, sq, *def));
    }
    std::string complete =
        fmt::format("ALTER TABLE {} DROP COLUMN {};\n", tq, db::quote_ident(old_col)) +
        fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {};\n", tq, sq,
                    db::quote_ident(final_name));
    std::string helper = helper_check();
    if (not_null) {
      add_validated(out, t->physical, helper, fmt::format("CHECK ({} IS NOT NULL)", sq));
      complete += fmt::format("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL;\n", tq,
                              db::quote_ident(final_name));
      complete += fmt::format("ALTER TABLE {} DROP CONSTRAINT {};\n", tq, db::quote_ident(helper));
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
        if (expr.size() > tail.size() && expr.ends_with(tail))
          expr.resize(expr.size() - tail.size());
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
      complete += fmt::format("ALTER TABLE {} RENAME CONSTRAINT {} TO {};\n", tq,
                              db::quote_ident(tmp), db::quote_ident(k.name));
    }
    for (const IndexInfo& i : info->indexes) {
      if (std::find(i.columns.begin(), i.columns.end(), old_col) == i.columns.end()) continue;
      std::string tmp = temp_name(i.name);
      std::vector<std::string> cols = i.columns;
      for (std::string& col : cols)
        if (col == old_col) col = shadow;
      std::string sql = fmt::format("CREATE {}INDEX CONCURRENTLY {} ON {} USING {} ({})",
                                    i.unique ? "UNIQUE " : "", db::quote_ident(tmp), tq, i.method,
                                    ident_list(cols));
      if (!i.predicate.empty()) {
        TANDEM_ASSIGN_OR_RETURN(std::string pred, rewrite_column_refs(i.predicate, to_shadow));
        sql += " WHERE " + pred;
      }
      out.after_backfill.statements.push_back(sql);
      complete += fmt::format("ALTER INDEX {} RENAME TO {};\n", db::quote_ident(tmp),
                              db::quote_ident(i.name));
      if (i.constraint) {
        complete += fmt::format("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {};\n", tq,
                                db::quote_ident(i.name), db::quote_ident(i.name));
      }
    }
    // New constraints from the file, written over the new version's column names.
    auto sources = column_sources(*t);
    sources.erase(column);
    sources[final_name] = shadow;
    if (check) {
      TANDEM_ASSIGN_OR_RETURN(std::string expr, rewrite_column_refs(check->constraint, sources));
      add_validated(out, t->physical, check->name, "CHECK (" + expr + ")");
    }
    if (references) {
      TANDEM_ASSIGN_OR_RETURN(std::string fk, foreign_key_sql(m, shadow, *references, op));
      add_validated(out, t->physical, references->name, fk);
    }
    if (unique_name) {
      std::string u = db::quote_ident(*unique_name);
      out.after_backfill.statements.push_back(
          fmt::format("CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({})", u, tq, sq));
      complete +=
          fmt::format("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {};\n", tq, u, u);
    }
    if (comment) {
      complete += fmt::format("COMMENT ON COLUMN {}.{} IS {};\n", tq, db::quote_ident(final_name),
                              sql_literal(*comment));
    }
    out.complete = {{complete}, true};
    out.rollback = {{fmt::format("ALTER TABLE {} DROP COLUMN IF EXISTS {}", tq, sq)}, true};
    // The new version sees the shadow under the final name; writes keep both in step.
    c->name = final_name;
    c->source = shadow;
    std::string up = up_sql.value_or(db::quote_ident(old_col));
    std::string down = down_sql.value_or(db::quote_ident(final_name));
    TANDEM_RETURN_IF_ERROR(m.add_dual_write({t->physical, old_col, shadow, up, down, {}, {}}, op));
    return out;
  }

 private:
  Result<OperationSql> rename(const std::string& from, const std::string& to) const {
    return OperationSql{
        {fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", db::quote_ident(table),
                     db::quote_ident(from), db::quote_ident(to))},
        true};
  }
  std::string helper_check() const {
    return fmt::format("{}_{}_not_null", table, column).substr(0, 63);
  }
  static std::string temp_name(const std::string& name) {
    return (std::string(kShadowPrefix) + name).substr(0, 63);
  }

  // Rename, default, comment: the new version's view changes now, the table at complete.
  Result<TwoVersionSql> view_only(TableView& t, ViewColumn& c,
                                  const std::string& final_name) const {
    std::string tq = db::quote_ident(t.physical), fq = db::quote_ident(final_name);
    std::string complete;
    if (final_name != c.source) {
      complete += fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {};\n", tq,
                              db::quote_ident(c.source), fq);
    }
    if (has_default) {
      c.view_default = default_sql.value_or("NULL");
      complete += default_sql
                      ? fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {};\n", tq, fq,
                                    *default_sql)
                      : fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT;\n", tq, fq);
    }
    if (comment) {
      complete += fmt::format("COMMENT ON COLUMN {}.{} IS {};\n", tq, fq, sql_literal(*comment));
    }
    c.name = final_name;
    TwoVersionSql out;
    out.complete = {{complete}, true};
    return out;
  }

  Status check_supported(const TableInfo& info, const ColumnInfo& ci, const std::string& op) const {
    if (type && (!up_sql || !down_sql)) {
      return Status::InvalidInput(
          op + ": a type change needs both `up` (old value → new type) and `down` (new value → "
               "old type)",
          fmt::format("e.g. up: \"{}::{}\" and down: \"{}::{}\"", column, *type,
                      new_name.value_or(column), ci.type));
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
            fmt::format("{}: foreign key {} on table {} references the column", op, k.name,
                        k.table),
            "drop that foreign key first (drop_constraint) and add it again afterwards");
      }
    }
    return Status::Ok();
  }
};

}  // namespace

std::unique_ptr<Operation> parse_alter_column(Fields& f) {
  auto op = std::make_unique<AlterColumn>();
  op->table = f.str("table");
  op->column = f.str("column");
  op->new_name = f.opt_str("name");
  op->type = f.opt_str("type");
  if (YAML::Node n = f.node("nullable", false)) op->nullable = f.boolean("nullable", true);
  if (YAML::Node n = f.node("default", false)) {
    op->has_default = true;
    op->default_sql = f.opt_str("default");
  }
  op->comment = f.opt_str("comment");
  if (YAML::Node n = f.node("check", false)) op->check = parse_check(f, n);
  if (YAML::Node n = f.node("unique", false)) {
    Fields uf = f.sub(n, "unique");
    op->unique_name = uf.str("name");
    uf.finish();
  }
  if (YAML::Node n = f.node("references", false)) op->references = parse_references(f, n);
  for (const char* key : {"up", "down"}) {
    std::optional<std::string> e = f.opt_str(key);
    if (!e) continue;
    Status st = check_expression(*e);
    if (!st.ok())
      f.problem(f.line_of(key), std::string("`") + key + "`: " + st.message(), st.hint());
    (std::string(key) == "up" ? op->up_sql : op->down_sql) = e;
  }
  if (op->check) {
    Status st = check_expression(op->check->constraint);
    if (!st.ok()) f.problem(f.line_of("check"), st.message(), st.hint());
  }
  bool changes =
      op->new_name || op->nullable || op->has_default || op->comment || op->needs_shadow();
  if (!changes && f.ok()) {
    f.problem(f.line(), "alter_column changes nothing",
              "give `name`, `type`, `nullable`, `default`, `check`, `unique`, `references` or "
              "`comment`");
  }
  f.finish();
  return op;
}

}  // namespace tandem::expand
