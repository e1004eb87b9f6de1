#pragma once
// Client migration between two upstreams (`rollouts:`): which side a request goes to, what the
// workers measure per side for the canary analysis, and the analysis itself.
//
// A client stays on one side: its bucket is a stable hash (XXH3) of the rollout's name and the
// client id, so every gateway routes it the same way without talking to the others, and a
// client that is in at 5 % stays in at 25 %. Cohort rules (a header, a cookie, a client list)
// come first. The share comes from the rollout's state in the state database
// (gateway/rollout_store.h), which every gateway follows.

#include <prometheus/metric_family.h>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/metrics.h"
#include "http/http.h"
#include "tandem/gateway.h"

namespace tandem::gateway {

// A rollout's state, as the state database has it.
struct RolloutState {
  std::string name;
  int step = 0;                    // index into the rollout's steps
  double share = 0;                // the canary's share of clients now, 0..1
  std::string status = "running";  // running | paused | aborted | complete
  long long step_started = 0;      // Unix seconds
  long long analysed_until = 0;    // Unix seconds: windows before this were judged
  std::string reason;              // why it was last changed (an abort's cause)
  long long updated = 0;
  long long version = 0;  // increases with every change: updates compare and set on it
};

// Buckets are 0..9999: a share of 0.05 takes buckets 0..499.
int sticky_bucket(std::string_view rollout, std::string_view key);

// What the workers measure per rollout and side between two flushes.
struct ArmSample {
  long long requests = 0, errors = 0;
  std::array<long long, kLatencyBuckets.size() + 1> buckets{};  // the last one is +Inf
  void add(const ArmSample& o);
};

// Shared by the workers (assignment reads, measures write) and the state thread (publishes the
// states, takes the measures).
class RolloutBook {
 public:
  explicit RolloutBook(const Config& config);

  // The states, one per config rollout (by index); missing ones count as step 0 running.
  void publish(std::vector<RolloutState> states);
  std::shared_ptr<const std::vector<RolloutState>> states() const;

  struct Assignment {
    int rollout = -1;  // -1: no rollout applies
    bool canary = false;
    int upstream = -1;
  };
  // Which side `method path` from `client` (or, anonymous, `peer`) goes to.
  Assignment assign(std::string_view method, std::string_view path, const http::Request& req,
                    const std::string& client, std::string_view peer) const;

  // One answered request of a rollout's side; `failed`: a 5xx or an upstream failure.
  void record(int rollout, bool canary, bool failed, double seconds);
  // Takes the measures since the last take: [rollout][0 baseline, 1 canary].
  std::vector<std::array<ArmSample, 2>> take();
  // The families of /metrics: share, step and state per rollout, requests and errors per side.
  void render(std::vector<prometheus::MetricFamily>& out) const;
  // Puts back what a failed flush could not write (added to what came in meanwhile).
  void give_back(std::vector<std::array<ArmSample, 2>> samples);

 private:
  const Config& config_;
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<RolloutState>> states_;
  mutable std::mutex samples_mu_;
  std::vector<std::array<ArmSample, 2>> samples_;
  std::vector<std::array<ArmSample, 2>> totals_;  // since the start, for /metrics
};

// The analysis of one window: the canary against the baseline.
struct Verdict {
  bool enough = false;  // the canary had min_requests in the window
  bool breach = false;
  std::string reason;
  double canary_error_rate = 0, baseline_error_rate = 0;
  double canary_p99 = 0, baseline_p99 = 0;  // seconds
};
Verdict judge(const Analysis& analysis, const ArmSample& baseline, const ArmSample& canary);
// The 99th percentile of a latency histogram, interpolated within its bucket (seconds).
double p99(const ArmSample& s);

}  // namespace tandem::gateway
