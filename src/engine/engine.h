#pragma once
// The engine's commands, given what the layers above plug in (hooks.h). The public API
// (tandem/engine.h) is the commands layer's: it fills the hooks (declarative migrations, the
// lint gate) and calls these.

#include "engine/hooks.h"
#include "tandem/database.h"
#include "tandem/engine.h"

namespace tandem::engine {

Result<StatusReport> status(const EngineOptions& options, const Hooks& hooks);
Result<ApplyReport> up(const EngineOptions& options, const Hooks& hooks, const UpOptions& up,
                       ApplyReport* partial);
Result<ApplyReport> down(const EngineOptions& options, const Hooks& hooks, const DownOptions& down,
                         ApplyReport* partial);
Result<std::vector<PlannedMigration>> plan_up(const EngineOptions& options, const Hooks& hooks,
                                              const UpOptions& up);
Result<std::vector<PlannedMigration>> plan_down(const EngineOptions& options, const Hooks& hooks,
                                                const DownOptions& down);
Result<std::vector<Problem>> validate(const EngineOptions& options, const Hooks& hooks);
Result<std::vector<RepairAction>> repair(const EngineOptions& options, const Hooks& hooks);
Result<std::vector<MigrationState>> baseline(const EngineOptions& options, const Hooks& hooks,
                                             const std::string& version);
Result<ImportReport> import_history(const EngineOptions& options, const Hooks& hooks,
                                    const ImportOptions& how);
Status init(const EngineOptions& options);
Result<std::string> new_migration(const EngineOptions& options, const std::string& name, bool yaml);
Result<DatabaseReport> create_database(const EngineOptions& options,
                                       const CreateDatabaseOptions& how);
Result<DatabaseReport> drop_database(const EngineOptions& options, const DropDatabaseOptions& how);
Result<DatabaseReport> wait_for_database(const EngineOptions& options, const WaitOptions& how);

}  // namespace tandem::engine
