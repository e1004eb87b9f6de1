// create_constraint: check, unique or foreign_key on one or more columns.
// PostgreSQL direct mode uses the patterns that keep locks short: CHECK and FOREIGN KEY are
// added NOT VALID (a brief lock, no scan) and validated in a separate transaction (a scan
// that lets writes go on); UNIQUE is built CONCURRENTLY as an index and then attached with
// ADD CONSTRAINT … USING INDEX. Every statement runs in its own transaction, with progress.
// SQLite has no ADD CONSTRAINT: unique becomes a unique index; check and foreign_key rebuild
// the table with the constraint (sqlite_rebuild.h), in the migration's transaction.

#include <fmt/format.h>

#include <map>

#include "expand/expr.h"
#include "expand/operations.h"
#include "expand/shadow.h"
#include "expand/sqlite_rebuild.h"

namespace tandem::expand {
namespace {

class CreateConstraint final : public Operation {
 public:
  std::string table, name, type, check;
  std::vector<std::string> columns;
  std::string ref_table, on_delete = "NO ACTION";
  std::vector<std::string> ref_columns;
  bool rewrites = false;  // per-column `up`/`down` given
  std::map<std::string, std::string> up_sql, down_sql;

  std::string kind() const override { return "create_constraint"; }
  Result<OperationSql> up(const db::Dialect& dialect) const override {
    db::Backend backend = dialect.backend();
    std::string t = db::quote_ident(table), n = db::quote_ident(name);
    if (backend == db::Backend::kSqlite) {
      if (type == "unique") {
        return OperationSql{
            {fmt::format("CREATE UNIQUE INDEX {} ON {} ({})", n, t, ident_list(columns))}, true};
      }
      // SQLite cannot add a constraint to a table: rebuild it with the constraint.
      RebuildSpec spec;
      spec.table = table;
      if (type == "check") {
        spec.add_checks.emplace_back(name, check);
      } else {
        spec.add_foreign_keys.push_back({name, columns, ref_table, ref_columns, on_delete});
      }
      OperationSql out;
      out.add(sqlite_rebuild(spec));
      return out;
    }
    if (type == "unique") {
      return OperationSql{
          {fmt::format("CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({})", n, t, ident_list(columns)),
           fmt::format("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}", t, n, n)},
          false,
          name};
    }
    std::string add =
        type == "check"
            ? fmt::format("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({}) NOT VALID", t, n, check)
            : fmt::format(
                  "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) "
                  "ON DELETE {} NOT VALID",
                  t, n, ident_list(columns), db::quote_ident(ref_table), ident_list(ref_columns),
                  on_delete);
    return OperationSql{{add, fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", t, n)}, false};
  }
  // Two-version mode: the constraint holds for both versions from start — CHECK and FOREIGN
  // KEY NOT VALID then VALIDATE, UNIQUE as an index built concurrently (attached as the
  // constraint at complete). Rows the old version writes must satisfy it.
  Result<TwoVersionSql> two_version(TwoVersionModel& m) const override {
    std::string op = "create_constraint " + name;
    TANDEM_ASSIGN_OR_RETURN(TableView * t, m.table(table, op));
    TwoVersionSql out;
    std::vector<std::string> cols;
    for (const std::string& c : columns) {
      TANDEM_ASSIGN_OR_RETURN(ViewColumn * col, m.column(*t, c, op));
      if (rewrites) {
        // pgroll's form: the constraint goes on shadow columns the new version sees; `up`
        // rewrites the old version's values so they satisfy it, `down` maps them back.
        ShadowChange x;
        x.op = op;
        x.table = table;
        x.column = c;
        if (up_sql.count(c)) x.up = up_sql.at(c);
        if (down_sql.count(c)) x.down = down_sql.at(c);
        TANDEM_RETURN_IF_ERROR(shadow_column(m, t, col, x, out).status());
      }
      cols.push_back(col->source);
    }
    std::string tq = db::quote_ident(t->physical), n = db::quote_ident(name);
    if (type == "unique") {
      out.after_backfill.transactional = false;
      out.after_backfill.statements.push_back(
          fmt::format("CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({})", n, tq, ident_list(cols)));
      out.complete.statements.push_back(
          fmt::format("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}", tq, n, n));
      if (!rewrites) out.rollback = {{"DROP INDEX CONCURRENTLY IF EXISTS " + n}, false};
      return out;
    }
    if (type == "check") {
      TANDEM_ASSIGN_OR_RETURN(std::string expr, rewrite_column_refs(check, column_sources(*t)));
      add_validated(out, t->physical, name, "CHECK (" + expr + ")");
    } else {
      TANDEM_ASSIGN_OR_RETURN(TableView * rt, m.table(ref_table, op + ": references"));
      std::vector<std::string> rcols;
      for (const std::string& c : ref_columns) {
        TANDEM_ASSIGN_OR_RETURN(ViewColumn * col, m.column(*rt, c, op + ": references"));
        rcols.push_back(col->source);
      }
      add_validated(
          out, t->physical, name,
          fmt::format("FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {}", ident_list(cols),
                      db::quote_ident(rt->physical), ident_list(rcols), on_delete));
    }
    if (!rewrites) {
      out.rollback = {{fmt::format("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}", tq, n)}, true};
    }
    return out;
  }
  Result<OperationSql> down(const db::Dialect& dialect) const override {
    db::Backend backend = dialect.backend();
    if (backend == db::Backend::kSqlite) {
      if (type == "unique") return OperationSql{{"DROP INDEX " + db::quote_ident(name)}, true};
      OperationSql out;
      out.add(sqlite_drop_constraint(table, name));
      return out;
    }
    return OperationSql{{fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", db::quote_ident(table),
                                     db::quote_ident(name))},
                        true};
  }
};

}  // namespace

std::unique_ptr<Operation> parse_create_constraint(Fields& f) {
  auto op = std::make_unique<CreateConstraint>();
  op->table = f.name("table", op->fragments_sink());
  op->name = f.name("name", op->fragments_sink());
  op->type = f.str("type");
  op->columns = f.names("columns", op->fragments_sink());
  // up/down are the per-column rewrites two-version mode uses; direct mode does not need them.
  for (const char* key : {"up", "down"}) {
    YAML::Node n = f.node(key, false);
    if (!n) continue;
    op->rewrites = true;
    if (!n.IsMap()) {
      f.problem(f.line_of(key),
                std::string("`") + key + "` must map each column to a SQL expression",
                "e.g. up: {code: \"coalesce(code, id::text)\"}");
      continue;
    }
    for (const auto& kv : n) {
      std::string col = kv.first.as<std::string>(""), expr = kv.second.as<std::string>("");
      Status st = check_expression(expr);
      if (!st.ok()) f.problem(kv.second.Mark().line + 1, st.message(), st.hint());
      op->add_fragment(Fragment{db::FragmentKind::kExpression, std::string(key) + "." + col, expr,
                                kv.second.Mark().line + 1, /*two_version_only=*/true});
      (std::string(key) == "up" ? op->up_sql : op->down_sql)[col] = expr;
    }
  }
  if (op->type == "check") {
    op->check = f.str("check");
    Status st = check_expression(op->check);
    if (!st.ok()) f.problem(f.line_of("check"), st.message(), st.hint());
    op->add_fragment(f.fragment(db::FragmentKind::kExpression, "check", op->check));
  } else if (op->type == "foreign_key") {
    if (YAML::Node n = f.node("references", true)) {
      Fields rf = f.sub(n, "references");
      op->ref_table = rf.name("table", op->fragments_sink());
      op->ref_columns = rf.names("columns", op->fragments_sink());
      op->on_delete = rf.opt_str("on_delete").value_or("NO ACTION");
      static const char* kActions[] = {"NO ACTION", "RESTRICT", "CASCADE", "SET NULL",
                                       "SET DEFAULT"};
      bool known = false;
      for (const char* a : kActions) known = known || op->on_delete == a;
      if (!known) {
        rf.problem(rf.line_of("on_delete"),
                   fmt::format("on_delete '{}' is not a foreign key action", op->on_delete),
                   "use NO ACTION, RESTRICT, CASCADE, SET NULL or SET DEFAULT");
      }
      rf.finish();
      if (!op->ref_columns.empty() && op->ref_columns.size() != op->columns.size()) {
        f.problem(f.line_of("references"),
                  "a foreign key needs as many referenced columns as columns", "");
      }
    }
  } else if (op->type != "unique" && !op->type.empty()) {
    f.problem(f.line_of("type"),
              fmt::format("constraint type '{}' is not check, unique or foreign_key", op->type),
              "");
  }
  f.finish();
  return op;
}

}  // namespace tandem::expand
