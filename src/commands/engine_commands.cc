// The engine's commands as the public API (tandem/engine.h): the engine with this layer's
// hooks — declarative migrations and the lint gate.

#include "commands/hooks.h"
#include "engine/engine.h"

namespace tandem {

Result<StatusReport> status(const EngineOptions& options) {
  return engine::status(options, commands::hooks(options));
}

Result<ApplyReport> up(const EngineOptions& options, const UpOptions& up_options,
                       ApplyReport* partial) {
  return engine::up(options, commands::hooks(options), up_options, partial);
}

Result<ApplyReport> down(const EngineOptions& options, const DownOptions& down_options,
                         ApplyReport* partial) {
  return engine::down(options, commands::hooks(options), down_options, partial);
}

Result<std::vector<PlannedMigration>> plan_up(const EngineOptions& options,
                                              const UpOptions& up_options) {
  return engine::plan_up(options, commands::hooks(options), up_options);
}

Result<std::vector<PlannedMigration>> plan_down(const EngineOptions& options,
                                                const DownOptions& down_options) {
  return engine::plan_down(options, commands::hooks(options), down_options);
}

Result<std::vector<Problem>> validate(const EngineOptions& options) {
  return engine::validate(options, commands::hooks(options));
}

Result<std::vector<RepairAction>> repair(const EngineOptions& options) {
  return engine::repair(options, commands::hooks(options));
}

Result<std::vector<MigrationState>> baseline(const EngineOptions& options,
                                             const std::string& version) {
  return engine::baseline(options, commands::hooks(options), version);
}

Status init(const EngineOptions& options) { return engine::init(options); }

const Formats& migration_formats() { return commands::formats(); }

Result<std::string> new_migration(const EngineOptions& options, const std::string& name,
                                  bool yaml) {
  return engine::new_migration(options, name, yaml);
}

}  // namespace tandem
