#pragma once
// What `tandem start` needs to know about the managed schema's tables before it changes
// anything: columns (type, default, NOT NULL), indexes, constraints and the foreign keys that
// point at them. Taken once when a start begins and kept in tandem.active, so a re-run after a
// crash, `complete` and `rollback` plan from the same picture.

#include <optional>
#include <string>
#include <vector>

#include "tandem/db.h"
#include "tandem/status.h"

namespace tandem::expand {

struct ColumnInfo {
  std::string name;
  std::string type;  // format_type(): "integer", "character varying(20)"
  std::optional<std::string> default_sql;
  bool not_null = false;
  bool identity = false;  // GENERATED … AS IDENTITY or GENERATED … STORED
};

struct IndexInfo {
  std::string name, method;
  std::vector<std::string> columns;  // empty entries for expression columns
  std::string predicate;             // "" when not partial
  bool unique = false, primary = false;
  bool constraint = false;  // backs a UNIQUE or PRIMARY KEY constraint
  std::string definition;   // pg_get_indexdef()
};

struct ConstraintInfo {
  std::string name;
  char type = 'c';         // c = check, f = foreign key
  std::string definition;  // pg_get_constraintdef()
  std::vector<std::string> columns;
};

struct IncomingKey {
  std::string name, table;
  std::vector<std::string> columns;  // the referenced columns of this table
};

struct TableInfo {
  std::string name;
  std::vector<ColumnInfo> columns;
  std::vector<IndexInfo> indexes;
  std::vector<ConstraintInfo> constraints;
  std::vector<IncomingKey> referenced_by;

  const ColumnInfo* column(const std::string& name) const;
  // The primary key, else a unique, non-partial index on NOT NULL plain columns: what batched
  // backfills page through. Empty when the table has neither.
  std::vector<std::string> row_key() const;
};

struct Catalog {
  std::vector<TableInfo> tables;
  const TableInfo* table(const std::string& name) const;
};

// `a IS DISTINCT FROM b` for values of column type `type` (format_type spelling; "" when not
// known). Compared as text unless the type is known to have an equality operator: point, json,
// xml and others have none. The dual-write trigger and `verify` compare the same way.
std::string distinct_from(const std::string& a, const std::string& b, const std::string& type);

// The ordinary tables of `schema` (tandem's shadow columns left out).
Result<Catalog> read_catalog(db::Connection& conn, const std::string& schema);

std::string to_json(const Catalog& catalog);
Result<Catalog> catalog_from_json(const std::string& text);

}  // namespace tandem::expand
