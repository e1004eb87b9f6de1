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
             StateSync& state, Outbox& outbox, WorkerMetrics& metrics, AccessLog& log,
             Shared shared)
    : config_(config),
      shared_(shared),
      shadow_in_flight_(config.shadows.size(), 0),
      state_(state),
      outbox_(outbox),
      metrics_(metrics),
      log_(log),
      rng_(std::random_device{}()) {
  for (size_t i = 0; i < config.upstreams.size(); ++i) {
    clients_.push_back(std::make_unique<UpstreamClient>(
        config.upstreams[i], shared.upstreams.at(static_cast<int>(i)), io, reaper,
        config.limits.max_response_body));
  }
}

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
  for (const RoutePolicy& r : config_.routes) {
    if (r.partial.drop.empty()) {
      partials_.push_back(nullptr);
      continue;
    }
    std::vector<FieldOp> ops;
    for (const std::string& f : r.partial.drop) {
      FieldOp op;
      op.kind = FieldOp::Kind::kRemove;
      op.field = f;
      op.default_json = "null";
      op.line = r.line;
      ops.push_back(op);
    }
    auto compiled = ChangeTransform::compile(r.partial.location, ops);
    if (!compiled.ok()) return compiled.status();
    partials_.push_back(std::move(*compiled));
  }
  return Status::Ok();
}

const RoutePolicy* Proxy::policy(std::string_view method, std::string_view path) const {
  for (const RoutePolicy& r : config_.routes) {
    if (route_matches(r.pattern, method, path)) return &r;
  }
  return nullptr;
}

Priority Proxy::priority(const http::Request& req, const std::string& client,
                         const RoutePolicy* policy) const {
  if (!client.empty()) {
    auto it = config_.client_priorities.find(client);
    if (it != config_.client_priorities.end()) return it->second;
  }
  if (!config_.priority_header.empty()) {
    std::string_view v = req[config_.priority_header];
    if (v == "critical") return Priority::kCritical;
    if (v == "default") return Priority::kNormal;
    if (v == "sheddable") return Priority::kSheddable;
  }
  if (policy && policy->priority) return *policy->priority;
  return config_.default_priority;
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
  // Where the request went and how its answer was made worse, for the access log.
  const std::string* via = nullptr;  // the upstream's name
  const char* degraded = nullptr;    // X-Tandem-Degraded: stale | fallback | partial

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
          "\"bytes_in\":{},\"bytes_out\":{}{}{}{}}}",
          iso8601(now), http::json_string(rid), http::json_string(peer.address),
          http::json_string(client), http::json_string(version >= 0 ? vname : ""), source,
          http::json_string(req.method_string()), http::json_string(path.substr(0, 1024)),
          http::json_string(route), status, seconds * 1000, upstream_seconds * 1000, bytes_in,
          out.body.size(), via ? fmt::format(",\"upstream\":{}", http::json_string(*via)) : "",
          degraded ? fmt::format(",\"degraded\":\"{}\"", degraded) : "",
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
  // Where the request goes: a rollout's side, else the route's upstream, else the default one.
  const RoutePolicy* pol = policy(req.method_string(), upstream_path);
  size_t pol_index = pol ? static_cast<size_t>(pol - config_.routes.data()) : 0;
  if (pol && route == kOther) route = pol->pattern.text;  // the metrics' route label
  RolloutBook::Assignment assigned =
      shared_.rollouts.assign(req.method_string(), upstream_path, req, client, peer.address);
  int upstream = assigned.rollout >= 0 ? assigned.upstream : pol ? pol->upstream : 0;
  UpstreamClient& uc = *clients_[upstream];
  via = &config_.upstreams[upstream].name;
  UpstreamShared& us = uc.shared();
  Priority prio = priority(req, client, pol);

  // Partial responses: the route's optional fields are dropped while the upstream sheds load
  // or a switch says so, and the upstream is told, so that it can skip computing them.
  ChangeTransform* partial = nullptr;
  std::string extra;
  if (pol && partials_[pol_index]) {
    const Partial& pp = pol->partial;
    if (pp.always || (pp.on_overload && us.limiter.overloaded()) ||
        (!pp.switch_name.empty() && state_.switch_on(pp.switch_name))) {
      partial = partials_[pol_index].get();
      std::string omit;
      for (const std::string& f : pp.drop) omit += (omit.empty() ? "" : ", ") + f;
      http::append_field(extra, "X-Tandem-Omit", omit);
    }
  }
  auto head_for = [&](const Target& t, http::OutRequest& o) {
    upstream_head(req, t, upstream_path, query, body_steps, rid, peer, extra, o);
  };

  // The response cache: a fresh entry answers without the upstream; a stale one within
  // stale-while-revalidate answers too and is refreshed in the background.
  bool cacheable = pol && pol->cache.enabled &&
                   (req.method() == bhttp::verb::get || head_request) &&
                   ResponseCache::request_cacheable(req);
  std::string cache_key;
  std::optional<ResponseCache::Hit> hit;
  if (cacheable) {
    cache_key = ResponseCache::key(upstream, std::string(upstream_path) + std::string(query));
    // An upstream told to omit fields answers without them: kept apart from full answers.
    if (partial) cache_key += "\n(partial)";
    hit = shared_.cache.lookup(cache_key, req, config_.version_header, Clock::now());
  }
  const char* warning = nullptr;
  http::Response from;
  bool have = false;
  std::chrono::milliseconds age{-1};  // served from the cache when >= 0
  // The cache entry answers, stale: RFC 5861's Warning, X-Tandem-Degraded and the count.
  auto answer_stale = [&](const char* why, const char* result) {
    from = hit->entry->response;
    have = true;
    age = hit->age;
    degraded = "stale";
    warning = why;
    metrics_.cache(result);
  };
  if (hit && !ResponseCache::request_wants_fresh(req)) {
    if (hit->freshness == ResponseCache::Freshness::kFresh) {
      from = hit->entry->response;
      have = true;
      age = hit->age;
      metrics_.cache("hit");
    } else if (hit->freshness == ResponseCache::Freshness::kStaleRevalidate) {
      answer_stale("110 - \"Response is Stale\"", "stale_while_revalidate");
      if (shared_.cache.begin_revalidation(cache_key)) {
        http::OutRequest copy;
        copy.method = up.method;
        head_for(config_.upstreams[upstream].targets.front(), copy);
        http::Request vary_fields(req.base());
        http::asio::co_spawn(
            co_await http::asio::this_coro::executor,
            revalidate(upstream, cache_key, std::move(vary_fields), std::move(copy), pol->cache),
            http::asio::detached);
      }
    }
  }

  Exchange ex;
  bool went = false, shed = false, primary_ok = false;
  if (!have) {
    if (cacheable) metrics_.cache(hit ? "expired" : "miss");
    if (!us.limiter.try_acquire(prio)) {
      shed = true;
      us.shed[static_cast<int>(prio)].fetch_add(1, std::memory_order_relaxed);
    } else {
      auto u0 = Clock::now();
      ex = co_await uc.exchange(up, head_for);
      upstream_seconds = seconds_since(u0);
      went = !ex.no_target;
      int st = ex.result.error == http::UpstreamError::kNone
                   ? static_cast<int>(ex.result.response.result_int())
                   : 0;
      us.limiter.release(Clock::now() - u0,
                         ex.result.error == http::UpstreamError::kTimeout || st == 503,
                         /*sample=*/went);
    }
    // Every request sent toward a side counts for its analysis, also one that found no target
    // (all ejected) or that a stale answer will cover: a failing canary behind a breaker and a
    // cache must still be rolled back. Only the gateway's own shedding is left out.
    if (assigned.rollout >= 0 && !shed) {
      shared_.rollouts.record(assigned.rollout, assigned.canary,
                              ex.no_target || server_error(ex.result), upstream_seconds);
    }
    // RFC 5861's errors: no answer, 500, 502, 503, 504 — a stale answer or the fallback then.
    bool failed =
        shed || ex.no_target || failed_exchange(ex.result) ||
        (ex.result.error == http::UpstreamError::kNone && ex.result.response.result_int() == 500);
    if (!failed) {
      from = std::move(ex.result.response);
      have = true;
      primary_ok = true;
      // A HEAD answer has no body: it must never answer a GET.
      if (cacheable && !head_request &&
          shared_.cache.store(cache_key, req, from, pol->cache, config_.version_header,
                              Clock::now())) {
        metrics_.cache("stored");
      }
    } else if (hit && hit->usable_on_error) {
      answer_stale("111 - \"Revalidation Failed\"", "stale_if_error");
    } else if (pol && pol->fallback.status && !shed) {
      from = http::Response{static_cast<bhttp::status>(pol->fallback.status), 11};
      from.set(bhttp::field::content_type, pol->fallback.content_type);
      from.set(bhttp::field::cache_control, "no-store");
      from.body() = pol->fallback.body;
      have = true;
      degraded = "fallback";
      metrics_.degraded("fallback", route);
    } else if (ex.result.error == http::UpstreamError::kNone && !shed && !ex.no_target) {
      from = std::move(ex.result.response);  // the upstream's own 5xx, passed on
      have = true;
    }
  }
  // Dark traffic: a share of the requests that the upstream answered is copied to each shadow
  // upstream; the answer is compared with this one and never returned.
  if (primary_ok) {
    for (size_t si = 0; si < config_.shadows.size(); ++si) {
      const Shadow& sh = config_.shadows[si];
      if (sh.upstream == upstream) continue;  // the request went there already
      bool applies = sh.routes.empty();
      for (const auto& p : sh.routes) {
        applies = applies || route_matches(p, req.method_string(), upstream_path);
      }
      if (!applies || std::find(sh.methods.begin(), sh.methods.end(), req.method_string()) ==
                          sh.methods.end()) {
        continue;
      }
      if (static_cast<double>(rng_() % 1000000) >= sh.share * 1000000) continue;
      if (shadow_in_flight_[si] >= sh.max_in_flight) {
        shared_.shadows.record(static_cast<int>(si), ShadowTally::Result::kSkipped);
        continue;
      }
      http::OutRequest copy;
      copy.method = up.method;
      copy.body = up.body;
      upstream_head(req, config_.upstreams[sh.upstream].targets.front(), upstream_path, query,
                    body_steps, rid, peer, extra, copy);
      ++shadow_in_flight_[si];
      http::asio::co_spawn(co_await http::asio::this_coro::executor,
                           shadow(static_cast<int>(si), std::move(copy),
                                  static_cast<int>(from.result_int()), from.body()),
                           http::asio::detached);
    }
  }
  if (!have) {
    if (shed) {
      const ConcurrencyLimit& cl = config_.upstreams[upstream].concurrency;
      long long retry = std::max<long long>(
          1, std::chrono::duration_cast<std::chrono::seconds>(cl.retry_after).count());
      http::Response res = http::problem(
          503, "overloaded", "The backend is overloaded",
          fmt::format("upstream {} is at its concurrency limit ({} in flight); {} requests are "
                      "refused first; retry in {} s",
                      config_.upstreams[upstream].name, us.limiter.in_flight(), priority_name(prio),
                      retry));
      res.set(bhttp::field::retry_after, std::to_string(retry));
      finish(std::move(res));
      co_return;
    }
    metrics_.upstream_error(http::upstream_error_name(ex.result.error));
    int status = ex.result.error == http::UpstreamError::kTimeout ? 504 : 502;
    if (ex.no_target || ex.result.error == http::UpstreamError::kConnect ||
        ex.result.error == http::UpstreamError::kResolve) {
      status = 503;
    }
    const char* title = status == 504   ? "The backend did not answer in time"
                        : status == 503 ? "The backend is unavailable"
                                        : "The backend's answer was unusable";
    std::string kind =
        ex.no_target ? std::string("no_target") : http::upstream_error_name(ex.result.error);
    std::replace(kind.begin(), kind.end(), '_', '-');
    finish(http::problem(
        status, "upstream-" + kind, title,
        fmt::format("upstream {}: {}", config_.upstreams[upstream].name, ex.result.detail)));
    co_return;
  }
  if (age.count() >= 0) from.set(bhttp::field::age, std::to_string(age.count() / 1000));
  if (warning) from.set(bhttp::field::warning, warning);
  // Head → the client's version: status codes, then the body.
  int status = static_cast<int>(from.result_int());
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    auto m = it->change->status_map.find(status);
    if (m != it->change->status_map.end()) status = m->second;
  }
  out.body = std::move(from.body());
  bool rewritten = body_steps;
  if (partial && !out.body.empty() && !head_request &&
      json_content(from[bhttp::field::content_type]) &&
      !encoded(from[bhttp::field::content_encoding])) {
    if (partial->apply(out.body, Direction::kUp, scratch_).ok()) {
      out.body.swap(scratch_);
      rewritten = true;
      degraded = degraded ? degraded : "partial";
      metrics_.degraded("partial", route);
    }
  }
  if (degraded) from.set("X-Tandem-Degraded", degraded);
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
  answer_head(from, status, head_request, rewritten, version, out.body.size(), rid, out);
  account();
}

http::Task<void> Proxy::revalidate(int upstream, std::string key, http::Request req,
                                   http::OutRequest up, CachePolicy policy) {
  UpstreamShared& us = clients_[upstream]->shared();
  if (us.limiter.try_acquire(Priority::kSheddable)) {
    auto u0 = Clock::now();
    Exchange ex =
        co_await clients_[upstream]->exchange(up, [](const Target&, http::OutRequest&) {});
    us.limiter.release(Clock::now() - u0, ex.result.error == http::UpstreamError::kTimeout,
                       !ex.no_target);
    if (!failed_exchange(ex.result) && !ex.no_target) {
      if (shared_.cache.store(key, req, ex.result.response, policy, config_.version_header,
                              Clock::now())) {
        metrics_.cache("revalidated");
      }
    }
  }
  shared_.cache.end_revalidation(key);
}

http::Task<void> Proxy::shadow(int index, http::OutRequest up, int primary_status,
                               std::string primary_body) {
  const Shadow& sh = config_.shadows[index];
  Exchange ex =
      co_await clients_[sh.upstream]->exchange(up, [](const Target&, http::OutRequest&) {});
  --shadow_in_flight_[index];
  if (ex.no_target || ex.result.error != http::UpstreamError::kNone) {
    shared_.shadows.record(index, ShadowTally::Result::kError);
    co_return;
  }
  ShadowDiff d = compare_answers(primary_status, primary_body,
                                 static_cast<int>(ex.result.response.result_int()),
                                 ex.result.response.body(), sh.ignore);
  shared_.shadows.record(
      index, d.same ? ShadowTally::Result::kMatch : ShadowTally::Result::kMismatch, d.paths);
}

}  // namespace tandem::gateway
