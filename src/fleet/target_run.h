#pragma once
// One target of a fleet run: the engine's use case for the action, on the target's own
// connection, decided from the target's own history.

#include "tandem/fleet.h"

namespace tandem::fleet {

// Runs `action` on `target` with `options` (its db_url already the target's): reads the
// target's status first, so a target already where the action leads is up_to_date and
// nothing runs on it. `version`: the version to start (kStart), or to apply up to (kUp). Never
// returns an error: a failure is state "failed" with the error.
TargetResult run_target(Action action, const Target& target, const Options& options,
                        const std::optional<std::string>& version);

}  // namespace tandem::fleet
