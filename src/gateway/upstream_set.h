#pragma once
// The upstreams of a config and how a request reaches one: a target chosen round robin among
// those whose breaker and health check admit it, retries on another target for idempotent
// requests within the retry budget, and the concurrency limit that sheds load by priority.
// UpstreamSet is shared by every worker (atomics and short locks); UpstreamClient belongs to one
// worker and owns its keep-alive pools, one per target.

#include <prometheus/metric_family.h>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "gateway/concurrency_limiter.h"
#include "gateway/target_health.h"
#include "http/upstream_pool.h"
#include "tandem/gateway.h"

namespace tandem::gateway {

// What every worker shares about one upstream.
struct UpstreamShared {
  explicit UpstreamShared(const Upstream& config);
  const Upstream& config;
  std::vector<std::unique_ptr<TargetHealth>> targets;
  RetryBudget budget;
  ConcurrencyLimiter limiter;
  std::atomic<unsigned long long> retries{0}, no_target{0};
  std::array<std::atomic<unsigned long long>, 3> shed{};  // by Priority
};

class UpstreamSet {
 public:
  explicit UpstreamSet(const Config& config);
  UpstreamShared& at(int i) { return *upstreams_[i]; }
  size_t size() const { return upstreams_.size(); }
  // The families of /metrics: target state and health, ejections, retries, limits, shedding.
  void render(std::vector<prometheus::MetricFamily>& out) const;

  // Starts the active health probes (one thread for every upstream that has a health_check);
  // stop() ends them. Until the first probes answer, targets count as healthy.
  void start_probes();
  void stop_probes();
  ~UpstreamSet();

 private:
  const Config& config_;
  std::vector<std::unique_ptr<UpstreamShared>> upstreams_;
  struct Prober;
  std::unique_ptr<Prober> prober_;
};

// One exchange's outcome, with which target answered and how many attempts it took.
struct Exchange {
  http::UpstreamResult result;
  int target = -1;
  int attempts = 0;
  bool no_target = false;  // every target was ejected or unhealthy: nothing was sent
};

// A gateway failure (Envoy's consecutive_gateway_failure): no usable answer, or a 502, 503 or
// 504. The breaker counts these, retries and stale-if-error answer them. A 500 is the
// application's own answer and passes through.
bool failed_exchange(const http::UpstreamResult& r);
// Any 5xx or no answer: what the canary analysis counts as an error.
bool server_error(const http::UpstreamResult& r);

class UpstreamClient {
 public:
  UpstreamClient(const Upstream& config, UpstreamShared& shared, http::asio::io_context& io,
                 http::Reaper& reaper, size_t max_response_body);

  // Sends `req` to a target; `head_for` writes req.head for the target chosen (its base path and
  // authority), again for a retry on another one.
  http::Task<Exchange> exchange(
      http::OutRequest& req, const std::function<void(const Target&, http::OutRequest&)>& head_for);

  UpstreamShared& shared() { return shared_; }

 private:
  const Upstream& config_;
  UpstreamShared& shared_;
  std::vector<std::unique_ptr<http::UpstreamPool>> pools_;
  size_t next_ = 0;
};

}  // namespace tandem::gateway
