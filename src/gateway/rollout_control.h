#pragma once
// Moving rollouts on from the state database. Every gateway runs the analysis on each sync;
// updates compare and set on the rollout's version, so when several gateways judge the same
// window one of them moves the rollout and the others see it moved.

#include "gateway/rollout.h"
#include "gateway/state_store.h"

namespace tandem::gateway {

// Judges the windows of `s` that ended and moves the rollout: aborted on a breach, the next
// step (or complete) once the bake time passed with enough canary traffic. True when it changed.
Result<bool> advance_rollout(StateStore& store, const Rollout& rollout, const RolloutState& s,
                             long long now);

// One sync: creates missing rollout states (once: `ensured`), flushes the book's measures,
// advances automatic rollouts and publishes the states to the workers.
Status sync_rollouts(StateStore& store, const Config& config, RolloutBook& book, bool& ensured);

// Each rollout of the config as `store` has it, in config order: what `tandem api rollout
// status` shows (rollout_status() opens the store, then calls this).
Result<std::vector<RolloutReport>> rollout_reports(StateStore& store, const Config& config);

}  // namespace tandem::gateway
