#include "expand/version_schema.h"

#include <fmt/format.h>

#include "expand/catalog.h"

namespace tandem::expand {

std::string version_schema_name(const std::string& schema, const std::string& version) {
  return schema + "_" + version;
}

std::vector<TableView> views_of(const Catalog& catalog) {
  std::vector<TableView> out;
  for (const TableInfo& t : catalog.tables) {
    TableView v{t.name, t.name, {}};
    for (const ColumnInfo& c : t.columns) v.columns.push_back({c.name, c.name});
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<TableView>> read_table_views(db::Connection& conn, const std::string& schema) {
  TANDEM_ASSIGN_OR_RETURN(db::Rows r,
                          conn.query("SELECT c.relname, a.attname FROM pg_catalog.pg_class c "
                                     "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                                     "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid "
                                     "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND "
                                     "a.attnum > 0 AND NOT a.attisdropped "
                                     "AND left(a.attname, length($2)) <> $2 "
                                     "ORDER BY c.relname, a.attnum",
                                     {schema, std::string(kShadowPrefix)}));
  std::vector<TableView> out;
  for (size_t i = 0; i < r.size(); ++i) {
    std::string table = r.text(i, 0);
    if (out.empty() || out.back().physical != table) out.push_back({table, table, {}});
    out.back().columns.push_back({r.text(i, 1), r.text(i, 1)});
  }
  return out;
}

Status create_version_schema(db::Connection& conn, const std::string& schema,
                             const std::string& version, const std::vector<TableView>& tables,
                             const std::function<Status()>& also) {
  std::string vs = db::quote_ident(version_schema_name(schema, version));
  // security_invoker (PostgreSQL 15+): the view checks the querying role's privileges and row
  // security, exactly as a query on the table would.
  std::string with = conn.server_version() >= 150000 ? " WITH (security_invoker = true)" : "";
  std::vector<std::string> sql = {fmt::format("CREATE SCHEMA IF NOT EXISTS {}", vs)};
  for (const TableView& t : tables) {
    std::string cols;
    for (const ViewColumn& c : t.columns) {
      cols += (cols.empty() ? "" : ", ") + db::quote_ident(c.source);
      if (c.source != c.name) cols += " AS " + db::quote_ident(c.name);
    }
    // DROP + CREATE rather than CREATE OR REPLACE: a version may show fewer or renamed columns.
    std::string view = vs + "." + db::quote_ident(t.name);
    sql.push_back(fmt::format("DROP VIEW IF EXISTS {}", view));
    sql.push_back(fmt::format("CREATE VIEW {}{} AS SELECT {} FROM {}.{}", view, with, cols,
                              db::quote_ident(schema), db::quote_ident(t.physical)));
    for (const ViewColumn& c : t.columns) {
      if (c.view_default) {
        sql.push_back(fmt::format("ALTER VIEW {} ALTER COLUMN {} SET DEFAULT ({})", view,
                                  db::quote_ident(c.name), *c.view_default));
      }
    }
  }
  // One transaction: a failed statement rolls every view back, so the caller can retry
  // (lock_timeout) on a usable session.
  TANDEM_ASSIGN_OR_RETURN(db::Transaction tx, db::Transaction::begin(conn));
  for (const std::string& one : sql) TANDEM_RETURN_IF_ERROR(conn.execute(one));
  if (also) TANDEM_RETURN_IF_ERROR(also());
  return tx.commit();
}

}  // namespace tandem::expand
