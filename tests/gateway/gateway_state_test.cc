// `tandem gateway` state end to end: pins at the first request, `tandem api pin`, pins across
// a restart and across two gateways on one PostgreSQL, usage counts, metrics, the access log
// and a drain on SIGTERM.

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "gateway/gateway_process.h"
#include "gateway/http_test_client.h"
#include "gateway/test_backend_process.h"

namespace tandem::testing {
namespace {

using nlohmann::json;

// The version the gateway answers `client` with when the request names none.
std::string version_of(int port, const std::string& client) {
  HttpResponse r = request(port, "GET", "/orders/1", {{"X-Client-Id", client}});
  EXPECT_EQ(r.status, 200) << r.body;
  return r.header("Api-Version");
}

// Polls until `client` is answered in `version` (pins are refreshed every 500 ms).
bool becomes(int port, const std::string& client, const std::string& version, int within_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(within_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (version_of(port, client) == version) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

CmdResult api(const GatewayProcess& g, std::vector<std::string> args) {
  args.insert(args.begin(), "api");
  args.push_back("--config");
  args.push_back(g.config_path());
  return run_tandem(args);
}

TEST(GatewayPins, FirstRequestPinsToHeadAndApiPinMovesTheClient) {
  TestBackend backend;
  GatewayProcess gateway(orders_config(), backend.url());
  EXPECT_EQ(version_of(gateway.port(), "acme"), "2026-01-01");  // default: pin → head
  CmdResult pin = api(gateway, {"pin", "acme", "2024-01-01"});
  ASSERT_EQ(pin.code, 0) << pin.err;
  EXPECT_TRUE(becomes(gateway.port(), "acme", "2024-01-01", 1500));
  // The body follows the pin.
  HttpResponse r = request(gateway.port(), "GET", "/orders/1", {{"X-Client-Id", "acme"}});
  EXPECT_NE(r.body.find("\"total\":12.5"), std::string::npos) << r.body;
  // A header still wins over the pin.
  EXPECT_EQ(request(gateway.port(), "GET", "/orders/1",
                    {{"X-Client-Id", "acme"}, {"Api-Version", "2025-01-01"}})
                .header("Api-Version"),
            "2025-01-01");
  // A pin to a version the config does not have is refused, nothing written.
  CmdResult bad = api(gateway, {"pin", "acme", "1999-01-01"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("not a version"), std::string::npos) << bad.err;
  // Pins outlive the process.
  gateway.restart();
  EXPECT_EQ(version_of(gateway.port(), "acme"), "2024-01-01");
  CmdResult list = api(gateway, {"pin", "--list", "--json"});
  ASSERT_EQ(list.code, 0) << list.err;
  json pins = json::parse(list.out)["pins"];
  ASSERT_EQ(pins.size(), 1u);
  EXPECT_EQ(pins[0]["client"], "acme");
  EXPECT_EQ(pins[0]["version"], "2024-01-01");
  // --remove: the next request pins to head again.
  CmdResult removed = api(gateway, {"pin", "acme", "--remove"});
  ASSERT_EQ(removed.code, 0) << removed.err;
  EXPECT_NE(removed.out.find("it was pinned to 2024-01-01"), std::string::npos) << removed.out;
  EXPECT_TRUE(becomes(gateway.port(), "acme", "2026-01-01", 1500));
  // Removing a pin that is not there (a mistyped id) says so and exits 1.
  CmdResult typo = api(gateway, {"pin", "acmee", "--remove"});
  EXPECT_EQ(typo.code, 1);
  EXPECT_NE(typo.out.find("acmee has no pin: nothing removed"), std::string::npos) << typo.out;
}

TEST(GatewayPins, AFloodOfClientIdsStopsAtMaxClients) {
  TestBackend backend;
  GatewayProcess gateway(orders_config() + "limits:\n  max_clients: 3\n", backend.url(), "", 1);
  // Every request a new made-up id: only the first 3 are pinned and counted by name; the rest
  // are served head without a pin and counted as "other".
  for (int i = 0; i < 12; ++i)
    EXPECT_EQ(version_of(gateway.port(), "c" + std::to_string(i)), "2026-01-01");
  gateway.stop();
  CmdResult list = api(gateway, {"pin", "--list", "--json"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(json::parse(list.out)["pins"].size(), 3u) << list.out;
  CmdResult usage = api(gateway, {"usage", "--json"});
  ASSERT_EQ(usage.code, 0) << usage.err;
  json rows = json::parse(usage.out)["usage"];
  long long other = 0, named = 0;
  for (const json& row : rows) {
    if (row["client"] == "other") {
      other += row["requests"].get<long long>();
    } else {
      ++named;
    }
  }
  EXPECT_EQ(named, 3) << rows.dump();
  EXPECT_EQ(other, 9) << rows.dump();
}

TEST(GatewayPins, TwoGatewaysShareOnePostgresState) {
  TestDb db(Kind::kPostgres);
  TestBackend backend;
  GatewayProcess a(orders_config(), backend.url(), db.url());
  GatewayProcess b(orders_config(), backend.url(), db.url());
  // A client first seen by A is pinned there; B sees the pin within a second.
  EXPECT_EQ(version_of(a.port(), "shared"), "2026-01-01");
  ASSERT_EQ(api(a, {"pin", "shared", "2025-01-01"}).code, 0);
  EXPECT_TRUE(becomes(a.port(), "shared", "2025-01-01", 1500));
  EXPECT_TRUE(becomes(b.port(), "shared", "2025-01-01", 1500));
  for (int i = 0; i < 5; ++i)
    request(a.port(), "GET", "/orders",
            {{"X-Client-Id", "old-app"}, {"Api-Version", "2024-01-01"}});
  for (int i = 0; i < 7; ++i)
    request(b.port(), "GET", "/orders",
            {{"X-Client-Id", "old-app"}, {"Api-Version", "2024-01-01"}});
  a.stop();  // a stop flushes the last counts
  b.stop();
  CmdResult usage = api(a, {"usage", "--json", "--version", "2024-01-01"});
  ASSERT_EQ(usage.code, 0) << usage.err;
  json rows = json::parse(usage.out)["usage"];
  ASSERT_EQ(rows.size(), 1u) << usage.out;
  EXPECT_EQ(rows[0]["client"], "old-app");
  EXPECT_EQ(rows[0]["requests"], 12);  // summed over both gateways
  EXPECT_EQ(rows[0]["sunset"], "2099-01-01T00:00:00Z");
  EXPECT_EQ(db.value("SELECT count(*) FROM tandem.gateway_pins"), "1");
}

TEST(GatewayUsage, CountsPerClientAndVersionWithLastSeen) {
  TestBackend backend;
  GatewayProcess gateway(orders_config(), backend.url());
  for (int i = 0; i < 3; ++i)
    request(gateway.port(), "GET", "/orders",
            {{"X-Client-Id", "mobile-ios"}, {"Api-Version", "2024-01-01"}});
  request(gateway.port(), "GET", "/orders",
          {{"X-Client-Id", "partner"}, {"Api-Version", "2025-01-01"}});
  request(gateway.port(), "GET", "/orders", {{"Api-Version", "2024-01-01"}});
  // Flushed once a second while running.
  json rows;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    CmdResult usage = api(gateway, {"usage", "--json"});
    ASSERT_EQ(usage.code, 0) << usage.err;
    rows = json::parse(usage.out)["usage"];
    if (rows.size() == 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(rows.size(), 3u) << rows.dump();
  // Oldest version first: what a sunset would break.
  EXPECT_EQ(rows[0]["version"], "2024-01-01");
  EXPECT_EQ(rows[0]["client"], "mobile-ios");
  EXPECT_EQ(rows[0]["requests"], 3);
  EXPECT_EQ(rows[1]["client"], "(anonymous)");
  EXPECT_EQ(rows[2]["client"], "partner");
  EXPECT_EQ(rows[0]["last_seen"].get<std::string>().size(), 20u);  // 2026-01-01T00:00:00Z
  CmdResult text = api(gateway, {"usage"});
  EXPECT_NE(
      text.out.find("2024-01-01 (deprecated 2025-06-01T00:00:00Z, sunset 2099-01-01T00:00:00Z)"),
      std::string::npos)
      << text.out;
}

TEST(GatewayMetrics, PrometheusTextWithCappedClientLabels) {
  TestBackend backend;
  std::string config = orders_config() + "limits: { metrics_clients: 2 }\n";
  GatewayProcess gateway(config, backend.url());
  for (int i = 0; i < 4; ++i)
    request(gateway.port(), "GET", "/orders",
            {{"X-Client-Id", "big"}, {"Api-Version", "2024-01-01"}});
  for (int i = 0; i < 3; ++i)
    request(gateway.port(), "GET", "/orders",
            {{"X-Client-Id", "mid"}, {"Api-Version", "2024-01-01"}});
  for (std::string c : {"s1", "s2", "s3"})
    request(gateway.port(), "GET", "/orders", {{"X-Client-Id", c}, {"Api-Version", "2024-01-01"}});
  request(gateway.port(), "GET", "/orders", {{"Api-Version", "1999"}});
  // Refused by the HTTP layer before the gateway reads it: counted by type.
  send_raw(gateway.port(), "GET /orders HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 2000);
  HttpResponse m = request(gateway.admin_port(), "GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.header("Content-Type").find("text/plain; version=0.0.4"), std::string::npos);
  const std::string& t = m.body;
  EXPECT_NE(
      t.find(
          R"(tandem_gateway_requests_total{version="2024-01-01",client="big",route="GET /orders",status="2xx"} 4)"),
      std::string::npos)
      << t;
  EXPECT_NE(
      t.find(
          R"(tandem_gateway_requests_total{version="2024-01-01",client="mid",route="GET /orders",status="2xx"} 3)"),
      std::string::npos);
  EXPECT_NE(t.find(R"(client="other",route="GET /orders",status="2xx"} 3)"), std::string::npos);
  EXPECT_EQ(t.find("client=\"s1\""), std::string::npos);
  EXPECT_NE(t.find("status=\"4xx\""), std::string::npos);
  EXPECT_NE(
      t.find("tandem_gateway_request_duration_seconds_bucket{version=\"2024-01-01\",le=\"+Inf\"}"),
      std::string::npos);
  EXPECT_NE(t.find("tandem_gateway_transform_duration_seconds_count{direction=\"response\"} 10"),
            std::string::npos);
  EXPECT_NE(t.find(R"(tandem_gateway_refused_total{type=)"), std::string::npos) << t;
  EXPECT_EQ(request(gateway.admin_port(), "GET", "/healthz").status, 200);
  EXPECT_EQ(request(gateway.admin_port(), "GET", "/readyz").status, 200);
  EXPECT_EQ(request(gateway.admin_port(), "GET", "/nope").status, 404);
}

TEST(GatewayAccessLog, OneJsonLinePerRequestWithItsId) {
  TestBackend backend;
  GatewayProcess gateway(orders_config(), backend.url());
  request(gateway.port(), "GET", "/orders/1?expand=items",
          {{"X-Client-Id", "acme"},
           {"Api-Version", "2024-01-01"},
           {"X-Request-Id", "abc-1"},
           {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}});
  request(gateway.port(), "GET", "/x", {{"Api-Version", "nope"}});
  send_raw(gateway.port(),
           "GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nab", 2000);
  gateway.stop();
  std::istringstream lines(gateway.access_log());
  std::vector<json> entries;
  for (std::string line; std::getline(lines, line);) entries.push_back(json::parse(line));
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0]["request_id"], "abc-1");
  EXPECT_EQ(entries[0]["client"], "acme");
  EXPECT_EQ(entries[0]["version"], "2024-01-01");
  EXPECT_EQ(entries[0]["route"], "/orders/{id}");
  EXPECT_EQ(entries[0]["path"], "/orders/1");  // no query string: it may carry secrets
  EXPECT_EQ(entries[0]["status"], 200);
  EXPECT_EQ(entries[0]["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(entries[1]["status"], 400);
  // A request the HTTP layer refused (two Content-Lengths) is logged too, with its type.
  EXPECT_EQ(entries[2]["status"], 400);
  EXPECT_FALSE(entries[2]["refused"].get<std::string>().empty()) << entries[2];
  EXPECT_TRUE(entries[2].contains("peer"));
}

TEST(GatewaySignals, SighupIsNotAStop) {
  TestBackend backend;
  GatewayProcess gateway(orders_config(), backend.url());
  ASSERT_EQ(kill(gateway.pid(), SIGHUP), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(request(gateway.port(), "GET", "/orders/1", {{"Api-Version", "2026-01-01"}}).status,
            200);
  EXPECT_NE(gateway.log().find("SIGHUP ignored: there is no reload"), std::string::npos)
      << gateway.log();
  EXPECT_EQ(gateway.stop(), 0);
}

TEST(GatewaySignals, SigtermFinishesTheRequestInFlight) {
  TestBackend backend;
  GatewayProcess gateway(orders_config(), backend.url());
  HttpResponse slow;
  std::thread t([&] {
    slow = request(gateway.port(), "GET", "/slow?ms=800", {{"Api-Version", "2026-01-01"}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(gateway.stop(), 0);
  t.join();
  EXPECT_EQ(slow.status, 200) << slow.error;
  // And it no longer accepts.
  EXPECT_NE(request(gateway.port(), "GET", "/orders", {}, {}, 500).status, 200);
}

TEST(GatewayConfigErrors, ApiCheckAndGatewayExit2WithFileAndLine) {
  TempDir dir;
  std::string path = dir.write("api.yaml", R"(upstream: { url: "http://127.0.0.1:1" }
versions:
  list:
    - { name: "2025-01-01", deprecated: "2026-01-01", sunset: "2025-06-01" }
    - { name: "2026-01-01" }
changes:
  - version: "2026-01-01"
    routes: { "GET /orders": "data[]" }
    fields:
      - convert: { field: total, up: ". *", down: "." }
)");
  CmdResult check = run_tandem({"api", "check", "--config", path});
  EXPECT_EQ(check.code, 2);
  EXPECT_NE(check.err.find("api.yaml:4:"), std::string::npos) << check.err;
  EXPECT_NE(check.err.find("sunset is earlier than its deprecation"), std::string::npos)
      << check.err;
  EXPECT_NE(check.err.find("2 problems"), std::string::npos) << check.err;
  CmdResult json_check = run_tandem({"api", "check", "--config", path, "--json"});
  EXPECT_EQ(json_check.code, 2);
  EXPECT_EQ(json::parse(json_check.out)["error"]["problems"].size(), 2u) << json_check.out;
  CmdResult run = run_tandem({"gateway", "--config", path});
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(run_tandem({"api", "check", "--config", dir.path() + "/missing.yaml"}).code, 2);
  std::string ok =
      dir.write("ok.yaml", "upstream: http://127.0.0.1:1\nversions: { list: [ { name: a } ] }\n");
  CmdResult good = run_tandem({"api", "check", "--config", ok});
  EXPECT_EQ(good.code, 0) << good.err;
}

}  // namespace
}  // namespace tandem::testing
