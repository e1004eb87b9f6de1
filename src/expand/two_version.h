#pragma once
// Planning a migration with two live versions. The plan starts from the catalog as it was
// before `start` (the old version) and each operation, in order, reshapes the new version's
// view of the tables and says which columns need dual writes. From the finished plan come
// the version schemas, one dual-write trigger per table, and the backfills.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "expand/catalog.h"
#include "expand/version_schema.h"
#include "tandem/expand.h"

namespace tandem::expand {

// A column pair kept in step while both versions are live. A write through the old version
// sets `new_column` to `up` (over the old version's column names); a write through the new
// version sets `old_column` to `down` (over the new version's column names).
struct DualWrite {
  std::string table;                // physical
  std::string old_column;           // physical; "" when the old version has no counterpart
  std::string new_column;           // physical; "" when the new version has no counterpart
  std::string up, down;             // "" when that direction has nothing to write
  std::set<std::string> up_refs;    // physical columns `up` reads
  std::set<std::string> down_refs;  // physical columns `down` reads
  // The expression has a subquery: its names may belong to other tables.
  bool up_all = false, down_all = false;
};

// What an operation asks for; see DualWrite.
struct DualWriteSpec {
  std::string table, old_column, new_column, up, down;
};

class TwoVersionModel {
 public:
  std::string schema;                    // the managed schema ("public")
  std::string old_version, new_version;  // version keys ("1", "2")
  Catalog base;                          // the old version: tables as before start
  std::vector<TableView> after;          // the new version, shaped by the operations so far
  std::vector<DualWrite> dual_writes;

  // `dialect` writes literals (the PostgreSQL connection the plan will run on).
  TwoVersionModel(std::string schema_name, std::string old_v, std::string new_v, Catalog catalog,
                  const db::Dialect& dialect);
  const db::Dialect& sql() const { return *dialect_; }

  // The new version's table called `name`, or an error naming the operation.
  Result<TableView*> table(const std::string& name, const std::string& op);
  // Its column called `name`, or an error naming the operation.
  Result<ViewColumn*> column(TableView& t, const std::string& name, const std::string& op);
  // Refuses a second change to the same column (or a change to a table dropped or renamed
  // earlier) in one migration: each needs its own start/complete.
  Status claim(const std::string& table, const std::string& column, const std::string& op);
  // The catalog entry of a physical table that existed before start; nullptr for new tables.
  const TableInfo* existing(const std::string& physical) const { return base.table(physical); }
  // Adds a dual write, checking and resolving the columns its expressions read.
  Status add_dual_write(const DualWriteSpec& spec, const std::string& op);

 private:
  std::set<std::string> claimed_;
  const db::Dialect* dialect_;
};

// Each column's name in the version → its physical column, for rewriting expressions.
std::map<std::string, std::string> column_sources(const TableView& t);

// The shadow column that carries a changed column's new version: "_tandem_new_<name>".
std::string shadow_name(const std::string& column);

// `"schema"."name"`.
std::string qualified(const std::string& schema, const std::string& name);

// Adds constraint `name` (`body`: "CHECK (…)", "FOREIGN KEY …") to `table` once the dual-write
// triggers run and the backfill is done: NOT VALID (a brief lock, no scan), then VALIDATE in its
// own transaction (a scan that lets writes go on).
void add_validated(TwoVersionSql& out, const std::string& table, const std::string& name,
                   const std::string& body);

// `FOREIGN KEY (column) REFERENCES t (c) ON DELETE …` with the referenced table and column
// resolved to physical names through the new version.
Result<std::string> foreign_key_sql(TwoVersionModel& m, const std::string& column,
                                    const ReferenceSpec& ref, const std::string& op);

// The dual-write trigger of `table` (physical) and its function in the tandem schema.
// Each is a list of single statements, to run together in one transaction.
Result<std::vector<std::string>> dual_write_create_sql(const TwoVersionModel& model,
                                                       const std::string& table);
std::vector<std::string> dual_write_drop_sql(const std::string& schema, const std::string& table);

// The tables with dual writes, in first-use order.
std::vector<std::string> dual_write_tables(const TwoVersionModel& model);

}  // namespace tandem::expand
