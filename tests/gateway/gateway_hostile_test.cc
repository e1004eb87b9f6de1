// Hostile clients against a real `tandem gateway`: request smuggling shapes, slowloris, bodies
// over the limit, garbage. Each is answered (or the connection closed) without a crash, the
// hidden request is never forwarded, and the gateway keeps serving.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "gateway/gateway_process.h"
#include "gateway/http_test_client.h"
#include "gateway/test_backend_process.h"

namespace tandem::testing {
namespace {

using nlohmann::json;

long long backend_requests(int port) {
  return json::parse(request(port, "GET", "/stats").body)["requests"].get<long long>();
}

class HostileTest : public ::testing::Test {
 protected:
  TestBackend backend;
  GatewayProcess gateway{orders_config() +
                             "timeouts: { header: 500ms, body: 1s }\n"
                             "limits: { max_request_body: 1MiB, max_header_size: 8KiB }\n",
                         backend.url()};

  void expect_still_serving() {
    HttpResponse r = request(gateway.port(), "GET", "/orders/1", {{"Api-Version", "2024-01-01"}});
    EXPECT_EQ(r.status, 200) << r.error;
  }
};

struct Shape {
  const char* name;
  std::string bytes;
  int status;  // the one answer; -1: any 4xx/5xx
};

TEST_F(HostileTest, SmugglingShapesAreRefusedWith400AndNothingHiddenIsForwarded) {
  const std::string hidden = "GET /orders/2 HTTP/1.1\r\nHost: x\r\nApi-Version: 2026-01-01\r\n\r\n";
  std::vector<Shape> shapes = {
      {"CL+TE",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n" +
           hidden,
       400},
      {"TE+CL",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: "
       "4\r\n\r\n0\r\n\r\n" +
           hidden,
       400},
      {"two equal CL",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello" +
           hidden,
       400},
      {"two different CL",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!" +
           hidden,
       400},
      {"CL list", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello" + hidden,
       400},
      {"TE gzip", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n" + hidden,
       400},
      {"TE chunked, x",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" +
           hidden,
       400},
      {"TE with space",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n" + hidden,
       400},
      {"bad chunk size",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
       "chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n" +
           hidden,
       400},
      {"chunk size overflow",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
       "chunked\r\n\r\nffffffffffffffffff\r\nx\r\n0\r\n\r\n" +
           hidden,
       400},
      {"bare LF in header",
       "GET /echo HTTP/1.1\r\nHost: x\r\nX-A: 1\nContent-Length: 30\r\n\r\n" + hidden, 400},
      {"bare CR in header",
       "GET /echo HTTP/1.1\r\nHost: x\r\nX-A: 1\rContent-Length: 30\r\n\r\n" + hidden, 400},
      {"no Host", "GET /orders HTTP/1.1\r\nApi-Version: 2026-01-01\r\n\r\n", 400},
      {"two Hosts", "GET /orders HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"absolute-form", "GET http://evil/orders HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", -1},
      {"TLS hello", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15), -1},
      {"NUL in header", std::string("GET /echo HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", 39), 400},
  };
  long long before = backend_requests(backend.port());
  for (const Shape& s : shapes) {
    SCOPED_TRACE(s.name);
    RawResponse raw = send_raw(gateway.port(), s.bytes, 3000);
    std::vector<HttpResponse> answers = parse_responses(raw.data);
    ASSERT_FALSE(answers.empty()) << "no answer at all";
    if (s.status < 0) {
      EXPECT_GE(answers[0].status, 400) << raw.data.substr(0, 300);
    } else {
      EXPECT_EQ(answers[0].status, s.status) << raw.data.substr(0, 300);
    }
    EXPECT_EQ(answers.size(), 1u) << "a second answer: the hidden request was handled";
    EXPECT_TRUE(raw.closed) << "a connection after a malformed message must be closed";
  }
  EXPECT_EQ(backend_requests(backend.port()), before + 1);  // the /stats call only
  expect_still_serving();
}

TEST_F(HostileTest, SlowlorisIsCutOffByTheHeaderTimeout) {
  auto t0 = std::chrono::steady_clock::now();
  Connection c(gateway.port(), 5000);
  ASSERT_TRUE(c.connected());
  // A header that trickles in, one byte every 100 ms: the 500 ms head deadline ends it.
  std::string head = "GET /orders HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  bool cut = false;
  for (char ch : head) {
    if (!c.send_raw(std::string(1, ch))) {
      cut = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (c.closed_by_peer(0)) {
      cut = true;
      break;
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(cut || c.closed_by_peer(1000));
  EXPECT_LT(seconds, 3.0);
  expect_still_serving();
}

TEST_F(HostileTest, AnIdleConnectionIsNotAHeaderTimeout) {
  // Keep-alive: the wait for the next request is the idle timeout (60 s), not the head's 500 ms.
  Connection c(gateway.port());
  ASSERT_EQ(c.request("GET", "/orders/1", {{"Api-Version", "2026-01-01"}}).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(900));
  EXPECT_EQ(c.request("GET", "/orders/2", {{"Api-Version", "2026-01-01"}}).status, 200);
}

TEST_F(HostileTest, BodiesOverTheLimitAre413AndNeverForwarded) {
  long long before = backend_requests(backend.port());
  std::string big(10 * 1024 * 1024, 'a');
  HttpResponse r =
      request(gateway.port(), "POST", "/echo", {{"Api-Version", "2026-01-01"}}, big, 10000);
  // Answered 413 — or, if the gateway closed while the client was still writing, no answer.
  if (r.status != 0) {
    EXPECT_EQ(r.status, 413);
  }
  RawResponse declared =
      send_raw(gateway.port(),
               "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\nabc", 3000);
  auto answers = parse_responses(declared.data);
  ASSERT_FALSE(answers.empty());
  EXPECT_EQ(answers[0].status, 413);
  std::string header(9000, 'h');
  HttpResponse big_header = request(gateway.port(), "GET", "/orders", {{"X-Big", header}});
  EXPECT_EQ(big_header.status, 431);
  EXPECT_EQ(backend_requests(backend.port()), before + 1);
  expect_still_serving();
}

// Beast's header_limit let a head of many short fields through at three times the limit; the
// server counts the head's bytes itself.
TEST_F(HostileTest, AHeadOfManyShortFieldsOverTheLimitIs431) {
  long long before = backend_requests(backend.port());
  std::string head = "GET /orders HTTP/1.1\r\nHost: x\r\nApi-Version: 2026-01-01\r\n";
  for (int i = 0; i < 4000; ++i) head += "A: b\r\n";
  head += "\r\n";
  RawResponse raw = send_raw(gateway.port(), head, 3000);
  auto answers = parse_responses(raw.data);
  ASSERT_EQ(answers.size(), 1u) << raw.data.substr(0, 300);
  EXPECT_EQ(answers[0].status, 431);
  EXPECT_EQ(backend_requests(backend.port()), before + 1);
  expect_still_serving();
}

// Beast appends a chunked body's trailer fields to the head's, after the head was checked: a
// second Host or a forged client id would reach the backend. Trailers are dropped.
TEST_F(HostileTest, RequestTrailersNeverReachTheUpstream) {
  RawResponse raw = send_raw(gateway.port(),
                             "POST /echo HTTP/1.1\r\nHost: x\r\nApi-Version: 2026-01-01\r\n"
                             "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                             "2\r\n{}\r\n0\r\nHost: evil.example\r\nX-Trailer-Client: forged\r\n"
                             "Authorization: Bearer forged\r\n\r\n",
                             3000);
  auto answers = parse_responses(raw.data);
  ASSERT_EQ(answers.size(), 1u) << raw.data;
  ASSERT_EQ(answers[0].status, 200) << answers[0].body;
  EXPECT_EQ(answers[0].body.find("evil.example"), std::string::npos) << answers[0].body;
  EXPECT_EQ(answers[0].body.find("forged"), std::string::npos) << answers[0].body;
}

// Every Connection field counts, tokens split on commas and trimmed of spaces and tabs: what
// they list is hop-by-hop and never forwarded; a `close` in any of them closes.
// Resident memory of a process, in KiB (from /proc).
long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// Streams `total` bytes of `filler` after `head` on one connection, as fast as the peer takes
// them; returns once the peer closed or everything was sent.
bool stream_until_closed(int port, const std::string& head, char filler, size_t total) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return false;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  bool closed = false;
  if (send(fd, head.data(), head.size(), MSG_NOSIGNAL) < 0) closed = true;
  std::string chunk(64 * 1024, filler);
  for (size_t sent = 0; !closed && sent < total; sent += chunk.size())
    closed = send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) < 0;
  ::close(fd);
  return closed;
}

TEST_F(HostileTest, EndlessChunkLinesAreCutOffNotBuffered) {
  long before = rss_kib(gateway.pid());
  ASSERT_GT(before, 0);
  // A chunk extension, a chunk-size line of zeros and a trailer that never end: each is cut
  // off at the bounded read buffer (the peer sees the connection close) instead of growing the
  // gateway by the 64 MiB sent.
  const std::string head =
      "POST /echo HTTP/1.1\r\nHost: x\r\nApi-Version: 2026-01-01\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  EXPECT_TRUE(stream_until_closed(gateway.port(), head + "3;a=", 'b', 64u << 20));
  EXPECT_TRUE(stream_until_closed(gateway.port(), head, '0', 64u << 20));
  EXPECT_TRUE(stream_until_closed(gateway.port(), head + "0\r\nX-T: ", 'a', 64u << 20));
  long after = rss_kib(gateway.pid());
  EXPECT_LT(after - before, 32 * 1024) << "RSS grew from " << before << " to " << after << " KiB";
  // The refusal is a 400 when the client reads it.
  RawResponse raw = send_raw(gateway.port(), head + "3;" + std::string(200 * 1024, 'e'), 3000);
  auto answers = parse_responses(raw.data);
  if (!answers.empty()) {
    EXPECT_EQ(answers[0].status, 400) << raw.data;
  }
  EXPECT_TRUE(raw.closed || !raw.error.empty());
  // And it still serves.
  HttpResponse ok = request(gateway.port(), "GET", "/orders/1", {{"Api-Version", "2026-01-01"}});
  EXPECT_EQ(ok.status, 200);
}

TEST_F(HostileTest, StatusesOutsideHttpAreBadGateway) {
  for (const char* target : {"/status/0", "/status/999"}) {
    HttpResponse r = request(gateway.port(), "GET", target, {{"Api-Version", "2026-01-01"}});
    EXPECT_EQ(r.status, 502) << target << ": " << r.body;
    EXPECT_NE(r.body.find("outside 100-599"), std::string::npos) << r.body;
  }
  EXPECT_EQ(request(gateway.port(), "GET", "/status/418", {{"Api-Version", "2026-01-01"}}).status,
            418);
}

TEST_F(HostileTest, TheUpstreamAlwaysGetsOneHost) {
  // HTTP/1.0 without Host, and a Connection header naming Host: the upstream still gets one.
  for (const char* bytes :
       {"GET /echo HTTP/1.0\r\nApi-Version: 2026-01-01\r\n\r\n",
        "GET /echo HTTP/1.1\r\nHost: shop.example\r\nConnection: Host, close\r\n"
        "Api-Version: 2026-01-01\r\n\r\n"}) {
    RawResponse raw = send_raw(gateway.port(), bytes, 3000);
    auto answers = parse_responses(raw.data);
    ASSERT_EQ(answers.size(), 1u) << raw.data;
    ASSERT_EQ(answers[0].status, 200) << answers[0].body;
    EXPECT_NE(answers[0].body.find("\"host\""), std::string::npos) << answers[0].body;
  }
}

TEST_F(HostileTest, EveryConnectionFieldIsHonoured) {
  RawResponse raw = send_raw(gateway.port(),
                             "GET /echo HTTP/1.1\r\nHost: x\r\nApi-Version: 2026-01-01\r\n"
                             "Connection: keep-alive\r\nConnection: X-Secret,\tX-Other\r\n"
                             "Connection: foo\r\nConnection: close\r\n"
                             "X-Secret: s1\r\nX-Other: s2\r\nX-Kept: k\r\n\r\n",
                             3000);
  auto answers = parse_responses(raw.data);
  ASSERT_EQ(answers.size(), 1u) << raw.data;
  EXPECT_EQ(answers[0].status, 200);
  EXPECT_EQ(answers[0].body.find("s1"), std::string::npos) << answers[0].body;
  EXPECT_EQ(answers[0].body.find("s2"), std::string::npos) << answers[0].body;
  EXPECT_NE(answers[0].body.find("x-kept"), std::string::npos) << answers[0].body;
  EXPECT_FALSE(answers[0].keep_alive);
  EXPECT_TRUE(raw.closed);
}

TEST_F(HostileTest, ChunkedRequestsAreReframedForTheUpstream) {
  RawResponse raw = send_raw(gateway.port(),
                             "POST /echo HTTP/1.1\r\nHost: x\r\nApi-Version: 2026-01-01\r\n"
                             "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                             "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
                             3000);
  auto answers = parse_responses(raw.data);
  ASSERT_EQ(answers.size(), 1u);
  ASSERT_EQ(answers[0].status, 200) << raw.data;
  json echo = json::parse(answers[0].body);
  EXPECT_EQ(echo["body"], "hello world");
  EXPECT_EQ(echo["headers"]["content-length"], "11");
  EXPECT_FALSE(echo["headers"].contains("transfer-encoding"));
  // A chunked answer from the upstream reaches the client whole.
  HttpResponse chunked =
      request(gateway.port(), "GET", "/chunked", {{"Api-Version", "2026-01-01"}});
  EXPECT_EQ(chunked.status, 200);
  EXPECT_FALSE(json::parse(chunked.body, nullptr, false).is_discarded()) << chunked.body;
}

TEST_F(HostileTest, ManyConnectionsAndAbruptClosesLeaveItServing) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        // Half a request, then gone.
        send_raw(gateway.port(),
                 "POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"to", 50);
        if ((i + t) % 3 == 0)
          request(gateway.port(), "GET", "/orders", {{"Api-Version", "2024-01-01"}});
      }
    });
  }
  for (auto& th : threads) th.join();
  expect_still_serving();
}

}  // namespace
}  // namespace tandem::testing
