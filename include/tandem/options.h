#pragma once
// Everything a tandem command is opened with, one struct per concern: the engine's (database,
// folder, waits), the backfills' (batch size, throttles) and the lint gate's.

#include "tandem/backfill.h"
#include "tandem/engine.h"
#include "tandem/lint.h"

namespace tandem {

struct Options {
  EngineOptions engine;
  BackfillOptions backfill;
  lint::GateOptions gate;

  Options() = default;
  // The engine's options with default backfills and gate: what most callers change.
  Options(EngineOptions e) : engine(std::move(e)) {}  // NOLINT(google-explicit-constructor)
};

}  // namespace tandem
