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
// A probe ends by this time, or 20 baselines if that is longer (a slow upstream): a drain that
// does not finish (an upstream that hangs) or traffic too thin for a window must not hold the
// limit at `min`. What it measured at `min` by then, if anything, is the baseline.
constexpr auto kProbeMaxTime = std::chrono::seconds(2);
}  // namespace

ConcurrencyLimiter::ConcurrencyLimiter(const ConcurrencyLimit& config, Clock::time_point now)
    : config_(config),
      limit_(config.limit),
      critical_limit_(config.limit),
      estimate_(config.limit),
      window_start_(now),
      probe_due_(now) {}

int ConcurrencyLimiter::cap(Priority priority) const {
  double l = limit_.load(std::memory_order_relaxed);
  switch (priority) {
    case Priority::kCritical:
      // A probe does not refuse critical requests: they keep the limit from before it.
      return critical_limit_.load(std::memory_order_relaxed);
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

bool ConcurrencyLimiter::probing() const {
  std::lock_guard<std::mutex> lock(mu_);
  return phase_ != Phase::kNormal;
}

void ConcurrencyLimiter::release(std::chrono::nanoseconds latency, bool dropped, bool sample,
                                 Clock::time_point now) {
  if (!enabled()) return;
  int was = in_flight_.fetch_sub(1, std::memory_order_acq_rel);
  if (!config_.adaptive || !sample) return;
  std::lock_guard<std::mutex> lock(mu_);
  window_max_in_flight_ = std::max(window_max_in_flight_, was);
  sample_locked(std::chrono::duration<double>(latency).count(), dropped, was - 1, now);
}

void ConcurrencyLimiter::reset_window_locked(Clock::time_point now) {
  window_sum_ = 0;
  window_count_ = 0;
  window_max_in_flight_ = 0;
  window_dropped_ = false;
  window_start_ = now;
}

void ConcurrencyLimiter::start_probe_locked(Clock::time_point now) {
  phase_ = Phase::kDraining;
  probe_started_ = now;
  probe_max_ = std::max<Clock::duration>(
      kProbeMaxTime,
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(20 * no_load_)));
  limit_.store(config_.min, std::memory_order_relaxed);
}

// `baseline`: the window measured at `min` (seconds), 0 when the probe was given up.
void ConcurrencyLimiter::end_probe_locked(Clock::time_point now, double baseline) {
  if (baseline > 0) no_load_ = baseline;
  phase_ = Phase::kNormal;
  limit_.store(static_cast<int>(std::lround(estimate_)), std::memory_order_relaxed);
  critical_limit_.store(static_cast<int>(std::lround(estimate_)), std::memory_order_relaxed);
  // Give or take a tenth, so that gateways started together do not probe together.
  double jitter = 0.9 + 0.2 * static_cast<double>(now.time_since_epoch().count() % 1000) / 1000;
  probe_due_ = now + std::chrono::duration_cast<Clock::duration>(config_.probe_interval * jitter);
  reset_window_locked(now);
}

void ConcurrencyLimiter::probe_sample_locked(double seconds, bool dropped, int in_flight_after,
                                             Clock::time_point now) {
  if (now - probe_started_ >= probe_max_) {
    end_probe_locked(now, window_count_ > 0 ? window_sum_ / window_count_ : 0);
    return;
  }
  if (phase_ == Phase::kDraining) {
    // Requests admitted above `min` queued in the upstream: their latency is the load's. Once
    // no more than `min` are in flight, the next `min` answers may still be theirs.
    if (in_flight_after <= config_.min) {
      phase_ = Phase::kMeasuring;
      probe_skip_ = config_.min;
      reset_window_locked(now);
    }
    return;
  }
  if (dropped) {
    // A timeout or a 503 at `min`: no baseline from this window; the next normal one backs off.
    end_probe_locked(now, 0);
    return;
  }
  if (probe_skip_ > 0) {
    --probe_skip_;
    return;
  }
  window_sum_ += seconds;
  ++window_count_;
  if (window_count_ >= config_.probe_requests && now - window_start_ >= kWindowTime) {
    end_probe_locked(now, window_sum_ / window_count_);
  }
}

void ConcurrencyLimiter::sample_locked(double seconds, bool dropped, int in_flight_after,
                                       Clock::time_point now) {
  if (phase_ != Phase::kNormal) {
    probe_sample_locked(seconds, dropped, in_flight_after, now);
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
    // The unloaded latency: the last probe's, or a lower window since. It must not drift up
    // toward what loaded windows measure: under a sustained overload every window sits at
    // `tolerance` times the baseline, so a baseline that followed them (it rose 1% a window
    // before) would raise the limit until nothing is shed — bench/degradation_bench.sh saw it go
    // from 20 to 400 in 40 s of 3x overload, and critical p99 from 48 ms to 450 ms. An upstream
    // that became slower for good is measured again by the next probe.
    no_load_ = no_load_ == 0 ? avg : std::min(avg, no_load_);
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
  limit_.store(static_cast<int>(std::lround(estimate_)), std::memory_order_relaxed);
  critical_limit_.store(static_cast<int>(std::lround(estimate_)), std::memory_order_relaxed);
  reset_window_locked(now);
  if (now >= probe_due_) start_probe_locked(now);
}

}  // namespace tandem::gateway
