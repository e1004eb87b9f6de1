// start, complete, rollback and version-schema as the public API (tandem/expand.h).

#include "commands/guard.h"
#include "commands/hooks.h"
#include "engine/session.h"
#include "expand/lifecycle.h"
#include "tandem/expand.h"

namespace tandem::expand {

Result<LifecycleReport> start(const Options& options, const std::optional<std::string>& version) {
  return commands::guarded("start", [&]() -> Result<LifecycleReport> {
    TANDEM_ASSIGN_OR_RETURN(auto s, commands::open_lifecycle(options, "start"));
    return start_in(*s, options.backfill, version);
  });
}

Result<LifecycleReport> complete(const Options& options) {
  return commands::guarded("complete", [&]() -> Result<LifecycleReport> {
    TANDEM_ASSIGN_OR_RETURN(auto s, commands::open_lifecycle(options, "complete"));
    return complete_in(*s, options.backfill);
  });
}

Result<LifecycleReport> rollback(const Options& options) {
  return commands::guarded("rollback", [&]() -> Result<LifecycleReport> {
    TANDEM_ASSIGN_OR_RETURN(auto s, commands::open_lifecycle(options, "rollback"));
    return rollback_in(*s, options.backfill);
  });
}

Result<VersionSchema> version_schema(const EngineOptions& options,
                                     const std::optional<std::string>& version) {
  TANDEM_ASSIGN_OR_RETURN(db::Url url, db::parse_url(options.db_url));
  if (url.backend != db::Backend::kPostgres) {
    return Status::InvalidInput("version schemas exist on PostgreSQL only",
                                "on SQLite applications use the tables directly");
  }
  TANDEM_ASSIGN_OR_RETURN(auto s, Session::open(options, commands::hooks(options), "version-schema",
                                                /*take_lock=*/false));
  return version_schema_in(*s, version);
}

}  // namespace tandem::expand
