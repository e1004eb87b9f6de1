// The traffic sections of the gateway's config (gateway/config_traffic.h).

#include "gateway/config_traffic.h"

#include <cmath>
#include <cstdlib>

#include "gateway/json_path.h"
#include "gateway/route_pattern.h"
#include "gateway/transform.h"
#include "gateway/yaml_json.h"

namespace tandem::gateway {

const char* priority_name(Priority p) {
  switch (p) {
    case Priority::kCritical:
      return "critical";
    case Priority::kNormal:
      return "default";
    case Priority::kSheddable:
      return "sheddable";
  }
  return "default";
}

namespace {

std::optional<Priority> priority_of(std::string_view s) {
  if (s == "critical") return Priority::kCritical;
  if (s == "default") return Priority::kNormal;
  if (s == "sheddable") return Priority::kSheddable;
  return std::nullopt;
}

const char* kPriorityHint = "one of critical, default, sheddable";

// A Status's hint, or `fallback` when it has none: every refusal says what to do.
std::string hint_or(const Status& st, const char* fallback) {
  return st.hint().empty() ? std::string(fallback) : st.hint();
}

const char* kPathHint = "keys joined by `.`, `[]` after an array's name, e.g. data[].created_at";
const char* kNameHint = "letters, digits, - _ and ., e.g. orders-v2";

bool name_ok(const std::string& s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
  });
}

// A header or cookie name: letters, digits, - and _ (at most 64).
bool token_name_ok(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
  });
}

std::optional<Target> read_target(Checker& ck, const YAML::Node& url) {
  auto text = ck.text(url, "url");
  if (!text) return std::nullopt;
  Target t;
  t.url = *text;
  t.line = url.Mark().line + 1;
  std::string rest;
  if (text->rfind("http://", 0) == 0) {
    rest = text->substr(7);
  } else if (text->rfind("https://", 0) == 0) {
    ck.fail(url, "TLS to the upstream is not supported",
            "put the gateway next to the backend and use http://");
    return std::nullopt;
  } else {
    ck.fail(url, fmt::format("`{}` is not an http:// URL", *text),
            "e.g. url: http://127.0.0.1:7001");
    return std::nullopt;
  }
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  t.authority = hostport;
  t.base = slash == std::string::npos ? "" : rest.substr(slash);
  while (!t.base.empty() && t.base.back() == '/') t.base.pop_back();
  size_t colon = hostport.rfind(':');
  if (hostport.empty() || hostport.find('@') != std::string::npos ||
      (colon != std::string::npos && hostport.find(']') != std::string::npos &&
       colon < hostport.find(']'))) {
    ck.fail(url, fmt::format("`{}`: no host:port", *text), "e.g. url: http://127.0.0.1:7001");
    return std::nullopt;
  }
  if (colon == std::string::npos) {
    t.host = hostport;
    t.port = "80";
  } else {
    t.host = hostport.substr(0, colon);
    t.port = hostport.substr(colon + 1);
  }
  if (!t.host.empty() && t.host.front() == '[' && t.host.back() == ']') {
    t.host = t.host.substr(1, t.host.size() - 2);
  }
  char* end = nullptr;
  long port = std::strtol(t.port.c_str(), &end, 10);
  bool host_ok = std::all_of(t.host.begin(), t.host.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == ':' ||
           ch == '_';
  });
  bool port_digits =
      std::all_of(t.port.begin(), t.port.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  if (t.host.empty() || t.port.empty() || *end != '\0' || port < 1 || port > 65535 || !host_ok ||
      !port_digits || (hostport.front() == '[') != (hostport.find(']') != std::string::npos)) {
    ck.fail(url, fmt::format("`{}`: no valid host:port", *text), "e.g. url: http://127.0.0.1:7001");
    return std::nullopt;
  }
  return t;
}

void set_ms(Checker& ck, const YAML::Node& node, const char* key, std::chrono::milliseconds& into,
            bool zero_ok = false) {
  if (!node[key]) return;
  if (auto ms = ck.duration(node[key], key)) {
    if (*ms == 0 && !zero_ok) {
      ck.fail(node[key], fmt::format("`{}: 0` would never wait", key),
              "give it a duration above 0, e.g. 500ms or 2s");
      return;
    }
    into = std::chrono::milliseconds(*ms);
  }
}

void set_int(Checker& ck, const YAML::Node& node, const char* key, int& into, long long min,
             long long max) {
  if (!node[key]) return;
  if (auto n = ck.count(node[key], key, min, max)) into = static_cast<int>(*n);
}

void set_share(Checker& ck, const YAML::Node& node, const char* key, double& into) {
  if (!node[key]) return;
  if (auto p = ck.percent(node[key], key)) into = *p;
}

void read_health(Checker& ck, const YAML::Node& node, HealthCheck& h) {
  if (!node.IsMap()) {
    ck.fail(node, "`health_check` must be a map",
            "e.g. health_check: { path: /healthz, interval: 2s }");
    return;
  }
  ck.only(node, {"path", "interval", "timeout", "healthy", "unhealthy"}, "health_check");
  if (!node["path"]) {
    ck.fail(node, "`health_check` has no `path`", "e.g. health_check: { path: /healthz }");
  } else if (auto p = ck.text(node["path"], "path")) {
    if (p->empty() || p->front() != '/' || p->size() > 1024 ||
        p->find_first_of(" \r\n\t") != std::string::npos) {
      ck.fail(node["path"], fmt::format("`path: {}` is not a request path", *p),
              "e.g. path: /healthz");
    } else {
      h.path = *p;
    }
  }
  set_ms(ck, node, "interval", h.interval);
  set_ms(ck, node, "timeout", h.timeout);
  set_int(ck, node, "healthy", h.healthy, 1, 100);
  set_int(ck, node, "unhealthy", h.unhealthy, 1, 100);
}

void read_breaker(Checker& ck, const YAML::Node& node, Breaker& b) {
  if (!node.IsMap()) {
    ck.fail(node, "`breaker` must be a map", "e.g. breaker: { failures: 5, open: 10s }");
    return;
  }
  ck.only(node, {"failures", "open", "max_open", "half_open"}, "breaker");
  set_int(ck, node, "failures", b.failures, 0, 1000000);
  set_ms(ck, node, "open", b.open);
  set_ms(ck, node, "max_open", b.max_open);
  set_int(ck, node, "half_open", b.half_open, 1, 1000);
  if (b.max_open < b.open) {
    ck.fail(node, "`breaker.max_open` is shorter than `open`",
            "max_open caps the doubling of open");
  }
}

void read_retry(Checker& ck, const YAML::Node& node, RetryPolicy& r) {
  if (!node.IsMap()) {
    ck.fail(node, "`retry` must be a map", "e.g. retry: { attempts: 1, budget: 20% }");
    return;
  }
  ck.only(node, {"attempts", "budget", "min_per_second"}, "retry");
  set_int(ck, node, "attempts", r.attempts, 0, 5);
  set_share(ck, node, "budget", r.budget);
  set_int(ck, node, "min_per_second", r.min_per_second, 0, 100000);
}

void read_concurrency(Checker& ck, const YAML::Node& node, ConcurrencyLimit& c) {
  if (node.IsScalar()) {
    // `concurrency: 64` (a fixed limit) or `concurrency: adaptive`.
    if (node.Scalar() == "adaptive") {
      c.adaptive = true;
      c.limit = 20;
      return;
    }
    if (auto n = ck.count(node, "concurrency", 1, 1000000)) c.limit = static_cast<int>(*n);
    return;
  }
  if (!node.IsMap()) {
    ck.fail(node, "`concurrency` must be a number, `adaptive` or a map",
            "e.g. concurrency: { limit: adaptive, min: 4, max: 500 }");
    return;
  }
  ck.only(node,
          {"limit", "initial", "min", "max", "tolerance", "sheddable", "default", "retry_after",
           "probe_interval", "probe_requests"},
          "concurrency");
  if (node["limit"]) {
    if (node["limit"].IsScalar() && node["limit"].Scalar() == "adaptive") {
      c.adaptive = true;
      c.limit = 20;
    } else if (auto n = ck.count(node["limit"], "limit", 1, 1000000)) {
      c.limit = static_cast<int>(*n);
    }
  } else {
    ck.fail(node, "`concurrency` has no `limit`", "limit: adaptive, or a number of requests");
  }
  set_int(ck, node, "min", c.min, 1, 1000000);
  set_int(ck, node, "max", c.max, 1, 1000000);
  if (node["initial"]) {
    if (!c.adaptive) {
      ck.fail(node["initial"], "`initial` applies to `limit: adaptive` only",
              "a fixed limit starts where it stays: remove `initial`, or write limit: adaptive");
    } else {
      set_int(ck, node, "initial", c.limit, 1, 1000000);
    }
  }
  if (node["tolerance"]) {
    if (auto t = ck.text(node["tolerance"], "tolerance")) {
      char* end = nullptr;
      double d = std::strtod(t->c_str(), &end);
      if (t->empty() || *end != '\0' || !(d >= 1.0) || d > 100) {
        ck.fail(node["tolerance"],
                fmt::format("`tolerance: {}` must be a number from 1 to 100", *t),
                "how many times the unloaded latency is tolerated, e.g. 2");
      } else {
        c.tolerance = d;
      }
    }
  }
  set_share(ck, node, "sheddable", c.sheddable);
  set_share(ck, node, "default", c.normal);
  set_ms(ck, node, "retry_after", c.retry_after);
  set_ms(ck, node, "probe_interval", c.probe_interval);
  set_int(ck, node, "probe_requests", c.probe_requests, 5, 100000);
  if (!c.adaptive && (node["probe_interval"] || node["probe_requests"] || node["tolerance"])) {
    ck.fail(node, "`probe_interval`, `probe_requests` and `tolerance` apply to `limit: adaptive`",
            "write limit: adaptive, or leave them out");
  }
  if (c.min > c.max) {
    ck.fail(node, "`concurrency.min` is above `max`",
            "min and max bound the adaptive limit, e.g. min: 4, max: 500");
  } else if (c.adaptive) {
    c.limit = std::clamp(c.limit, c.min, c.max);
  }
  if (c.sheddable > c.normal) {
    ck.fail(node, "`concurrency.sheddable` is above `default`",
            "sheddable requests get at most the share default ones get");
  }
}

template <typename F>
void each_item(Checker& ck, const YAML::Node& node, const char* key, const char* example, F f) {
  if (!node.IsSequence()) {
    ck.fail(node, fmt::format("`{}` is a list", key), example);
    return;
  }
  for (const YAML::Node& item : node) f(item);
}

std::vector<RoutePattern> read_patterns(Checker& ck, const YAML::Node& node, const char* key) {
  std::vector<RoutePattern> out;
  if (node.IsScalar()) {
    auto pat = parse_route_pattern(node.Scalar());
    if (!pat.ok()) {
      ck.fail(node, pat.status().message(), pat.status().hint());
    } else {
      out.push_back(*pat);
    }
    return out;
  }
  each_item(ck, node, key, "e.g. routes: [\"GET /orders\", \"/orders/{id}\"]",
            [&](const YAML::Node& item) {
              auto t = ck.text(item, key);
              if (!t) return;
              auto pat = parse_route_pattern(*t);
              if (!pat.ok()) {
                ck.fail(item, pat.status().message(), pat.status().hint());
                return;
              }
              out.push_back(*pat);
            });
  return out;
}

int upstream_ref(Checker& ck, const Config& c, const YAML::Node& node, const char* key) {
  auto t = ck.text(node, key);
  if (!t) return -1;
  int i = c.upstream_index(*t);
  if (i < 0) {
    std::string known;
    for (const auto& u : c.upstreams) known += (known.empty() ? "" : ", ") + u.name;
    ck.fail(node, fmt::format("`{}: {}` is not an upstream", key, *t),
            fmt::format("declare it under `upstreams`; known: {}", known));
  }
  return i;
}

std::vector<std::string> read_field_paths(Checker& ck, const YAML::Node& node, const char* key) {
  std::vector<std::string> out;
  each_item(ck, node, key, "e.g. [data[].created_at, request_id]", [&](const YAML::Node& item) {
    auto t = ck.text(item, key);
    if (!t) return;
    auto p = parse_field_path(*t);
    if (!p.ok()) {
      ck.fail(item, fmt::format("`{}`: {}", *t, p.status().message()),
              hint_or(p.status(), kPathHint));
      return;
    }
    out.push_back(*t);
  });
  return out;
}

void read_cache_policy(Checker& ck, const YAML::Node& node, CachePolicy& c) {
  if (node.IsScalar() && (node.Scalar() == "true" || node.Scalar() == "false")) {
    c.enabled = node.Scalar() == "true";
    return;
  }
  if (!node.IsMap()) {
    ck.fail(node, "`cache` must be a map or true",
            "e.g. cache: { ttl: 5s, stale_if_error: 10m, stale_while_revalidate: 30s }");
    return;
  }
  ck.only(node, {"ttl", "stale_if_error", "stale_while_revalidate"}, "a route's cache");
  c.enabled = true;
  set_ms(ck, node, "ttl", c.ttl, true);
  set_ms(ck, node, "stale_if_error", c.stale_if_error, true);
  set_ms(ck, node, "stale_while_revalidate", c.stale_while_revalidate, true);
}

void read_fallback(Checker& ck, const YAML::Node& node, Fallback& f) {
  if (!node.IsMap()) {
    ck.fail(node, "`fallback` must be a map",
            "e.g. fallback: { status: 200, body: { data: [], degraded: true } }");
    return;
  }
  ck.only(node, {"status", "body", "content_type"}, "fallback");
  f.status = 200;
  set_int(ck, node, "status", f.status, 200, 599);
  if (node["body"]) {
    auto json = yaml_to_json_text(node["body"]);
    if (!json.ok()) {
      ck.fail(node["body"], json.status().message(),
              hint_or(json.status(), "e.g. body: { data: [], degraded: true }"));
    } else {
      f.body = *json;
    }
  } else {
    f.body = "{}";
  }
  if (node["content_type"]) {
    if (auto t = ck.text(node["content_type"], "content_type")) {
      if (t->empty() || t->find_first_of("\r\n") != std::string::npos) {
        ck.fail(node["content_type"], "`content_type` is not a media type",
                "e.g. content_type: application/json");
      } else {
        f.content_type = *t;
      }
    }
  }
}

void read_partial(Checker& ck, const YAML::Node& node, Partial& p) {
  if (!node.IsMap()) {
    ck.fail(node, "`partial` must be a map",
            "e.g. partial: { drop: [data[].recommendations], when: overload }");
    return;
  }
  ck.only(node, {"drop", "when", "switch", "location"}, "partial");
  if (node["drop"]) {
    p.drop = read_field_paths(ck, node["drop"], "drop");
  }
  if (p.drop.empty()) ck.fail(node, "`partial` drops no field", "e.g. drop: [recommendations]");
  if (node["location"]) {
    if (auto t = ck.text(node["location"], "location")) {
      auto loc = parse_location(*t);
      if (!loc.ok()) {
        ck.fail(node["location"], loc.status().message(),
                hint_or(loc.status(), "where the fields are, as in changes: e.g. data[]"));
      } else {
        p.location = *t;
      }
    }
  }
  if (node["switch"]) {
    if (auto t = ck.text(node["switch"], "switch")) {
      if (!name_ok(*t)) {
        ck.fail(node["switch"], fmt::format("switch name `{}` must be letters, digits, - _ .", *t),
                "e.g. switch: orders-lite");
      } else {
        p.switch_name = *t;
      }
    }
  }
  auto when_one = [&](const YAML::Node& w) {
    auto t = ck.text(w, "when");
    if (!t) return;
    if (*t == "overload") {
      p.on_overload = true;
    } else if (*t == "always") {
      p.always = true;
    } else if (*t == "switch") {
      if (p.switch_name.empty()) {
        ck.fail(w, "`when: switch` needs `switch: NAME`",
                "turned on and off with tandem api degrade NAME on|off");
      }
    } else {
      ck.fail(w, fmt::format("`when: {}`: unknown", *t), "overload, switch or always");
    }
  };
  if (node["when"]) {
    if (node["when"].IsSequence()) {
      for (const YAML::Node& w : node["when"]) when_one(w);
    } else {
      when_one(node["when"]);
    }
  } else if (p.switch_name.empty()) {
    p.on_overload = true;  // the default: drop while the upstream sheds load
  }
  // Compiled once here so that a path the transform engine refuses is a config error.
  if (!p.drop.empty()) {
    std::vector<FieldOp> ops;
    for (const auto& f : p.drop) {
      FieldOp op;
      op.kind = FieldOp::Kind::kRemove;
      op.field = f;
      op.default_json = "null";
      op.line = node.Mark().line + 1;
      ops.push_back(op);
    }
    auto compiled = ChangeTransform::compile(p.location, ops);
    if (!compiled.ok()) {
      ck.fail(node, compiled.status().message(), hint_or(compiled.status(), kPathHint));
    }
  }
}

void read_route(Checker& ck, const YAML::Node& node, Config& c) {
  if (!node.IsMap()) {
    ck.fail(node, "a route policy is a map with `match`",
            "e.g. - { match: \"GET /orders\", priority: critical, cache: { ttl: 5s } }");
    return;
  }
  ck.only(node, {"match", "upstream", "priority", "cache", "fallback", "partial"}, "a route");
  RoutePolicy r;
  r.line = node.Mark().line + 1;
  if (!node["match"]) {
    ck.fail(node, "a route without `match`", "e.g. match: \"GET /orders\"");
    return;
  }
  auto m = ck.text(node["match"], "match");
  if (!m) return;
  auto pat = parse_route_pattern(*m);
  if (!pat.ok()) {
    ck.fail(node["match"], pat.status().message(), pat.status().hint());
    return;
  }
  r.pattern = *pat;
  if (node["upstream"]) r.upstream = std::max(0, upstream_ref(ck, c, node["upstream"], "upstream"));
  if (node["priority"]) {
    if (auto t = ck.text(node["priority"], "priority")) {
      r.priority = priority_of(*t);
      if (!r.priority) ck.fail(node["priority"], fmt::format("`priority: {}`", *t), kPriorityHint);
    }
  }
  if (node["cache"]) {
    read_cache_policy(ck, node["cache"], r.cache);
    if (r.cache.enabled && !r.pattern.method.empty() && r.pattern.method != "GET") {
      ck.fail(node["cache"], fmt::format("`cache` on {}: only GET answers are cached", *m),
              "match GET routes only, e.g. match: \"GET /orders\"");
    }
  }
  if (node["fallback"]) read_fallback(ck, node["fallback"], r.fallback);
  if (node["partial"]) read_partial(ck, node["partial"], r.partial);
  c.routes.push_back(std::move(r));
}

void read_priority(Checker& ck, const YAML::Node& node, Config& c) {
  if (!node.IsMap()) {
    ck.fail(node, "`priority` must be a map",
            "e.g. priority: { default: default, clients: { nightly-export: sheddable } }");
    return;
  }
  ck.only(node, {"default", "header", "clients"}, "priority");
  if (node["default"]) {
    if (auto t = ck.text(node["default"], "default")) {
      auto p = priority_of(*t);
      if (!p) {
        ck.fail(node["default"], fmt::format("`default: {}`", *t), kPriorityHint);
      } else {
        c.default_priority = *p;
      }
    }
  }
  if (node["header"]) {
    if (auto t = ck.text(node["header"], "header")) {
      if (!token_name_ok(*t)) {
        ck.fail(node["header"], fmt::format("`priority.header: {}` is not a header name", *t),
                "letters, digits, - and _, e.g. X-Priority");
      } else {
        c.priority_header = *t;
      }
    }
  }
  if (node["clients"]) {
    if (!node["clients"].IsMap()) {
      ck.fail(node["clients"], "`priority.clients` maps client ids to a class",
              "e.g. clients: { checkout-web: critical, nightly-export: sheddable }");
    } else {
      ck.only(node["clients"], {}, "priority.clients");
      for (const auto& kv : node["clients"]) {
        auto t = ck.text(kv.second, "priority");
        if (!t) continue;
        auto p = priority_of(*t);
        if (!p) {
          ck.fail(kv.second, fmt::format("`{}: {}`", kv.first.Scalar(), *t), kPriorityHint);
          continue;
        }
        c.client_priorities[kv.first.Scalar()] = *p;
      }
    }
  }
}

void read_cache_limits(Checker& ck, const YAML::Node& node, Config& c) {
  if (!node.IsMap()) {
    ck.fail(node, "`cache` must be a map", "e.g. cache: { max_size: 64MiB, max_entry: 1MiB }");
    return;
  }
  ck.only(node, {"max_size", "max_entry"}, "cache");
  if (node["max_size"]) {
    if (auto n = ck.size(node["max_size"], "max_size")) c.cache_max_bytes = *n;
  }
  if (node["max_entry"]) {
    if (auto n = ck.size(node["max_entry"], "max_entry")) c.cache_max_entry = *n;
  }
}

void read_cohort(Checker& ck, const YAML::Node& node, Rollout& r) {
  if (!node.IsMap()) {
    ck.fail(node, "a cohort is a map", "e.g. - { header: \"X-Tester: yes\", to: canary }");
    return;
  }
  ck.only(node, {"header", "cookie", "clients", "to"}, "a cohort");
  Cohort co;
  co.line = node.Mark().line + 1;
  auto split = [&](const YAML::Node& v, const char* key, char sep, std::string& name,
                   std::string& value) {
    auto t = ck.text(v, key);
    if (!t) return;
    size_t at = t->find(sep);
    name = t->substr(0, at);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    if (at != std::string::npos) {
      value = t->substr(at + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    }
    if (name.empty()) {
      ck.fail(v, fmt::format("`{}: {}` names nothing", key, *t),
              sep == ':' ? "e.g. header: \"X-Tester: yes\"" : "e.g. cookie: \"beta=on\"");
    }
  };
  int rules = 0;
  if (node["header"]) {
    split(node["header"], "header", ':', co.header, co.header_value);
    ++rules;
  }
  if (node["cookie"]) {
    split(node["cookie"], "cookie", '=', co.cookie, co.cookie_value);
    ++rules;
  }
  if (node["clients"]) {
    each_item(ck, node["clients"], "clients", "e.g. clients: [acme, globex]",
              [&](const YAML::Node& item) {
                if (auto t = ck.text(item, "clients")) co.clients.push_back(*t);
              });
    ++rules;
  }
  if (!co.header.empty() && !token_name_ok(co.header)) {
    ck.fail(node["header"], fmt::format("cohort header `{}` is not a header name", co.header),
            "e.g. header: \"X-Tester: yes\"");
  }
  if (!co.cookie.empty() && (!token_name_ok(co.cookie) ||
                             co.cookie_value.find_first_of("; \t,\"\\") != std::string::npos)) {
    ck.fail(node["cookie"],
            fmt::format("cohort cookie `{}={}` is not a cookie name and value", co.cookie,
                        co.cookie_value),
            "e.g. cookie: \"beta=1\"");
  }
  if (node["clients"] && co.clients.empty()) {
    ck.fail(node["clients"], "`clients` is empty", "list client ids, e.g. clients: [acme]");
  }
  for (const std::string& id : co.clients) {
    if (id.empty() || id.size() > 256 || id.find_first_of(" \t\"\\") != std::string::npos) {
      ck.fail(node["clients"], fmt::format("`{}` is not a client id", id),
              "1 to 256 printable characters without spaces, as the client header carries");
      break;
    }
  }
  if (rules != 1) {
    ck.fail(node, "a cohort matches by exactly one of header, cookie or clients",
            "e.g. - { header: \"X-Tester: yes\", to: canary }");
  }
  if (node["to"]) {
    if (auto t = ck.text(node["to"], "to")) {
      if (*t == "canary") {
        co.canary = true;
      } else if (*t == "baseline") {
        co.canary = false;
      } else {
        ck.fail(node["to"], fmt::format("`to: {}`", *t), "canary or baseline");
      }
    }
  }
  r.cohorts.push_back(std::move(co));
}

void read_analysis(Checker& ck, const YAML::Node& node, Analysis& a) {
  if (!node.IsMap()) {
    ck.fail(node, "`analysis` must be a map",
            "e.g. analysis: { interval: 30s, max_error_increase: 1%, max_p99_ratio: 1.5 }");
    return;
  }
  ck.only(node, {"interval", "min_requests", "max_error_increase", "max_p99_ratio", "p99_floor"},
          "analysis");
  set_ms(ck, node, "interval", a.interval);
  if (a.interval < std::chrono::seconds(1)) {
    ck.fail(node["interval"], "`interval` below 1s",
            "windows shorter than the state sync (1s) "
            "cannot be judged across gateways");
  }
  set_int(ck, node, "min_requests", a.min_requests, 1, 100000000);
  set_share(ck, node, "max_error_increase", a.max_error_increase);
  set_ms(ck, node, "p99_floor", a.p99_floor, true);
  if (node["max_p99_ratio"]) {
    if (auto t = ck.text(node["max_p99_ratio"], "max_p99_ratio")) {
      char* end = nullptr;
      double d = std::strtod(t->c_str(), &end);
      if (t->empty() || *end != '\0' || !(d >= 1.0) || d > 1000) {
        ck.fail(node["max_p99_ratio"], fmt::format("`max_p99_ratio: {}` is not a ratio >= 1", *t),
                "e.g. 1.5: the canary's p99 may be at most 1.5 times the baseline's");
      } else {
        a.max_p99_ratio = d;
      }
    }
  }
}

// The `name` of a rollout or shadow: required, a token, unique among `others`.
template <typename Named>
std::string read_name(Checker& ck, const YAML::Node& node, const char* kind, const char* example,
                      const std::vector<Named>& others) {
  if (!node["name"]) {
    ck.fail(node, fmt::format("a {} without `name`", kind), fmt::format("e.g. name: {}", example));
    return "";
  }
  auto t = ck.text(node["name"], "name");
  if (!t) return "";
  if (!name_ok(*t)) {
    ck.fail(node["name"], fmt::format("{} name `{}` must be letters, digits, - _ .", kind, *t),
            kNameHint);
  }
  for (const auto& other : others) {
    if (other.name == *t) {
      ck.fail(
          node["name"], fmt::format("{} `{}` declared twice", kind, *t),
          fmt::format("give each {} its own name: its state and metrics are kept by name", kind));
    }
  }
  return *t;
}

void read_rollout(Checker& ck, const YAML::Node& node, Config& c) {
  if (!node.IsMap()) {
    ck.fail(node, "a rollout is a map",
            "e.g. - { name: orders-v2, baseline: default, canary: orders-v2, steps: [1, 5, 25, "
            "50, 100] }");
    return;
  }
  ck.only(
      node,
      {"name", "routes", "baseline", "canary", "steps", "bake", "automatic", "analysis", "cohorts"},
      "a rollout");
  Rollout r;
  r.line = node.Mark().line + 1;
  r.name = read_name(ck, node, "rollout", "orders-v2", c.rollouts);
  if (node["routes"]) r.routes = read_patterns(ck, node["routes"], "routes");
  if (node["baseline"]) r.baseline = upstream_ref(ck, c, node["baseline"], "baseline");
  if (!node["canary"]) {
    ck.fail(node, "a rollout without `canary`", "the upstream clients move to");
  } else {
    r.canary = upstream_ref(ck, c, node["canary"], "canary");
  }
  if (r.canary >= 0 && r.canary == r.baseline) {
    ck.fail(node["canary"], "`canary` is the baseline",
            "a rollout moves clients between two "
            "upstreams");
  }
  if (!node["steps"]) {
    ck.fail(node, "a rollout without `steps`", "e.g. steps: [1, 5, 25, 50, 100] (percent)");
  } else {
    each_item(ck, node["steps"], "steps", "e.g. steps: [1, 5, 25, 50, 100]",
              [&](const YAML::Node& item) {
                auto p = ck.percent(item, "steps");
                if (!p) return;
                // A first step of 0 % is a rollout declared but not started: only cohorts reach
                // the canary (testers, dark reads first) until `api rollout promote`.
                if (*p <= 0 && !r.steps.empty()) {
                  ck.fail(item, "a step of 0% after the first",
                          "only the first step may be 0 (not started yet); abort sets 0%");
                  return;
                }
                if (!r.steps.empty() && *p <= r.steps.back()) {
                  ck.fail(item, "`steps` must increase", "e.g. steps: [1, 5, 25, 50, 100]");
                  return;
                }
                r.steps.push_back(*p);
              });
    if (node["steps"].IsSequence() && node["steps"].size() == 0) {
      ck.fail(node["steps"], "`steps` is empty", "e.g. steps: [1, 5, 25, 50, 100]");
    }
  }
  set_ms(ck, node, "bake", r.bake, true);
  if (node["automatic"]) {
    if (auto t = ck.text(node["automatic"], "automatic")) {
      if (*t != "true" && *t != "false") {
        ck.fail(node["automatic"], "`automatic` is true or false",
                "false: the steps move only by tandem api rollout promote");
      }
      r.automatic = *t == "true";
    }
  }
  if (node["analysis"]) read_analysis(ck, node["analysis"], r.analysis);
  if (node["cohorts"]) {
    each_item(ck, node["cohorts"], "cohorts", "e.g. cohorts: [{ header: \"X-Tester: yes\" }]",
              [&](const YAML::Node& item) { read_cohort(ck, item, r); });
  }
  c.rollouts.push_back(std::move(r));
}

void read_shadow(Checker& ck, const YAML::Node& node, Config& c) {
  if (!node.IsMap()) {
    ck.fail(node, "a shadow is a map",
            "e.g. - { name: orders-dark, upstream: orders-v2, percent: 10 }");
    return;
  }
  ck.only(node, {"name", "routes", "upstream", "percent", "ignore", "methods", "max_in_flight"},
          "a shadow");
  Shadow s;
  s.line = node.Mark().line + 1;
  s.name = read_name(ck, node, "shadow", "orders-dark", c.shadows);
  if (node["routes"]) s.routes = read_patterns(ck, node["routes"], "routes");
  if (!node["upstream"]) {
    ck.fail(node, "a shadow without `upstream`", "the upstream that gets the copies");
  } else {
    s.upstream = upstream_ref(ck, c, node["upstream"], "upstream");
  }
  if (!node["percent"]) {
    ck.fail(node, "a shadow without `percent`", "e.g. percent: 10");
  } else if (auto p = ck.percent(node["percent"], "percent")) {
    s.share = *p;
  }
  if (node["ignore"]) s.ignore = read_field_paths(ck, node["ignore"], "ignore");
  if (node["methods"]) {
    s.methods.clear();
    each_item(ck, node["methods"], "methods", "e.g. methods: [GET]", [&](const YAML::Node& item) {
      auto t = ck.text(item, "methods");
      if (!t) return;
      static const std::set<std::string> known = {"GET", "HEAD",  "OPTIONS", "POST",
                                                  "PUT", "PATCH", "DELETE"};
      if (!known.count(*t)) {
        ck.fail(item, fmt::format("`{}` is not an HTTP method", *t), "e.g. GET");
        return;
      }
      s.methods.push_back(*t);
    });
  }
  if (node["methods"] && node["methods"].IsSequence() && node["methods"].size() == 0) {
    ck.fail(node["methods"], "`methods` is empty",
            "e.g. methods: [GET]; leave it out for GET, HEAD");
  }
  set_int(ck, node, "max_in_flight", s.max_in_flight, 1, 100000);
  c.shadows.push_back(std::move(s));
}

}  // namespace

void read_upstream(Checker& ck, const YAML::Node& node, Upstream& u, const std::string& where) {
  u.line = node.Mark().line + 1;
  if (node.IsScalar()) {
    if (auto t = read_target(ck, node)) u.targets.push_back(*t);
    return;
  }
  if (!node.IsMap()) {
    ck.fail(node, fmt::format("`{}` must be a URL or a map with `url`", where),
            "e.g. upstream: { url: http://127.0.0.1:7001, timeout: 5s }");
    return;
  }
  ck.only(node,
          {"url", "targets", "timeout", "connect_timeout", "idle_timeout", "health_check",
           "breaker", "retry", "concurrency"},
          where);
  // A timeout of 0 would fail every exchange at once; an idle_timeout of 0 only keeps no
  // connection for reuse.
  set_ms(ck, node, "timeout", u.timeout);
  set_ms(ck, node, "connect_timeout", u.connect_timeout);
  set_ms(ck, node, "idle_timeout", u.idle_timeout, true);
  if (node["url"] && node["targets"]) {
    ck.fail(node["targets"], fmt::format("`{}` has both `url` and `targets`", where),
            "one target: url; several: targets: [http://…, http://…]");
  } else if (node["url"]) {
    if (auto t = read_target(ck, node["url"])) u.targets.push_back(*t);
  } else if (node["targets"]) {
    each_item(ck, node["targets"], "targets", "e.g. targets: [http://10.0.0.1:7001]",
              [&](const YAML::Node& item) {
                if (auto t = read_target(ck, item)) u.targets.push_back(*t);
              });
    if (node["targets"].IsSequence() && node["targets"].size() == 0) {
      ck.fail(node["targets"], "`targets` is empty", "list at least one http:// URL");
    }
    if (node["targets"].IsSequence() && node["targets"].size() > 64) {
      ck.fail(node["targets"], "more than 64 targets in one upstream",
              "put a load balancer in front of a larger pool and name it once");
    }
    for (size_t i = 1; i < u.targets.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (u.targets[i].authority == u.targets[j].authority) {
          ck.fail_at(u.targets[i].line,
                     fmt::format("target `{}` is listed twice", u.targets[i].url),
                     "list each target once: a retry goes to another target");
          break;
        }
      }
    }
    // Replicas of one backend: a request (and its retry, its revalidation) goes to any of them
    // with the same path.
    for (const Target& t : u.targets) {
      if (t.base != u.targets.front().base) {
        ck.fail_at(t.line,
                   fmt::format("target `{}` has the base path `{}`, the first one `{}`", t.url,
                               t.base, u.targets.front().base),
                   "the targets of one upstream are replicas: give them one base path, or make "
                   "them separate upstreams");
        break;
      }
    }
  } else {
    ck.fail(node, fmt::format("`{}` has no `url`", where),
            "e.g. upstream: { url: http://127.0.0.1:7001 }");
  }
  if (node["health_check"]) read_health(ck, node["health_check"], u.health);
  if (node["breaker"]) read_breaker(ck, node["breaker"], u.breaker);
  if (node["retry"]) read_retry(ck, node["retry"], u.retry);
  if (node["concurrency"]) read_concurrency(ck, node["concurrency"], u.concurrency);
}

void read_upstreams(Checker& ck, const YAML::Node& node, Config& c) {
  if (!node.IsMap()) {
    ck.fail(node, "`upstreams` maps names to upstreams",
            "e.g. upstreams: { orders-v2: { url: http://127.0.0.1:7002 } }");
    return;
  }
  ck.only(node, {}, "upstreams");
  for (const auto& kv : node) {
    std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (!name_ok(name)) {
      ck.fail(kv.first, fmt::format("upstream name `{}` must be letters, digits, - _ .", name),
              kNameHint);
      continue;
    }
    if (name == "default") {
      ck.fail(kv.first, "`default` is the name of `upstream`", "give this upstream another name");
      continue;
    }
    Upstream u;
    u.name = name;
    read_upstream(ck, kv.second, u, "upstreams." + name);
    c.upstreams.push_back(std::move(u));
  }
}

void read_traffic(Checker& ck, const YAML::Node& root, Config& c) {
  if (root["priority"]) read_priority(ck, root["priority"], c);
  if (root["cache"]) read_cache_limits(ck, root["cache"], c);
  if (root["routes"]) {
    each_item(ck, root["routes"], "routes", "e.g. routes: [{ match: \"GET /orders\" }]",
              [&](const YAML::Node& item) { read_route(ck, item, c); });
  }
  if (root["rollouts"]) {
    each_item(ck, root["rollouts"], "rollouts", "e.g. rollouts: [{ name: orders-v2, … }]",
              [&](const YAML::Node& item) { read_rollout(ck, item, c); });
  }
  if (root["shadows"]) {
    each_item(ck, root["shadows"], "shadows", "e.g. shadows: [{ name: orders-dark, … }]",
              [&](const YAML::Node& item) { read_shadow(ck, item, c); });
  }
}

}  // namespace tandem::gateway
