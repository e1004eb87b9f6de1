// The upstream's concurrency limit (ConcurrencyLimiter): the fixed limit and the priority
// shares, and the adaptive limit fed with made-up latencies. The adaptive limit closes a window
// after 20 samples and at least 100 ms, so those tests sleep just over 100 ms per window.

#include "gateway/concurrency_limiter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace tandem::gateway {
namespace {

using std::chrono::milliseconds;

ConcurrencyLimit fixed(int limit) {
  ConcurrencyLimit c;
  c.limit = limit;
  return c;
}

ConcurrencyLimit adaptive(int start, int min = 4, int max = 1000) {
  ConcurrencyLimit c;
  c.limit = start;
  c.adaptive = true;
  c.min = min;
  c.max = max;
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

// Feeds the adaptive limiter one window: `busy` requests in flight at its start (as many as
// the limit lets through), 20 samples of `latency`.
void window(ConcurrencyLimiter& l, int busy, milliseconds latency) {
  std::this_thread::sleep_for(milliseconds(101));
  int held = 0;
  while (held < busy && l.try_acquire(Priority::kCritical)) ++held;
  for (int i = 0; i < 20; ++i) {
    if (i >= held) {
      ASSERT_TRUE(l.try_acquire(Priority::kCritical));
    }
    l.release(latency, false);
  }
  // Slots beyond the 20 samples go back without a sample: they belong to no window.
  release_all(l);
}

TEST(ConcurrencyLimiter, AdaptiveGrowsWithFlatLatencyAndFullUse) {
  ConcurrencyLimiter l(adaptive(20));
  EXPECT_EQ(l.limit(), 20);
  EXPECT_EQ(l.baseline_seconds(), 0);
  int last = l.limit();
  for (int w = 0; w < 5; ++w) {
    window(l, l.limit(), milliseconds(10));
    SCOPED_TRACE(w);
    EXPECT_GT(l.limit(), last);
    last = l.limit();
  }
  EXPECT_NEAR(l.baseline_seconds(), 0.010, 0.001);
}

TEST(ConcurrencyLimiter, AdaptiveDoesNotGrowWhileIdle) {
  ConcurrencyLimiter l(adaptive(40));
  for (int w = 0; w < 3; ++w) {
    window(l, 1, milliseconds(10));
    EXPECT_EQ(l.limit(), 40) << "window " << w;
  }
}

TEST(ConcurrencyLimiter, AdaptiveShrinksAsLatencyGrows) {
  ConcurrencyLimiter l(adaptive(100));
  window(l, 100, milliseconds(10));  // the unloaded latency
  int last = l.limit();
  EXPECT_GE(last, 100);
  // Within the tolerance (2×): no shrinking.
  window(l, 0, milliseconds(18));
  EXPECT_EQ(l.limit(), last);
  for (milliseconds latency : {milliseconds(40), milliseconds(80), milliseconds(160)}) {
    window(l, l.limit(), latency);
    SCOPED_TRACE(latency.count());
    EXPECT_LT(l.limit(), last);
    last = l.limit();
  }
  EXPECT_LT(l.limit(), 100);
}

TEST(ConcurrencyLimiter, AdaptiveStaysWithinMinAndMax) {
  ConcurrencyLimiter grow(adaptive(20, 4, 22));
  for (int w = 0; w < 4; ++w) {
    window(grow, grow.limit(), milliseconds(10));
    EXPECT_LE(grow.limit(), 22);
  }
  EXPECT_EQ(grow.limit(), 22);

  ConcurrencyLimiter shrink(adaptive(8, 5, 100));
  window(shrink, 8, milliseconds(5));
  for (int w = 0; w < 6; ++w) {
    window(shrink, 8, milliseconds(200));
    EXPECT_GE(shrink.limit(), 5);
  }
  EXPECT_EQ(shrink.limit(), 5);
}

TEST(ConcurrencyLimiter, DroppedHalvesTheLimit) {
  ConcurrencyLimiter l(adaptive(100));
  std::this_thread::sleep_for(milliseconds(101));
  ASSERT_TRUE(l.try_acquire(Priority::kCritical));
  // One timeout closes the window at once: no need for 20 samples.
  l.release(milliseconds(5000), /*dropped=*/true);
  EXPECT_EQ(l.limit(), 50);
  std::this_thread::sleep_for(milliseconds(101));
  ASSERT_TRUE(l.try_acquire(Priority::kCritical));
  l.release(milliseconds(5000), true);
  EXPECT_EQ(l.limit(), 25);
  // Never below min.
  ConcurrencyLimiter floor(adaptive(10, 8, 100));
  std::this_thread::sleep_for(milliseconds(101));
  ASSERT_TRUE(floor.try_acquire(Priority::kCritical));
  floor.release(milliseconds(5000), true);
  EXPECT_EQ(floor.limit(), 8);
}

TEST(ConcurrencyLimiter, RequestsThatNeverReachedATargetAreNoSample) {
  ConcurrencyLimiter l(adaptive(100));
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
