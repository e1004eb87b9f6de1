// tandem_test_backend: a backend that implements only head (2026-01-01) of the orders API of
// examples/gateway/api.yaml, in memory, plus a few endpoints the gateway tests use to see what
// the upstream received and to make the upstream misbehave on purpose.
//
//   tandem_test_backend --port N     (0: any free port) prints "listening <port>" once it accepts
//
// Boost.Beast, synchronous, one thread per connection, HTTP/1.1 keep-alive. SIGTERM/SIGINT exit 0.
//
//   GET /orders              200 {"data":[…],"has_more":false}
//   POST /orders             head shape only, strictly (old field names are a 400) → 201 order
//   GET|PUT|DELETE /orders/{id}   order / replaced order / 204; 404 {"error":{"type":"not_found"}}
//   /echo (any method)       200 {"method","target","headers":{lowercase: value},"body":"<raw>"}
//   /slow?ms=N               sleeps N ms (at most 60 s), then 200 {}
//   /chunked?n=N             the orders list, Transfer-Encoding: chunked, in N chunks (default 4)
//   /big?kb=N                {"data":[…orders…]} of about N KB (at most 64 MB)
//   /close                   200 {} with Connection: close, then closes
//   /status/{code}           that status (0..99, 200..999) with
//   {"error":{"type":"status","code":N}} GET /stats               {"connections":accepted TCP
//   connections,"requests":requests served
//                            (this one included)} — to see that the gateway reuses connections

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
// Insertion order kept, so orders print "id" first as the seeds show them.
using json = nlohmann::ordered_json;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

constexpr std::size_t kMaxBody = 64 * 1024 * 1024;
constexpr std::size_t kMaxHeader = 64 * 1024;
constexpr long kMaxSleepMs = 60'000;
constexpr long kMaxBigKb = 64 * 1024;

std::atomic<std::uint64_t> g_connections{0};
std::atomic<std::uint64_t> g_requests{0};

// The orders, keyed by id; each stored in head's shape.
class OrderStore {
 public:
  OrderStore() {
    add(json{{"total_amount", 1250},
             {"currency", "USD"},
             {"status", "settled"},
             {"notes", "leave at the door"},
             {"items", json::array({{{"sku", "A1"}, {"unit_price", 500}},
                                    {{"sku", "B2"}, {"unit_price", 750}}})}});
    add(json{{"total_amount", 999},
             {"currency", "EUR"},
             {"status", "pending"},
             {"notes", ""},
             {"items", json::array({{{"sku", "C3"}, {"unit_price", 999}}})}});
    add(json{{"total_amount", 4000},
             {"currency", "USD"},
             {"status", "refunded"},
             {"notes", "gift"},
             {"items", json::array({{{"sku", "A1"}, {"unit_price", 500}},
                                    {{"sku", "D4"}, {"unit_price", 3500}}})}});
  }

  json list() const {
    std::lock_guard lock(mu_);
    json data = json::array();
    for (const auto& [id, order] : orders_) data.push_back(order);
    return data;
  }
  std::optional<json> get(std::int64_t id) const {
    std::lock_guard lock(mu_);
    auto it = orders_.find(id);
    if (it == orders_.end()) return std::nullopt;
    return it->second;
  }
  json add(json order) {
    std::lock_guard lock(mu_);
    std::int64_t id = next_id_++;
    return orders_[id] = with_id(id, std::move(order));
  }
  std::optional<json> replace(std::int64_t id, json order) {
    std::lock_guard lock(mu_);
    auto it = orders_.find(id);
    if (it == orders_.end()) return std::nullopt;
    return it->second = with_id(id, std::move(order));
  }
  bool remove(std::int64_t id) {
    std::lock_guard lock(mu_);
    return orders_.erase(id) > 0;
  }

 private:
  static json with_id(std::int64_t id, json order) {
    json out = json::object();
    out["id"] = id;
    for (auto& [k, v] : order.items()) out[k] = std::move(v);
    return out;
  }

  mutable std::mutex mu_;
  std::map<std::int64_t, json> orders_;
  std::int64_t next_id_ = 1;
};

OrderStore g_store;

// Head's order shape, strictly: an old version's field (total, note, legacy_code,
// items[].price) is an error, as is an unknown field — so a test sees any transform the gateway
// forgot to apply. Returns the error message, "" when valid.
std::string validate_order(const json& o) {
  if (!o.is_object()) return "the body must be a JSON object";
  for (const char* old : {"total", "note", "legacy_code"}) {
    if (o.contains(old)) return std::string("unknown field '") + old + "' (not in 2026-01-01)";
  }
  for (const auto& [k, v] : o.items()) {
    if (k != "id" && k != "total_amount" && k != "currency" && k != "status" && k != "notes" &&
        k != "items") {
      return "unknown field '" + k + "'";
    }
  }
  if (!o.contains("total_amount") || !o["total_amount"].is_number_integer()) {
    return "'total_amount' must be an integer (minor units)";
  }
  if (!o.contains("currency") || !o["currency"].is_string()) return "'currency' must be a string";
  if (!o.contains("status") || !o["status"].is_string()) return "'status' must be a string";
  const auto& status = o["status"].get_ref<const std::string&>();
  if (status != "settled" && status != "pending" && status != "refunded") {
    return "'status' must be one of settled, pending, refunded";
  }
  if (o.contains("notes") && !o["notes"].is_string() && !o["notes"].is_null()) {
    return "'notes' must be a string";
  }
  if (o.contains("items")) {
    if (!o["items"].is_array()) return "'items' must be an array";
    for (const auto& item : o["items"]) {
      if (!item.is_object()) return "'items[]' must be objects";
      if (item.contains("price")) return "unknown field 'items[].price' (not in 2026-01-01)";
      for (const auto& [k, v] : item.items()) {
        if (k != "sku" && k != "unit_price") return "unknown field 'items[]." + k + "'";
      }
      if (!item.contains("sku") || !item["sku"].is_string()) {
        return "'items[].sku' must be a string";
      }
      if (!item.contains("unit_price") || !item["unit_price"].is_number_integer()) {
        return "'items[].unit_price' must be an integer (minor units)";
      }
    }
  }
  return "";
}

// JSON text that never throws: invalid UTF-8 becomes U+FFFD.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json error_body(std::string_view type, std::string_view message = "") {
  json e = {{"type", std::string(type)}};
  if (!message.empty()) e["message"] = std::string(message);
  return json{{"error", std::move(e)}};
}

Response make_response(const Request& req, http::status status, const std::string& body) {
  Response res{status, req.version()};
  res.set(http::field::server, "tandem-test-backend");
  res.keep_alive(req.keep_alive());
  if (status != http::status::no_content && status != http::status::not_modified) {
    res.set(http::field::content_type, "application/json");
    res.body() = body;
  }
  res.prepare_payload();
  return res;
}

Response json_response(const Request& req, http::status status, const json& body) {
  return make_response(req, status, dump(body));
}

// Parses a whole decimal number; nullopt for anything else.
std::optional<long> parse_long(std::string_view s) {
  long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// The value of `key` in a query string ("a=1&b=2"), nullopt when absent.
std::optional<std::string_view> query_param(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == key) {
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

long clamp_param(std::string_view query, std::string_view key, long fallback, long max) {
  auto v = query_param(query, key);
  std::optional<long> n = v ? parse_long(*v) : std::nullopt;
  return std::clamp(n.value_or(fallback), 0L, max);
}

Response method_not_allowed(const Request& req, std::string_view allow) {
  Response res = json_response(req, http::status::method_not_allowed,
                               error_body("method_not_allowed", "allowed: " + std::string(allow)));
  res.set(http::field::allow, allow);
  return res;
}

Response handle_orders(const Request& req) {
  if (req.method() == http::verb::get || req.method() == http::verb::head) {
    return json_response(req, http::status::ok,
                         json{{"data", g_store.list()}, {"has_more", false}});
  }
  if (req.method() != http::verb::post) return method_not_allowed(req, "GET, HEAD, POST");
  json body = json::parse(req.body(), nullptr, false);
  if (body.is_discarded()) {
    return json_response(req, http::status::bad_request,
                         error_body("invalid_request", "the body is not JSON"));
  }
  if (std::string problem = validate_order(body); !problem.empty()) {
    return json_response(req, http::status::bad_request, error_body("invalid_request", problem));
  }
  body.erase("id");
  return json_response(req, http::status::created, g_store.add(std::move(body)));
}

Response handle_order(const Request& req, std::string_view id_text) {
  std::optional<long> id = parse_long(id_text);
  auto not_found = [&] {
    return json_response(req, http::status::not_found, error_body("not_found"));
  };
  if (!id) return not_found();
  switch (req.method()) {
    case http::verb::get:
    case http::verb::head: {
      auto order = g_store.get(*id);
      return order ? json_response(req, http::status::ok, *order) : not_found();
    }
    case http::verb::put: {
      json body = json::parse(req.body(), nullptr, false);
      if (body.is_discarded()) {
        return json_response(req, http::status::bad_request,
                             error_body("invalid_request", "the body is not JSON"));
      }
      if (std::string problem = validate_order(body); !problem.empty()) {
        return json_response(req, http::status::bad_request,
                             error_body("invalid_request", problem));
      }
      body.erase("id");
      auto order = g_store.replace(*id, std::move(body));
      return order ? json_response(req, http::status::ok, *order) : not_found();
    }
    case http::verb::delete_:
      return g_store.remove(*id) ? make_response(req, http::status::no_content, "") : not_found();
    default:
      return method_not_allowed(req, "GET, HEAD, PUT, DELETE");
  }
}

Response handle_echo(const Request& req) {
  json headers = json::object();
  for (const auto& f : req) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string value(f.value());
    if (headers.contains(name)) {
      headers[name] = headers[name].get<std::string>() + ", " + value;
    } else {
      headers[name] = value;
    }
  }
  return json_response(req, http::status::ok,
                       json{{"method", std::string(req.method_string())},
                            {"target", std::string(req.target())},
                            {"headers", std::move(headers)},
                            {"body", req.body()}});
}

// About `kb` KB of head-shaped orders.
std::string big_body(long kb) {
  const std::size_t want = static_cast<std::size_t>(kb) * 1024;
  std::string out = "{\"data\":[";
  for (long id = 1;; ++id) {
    if (id > 1) out += ',';
    out += dump(json{{"id", id},
                     {"total_amount", 1000 + id % 9000},
                     {"currency", id % 3 ? "USD" : "EUR"},
                     {"status", id % 5 ? "settled" : "pending"},
                     {"notes", "order " + std::to_string(id)},
                     {"items", json::array({{{"sku", "A1"}, {"unit_price", 500}},
                                            {{"sku", "B" + std::to_string(id % 100)},
                                             {"unit_price", 500 + id % 9000}}})}});
    if (out.size() + 2 >= want) break;
  }
  out += "]}";
  return out;
}

// big_body(kb), made once per size for up to 16 sizes of at most 1 MB.
std::string cached_big_body(long kb) {
  static std::mutex mu;
  static std::map<long, std::string> cache;
  if (kb > 1024) return big_body(kb);
  std::lock_guard lock(mu);
  auto it = cache.find(kb);
  if (it != cache.end()) return it->second;
  std::string body = big_body(kb);
  if (cache.size() < 16) cache.emplace(kb, body);
  return body;
}

// What the connection loop does after writing a response.
struct Reply {
  std::optional<Response> response;  // nullopt: already written (chunked)
  bool close = false;
};

// Writes the orders list as a chunked response in `n` chunks.
void write_chunked(tcp::socket& socket, const Request& req, long n) {
  std::string body = dump(json{{"data", g_store.list()}, {"has_more", false}});
  http::response<http::empty_body> res{http::status::ok, req.version()};
  res.set(http::field::server, "tandem-test-backend");
  res.set(http::field::content_type, "application/json");
  res.keep_alive(req.keep_alive());
  res.chunked(true);
  http::response_serializer<http::empty_body> sr{res};
  http::write_header(socket, sr);
  if (req.method() == http::verb::head) return;
  std::size_t step = (body.size() + n - 1) / static_cast<std::size_t>(n);
  for (std::size_t at = 0; at < body.size(); at += step) {
    std::string_view piece = std::string_view(body).substr(at, step);
    net::write(socket, http::make_chunk(net::const_buffer(piece.data(), piece.size())));
  }
  net::write(socket, http::make_chunk_last());
}

Reply handle(tcp::socket& socket, const Request& req) {
  std::string_view target(req.target().data(), req.target().size());
  auto q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);

  if (path == "/orders") return {handle_orders(req)};
  if (path.starts_with("/orders/")) return {handle_order(req, path.substr(8))};
  if (path == "/echo") return {handle_echo(req)};
  if (path == "/slow") {
    std::this_thread::sleep_for(
        std::chrono::milliseconds(clamp_param(query, "ms", 0, kMaxSleepMs)));
    return {make_response(req, http::status::ok, "{}")};
  }
  if (path == "/chunked") {
    write_chunked(socket, req, std::max(1L, clamp_param(query, "n", 4, 1000)));
    return {std::nullopt, !req.keep_alive()};
  }
  if (path == "/big") {
    return {make_response(req, http::status::ok,
                          cached_big_body(clamp_param(query, "kb", 100, kMaxBigKb)))};
  }
  if (path == "/close") {
    Response res = make_response(req, http::status::ok, "{}");
    res.keep_alive(false);
    return {std::move(res), true};
  }
  if (path.starts_with("/status/")) {
    std::optional<long> code = parse_long(path.substr(8));
    // 0..999: a backend that answers nonsense (000, 999) is part of what the gateway meets.
    if (!code || *code < 0 || *code > 999 || (*code >= 100 && *code < 200)) {
      return {json_response(req, http::status::bad_request,
                            error_body("invalid_request", "status must be 0..99 or 200..999"))};
    }
    return {make_response(req, static_cast<http::status>(*code),
                          dump(json{{"error", {{"type", "status"}, {"code", *code}}}}))};
  }
  if (path == "/stats") {
    return {json_response(
        req, http::status::ok,
        json{{"connections", g_connections.load()}, {"requests", g_requests.load()}})};
  }
  return {json_response(req, http::status::not_found, error_body("not_found"))};
}

// Answers a request the parser refused and closes: the stream is out of sync after it.
void refuse(tcp::socket& socket, http::status status, std::string_view message) {
  Response res{status, 11};
  res.set(http::field::server, "tandem-test-backend");
  res.set(http::field::content_type, "application/json");
  res.keep_alive(false);
  res.body() = dump(error_body("bad_request", message));
  res.prepare_payload();
  beast::error_code ec;
  http::write(socket, res, ec);
}

void serve(tcp::socket socket) {
  beast::error_code ec;
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeader);
    parser.body_limit(kMaxBody);
    http::read_header(socket, buffer, parser, ec);
    if (!ec && parser.get()[http::field::expect] == "100-continue") {
      http::response<http::empty_body> cont{http::status::continue_, 11};
      http::write(socket, cont, ec);
    }
    if (!ec && !parser.is_done()) http::read(socket, buffer, parser, ec);
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::connection_reset) {
      break;
    }
    if (ec == http::error::body_limit) {
      refuse(socket, http::status::payload_too_large, "body too large");
      break;
    }
    if (ec == http::error::header_limit) {
      refuse(socket, http::status::request_header_fields_too_large, "header too large");
      break;
    }
    if (ec) {
      if (buffer.size() > 0 || parser.got_some())
        refuse(socket, http::status::bad_request, ec.message());
      break;
    }
    Request req = parser.release();
    ++g_requests;
    Reply reply = handle(socket, req);
    if (reply.response) {
      if (req.method() == http::verb::head) {
        http::response_serializer<http::string_body> sr{*reply.response};
        http::write_header(socket, sr, ec);
      } else {
        http::write(socket, *reply.response, ec);
      }
      if (ec) break;
      reply.close = reply.close || !reply.response->keep_alive();
    }
    if (reply.close) break;
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
  socket.close(ec);
}

int usage() {
  std::fprintf(stderr, "usage: tandem_test_backend --port N   (0: any free port)\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  long port = -1;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--port" && i + 1 < argc) {
      auto p = parse_long(argv[++i]);
      if (!p || *p < 0 || *p > 65535) return usage();
      port = *p;
    } else {
      return usage();
    }
  }
  if (port < 0) return usage();

  // SIGTERM/SIGINT are taken by one thread (sigwait) and end the process with 0; every other
  // thread inherits the blocked mask. SIGPIPE: a peer that goes away is an error code, not a death.
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  std::thread([stop] {
    int sig = 0;
    sigwait(&stop, &sig);
    std::fflush(stdout);
    std::_Exit(0);
  }).detach();

  try {
    net::io_context ioc;
    tcp::acceptor acceptor(ioc);
    tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    acceptor.open(endpoint.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(net::socket_base::max_listen_connections);
    std::printf("listening %u\n", acceptor.local_endpoint().port());
    std::fflush(stdout);
    for (;;) {
      tcp::socket socket(ioc);
      beast::error_code ec;
      acceptor.accept(socket, ec);
      if (ec) {
        // EMFILE and friends: back off instead of spinning.
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      ++g_connections;
      socket.set_option(tcp::no_delay(true), ec);
      try {
        std::thread([s = std::move(socket)]() mutable {
          try {
            serve(std::move(s));
          } catch (const std::exception& e) {
            std::fprintf(stderr, "connection: %s\n", e.what());
          }
        }).detach();
      } catch (const std::system_error& e) {
        std::fprintf(stderr, "no thread for a connection: %s\n", e.what());
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tandem_test_backend: %s\n", e.what());
    return 1;
  }
}
