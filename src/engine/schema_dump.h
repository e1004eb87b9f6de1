#pragma once
// The readers behind tandem/schema.h's dump_schema: one per backend, each returning the
// objects in any order (dump_schema sorts them).

#include <string>
#include <vector>

#include "tandem/schema.h"

namespace tandem::engine {

// PostgreSQL: every object of schema `schema` from pg_catalog, inside the caller's read-only
// transaction with search_path empty (so every name in a pg_get_*def text is qualified).
// kInvalidInput when the schema does not exist.
Result<std::vector<SchemaObject>> read_postgres_schema(db::Connection& conn,
                                                       const std::string& schema);

// SQLite: tables, views, indexes and triggers from sqlite_master, without sqlite_* and
// tandem_* tables (and what belongs to them).
Result<std::vector<SchemaObject>> read_sqlite_schema(db::Connection& conn);

// SQLite's stored SQL made comparable: comments outside quotes removed, runs of whitespace
// outside quotes made one space, trimmed, ending in one ";".
std::string normalize_sqlite_sql(const std::string& sql);

// The position of `kind` in a dump (extensions first, triggers last); unknown kinds last.
int kind_rank(const std::string& kind);

}  // namespace tandem::engine
