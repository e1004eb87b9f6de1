#pragma once
// A column changed through a shadow column while both versions are live: the new version sees
// `_tandem_new_<col>` under the column's (new) name, existing rows are backfilled with `up`,
// dual writes keep both sides in step, and the column's indexes and constraints are rebuilt on
// the shadow without long locks. Complete drops the old column and renames the shadow into
// place. Used by alter_column and by create_constraint with per-column `up`/`down`.

#include <optional>
#include <string>

#include "expand/two_version.h"

namespace tandem::expand {

struct ShadowChange {
  std::string op;             // names the operation in messages
  std::string table, column;  // as the new version names them so far
  std::optional<std::string> new_name, type;
  std::optional<bool> nullable;
  bool has_default = false;
  std::optional<std::string> default_sql;  // nullopt with has_default: no default
  std::optional<std::string> comment;
  std::optional<std::string> up, down;  // default: the column itself
  std::optional<CheckSpec> check;
  std::optional<std::string> unique_name;
  std::optional<ReferenceSpec> references;
};

// Adds the change's statements to `out` and updates `m`; returns the shadow column's name.
Result<std::string> shadow_column(TwoVersionModel& m, TableView* t, ViewColumn* c,
                                  const ShadowChange& x, TwoVersionSql& out);

}  // namespace tandem::expand
