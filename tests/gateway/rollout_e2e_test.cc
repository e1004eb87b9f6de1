// Client migration end to end, with real gateway and backend processes on loopback: sticky
// canary routing that two gateways agree on without talking, cohorts, automatic rollback of a
// failing canary within one analysis window, `tandem api rollout` steering every gateway, and
// shadow traffic that reports a planted difference by its path.

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "gateway/gateway_process.h"
#include "gateway/http_test_client.h"
#include "gateway/test_backend_process.h"

namespace tandem::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

CmdResult api(const GatewayProcess& g, std::vector<std::string> args) {
  args.insert(args.begin(), "api");
  args.push_back("--config");
  args.push_back(g.config_path());
  return run_tandem(args);
}

json rollout_json(const GatewayProcess& g, const std::string& name) {
  CmdResult r = api(g, {"rollout", "status", name, "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  json all = json::parse(r.out, nullptr, false);
  if (all.is_discarded() || all["rollouts"].empty()) return json::object();
  return all["rollouts"][0];
}

std::string rollout_config(const std::string& baseline, const std::string& canary,
                           const std::string& rollout) {
  return fmt::format(R"(state: "{{state}}"
access_log: off
upstream: "{}"
upstreams:
  v2: {{ url: "{}" }}
versions:
  list: [ {{ name: "2026-01-01" }} ]
rollouts:
{})",
                     baseline, canary, rollout);
}

TEST(GatewayRollout, StickyRoutingAgreesAcrossTwoGatewaysFor10000Clients) {
  TestBackend v1({"--name", "v1"});
  TestBackend v2({"--name", "v2"});
  // Two gateways, one state: a PostgreSQL database when the tests have one, else one SQLite file.
  std::unique_ptr<TestDb> db;
  std::string state;
  TempDir dir;
  if (std::getenv("TANDEM_TEST_PG_URL")) {
    db = std::make_unique<TestDb>(Kind::kPostgres);
    state = db->url();
  } else {
    state = "sqlite:" + dir.path() + "/shared.db";
  }
  std::string cfg = rollout_config(v1.url(), v2.url(), R"(  - name: orders-v2
    canary: v2
    steps: [ 30 ]
    automatic: false
    cohorts: [ { header: "X-Tester: yes", to: canary }, { clients: [ vip ], to: baseline } ]
)");
  GatewayProcess a(cfg, v1.url(), state);
  GatewayProcess b(cfg, v1.url(), state);
  Connection ca(a.port()), cb(b.port());
  int canary = 0, disagree = 0;
  for (int i = 0; i < 10000; ++i) {
    std::string id = fmt::format("client-{}", i);
    HttpResponse ra = ca.request("GET", "/orders/1", {{"X-Client-Id", id}});
    HttpResponse rb = cb.request("GET", "/orders/1", {{"X-Client-Id", id}});
    ASSERT_EQ(ra.status, 200) << ra.body;
    ASSERT_EQ(rb.status, 200) << rb.body;
    if (ra.header("X-Backend") != rb.header("X-Backend")) ++disagree;
    if (ra.header("X-Backend") == "v2") ++canary;
  }
  EXPECT_EQ(disagree, 0);
  EXPECT_NEAR(canary, 3000, 200);  // 30 % of the clients
  // Cohorts come first: a tester always reaches the canary, a listed client the baseline.
  for (int i = 0; i < 20; ++i) {
    std::string id = fmt::format("client-{}", i);
    EXPECT_EQ(ca.request("GET", "/orders/1", {{"X-Client-Id", id}, {"X-Tester", "yes"}})
                  .header("X-Backend"),
              "v2");
  }
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(cb.request("GET", "/orders/1", {{"X-Client-Id", "vip"}}).header("X-Backend"), "v1");
  }
}

TEST(GatewayRollout, AFailingCanaryIsRolledBackWithinOneAnalysisWindow) {
  TestBackend v1({"--name", "v1"});
  TestBackend v2({"--name", "v2", "--error-rate", "0.05"});
  std::string cfg = rollout_config(v1.url(), v2.url(), R"(  - name: orders-v2
    routes: [ "/orders/{id}" ]
    canary: v2
    steps: [ 50, 100 ]
    bake: 1m
    analysis: { interval: 2s, min_requests: 20, max_error_increase: 1% }
)");
  GatewayProcess g(cfg, v1.url());
  json before = rollout_json(g, "orders-v2");
  ASSERT_EQ(before["status"], "running") << before.dump();
  ASSERT_EQ(before["percent"], 50);
  auto start = Clock::now();
  Connection c(g.port());
  int i = 0;
  json state;
  while (Clock::now() - start < std::chrono::seconds(10)) {
    for (int k = 0; k < 50; ++k) {
      c.request("GET", "/orders/1", {{"X-Client-Id", fmt::format("c{}", i++ % 400)}});
    }
    state = rollout_json(g, "orders-v2");
    if (state["status"] == "aborted") break;
  }
  double took = std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_EQ(state["status"], "aborted") << state.dump(2);
  // One 2 s window, the 2 s the gateways' measures may take to arrive, and a sync.
  EXPECT_LT(took, 6.0) << state.dump(2);
  EXPECT_EQ(state["percent"], 0);
  EXPECT_NE(state["reason"].get<std::string>().find("canary error rate"), std::string::npos)
      << state.dump(2);
  EXPECT_EQ(state["history"][0]["actor"], "analysis");
  EXPECT_NE(g.log().find("tandem gateway: rollout orders-v2: aborted at 0% (was running at 50%)"),
            std::string::npos)
      << g.log();
  // Every client is back on the baseline, and the metrics say so.
  EXPECT_TRUE([&] {
    auto deadline = Clock::now() + std::chrono::seconds(2);
    while (Clock::now() < deadline) {
      bool all = true;
      for (int k = 0; k < 40 && all; ++k) {
        all = c.request("GET", "/orders/1", {{"X-Client-Id", fmt::format("c{}", k)}})
                  .header("X-Backend") == "v1";
      }
      if (all) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }());
  EXPECT_EQ(metric(g, "tandem_gateway_rollout_state{rollout=\"orders-v2\",state=\"aborted\"}"), 1);
  EXPECT_EQ(metric(g, "tandem_gateway_rollout_share{rollout=\"orders-v2\"}"), 0);
  // It stays aborted until someone resumes it.
  CmdResult promote = api(g, {"rollout", "promote", "orders-v2"});
  EXPECT_EQ(promote.code, 2);
  EXPECT_NE(promote.err.find("resume"), std::string::npos) << promote.err;
}

TEST(GatewayRollout, AHealthyCanaryStepsUpToComplete) {
  TestBackend v1({"--name", "v1"});
  TestBackend v2({"--name", "v2"});
  std::string cfg = rollout_config(v1.url(), v2.url(), R"(  - name: orders-v2
    canary: v2
    steps: [ 20, 100 ]
    bake: 1s
    analysis: { interval: 1s, min_requests: 10 }
)");
  GatewayProcess g(cfg, v1.url());
  Connection c(g.port());
  auto start = Clock::now();
  json state;
  int i = 0;
  while (Clock::now() - start < std::chrono::seconds(15)) {
    for (int k = 0; k < 40; ++k) {
      c.request("GET", "/orders", {{"X-Client-Id", fmt::format("c{}", i++ % 500)}});
    }
    state = rollout_json(g, "orders-v2");
    if (state["status"] == "complete") break;
  }
  ASSERT_EQ(state["status"], "complete") << state.dump(2);
  EXPECT_EQ(state["percent"], 100);
  // Newest first: complete, the step to 100 %, the start at 20 %.
  ASSERT_GE(state["history"].size(), 3u) << state.dump(2);
  EXPECT_EQ(state["history"][0]["status"], "complete");
  EXPECT_EQ(state["history"][1]["percent"], 100);
  for (int k = 0; k < 20; ++k) {
    EXPECT_EQ(
        c.request("GET", "/orders", {{"X-Client-Id", fmt::format("c{}", k)}}).header("X-Backend"),
        "v2");
  }
}

TEST(GatewayRollout, ApiRolloutSteersEveryGatewayOnTheState) {
  TestBackend v1({"--name", "v1"});
  TestBackend v2({"--name", "v2"});
  TempDir dir;
  std::string state = "sqlite:" + dir.path() + "/shared.db";
  std::string cfg = rollout_config(v1.url(), v2.url(), R"(  - name: orders-v2
    canary: v2
    steps: [ 1, 50, 100 ]
    automatic: false
)");
  GatewayProcess a(cfg, v1.url(), state);
  GatewayProcess b(cfg, v1.url(), state);
  auto share_on = [&](const GatewayProcess& g) {
    Connection c(g.port());
    int n = 0;
    for (int k = 0; k < 400; ++k) {
      n += c.request("GET", "/orders", {{"X-Client-Id", fmt::format("s{}", k)}})
               .header("X-Backend") == "v2";
    }
    return n / 4;  // percent
  };
  EXPECT_LE(share_on(a), 4);
  CmdResult promote = api(a, {"rollout", "promote", "orders-v2", "--reason", "looks fine"});
  ASSERT_EQ(promote.code, 0) << promote.err;
  EXPECT_NE(promote.out.find("running at 50%"), std::string::npos) << promote.out;
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_NEAR(share_on(a), 50, 10);
  EXPECT_NEAR(share_on(b), 50, 10);
  ASSERT_EQ(api(b, {"rollout", "pause", "orders-v2"}).code, 0);
  EXPECT_EQ(api(b, {"rollout", "pause", "orders-v2"}).code, 2);  // paused already
  ASSERT_EQ(api(b, {"rollout", "abort", "orders-v2", "--reason", "wrong totals"}).code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(share_on(a), 0);
  EXPECT_EQ(share_on(b), 0);
  json s = rollout_json(a, "orders-v2");
  EXPECT_EQ(s["status"], "aborted");
  EXPECT_EQ(s["reason"], "wrong totals");
  ASSERT_EQ(api(a, {"rollout", "resume", "orders-v2"}).code, 0);
  EXPECT_EQ(rollout_json(a, "orders-v2")["percent"], 1);  // from the first step again
  CmdResult unknown = api(a, {"rollout", "promote", "orders-v3"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("orders-v2"), std::string::npos) << unknown.err;
}

TEST(GatewayRollout, ARolloutAtZeroWaitsForPromoteAndOnlyTestersReachTheCanary) {
  TestBackend v1({"--name", "v1"});
  TestBackend v2({"--name", "v2"});
  std::string cfg = rollout_config(v1.url(), v2.url(), R"(  - name: orders-v2
    canary: v2
    steps: [ 0, 50 ]
    bake: 0s
    analysis: { interval: 1s, min_requests: 1 }
    cohorts: [ { header: "X-Tester: yes" } ]
)");
  GatewayProcess g(cfg, v1.url());
  Connection c(g.port());
  for (int i = 0; i < 300; ++i) {
    HttpResponse r = c.request("GET", "/orders", {{"X-Client-Id", fmt::format("z{}", i % 100)}});
    ASSERT_EQ(r.header("X-Backend"), "v1");
  }
  EXPECT_EQ(c.request("GET", "/orders", {{"X-Tester", "yes"}}).header("X-Backend"), "v2");
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));  // windows pass; nothing moves
  json s = rollout_json(g, "orders-v2");
  EXPECT_EQ(s["status"], "running");
  EXPECT_EQ(s["percent"], 0);
  ASSERT_EQ(api(g, {"rollout", "promote", "orders-v2"}).code, 0);
  EXPECT_EQ(rollout_json(g, "orders-v2")["percent"], 50);
  // History in order, also within one second: newest first.
  ASSERT_EQ(api(g, {"rollout", "pause", "orders-v2"}).code, 0);
  ASSERT_EQ(api(g, {"rollout", "abort", "orders-v2"}).code, 0);
  json h = rollout_json(g, "orders-v2")["history"];
  ASSERT_GE(h.size(), 4u) << h.dump(2);
  EXPECT_EQ(h[0]["status"], "aborted");
  EXPECT_EQ(h[1]["status"], "paused");
  EXPECT_EQ(h[2]["percent"], 50);
  EXPECT_EQ(h[3]["status"], "running");
}

TEST(GatewayShadow, ReportsThePlantedDifferenceWithItsPath) {
  TestBackend v1({"--name", "v1"});
  TestBackend v2({"--name", "v2", "--plant", "currency=\"GBP\""});
  std::string cfg = fmt::format(R"(upstream: "{}"
upstreams:
  v2: {{ url: "{}" }}
versions:
  list: [ {{ name: "2026-01-01" }} ]
shadows:
  - {{ name: orders-dark, routes: [ "GET /orders" ], upstream: v2, percent: 100 }}
  - {{ name: orders-dark-ignoring, routes: [ "GET /orders" ], upstream: v2, percent: 100,
      ignore: [ "data[].currency" ] }}
)",
                                v1.url(), v2.url());
  GatewayProcess g(cfg, v1.url());
  for (int i = 0; i < 20; ++i) {
    HttpResponse r = request(g.port(), "GET", "/orders");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("X-Backend"), "v1");  // the shadow's answer is never returned
    EXPECT_EQ(json::parse(r.body)["data"][0]["currency"], "USD");
  }
  // Writes are not shadowed unless asked for.
  request(g.port(), "POST", "/orders", {{"Content-Type", "application/json"}},
          R"({"total_amount":1,"currency":"USD","status":"pending","notes":"","items":[]})");
  auto deadline = Clock::now() + std::chrono::seconds(3);
  while (Clock::now() < deadline &&
         (metric(g,
                 "tandem_gateway_shadow_requests_total{shadow=\"orders-dark\",result="
                 "\"mismatch\"}") < 20 ||
          metric(g,
                 "tandem_gateway_shadow_requests_total{shadow=\"orders-dark-ignoring\","
                 "result=\"match\"}") < 20)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(metric(g,
                   "tandem_gateway_shadow_requests_total{shadow=\"orders-dark\",result="
                   "\"mismatch\"}"),
            20);
  EXPECT_EQ(metric(g,
                   "tandem_gateway_shadow_diff_paths_total{shadow=\"orders-dark\",path="
                   "\"data[].currency\"}"),
            20);
  EXPECT_EQ(metric(g, "tandem_gateway_shadow_mismatch_ratio{shadow=\"orders-dark\"}"), 1);
  EXPECT_EQ(metric(g,
                   "tandem_gateway_shadow_requests_total{shadow=\"orders-dark-ignoring\","
                   "result=\"match\"}"),
            20);
  HttpResponse stats = request(v2.port(), "GET", "/stats");
  EXPECT_EQ(json::parse(stats.body)["by_path"]["/orders"], 40) << stats.body;  // GETs only
}

}  // namespace
}  // namespace tandem::testing
