// A target's circuit breaker and active health (TargetHealth) and the retry budget
// (RetryBudget), driven through made-up time points: no test here waits.

#include "gateway/target_health.h"

#include <gtest/gtest.h>

#include <chrono>

namespace tandem::gateway {
namespace {

using std::chrono::milliseconds;
using State = TargetHealth::State;
using TimePoint = TargetHealth::Clock::time_point;

// An arbitrary start: nothing may depend on the real clock.
const TimePoint kT0 = TimePoint() + std::chrono::hours(1000);

Breaker breaker(int failures, milliseconds open, milliseconds max_open, int half_open = 1) {
  Breaker b;
  b.failures = failures;
  b.open = open;
  b.max_open = max_open;
  b.half_open = half_open;
  return b;
}

// Admits one request at `now`; `probe` tells whether it was a half-open probe.
bool admit(TargetHealth& h, TimePoint now, bool* probe = nullptr) {
  bool p = true;
  bool ok = h.admit(now, p);
  if (!ok) {
    EXPECT_FALSE(p) << "a refused request is not a probe";
  }
  if (probe) *probe = p;
  return ok;
}

// `n` ordinary requests that all fail at `now`.
void fail_n(TargetHealth& h, TimePoint now, int n) {
  for (int i = 0; i < n; ++i) {
    bool probe = true;
    ASSERT_TRUE(h.admit(now, probe)) << "request " << i;
    ASSERT_FALSE(probe);
    h.failure(now, false);
  }
}

TEST(TargetHealth, StartsClosedAndHealthy) {
  TargetHealth h(Breaker{}, HealthCheck{});
  EXPECT_EQ(h.state(kT0), State::kClosed);
  EXPECT_TRUE(h.healthy());
  EXPECT_EQ(h.ejections(), 0u);
  bool probe = true;
  EXPECT_TRUE(h.admit(kT0, probe));
  EXPECT_FALSE(probe);
}

TEST(TargetHealth, OpensAfterConsecutiveFailures) {
  TargetHealth h(breaker(3, milliseconds(1000), milliseconds(60000)), HealthCheck{});
  fail_n(h, kT0, 2);
  EXPECT_EQ(h.state(kT0), State::kClosed);
  EXPECT_EQ(h.ejections(), 0u);
  fail_n(h, kT0, 1);
  EXPECT_EQ(h.state(kT0), State::kOpen);
  EXPECT_EQ(h.ejections(), 1u);
  // Open: nothing is admitted until `open` is over.
  EXPECT_FALSE(admit(h, kT0));
  EXPECT_FALSE(admit(h, kT0 + milliseconds(999)));
  EXPECT_EQ(h.state(kT0 + milliseconds(999)), State::kOpen);
  EXPECT_EQ(h.state(kT0 + milliseconds(1000)), State::kHalfOpen);
}

TEST(TargetHealth, ASuccessInBetweenResetsTheCount) {
  TargetHealth h(breaker(3, milliseconds(1000), milliseconds(60000)), HealthCheck{});
  for (int round = 0; round < 10; ++round) {
    fail_n(h, kT0, 2);
    bool probe = true;
    ASSERT_TRUE(h.admit(kT0, probe));
    h.success(probe);
  }
  // Twenty failures, never three in a row.
  EXPECT_EQ(h.state(kT0), State::kClosed);
  EXPECT_EQ(h.ejections(), 0u);
  EXPECT_TRUE(admit(h, kT0));
}

TEST(TargetHealth, ZeroFailuresNeverOpens) {
  TargetHealth h(breaker(0, milliseconds(1000), milliseconds(60000)), HealthCheck{});
  fail_n(h, kT0, 1000);
  EXPECT_EQ(h.state(kT0), State::kClosed);
  EXPECT_EQ(h.ejections(), 0u);
}

TEST(TargetHealth, HalfOpenAdmitsExactlyItsProbes) {
  TargetHealth h(breaker(1, milliseconds(1000), milliseconds(60000), 3), HealthCheck{});
  fail_n(h, kT0, 1);
  ASSERT_EQ(h.state(kT0), State::kOpen);
  TimePoint later = kT0 + milliseconds(1000);
  for (int i = 0; i < 3; ++i) {
    bool probe = false;
    ASSERT_TRUE(admit(h, later, &probe)) << "probe " << i;
    EXPECT_TRUE(probe);
  }
  EXPECT_EQ(h.state(later), State::kHalfOpen);
  EXPECT_FALSE(admit(h, later));
  EXPECT_FALSE(admit(h, later + milliseconds(5000)));  // more time does not add probes
  // A probe that never reached the target gives its slot back.
  h.cancel(true);
  bool probe = false;
  EXPECT_TRUE(admit(h, later, &probe));
  EXPECT_TRUE(probe);
  EXPECT_FALSE(admit(h, later));
}

TEST(TargetHealth, ProbeSuccessCloses) {
  TargetHealth h(breaker(2, milliseconds(1000), milliseconds(60000)), HealthCheck{});
  fail_n(h, kT0, 2);
  TimePoint later = kT0 + milliseconds(1500);
  bool probe = false;
  ASSERT_TRUE(admit(h, later, &probe));
  ASSERT_TRUE(probe);
  h.success(true);
  EXPECT_EQ(h.state(later), State::kClosed);
  EXPECT_TRUE(admit(h, later, &probe));
  EXPECT_FALSE(probe);
  // Closed again with a fresh count: one failure does not reopen it.
  h.failure(later, false);
  EXPECT_EQ(h.state(later), State::kClosed);
  h.failure(later, false);
  EXPECT_EQ(h.state(later), State::kOpen);
  // And the open time is back to `open`, not doubled.
  EXPECT_EQ(h.state(later + milliseconds(999)), State::kOpen);
  EXPECT_EQ(h.state(later + milliseconds(1000)), State::kHalfOpen);
  EXPECT_EQ(h.ejections(), 2u);
}

TEST(TargetHealth, ProbeFailureReopensForTwiceAsLongUpToMaxOpen) {
  TargetHealth h(breaker(1, milliseconds(1000), milliseconds(5000)), HealthCheck{});
  TimePoint t = kT0;
  fail_n(h, t, 1);
  // Each failed probe doubles the open time: 1s, 2s, 4s, then capped at 5s.
  for (milliseconds open : {milliseconds(1000), milliseconds(2000), milliseconds(4000),
                            milliseconds(5000), milliseconds(5000)}) {
    SCOPED_TRACE(open.count());
    EXPECT_EQ(h.state(t + open - milliseconds(1)), State::kOpen);
    EXPECT_FALSE(admit(h, t + open - milliseconds(1)));
    t += open;
    EXPECT_EQ(h.state(t), State::kHalfOpen);
    bool probe = false;
    ASSERT_TRUE(admit(h, t, &probe));
    ASSERT_TRUE(probe);
    h.failure(t, true);
    EXPECT_EQ(h.state(t), State::kOpen);
  }
  EXPECT_EQ(h.ejections(), 6u);  // the first opening and five failed probes
  // A probe that succeeds closes it and the next opening is `open` again.
  t += milliseconds(5000);
  bool probe = false;
  ASSERT_TRUE(admit(h, t, &probe));
  h.success(probe);
  EXPECT_EQ(h.state(t), State::kClosed);
  fail_n(h, t, 1);
  EXPECT_EQ(h.state(t + milliseconds(999)), State::kOpen);
  EXPECT_EQ(h.state(t + milliseconds(1000)), State::kHalfOpen);
}

// Requests let through while closed that fail after the breaker opened do not stretch it.
TEST(TargetHealth, LateFailuresWhileOpenDoNotReopen) {
  TargetHealth h(breaker(2, milliseconds(1000), milliseconds(60000)), HealthCheck{});
  // Five requests in flight, then they all fail.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(admit(h, kT0));
  for (int i = 0; i < 5; ++i) h.failure(kT0 + milliseconds(100 * i), false);
  EXPECT_EQ(h.ejections(), 1u);
  // Opened by the second failure (at +100 ms) for one second.
  EXPECT_EQ(h.state(kT0 + milliseconds(1099)), State::kOpen);
  EXPECT_EQ(h.state(kT0 + milliseconds(1100)), State::kHalfOpen);
}

TEST(TargetHealth, ActiveProbesMarkUnhealthyAndHealthy) {
  HealthCheck hc;
  hc.path = "/healthz";
  hc.unhealthy = 3;
  hc.healthy = 2;
  TargetHealth h(Breaker{}, hc);
  h.probed(false);
  h.probed(false);
  EXPECT_TRUE(h.healthy());
  h.probed(true);  // not three in a row
  h.probed(false);
  h.probed(false);
  EXPECT_TRUE(h.healthy());
  h.probed(false);
  EXPECT_FALSE(h.healthy());
  // An unhealthy target takes no request, whatever its breaker says.
  EXPECT_EQ(h.state(kT0), State::kClosed);
  bool probe = true;
  EXPECT_FALSE(h.admit(kT0, probe));
  EXPECT_FALSE(probe);
  h.probed(true);
  EXPECT_FALSE(h.healthy());
  h.probed(false);  // breaks the run of successes
  h.probed(true);
  EXPECT_FALSE(h.healthy());
  h.probed(true);
  EXPECT_TRUE(h.healthy());
  EXPECT_TRUE(admit(h, kT0));
}

TEST(TargetHealth, UnhealthyTargetTakesNoProbeEither) {
  HealthCheck hc;
  hc.path = "/healthz";
  hc.unhealthy = 1;
  TargetHealth h(breaker(1, milliseconds(1000), milliseconds(60000)), hc);
  fail_n(h, kT0, 1);
  h.probed(false);
  ASSERT_FALSE(h.healthy());
  EXPECT_FALSE(admit(h, kT0 + milliseconds(2000)));
}

// ---- RetryBudget ----

RetryPolicy policy(double budget, int min_per_second) {
  RetryPolicy p;
  p.budget = budget;
  p.min_per_second = min_per_second;
  return p;
}

TEST(RetryBudget, MinPerSecondWithoutTraffic) {
  RetryBudget b(policy(0.2, 3));
  const long long t = 1'700'000'000;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.try_retry(t)) << i;
  EXPECT_FALSE(b.try_retry(t));
  EXPECT_FALSE(b.try_retry(t));
  EXPECT_EQ(b.exhausted(), 2u);
  // A new second: three more.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.try_retry(t + 1)) << i;
  EXPECT_FALSE(b.try_retry(t + 1));
  EXPECT_EQ(b.exhausted(), 3u);
}

TEST(RetryBudget, RetriesStayWithinTheBudgetOfTenSeconds) {
  RetryBudget b(policy(0.1, 0));
  const long long t = 1'700'000'000;
  // 100 requests a second over ten seconds: 1000 requests, so 100 retries.
  for (long long s = t; s < t + 10; ++s) {
    for (int i = 0; i < 100; ++i) b.request(s);
  }
  int allowed = 0;
  for (int i = 0; i < 200; ++i) allowed += b.try_retry(t + 9) ? 1 : 0;
  EXPECT_EQ(allowed, 100);
  EXPECT_EQ(b.exhausted(), 100u);
}

TEST(RetryBudget, NoRetriesWithoutTrafficAndNoMinimum) {
  RetryBudget b(policy(0.5, 0));
  EXPECT_FALSE(b.try_retry(100));
  EXPECT_EQ(b.exhausted(), 1u);
  b.request(100);
  b.request(100);
  EXPECT_TRUE(b.try_retry(100));  // 1 <= 0.5 × 2
  EXPECT_FALSE(b.try_retry(100));
}

TEST(RetryBudget, MinimumAddsToTheBudget) {
  RetryBudget b(policy(0.1, 2));
  const long long t = 5000;
  for (int i = 0; i < 50; ++i) b.request(t);
  // Five from the budget (10 % of 50): the per-second minimum is a floor for little traffic,
  // not two more on top of the budget.
  int allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += b.try_retry(t) ? 1 : 0;
  EXPECT_EQ(allowed, 5);
  EXPECT_EQ(b.exhausted(), 15u);
}

TEST(RetryBudget, OldSecondsExpire) {
  RetryBudget b(policy(0.2, 0));
  const long long t = 1000;
  for (int i = 0; i < 100; ++i) b.request(t);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(b.try_retry(t)) << i;
  EXPECT_FALSE(b.try_retry(t));
  // Nine seconds later the requests still count, and so do the retries.
  EXPECT_FALSE(b.try_retry(t + 9));
  // Ten seconds later both are gone: no requests, no room.
  EXPECT_FALSE(b.try_retry(t + 10));
  EXPECT_FALSE(b.try_retry(t + 11));
  for (int i = 0; i < 10; ++i) b.request(t + 10);
  EXPECT_TRUE(b.try_retry(t + 10));
  EXPECT_TRUE(b.try_retry(t + 10));
  EXPECT_FALSE(b.try_retry(t + 10));
  // A bucket reused after a long gap (same slot, ten seconds on) starts empty.
  RetryBudget gap(policy(0.5, 0));
  for (int i = 0; i < 100; ++i) gap.request(2000);
  EXPECT_FALSE(gap.try_retry(2100));
  gap.request(2100);
  gap.request(2100);
  EXPECT_TRUE(gap.try_retry(2100));
  EXPECT_FALSE(gap.try_retry(2100));
}

}  // namespace
}  // namespace tandem::gateway
