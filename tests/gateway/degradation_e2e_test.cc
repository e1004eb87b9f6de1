// Graceful degradation end to end, with real gateway and backend processes on loopback: a
// backend killed under load (stale answers for cached GETs, fast failures for the rest, then
// recovery), breakers and retries across targets, overload shedding by priority, fallbacks and
// partial responses.

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <algorithm>
#include <atomic>
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

// Switches the test backend's fault mode (tests/gateway/backend/test_backend.cc).
void fault(const TestBackend& b, const std::string& mode) {
  HttpResponse r = request(b.port(), "POST", "/_fault", {{"Content-Type", "application/json"}},
                           fmt::format("{{\"mode\":\"{}\"}}", mode));
  ASSERT_EQ(r.status, 200) << r.body;
}

// Polls `check` every 50 ms until it is true or `ms` passed.
template <typename F>
bool eventually(int ms, F check) {
  auto deadline = Clock::now() + std::chrono::milliseconds(ms);
  while (Clock::now() < deadline) {
    if (check()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return check();
}

const char* kVersions = R"(versions:
  list: [ { name: "2026-01-01" } ]
)";

TEST(GatewayDegradation, KilledBackendUnderLoadServesStaleThenRecovers) {
  auto a = std::make_unique<TestBackend>(std::vector<std::string>{"--name", "a"});
  auto b = std::make_unique<TestBackend>(std::vector<std::string>{"--name", "b"});
  int port_a = a->port(), port_b = b->port();
  std::string cfg = fmt::format(R"(upstream:
  targets: [ "{}", "{}" ]
  timeout: 2s
  connect_timeout: 500ms
  health_check: {{ path: /healthz, interval: 200ms, timeout: 200ms, unhealthy: 2, healthy: 1 }}
  breaker: {{ failures: 3, open: 500ms, max_open: 2s }}
{}routes:
  - match: "GET /orders"
    cache: {{ ttl: 200ms, stale_if_error: 10m }}
)",
                                a->url(), b->url(), kVersions);
  GatewayProcess g(cfg, a->url());
  HttpResponse warm = request(g.port(), "GET", "/orders");
  ASSERT_EQ(warm.status, 200) << warm.body;
  ASSERT_NE(warm.body.find("\"data\""), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the entry goes stale

  // Both backends die. Four clients keep calling, cached and uncached routes alike.
  a.reset();
  b.reset();
  std::atomic<bool> stop{false};
  std::atomic<int> cached_ok{0}, cached_bad{0}, uncached_fail{0}, uncached_ok{0};
  std::atomic<long long> slowest_uncached_us{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, t] {
      auto c = std::make_unique<Connection>(g.port());
      int i = 0;
      while (!stop) {
        bool cached = (i++ + t) % 2 == 0;
        auto t0 = Clock::now();
        HttpResponse r = cached ? c->request("GET", "/orders") : c->request("GET", "/orders/1");
        if (!r.ok()) {
          c = std::make_unique<Connection>(g.port());
          continue;
        }
        long long us =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
        if (cached) {
          bool stale = r.status == 200 && r.header("X-Tandem-Degraded") == "stale" &&
                       r.header("Warning").find("111") == 0 && !r.header("Age").empty() &&
                       r.body == warm.body;
          (stale ? cached_ok : cached_bad)++;
        } else if (r.status == 200) {
          uncached_ok++;
        } else {
          EXPECT_TRUE(r.status == 503 || r.status == 502) << r.status << r.body;
          EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
          uncached_fail++;
          // After the first failures opened the breakers, failures are immediate.
          if (uncached_fail > 20) {
            long long prev = slowest_uncached_us.load();
            while (us > prev && !slowest_uncached_us.compare_exchange_weak(prev, us)) {
            }
          }
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  stop = true;
  for (auto& t : load) t.join();
  EXPECT_EQ(cached_bad.load(), 0);
  EXPECT_GT(cached_ok.load(), 50);
  EXPECT_EQ(uncached_ok.load(), 0);
  EXPECT_GT(uncached_fail.load(), 50);
  // Fail fast: no uncached failure waited anywhere near the 500 ms connect timeout.
  EXPECT_LT(slowest_uncached_us.load(), 250000) << "an uncached request waited for a dead target";
  EXPECT_GE(metric(g, "tandem_gateway_cache_total{result=\"stale_if_error\"}"), cached_ok.load());
  EXPECT_GE(metric(g, "tandem_gateway_target_ejections_total{upstream=\"default\",target=\"" +
                          fmt::format("127.0.0.1:{}", port_a) + "\"}"),
            1);

  // They come back on the same ports: the probes and the half-open breakers let traffic in.
  TestBackend a2({"--name", "a", "--port", std::to_string(port_a)});
  TestBackend b2({"--name", "b", "--port", std::to_string(port_b)});
  EXPECT_TRUE(
      eventually(5000, [&] { return request(g.port(), "GET", "/orders/1").status == 200; }));
  EXPECT_TRUE(eventually(3000, [&] {
    HttpResponse r = request(g.port(), "GET", "/orders", {{"Cache-Control", "no-cache"}});
    return r.status == 200 && !r.has_header("X-Tandem-Degraded");
  }));
  // A half-open breaker closes on the next request that reaches its target: traffic goes on.
  EXPECT_TRUE(eventually(5000, [&] {
    request(g.port(), "GET", "/orders/2");
    return metric(g, fmt::format("tandem_gateway_target_state{{upstream=\"default\",target="
                                 "\"127.0.0.1:{}\"}}",
                                 port_b)) == 0;
  }));
}

TEST(GatewayDegradation, BreakerEjectsAFailingTargetAndIdempotentRequestsRetryElsewhere) {
  TestBackend a({"--name", "a"});
  TestBackend b({"--name", "b"});
  std::string cfg = fmt::format(R"(upstream:
  targets: [ "{}", "{}" ]
  breaker: {{ failures: 3, open: 1s }}
  retry: {{ attempts: 1, budget: 50%, min_per_second: 100 }}
{})",
                                a.url(), b.url(), kVersions);
  GatewayProcess g(cfg, a.url());
  fault(a, "error");  // a answers 503 to everything
  // GETs never see a's 503: each is retried on b.
  for (int i = 0; i < 10; ++i) {
    HttpResponse r = request(g.port(), "GET", "/orders/1");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("X-Backend"), "b");
  }
  EXPECT_EQ(metric(g, fmt::format("tandem_gateway_target_state{{upstream=\"default\",target="
                                  "\"127.0.0.1:{}\"}}",
                                  a.port())),
            1);
  EXPECT_GE(metric(g, "tandem_gateway_retries_total{upstream=\"default\"}"), 1);
  // a is ejected: POSTs (never retried) all go to b now.
  for (int i = 0; i < 4; ++i) {
    HttpResponse r = request(g.port(), "POST", "/orders", {{"Content-Type", "application/json"}},
                             R"({"total_amount":100,"currency":"USD","status":"pending",)"
                             R"("notes":"","items":[]})");
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.header("X-Backend"), "b");
  }
  // a recovers: after the open time a probe request closes its breaker.
  fault(a, "ok");
  EXPECT_TRUE(eventually(4000, [&] {
    for (int i = 0; i < 4; ++i) {
      if (request(g.port(), "GET", "/orders/1").header("X-Backend") == "a") return true;
    }
    return false;
  }));
}

TEST(GatewayDegradation, APostIsNotRetriedAfterTheUpstreamMayHaveActed) {
  TestBackend a({"--name", "a"});
  TestBackend b({"--name", "b"});
  std::string cfg = fmt::format(R"(upstream:
  targets: [ "{}", "{}" ]
  breaker: {{ failures: 0 }}
  retry: {{ attempts: 1, min_per_second: 100 }}
{})",
                                a.url(), b.url(), kVersions);
  GatewayProcess g(cfg, a.url());
  fault(a, "error");
  fault(b, "error");
  HttpResponse r =
      request(g.port(), "POST", "/orders", {{"Content-Type", "application/json"}}, "{}");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(metric(g, "tandem_gateway_retries_total{upstream=\"default\"}"), 0);
  HttpResponse get = request(g.port(), "GET", "/orders");
  EXPECT_EQ(get.status, 503);
  EXPECT_EQ(metric(g, "tandem_gateway_retries_total{upstream=\"default\"}"), 1);
}

TEST(GatewayDegradation, ThreeTimesOverloadShedsSheddableAndKeepsCritical) {
  // Four slots of 20 ms: about 200 requests a second. Two critical clients and thirty
  // sheddable ones ask for far more.
  TestBackend backend({"--capacity", "4", "--work-ms", "20"});
  std::string cfg = fmt::format(R"(upstream:
  url: "{}"
  timeout: 5s
  concurrency: {{ limit: adaptive, initial: 32, min: 6, max: 64 }}
{}priority:
  default: sheddable
  clients: {{ checkout: critical }}
)",
                                backend.url(), kVersions);
  GatewayProcess g(cfg, backend.url());
  std::atomic<bool> stop{false};
  std::atomic<int> critical_ok{0}, critical_bad{0}, shed_503{0}, shed_ok{0}, shed_other{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 32; ++t) {
    bool critical = t < 2;
    load.emplace_back([&, critical, t] {
      auto c = std::make_unique<Connection>(g.port());
      std::string id = critical ? "checkout" : fmt::format("batch-{}", t);
      while (!stop) {
        HttpResponse r = c->request("GET", "/work", {{"X-Client-Id", id}});
        if (!r.ok()) {
          if (critical) critical_bad++;
          c = std::make_unique<Connection>(g.port());
          continue;
        }
        if (critical) {
          (r.status == 200 ? critical_ok : critical_bad)++;
        } else if (r.status == 503) {
          shed_503++;
          EXPECT_EQ(r.header("Retry-After"), "1");
          EXPECT_NE(r.body.find("/problems/overloaded\""), std::string::npos) << r.body;
          // A refused client backs off a little, as a client honouring Retry-After would not
          // have to: this keeps the test's own load from drowning the two cores.
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        } else if (r.status == 200) {
          shed_ok++;
        } else {
          shed_other++;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(4));
  stop = true;
  for (auto& t : load) t.join();
  int critical = critical_ok + critical_bad;
  ASSERT_GT(critical, 50);
  EXPECT_GE(critical_ok * 100, critical * 99)
      << critical_bad << " of " << critical << " critical requests failed";
  EXPECT_GT(shed_503.load(), 100);
  EXPECT_GT(shed_ok.load(), 0);  // shedding refuses the excess, not everything
  EXPECT_EQ(shed_other.load(), 0);
  EXPECT_GE(metric(g, "tandem_gateway_shed_total{upstream=\"default\",priority=\"sheddable\"}"),
            shed_503.load());
  EXPECT_EQ(metric(g, "tandem_gateway_shed_total{upstream=\"default\",priority=\"critical\"}"),
            critical_bad.load());
  double limit = metric(g, "tandem_gateway_concurrency_limit{upstream=\"default\"}");
  EXPECT_GE(limit, 6);
  EXPECT_LT(limit, 32)
      << "the adaptive limit did not shrink from its start under a queueing backend";
}

TEST(GatewayDegradation, FallbackBodyWhenTheUpstreamFailsAndNothingIsCached) {
  TestBackend backend;
  std::string cfg = fmt::format(R"(upstream: "{}"
{}routes:
  - match: "GET /orders/{{id}}"
    fallback: {{ status: 200, body: {{ id: null, degraded: true }} }}
)",
                                backend.url(), kVersions);
  GatewayProcess g(cfg, backend.url());
  fault(backend, "error");
  HttpResponse r = request(g.port(), "GET", "/orders/1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body), json::parse(R"({"id":null,"degraded":true})"));
  EXPECT_EQ(r.header("X-Tandem-Degraded"), "fallback");
  // Another route keeps the upstream's answer.
  EXPECT_EQ(request(g.port(), "GET", "/orders").status, 503);
  fault(backend, "ok");
  HttpResponse back = request(g.port(), "GET", "/orders/1");
  EXPECT_EQ(back.status, 200);
  EXPECT_FALSE(back.has_header("X-Tandem-Degraded"));
  EXPECT_EQ(
      metric(g, "tandem_gateway_degraded_total{kind=\"fallback\",route=\"GET /orders/{id}\"}"), 1);
}

TEST(GatewayDegradation, PartialResponsesDropFieldsWhileTheSwitchIsOn) {
  TestBackend backend;
  std::string cfg = fmt::format(R"(upstream: "{}"
{}routes:
  - match: "GET /orders"
    partial: {{ drop: [ "data[].items", "data[].notes" ], switch: order-extras }}
  - match: "GET /echo"
    partial: {{ drop: [ nothing_here ], when: always }}
)",
                                backend.url(), kVersions);
  GatewayProcess g(cfg, backend.url());
  auto full = json::parse(request(g.port(), "GET", "/orders").body);
  ASSERT_TRUE(full["data"][0].contains("items"));
  CmdResult on = run_tandem(
      {"api", "degrade", "order-extras", "on", "--reason", "test", "--config", g.config_path()});
  ASSERT_EQ(on.code, 0) << on.err;
  EXPECT_NE(on.out.find("switch order-extras is on (was off)"), std::string::npos) << on.out;
  EXPECT_TRUE(eventually(
      2000, [&] { return metric(g, "tandem_gateway_switch_on{switch=\"order-extras\"}") == 1; }));
  EXPECT_TRUE(eventually(2000, [&] {
    HttpResponse r = request(g.port(), "GET", "/orders", {{"X-Client-Id", "c"}});
    auto body = json::parse(r.body, nullptr, false);
    return r.header("X-Tandem-Degraded") == "partial" && !body["data"][0].contains("items") &&
           !body["data"][0].contains("notes") && body["data"][0]["total_amount"] == 1250;
  }));
  // The upstream is told what it may skip.
  HttpResponse echo = request(g.port(), "GET", "/echo");
  EXPECT_EQ(json::parse(echo.body)["headers"]["x-tandem-omit"], "nothing_here") << echo.body;
  EXPECT_EQ(echo.header("X-Tandem-Degraded"), "partial");
  CmdResult off =
      run_tandem({"api", "degrade", "order-extras", "off", "--config", g.config_path()});
  ASSERT_EQ(off.code, 0) << off.err;
  EXPECT_TRUE(eventually(2000, [&] {
    return json::parse(request(g.port(), "GET", "/orders").body)["data"][0].contains("items");
  }));
  // An unknown switch name is refused with the known ones.
  CmdResult bad = run_tandem({"api", "degrade", "order-extra", "on", "--config", g.config_path()});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("order-extras"), std::string::npos) << bad.err;
}

TEST(GatewayDegradation, CacheServesEveryVersionFromOneHeadAnswerAndNeverFromAHead) {
  TestBackend backend;
  // The orders config: three versions over one head-only backend, GET /orders cached.
  std::string cfg = orders_config() + R"(routes:
  - match: "GET /orders/{id}"
    cache: { ttl: 1m }
)";
  GatewayProcess g(cfg, backend.url());
  // A HEAD first: its bodiless answer must not answer the GET after it.
  HttpResponse head = request(g.port(), "HEAD", "/orders/1", {{"Api-Version", "2026-01-01"}});
  EXPECT_EQ(head.status, 200);
  HttpResponse fresh = request(g.port(), "GET", "/orders/1", {{"Api-Version", "2026-01-01"}});
  ASSERT_EQ(fresh.status, 200);
  EXPECT_FALSE(fresh.has_header("Age"));  // from the upstream
  EXPECT_EQ(json::parse(fresh.body)["total_amount"], 1250);
  HttpResponse cached = request(g.port(), "GET", "/orders/1", {{"Api-Version", "2026-01-01"}});
  EXPECT_EQ(cached.header("Age"), "0");
  EXPECT_EQ(cached.body, fresh.body);
  // The stored head answer is translated down for an old client.
  HttpResponse old = request(g.port(), "GET", "/orders/1", {{"Api-Version", "2024-01-01"}});
  ASSERT_EQ(old.status, 200);
  EXPECT_EQ(old.header("Age"), "0");
  EXPECT_EQ(json::parse(old.body)["total"], 12.5);
  HttpResponse stats = request(backend.port(), "GET", "/stats");
  EXPECT_EQ(json::parse(stats.body)["by_path"]["/orders/1"], 2) << stats.body;  // HEAD + GET
}

}  // namespace
}  // namespace tandem::testing
