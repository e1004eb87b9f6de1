#pragma once
// How many requests may be in flight to one upstream, shared by every worker, and who gets the
// last slots. A fixed limit, or an adaptive one that follows latency as Netflix's
// concurrency-limits gradient does: every window of samples compares the window's average
// latency with the latency the upstream has without load; while it stays within `tolerance`
// times that, the limit grows (by about its square root, the queue it may build), beyond it the
// limit shrinks in proportion. Requests over their class's share of the limit are refused at
// once, never queued: the gateway holds no line a client would wait in.
//
// The latency without load is measured, not inferred from loaded windows: at the first window
// and every `probe_interval` (± 10 %) after it the limit drops to `min` until the requests beyond
// it have drained, and one window of `probe_requests` samples at that concurrency is the new
// baseline (Envoy's adaptive concurrency filter measures its minRTT the same way). Between probes
// the baseline only falls. A probe refuses what `min` does not admit while it lasts: the drain and
// about probe_requests answers at `min` (~0.1 s for a 20 ms upstream and `min` 4), at most 2 s or
// 20 baselines.

#include <atomic>
#include <chrono>
#include <mutex>

#include "tandem/gateway.h"

namespace tandem::gateway {

class ConcurrencyLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // `now`: the start of the first window (tests drive the clock; the gateway passes nothing).
  explicit ConcurrencyLimiter(const ConcurrencyLimit& config, Clock::time_point now = Clock::now());

  bool enabled() const { return config_.limit > 0; }
  // Takes a slot when `priority`'s share of the limit has room.
  bool try_acquire(Priority priority);
  // Gives the slot back with the exchange's latency; `dropped`: it timed out or the upstream
  // refused it as overloaded (503), which halves the limit. `sample`: false when the request
  // never reached a target (its latency says nothing about the upstream).
  void release(std::chrono::nanoseconds latency, bool dropped, bool sample = true,
               Clock::time_point now = Clock::now());

  int limit() const { return limit_.load(std::memory_order_relaxed); }
  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  // True while the sheddable share is full: partial responses with `when: overload` apply.
  bool overloaded() const;
  // The unloaded latency the adaptive limit measures against (seconds; 0 before any sample).
  double baseline_seconds() const;
  // True while the limit is down to `min` to measure the latency without load.
  bool probing() const;

 private:
  // kNormal: windows move the limit. kDraining: the limit is `min`, waiting for the requests
  // admitted above it to finish. kMeasuring: a window at `min` becomes the baseline.
  enum class Phase { kNormal, kDraining, kMeasuring };

  int cap(Priority priority) const;
  void sample_locked(double seconds, bool dropped, int in_flight_after, Clock::time_point now);
  void probe_sample_locked(double seconds, bool dropped, int in_flight_after,
                           Clock::time_point now);
  void start_probe_locked(Clock::time_point now);
  void end_probe_locked(Clock::time_point now, double baseline);
  void reset_window_locked(Clock::time_point now);

  const ConcurrencyLimit config_;
  std::atomic<int> limit_;
  // What critical requests may use: the limit, also while a probe holds limit_ at `min` (their
  // few requests raise the probe's measure a little; refusing them would defeat priorities).
  std::atomic<int> critical_limit_;
  std::atomic<int> in_flight_{0};
  mutable std::mutex mu_;
  double estimate_;        // the limit as a real number, smoothed
  double no_load_ = 0;     // seconds; the baseline, from the last probe or a lower window since
  double window_sum_ = 0;  // this window's samples
  int window_count_ = 0;
  int window_max_in_flight_ = 0;
  bool window_dropped_ = false;
  Clock::time_point window_start_;
  Phase phase_ = Phase::kNormal;
  Clock::time_point probe_due_;  // the next probe: the first window, then every probe_interval
  Clock::time_point probe_started_;
  Clock::duration probe_max_{};  // when a probe that has not measured a window ends anyway
  int probe_skip_ = 0;           // samples still to discard after the drain
};

}  // namespace tandem::gateway
