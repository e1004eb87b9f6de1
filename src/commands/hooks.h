#pragma once
// What the commands layer plugs into the engine: the declarative format and the lint gate.

#include "engine/hooks.h"
#include "tandem/engine.h"

namespace tandem::commands {

// The migration formats besides SQL: declarative .yaml, .yml and .json (pgroll's format).
const Formats& formats();

// The engine's hooks for `options`: formats, and — on PostgreSQL, unless --allow-unsafe — the
// lint gate over the pending SQL migrations (the declarative ones are linted by start, from
// their plan).
Hooks hooks(const EngineOptions& options);

// A locked PostgreSQL session for start/complete/rollback, every statement under lock_timeout.
Result<std::unique_ptr<Session>> open_lifecycle(const EngineOptions& options,
                                                const std::string& command);

}  // namespace tandem::commands
