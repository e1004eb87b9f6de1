// The upstream's concurrency limit (gateway/concurrency_limiter.h).

#include "gateway/concurrency_limiter.h"

#include <algorithm>
#include <cmath>

namespace tandem::gateway {

namespace {
// A window closes after this many samples and at least kWindowTime.
constexpr int kWindowSamples = 20;
constexpr auto kWindowTime = std::chrono::milliseconds(100);
constexpr double kSmoothing = 0.2;
}  // namespace

ConcurrencyLimiter::ConcurrencyLimiter(const ConcurrencyLimit& config)
    : config_(config),
      limit_(config.limit),
      estimate_(config.limit),
      window_start_(std::chrono::steady_clock::now()) {
  if (config.adaptive) {
    probing_ = true;  // the first thing measured is the latency without load
    limit_.store(config.min, std::memory_order_relaxed);
  }
}

int ConcurrencyLimiter::cap(Priority priority) const {
  double l = limit_.load(std::memory_order_relaxed);
  switch (priority) {
    case Priority::kCritical:
      return static_cast<int>(l);
    case Priority::kNormal:
      return std::max(1, static_cast<int>(l * config_.normal));
    case Priority::kSheddable:
      return std::max(1, static_cast<int>(l * config_.sheddable));
  }
  return static_cast<int>(l);
}

bool ConcurrencyLimiter::try_acquire(Priority priority) {
  if (!enabled()) return true;
  int c = cap(priority);
  int n = in_flight_.fetch_add(1, std::memory_order_acq_rel);
  if (n >= c) {
    in_flight_.fetch_sub(1, std::memory_order_acq_rel);
    return false;
  }
  return true;
}

bool ConcurrencyLimiter::overloaded() const {
  return enabled() && in_flight() >= cap(Priority::kSheddable);
}

double ConcurrencyLimiter::baseline_seconds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return no_load_;
}

void ConcurrencyLimiter::release(std::chrono::nanoseconds latency, bool dropped, bool sample) {
  if (!enabled()) return;
  int was = in_flight_.fetch_sub(1, std::memory_order_acq_rel);
  if (!config_.adaptive || !sample) return;
  std::lock_guard<std::mutex> lock(mu_);
  window_max_in_flight_ = std::max(window_max_in_flight_, was);
  sample_locked(std::chrono::duration<double>(latency).count(), dropped);
}

void ConcurrencyLimiter::sample_locked(double seconds, bool dropped) {
  auto now = std::chrono::steady_clock::now();
  if (probing_) {
    if (dropped) return;
    probe_sum_ += seconds;
    if (++probe_count_ < config_.probe_requests) return;
    no_load_ = probe_sum_ / probe_count_;
    probing_ = false;
    probe_sum_ = 0;
    probe_count_ = 0;
    // The next probe in probe_interval, give or take a tenth, so that gateways started together
    // do not probe together.
    auto jitter = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        config_.probe_interval *
        (0.9 + 0.2 * static_cast<double>(now.time_since_epoch().count() % 1000) / 1000.0));
    next_probe_ = now + jitter;
    limit_.store(static_cast<int>(std::lround(estimate_)), std::memory_order_relaxed);
    window_sum_ = 0;
    window_count_ = 0;
    window_max_in_flight_ = 0;
    window_dropped_ = false;
    window_start_ = now;
    return;
  }
  window_dropped_ = window_dropped_ || dropped;
  if (!dropped) {
    window_sum_ += seconds;
    ++window_count_;
  }
  if ((window_count_ < kWindowSamples && !window_dropped_) || now - window_start_ < kWindowTime) {
    return;
  }
  double next = estimate_;
  if (window_dropped_ || window_count_ == 0) {
    // Timeouts or 503s from the upstream: back off hard, as AIMD's multiplicative decrease.
    next = estimate_ * 0.5;
  } else {
    double avg = window_sum_ / window_count_;
    // A window faster than the probe saw: the upstream got faster.
    no_load_ = std::min(no_load_, avg);
    double gradient = std::clamp(config_.tolerance * no_load_ / avg, 0.5, 1.0);
    double queue = std::sqrt(estimate_);
    // Grow only when the limit was used: an idle upstream says nothing about its capacity.
    bool used = window_max_in_flight_ >= estimate_ * 0.5;
    next = estimate_ * gradient + (gradient >= 1.0 && used ? queue : 0.0);
    if (gradient >= 1.0 && !used) next = estimate_;
  }
  // A drop halves the limit at once (the header's contract); smoothing it would only take off
  // 30 % while the upstream is already timing out.
  estimate_ = window_dropped_ ? next : estimate_ * (1 - kSmoothing) + next * kSmoothing;
  estimate_ =
      std::clamp(estimate_, static_cast<double>(config_.min), static_cast<double>(config_.max));
  window_sum_ = 0;
  window_count_ = 0;
  window_max_in_flight_ = 0;
  window_dropped_ = false;
  window_start_ = now;
  if (now >= next_probe_) {
    probing_ = true;
    limit_.store(config_.min, std::memory_order_relaxed);
    return;
  }
  limit_.store(static_cast<int>(std::lround(estimate_)), std::memory_order_relaxed);
}

}  // namespace tandem::gateway
