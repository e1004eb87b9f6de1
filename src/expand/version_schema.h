#pragma once
// Version schemas: `<schema>_<version>` holds one view per table showing the table as that
// version of the application sees it. Apps choose their version by search_path. Simple views
// are auto-updatable, so reads and writes both go through them. Building block of two-version
// (start/complete) migrations.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tandem/db.h"
#include "tandem/status.h"

namespace tandem::expand {

// Physical columns tandem adds during a migration start with this prefix; views hide them.
inline constexpr const char* kShadowPrefix = "_tandem_";

struct ViewColumn {
  std::string name;    // as the version sees it
  std::string source;  // the physical column it reads and writes
  // A default for inserts through this version only (`ALTER VIEW … SET DEFAULT`); without it
  // the table's default applies.
  std::optional<std::string> view_default = std::nullopt;
};

struct TableView {
  std::string name;      // the table's name in the version
  std::string physical;  // the table's physical name in the managed schema
  std::vector<ViewColumn> columns;
};

// "public" + "0007" → "public_0007".
std::string version_schema_name(const std::string& schema, const std::string& version);

struct Catalog;

// One view per table of `catalog`, showing every column as it is.
std::vector<TableView> views_of(const Catalog& catalog);

// The ordinary tables of `schema` as they are now: every column except dropped ones and
// tandem's shadow columns, in column order.
Result<std::vector<TableView>> read_table_views(db::Connection& conn, const std::string& schema);

// Creates `<schema>_<version>` with one view per table (replacing views that exist), so
// re-running after a crash converges, all in one transaction together with `also` (which
// records the schema as tandem's). PostgreSQL only. Version schemas are dropped by
// State::drop_version_schema, which drops only those tandem recorded.
Status create_version_schema(db::Connection& conn, const std::string& schema,
                             const std::string& version, const std::vector<TableView>& tables,
                             const std::function<Status()>& also);

}  // namespace tandem::expand
