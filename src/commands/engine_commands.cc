// The engine's commands as the public API (tandem/tandem.h): the engine with this layer's
// hooks — declarative migrations and the lint gate.

#include "commands/guard.h"
#include "commands/hooks.h"
#include "engine/engine.h"
#include "engine/advisory_lock.h"
#include "engine/session.h"
#include "tandem/tandem.h"

namespace tandem {

Result<StatusReport> status(const EngineOptions& options) {
  return commands::guarded("status",
                           [&] { return engine::status(options, commands::hooks(options)); });
}

Result<std::string> history_generation(const EngineOptions& options) {
  return commands::guarded("status", [&]() -> Result<std::string> {
    TANDEM_ASSIGN_OR_RETURN(auto s, Session::open(options, commands::hooks(options), "status",
                                                  /*take_lock=*/false));
    TANDEM_ASSIGN_OR_RETURN(std::string generation, s->state->events_generation());
    // Who holds the migration lock is part of what `status` shows.
    if (s->pg()) {
      TANDEM_ASSIGN_OR_RETURN(std::string holder, AdvisoryLock::holder(*s->conn));
      generation += " lock:" + holder;
    }
    return generation;
  });
}

Result<ApplyReport> up(const Options& options, const UpOptions& up_options, ApplyReport* partial) {
  return commands::guarded("up", [&] {
    return engine::up(options.engine, commands::hooks(options), up_options, partial);
  });
}

Result<ApplyReport> down(const Options& options, const DownOptions& down_options,
                         ApplyReport* partial) {
  return commands::guarded("down", [&] {
    return engine::down(options.engine, commands::hooks(options), down_options, partial);
  });
}

Result<std::vector<PlannedMigration>> plan_up(const Options& options, const UpOptions& up_options) {
  return commands::guarded("plan", [&] {
    return engine::plan_up(options.engine, commands::hooks(options), up_options);
  });
}

Result<std::vector<PlannedMigration>> plan_down(const Options& options,
                                                const DownOptions& down_options) {
  return commands::guarded("plan --down", [&] {
    return engine::plan_down(options.engine, commands::hooks(options), down_options);
  });
}

Result<std::vector<Problem>> validate(const EngineOptions& options) {
  return commands::guarded("validate",
                           [&] { return engine::validate(options, commands::hooks(options)); });
}

Result<std::vector<RepairAction>> repair(const EngineOptions& options) {
  return commands::guarded("repair",
                           [&] { return engine::repair(options, commands::hooks(options)); });
}

Result<std::vector<MigrationState>> baseline(const EngineOptions& options,
                                             const std::string& version) {
  return commands::guarded(
      "baseline", [&] { return engine::baseline(options, commands::hooks(options), version); });
}

Result<ImportReport> import_history(const EngineOptions& options, const ImportOptions& how) {
  return commands::guarded(
      "import", [&] { return engine::import_history(options, commands::hooks(options), how); });
}

Status init(const EngineOptions& options) { return engine::init(options); }

const Formats& migration_formats() { return commands::formats(); }

Formats migration_formats(const InputLimits& limits) {
  return commands::formats(BackfillOptions{}, limits);
}

Result<std::string> new_migration(const EngineOptions& options, const std::string& name,
                                  bool yaml) {
  return commands::guarded("new", [&] { return engine::new_migration(options, name, yaml); });
}

Result<DatabaseReport> create_database(const EngineOptions& options,
                                       const CreateDatabaseOptions& how) {
  return commands::guarded("db create", [&] { return engine::create_database(options, how); });
}

Result<DatabaseReport> drop_database(const EngineOptions& options, const DropDatabaseOptions& how) {
  return commands::guarded("db drop", [&] { return engine::drop_database(options, how); });
}

Result<DatabaseReport> wait_for_database(const EngineOptions& options, const WaitOptions& how) {
  return commands::guarded("db wait", [&] { return engine::wait_for_database(options, how); });
}

}  // namespace tandem
