// A gateway admin listener's client (serve/admin_client.h).

#include "serve/admin_client.h"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <optional>

#include "http/http.h"

namespace tandem::serve {

namespace asio = http::asio;
namespace beast = http::beast;
namespace bhttp = http::bhttp;
using tcp = http::tcp;

Result<AdminUrl> parse_admin_url(const std::string& url) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidInput(fmt::format("--gateway-admin `{}`: {}", url, why),
                                "give a gateway's admin listener, e.g. http://127.0.0.1:9090 "
                                "(its `admin:` in the gateway config)");
  };
  constexpr std::string_view kScheme = "http://";
  if (url.size() > 2048) return bad("too long");
  if (url.compare(0, kScheme.size(), kScheme) != 0) return bad("only http:// is read");
  std::string rest = url.substr(kScheme.size());
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find('/') != std::string::npos || rest.find('@') != std::string::npos ||
      rest.find('?') != std::string::npos)
    return bad("give only the scheme, host and port");
  AdminUrl out;
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon + 1 == rest.size()) return bad("the port is missing");
  out.host = rest.substr(0, colon);
  out.port = rest.substr(colon + 1);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  if (out.host.empty()) return bad("the host is missing");
  for (char c : out.host)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return bad("the host holds a space");
  if (out.port.size() > 5 || out.port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(out.port) < 1 || std::stoi(out.port) > 65535)
    return bad("the port is not 1-65535");
  out.text = std::string(kScheme) + rest;
  return out;
}

Result<AdminAnswer> call_admin(const AdminUrl& url, const AdminCall& call) {
  asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  bhttp::request<bhttp::string_body> req{
      call.method == "POST" ? bhttp::verb::post : bhttp::verb::get, call.path, 11};
  req.set(bhttp::field::host, url.host + ":" + url.port);
  req.set(bhttp::field::user_agent, "tandem-serve");
  req.set(bhttp::field::accept, "application/json");
  if (!call.token.empty()) req.set(bhttp::field::authorization, "Bearer " + call.token);
  if (call.method == "POST") {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = call.body;
  }
  req.keep_alive(false);
  req.prepare_payload();
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(call.max_bytes);
  parser.header_limit(64 * 1024);
  auto deadline = std::chrono::steady_clock::now() + call.timeout;

  std::optional<std::string> failed;  // what went wrong, when it did
  bool done = false;
  auto fail = [&](const char* step, const beast::error_code& ec) {
    failed = fmt::format("{}: {}", step, ec.message());
  };
  resolver.async_resolve(
      url.host, url.port, [&](beast::error_code ec, tcp::resolver::results_type results) {
        if (ec) return fail("resolve", ec);
        stream.expires_at(deadline);
        stream.async_connect(results, [&](beast::error_code ec, const tcp::endpoint&) {
          if (ec) return fail("connect", ec);
          bhttp::async_write(stream, req, [&](beast::error_code ec, size_t) {
            if (ec) return fail("send", ec);
            bhttp::async_read(stream, buffer, parser, [&](beast::error_code ec, size_t) {
              if (ec) return fail("read", ec);
              done = true;
            });
          });
        });
      });
  // The resolver has no deadline of its own: the loop's.
  io.run_for(call.timeout + std::chrono::milliseconds(50));
  if (!done && !failed) failed = fmt::format("no answer within {} ms", call.timeout.count());
  if (failed)
    return Status::InvalidInput(fmt::format("gateway admin {}: {}", url.text, *failed),
                                "is the gateway running with `admin:` on that address?");
  AdminAnswer out;
  out.status = static_cast<int>(parser.get().result_int());
  out.content_type = std::string(parser.get()[bhttp::field::content_type]);
  out.body = std::move(parser.get().body());
  return out;
}

}  // namespace tandem::serve
