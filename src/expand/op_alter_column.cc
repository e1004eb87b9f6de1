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
#include "expand/names.h"
#include "expand/operations.h"
#include "expand/shadow.h"
#include "expand/sqlite_rebuild.h"

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

  Result<OperationSql> up(const db::Dialect& dialect) const override {
    db::Backend backend = dialect.backend();
    std::string t = db::quote_ident(table), c = db::quote_ident(column);
    if (backend == db::Backend::kSqlite) return sqlite_up();
    if (type || check || unique_name || references) {
      return Status::InvalidInput(
          fmt::format("alter_column {}.{}: type, check, unique and references changes need two "
                      "live versions",
                      table, column),
          "run it with `tandem start` and `tandem complete` (or `tandem up`)");
    }
    if (new_name && !nullable && !has_default && !comment) return rename(column, *new_name);
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
              ? fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT ({})", t, c, *default_sql)
              : fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT", t, c));
    }
    if (comment) {
      TANDEM_ASSIGN_OR_RETURN(std::string text, dialect.literal(*comment));
      out.statements.push_back(fmt::format("COMMENT ON COLUMN {}.{} IS {}", t, c, text));
    }
    if (new_name) {
      out.statements.push_back(
          fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", t, c, db::quote_ident(*new_name)));
    }
    return out;
  }

  Result<OperationSql> down(const db::Dialect& dialect) const override {
    db::Backend backend = dialect.backend();
    bool rename_only = new_name && !nullable && !has_default && !comment && !needs_shadow();
    if (rename_only) return rename(*new_name, column);
    if (has_default || comment || new_name || type || check || unique_name || references) {
      return irreversible(fmt::format(
          "alter_column {}.{}: the previous definition is not in the file", table, column));
    }
    std::string t = db::quote_ident(table), c = db::quote_ident(column);
    if (nullable && !*nullable && backend == db::Backend::kSqlite) {
      OperationSql out;
      out.add(sqlite_set_not_null(table, column, false));
      return out;
    }
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
    std::string tq = db::quote_ident(t->physical);
    bool shadowed = c->source.rfind(kShadowPrefix, 0) == 0;
    if (shadowed && !needs_shadow() && !new_name) {
      // An earlier operation of this migration moved the column to a shadow: a default or a
      // comment goes on the shadow now and moves with it at complete.
      TwoVersionSql out;
      std::string sq = db::quote_ident(c->source);
      if (has_default) {
        out.start.statements.push_back(
            default_sql ? fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT ({})", tq, sq,
                                      *default_sql)
                        : fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT", tq, sq));
      }
      if (comment) {
        TANDEM_ASSIGN_OR_RETURN(std::string text, m.sql().literal(*comment));
        out.start.statements.push_back(fmt::format("COMMENT ON COLUMN {}.{} IS {}", tq, sq, text));
      }
      return out;
    }
    if (!needs_shadow()) {
      TANDEM_RETURN_IF_ERROR(m.claim(t->physical, c->source, op));
      return view_only(m, *t, *c, final_name);
    }

    TwoVersionSql out;
    ShadowChange x{op,          table,   column, new_name, type,  nullable,    has_default,
                   default_sql, comment, up_sql, down_sql, check, unique_name, references};
    TANDEM_RETURN_IF_ERROR(shadow_column(m, t, c, x, out).status());
    return out;
  }

 private:
  // SQLite: RENAME COLUMN, then one table rebuild for type, NOT NULL, default, check and
  // references (rows copied with `up`), and a unique index. SQLite keeps no column comments.
  Result<OperationSql> sqlite_up() const {
    OperationSql out;
    std::string col = column;
    if (new_name) {
      TANDEM_ASSIGN_OR_RETURN(OperationSql r, rename(column, *new_name));
      out.statements = r.statements;
      col = *new_name;
    }
    RebuildSpec spec;
    spec.table = table;
    if (type || nullable || has_default || up_sql) {
      RebuildColumn rc;
      rc.name = col;
      rc.type = type;
      if (nullable) rc.not_null = !*nullable;
      rc.set_default = has_default;
      rc.default_sql = default_sql;
      if (up_sql) {
        // `up` reads the old version's names; after the rename the column has the new one.
        TANDEM_ASSIGN_OR_RETURN(std::string fill, rewrite_column_refs(*up_sql, {{column, col}}));
        rc.fill = fill;
        rc.fill_nulls_only = !type;  // a nullability change fills only the missing values
      }
      spec.columns.push_back(rc);
    }
    if (check) spec.add_checks.emplace_back(check->name, check->constraint);
    if (references) {
      spec.add_foreign_keys.push_back({references->name,
                                       {col},
                                       references->table,
                                       {references->column},
                                       references->on_delete});
    }
    if (!spec.columns.empty() || !spec.add_checks.empty() || !spec.add_foreign_keys.empty())
      out.add(sqlite_rebuild(spec));
    if (unique_name) {
      out.statements.push_back(fmt::format("CREATE UNIQUE INDEX {} ON {} ({})",
                                           db::quote_ident(*unique_name), db::quote_ident(table),
                                           db::quote_ident(col)));
    }
    return out;
  }

  Result<OperationSql> rename(const std::string& from, const std::string& to) const {
    return OperationSql{
        {fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", db::quote_ident(table),
                     db::quote_ident(from), db::quote_ident(to))},
        true};
  }
  std::string helper_check() const {
    return derived_name(fmt::format("{}_{}_not_null", table, column));
  }

  // Rename, default, comment: the new version's view changes now, the table at complete.
  Result<TwoVersionSql> view_only(TwoVersionModel& m, TableView& t, ViewColumn& c,
                                  const std::string& final_name) const {
    std::string tq = db::quote_ident(t.physical), fq = db::quote_ident(final_name);
    TwoVersionSql out;
    std::vector<std::string>& complete = out.complete.statements;
    if (final_name != c.source) {
      complete.push_back(
          fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", tq, db::quote_ident(c.source), fq));
    }
    if (has_default) {
      c.view_default = default_sql.value_or("NULL");
      complete.push_back(
          default_sql
              ? fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT ({})", tq, fq, *default_sql)
              : fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT", tq, fq));
    }
    if (comment) {
      TANDEM_ASSIGN_OR_RETURN(std::string text, m.sql().literal(*comment));
      complete.push_back(fmt::format("COMMENT ON COLUMN {}.{} IS {}", tq, fq, text));
    }
    c.name = final_name;
    return out;
  }
};

}  // namespace

std::unique_ptr<Operation> parse_alter_column(Fields& f) {
  auto op = std::make_unique<AlterColumn>();
  op->table = f.name("table", op->fragments_sink());
  op->column = f.name("column", op->fragments_sink());
  op->new_name = f.opt_str("name");
  if (op->new_name) op->add_fragment(f.fragment(db::FragmentKind::kName, "name", *op->new_name));
  op->type = f.opt_str("type");
  if (op->type) op->add_fragment(f.fragment(db::FragmentKind::kTypeName, "type", *op->type));
  if (YAML::Node n = f.node("nullable", false)) op->nullable = f.boolean("nullable", true);
  if (YAML::Node n = f.node("default", false)) {
    op->has_default = true;
    op->default_sql = f.opt_str("default");
    if (op->default_sql) {
      op->add_fragment(f.fragment(db::FragmentKind::kColumnDefault, "default", *op->default_sql));
    }
  }
  op->comment = f.opt_str("comment");
  if (YAML::Node n = f.node("check", false)) op->check = parse_check(f, n, op->fragments_sink());
  if (YAML::Node n = f.node("unique", false)) {
    Fields uf = f.sub(n, "unique");
    op->unique_name = uf.name("name", op->fragments_sink());
    uf.finish();
  }
  if (YAML::Node n = f.node("references", false))
    op->references = parse_references(f, n, op->fragments_sink());
  for (const char* key : {"up", "down"}) {
    std::optional<std::string> e = f.opt_str(key);
    if (!e) continue;
    Status st = check_expression(*e);
    if (!st.ok())
      f.problem(f.line_of(key), std::string("`") + key + "`: " + st.message(), st.hint());
    // `down` is written for the new version only two-version mode keeps.
    op->add_fragment(
        f.fragment(db::FragmentKind::kExpression, key, *e, key, std::string(key) == "down"));
    (std::string(key) == "up" ? op->up_sql : op->down_sql) = e;
  }
  if (op->check) {
    Status st = check_expression(op->check->constraint);
    if (!st.ok()) f.problem(f.line_of("check"), st.message(), st.hint());
    op->add_fragment(f.fragment(db::FragmentKind::kExpression, "check", op->check->constraint,
                                "check.constraint"));
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
