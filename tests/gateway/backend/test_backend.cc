// tandem_test_backend: a backend that implements only head (2026-01-01) of the orders API of
// examples/gateway/api.yaml, in memory, plus a few endpoints the gateway tests use to see what
// the upstream received and to make the upstream misbehave on purpose.
//
// Boost.Beast, synchronous, one thread per connection, HTTP/1.1 keep-alive. SIGTERM/SIGINT exit 0
// at once, whatever the connection threads are doing (waiting for a slot, hanging, sleeping).
//
// Options (all but --port optional; without them it behaves as it always did):
//   --port N             listen on 127.0.0.1:N (0: any free port); prints "listening <port>" once
//                        it accepts
//   --name NAME          every response carries "X-Backend: NAME", so a test sees which target
//                        answered
//   --capacity N         the limited routes (the orders routes and /work) are worked on at most N
//                        at a time; the others wait for a slot in arrival order (0: no limit)
//   --work-ms M          each request to a limited route sleeps M ms while it holds its slot
//                        (at most 60 s; default 0), so beyond N concurrent requests latency grows
//   --error-rate P       0..1: that share of the requests to the limited routes answers
//                        500 {"error":{"type":"injected"}} at once, without taking a slot.
//                        Deterministic: request k (counted over the limited routes from 1) fails
//                        when floor(k*P) != floor((k-1)*P), so exactly P of every 1/P fail
//   --plant PATH=JSON    GET and HEAD answers of the orders routes carry JSON at the dotted PATH
//                        of every order (intermediate objects are made, arrays are walked:
//                        'currency="GBP"', 'items.sku="X"'); the store is unchanged. Repeatable
//   --health-path PATH   where the health endpoint is (default /healthz)
//
// Endpoints:
//   GET /orders              200 {"data":[…],"has_more":false}
//   POST /orders             head shape only, strictly (old field names are a 400) → 201 order
//   GET|PUT|DELETE /orders/{id}   order / replaced order / 204; 404 {"error":{"type":"not_found"}}
//   /work?ms=N               (any method) 200 {"ok":true} after N ms (default --work-ms) in a slot
//   GET /healthz             200 {"status":"ok"} (the path --health-path names)
//   /echo (any method)       200 {"method","target","headers":{lowercase: value},"body":"<raw>"}
//   /slow?ms=N               sleeps N ms (at most 60 s), then 200 {}
//   /chunked?n=N             the orders list, Transfer-Encoding: chunked, in N chunks (default 4)
//   /big?kb=N                {"data":[…orders…]} of about N KB (at most 64 MB)
//   /close                   200 {} with Connection: close, then closes
//   /status/{code}           that status (0..99, 200..999), {"error":{"type":"status","code":N}}
//   GET /stats               {"connections": accepted TCP connections,
//                             "requests": requests received (this one included),
//                             "by_path": {path: requests received} for /orders, each /orders/{id}
//                                        as it was asked (/orders/1), /work and /healthz,
//                             "in_flight": requests now in a slot or waiting for one,
//                             "max_in_flight": the most there were at once}
//                            — to see that the gateway reuses connections, and who got what
//   GET /_fault              200 {"mode":"<current mode>"}
//   POST /_fault             {"mode":M,"ms":N,"status":S} switches the fault mode at run time (ms
//                            default 1000, at most 60 s; status default 503, 200..599);
//                            200 {"mode":M}, 400 for anything else
//
// Fault modes. They act on every request but those to /_fault and /stats, after it is read and
// counted (so /stats shows what reached a faulty backend):
//   ok      normal behaviour
//   error   every request answers S with {"error":{"type":"fault","mode":"error"}}; /healthz too
//   reset   every request's connection is reset (SO_LINGER 0, then close: an RST) without an
//           answer; /healthz answers 503 {"error":{"type":"fault","mode":"reset"}} (the process
//           is up and says it is sick)
//   down    as reset, and /healthz is reset too (the backend is gone)
//   hang    no answer; the connection stays open until the mode is no longer hang or 60 s pass,
//           then closes (FIN) without an answer; /healthz hangs too
//   slow    every request waits N ms, then is served normally; /healthz too (then 200)

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
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
#include <vector>

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

// A field --plant sets in every order the orders routes answer to GET and HEAD.
struct Plant {
  std::vector<std::string> path;  // the dotted PATH, split at the dots
  json value;
};

// The command line's options beyond --port; main fills them before the first connection.
struct Options {
  std::string name;   // X-Backend; "" sends none
  long capacity = 0;  // 0: no limit
  long work_ms = 0;
  double error_rate = 0;
  std::vector<Plant> plants;
  std::string health_path = "/healthz";
};

Options g_options;

// The routes under the capacity limit and the error rate.
bool is_limited(std::string_view path) {
  return path == "/orders" || path.starts_with("/orders/") || path == "/work";
}

// Requests received per path, for /stats: the limited routes and the health endpoint.
class PathCounts {
 public:
  void count(std::string_view path) {
    if (!is_limited(path) && path != g_options.health_path) return;
    std::lock_guard lock(mu_);
    ++counts_[std::string(path)];
  }
  json snapshot() const {
    std::lock_guard lock(mu_);
    // The fixed paths are always there, so a test can read them before any request.
    json out = json{{"/orders", 0}, {"/work", 0}, {g_options.health_path, 0}};
    for (const auto& [path, n] : counts_) out[path] = n;
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t> counts_;
};

PathCounts g_paths;

// A counting semaphore for the limited routes that admits waiters in arrival order, so latency
// beyond the limit grows in even steps of --work-ms.
class Capacity {
 public:
  // One slot, held from construction (after waiting for it) to destruction.
  class Slot {
   public:
    explicit Slot(Capacity& capacity) : capacity_(capacity) { capacity_.acquire(); }
    ~Slot() { capacity_.release(); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    Capacity& capacity_;
  };

  json stats() const {
    std::lock_guard lock(mu_);
    return json{{"in_flight", in_flight_}, {"max_in_flight", max_in_flight_}};
  }

 private:
  void acquire() {
    std::unique_lock lock(mu_);
    ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_, in_flight_);
    // Ticket t may enter once all but `limit - 1` of the tickets before it have left.
    const std::uint64_t ticket = next_ticket_++;
    cv_.wait(lock, [&] {
      return g_options.capacity <= 0 ||
             ticket < released_ + static_cast<std::uint64_t>(g_options.capacity);
    });
  }
  void release() {
    {
      std::lock_guard lock(mu_);
      ++released_;
      --in_flight_;
    }
    cv_.notify_all();
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t next_ticket_ = 0;
  std::uint64_t released_ = 0;
  long in_flight_ = 0;
  long max_in_flight_ = 0;
};

Capacity g_capacity;

// Whether this request to a limited route is one --error-rate fails.
bool inject_error() {
  static std::atomic<std::uint64_t> counter{0};
  const double p = g_options.error_rate;
  if (p <= 0) return false;
  const std::uint64_t k = ++counter;
  // The small addend keeps k*P from landing just below a whole number (90 * 0.7 = 62.99…).
  constexpr double kSlack = 1e-9;
  return std::floor(static_cast<double>(k) * p + kSlack) !=
         std::floor(static_cast<double>(k - 1) * p + kSlack);
}

// The runtime fault switch (POST /_fault).
enum class FaultMode { ok, error, reset, down, hang, slow };
constexpr std::array<std::string_view, 6> kFaultModeNames = {"ok",   "error", "reset",
                                                             "down", "hang",  "slow"};

std::string_view fault_mode_name(FaultMode mode) {
  return kFaultModeNames[static_cast<std::size_t>(mode)];
}

std::optional<FaultMode> parse_fault_mode(std::string_view name) {
  for (std::size_t i = 0; i < kFaultModeNames.size(); ++i) {
    if (kFaultModeNames[i] == name) return static_cast<FaultMode>(i);
  }
  return std::nullopt;
}

struct Fault {
  FaultMode mode = FaultMode::ok;
  long ms = 1000;         // slow: the delay
  unsigned status = 503;  // error: the status
};

class FaultSwitch {
 public:
  Fault get() const {
    std::lock_guard lock(mu_);
    return fault_;
  }
  void set(Fault fault) {
    std::lock_guard lock(mu_);
    fault_ = fault;
  }

 private:
  mutable std::mutex mu_;
  Fault fault_;
};

FaultSwitch g_fault;

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

// The headers every response carries: Server, and X-Backend when --name gives one.
template <class Body>
void stamp(http::response<Body>& res) {
  res.set(http::field::server, "tandem-test-backend");
  if (!g_options.name.empty()) res.set("X-Backend", g_options.name);
}

Response make_response(const Request& req, http::status status, const std::string& body) {
  Response res{status, req.version()};
  stamp(res);
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

// Sets `plant.value` at `plant.path[at..]` below `node`: missing or null objects on the way are
// made, arrays are walked element by element, anything else on the way is left alone.
void plant_at(json& node, const Plant& plant, std::size_t at) {
  if (node.is_array()) {
    for (json& element : node) plant_at(element, plant, at);
    return;
  }
  if (!node.is_object()) return;
  json& next = node[plant.path[at]];
  if (at + 1 == plant.path.size()) {
    next = plant.value;
    return;
  }
  if (next.is_null()) next = json::object();
  plant_at(next, plant, at + 1);
}

// The order (or array of orders) as GET answers it: with every --plant applied.
json planted(json orders) {
  for (const Plant& plant : g_options.plants) plant_at(orders, plant, 0);
  return orders;
}

Response handle_orders(const Request& req) {
  if (req.method() == http::verb::get || req.method() == http::verb::head) {
    return json_response(req, http::status::ok,
                         json{{"data", planted(g_store.list())}, {"has_more", false}});
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
      return order ? json_response(req, http::status::ok, planted(std::move(*order))) : not_found();
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
  stamp(res);
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

// A limited route: the error rate first, then the work in a slot, then the answer.
Response handle_limited(const Request& req, std::string_view path, std::string_view query) {
  if (inject_error()) {
    return json_response(req, http::status::internal_server_error, error_body("injected"));
  }
  const long work_ms = path == "/work" ? clamp_param(query, "ms", g_options.work_ms, kMaxSleepMs)
                                       : g_options.work_ms;
  Capacity::Slot slot(g_capacity);
  if (work_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(work_ms));
  if (path == "/work") return make_response(req, http::status::ok, R"({"ok":true})");
  if (path == "/orders") return handle_orders(req);
  return handle_order(req, path.substr(8));
}

Response handle_health(const Request& req) {
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    return method_not_allowed(req, "GET, HEAD");
  }
  return json_response(req, http::status::ok, json{{"status", "ok"}});
}

// GET shows the fault mode, POST {"mode","ms","status"} switches it.
Response handle_fault(const Request& req) {
  if (req.method() == http::verb::get || req.method() == http::verb::head) {
    return json_response(req, http::status::ok,
                         json{{"mode", std::string(fault_mode_name(g_fault.get().mode))}});
  }
  if (req.method() != http::verb::post) return method_not_allowed(req, "GET, HEAD, POST");
  auto invalid = [&](std::string_view message) {
    return json_response(req, http::status::bad_request, error_body("invalid_request", message));
  };
  json body = json::parse(req.body(), nullptr, false);
  if (!body.is_object()) return invalid("the body must be a JSON object");
  Fault fault;
  if (!body.contains("mode") || !body["mode"].is_string()) {
    return invalid("'mode' must be a string");
  }
  std::optional<FaultMode> mode = parse_fault_mode(body["mode"].get<std::string>());
  if (!mode) return invalid("'mode' must be one of ok, error, reset, down, hang, slow");
  fault.mode = *mode;
  if (body.contains("ms")) {
    if (!body["ms"].is_number_integer() || body["ms"].get<long>() < 0) {
      return invalid("'ms' must be a whole number of milliseconds");
    }
    fault.ms = std::min(body["ms"].get<long>(), kMaxSleepMs);
  }
  if (body.contains("status")) {
    if (!body["status"].is_number_integer() || body["status"].get<long>() < 200 ||
        body["status"].get<long>() > 599) {
      return invalid("'status' must be 200..599");
    }
    fault.status = body["status"].get<unsigned>();
  }
  g_fault.set(fault);
  return json_response(req, http::status::ok,
                       json{{"mode", std::string(fault_mode_name(fault.mode))}});
}

Reply handle(tcp::socket& socket, const Request& req, std::string_view path,
             std::string_view query) {
  if (is_limited(path)) return {handle_limited(req, path, query)};
  if (path == g_options.health_path) return {handle_health(req)};
  if (path == "/_fault") return {handle_fault(req)};
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
    json stats = {{"connections", g_connections.load()},
                  {"requests", g_requests.load()},
                  {"by_path", g_paths.snapshot()}};
    stats.update(g_capacity.stats());
    return {json_response(req, http::status::ok, stats)};
  }
  return {json_response(req, http::status::not_found, error_body("not_found"))};
}

// Answers a request the parser refused and closes: the stream is out of sync after it.
void refuse(tcp::socket& socket, http::status status, std::string_view message) {
  Response res{status, 11};
  stamp(res);
  res.set(http::field::content_type, "application/json");
  res.keep_alive(false);
  res.body() = dump(error_body("bad_request", message));
  res.prepare_payload();
  beast::error_code ec;
  http::write(socket, res, ec);
}

// What the fault switch makes of one request.
struct FaultAction {
  enum Kind { serve, answer, reset, hang } kind = serve;
  long delay_ms = 0;    // serve: wait this long first
  unsigned status = 0;  // answer: this status, with a fault error body naming `mode`
  FaultMode mode = FaultMode::ok;
};

FaultAction fault_action(std::string_view path) {
  if (path == "/_fault" || path == "/stats") return {};
  const Fault fault = g_fault.get();
  const bool health = path == g_options.health_path;
  switch (fault.mode) {
    case FaultMode::ok:
      return {};
    case FaultMode::error:
      return {FaultAction::answer, 0, fault.status, fault.mode};
    case FaultMode::reset:
      // The process is still there and says it is sick; down is the one where it is gone.
      return health ? FaultAction{FaultAction::answer, 0, 503, fault.mode}
                    : FaultAction{FaultAction::reset};
    case FaultMode::down:
      return {FaultAction::reset};
    case FaultMode::hang:
      return {FaultAction::hang};
    case FaultMode::slow:
      return {FaultAction::serve, fault.ms};
  }
  return {};
}

Response fault_response(const Request& req, const FaultAction& fault) {
  return json_response(
      req, static_cast<http::status>(fault.status),
      json{{"error", {{"type", "fault"}, {"mode", std::string(fault_mode_name(fault.mode))}}}});
}

// Ends the connection with an RST instead of a FIN: SO_LINGER on with a zero timeout, then close.
void reset_connection(tcp::socket& socket) {
  beast::error_code ec;
  socket.set_option(net::socket_base::linger(true, 0), ec);
  socket.close(ec);
}

// Sleeps in slices of 50 ms while the fault mode is hang, for at most 60 s.
void hang_while_hanging() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kMaxSleepMs);
  while (g_fault.get().mode == FaultMode::hang && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
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
    std::string_view target(req.target().data(), req.target().size());
    auto q = target.find('?');
    std::string_view path = target.substr(0, q);
    std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
    g_paths.count(path);

    const FaultAction fault = fault_action(path);
    if (fault.kind == FaultAction::reset) {
      reset_connection(socket);
      return;
    }
    if (fault.kind == FaultAction::hang) {
      hang_while_hanging();
      break;
    }
    if (fault.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(fault.delay_ms));
    Reply reply = fault.kind == FaultAction::answer ? Reply{fault_response(req, fault)}
                                                    : handle(socket, req, path, query);
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
  std::fprintf(stderr,
               "usage: tandem_test_backend --port N   (0: any free port)\n"
               "         [--name NAME] [--capacity N] [--work-ms M] [--error-rate P]\n"
               "         [--plant PATH=JSON]... [--health-path PATH]\n");
  return 2;
}

// Parses a whole string as a number in 0..1; nullopt for anything else.
std::optional<double> parse_rate(const char* s) {
  char* end = nullptr;
  double v = std::strtod(s, &end);
  if (end == s || *end != '\0' || !(v >= 0 && v <= 1)) return std::nullopt;
  return v;
}

// Parses "a.b=JSON"; nullopt when the path has an empty part or the value is not JSON.
std::optional<Plant> parse_plant(std::string_view arg) {
  auto eq = arg.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  Plant plant;
  std::string_view path = arg.substr(0, eq);
  for (;;) {
    auto dot = path.find('.');
    plant.path.emplace_back(path.substr(0, dot));
    if (plant.path.back().empty()) return std::nullopt;
    if (dot == std::string_view::npos) break;
    path.remove_prefix(dot + 1);
  }
  plant.value = json::parse(arg.substr(eq + 1), nullptr, false);
  if (plant.value.is_discarded()) return std::nullopt;
  return plant;
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
    } else if (arg == "--name" && i + 1 < argc) {
      g_options.name = argv[++i];
    } else if (arg == "--capacity" && i + 1 < argc) {
      auto n = parse_long(argv[++i]);
      if (!n || *n < 0) return usage();
      g_options.capacity = *n;
    } else if (arg == "--work-ms" && i + 1 < argc) {
      auto ms = parse_long(argv[++i]);
      if (!ms || *ms < 0 || *ms > kMaxSleepMs) return usage();
      g_options.work_ms = *ms;
    } else if (arg == "--error-rate" && i + 1 < argc) {
      auto rate = parse_rate(argv[++i]);
      if (!rate) return usage();
      g_options.error_rate = *rate;
    } else if (arg == "--plant" && i + 1 < argc) {
      auto plant = parse_plant(argv[++i]);
      if (!plant) return usage();
      g_options.plants.push_back(std::move(*plant));
    } else if (arg == "--health-path" && i + 1 < argc) {
      g_options.health_path = argv[++i];
      if (!g_options.health_path.starts_with('/')) return usage();
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
