// `tandem gateway` end to end: a real gateway process in front of the real head-only backend
// (tests/gateway/backend), on loopback. Golden pairs for every route and version in both
// directions, the round trip, the version headers, and the errors a client can act on.

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <random>

#include "gateway/gateway_process.h"
#include "gateway/http_test_client.h"
#include "gateway/test_backend_process.h"

namespace tandem::testing {
namespace {

using nlohmann::json;

json body_of(const HttpResponse& r) {
  auto j = json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.body;
  return j;
}

HttpResponse get(int port, const std::string& target, const std::string& version,
                 HeaderList extra = {}) {
  HeaderList h = std::move(extra);
  if (!version.empty()) h.emplace_back("Api-Version", version);
  return request(port, "GET", target, h);
}

HttpResponse post(int port, const std::string& target, const std::string& version,
                  const json& body) {
  return request(port, "POST", target,
                 {{"Api-Version", version}, {"Content-Type", "application/json"}}, body.dump());
}

// The backend's seed orders as each version sees them.
json order1(const std::string& version) {
  if (version == "2026-01-01") {
    return json::parse(R"({"id":1,"total_amount":1250,"currency":"USD","status":"settled",
      "notes":"leave at the door","items":[{"sku":"A1","unit_price":500},{"sku":"B2","unit_price":750}]})");
  }
  if (version == "2025-01-01") {
    return json::parse(R"({"id":1,"total_amount":1250,"currency":"USD","status":"settled",
      "note":"leave at the door","items":[{"sku":"A1","price":500},{"sku":"B2","price":750}]})");
  }
  return json::parse(R"({"id":1,"total":12.5,"status":"paid","note":"leave at the door",
      "items":[{"sku":"A1","price":500},{"sku":"B2","price":750}],"legacy_code":null})");
}

long long backend_requests(int backend_port) {
  return body_of(request(backend_port, "GET", "/stats"))["requests"].get<long long>();
}

class GatewayTest : public ::testing::Test {
 protected:
  TestBackend backend;
  GatewayProcess gateway{orders_config(), backend.url()};
};

TEST_F(GatewayTest, ResponsesAreTranslatedDownToEveryVersion) {
  for (std::string v : {"2024-01-01", "2025-01-01", "2026-01-01"}) {
    SCOPED_TRACE(v);
    HttpResponse one = get(gateway.port(), "/orders/1", v);
    ASSERT_EQ(one.status, 200) << one.body;
    EXPECT_EQ(body_of(one), order1(v));
    EXPECT_EQ(one.header("Api-Version"), v);
    HttpResponse list = get(gateway.port(), "/orders", v);
    ASSERT_EQ(list.status, 200) << list.body;
    json data = body_of(list)["data"];
    ASSERT_EQ(data.size(), 3u);
    EXPECT_EQ(data[0], order1(v));
    EXPECT_EQ(body_of(list)["has_more"], false);  // outside the located objects: untouched
  }
  // Order 2 is in EUR: a 2024 client never learned about currencies, so it does not see one.
  json two = body_of(get(gateway.port(), "/orders/2", "2024-01-01"));
  EXPECT_EQ(two["total"], 9.99);
  EXPECT_FALSE(two.contains("currency"));
  EXPECT_EQ(two["status"], "pending");  // not in the enum map: as head has it
}

TEST_F(GatewayTest, HeadRequestsPassThroughByteForByte) {
  HttpResponse direct = request(backend.port(), "GET", "/orders/1");
  HttpResponse via = get(gateway.port(), "/orders/1", "2026-01-01");
  ASSERT_EQ(via.status, 200);
  EXPECT_EQ(via.body, direct.body);
}

TEST_F(GatewayTest, RequestsAreTranslatedUpToHead) {
  json old_order = json::parse(R"({"total":12.5,"status":"paid","note":"hi","legacy_code":"X9",
      "items":[{"sku":"B","price":3}]})");
  HttpResponse created = post(gateway.port(), "/orders", "2024-01-01", old_order);
  ASSERT_EQ(created.status, 201) << created.body;  // the backend refuses old names with 400
  json back = body_of(created);
  int id = back["id"].get<int>();
  // What head stored.
  json stored = body_of(request(backend.port(), "GET", "/orders/" + std::to_string(id)));
  EXPECT_EQ(stored["total_amount"], 1250);
  EXPECT_EQ(stored["currency"], "USD");
  EXPECT_EQ(stored["status"], "settled");
  EXPECT_EQ(stored["notes"], "hi");
  EXPECT_EQ(stored["items"], json::parse(R"([{"sku":"B","unit_price":3}])"));
  EXPECT_FALSE(stored.contains("legacy_code"));
  // What the old client got back: its own shape (legacy_code is gone from head: null).
  EXPECT_EQ(back["total"], 12.5);
  EXPECT_EQ(back["status"], "paid");
  EXPECT_EQ(back["note"], "hi");
  EXPECT_EQ(back["legacy_code"], nullptr);
  EXPECT_EQ(back["items"], old_order["items"]);

  json mid = json::parse(
      R"({"total_amount":700,"currency":"EUR","status":"pending","note":"n","items":[]})");
  HttpResponse m = post(gateway.port(), "/orders", "2025-01-01", mid);
  ASSERT_EQ(m.status, 201) << m.body;
  json mstored = body_of(
      request(backend.port(), "GET", "/orders/" + std::to_string(body_of(m)["id"].get<int>())));
  EXPECT_EQ(mstored["currency"], "EUR");
  EXPECT_EQ(mstored["notes"], "n");
}

// Property: an old client's order comes back as it was sent, through head and back, for any
// order the changes translate without loss.
TEST_F(GatewayTest, OldOrdersRoundTripThroughHead) {
  std::mt19937 rng(1234);
  const char* statuses[] = {"paid", "pending", "refunded"};
  for (int i = 0; i < 25; ++i) {
    json order = {{"total", static_cast<double>(rng() % 100000) / 100},
                  {"status", statuses[rng() % 3]},
                  {"note", "note " + std::to_string(rng() % 1000)},
                  {"items", json::array()}};
    for (unsigned k = 0; k < rng() % 4; ++k) {
      order["items"].push_back({{"sku", "S" + std::to_string(k)}, {"price", rng() % 10000}});
    }
    HttpResponse r = post(gateway.port(), "/orders", "2024-01-01", order);
    ASSERT_EQ(r.status, 201) << r.body;
    json back = body_of(r);
    back.erase("id");
    back.erase("legacy_code");
    EXPECT_EQ(back, order) << "round trip " << i;
    // And read back later through GET, as the same version.
    json again = body_of(get(
        gateway.port(), "/orders/" + std::to_string(body_of(r)["id"].get<int>()), "2024-01-01"));
    again.erase("id");
    again.erase("legacy_code");
    EXPECT_EQ(again, order);
  }
}

TEST_F(GatewayTest, DeprecatedVersionsCarryDeprecationSunsetAndLink) {
  HttpResponse old = get(gateway.port(), "/orders/1", "2024-01-01");
  EXPECT_EQ(old.header("Deprecation"), "@1748736000");  // 2025-06-01T00:00:00Z, RFC 9745
  EXPECT_EQ(old.header("Sunset"), "Thu, 01 Jan 2099 00:00:00 GMT");  // RFC 8594 HTTP-date
  std::string link = old.header("Link");
  EXPECT_NE(link.find("<https://example.com/changelog#2024-01-01>; rel=\"deprecation\""),
            std::string::npos);
  EXPECT_NE(link.find("rel=\"sunset\""), std::string::npos);
  HttpResponse head = get(gateway.port(), "/orders/1", "2026-01-01");
  EXPECT_FALSE(head.has_header("Deprecation"));
  EXPECT_FALSE(head.has_header("Sunset"));
}

TEST_F(GatewayTest, UnknownVersionIsAProblemAndNeverForwarded) {
  long long before = backend_requests(backend.port());
  HttpResponse r = get(gateway.port(), "/orders", "2023-01-01");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
  json p = body_of(r);
  EXPECT_EQ(p["type"], "https://tandem.dev/problems/unknown-version");
  EXPECT_EQ(p["status"], 400);
  EXPECT_NE(p["detail"].get<std::string>().find("2026-01-01"),
            std::string::npos);                             // lists the known ones
  EXPECT_EQ(backend_requests(backend.port()), before + 1);  // only the /stats call itself
}

TEST_F(GatewayTest, BodiesATransformCannotReadAreRefusedNotForwarded) {
  long long before = backend_requests(backend.port());
  struct Case {
    std::string body, content_encoding;
    int status;
  };
  std::string deep(5000, '[');
  std::vector<Case> cases = {
      {"{\"total\": 12.5,", "", 400},                       // truncated
      {"{\"total\": 1, \"note\": \"\xff\xfe\"}", "", 400},  // invalid UTF-8
      {"{\"items\": " + deep, "", 400},                     // nested deeper than the limit
      {"{\"total\": 1, \"total\": 2}", "", 400},            // a duplicate key a change touches
      {"{\"total\": 1} trailing", "", 400},
      {"\x1f\x8b\x08\x00", "gzip", 415},
  };
  for (const Case& c : cases) {
    HeaderList h = {{"Api-Version", "2024-01-01"}, {"Content-Type", "application/json"}};
    if (!c.content_encoding.empty()) h.emplace_back("Content-Encoding", c.content_encoding);
    HttpResponse r = request(gateway.port(), "POST", "/orders", h, c.body);
    EXPECT_EQ(r.status, c.status) << c.body.substr(0, 40) << " → " << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
  }
  EXPECT_EQ(backend_requests(backend.port()), before + 1);
}

TEST_F(GatewayTest, RepeatedVersionOrClientHeadersAreRefused) {
  long long before = backend_requests(backend.port());
  HttpResponse two_versions =
      request(gateway.port(), "GET", "/orders/1",
              {{"Api-Version", "2024-01-01"}, {"Api-Version", "2026-01-01"}});
  EXPECT_EQ(two_versions.status, 400);
  EXPECT_EQ(body_of(two_versions)["type"], "https://tandem.dev/problems/conflicting-headers");
  HttpResponse two_clients =
      request(gateway.port(), "GET", "/orders/1", {{"X-Client-Id", "a"}, {"X-Client-Id", "b"}});
  EXPECT_EQ(two_clients.status, 400);
  EXPECT_EQ(backend_requests(backend.port()), before + 1);
}

// Sent but empty is not anonymous: the docs' bad-client-id, never a pin or usage row for "".
TEST_F(GatewayTest, AnEmptyClientIdIsRefused) {
  long long before = backend_requests(backend.port());
  RawResponse raw = send_raw(gateway.port(),
                             "GET /orders/1 HTTP/1.1\r\nHost: x\r\nX-Client-Id:\r\n"
                             "Api-Version: 2026-01-01\r\nConnection: close\r\n\r\n",
                             3000);
  auto answers = parse_responses(raw.data);
  ASSERT_EQ(answers.size(), 1u) << raw.data;
  EXPECT_EQ(answers[0].status, 400);
  EXPECT_NE(answers[0].body.find("bad-client-id"), std::string::npos) << answers[0].body;
  EXPECT_EQ(backend_requests(backend.port()), before + 1);
}

// jq has no limit of its own: a huge value would be multiplied in memory before it fails.
TEST_F(GatewayTest, AHugeValueToConvertIsRefusedBeforeJqRuns) {
  json order = {{"total", std::string(2 * 1024 * 1024, 'a')},
                {"status", "paid"},
                {"note", "n"},
                {"items", json::array()}};
  auto t0 = std::chrono::steady_clock::now();
  HttpResponse r = post(gateway.port(), "/orders", "2024-01-01", order);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(body_of(r)["detail"].get<std::string>().find("too large to convert"),
            std::string::npos);
  EXPECT_LT(seconds, 2.0);
}

TEST_F(GatewayTest, TheUpstreamSeesHeadWithRequestIdAndTraceButNoHopByHopHeaders) {
  HttpResponse r =
      request(gateway.port(), "GET", "/echo",
              {{"Api-Version", "2024-01-01"},
               {"X-Request-Id", "req-123"},
               {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
               {"Connection", "keep-alive, X-Secret"},
               {"X-Secret", "hop"},
               {"X-Client-Id", "acme"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("X-Request-Id"), "req-123");
  json h = body_of(r)["headers"];
  EXPECT_EQ(h["api-version"], "2026-01-01");
  EXPECT_EQ(h["x-request-id"], "req-123");
  EXPECT_EQ(h["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(h["x-client-id"], "acme");
  EXPECT_EQ(h["x-forwarded-for"], "127.0.0.1");
  EXPECT_FALSE(h.contains("x-secret"));
  // A request without an id gets a fresh one, upstream and back.
  HttpResponse fresh = get(gateway.port(), "/echo", "2026-01-01");
  std::string id = fresh.header("X-Request-Id");
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(body_of(fresh)["headers"]["x-request-id"], id);
}

TEST_F(GatewayTest, PipelinedRequestsAreAnsweredInOrderOnOneConnection) {
  Connection c(gateway.port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send("GET", "/orders/1", {{"Api-Version", "2024-01-01"}}));
  ASSERT_TRUE(c.send("GET", "/orders/2", {{"Api-Version", "2026-01-01"}}));
  ASSERT_TRUE(c.send("GET", "/orders/3", {{"Api-Version", "2025-01-01"}}));
  HttpResponse a = c.read(), b = c.read(), d = c.read();
  ASSERT_EQ(a.status, 200);
  ASSERT_EQ(b.status, 200);
  ASSERT_EQ(d.status, 200);
  EXPECT_EQ(body_of(a)["id"], 1);
  EXPECT_TRUE(body_of(a).contains("total"));
  EXPECT_EQ(body_of(b)["id"], 2);
  EXPECT_TRUE(body_of(b).contains("notes"));
  EXPECT_EQ(body_of(d)["id"], 3);
  EXPECT_TRUE(body_of(d).contains("note"));
}

TEST_F(GatewayTest, UpstreamConnectionsAreKeptAlive) {
  long long before =
      body_of(request(backend.port(), "GET", "/stats"))["connections"].get<long long>();
  Connection c(gateway.port());
  for (int i = 0; i < 60; ++i) {
    HttpResponse r = c.request("GET", "/orders/1", {{"Api-Version", "2025-01-01"}});
    ASSERT_EQ(r.status, 200);
  }
  long long after =
      body_of(request(backend.port(), "GET", "/stats"))["connections"].get<long long>();
  // One stats connection each, plus at most one upstream connection per worker.
  EXPECT_LE(after - before, 1 + 2);
}

TEST_F(GatewayTest, AnUpstreamThatIsSlowIsA504WithinTheTimeout) {
  auto t0 = std::chrono::steady_clock::now();
  HttpResponse r = get(gateway.port(), "/slow?ms=4000", "2026-01-01");
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_EQ(body_of(r)["type"], "https://tandem.dev/problems/upstream-timeout");
  EXPECT_LT(seconds, 3.5);  // upstream timeout is 2s in the config
  EXPECT_EQ(get(gateway.port(), "/orders/1", "2026-01-01").status, 200);  // and it goes on
}

TEST(GatewayUpstreamDown, IsA503ProblemAtOnce) {
  int dead = free_port();
  GatewayProcess gateway(orders_config(), "http://127.0.0.1:" + std::to_string(dead));
  HttpResponse r = get(gateway.port(), "/orders", "2024-01-01");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
  EXPECT_EQ(body_of(r)["type"], "https://tandem.dev/problems/upstream-connect");
  EXPECT_EQ(r.header("Api-Version"), "2024-01-01");
}

// A version past its sunset, one in a brownout, an endpoint an old version never had, and a
// status code head changed.
TEST(GatewayLifecycle, SunsetBrownoutAddedRoutesAndStatusCodes) {
  TestBackend backend;
  GatewayProcess gateway(R"(listen: 127.0.0.1:0
state: "{state}"
access_log: off
upstream: "{upstream}"
versions:
  list:
    - { name: v1, deprecated: "2020-01-01", sunset: "2021-01-01", link: "https://example.com/v1" }
    - { name: v2, deprecated: "2020-01-01", brownouts: [ { start: "2020-01-01T00:00:00Z", end: "2099-01-01T00:00:00Z" } ] }
    - { name: v3 }
    - { name: v4 }
changes:
  - version: v4
    description: refunds are new; creating an order answers 201
    added_routes: [ "GET /refunds", "/orders/{id}/refunds" ]
    status: { 201: 200 }
    routes: { "POST /orders": "." }
)",
                         backend.url());
  HttpResponse gone = get(gateway.port(), "/orders", "v1");
  EXPECT_EQ(gone.status, 410);
  EXPECT_EQ(body_of(gone)["type"], "https://tandem.dev/problems/version-sunset");
  EXPECT_EQ(gone.header("Sunset"), "Fri, 01 Jan 2021 00:00:00 GMT");
  HttpResponse brown = get(gateway.port(), "/orders", "v2");
  EXPECT_EQ(brown.status, 410);
  EXPECT_EQ(body_of(brown)["type"], "https://tandem.dev/problems/version-brownout");
  HttpResponse missing = get(gateway.port(), "/refunds", "v3");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(body_of(missing)["type"], "https://tandem.dev/problems/route-not-in-version");
  EXPECT_EQ(get(gateway.port(), "/orders/1/refunds", "v3").status, 404);
  // v4 has it: the backend answers (its own 404, not the gateway's problem).
  HttpResponse v4 = get(gateway.port(), "/refunds", "v4");
  EXPECT_EQ(v4.status, 404);
  EXPECT_NE(v4.header("Content-Type"), "application/problem+json");
  json order = json::parse(
      R"({"total_amount":1,"currency":"USD","status":"pending","notes":"","items":[]})");
  HttpResponse created_v3 = post(gateway.port(), "/orders", "v3", order);
  EXPECT_EQ(created_v3.status, 200) << created_v3.body;
  HttpResponse created_v4 = post(gateway.port(), "/orders", "v4", order);
  EXPECT_EQ(created_v4.status, 201) << created_v4.body;
}

}  // namespace
}  // namespace tandem::testing
