#pragma once
// What the commands layer plugs into the engine: the declarative format and the lint gate.

#include "engine/hooks.h"
#include "tandem/options.h"

namespace tandem::commands {

// The migration formats besides SQL: declarative .yaml, .yml and .json (pgroll's format),
// applied by `up` with default backfill options, read within the default input limits.
const Formats& formats();
// The same, applied with `backfill`, read within `limits` (InputLimits::max_operations).
Formats formats(const BackfillOptions& backfill, const InputLimits& limits);

// The engine's hooks for `options`: formats, and — on PostgreSQL, unless the gate allows
// unsafe changes — the lint gate over every pending migration (SQL files as written,
// declarative ones from their plan).
Hooks hooks(const Options& options);

// A locked PostgreSQL session for start/complete/rollback, every statement under lock_timeout.
Result<std::unique_ptr<Session>> open_lifecycle(const Options& options, const std::string& command);

}  // namespace tandem::commands
