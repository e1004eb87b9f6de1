// The admin API when the state database fails or hangs (src/gateway/admin_api.h): the request
// is answered 503 problem+json within the timeout, on the caller's io_context, which a stuck
// database never blocks.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "gateway/admin_api.h"

namespace tandem::gateway {
namespace {

using Clock = std::chrono::steady_clock;

Config minimal(const std::string& state) {
  Config c;
  c.state = state;
  ApiVersion v;
  v.name = "2026-01-01";
  c.versions = {v};
  return c;
}

// Answers `target` with `method` on a fresh io_context; returns the response and how long it took.
std::pair<http::Response, Clock::duration> ask(AdminApi& api, http::bhttp::verb method,
                                               const std::string& target) {
  http::asio::io_context io;
  http::Request req{method, target, 11};
  http::Response out;
  http::asio::co_spawn(
      io, [&]() -> http::Task<void> { out = co_await api.handle(req); }, http::asio::detached);
  auto start = Clock::now();
  io.run();
  return {std::move(out), Clock::now() - start};
}

std::string type_of(const http::Response& r) {
  auto j = nlohmann::json::parse(r.body(), nullptr, false);
  if (j.is_discarded()) return "";
  std::string t = j.value("type", "");
  return t.substr(t.rfind('/') + 1);
}

TEST(AdminApi, AStateDatabaseThatRefusesIsA503WithoutItsPassword) {
  Config c = minimal("postgres://tandem:secret-pw@127.0.0.1:1/none");
  ShadowTally shadows(c);
  AdminApi api(c, shadows, AdminApiOptions{});
  api.start();
  auto [r, took] = ask(api, http::bhttp::verb::get, "/api/status");
  EXPECT_EQ(r.result_int(), 503) << r.body();
  EXPECT_EQ(type_of(r), "state-unavailable");
  EXPECT_EQ(r[http::bhttp::field::content_type], "application/problem+json");
  EXPECT_EQ(r.body().find("secret-pw"), std::string::npos) << r.body();
  // Not a route, a method: answered without the database.
  EXPECT_EQ(ask(api, http::bhttp::verb::get, "/api/nothing").first.result_int(), 404);
  auto [m, unused] = ask(api, http::bhttp::verb::delete_, "/api/status");
  EXPECT_EQ(m.result_int(), 405);
  EXPECT_EQ(m[http::bhttp::field::allow], "GET, HEAD");
}

TEST(AdminApi, AHangingStateDatabaseIsA503WithinTheTimeout) {
  // A server that accepts connections and never says a word.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  Config c = minimal("postgres://tandem@127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) +
                     "/none?connect_timeout=30");
  ShadowTally shadows(c);
  AdminApiOptions options;
  options.timeout = std::chrono::milliseconds(300);
  options.token = "0123456789abcdef0123";
  AdminApi api(c, shadows, options);
  api.start();
  for (int i = 0; i < 2; ++i) {  // the second waits for the same stuck read
    auto [r, took] = ask(api, http::bhttp::verb::get, "/api/status");
    EXPECT_EQ(r.result_int(), 503) << r.body();
    EXPECT_EQ(type_of(r), "state-unavailable");
    EXPECT_NE(r.body().find("did not answer within 300 ms"), std::string::npos) << r.body();
    EXPECT_LT(took, std::chrono::seconds(2));
  }
  // The end of the hang: the connection is refused, the thread's read fails and stop() returns.
  close(fd);
}

}  // namespace
}  // namespace tandem::gateway
