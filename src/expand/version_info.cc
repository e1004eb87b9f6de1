// `tandem version-schema`: which schema an application version puts on its search_path.

#include <fmt/format.h>

#include "engine/session.h"
#include "expand/lifecycle.h"
#include "expand/version_schema.h"
#include "tandem/expand.h"

namespace tandem::expand {
namespace {

// `-c search_path=<schema>` as libpq's options want it: the schema quoted as an identifier
// when it needs to be, spaces and backslashes escaped.
std::string search_path_option(const std::string& schema) {
  bool plain = !schema.empty() && !std::isdigit(static_cast<unsigned char>(schema[0]));
  for (char c : schema)
    plain = plain && (std::islower(static_cast<unsigned char>(c)) ||
                      std::isdigit(static_cast<unsigned char>(c)) || c == '_');
  std::string value = plain ? schema : db::quote_ident(schema);
  std::string out = "-c search_path=";
  for (char c : value) {
    if (c == ' ' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

Result<VersionSchema> version_schema_in(Session& session,
                                        const std::optional<std::string>& version) {
  const EngineOptions& options = session.options;
  Session* s = &session;
  // Every version schema of the managed schema tandem created, newest first. (A layout-1
  // state, not upgraded yet, recorded none: there they are found by name.)
  std::vector<std::string> versions;
  TANDEM_ASSIGN_OR_RETURN(int layout, s->state->layout());
  if (layout >= 2) {
    TANDEM_ASSIGN_OR_RETURN(auto owned, s->state->version_schemas());
    for (const auto& [name, v] : owned)
      if (name == version_schema_name(options.schema, v)) versions.push_back(v);
  } else {
    TANDEM_ASSIGN_OR_RETURN(
        db::Rows r, s->conn->query("SELECT substr(nspname, length($1) + 2) FROM pg_namespace "
                                   "WHERE left(nspname, length($1) + 1) = $1 || '_' "
                                   "AND substr(nspname, length($1) + 2) ~ '^[0-9][0-9._]*$'",
                                   {options.schema}));
    for (size_t i = 0; i < r.size(); ++i) versions.push_back(r.text(i, 0));
  }
  std::sort(versions.begin(), versions.end(),
            [](const std::string& a, const std::string& b) { return compare_versions(a, b) > 0; });
  TANDEM_ASSIGN_OR_RETURN(std::optional<ActiveMigration> active, s->state->active());
  std::string active_version = active ? active->version : "";
  bool started = active && active->phase != Phase::kStarting;
  VersionSchema out;
  if (version) {
    out.version = canonical_version(*version);
  } else {
    for (const std::string& v : versions) {
      if (v == active_version && !started) continue;  // not live yet
      out.version = v;
      break;
    }
  }
  bool exists = std::find(versions.begin(), versions.end(), out.version) != versions.end();
  if (out.version.empty() || !exists) {
    std::string have;
    for (const std::string& v : versions) have += (have.empty() ? "" : ", ") + v;
    return Status::InvalidInput(
        version ? fmt::format("version {} has no schema", out.version)
                : std::string("no version schema exists yet"),
        have.empty() ? "version schemas are made by `tandem start` (and `tandem up` of a "
                       "declarative migration); until then use the schema " +
                           options.schema + " itself"
                     : "versions with a schema: " + have);
  }
  out.schema = version_schema_name(options.schema, out.version);
  out.state = started && out.version == active_version ? "started"
              : out.version == versions.front()        ? "latest"
                                                       : "old";
  TANDEM_ASSIGN_OR_RETURN(std::string dsn,
                          db::with_session_options(options.db_url, search_path_option(out.schema)));
  out.dsn = db::redact_url(dsn);
  out.dsn_with_password = dsn;
  return out;
}

}  // namespace tandem::expand
