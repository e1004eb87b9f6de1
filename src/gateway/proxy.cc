// One worker's request path (gateway/proxy.h).

#include "gateway/proxy.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "gateway/route_pattern.h"
#include "gateway/version_resolver.h"
#include "http/connection.h"
#include "http/problem.h"

namespace tandem::gateway {

namespace bhttp = http::bhttp;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kOther = "other";

// Hop-by-hop headers (RFC 9110 §7.6.1) and what the gateway sets itself: never forwarded.
bool hop_by_hop(bhttp::field f) {
  switch (f) {
    case bhttp::field::connection:
    case bhttp::field::keep_alive:
    case bhttp::field::proxy_connection:
    case bhttp::field::te:
    case bhttp::field::trailer:
    case bhttp::field::transfer_encoding:
    case bhttp::field::upgrade:
    case bhttp::field::expect:
    case bhttp::field::content_length:
      return true;
    default:
      return false;
  }
}

// True when `f` of a message from one side is not passed to the other: hop-by-hop, listed in
// its Connection header, or one the gateway writes itself (`own`).
template <typename Field, typename Own>
bool dropped(const Field& f, const std::vector<std::string_view>& listed, const Own& own) {
  if (hop_by_hop(f.name())) return true;
  std::string_view name = f.name_string();
  if (name.empty()) return true;
  for (std::string_view token : listed) {
    if (http::beast::iequals(token, name)) return true;
  }
  return own(f.name(), name);
}

bool json_content(std::string_view content_type) {
  if (content_type.empty()) return true;  // bodies without a type are read as JSON
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  if (http::beast::iequals(media, "application/json")) return true;
  return media.size() >= 5 && http::beast::iequals(media.substr(media.size() - 5), "+json");
}

bool encoded(std::string_view content_encoding) {
  return !content_encoding.empty() && !http::beast::iequals(content_encoding, "identity");
}

// A client id or request id as the gateway accepts it: printable ASCII, bounded.
bool token_ok(std::string_view s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

std::string http_date(long long unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

Proxy::Proxy(const Config& config, http::asio::io_context& io, http::Reaper& reaper,
             StateSync& state, Outbox& outbox, WorkerMetrics& metrics, AccessLog& log)
    : config_(config),
      state_(state),
      outbox_(outbox),
      metrics_(metrics),
      log_(log),
      pool_(io, reaper,
            http::UpstreamOptions{config.upstream_host, config.upstream_port,
                                  config.timeouts.upstream_connect, config.timeouts.upstream,
                                  config.timeouts.upstream_idle, config.limits.max_response_body,
                                  256}),
      rng_(std::random_device{}()) {}

Status Proxy::init() {
  for (const ApiVersion& v : config_.versions) {
    std::string lines;
    http::append_field(lines, config_.version_header, v.name);
    if (v.deprecated) http::append_field(lines, "Deprecation", fmt::format("@{}", *v.deprecated));
    if (v.sunset) http::append_field(lines, "Sunset", http_date(*v.sunset));
    if (!v.link.empty() && (v.deprecated || v.sunset)) {
      std::string link = fmt::format("<{}>; rel=\"deprecation\"; type=\"text/html\"", v.link);
      if (v.sunset) link += fmt::format(", <{}>; rel=\"sunset\"; type=\"text/html\"", v.link);
      http::append_field(lines, "Link", link);
    }
    decorations_.push_back(std::move(lines));
  }
  for (const Change& ch : config_.changes) {
    change_versions_.push_back(config_.version_index(ch.version));
    std::vector<std::unique_ptr<ChangeTransform>> per_route;
    for (const auto& [pattern, location] : ch.routes) {
      if (ch.fields.empty()) {
        per_route.push_back(nullptr);
        continue;
      }
      auto compiled = ChangeTransform::compile(location, ch.fields);
      if (!compiled.ok()) return compiled.status();
      per_route.push_back(std::move(*compiled));
    }
    transforms_.push_back(std::move(per_route));
  }
  return Status::Ok();
}

Proxy::RouteMatch Proxy::match(int index, std::string_view method, std::string_view path) const {
  // One pass over the change list: the metrics label (the first pattern that matches, in any
  // change), the steps of the changes newer than the request's version, and whether one of
  // those added the route.
  RouteMatch m;
  m.label = &kOther;
  for (size_t ci = 0; ci < config_.changes.size(); ++ci) {
    const Change& ch = config_.changes[ci];
    bool newer = change_versions_[ci] > index;
    bool stepped = false;
    for (size_t ri = 0; ri < ch.routes.size(); ++ri) {
      if (!route_matches(ch.routes[ri].first, method, path)) continue;
      if (m.label == &kOther) m.label = &ch.routes[ri].first.text;
      if (newer && !stepped) {
        m.steps.push_back(
            Step{&ch, transforms_[ci][ri].get(), static_cast<int>(ci), static_cast<int>(ri)});
        stepped = true;
      }
    }
    if (newer && ch.routes.empty() && !ch.status_map.empty()) m.steps.push_back(Step{&ch, nullptr});
    for (const auto& pattern : ch.added_routes) {
      if (!route_matches(pattern, method, path)) continue;
      if (m.label == &kOther) m.label = &pattern.text;
      if (newer && !m.added_in) m.added_in = &ch;
    }
  }
  return m;
}

const std::string& Proxy::client_label(const std::string& client) {
  static const std::string kAnonymous = "(anonymous)";
  if (client.empty()) return kAnonymous;
  if (seen_clients_.count(client)) return client;
  // A pinned client is always counted by name (explicit pins may exceed the limit).
  bool pinned = (pins_ && pins_->count(client)) || local_pins_.count(client);
  if (pinned || seen_clients_.size() < static_cast<size_t>(config_.limits.max_clients)) {
    seen_clients_.insert(client);
    return client;
  }
  return kOther;
}

void Proxy::refresh_pins() {
  unsigned long long gen = state_.generation().load(std::memory_order_acquire);
  if (gen == pins_generation_) return;
  pins_ = state_.pins();
  pins_generation_ = gen;
  // Pins this worker made are in the snapshot now (or another gateway's pin won).
  for (auto it = local_pins_.begin(); it != local_pins_.end();) {
    it = pins_->count(it->first) ? local_pins_.erase(it) : std::next(it);
  }
}

std::string Proxy::request_id(const http::Request& req) {
  std::string_view given = req["X-Request-Id"];
  if (token_ok(given, 128)) return std::string(given);
  return fmt::format("{:016x}{:016x}", rng_(), rng_());
}

ChangeTransform* Proxy::chain(const Step* first, const Step* last) {
  if (last - first == 1) return first->transform;
  chain_key_.clear();
  for (const Step* s = first; s != last; ++s)
    chain_key_.emplace_back(s->change_index, s->route_index);
  auto it = chains_.find(chain_key_);
  if (it != chains_.end()) return it->second.get();
  std::vector<ChangeTransform*> parts;
  for (const Step* s = first; s != last; ++s) parts.push_back(s->transform);
  auto compiled = ChangeTransform::chain(first->change->routes[first->route_index].second, parts);
  // The parts share one location, so this does not fail; if it did, one at a time.
  if (!compiled.ok()) return nullptr;
  return chains_.emplace(chain_key_, std::move(compiled).value()).first->second.get();
}

bool Proxy::transform_body(const std::vector<Step>& steps, Direction direction, std::string& body,
                           std::string& error) {
  auto t0 = Clock::now();
  const char* label = direction == Direction::kUp ? "request" : "response";
  // The runs of consecutive body steps at one location, oldest first.
  runs_.clear();
  for (size_t i = 0; i < steps.size();) {
    if (!steps[i].transform) {
      ++i;
      continue;
    }
    const std::string& location = steps[i].change->routes[steps[i].route_index].second;
    size_t j = i + 1;
    while (j < steps.size() && steps[j].transform &&
           steps[j].change->routes[steps[j].route_index].second == location) {
      ++j;
    }
    ChangeTransform* fused = chain(&steps[i], &steps[j]);
    if (fused) {
      runs_.push_back(fused);
    } else {
      for (size_t k = i; k < j; ++k) runs_.push_back(steps[k].transform);
    }
    i = j;
  }
  auto run = [&](ChangeTransform* transform) {
    Status st = transform->apply(body, direction, scratch_);
    if (!st.ok()) {
      error = st.message();
      return false;
    }
    body.swap(scratch_);
    return true;
  };
  bool ok = true;
  if (direction == Direction::kUp) {
    for (auto it = runs_.begin(); ok && it != runs_.end(); ++it) ok = run(*it);
  } else {
    for (auto it = runs_.rbegin(); ok && it != runs_.rend(); ++it) ok = run(*it);
  }
  metrics_.transform(label, seconds_since(t0), !ok);
  return ok;
}

void Proxy::upstream_head(const http::Request& req, std::string_view path, std::string_view query,
                          bool body_steps, const std::string& rid, const http::Peer& peer,
                          http::OutRequest& out) const {
  std::string& head = out.head;
  head.clear();
  head.reserve(512);
  head.append(req.method_string());
  head += ' ';
  head += config_.upstream_base;
  head += path;
  head += query;
  head += " HTTP/1.1\r\n";
  bool rewrite_media = !config_.media_type.empty();
  auto own = [&](bhttp::field f, std::string_view name) {
    if (rewrite_media && (f == bhttp::field::accept || f == bhttp::field::content_type)) {
      return true;
    }
    if (body_steps && f == bhttp::field::accept_encoding) return true;  // answers must be readable
    return http::beast::iequals(name, config_.version_header) ||
           http::beast::iequals(name, "X-Request-Id") ||
           http::beast::iequals(name, "X-Forwarded-For");
  };
  std::vector<std::string_view> listed;
  http::connection_listed(req, listed);
  bool host_sent = false;
  for (const auto& f : req) {
    // Host is end to end whatever Connection lists: an HTTP/1.1 request without it is invalid.
    if (f.name() == bhttp::field::host) {
      if (!hop_by_hop(f.name()) && !host_sent) {
        http::append_field(head, f.name_string(), f.value());
        host_sent = true;
      }
      continue;
    }
    if (!dropped(f, listed, own)) http::append_field(head, f.name_string(), f.value());
  }
  // An HTTP/1.0 client may send no Host: the upstream still gets one (its own address).
  if (!host_sent) http::append_field(head, "Host", config_.upstream_authority);
  http::append_field(head, config_.version_header, config_.head());
  http::append_field(head, "X-Request-Id", rid);
  // Every X-Forwarded-For value the client sent (there may be several fields), then the peer.
  std::string forwarded;
  auto xff = req.equal_range("X-Forwarded-For");
  for (auto it = xff.first; it != xff.second; ++it) {
    forwarded.append(it->value());
    forwarded += ", ";
  }
  forwarded += peer.address;
  http::append_field(head, "X-Forwarded-For", forwarded);
  if (rewrite_media) {
    for (auto f : {bhttp::field::accept, bhttp::field::content_type}) {
      std::string_view value = req[f];
      if (!value.empty()) {
        http::append_field(head, bhttp::to_string(f),
                           rewrite_media_type(config_.media_type, value, config_.head()));
      }
    }
  }
  if (!out.body.empty() || req.method() == bhttp::verb::post || req.method() == bhttp::verb::put ||
      req.method() == bhttp::verb::patch) {
    http::append_field(head, "Content-Length", out.body.size());
  }
  head += "\r\n";
}

void Proxy::answer_head(const http::Response& from, int status, bool head_request, bool translated,
                        int version, size_t body_size, const std::string& rid,
                        http::Wire& out) const {
  const ApiVersion& v = config_.versions[version];
  bool rewrite_media = !config_.media_type.empty();
  std::string& head = out.head;
  head.clear();
  out.status = status;
  // A mapped status gets its own phrase, not the old one's.
  http::append_status_line(head, status,
                           status == static_cast<int>(from.result_int())
                               ? std::string_view(from.reason())
                               : std::string_view());
  auto own = [&](bhttp::field f, std::string_view name) {
    if (rewrite_media && f == bhttp::field::content_type) return true;
    if (f == bhttp::field::link) return !v.link.empty() && (v.deprecated || v.sunset);
    if (v.deprecated && http::beast::iequals(name, "Deprecation")) return true;
    if (v.sunset && http::beast::iequals(name, "Sunset")) return true;
    return http::beast::iequals(name, config_.version_header) ||
           http::beast::iequals(name, "X-Request-Id");
  };
  std::vector<std::string_view> listed;
  http::connection_listed(from, listed);
  for (const auto& f : from) {
    if (!dropped(f, listed, own)) http::append_field(head, f.name_string(), f.value());
  }
  if (rewrite_media) {
    std::string_view ct = from[bhttp::field::content_type];
    if (!ct.empty()) {
      http::append_field(head, "Content-Type", rewrite_media_type(config_.media_type, ct, v.name));
    }
  }
  // A HEAD gets the GET's length — unknown when the GET's body would be translated.
  http::append_content_length(
      head, status, head_request,
      translated ? std::string_view() : std::string_view(from[bhttp::field::content_length]),
      body_size);
  http::append_field(head, "X-Request-Id", rid);
  head += decoration(version);
}

http::Task<void> Proxy::handle(http::Request& req, const http::Peer& peer, http::Wire& out) {
  auto t0 = Clock::now();
  long long now = static_cast<long long>(std::time(nullptr));
  std::string rid = request_id(req);
  std::string_view target = req.target();
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q);
  std::string_view client_raw = req[config_.client_header];
  std::string client(client_raw);
  int version = -1;
  const char* source = "";
  double upstream_seconds = 0;
  size_t bytes_in = req.body().size();
  std::string route;
  bool head_request = req.method() == bhttp::verb::head;

  // Counts and logs the answer in `out`.
  auto account = [&] {
    int status = out.status;
    double seconds = seconds_since(t0);
    const std::string& vname = version >= 0 ? config_.versions[version].name : kOther;
    const std::string& label = client_label(client);
    metrics_.request(vname, label, route.empty() ? kOther : route, status, seconds);
    if (version >= 0) outbox_.count(label, vname, now);
    if (log_.enabled()) {
      std::string_view traceparent = req["traceparent"];
      log_.write(fmt::format(
          "{{\"time\":\"{}\",\"request_id\":{},\"peer\":{},\"client\":{},\"version\":{},\"source\":"
          "\"{}\","
          "\"method\":{},\"path\":{},\"route\":{},\"status\":{},\"duration_ms\":{:.3f},\"upstream_"
          "ms\":{:.3f},"
          "\"bytes_in\":{},\"bytes_out\":{}{}}}",
          iso8601(now), http::json_string(rid), http::json_string(peer.address),
          http::json_string(client), http::json_string(version >= 0 ? vname : ""), source,
          http::json_string(req.method_string()), http::json_string(path.substr(0, 1024)),
          http::json_string(route), status, seconds * 1000, upstream_seconds * 1000, bytes_in,
          out.body.size(),
          traceparent.empty()
              ? ""
              : fmt::format(",\"traceparent\":{}", http::json_string(traceparent.substr(0, 128)))));
    }
  };
  // A problem (or any answer the gateway makes itself) with the version's headers.
  auto finish = [&](http::Response res) {
    res.set("X-Request-Id", rid);
    http::to_wire(std::move(res), head_request, out);
    if (version >= 0) out.head += decoration(version);
    account();
  };

  // Two values of one of these headers would be read one way here and maybe another way
  // behind the gateway: refused, not guessed.
  size_t client_fields = req.count(config_.client_header);
  if (client_fields > 1 || req.count(config_.version_header) > 1) {
    client.clear();
    finish(http::problem(400, "conflicting-headers", "Conflicting headers",
                         fmt::format("send {} and {} at most once each", config_.client_header,
                                     config_.version_header)));
    co_return;
  }
  // Sent but empty is not "anonymous": a client whose id went missing should hear about it.
  if (client_fields == 1 && !token_ok(client_raw, 256)) {
    client.clear();
    finish(http::problem(400, "bad-client-id", "Bad client id",
                         fmt::format("`{}` must be 1 to 256 printable characters without spaces",
                                     config_.client_header)));
    co_return;
  }
  refresh_pins();
  RequestView view{path, req[config_.version_header], req[bhttp::field::accept],
                   req[bhttp::field::content_type], client};
  auto resolved = resolve_version(config_, view, *pins_, local_pins_);
  if (auto* err = std::get_if<VersionError>(&resolved)) {
    const char* title = err->status == 410                    ? "Version removed"
                        : err->type == "conflicting-versions" ? "Conflicting API versions"
                                                              : "Unknown API version";
    finish(http::problem(err->status, err->type, title, err->detail));
    co_return;
  }
  VersionChoice choice = std::get<VersionChoice>(std::move(resolved));
  version = choice.index;
  source = choice.source;
  // Pinned at the first request, as long as the pins stay within limits.max_clients.
  if (choice.pin_now &&
      pins_->size() + local_pins_.size() < static_cast<size_t>(config_.limits.max_clients)) {
    const std::string& head = config_.head();
    if (local_pins_.size() > 100000) local_pins_.clear();
    local_pins_.emplace(client, head);
    outbox_.pin(client, head);
  }
  std::string_view upstream_path = choice.path;
  RouteMatch matched = match(version, req.method_string(), upstream_path);
  route = *matched.label;

  const ApiVersion& v = config_.versions[version];
  if (v.sunset && now >= *v.sunset) {
    finish(http::problem(
        410, "version-sunset", "API version removed",
        fmt::format("version {} was removed on {}; move to {} ({})", v.name, http_date(*v.sunset),
                    config_.head(), v.link.empty() ? "see the changelog" : v.link)));
    co_return;
  }
  for (const auto& [start, end] : v.brownouts) {
    if (now >= start && now < end) {
      finish(http::problem(
          410, "version-brownout", "API version temporarily unavailable",
          fmt::format("version {} is in a scheduled brownout until {}{}; move to {}", v.name,
                      http_date(end),
                      v.sunset ? fmt::format(" (it will be removed on {})", http_date(*v.sunset))
                               : std::string(v.deprecated ? " (it is deprecated)" : ""),
                      config_.head())));
      co_return;
    }
  }
  if (matched.added_in) {
    finish(http::problem(
        404, "route-not-in-version", "Not found",
        fmt::format("{} {} exists from version {} on; this request speaks {}", req.method_string(),
                    upstream_path, matched.added_in->version, v.name)));
    co_return;
  }

  std::vector<Step>& steps = matched.steps;
  bool body_steps = false;
  for (const Step& s : steps) body_steps = body_steps || s.transform != nullptr;

  http::OutRequest up;
  up.method = req.method();
  up.body = std::move(req.body());
  if (body_steps && !up.body.empty()) {
    if (encoded(req[bhttp::field::content_encoding])) {
      finish(http::problem(415, "encoded-body", "Cannot translate an encoded body",
                           "send the body without Content-Encoding: it must be translated for "
                           "this API version"));
      co_return;
    }
    if (json_content(req[bhttp::field::content_type])) {
      std::string error;
      if (!transform_body(steps, Direction::kUp, up.body, error)) {
        finish(http::problem(400, "unreadable-body", "The request body cannot be translated",
                             fmt::format("{} (version {} → {})", error, v.name, config_.head())));
        co_return;
      }
    }
  }
  upstream_head(req, upstream_path, query, body_steps, rid, peer, up);

  auto u0 = Clock::now();
  http::UpstreamResult result = co_await pool_.exchange(up);
  upstream_seconds = seconds_since(u0);
  if (result.error != http::UpstreamError::kNone) {
    metrics_.upstream_error(http::upstream_error_name(result.error));
    int status = result.error == http::UpstreamError::kTimeout ? 504 : 502;
    if (result.error == http::UpstreamError::kConnect ||
        result.error == http::UpstreamError::kResolve) {
      status = 503;
    }
    const char* title = status == 504   ? "The backend did not answer in time"
                        : status == 503 ? "The backend is unavailable"
                                        : "The backend's answer was unusable";
    std::string kind = http::upstream_error_name(result.error);
    std::replace(kind.begin(), kind.end(), '_', '-');
    finish(http::problem(status, "upstream-" + kind, title,
                         fmt::format("upstream: {}", result.detail)));
    co_return;
  }
  http::Response& from = result.response;
  // Head → the client's version: status codes, then the body.
  int status = static_cast<int>(from.result_int());
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    auto m = it->change->status_map.find(status);
    if (m != it->change->status_map.end()) status = m->second;
  }
  out.body = std::move(from.body());
  if (body_steps && !out.body.empty() && !head_request &&
      json_content(from[bhttp::field::content_type])) {
    std::string error;
    if (encoded(from[bhttp::field::content_encoding]) ||
        !transform_body(steps, Direction::kDown, out.body, error)) {
      if (error.empty()) error = "the backend sent an encoded body although none was accepted";
      out.body.clear();
      finish(http::problem(502, "untranslatable-response", "The answer cannot be translated",
                           fmt::format("{} (version {} → {})", error, config_.head(), v.name)));
      co_return;
    }
  }
  if (head_request || http::bodiless_status(status)) out.body.clear();
  answer_head(from, status, head_request, body_steps, version, out.body.size(), rid, out);
  account();
}

}  // namespace tandem::gateway
