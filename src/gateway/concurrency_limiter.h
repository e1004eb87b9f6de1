#pragma once
// How many requests may be in flight to one upstream, shared by every worker, and who gets the
// last slots. A fixed limit, or an adaptive one (tandem/gateway.h ConcurrencyLimit): the
// latency without load is measured by holding the limit at `min` for a few requests (at the
// start and every probe_interval, as Envoy's adaptive concurrency filter does — an upstream
// under load from the first second would otherwise never show it), and between probes every
// window of samples compares its average latency with that gradient-wise. Requests over their
// class's share of the limit are refused at once, never queued: the gateway holds no line a
// client would wait in.

#include <atomic>
#include <chrono>
#include <mutex>

#include "tandem/gateway.h"

namespace tandem::gateway {

class ConcurrencyLimiter {
 public:
  explicit ConcurrencyLimiter(const ConcurrencyLimit& config);

  bool enabled() const { return config_.limit > 0; }
  // Takes a slot when `priority`'s share of the limit has room.
  bool try_acquire(Priority priority);
  // Gives the slot back with the exchange's latency; `dropped`: it timed out or the upstream
  // refused it as overloaded (503), which halves the limit. `sample`: false when the request
  // never reached a target (its latency says nothing about the upstream).
  void release(std::chrono::nanoseconds latency, bool dropped, bool sample = true);

  int limit() const { return limit_.load(std::memory_order_relaxed); }
  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  // True while the sheddable share is full: partial responses with `when: overload` apply.
  bool overloaded() const;
  // The unloaded latency the adaptive limit measures against (seconds; 0 before any sample).
  double baseline_seconds() const;

 private:
  int cap(Priority priority) const;
  void sample_locked(double seconds, bool dropped);

  const ConcurrencyLimit config_;
  std::atomic<int> limit_;
  std::atomic<int> in_flight_{0};
  mutable std::mutex mu_;
  double estimate_;       // the limit as a real number, smoothed
  double no_load_ = 0;    // seconds: the latency measured by the last probe
  bool probing_ = false;  // the limit is held at `min` to measure no_load_
  double probe_sum_ = 0;
  int probe_count_ = 0;
  std::chrono::steady_clock::time_point next_probe_;
  double window_sum_ = 0;  // this window's samples
  int window_count_ = 0;
  int window_max_in_flight_ = 0;
  bool window_dropped_ = false;
  std::chrono::steady_clock::time_point window_start_;
};

}  // namespace tandem::gateway
