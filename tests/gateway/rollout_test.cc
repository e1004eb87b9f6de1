// Client migration (src/gateway/rollout.h): the sticky bucket, which side a request goes to
// (cohorts, share, abort, routes), the measures per side, and the canary analysis.

#include "gateway/rollout.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "gateway/route_pattern.h"

namespace tandem::gateway {
namespace {

namespace bhttp = http::bhttp;

RoutePattern pattern(const std::string& text) {
  auto p = parse_route_pattern(text);
  EXPECT_TRUE(p.ok()) << text;
  return p.ok() ? *p : RoutePattern{};
}

// Upstreams default (0), v2 (1), v3 (2); one rollout `orders` from default to v2.
Config config_with(std::vector<Rollout> rollouts) {
  Config c;
  for (const char* name : {"default", "v2", "v3"}) {
    Upstream u;
    u.name = name;
    c.upstreams.push_back(u);
  }
  c.rollouts = std::move(rollouts);
  return c;
}

Rollout rollout(const std::string& name, std::vector<double> steps = {0.05, 0.25, 1.0}) {
  Rollout r;
  r.name = name;
  r.baseline = 0;
  r.canary = 1;
  r.steps = std::move(steps);
  return r;
}

RolloutState state(const std::string& name, double share, const std::string& status = "running") {
  RolloutState s;
  s.name = name;
  s.share = share;
  s.status = status;
  return s;
}

http::Request get(const std::string& target = "/orders") {
  return http::Request{bhttp::verb::get, target, 11};
}

std::string client(int i) { return "client-" + std::to_string(i); }

TEST(RolloutBucket, DeterministicAndInRange) {
  EXPECT_EQ(sticky_bucket("orders", "acme"), sticky_bucket("orders", "acme"));
  int differ = 0;
  for (int i = 0; i < 1000; ++i) {
    int b = sticky_bucket("orders", client(i));
    ASSERT_GE(b, 0);
    ASSERT_LT(b, 10000);
    // Each rollout hashes its own name: a client is not on every rollout's canary at once.
    differ += b != sticky_bucket("users", client(i)) ? 1 : 0;
  }
  EXPECT_GT(differ, 990);
  // The name and the id are kept apart: ("ab", "c") is not ("a", "bc").
  EXPECT_NE(sticky_bucket("ab", "c"), sticky_bucket("a", "bc"));
}

TEST(RolloutBucket, UniformOverDeciles) {
  std::array<int, 10> deciles{};
  for (int i = 0; i < 10000; ++i) ++deciles[sticky_bucket("orders-v2", client(i)) / 1000];
  for (int d = 0; d < 10; ++d) {
    // 10 % of the ids each, within ±2 % of all ids.
    EXPECT_GE(deciles[d], 800) << "decile " << d;
    EXPECT_LE(deciles[d], 1200) << "decile " << d;
  }
}

class RolloutAssign : public ::testing::Test {
 protected:
  // How many of `n` client ids go to the canary of rollout 0 at `share`.
  static int canaries(const RolloutBook& book, int n) {
    int count = 0;
    for (int i = 0; i < n; ++i) {
      auto a = book.assign("GET", "/orders", get(), client(i), "10.0.0.1:5000");
      count += a.canary ? 1 : 0;
    }
    return count;
  }
};

TEST_F(RolloutAssign, TheShareOfClientsGoesToTheCanary) {
  Config c = config_with({rollout("orders")});
  RolloutBook book(c);
  // Before any state is published: the first step.
  EXPECT_NEAR(canaries(book, 20000), 1000, 200);
  book.publish({state("orders", 0.05)});
  int at5 = canaries(book, 20000);
  EXPECT_NEAR(at5, 1000, 200);  // 5 % of 20,000, within ±1 %
  book.publish({state("orders", 0.25)});
  EXPECT_NEAR(canaries(book, 20000), 5000, 200);
  book.publish({state("orders", 0)});
  EXPECT_EQ(canaries(book, 20000), 0);
  book.publish({state("orders", 1.0)});
  EXPECT_EQ(canaries(book, 20000), 20000);
  book.publish({state("orders", 1.0, "complete")});
  EXPECT_EQ(canaries(book, 2000), 2000);
}

TEST_F(RolloutAssign, ACanaryClientStaysOnTheCanaryAsTheShareGrows) {
  Config c = config_with({rollout("orders")});
  RolloutBook book(c);
  std::vector<bool> before;
  for (double share : {0.01, 0.05, 0.25, 0.5, 0.99}) {
    book.publish({state("orders", share)});
    std::vector<bool> now;
    for (int i = 0; i < 5000; ++i) {
      auto a = book.assign("GET", "/orders", get(), client(i), "");
      ASSERT_EQ(a.rollout, 0);
      EXPECT_EQ(a.upstream, a.canary ? 1 : 0);
      // The same answer every time.
      ASSERT_EQ(book.assign("GET", "/orders", get(), client(i), "").canary, a.canary);
      if (!before.empty() && before[i]) {
        EXPECT_TRUE(a.canary) << client(i) << " left the canary at " << share;
      }
      // And it is the bucket that decides.
      EXPECT_EQ(a.canary, sticky_bucket("orders", client(i)) < std::lround(share * 10000))
          << client(i);
      now.push_back(a.canary);
    }
    before = std::move(now);
  }
}

TEST_F(RolloutAssign, AbortedAndPausedRollouts) {
  Config c = config_with({rollout("orders")});
  RolloutBook book(c);
  // Aborted: every client back on the baseline, whatever share is left in the state.
  book.publish({state("orders", 0.5, "aborted")});
  EXPECT_EQ(canaries(book, 5000), 0);
  auto a = book.assign("GET", "/orders", get(), "x", "");
  EXPECT_EQ(a.rollout, 0);
  EXPECT_EQ(a.upstream, 0);
  // Paused: the share is held.
  book.publish({state("orders", 0.5, "paused")});
  EXPECT_NEAR(canaries(book, 5000), 2500, 200);
}

// publish() takes one state per rollout; missing ones count as the first step, running.
TEST_F(RolloutAssign, MissingStatesCountAsTheFirstStep) {
  Config c = config_with({rollout("orders"), rollout("users", {0.5, 1.0})});
  RolloutBook book(c);
  book.publish({});
  EXPECT_NEAR(canaries(book, 20000), 1000, 200);
  book.publish({state("orders", 1.0)});
  EXPECT_EQ(canaries(book, 2000), 2000);
  int users = 0;
  for (int i = 0; i < 2000; ++i) {
    auto a = book.assign("GET", "/users", get("/users"), client(i), "");
    // `orders` has no routes: it takes every request first.
    EXPECT_EQ(a.rollout, 0);
    users += a.canary ? 1 : 0;
  }
  EXPECT_EQ(users, 2000);
  Config only_users = config_with({rollout("users", {0.5, 1.0})});
  RolloutBook book2(only_users);
  book2.publish({});
  int canary = 0;
  for (int i = 0; i < 2000; ++i) {
    canary += book2.assign("GET", "/users", get("/users"), client(i), "").canary ? 1 : 0;
  }
  EXPECT_NEAR(canary, 1000, 150);
}

TEST_F(RolloutAssign, Cohorts) {
  Rollout r = rollout("orders");
  Cohort tester;  // X-Tester: yes
  tester.header = "X-Tester";
  tester.header_value = "yes";
  Cohort beta;  // X-Beta, any value
  beta.header = "X-Beta";
  Cohort cookie;  // beta=on
  cookie.cookie = "beta";
  cookie.cookie_value = "on";
  Cohort any_cookie;  // canary-me, any value
  any_cookie.cookie = "canary-me";
  Cohort clients;
  clients.clients = {"acme", "globex"};
  Cohort stay;  // these stay on the baseline
  stay.clients = {"bank"};
  stay.canary = false;
  Cohort stay_header;
  stay_header.header = "X-Stable";
  stay_header.canary = false;
  r.cohorts = {tester, beta, cookie, any_cookie, clients, stay, stay_header};
  Config c = config_with({r});
  RolloutBook book(c);

  auto side = [&](double share, const std::string& id,
                  std::vector<std::pair<bhttp::field, std::string>> fields,
                  std::vector<std::pair<std::string, std::string>> named = {}) {
    book.publish({state("orders", share)});
    http::Request req = get();
    for (auto& [f, v] : fields) req.insert(f, v);
    for (auto& [n, v] : named) req.insert(n, v);
    auto a = book.assign("GET", "/orders", req, id, "10.1.1.1:4000");
    EXPECT_EQ(a.rollout, 0);
    EXPECT_EQ(a.upstream, a.canary ? 1 : 0);
    return a.canary;
  };
  // At 0 % only cohorts reach the canary.
  EXPECT_FALSE(side(0, "someone", {}));
  EXPECT_TRUE(side(0, "someone", {}, {{"X-Tester", "yes"}}));
  EXPECT_TRUE(side(0, "someone", {}, {{"x-tester", "yes"}}));  // header names ignore case
  EXPECT_FALSE(side(0, "someone", {}, {{"X-Tester", "no"}}));
  EXPECT_FALSE(side(0, "someone", {}, {{"X-Tester", "yes please"}}));
  EXPECT_TRUE(side(0, "someone", {}, {{"X-Beta", ""}}));
  EXPECT_TRUE(side(0, "someone", {}, {{"X-Beta", "anything"}}));
  EXPECT_TRUE(side(0, "someone", {{bhttp::field::cookie, "a=1; beta=on; z=2"}}));
  EXPECT_TRUE(side(0, "someone", {{bhttp::field::cookie, "beta=on"}}));
  EXPECT_FALSE(side(0, "someone", {{bhttp::field::cookie, "beta=off"}}));
  EXPECT_FALSE(side(0, "someone", {{bhttp::field::cookie, "xbeta=on"}}));
  EXPECT_FALSE(side(0, "someone", {{bhttp::field::cookie, "beta"}}));
  EXPECT_TRUE(
      side(0, "someone", {{bhttp::field::cookie, "x=1"}, {bhttp::field::cookie, "beta=on"}}));
  EXPECT_TRUE(side(0, "someone", {{bhttp::field::cookie, "canary-me=whatever"}}));
  EXPECT_TRUE(side(0, "acme", {}));
  EXPECT_TRUE(side(0, "globex", {}));
  EXPECT_FALSE(side(0, "acme-2", {}));
  EXPECT_FALSE(side(0, "", {}));  // an anonymous caller is in no client list
  // At 100 % the baseline cohorts stay.
  EXPECT_TRUE(side(1.0, "someone", {}));
  EXPECT_FALSE(side(1.0, "bank", {}));
  EXPECT_FALSE(side(1.0, "someone", {}, {{"X-Stable", "1"}}));
  // The first matching cohort decides: a tester of the baseline client goes to the canary.
  EXPECT_TRUE(side(1.0, "bank", {}, {{"X-Tester", "yes"}}));
}

// An abort sends every client back to the baseline (tandem/gateway.h, rollout_action): cohort
// members too, since the canary was found failing.
TEST_F(RolloutAssign, AbortOverridesCanaryCohorts) {
  Rollout r = rollout("orders");
  Cohort tester;
  tester.header = "X-Tester";
  r.cohorts = {tester};
  Config c = config_with({r});
  RolloutBook book(c);
  book.publish({state("orders", 0.5, "aborted")});
  http::Request req = get();
  req.set("X-Tester", "1");
  auto a = book.assign("GET", "/orders", req, "someone", "");
  EXPECT_EQ(a.rollout, 0);
  EXPECT_FALSE(a.canary);
  EXPECT_EQ(a.upstream, 0);
}

TEST_F(RolloutAssign, RoutesFilter) {
  Rollout orders = rollout("orders");
  orders.routes = {pattern("GET /orders"), pattern("/orders/{id}")};
  Rollout users = rollout("users");
  users.canary = 2;
  users.routes = {pattern("GET /users")};
  Config c = config_with({orders, users});
  RolloutBook book(c);
  book.publish({state("orders", 1.0), state("users", 1.0)});
  auto at = [&](const char* method, const char* path) {
    return book.assign(method, path, get(path), "someone", "");
  };
  auto a = at("GET", "/orders");
  EXPECT_EQ(a.rollout, 0);
  EXPECT_TRUE(a.canary);
  EXPECT_EQ(a.upstream, 1);
  EXPECT_EQ(at("DELETE", "/orders/42").rollout, 0);
  auto u = at("GET", "/users");
  EXPECT_EQ(u.rollout, 1);
  EXPECT_EQ(u.upstream, 2);
  for (auto [m, p] : {std::pair{"POST", "/orders"}, std::pair{"GET", "/orders/42/items"},
                      std::pair{"POST", "/users"}, std::pair{"GET", "/"}}) {
    auto none = at(m, p);
    EXPECT_EQ(none.rollout, -1) << m << " " << p;
    EXPECT_FALSE(none.canary);
    EXPECT_EQ(none.upstream, -1);
  }
  // A rollout of every route takes what the others leave.
  Rollout all = rollout("all");
  all.canary = 2;
  Config c2 = config_with({orders, all});
  RolloutBook book2(c2);
  book2.publish({state("orders", 1.0), state("all", 1.0)});
  EXPECT_EQ(book2.assign("GET", "/orders", get(), "someone", "").rollout, 0);
  EXPECT_EQ(book2.assign("POST", "/anything", get(), "someone", "").rollout, 1);
}

TEST_F(RolloutAssign, AnonymousCallersAreKeptApartByPeer) {
  Config c = config_with({rollout("orders")});
  RolloutBook book(c);
  book.publish({state("orders", 0.5)});
  int canary = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string peer = "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    auto a = book.assign("GET", "/orders", get(), "", peer);
    EXPECT_EQ(a.canary, sticky_bucket("orders", peer) < 5000) << peer;
    EXPECT_EQ(book.assign("GET", "/orders", get(), "", peer).canary, a.canary);
    canary += a.canary ? 1 : 0;
  }
  EXPECT_NEAR(canary, 1000, 150);
  // With an id, the peer does not matter.
  bool first = book.assign("GET", "/orders", get(), "acme", "10.0.0.1").canary;
  for (int i = 0; i < 50; ++i) {
    std::string peer = "192.168.0." + std::to_string(i);
    EXPECT_EQ(book.assign("GET", "/orders", get(), "acme", peer).canary, first);
  }
}

// ---- measures ----

TEST(RolloutBook, RecordTakeAndGiveBack) {
  Config c = config_with({rollout("orders"), rollout("users")});
  RolloutBook book(c);
  book.record(0, false, false, 0.003);  // the 5 ms bucket
  book.record(0, false, true, 0.003);
  book.record(0, true, false, 0.02);  // the 25 ms bucket
  book.record(1, true, true, 100);    // beyond the last bound
  auto taken = book.take();
  ASSERT_EQ(taken.size(), 2u);
  const ArmSample& base = taken[0][0];
  EXPECT_EQ(base.requests, 2);
  EXPECT_EQ(base.errors, 1);
  EXPECT_EQ(base.buckets[5], 2);
  const ArmSample& can = taken[0][1];
  EXPECT_EQ(can.requests, 1);
  EXPECT_EQ(can.errors, 0);
  EXPECT_EQ(can.buckets[7], 1);
  EXPECT_EQ(taken[1][1].buckets.back(), 1);
  EXPECT_EQ(taken[1][0].requests, 0);
  // Taken once: the next take starts from nothing.
  auto again = book.take();
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0][0].requests, 0);
  EXPECT_EQ(again[0][1].requests, 0);
  // A failed flush gives them back; they add to what came in meanwhile.
  book.record(0, false, false, 0.003);
  book.give_back(taken);
  auto back = book.take();
  EXPECT_EQ(back[0][0].requests, 3);
  EXPECT_EQ(back[0][0].errors, 1);
  EXPECT_EQ(back[0][0].buckets[5], 3);
  EXPECT_EQ(back[0][1].requests, 1);
  EXPECT_EQ(back[1][1].requests, 1);
  // A bucket boundary belongs to the bucket it bounds.
  book.record(0, false, false, 0.005);
  EXPECT_EQ(book.take()[0][0].buckets[5], 1);
}

TEST(RolloutBook, RenderKeepsTotalsAcrossTakes) {
  Config c = config_with({rollout("orders")});
  RolloutBook book(c);
  book.publish({state("orders", 0.25)});
  for (int i = 0; i < 3; ++i) book.record(0, true, i == 0, 0.01);
  book.record(0, false, false, 0.01);
  book.take();
  std::vector<prometheus::MetricFamily> out;
  book.render(out);
  std::map<std::string, const prometheus::MetricFamily*> by_name;
  for (const auto& f : out) by_name[f.name] = &f;
  ASSERT_TRUE(by_name.count("tandem_gateway_rollout_share"));
  EXPECT_DOUBLE_EQ(by_name["tandem_gateway_rollout_share"]->metric.at(0).gauge.value, 0.25);
  ASSERT_TRUE(by_name.count("tandem_gateway_rollout_requests_total"));
  double canary_requests = -1, canary_errors = -1;
  for (const auto& m : by_name["tandem_gateway_rollout_requests_total"]->metric) {
    for (const auto& l : m.label) {
      if (l.name == "side" && l.value == "canary") canary_requests = m.counter.value;
    }
  }
  for (const auto& m : by_name["tandem_gateway_rollout_errors_total"]->metric) {
    for (const auto& l : m.label) {
      if (l.name == "side" && l.value == "canary") canary_errors = m.counter.value;
    }
  }
  EXPECT_EQ(canary_requests, 3);
  EXPECT_EQ(canary_errors, 1);
  // An aborted rollout shows a share of 0.
  book.publish({state("orders", 0.25, "aborted")});
  out.clear();
  book.render(out);
  for (const auto& f : out) {
    if (f.name == "tandem_gateway_rollout_share") {
      EXPECT_EQ(f.metric.at(0).gauge.value, 0);
    }
  }
}

// ---- analysis ----

// A sample of `requests` answers, `errors` of them failed, all in latency bucket `bucket`.
ArmSample sample(long long requests, long long errors, size_t bucket) {
  ArmSample s;
  s.requests = requests;
  s.errors = errors;
  s.buckets[bucket] = requests;
  return s;
}

constexpr size_t k10ms = 6, k25ms = 7, k100ms = 9;

TEST(RolloutJudge, P99Interpolates) {
  ArmSample empty;
  EXPECT_EQ(p99(empty), 0);
  // 98 answers within 10 ms, 2 within 25 ms: the 99th of 100 is halfway into (10, 25] ms.
  ArmSample s;
  s.buckets[k10ms] = 98;
  s.buckets[k25ms] = 2;
  EXPECT_NEAR(p99(s), 0.0175, 1e-9);
  // All in the first bucket: 99 % of the way to 0.1 ms.
  ArmSample first;
  first.buckets[0] = 100;
  EXPECT_NEAR(p99(first), 0.000099, 1e-12);
  // All beyond the last bound (5 s): between 5 s and twice it.
  ArmSample slow;
  slow.buckets.back() = 100;
  EXPECT_NEAR(p99(slow), 9.95, 1e-9);
  // One answer: the 99th percentile is within its bucket, not beyond it.
  ArmSample one;
  one.buckets[k100ms] = 1;
  EXPECT_GT(p99(one), 0.05);
  EXPECT_LE(p99(one), 0.1);
}

TEST(RolloutJudge, NotEnoughRequests) {
  Analysis a;
  a.min_requests = 20;
  Verdict v = judge(a, sample(1000, 0, k10ms), sample(19, 19, k100ms));
  EXPECT_FALSE(v.enough);
  EXPECT_FALSE(v.breach);
  EXPECT_DOUBLE_EQ(v.canary_error_rate, 1.0);
  v = judge(a, sample(1000, 0, k10ms), sample(20, 19, k10ms));
  EXPECT_TRUE(v.enough);
  EXPECT_TRUE(v.breach);
}

TEST(RolloutJudge, ErrorRateBreach) {
  Analysis a;
  a.max_error_increase = 0.01;
  // Baseline 1 %, canary 5 %: more than 1 % above.
  Verdict v = judge(a, sample(1000, 10, k10ms), sample(100, 5, k10ms));
  EXPECT_TRUE(v.enough);
  EXPECT_TRUE(v.breach);
  EXPECT_DOUBLE_EQ(v.baseline_error_rate, 0.01);
  EXPECT_DOUBLE_EQ(v.canary_error_rate, 0.05);
  EXPECT_NE(v.reason.find("error rate"), std::string::npos) << v.reason;
  EXPECT_NE(v.reason.find("5 of 100"), std::string::npos) << v.reason;
  // Canary 2 %: exactly the allowed increase, not a breach.
  v = judge(a, sample(1000, 10, k10ms), sample(100, 2, k10ms));
  EXPECT_FALSE(v.breach) << v.reason;
  EXPECT_TRUE(v.reason.empty());
  // A canary better than the baseline is fine.
  EXPECT_FALSE(judge(a, sample(100, 50, k10ms), sample(100, 10, k10ms)).breach);
  // Without baseline traffic, the canary is held to the allowed increase alone.
  EXPECT_TRUE(judge(a, ArmSample{}, sample(100, 5, k10ms)).breach);
}

TEST(RolloutJudge, P99Breach) {
  Analysis a;
  a.max_p99_ratio = 1.5;
  a.p99_floor = std::chrono::milliseconds(10);
  // Baseline within 10 ms, canary within 100 ms: far above 1.5 ×.
  Verdict v = judge(a, sample(1000, 0, k10ms), sample(100, 0, k100ms));
  EXPECT_TRUE(v.breach);
  EXPECT_NE(v.reason.find("p99"), std::string::npos) << v.reason;
  EXPECT_GT(v.canary_p99, v.baseline_p99 * 1.5);
  // The same latencies on both sides are fine.
  EXPECT_FALSE(judge(a, sample(1000, 0, k100ms), sample(100, 0, k100ms)).breach);
  // A canary p99 below the floor is never a breach, however it compares.
  a.p99_floor = std::chrono::milliseconds(200);
  v = judge(a, sample(1000, 0, 0), sample(100, 0, k100ms));
  EXPECT_FALSE(v.breach) << v.reason;
  // Without baseline answers there is nothing to compare with.
  a.p99_floor = std::chrono::milliseconds(10);
  EXPECT_FALSE(judge(a, ArmSample{}, sample(100, 0, k100ms)).breach);
  // The error rate is judged first.
  v = judge(a, sample(1000, 0, k10ms), sample(100, 50, k100ms));
  EXPECT_TRUE(v.breach);
  EXPECT_NE(v.reason.find("error rate"), std::string::npos) << v.reason;
}

}  // namespace
}  // namespace tandem::gateway
