#pragma once
// The JSON documents of the admin listener's API (gateway/admin_api.h): GET /api/status and
// the rollout a POST /api/rollouts/{name}/{action} answers with. Pure functions of their
// inputs, so that the shape is tested without a process (docs/gateway.md "Admin endpoints").

#include <cstddef>
#include <string>
#include <vector>

#include "tandem/gateway.h"

namespace tandem::gateway {

// What this process's shadow tally counted for one shadow (ShadowTally::counts).
struct ShadowLine {
  std::string name;
  unsigned long long compared = 0;  // match + mismatch
  unsigned long long mismatches = 0, errors = 0, skipped = 0;
};

// Borrowed: every pointer must outlive the call of status_json().
struct StatusInputs {
  const Config* config = nullptr;
  long long now_ms = 0;                                  // Unix milliseconds: `generated_at`
  long long state_read_at_ms = 0;                        // when usage and rollouts were read
  const std::vector<UsageRow>* usage = nullptr;          // gateway::usage()'s rows
  const std::vector<RolloutReport>* rollouts = nullptr;  // rollout_status()'s, config order
  std::vector<ShadowLine> shadows;                       // config order
};

struct StatusLimits {
  size_t clients_per_version = 100;  // the busiest; `more_clients` counts the rest
  size_t removed_versions = 100;     // versions only usage still has, the busiest first
  size_t max_bytes = 4 * 1024 * 1024;
};

// The /api/status document:
//   {"generated_at", "state_read_at", "head", "versions": [...], "rollouts": [...], "shadows":
//   [...]}
// Versions: the config's, newest first (head first), then the ones usage has that the config
// no longer lists (`versions.removed` first, then the rest by requests), each with
// `removed: true`. `requests` is the sum over every client of the version, listed or not.
// Clients: most requests first, ties by name. Never longer than `max_bytes`: when it would be,
// fewer clients are listed per version (10, then none) and, last, fewer removed versions;
// `truncated: true` says so. Invalid UTF-8 in a client id is replaced by U+FFFD.
std::string status_json(const StatusInputs& in, const StatusLimits& limits = {});

// One rollout as /api/status lists it: {"name", "state", "step", "steps" (percent), "share"
// (0..1), "baseline", "canary", "why", "automatic", "step_started", "updated",
// "bake_left_seconds", "baseline_requests", "canary_requests", "baseline_errors",
// "canary_errors"} — the numbers of `tandem api rollout status --json`, renamed as the
// dashboard reads them.
std::string rollout_json(const RolloutReport& r);

// Unix milliseconds as "2026-01-01T00:00:00.123Z".
std::string iso8601_ms(long long unix_ms);

}  // namespace tandem::gateway
