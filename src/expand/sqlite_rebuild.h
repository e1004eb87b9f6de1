#pragma once
// Table changes SQLite's ALTER TABLE cannot make — a column's type, NOT NULL or default, adding
// or dropping a CHECK or FOREIGN KEY constraint — done the way SQLite documents ("Making Other
// Kinds Of Table Schema Changes", sqlite.org/lang_altertable.html): create the table as it
// should be, copy the rows, drop the old table, rename the new one into place, recreate its
// indexes and triggers, check foreign keys — inside the migration's transaction, so it is all
// or nothing.
//
// An operation describes the change as a RebuildSpec and hands the engine a typed statement
// (an Action) that does it when it runs: the table's definition is only known then (earlier
// migrations may change it).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tandem/db.h"
#include "tandem/migration.h"
#include "tandem/status.h"

namespace tandem::expand {

struct RebuildColumn {
  std::string name;
  std::optional<std::string> type;
  std::optional<bool> not_null;
  bool set_default = false;
  std::optional<std::string> default_sql;  // nullopt with set_default: no default
  std::optional<std::string> fill;         // expression for the copied value
  bool fill_nulls_only = false;            // use `fill` only where the column is NULL
};

struct RebuildForeignKey {
  std::string name;
  std::vector<std::string> columns;
  std::string ref_table;
  std::vector<std::string> ref_columns;
  std::string on_delete = "NO ACTION";
};

struct RebuildSpec {
  std::string table;
  std::vector<RebuildColumn> columns;
  std::vector<std::pair<std::string, std::string>> add_checks;  // name, expression
  std::vector<RebuildForeignKey> add_foreign_keys;
  std::vector<std::string> drop_constraints;  // by name
};

// The statement an operation returns for the engine.
std::shared_ptr<const Action> sqlite_rebuild(const RebuildSpec& spec);

// The two rebuilds several operations ask for.
std::shared_ptr<const Action> sqlite_drop_constraint(const std::string& table,
                                                     const std::string& name);
std::shared_ptr<const Action> sqlite_set_not_null(const std::string& table,
                                                  const std::string& column, bool not_null);

// Rebuilds `spec.table` on `conn`, inside the caller's transaction.
Status run_sqlite_rebuild(db::Connection& conn, const RebuildSpec& spec);

}  // namespace tandem::expand
