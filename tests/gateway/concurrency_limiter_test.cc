// The upstream's concurrency limit (ConcurrencyLimiter): the fixed limit and the priority
// shares; and the adaptive limit against a simulated upstream, on a simulated clock: a sustained
// overload must not wear the limit away, an upstream that became slower for good is measured
// again, and a probe that cannot finish gives the limit back.

#include "gateway/concurrency_limiter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace tandem::gateway {
namespace {

using Clock = ConcurrencyLimiter::Clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// An upstream that works `slots` requests at a time for `service` each; more queue, so n
// requests sent together all answer after service × max(1, n / slots) (the test backend's
// --capacity / --work-ms).
struct Upstream {
  int slots = 8;
  milliseconds service{20};
  Clock::duration latency(int in_flight) const {
    double factor = std::max(1.0, static_cast<double>(in_flight) / slots);
    return std::chrono::duration_cast<Clock::duration>(service * factor);
  }
};

ConcurrencyLimit adaptive() {
  ConcurrencyLimit c;
  c.adaptive = true;
  c.limit = 20;  // `limit: adaptive` starts there; min 4, max 1000, sheddable 60%
  c.tolerance = 2;
  c.probe_interval = std::chrono::seconds(40);  // probes at the first window, ~40 s, ~80 s
  return c;
}

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Overload: sheddable requests without end, as many as the limit admits, and `critical` critical
// ones go out together and come back together. Returns their latency; `now` moves past it.
Clock::duration round(ConcurrencyLimiter& limiter, const Upstream& up, Clock::time_point& now,
                      int critical = 2) {
  int n = 0;
  while (limiter.try_acquire(Priority::kSheddable)) ++n;
  for (int i = 0; i < critical && limiter.try_acquire(Priority::kCritical); ++i) ++n;
  Clock::duration latency = up.latency(n);
  now += latency;
  for (int i = 0; i < n; ++i) limiter.release(latency, false, true, now);
  return latency;
}

TEST(ConcurrencyLimiter, SustainedOverloadDoesNotRaiseTheLimit) {
  Clock::time_point t0{};
  Clock::time_point now = t0;
  ConcurrencyLimiter limiter(adaptive(), t0);
  Upstream up;
  bool probed = false;
  int highest = 0;
  Clock::duration worst{};
  // Two minutes of it: three or four probes. The baseline once rose 1% a window toward the loaded
  // latency, and with it the limit, until nothing was shed (20 → 400 in 40 s).
  while (now - t0 < seconds(120)) {
    Clock::duration latency = round(limiter, up, now);
    probed = probed || limiter.probing();
    if (now - t0 > seconds(5)) {
      highest = std::max(highest, limiter.limit());
      worst = std::max(worst, latency);
    }
  }
  EXPECT_TRUE(probed);
  EXPECT_NEAR(limiter.baseline_seconds(), 0.020, 0.001);
  // 8 slots at twice the unloaded latency hold 16 requests: 14 sheddable (60% of ~24) and 2
  // critical. The limit stays near that; what critical requests wait stays near 2 × 20 ms.
  EXPECT_LE(highest, 40);
  EXPECT_GE(limiter.limit(), 16);
  EXPECT_LE(ms(worst), 50.0);
}

TEST(ConcurrencyLimiter, UpstreamSlowerForGoodIsMeasuredAgain) {
  Clock::time_point t0{};
  Clock::time_point now = t0;
  ConcurrencyLimiter limiter(adaptive(), t0);
  Upstream up;
  while (now - t0 < seconds(20)) round(limiter, up, now);
  EXPECT_NEAR(limiter.baseline_seconds(), 0.020, 0.001);
  up.service = milliseconds(50);  // a release that made every request 2.5 times slower
  while (now - t0 < seconds(30)) round(limiter, up, now);
  EXPECT_EQ(limiter.limit(), 4) << "against the old baseline every window is too slow";
  // The next probe (36-44 s after the first) measures 50 ms without load; the limit then grows
  // back instead of staying at `min`.
  while (now - t0 < seconds(90)) round(limiter, up, now);
  EXPECT_NEAR(limiter.baseline_seconds(), 0.050, 0.002);
  EXPECT_GE(limiter.limit(), 16);
}

TEST(ConcurrencyLimiter, ProbeThatCannotFinishGivesTheLimitBack) {
  Clock::time_point t0{};
  Clock::time_point now = t0;
  ConcurrencyLimiter limiter(adaptive(), t0);
  Upstream up;
  // The first window that closes starts the first probe.
  while (!limiter.probing()) round(limiter, up, now);
  // It drained already (each round's requests all come back together): the limit is `min`.
  EXPECT_EQ(limiter.limit(), 4);
  EXPECT_TRUE(limiter.try_acquire(Priority::kCritical));
  // The upstream hangs: the only request in flight times out 5 s later.
  now += seconds(5);
  limiter.release(seconds(5), /*dropped=*/true, true, now);
  EXPECT_FALSE(limiter.probing());
  EXPECT_GT(limiter.limit(), 4);
  EXPECT_GT(limiter.baseline_seconds(), 0.0) << "the first window's measure stays";
}

TEST(ConcurrencyLimiter, AProbeDoesNotRefuseCriticalRequests) {
  Clock::time_point now{};
  ConcurrencyLimiter limiter(adaptive(), now);
  Upstream up;
  while (!limiter.probing()) round(limiter, up, now, /*critical=*/0);
  ASSERT_EQ(limiter.limit(), 4);
  // Sheddable requests get 60 % of `min`; critical ones the limit from before the probe.
  int sheddable = 0, critical = 0;
  while (limiter.try_acquire(Priority::kSheddable)) ++sheddable;
  while (limiter.try_acquire(Priority::kCritical)) ++critical;
  EXPECT_EQ(sheddable, 2);
  EXPECT_GE(sheddable + critical, 16);
}

TEST(ConcurrencyLimiter, FixedLimitNeverProbes) {
  ConcurrencyLimit c;
  c.limit = 3;
  Clock::time_point now{};
  ConcurrencyLimiter limiter(c, now);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.try_acquire(Priority::kCritical));
  EXPECT_FALSE(limiter.try_acquire(Priority::kCritical));
  for (int i = 0; i < 3; ++i) limiter.release(milliseconds(500), false, true, now += seconds(40));
  EXPECT_FALSE(limiter.probing());
  EXPECT_EQ(limiter.limit(), 3);
}

ConcurrencyLimit fixed(int limit) {
  ConcurrencyLimit c;
  c.limit = limit;
  return c;
}

// Takes slots of `priority` until one is refused; returns how many were taken.
int fill(ConcurrencyLimiter& l, Priority priority) {
  int n = 0;
  while (l.try_acquire(priority)) {
    if (++n > 100000) break;  // a limiter that never refuses
  }
  return n;
}

void release_all(ConcurrencyLimiter& l) {
  while (l.in_flight() > 0) l.release(milliseconds(1), false, /*sample=*/false);
}

TEST(ConcurrencyLimiter, UnlimitedWhenTheLimitIsZero) {
  ConcurrencyLimiter l(fixed(0));
  EXPECT_FALSE(l.enabled());
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(l.try_acquire(Priority::kSheddable));
  EXPECT_FALSE(l.overloaded());
}

TEST(ConcurrencyLimiter, FixedLimitRefusesBeyondIt) {
  ConcurrencyLimiter l(fixed(10));
  EXPECT_TRUE(l.enabled());
  EXPECT_EQ(fill(l, Priority::kCritical), 10);
  EXPECT_EQ(l.in_flight(), 10);
  EXPECT_FALSE(l.try_acquire(Priority::kCritical));
  EXPECT_EQ(l.in_flight(), 10);  // a refusal takes nothing
  l.release(milliseconds(5), false);
  EXPECT_EQ(l.in_flight(), 9);
  EXPECT_TRUE(l.try_acquire(Priority::kCritical));
  EXPECT_FALSE(l.try_acquire(Priority::kCritical));
  // A fixed limit does not move, whatever the latencies say.
  for (int i = 0; i < 100; ++i) {
    l.release(milliseconds(500), true);
    ASSERT_TRUE(l.try_acquire(Priority::kCritical));
  }
  EXPECT_EQ(l.limit(), 10);
}

TEST(ConcurrencyLimiter, PriorityShares) {
  ConcurrencyLimiter l(fixed(100));
  // Sheddable requests get 60 %, default ones 85 %, critical ones all of it.
  EXPECT_EQ(fill(l, Priority::kSheddable), 60);
  EXPECT_TRUE(l.overloaded());
  EXPECT_EQ(fill(l, Priority::kNormal), 25);
  EXPECT_EQ(fill(l, Priority::kCritical), 15);
  EXPECT_EQ(l.in_flight(), 100);
  EXPECT_FALSE(l.try_acquire(Priority::kSheddable));
  release_all(l);
  EXPECT_FALSE(l.overloaded());
  EXPECT_EQ(fill(l, Priority::kNormal), 85);
  release_all(l);
  EXPECT_EQ(fill(l, Priority::kCritical), 100);
  release_all(l);

  // A small limit rounds the shares down, but every class keeps at least one slot.
  ConcurrencyLimiter small(fixed(10));
  EXPECT_EQ(fill(small, Priority::kSheddable), 6);
  release_all(small);
  EXPECT_EQ(fill(small, Priority::kNormal), 8);
  release_all(small);
  ConcurrencyLimiter one(fixed(1));
  EXPECT_EQ(fill(one, Priority::kSheddable), 1);
}

TEST(ConcurrencyLimiter, ConfiguredShares) {
  ConcurrencyLimit c = fixed(200);
  c.sheddable = 0.25;
  c.normal = 0.5;
  ConcurrencyLimiter l(c);
  EXPECT_EQ(fill(l, Priority::kSheddable), 50);
  EXPECT_EQ(fill(l, Priority::kNormal), 50);
  EXPECT_EQ(fill(l, Priority::kCritical), 100);
}

TEST(ConcurrencyLimiter, RequestsThatNeverReachedATargetAreNoSample) {
  ConcurrencyLimit c = adaptive();
  c.limit = 100;
  ConcurrencyLimiter l(c);
  std::this_thread::sleep_for(milliseconds(101));
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(l.try_acquire(Priority::kCritical));
    l.release(milliseconds(5000), true, /*sample=*/false);
  }
  EXPECT_EQ(l.limit(), 100);
  EXPECT_EQ(l.in_flight(), 0);
  EXPECT_EQ(l.baseline_seconds(), 0);
}

}  // namespace
}  // namespace tandem::gateway
