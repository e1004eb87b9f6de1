// A target's breaker and health, and the retry budget (gateway/target_health.h).

#include "gateway/target_health.h"

#include <algorithm>

namespace tandem::gateway {

TargetHealth::TargetHealth(const Breaker& breaker, const HealthCheck& health)
    : breaker_(breaker), health_(health), open_for_(breaker.open) {}

bool TargetHealth::admit(Clock::time_point now, bool& probe) {
  probe = false;
  if (!healthy()) return false;
  if (state_.load(std::memory_order_acquire) == static_cast<int>(State::kClosed)) return true;
  std::lock_guard<std::mutex> lock(mu_);
  auto s = static_cast<State>(state_.load(std::memory_order_relaxed));
  if (s == State::kClosed) return true;
  if (s == State::kOpen) {
    if (now < open_until_) return false;
    state_.store(static_cast<int>(State::kHalfOpen), std::memory_order_release);
    probes_in_flight_ = 0;
  }
  if (probes_in_flight_ >= breaker_.half_open) return false;
  ++probes_in_flight_;
  probe = true;
  return true;
}

void TargetHealth::success(bool probe) {
  if (!probe) {
    if (failures_.load(std::memory_order_relaxed) != 0) {
      failures_.store(0, std::memory_order_relaxed);
    }
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  --probes_in_flight_;
  if (state_.load(std::memory_order_relaxed) == static_cast<int>(State::kHalfOpen)) {
    state_.store(static_cast<int>(State::kClosed), std::memory_order_release);
    failures_.store(0, std::memory_order_relaxed);
    open_for_ = breaker_.open;
  }
}

void TargetHealth::failure(Clock::time_point now, bool probe) {
  if (probe) {
    std::lock_guard<std::mutex> lock(mu_);
    --probes_in_flight_;
    if (state_.load(std::memory_order_relaxed) == static_cast<int>(State::kHalfOpen)) {
      // Still failing: open again, for twice as long as last time.
      open_for_ = std::min(open_for_ * 2, breaker_.max_open);
      open_locked(now);
    }
    return;
  }
  if (breaker_.failures <= 0) return;
  int n = failures_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n < breaker_.failures) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (state_.load(std::memory_order_relaxed) == static_cast<int>(State::kClosed) &&
      failures_.load(std::memory_order_relaxed) >= breaker_.failures) {
    open_locked(now);
  }
}

void TargetHealth::cancel(bool probe) {
  if (!probe) return;
  std::lock_guard<std::mutex> lock(mu_);
  --probes_in_flight_;
}

void TargetHealth::open_locked(Clock::time_point now) {
  open_until_ = now + open_for_;
  failures_.store(0, std::memory_order_relaxed);
  state_.store(static_cast<int>(State::kOpen), std::memory_order_release);
  ejections_.fetch_add(1, std::memory_order_relaxed);
}

void TargetHealth::probed(bool ok) {
  if (ok) {
    probe_failed_ = 0;
    if (++probe_ok_ >= health_.healthy) healthy_.store(true, std::memory_order_relaxed);
  } else {
    probe_ok_ = 0;
    if (++probe_failed_ >= health_.unhealthy) healthy_.store(false, std::memory_order_relaxed);
  }
}

TargetHealth::State TargetHealth::state(Clock::time_point now) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto s = static_cast<State>(state_.load(std::memory_order_relaxed));
  // An open breaker whose time is over lets the next request through: half-open already.
  if (s == State::kOpen && now >= open_until_) return State::kHalfOpen;
  return s;
}

RetryBudget::Bucket& RetryBudget::bucket(long long now_seconds) {
  Bucket& b = buckets_[now_seconds % 10];
  long long seen = b.second.load(std::memory_order_acquire);
  // The first to see a new second empties the bucket; a count racing with it may be lost,
  // which only makes the budget a request more or less generous.
  if (seen != now_seconds && b.second.compare_exchange_strong(seen, now_seconds)) {
    b.requests.store(0, std::memory_order_relaxed);
    b.retries.store(0, std::memory_order_relaxed);
  }
  return b;
}

void RetryBudget::request(long long now_seconds) {
  bucket(now_seconds).requests.fetch_add(1, std::memory_order_relaxed);
}

bool RetryBudget::try_retry(long long now_seconds) {
  Bucket& now = bucket(now_seconds);
  unsigned long long requests = 0, retries = 0;
  for (const Bucket& b : buckets_) {
    if (b.second.load(std::memory_order_acquire) > now_seconds - 10) {
      requests += b.requests.load(std::memory_order_relaxed);
      retries += b.retries.load(std::memory_order_relaxed);
    }
  }
  bool room = static_cast<double>(retries + 1) <= policy_.budget * static_cast<double>(requests) ||
              now.retries.load(std::memory_order_relaxed) <
                  static_cast<unsigned long long>(policy_.min_per_second);
  if (!room) {
    exhausted_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  now.retries.fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace tandem::gateway
