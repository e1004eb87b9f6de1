// The admin listener's JSON API end to end (src/gateway/admin_api.h), with real gateway and
// backend processes on loopback and a real state database: GET /api/status agrees with
// `tandem api usage` and `api rollout status`, the rollout actions need the admin token, and
// hostile requests never take the listener down.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fmt/format.h>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "gateway/gateway_process.h"
#include "gateway/http_test_client.h"
#include "gateway/test_backend_process.h"

namespace tandem::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

const std::string kToken = "test-admin-token-0123456789abcdef";

// Versions as examples/gateway/api.yaml has them (2024-01-01 deprecated), a manual rollout
// and a shadow; `extra` is added at the top (admin_token_file).
std::string admin_config(const std::string& canary_url, const std::string& extra = "") {
  return fmt::format(R"({}state: "{{state}}"
access_log: off
upstream: "{{upstream}}"
upstreams:
  v2: {{ url: "{}" }}
versions:
  header: Api-Version
  list:
    - {{ name: "2024-01-01", deprecated: "2025-06-01T00:00:00Z", sunset: "2099-01-01T00:00:00Z" }}
    - {{ name: "2025-01-01" }}
    - {{ name: "2026-01-01" }}
rollouts:
  - name: orders-v2
    routes: [ "/orders/{{id}}" ]
    canary: v2
    steps: [ 5, 25, 50 ]
    automatic: false
shadows:
  - {{ name: orders-dark, routes: [ "GET /orders" ], upstream: v2, percent: 100 }}
)",
                     extra, canary_url);
}

json get_status(const GatewayProcess& g) {
  HttpResponse r = request(g.admin_port(), "GET", "/api/status");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  json j = json::parse(r.body, nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

const json* find_version(const json& status, const std::string& name) {
  for (const json& v : status["versions"]) {
    if (v["version"] == name) return &v;
  }
  return nullptr;
}

HttpResponse post(const GatewayProcess& g, const std::string& path, const std::string& body = "",
                  const std::string& token = kToken) {
  HeaderList h = {{"Content-Type", "application/json"}};
  if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
  return request(g.admin_port(), "POST", path, h, body);
}

std::string problem_type(const HttpResponse& r) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.contains("type")) return "";
  std::string t = j["type"];
  return t.substr(t.rfind('/') + 1);
}

CmdResult api(const GatewayProcess& g, std::vector<std::string> args) {
  args.insert(args.begin(), "api");
  args.push_back("--config");
  args.push_back(g.config_path());
  return run_tandem(args);
}

TEST(GatewayAdminApi, StatusShowsADeprecatedVersionsClientsTheRolloutAndTheShadow) {
  TestBackend v1({"--name", "v1"});
  TestBackend v2({"--name", "v2"});
  std::unique_ptr<TestDb> db;
  std::string state;
  if (std::getenv("TANDEM_TEST_PG_URL")) {
    db = std::make_unique<TestDb>(Kind::kPostgres);
    state = db->url();
  }
  GatewayProcess g(admin_config(v2.url()), v1.url(), state);
  for (auto [client, version, n] :
       {std::tuple<const char*, const char*, int>{"acme", "2024-01-01", 3},
        {"beta", "2024-01-01", 2},
        {"gamma", "2026-01-01", 1}}) {
    for (int i = 0; i < n; ++i) {
      HttpResponse r = request(g.port(), "GET", "/orders/1",
                               {{"X-Client-Id", client}, {"Api-Version", version}});
      ASSERT_EQ(r.status, 200) << r.body;
    }
  }
  for (int i = 0; i < 4; ++i) ASSERT_EQ(request(g.port(), "GET", "/orders").status, 200);

  // Usage reaches the state database at the next flush (every 500 ms): poll for it.
  json s;
  auto deadline = Clock::now() + std::chrono::seconds(15);
  for (;;) {
    s = get_status(g);
    const json* old = find_version(s, "2024-01-01");
    bool shadowed = s["shadows"].size() == 1 && s["shadows"][0]["compared"] == 4;
    // The rollout's measures are flushed in the same sync as usage, just after it.
    bool measured =
        s["rollouts"].size() == 1 && s["rollouts"][0]["baseline_requests"].get<long long>() +
                                             s["rollouts"][0]["canary_requests"].get<long long>() ==
                                         6;
    if ((old && (*old)["requests"] == 5 && shadowed && measured) || Clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(s["head"], "2026-01-01");
  ASSERT_EQ(s["versions"].size(), 3u) << s.dump(2);
  EXPECT_EQ(s["versions"][0]["version"], "2026-01-01");
  EXPECT_EQ(s["versions"][0]["head"], true);
  const json* old = find_version(s, "2024-01-01");
  ASSERT_NE(old, nullptr) << s.dump(2);
  EXPECT_EQ((*old)["deprecated"], "2025-06-01T00:00:00Z");
  EXPECT_EQ((*old)["sunset"], "2099-01-01T00:00:00Z");
  EXPECT_EQ((*old)["requests"], 5) << s.dump(2);
  ASSERT_EQ((*old)["clients"].size(), 2u) << s.dump(2);
  EXPECT_EQ((*old)["clients"][0]["client"], "acme");
  EXPECT_EQ((*old)["clients"][0]["requests"], 3);
  EXPECT_EQ((*old)["clients"][1]["client"], "beta");
  EXPECT_EQ((*old)["clients"][1]["requests"], 2);
  EXPECT_FALSE((*old)["clients"][0]["last_seen"].get<std::string>().empty());

  // The same numbers as `tandem api usage --json`.
  CmdResult usage = api(g, {"usage", "--json", "--version", "2024-01-01"});
  ASSERT_EQ(usage.code, 0) << usage.err;
  long long cli_total = 0;
  json rows = json::parse(usage.out)["usage"];
  for (const json& row : rows) cli_total += row["requests"].get<long long>();
  EXPECT_EQ(cli_total, 5) << usage.out;

  ASSERT_EQ(s["rollouts"].size(), 1u) << s.dump(2);
  const json& r = s["rollouts"][0];
  EXPECT_EQ(r["name"], "orders-v2");
  EXPECT_EQ(r["state"], "running");
  EXPECT_EQ(r["step"], 0);
  EXPECT_EQ(r["steps"], json::parse("[5.0, 25.0, 50.0]"));
  EXPECT_DOUBLE_EQ(r["share"].get<double>(), 0.05);
  EXPECT_EQ(r["baseline"], "default");
  EXPECT_EQ(r["canary"], "v2");
  EXPECT_EQ(r["baseline_requests"].get<long long>() + r["canary_requests"].get<long long>(), 6)
      << r.dump();

  ASSERT_EQ(s["shadows"].size(), 1u);
  EXPECT_EQ(s["shadows"][0]["name"], "orders-dark");
  EXPECT_EQ(s["shadows"][0]["compared"], 4) << s.dump(2);

  // Without a token the actions are refused, and the reads stay open.
  HttpResponse refused = post(g, "/api/rollouts/orders-v2/promote");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(problem_type(refused), "actions-disabled");
  EXPECT_EQ(refused.header("Content-Type"), "application/problem+json");
  HttpResponse head = request(g.admin_port(), "HEAD", "/api/status");
  EXPECT_EQ(head.status, 200);
}

TEST(GatewayAdminApi, PromoteAndAbortNeedTheTokenAndChangeTheRollout) {
  TestBackend v1({"--name", "v1"});
  TestBackend v2({"--name", "v2"});
  TempDir secrets;
  std::string token_file = secrets.write("admin.token", kToken + "\n");
  GatewayProcess g(admin_config(v2.url(), fmt::format("admin_token_file: \"{}\"\n", token_file)),
                   v1.url());
  EXPECT_NE(g.log().find("admin actions enabled"), std::string::npos) << g.log();
  EXPECT_EQ(g.log().find(kToken), std::string::npos);  // never printed

  HttpResponse none = post(g, "/api/rollouts/orders-v2/promote", "", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(problem_type(none), "unauthorized");
  EXPECT_EQ(none.header("WWW-Authenticate"), "Bearer");
  HttpResponse wrong = post(g, "/api/rollouts/orders-v2/promote", "", kToken + "x");
  EXPECT_EQ(wrong.status, 401);
  HttpResponse basic = request(g.admin_port(), "POST", "/api/rollouts/orders-v2/promote",
                               {{"Authorization", "Basic " + kToken}});
  EXPECT_EQ(basic.status, 401);
  HttpResponse get = request(g.admin_port(), "GET", "/api/rollouts/orders-v2/promote",
                             {{"Authorization", "Bearer " + kToken}});
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.header("Allow"), "POST");
  HttpResponse put = request(g.admin_port(), "PUT", "/api/status");
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(put.header("Allow"), "GET, HEAD");
  EXPECT_EQ(get_status(g)["rollouts"][0]["step"], 0);  // nothing moved

  HttpResponse promoted = post(g, "/api/rollouts/orders-v2/promote",
                               R"({"reason": "error rates equal", "actor": "alice"})");
  ASSERT_EQ(promoted.status, 200) << promoted.body;
  json p = json::parse(promoted.body);
  EXPECT_EQ(p["name"], "orders-v2");
  EXPECT_EQ(p["step"], 1);
  EXPECT_DOUBLE_EQ(p["share"].get<double>(), 0.25);
  EXPECT_EQ(p["why"], "error rates equal");
  // The next status read sees it at once (the action dropped the cached read).
  json s = get_status(g);
  EXPECT_EQ(s["rollouts"][0]["step"], 1) << s.dump(2);
  EXPECT_DOUBLE_EQ(s["rollouts"][0]["share"].get<double>(), 0.25);

  // The same history `tandem api rollout` writes, with who did it.
  CmdResult status = api(g, {"rollout", "status", "orders-v2", "--json"});
  ASSERT_EQ(status.code, 0) << status.err;
  json history = json::parse(status.out)["rollouts"][0]["history"];
  ASSERT_FALSE(history.empty()) << status.out;
  EXPECT_EQ(history[0]["actor"], "dashboard (alice)");
  EXPECT_EQ(history[0]["reason"], "error rates equal");
  EXPECT_EQ(history[0]["percent"], 25);

  HttpResponse aborted = post(g, "/api/rollouts/orders-v2/abort");  // no body: a default reason
  ASSERT_EQ(aborted.status, 200) << aborted.body;
  EXPECT_EQ(json::parse(aborted.body)["state"], "aborted");
  EXPECT_EQ(json::parse(aborted.body)["share"], 0);
  status = api(g, {"rollout", "status", "orders-v2", "--json"});
  EXPECT_EQ(json::parse(status.out)["rollouts"][0]["history"][0]["actor"], "dashboard");
  // Every client on the baseline within a second (the gateway's sync reads the change).
  auto deadline = Clock::now() + std::chrono::seconds(5);
  int canary = 1;
  while (canary > 0 && Clock::now() < deadline) {
    canary = 0;
    for (int i = 0; i < 100; ++i) {
      HttpResponse r =
          request(g.port(), "GET", "/orders/1", {{"X-Client-Id", fmt::format("c{}", i)}});
      if (r.header("X-Backend") == "v2") ++canary;
    }
  }
  EXPECT_EQ(canary, 0);

  HttpResponse again = post(g, "/api/rollouts/orders-v2/abort");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(problem_type(again), "rollout-conflict");
  HttpResponse unknown = post(g, "/api/rollouts/nope/promote");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(problem_type(unknown), "unknown-rollout");
}

TEST(GatewayAdminApi, TheTokenMayComeFromTheEnvironment) {
  TestBackend v1({"--name", "v1"});
  TestBackend v2({"--name", "v2"});
  setenv("TANDEM_GATEWAY_ADMIN_TOKEN", kToken.c_str(), 1);
  std::unique_ptr<GatewayProcess> g;
  try {
    g = std::make_unique<GatewayProcess>(admin_config(v2.url()), v1.url());
  } catch (...) {
    unsetenv("TANDEM_GATEWAY_ADMIN_TOKEN");
    throw;
  }
  unsetenv("TANDEM_GATEWAY_ADMIN_TOKEN");
  EXPECT_EQ(post(*g, "/api/rollouts/orders-v2/promote", "", "").status, 401);
  HttpResponse ok = post(*g, "/api/rollouts/orders-v2/promote");
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(g->log().find(kToken), std::string::npos);
}

TEST(GatewayAdminApi, HostileRequestsAreRefusedAndTheListenerStaysUp) {
  TestBackend v1({"--name", "v1"});
  TestBackend v2({"--name", "v2"});
  TempDir secrets;
  std::string token_file = secrets.write("admin.token", kToken);
  GatewayProcess g(admin_config(v2.url(), fmt::format("admin_token_file: \"{}\"\n", token_file)),
                   v1.url());
  const std::string promote = "/api/rollouts/orders-v2/promote";
  struct Case {
    std::string body;
    int status;
  };
  std::vector<Case> cases = {
      {std::string(5000, 'x'), 413},
      {"{\"reason\": \"" + std::string(4090, 'a') + "\"}", 413},
      {"not json", 400},
      {"[1, 2]", 400},
      {"\"text\"", 400},
      {R"({"reason": 42})", 400},
      {R"({"reason": "a\u0000b"})", 400},
      {R"({"reason": "line\nbreak"})", 400},
      {"{\"reason\": \"\xff\xfe\"}", 400},
      {R"({"reason": "ok", "extra": 1})", 400},
      {R"({"actor": ")" + std::string(100, 'a') + "\"}", 400},
      {R"({"reason": ")" + std::string(1001, 'a') + "\"}", 400},
      {std::string(2000, '[') + std::string(2000, ']'), 400},
      {"{\"reason\": \"ok\"", 400},
  };
  for (const Case& c : cases) {
    HttpResponse r = post(g, promote, c.body);
    EXPECT_EQ(r.status, c.status) << c.body.substr(0, 60) << ": " << r.body;
    if (c.status == 400) {
      EXPECT_EQ(problem_type(r), "bad-action-body") << r.body;
    }
  }
  // Nothing above moved the rollout.
  EXPECT_EQ(get_status(g)["rollouts"][0]["step"], 0);

  for (const std::string& path :
       {std::string("/api/rollouts//promote"), std::string("/api/rollouts/orders-v2/pause"),
        std::string("/api/rollouts/orders-v2/promote/again"),
        std::string("/api/rollouts/%00/abort"), std::string("/api/rollouts/../promote"),
        "/api/rollouts/" + std::string(3000, 'n') + "/abort",
        std::string("/api/rollouts/orders-v2"), std::string("/api/status/x"), std::string("/api/"),
        std::string("/api/rollouts/orders-v2%2Fpromote/abort")}) {
    HttpResponse r = post(g, path);
    EXPECT_EQ(r.status, 404) << path.substr(0, 60) << ": " << r.body;
    EXPECT_LT(r.body.size(), 1000u);  // a long name is not echoed whole
  }
  // Raw bytes: a name with control characters and invalid UTF-8.
  RawResponse raw = send_raw(g.admin_port(),
                             "POST /api/rollouts/a\xff\xfe/abort HTTP/1.1\r\nHost: x\r\n"
                             "Authorization: Bearer " +
                                 kToken + "\r\nContent-Length: 0\r\n\r\n");
  auto parsed = parse_responses(raw.data);
  ASSERT_FALSE(parsed.empty());
  EXPECT_TRUE(parsed[0].status == 404 || parsed[0].status == 400) << raw.data;

  // Many status reads at once share one read of the state database.
  std::vector<std::unique_ptr<Connection>> conns;
  for (int i = 0; i < 50; ++i) {
    conns.push_back(std::make_unique<Connection>(g.admin_port()));
    conns.back()->send("GET", "/api/status");
  }
  for (auto& c : conns) EXPECT_EQ(c->read().status, 200);

  EXPECT_EQ(request(g.admin_port(), "GET", "/healthz").status, 200);
  EXPECT_EQ(get_status(g)["head"], "2026-01-01");
  EXPECT_EQ(g.stop(), 0);
}

}  // namespace
}  // namespace tandem::testing
