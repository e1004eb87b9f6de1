// Hostile input against the degradation and migration paths: a gateway with every traffic
// feature on (several targets, one of them dead; cached, partial and fallback routes; a rollout
// with cohorts; a shadow; a priority header) takes thousands of random requests with malformed
// Cache-Control, Cookie, priority and client fields, and must answer each one sensibly and stay
// up.

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <random>

#include "gateway/gateway_process.h"
#include "gateway/http_test_client.h"
#include "gateway/test_backend_process.h"

namespace tandem::testing {
namespace {

std::string pick(std::mt19937& rng, const std::vector<std::string>& from) {
  return from[rng() % from.size()];
}

std::string junk(std::mt19937& rng, size_t max) {
  static const std::string chars = "abcdefghijklmnopqrstuvwxyz0123456789=;,\"' -_/.%*!~()[]{}\t";
  std::string s;
  size_t n = rng() % (max + 1);
  for (size_t i = 0; i < n; ++i) s += chars[rng() % chars.size()];
  return s;
}

TEST(GatewayTrafficHostile, RandomRequestsAgainstEveryFeatureNeverBreakIt) {
  TestBackend a({"--name", "a"});
  TestBackend v2({"--name", "v2", "--plant", "notes=\"x\""});
  std::string cfg = fmt::format(R"(state: "{{state}}"
access_log: off
upstream:
  targets: [ "{}", "http://127.0.0.1:1" ]
  timeout: 1s
  connect_timeout: 200ms
  breaker: {{ failures: 2, open: 200ms }}
  retry: {{ attempts: 1, min_per_second: 1000 }}
  concurrency: {{ limit: adaptive, min: 4, max: 64, probe_requests: 5 }}
upstreams:
  v2: {{ url: "{}" }}
versions:
  list: [ {{ name: "2026-01-01" }} ]
priority:
  header: X-Priority
routes:
  - match: "GET /orders"
    cache: {{ ttl: 100ms, stale_if_error: 1m, stale_while_revalidate: 1s }}
    partial: {{ drop: [ "data[].items" ], when: [ overload, switch ], switch: s }}
  - match: "/orders/{{id}}"
    fallback: {{ status: 200, body: {{ degraded: true }} }}
    cache: true
rollouts:
  - name: r
    routes: [ "/orders/{{id}}" ]
    canary: v2
    steps: [ 30, 60 ]
    bake: 1s
    analysis: {{ interval: 1s, min_requests: 5 }}
    cohorts:
      - {{ header: "X-Tester: yes" }}
      - {{ cookie: "beta=1" }}
      - {{ clients: [ vip ], to: baseline }}
shadows:
  - {{ name: d, upstream: v2, percent: 50, ignore: [ "data[].notes", "notes" ] }}
)",
                                a.url(), v2.url());
  GatewayProcess g(cfg, a.url());
  std::mt19937 rng(20261130);
  std::vector<std::string> methods = {"GET", "GET",    "GET",     "HEAD", "POST",
                                      "PUT", "DELETE", "OPTIONS", "PATCH"};
  std::vector<std::string> paths = {"/orders",       "/orders/1",   "/orders/2",      "/orders/999",
                                    "/orders/1?x=1", "/echo",       "/status/503",    "/status/500",
                                    "/work",         "/orders/%00", "/orders/1/../2", "/"};
  std::vector<std::string> cache_controls = {"no-cache",
                                             "no-store",
                                             "max-age=0",
                                             "max-age=-1",
                                             "max-age=99999999999999999999999",
                                             "max-age=\"5\"",
                                             "max-age",
                                             "s-maxage=1, no-cache",
                                             ",,,,",
                                             "max-age=1,max-age=2",
                                             "stale-if-error=abc",
                                             "private, public"};
  int answered = 0;
  for (int i = 0; i < 3000; ++i) {
    HeaderList h;
    if (rng() % 2)
      h.push_back({"Cache-Control", rng() % 4 ? pick(rng, cache_controls) : junk(rng, 40)});
    if (rng() % 3 == 0) h.push_back({"Cookie", rng() % 2 ? "beta=1; a=b" : junk(rng, 60)});
    if (rng() % 3 == 0) {
      h.push_back({"X-Priority",
                   rng() % 2 ? pick(rng, {"critical", "default", "sheddable"}) : junk(rng, 20)});
    }
    if (rng() % 2) h.push_back({"X-Client-Id", fmt::format("c{}", rng() % 50)});
    if (rng() % 10 == 0) h.push_back({"X-Tester", "yes"});
    if (rng() % 10 == 0) h.push_back({"Authorization", "Bearer x"});
    if (rng() % 10 == 0) h.push_back({"Pragma", "no-cache"});
    if (rng() % 20 == 0) h.push_back({"Vary", "*"});
    std::string method = pick(rng, methods);
    std::string body = method == "POST" || method == "PUT" || method == "PATCH"
                           ? (rng() % 2 ? "{\"notes\":\"n\"}" : junk(rng, 30))
                           : "";
    if (!body.empty()) h.push_back({"Content-Type", "application/json"});
    HttpResponse r = request(g.port(), method, pick(rng, paths), h, body, 5000);
    ASSERT_TRUE(r.ok()) << "request " << i << ": " << r.error << "\n" << g.log();
    ASSERT_GE(r.status, 200);
    ASSERT_LT(r.status, 600);
    ++answered;
    if (i == 1000) {
      // A switch flipped mid-run, and a target that flaps.
      run_tandem({"api", "degrade", "s", "on", "--config", g.config_path()});
      request(a.port(), "POST", "/_fault", {{"Content-Type", "application/json"}},
              R"({"mode":"error"})");
    }
    if (i == 1500) {
      request(a.port(), "POST", "/_fault", {{"Content-Type", "application/json"}},
              R"({"mode":"ok"})");
    }
  }
  EXPECT_EQ(answered, 3000);
  EXPECT_EQ(request(g.admin_port(), "GET", "/healthz").status, 200);
  HttpResponse m = request(g.admin_port(), "GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("tandem_gateway_shadow_requests_total"), std::string::npos);
  EXPECT_NE(m.body.find("tandem_gateway_cache_total"), std::string::npos);
  CmdResult status =
      run_tandem({"api", "rollout", "status", "--json", "--config", g.config_path()});
  EXPECT_EQ(status.code, 0) << status.err;
  EXPECT_TRUE(nlohmann::json::accept(status.out)) << status.out;
  EXPECT_EQ(g.stop(), 0) << g.log();
}

}  // namespace
}  // namespace tandem::testing
