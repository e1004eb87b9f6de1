#pragma once
// Whether a target of an upstream may take requests, shared by every worker: the circuit
// breaker fed by real traffic (passive outlier ejection) and the active health probe. The
// common case — a closed breaker on a healthy target — is one atomic load per request.

#include <atomic>
#include <chrono>
#include <mutex>

#include "tandem/gateway.h"

namespace tandem::gateway {

class TargetHealth {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { kClosed = 0, kOpen = 1, kHalfOpen = 2 };

  TargetHealth(const Breaker& breaker, const HealthCheck& health);

  // May a request go to this target now? `probe` is set when it is one of the half-open probes
  // (its outcome closes or reopens the breaker).
  bool admit(Clock::time_point now, bool& probe);
  // The outcome of an exchange admit() let through.
  void success(bool probe);
  void failure(Clock::time_point now, bool probe);
  // Gives back a probe slot of a request that never reached the target.
  void cancel(bool probe);

  // An active probe's result (one prober thread calls this).
  void probed(bool ok);
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }

  State state(Clock::time_point now) const;
  unsigned long long ejections() const { return ejections_.load(std::memory_order_relaxed); }

 private:
  void open_locked(Clock::time_point now);

  const Breaker breaker_;
  const HealthCheck health_;
  std::atomic<int> state_{static_cast<int>(State::kClosed)};
  std::atomic<int> failures_{0};  // consecutive, while closed
  std::atomic<bool> healthy_{true};
  std::atomic<unsigned long long> ejections_{0};
  mutable std::mutex mu_;
  Clock::time_point open_until_{};
  std::chrono::milliseconds open_for_;
  int probes_in_flight_ = 0;
  int probe_ok_ = 0, probe_failed_ = 0;  // consecutive active-probe results (prober thread)
};

// Envoy's retry budget: retries stay within `budget` of the requests of the last ten seconds,
// with `min_per_second` always allowed. Shared by every worker; counting a request is two
// relaxed atomic operations (no lock on the hot path).
class RetryBudget {
 public:
  explicit RetryBudget(const RetryPolicy& policy) : policy_(policy) {}
  void request(long long now_seconds);
  // Takes one retry when the budget has room.
  bool try_retry(long long now_seconds);
  unsigned long long exhausted() const { return exhausted_.load(std::memory_order_relaxed); }

 private:
  struct Bucket {
    std::atomic<long long> second{-1};
    std::atomic<unsigned long long> requests{0}, retries{0};
  };
  // The bucket of `now_seconds`, emptied when it last held an older second.
  Bucket& bucket(long long now_seconds);

  const RetryPolicy policy_;
  Bucket buckets_[10];
  std::atomic<unsigned long long> exhausted_{0};
};

}  // namespace tandem::gateway
