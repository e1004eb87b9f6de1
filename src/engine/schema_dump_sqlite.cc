// SQLite's schema for tandem dump: sqlite_master's stored CREATE statements, made comparable.

#include "engine/schema_dump.h"

namespace tandem::engine {

Result<std::vector<SchemaObject>> read_sqlite_schema(db::Connection& conn) {
  // sqlite_* are SQLite's own (sqlite_sequence, sqlite_stat1); tandem_* are tandem's state,
  // with their indexes and triggers. Automatic indexes (UNIQUE, PRIMARY KEY) have no SQL: they
  // are part of their table's.
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows, conn.query("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                                "AND type IN ('table', 'view', 'index', 'trigger') "
                                "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                                "AND tbl_name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                                "AND tbl_name NOT LIKE 'tandem\\_%' ESCAPE '\\'"));
  std::vector<SchemaObject> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    out.push_back({rows.text(i, 0), rows.text(i, 1), normalize_sqlite_sql(rows.text(i, 2))});
  }
  return out;
}

}  // namespace tandem::engine
