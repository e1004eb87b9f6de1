// The test HTTP client and the test backend, against each other: what the gateway tests rely on.

#include "gateway/http_test_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "gateway/test_backend_process.h"

namespace tandem::testing {
namespace {

using nlohmann::json;

class HttpTestClient : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { backend_ = std::make_unique<TestBackend>(); }
  static void TearDownTestSuite() { backend_.reset(); }
  static int port() { return backend_->port(); }
  static json stats() { return json::parse(request(port(), "GET", "/stats").body); }

  static std::unique_ptr<TestBackend> backend_;
};

std::unique_ptr<TestBackend> HttpTestClient::backend_;

TEST_F(HttpTestClient, GetOrdersOfHeadShape) {
  HttpResponse res = request(port(), "GET", "/orders");
  ASSERT_TRUE(res.ok()) << res.error;
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.header("content-type"), "application/json");
  EXPECT_EQ(res.header("CONTENT-TYPE"), "application/json");
  json body = json::parse(res.body);
  ASSERT_EQ(body["data"].size(), 3u);
  EXPECT_EQ(body["has_more"], false);
  const json& first = body["data"][0];
  EXPECT_EQ(first["id"], 1);
  EXPECT_EQ(first["total_amount"], 1250);
  EXPECT_EQ(first["currency"], "USD");
  EXPECT_EQ(first["status"], "settled");
  EXPECT_EQ(first["items"][0]["unit_price"], 500);
  EXPECT_FALSE(first.contains("total"));
}

TEST_F(HttpTestClient, PostValidatesHeadShapeStrictly) {
  HttpResponse created = request(port(), "POST", "/orders", {{"Content-Type", "application/json"}},
                                 R"({"total_amount":700,"currency":"EUR","status":"pending",)"
                                 R"("notes":"n","items":[{"sku":"Z9","unit_price":700}]})");
  ASSERT_EQ(created.status, 201) << created.body;
  json order = json::parse(created.body);
  EXPECT_GT(order["id"].get<int>(), 3);
  HttpResponse fetched = request(port(), "GET", "/orders/" + order["id"].dump());
  EXPECT_EQ(fetched.status, 200);
  EXPECT_EQ(json::parse(fetched.body), order);

  for (
      const char* old : {
          R"({"total":7.0,"currency":"EUR","status":"pending"})",
          R"({"total_amount":700,"currency":"EUR","status":"paid"})",
          R"({"total_amount":7.5,"currency":"EUR","status":"pending"})",
          R"({"total_amount":700,"currency":"EUR","status":"pending","note":"x"})",
          R"({"total_amount":700,"currency":"EUR","status":"pending","legacy_code":null})",
          R"({"total_amount":700,"currency":"EUR","status":"pending","items":[{"sku":"a","price":1}]})",
          R"({"total_amount":700,"status":"pending"})",
          "not json",
      }) {
    HttpResponse res = request(port(), "POST", "/orders", {}, old);
    EXPECT_EQ(res.status, 400) << old;
    EXPECT_EQ(json::parse(res.body)["error"]["type"], "invalid_request") << old;
  }
}

TEST_F(HttpTestClient, MissingOrderIsNotFound) {
  HttpResponse res = request(port(), "GET", "/orders/999999");
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(json::parse(res.body)["error"]["type"], "not_found");
}

TEST_F(HttpTestClient, EchoShowsWhatTheUpstreamReceived) {
  HttpResponse res = request(
      port(), "PATCH", "/echo?a=1",
      {{"X-Twice", "one"}, {"x-twice", "two"}, {"Api-Version", "2024-01-01"}}, "raw \"body\"");
  ASSERT_EQ(res.status, 200);
  json echo = json::parse(res.body);
  EXPECT_EQ(echo["method"], "PATCH");
  EXPECT_EQ(echo["target"], "/echo?a=1");
  EXPECT_EQ(echo["headers"]["x-twice"], "one, two");
  EXPECT_EQ(echo["headers"]["api-version"], "2024-01-01");
  EXPECT_EQ(echo["headers"]["host"], "127.0.0.1:" + std::to_string(port()));
  EXPECT_EQ(echo["headers"]["content-length"], "10");
  EXPECT_EQ(echo["body"], "raw \"body\"");
}

TEST_F(HttpTestClient, ChunkedRequestAndResponse) {
  HttpResponse res = request(port(), "POST", "/echo", {{"Transfer-Encoding", "chunked"}}, "abc");
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(json::parse(res.body)["body"], "abc");
  EXPECT_EQ(json::parse(res.body)["headers"]["transfer-encoding"], "chunked");

  HttpResponse chunked = request(port(), "GET", "/chunked?n=5");
  ASSERT_EQ(chunked.status, 200);
  EXPECT_TRUE(chunked.chunked);
  EXPECT_GE(json::parse(chunked.body)["data"].size(), 3u);
}

TEST_F(HttpTestClient, BigAndStatus) {
  HttpResponse big = request(port(), "GET", "/big?kb=100");
  ASSERT_EQ(big.status, 200);
  EXPECT_NEAR(static_cast<double>(big.body.size()), 100 * 1024, 1024);
  EXPECT_GT(json::parse(big.body)["data"].size(), 100u);

  HttpResponse unavailable = request(port(), "GET", "/status/503");
  EXPECT_EQ(unavailable.status, 503);
  EXPECT_EQ(json::parse(unavailable.body)["error"]["code"], 503);
  HttpResponse empty = request(port(), "GET", "/status/204");
  EXPECT_EQ(empty.status, 204);
  EXPECT_EQ(empty.body, "");
}

TEST_F(HttpTestClient, KeepAliveAndPipelining) {
  auto before = stats();
  Connection c(port());
  ASSERT_TRUE(c.connected()) << c.error();
  EXPECT_EQ(c.request("GET", "/orders/1").status, 200);
  HttpResponse head = c.request("HEAD", "/orders");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_NE(head.header("content-length"), "0");
  // Three requests written before any response is read come back in order.
  ASSERT_TRUE(c.send("GET", "/orders/2"));
  ASSERT_TRUE(c.send("GET", "/status/418"));
  ASSERT_TRUE(c.send_raw("GET /orders/3 HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(json::parse(c.read().body)["id"], 2);
  EXPECT_EQ(c.read().status, 418);
  EXPECT_EQ(json::parse(c.read().body)["id"], 3);
  EXPECT_FALSE(c.closed_by_peer(50));
  auto after = stats();
  // One connection for this test's five requests (and one each for the two /stats).
  EXPECT_EQ(after["connections"].get<int>() - before["connections"].get<int>(), 2);
  EXPECT_EQ(after["requests"].get<int>() - before["requests"].get<int>(), 6);
}

TEST_F(HttpTestClient, PeerClose) {
  Connection c(port());
  HttpResponse res = c.request("GET", "/close");
  EXPECT_EQ(res.status, 200);
  EXPECT_FALSE(res.keep_alive);
  EXPECT_TRUE(c.closed_by_peer(1000));
  EXPECT_FALSE(c.request("GET", "/orders").ok());
}

TEST_F(HttpTestClient, Timeouts) {
  auto start = std::chrono::steady_clock::now();
  HttpResponse res = request(port(), "GET", "/slow?ms=3000", {}, {}, 200);
  EXPECT_EQ(res.status, 0);
  EXPECT_EQ(res.error, "timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));

  // A keep-alive server does not close: send_raw returns what it read at the timeout.
  RawResponse raw = send_raw(port(), "GET /orders/1 HTTP/1.1\r\nHost: x\r\n\r\n", 300);
  EXPECT_FALSE(raw.closed);
  auto parsed = parse_responses(raw.data);
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0].status, 200);
}

TEST_F(HttpTestClient, RawBytes) {
  RawResponse garbage = send_raw(port(), "NOT HTTP AT ALL\r\n\r\n");
  EXPECT_TRUE(garbage.closed);
  auto parsed = parse_responses(garbage.data);
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0].status, 400);

  // Content-Length with Transfer-Encoding (a smuggling shape): refused, connection closed.
  RawResponse smuggle = send_raw(port(),
                                 "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                                 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_TRUE(smuggle.closed);
  parsed = parse_responses(smuggle.data);
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0].status, 400);

  RawResponse two = send_raw(port(),
                             "GET /orders/1 HTTP/1.1\r\nHost: x\r\n\r\n"
                             "GET /orders/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(two.closed);
  parsed = parse_responses(two.data);
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(json::parse(parsed[1].body)["id"], 2);

  auto partial = parse_responses("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  ASSERT_EQ(partial.size(), 1u);
  EXPECT_FALSE(partial[0].ok());
  auto until_close = parse_responses("HTTP/1.1 200 OK\r\n\r\nto the end");
  ASSERT_EQ(until_close.size(), 1u);
  EXPECT_EQ(until_close[0].body, "to the end");
}

TEST_F(HttpTestClient, Ports) {
  int free = free_port();
  EXPECT_GT(free, 0);
  EXPECT_FALSE(wait_for_port(free, 100));
  EXPECT_FALSE(request(free, "GET", "/", {}, {}, 500).ok());
  EXPECT_TRUE(wait_for_port(port(), 1000));
}

TEST(TestBackendProcess, SigtermExitsZero) {
  TestBackend backend;
  EXPECT_EQ(request(backend.port(), "GET", "/orders").status, 200);
  EXPECT_EQ(backend.stop(), 0);
  EXPECT_EQ(backend.stop(), -1);
}

}  // namespace
}  // namespace tandem::testing
