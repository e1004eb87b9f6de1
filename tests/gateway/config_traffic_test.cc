// The traffic sections of the gateway config (src/gateway/config_traffic.h): each section fills
// its structs with the values written and the documented defaults, and each kind of mistake is
// refused with the line it is on and a hint.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "gateway/config_fixture.h"
#include "tandem/gateway.h"
#include "tandem/status.h"

namespace tandem::gateway {
namespace {

using std::chrono::milliseconds;
using testing::ConfigFixture;
using testing::line_of;

const char* kVersions = "versions: { list: [a, b] }\n";

// A valid config with a default upstream and a named one, `v2`.
std::string with_upstreams(const std::string& rest) {
  return std::string(
             "upstream: http://127.0.0.1:7001\n"
             "upstreams:\n"
             "  v2: http://127.0.0.1:7002\n") +
         kVersions + rest;
}

class ConfigTraffic : public ConfigFixture {
 protected:
  // Loads `content` and fails the test when it is refused.
  Config loaded(const std::string& content) {
    auto r = load(content);
    EXPECT_TRUE(r.ok()) << r.status().message() << "\n" << content;
    return r.ok() ? *r : Config{};
  }
};

// ---- upstream ----

TEST_F(ConfigTraffic, UpstreamAsAUrlHasEveryDefault) {
  Config c = loaded(std::string("upstream: http://127.0.0.1:7001/api/\n") + kVersions);
  ASSERT_EQ(c.upstreams.size(), 1u);
  const Upstream& u = c.upstreams[0];
  EXPECT_EQ(u.name, "default");
  EXPECT_EQ(u.line, 1);
  ASSERT_EQ(u.targets.size(), 1u);
  EXPECT_EQ(u.targets[0].url, "http://127.0.0.1:7001/api/");
  EXPECT_EQ(u.targets[0].host, "127.0.0.1");
  EXPECT_EQ(u.targets[0].port, "7001");
  EXPECT_EQ(u.targets[0].base, "/api");
  EXPECT_EQ(u.targets[0].authority, "127.0.0.1:7001");
  EXPECT_EQ(u.timeout, milliseconds(5000));
  EXPECT_EQ(u.connect_timeout, milliseconds(2000));
  EXPECT_EQ(u.idle_timeout, milliseconds(4000));
  EXPECT_EQ(u.health.path, "");  // no active probe
  EXPECT_EQ(u.health.interval, milliseconds(2000));
  EXPECT_EQ(u.health.healthy, 2);
  EXPECT_EQ(u.health.unhealthy, 2);
  EXPECT_EQ(u.breaker.failures, 5);
  EXPECT_EQ(u.breaker.open, milliseconds(10000));
  EXPECT_EQ(u.breaker.max_open, milliseconds(300000));
  EXPECT_EQ(u.breaker.half_open, 1);
  EXPECT_EQ(u.retry.attempts, 1);
  EXPECT_DOUBLE_EQ(u.retry.budget, 0.2);
  EXPECT_EQ(u.retry.min_per_second, 3);
  EXPECT_EQ(u.concurrency.limit, 0);  // unlimited
  EXPECT_FALSE(u.concurrency.adaptive);
  EXPECT_DOUBLE_EQ(u.concurrency.sheddable, 0.6);
  EXPECT_DOUBLE_EQ(u.concurrency.normal, 0.85);
  EXPECT_TRUE(c.routes.empty());
  EXPECT_TRUE(c.rollouts.empty());
  EXPECT_TRUE(c.shadows.empty());
  EXPECT_EQ(c.default_priority, Priority::kNormal);
  EXPECT_EQ(c.cache_max_bytes, 64u * 1024 * 1024);
  EXPECT_EQ(c.cache_max_entry, 1024u * 1024);
}

TEST_F(ConfigTraffic, UpstreamWithEveryPolicy) {
  std::string cfg = std::string(
                        "upstream:\n"
                        "  targets:\n"
                        "    - http://10.0.0.1:7001/base\n"
                        "    - \"http://10.0.0.2:7002/base/\"\n"
                        "  timeout: 7s\n"
                        "  connect_timeout: 1500ms\n"
                        "  idle_timeout: 1m\n"
                        "  health_check: { path: /healthz, interval: 3s, timeout: 500ms, "
                        "healthy: 3, unhealthy: 4 }\n"
                        "  breaker: { failures: 7, open: 2s, max_open: 1m, half_open: 3 }\n"
                        "  retry: { attempts: 2, budget: 25%, min_per_second: 10 }\n"
                        "  concurrency: { limit: 64, sheddable: 50%, default: 75%, "
                        "retry_after: 3s }\n") +
                    kVersions;
  Config c = loaded(cfg);
  ASSERT_EQ(c.upstreams.size(), 1u);
  const Upstream& u = c.upstreams[0];
  ASSERT_EQ(u.targets.size(), 2u);
  EXPECT_EQ(u.targets[0].host, "10.0.0.1");
  EXPECT_EQ(u.targets[0].line, line_of(cfg, "    - http://10.0.0.1"));
  EXPECT_EQ(u.targets[1].host, "10.0.0.2");
  EXPECT_EQ(u.targets[1].port, "7002");
  EXPECT_EQ(u.targets[1].base, "/base");
  EXPECT_EQ(u.targets[1].line, line_of(cfg, "http://10.0.0.2"));
  EXPECT_EQ(u.timeout, milliseconds(7000));
  EXPECT_EQ(u.connect_timeout, milliseconds(1500));
  EXPECT_EQ(u.idle_timeout, milliseconds(60000));
  EXPECT_EQ(u.health.path, "/healthz");
  EXPECT_EQ(u.health.interval, milliseconds(3000));
  EXPECT_EQ(u.health.timeout, milliseconds(500));
  EXPECT_EQ(u.health.healthy, 3);
  EXPECT_EQ(u.health.unhealthy, 4);
  EXPECT_EQ(u.breaker.failures, 7);
  EXPECT_EQ(u.breaker.open, milliseconds(2000));
  EXPECT_EQ(u.breaker.max_open, milliseconds(60000));
  EXPECT_EQ(u.breaker.half_open, 3);
  EXPECT_EQ(u.retry.attempts, 2);
  EXPECT_DOUBLE_EQ(u.retry.budget, 0.25);
  EXPECT_EQ(u.retry.min_per_second, 10);
  EXPECT_EQ(u.concurrency.limit, 64);
  EXPECT_FALSE(u.concurrency.adaptive);
  EXPECT_DOUBLE_EQ(u.concurrency.sheddable, 0.5);
  EXPECT_DOUBLE_EQ(u.concurrency.normal, 0.75);
  EXPECT_EQ(u.concurrency.retry_after, milliseconds(3000));
}

// Older code reads the single-target names and `timeouts.upstream`: `upstream:` still fills
// them, from its first target.
TEST_F(ConfigTraffic, LegacyFieldsComeFromTheUpstream) {
  Config c = loaded(std::string("upstream:\n"
                                "  targets: [\"http://backend.internal:8081/v1/\", "
                                "\"http://other:9000/v1\"]\n"
                                "  timeout: 9s\n"
                                "  connect_timeout: 750ms\n"
                                "  idle_timeout: 2s\n") +
                    kVersions);
  EXPECT_EQ(c.upstream_url, "http://backend.internal:8081/v1/");
  EXPECT_EQ(c.upstream_host, "backend.internal");
  EXPECT_EQ(c.upstream_port, "8081");
  EXPECT_EQ(c.upstream_base, "/v1");
  EXPECT_EQ(c.upstream_authority, "backend.internal:8081");
  EXPECT_EQ(c.timeouts.upstream, milliseconds(9000));
  EXPECT_EQ(c.timeouts.upstream_connect, milliseconds(750));
  EXPECT_EQ(c.timeouts.upstream_idle, milliseconds(2000));

  Config plain = loaded(std::string("upstream: http://127.0.0.1:7001\n") + kVersions);
  EXPECT_EQ(plain.upstream_url, "http://127.0.0.1:7001");
  EXPECT_EQ(plain.upstream_port, "7001");
  EXPECT_EQ(plain.upstream_base, "");
  EXPECT_EQ(plain.timeouts.upstream, milliseconds(5000));
  EXPECT_EQ(plain.timeouts.upstream_connect, milliseconds(2000));
  EXPECT_EQ(plain.timeouts.upstream_idle, milliseconds(4000));
}

// A bare number is a percentage too: 0.5 is half a percent, not half.
TEST_F(ConfigTraffic, PercentagesWithAndWithoutTheSign) {
  auto budget = [&](const std::string& v) {
    Config c = loaded("upstream: { url: http://127.0.0.1:7001, retry: { budget: " + v + " } }\n" +
                      kVersions);
    return c.upstreams.empty() ? -1.0 : c.upstreams[0].retry.budget;
  };
  EXPECT_DOUBLE_EQ(budget("5%"), 0.05);
  EXPECT_DOUBLE_EQ(budget("5"), 0.05);
  EXPECT_DOUBLE_EQ(budget("0.5%"), 0.005);
  EXPECT_DOUBLE_EQ(budget("0.5"), 0.005);
  EXPECT_DOUBLE_EQ(budget("100%"), 1.0);
  EXPECT_DOUBLE_EQ(budget("0"), 0.0);
  for (const char* bad : {"101%", "-1%", "five", "5 %", "%"}) {
    SCOPED_TRACE(bad);
    Status st = expect_refused(std::string("upstream:\n"
                                           "  url: http://127.0.0.1:7001\n"
                                           "  retry:\n"
                                           "    budget: \"") +
                                   bad + "\"\n" + kVersions,
                               "    budget", "is not a percentage");
    EXPECT_NE(st.hint().find("5%"), std::string::npos) << st.hint();
  }
}

TEST_F(ConfigTraffic, AdaptiveConcurrency) {
  auto limit_of = [&](const std::string& concurrency) {
    Config c = loaded("upstream:\n  url: http://127.0.0.1:7001\n  concurrency: " + concurrency +
                      "\n" + kVersions);
    return c.upstreams.empty() ? ConcurrencyLimit{} : c.upstreams[0].concurrency;
  };
  ConcurrencyLimit plain = limit_of("adaptive");
  EXPECT_TRUE(plain.adaptive);
  EXPECT_EQ(plain.limit, 20);  // the starting limit
  EXPECT_EQ(plain.min, 4);
  EXPECT_EQ(plain.max, 1000);
  EXPECT_DOUBLE_EQ(plain.tolerance, 1.5);
  EXPECT_EQ(plain.probe_interval, milliseconds(60000));
  EXPECT_EQ(plain.probe_requests, 25);

  ConcurrencyLimit fixed = limit_of("32");
  EXPECT_FALSE(fixed.adaptive);
  EXPECT_EQ(fixed.limit, 32);

  ConcurrencyLimit full = limit_of(
      "{ limit: adaptive, initial: 50, min: 10, max: 200, tolerance: 3.5, sheddable: 40%, "
      "default: 70% }");
  EXPECT_TRUE(full.adaptive);
  EXPECT_EQ(full.limit, 50);
  EXPECT_EQ(full.min, 10);
  EXPECT_EQ(full.max, 200);
  EXPECT_DOUBLE_EQ(full.tolerance, 3.5);
  EXPECT_DOUBLE_EQ(full.sheddable, 0.4);
  EXPECT_DOUBLE_EQ(full.normal, 0.7);

  // The starting limit is kept within min and max.
  EXPECT_EQ(limit_of("{ limit: adaptive, initial: 2, min: 8 }").limit, 8);
  EXPECT_EQ(limit_of("{ limit: adaptive, min: 1, max: 10 }").limit, 10);
}

TEST_F(ConfigTraffic, NamedUpstreams) {
  Config c = loaded(std::string("upstream: http://127.0.0.1:7001\n"
                                "upstreams:\n"
                                "  orders-v2: { url: http://127.0.0.1:7002, timeout: 1s }\n"
                                "  legacy.eu: http://127.0.0.1:7003\n") +
                    kVersions);
  ASSERT_EQ(c.upstreams.size(), 3u);
  EXPECT_EQ(c.upstreams[0].name, "default");
  EXPECT_EQ(c.upstreams[1].name, "orders-v2");
  EXPECT_EQ(c.upstreams[1].timeout, milliseconds(1000));
  EXPECT_EQ(c.upstreams[1].targets.at(0).port, "7002");
  EXPECT_EQ(c.upstreams[2].name, "legacy.eu");
  EXPECT_EQ(c.upstreams[2].targets.at(0).port, "7003");
  EXPECT_EQ(c.upstream_index("orders-v2"), 1);
  EXPECT_EQ(c.upstream_index("default"), 0);
  EXPECT_EQ(c.upstream_index("nope"), -1);
  // The legacy names are the default upstream's, whatever else is declared.
  EXPECT_EQ(c.upstream_port, "7001");
}

TEST_F(ConfigTraffic, UnknownKeysAreRefusedWhereTheyAre) {
  struct Case {
    std::string upstream;  // the `upstream:` value
    const char* needle;
    const char* says;
  };
  for (const Case& k : {
           Case{"{ url: http://127.0.0.1:7001, timeuot: 5s }",
                "upstream:", "unknown key `timeuot` in upstream"},
           Case{"{ url: http://127.0.0.1:7001, health_check: { path: /h, every: 2s } }",
                "upstream:", "unknown key `every` in health_check"},
           Case{"{ url: http://127.0.0.1:7001, breaker: { failures: 3, open_for: 2s } }",
                "upstream:", "unknown key `open_for` in breaker"},
           Case{"{ url: http://127.0.0.1:7001, retry: { attempts: 1, budget_pct: 3 } }",
                "upstream:", "unknown key `budget_pct` in retry"},
           Case{"{ url: http://127.0.0.1:7001, concurrency: { limit: 3, critical: 90% } }",
                "upstream:", "unknown key `critical` in concurrency"},
       }) {
    SCOPED_TRACE(k.upstream);
    Status st = expect_refused("upstream: " + k.upstream + "\n" + kVersions, k.needle, k.says);
    // The hint lists what the section takes.
    EXPECT_NE(st.hint().find(" takes "), std::string::npos) << st.hint();
  }
  // In a named upstream, the message says which.
  std::string cfg = std::string(
                        "upstream: http://127.0.0.1:7001\n"
                        "upstreams:\n"
                        "  v2:\n"
                        "    url: http://127.0.0.1:7002\n"
                        "    retries: 3\n") +
                    kVersions;
  expect_refused(cfg, "    retries", "unknown key `retries` in upstreams.v2");
}

TEST_F(ConfigTraffic, UrlAndTargetsTogether) {
  std::string cfg = std::string(
                        "upstream:\n"
                        "  url: http://127.0.0.1:7001\n"
                        "  targets: [http://127.0.0.1:7002]\n") +
                    kVersions;
  expect_refused(cfg, "  targets:", "has both `url` and `targets`");
}

TEST_F(ConfigTraffic, EmptyTargets) {
  std::string cfg = std::string(
                        "upstream:\n"
                        "  timeout: 5s\n"
                        "  targets: []\n") +
                    kVersions;
  expect_refused(cfg, "  targets:", "`targets` is empty");
}

TEST_F(ConfigTraffic, NeitherUrlNorTargets) {
  std::string cfg = std::string(
                        "upstream:\n"
                        "  timeout: 5s\n") +
                    kVersions;
  expect_refused(cfg, "  timeout", "`upstream` has no `url`");
}

TEST_F(ConfigTraffic, HttpsTargetIsRefusedAtItsLine) {
  std::string cfg = std::string(
                        "upstream:\n"
                        "  targets:\n"
                        "    - http://127.0.0.1:7001\n"
                        "    - https://127.0.0.1:7002\n") +
                    kVersions;
  Status st = expect_refused(cfg, "    - https", "TLS to the upstream is not supported");
  EXPECT_NE(st.hint().find("http://"), std::string::npos) << st.hint();
  // In a named upstream, too.
  std::string named = std::string(
                          "upstream: http://127.0.0.1:7001\n"
                          "upstreams:\n"
                          "  v2: { url: \"https://10.0.0.9:443\" }\n") +
                      kVersions;
  expect_refused(named, "  v2:", "TLS to the upstream is not supported");
}

TEST_F(ConfigTraffic, BadHealthCheckPath) {
  for (const char* path : {"healthz", "\"/health z\"", "\"\""}) {
    SCOPED_TRACE(path);
    std::string cfg = std::string(
                          "upstream:\n"
                          "  url: http://127.0.0.1:7001\n"
                          "  health_check:\n"
                          "    interval: 1s\n"
                          "    path: ") +
                      path + "\n" + kVersions;
    Status st = expect_refused(cfg, "    path:", "is not a request path");
    EXPECT_NE(st.hint().find("/healthz"), std::string::npos) << st.hint();
  }
  std::string no_path = std::string(
                            "upstream:\n"
                            "  url: http://127.0.0.1:7001\n"
                            "  health_check: { interval: 1s }\n") +
                        kVersions;
  expect_refused(no_path, "  health_check:", "`health_check` has no `path`");
}

TEST_F(ConfigTraffic, BreakerMaxOpenShorterThanOpen) {
  std::string cfg = std::string(
                        "upstream:\n"
                        "  url: http://127.0.0.1:7001\n"
                        "  breaker: { open: 30s, max_open: 10s }\n") +
                    kVersions;
  Status st = expect_refused(cfg, "  breaker:", "`breaker.max_open` is shorter than `open`");
  EXPECT_NE(st.hint().find("doubling"), std::string::npos) << st.hint();
}

TEST_F(ConfigTraffic, ConcurrencyMistakes) {
  auto cfg = [](const std::string& concurrency) {
    return std::string(
               "upstream:\n"
               "  url: http://127.0.0.1:7001\n"
               "  concurrency: ") +
           concurrency + "\n" + kVersions;
  };
  expect_refused(cfg("{ limit: 10, sheddable: 90%, default: 80% }"),
                 "  concurrency:", "`concurrency.sheddable` is above `default`");
  // Above the default share (85 %) without `default` written.
  expect_refused(cfg("{ limit: 10, sheddable: 90% }"),
                 "  concurrency:", "`concurrency.sheddable` is above `default`");
  expect_refused(cfg("{ limit: adaptive, min: 50, max: 20 }"),
                 "  concurrency:", "`concurrency.min` is above `max`");
  expect_refused(cfg("{ min: 4, max: 100 }"), "  concurrency:", "`concurrency` has no `limit`");
  expect_refused(cfg("{ limit: 10, initial: 5 }"),
                 "  concurrency:", "`initial` applies to `limit: adaptive` only");
  expect_refused(cfg("{ limit: adaptive, tolerance: 0.5 }"),
                 "  concurrency:", "`tolerance: 0.5` must be a number from 1 to 100");
  expect_refused(cfg("[1, 2]"),
                 "  concurrency:", "`concurrency` must be a number, `adaptive` or a map");
}

TEST_F(ConfigTraffic, ZeroDurationWhereOneMustWait) {
  std::string cfg = std::string(
                        "upstream:\n"
                        "  url: http://127.0.0.1:7001\n"
                        "  breaker:\n"
                        "    open: 0s\n") +
                    kVersions;
  expect_refused(cfg, "    open:", "`open: 0` would never wait");
}

// An upstream timeout of 0 would answer every request 504 at once.
TEST_F(ConfigTraffic, ZeroUpstreamTimeouts) {
  for (const char* key : {"timeout", "connect_timeout"}) {
    SCOPED_TRACE(key);
    std::string cfg = std::string(
                          "upstream:\n"
                          "  url: http://127.0.0.1:7001\n"
                          "  ") +
                      key + ": 0s\n" + kVersions;
    expect_refused(cfg, std::string("  ") + key, std::string("`") + key + ": 0` would never wait");
  }
  // No connection kept for reuse is a choice, not a mistake.
  Config c = loaded(std::string("upstream:\n"
                                "  url: http://127.0.0.1:7001\n"
                                "  idle_timeout: 0s\n") +
                    kVersions);
  ASSERT_EQ(c.upstreams.size(), 1u);
  EXPECT_EQ(c.upstreams[0].idle_timeout, milliseconds(0));
}

TEST_F(ConfigTraffic, DefaultIsNotANameForANamedUpstream) {
  std::string cfg = std::string(
                        "upstream: http://127.0.0.1:7001\n"
                        "upstreams:\n"
                        "  default: http://127.0.0.1:7002\n") +
                    kVersions;
  expect_refused(cfg, "  default:", "`default` is the name of `upstream`");
}

TEST_F(ConfigTraffic, BadUpstreamName) {
  std::string cfg = std::string(
                        "upstream: http://127.0.0.1:7001\n"
                        "upstreams:\n"
                        "  \"orders v2\": http://127.0.0.1:7002\n") +
                    kVersions;
  expect_refused(cfg, "  \"orders v2\"", "upstream name `orders v2` must be letters");
}

// ---- routes, priority, cache ----

TEST_F(ConfigTraffic, RoutesWithEveryPolicy) {
  std::string cfg = with_upstreams(
      "routes:\n"
      "  - match: \"GET /orders\"\n"
      "    priority: critical\n"
      "    cache: { ttl: 5s, stale_if_error: 10m, stale_while_revalidate: 30s }\n"
      "    fallback: { status: 503, body: { data: [], degraded: true } }\n"
      "  - match: \"/orders/{id}\"\n"
      "    upstream: v2\n"
      "    priority: sheddable\n"
      "    partial:\n"
      "      drop: [\"data[].recommendations\", meta]\n"
      "      when: [overload, switch]\n"
      "      switch: orders-lite\n"
      "  - match: \"GET /catalog\"\n"
      "    cache: true\n"
      "    fallback: { content_type: text/plain }\n"
      "    partial: { drop: [ads] }\n");
  Config c = loaded(cfg);
  ASSERT_EQ(c.routes.size(), 3u);
  const RoutePolicy& a = c.routes[0];
  EXPECT_EQ(a.line, line_of(cfg, "  - match: \"GET /orders\""));
  EXPECT_EQ(a.pattern.method, "GET");
  EXPECT_EQ(a.pattern.text, "GET /orders");
  EXPECT_EQ(a.upstream, 0);
  EXPECT_EQ(a.priority, Priority::kCritical);
  EXPECT_TRUE(a.cache.enabled);
  EXPECT_EQ(a.cache.ttl, milliseconds(5000));
  EXPECT_EQ(a.cache.stale_if_error, milliseconds(600000));
  EXPECT_EQ(a.cache.stale_while_revalidate, milliseconds(30000));
  EXPECT_EQ(a.fallback.status, 503);
  EXPECT_EQ(a.fallback.content_type, "application/json");
  EXPECT_NE(a.fallback.body.find("\"degraded\":true"), std::string::npos) << a.fallback.body;
  EXPECT_NE(a.fallback.body.find("\"data\":[]"), std::string::npos) << a.fallback.body;
  EXPECT_TRUE(a.partial.drop.empty());

  const RoutePolicy& b = c.routes[1];
  EXPECT_EQ(b.pattern.method, "");
  EXPECT_EQ(b.upstream, 1);
  EXPECT_EQ(b.priority, Priority::kSheddable);
  EXPECT_FALSE(b.cache.enabled);
  EXPECT_EQ(b.fallback.status, 0);  // no fallback
  ASSERT_EQ(b.partial.drop.size(), 2u);
  EXPECT_EQ(b.partial.drop[0], "data[].recommendations");
  EXPECT_EQ(b.partial.drop[1], "meta");
  EXPECT_TRUE(b.partial.on_overload);
  EXPECT_FALSE(b.partial.always);
  EXPECT_EQ(b.partial.switch_name, "orders-lite");
  EXPECT_EQ(b.partial.location, ".");

  const RoutePolicy& d = c.routes[2];
  EXPECT_FALSE(d.priority.has_value());
  EXPECT_TRUE(d.cache.enabled);
  EXPECT_EQ(d.cache.ttl, milliseconds(0));
  EXPECT_EQ(d.fallback.status, 200);  // a fallback without a status answers 200…
  EXPECT_EQ(d.fallback.body, "{}");   // …with an empty object
  EXPECT_EQ(d.fallback.content_type, "text/plain");
  // Without `when` and without a switch, fields are dropped while the upstream sheds load.
  EXPECT_TRUE(d.partial.on_overload);
  EXPECT_EQ(d.partial.switch_name, "");
}

TEST_F(ConfigTraffic, PartialWhenAlwaysOrOnlyByItsSwitch) {
  Config c = loaded(with_upstreams(
      "routes:\n"
      "  - { match: \"GET /a\", partial: { drop: [x], when: always } }\n"
      "  - { match: \"GET /b\", partial: { drop: [x], switch: lite } }\n"
      "  - { match: \"GET /c\", partial: { drop: [\"items[].y\"], location: \"data[]\" } }\n"));
  ASSERT_EQ(c.routes.size(), 3u);
  EXPECT_TRUE(c.routes[0].partial.always);
  EXPECT_FALSE(c.routes[0].partial.on_overload);
  // A switch without `when`: only the switch drops the fields.
  EXPECT_FALSE(c.routes[1].partial.on_overload);
  EXPECT_FALSE(c.routes[1].partial.always);
  EXPECT_EQ(c.routes[1].partial.switch_name, "lite");
  EXPECT_EQ(c.routes[2].partial.location, "data[]");
}

TEST_F(ConfigTraffic, PriorityAndCacheSections) {
  Config c = loaded(with_upstreams(
      "priority:\n"
      "  default: sheddable\n"
      "  header: X-Priority\n"
      "  clients: { checkout-web: critical, nightly-export: sheddable, app: default }\n"
      "cache: { max_size: 8MiB, max_entry: 64KiB }\n"));
  EXPECT_EQ(c.default_priority, Priority::kSheddable);
  EXPECT_EQ(c.priority_header, "X-Priority");
  ASSERT_EQ(c.client_priorities.size(), 3u);
  EXPECT_EQ(c.client_priorities.at("checkout-web"), Priority::kCritical);
  EXPECT_EQ(c.client_priorities.at("nightly-export"), Priority::kSheddable);
  EXPECT_EQ(c.client_priorities.at("app"), Priority::kNormal);
  EXPECT_EQ(c.cache_max_bytes, 8u * 1024 * 1024);
  EXPECT_EQ(c.cache_max_entry, 64u * 1024);
  EXPECT_STREQ(priority_name(Priority::kCritical), "critical");
  EXPECT_STREQ(priority_name(Priority::kNormal), "default");
  EXPECT_STREQ(priority_name(Priority::kSheddable), "sheddable");
}

TEST_F(ConfigTraffic, BadPriority) {
  Status st = expect_refused(with_upstreams("priority:\n"
                                            "  default: urgent\n"),
                             "  default: urgent", "`default: urgent`");
  EXPECT_NE(st.hint().find("critical, default, sheddable"), std::string::npos) << st.hint();
  expect_refused(with_upstreams("priority:\n"
                                "  clients:\n"
                                "    acme: high\n"),
                 "    acme:", "`acme: high`");
  expect_refused(with_upstreams("routes:\n"
                                "  - match: \"GET /a\"\n"
                                "    priority: low\n"),
                 "    priority:", "`priority: low`");
  expect_refused(with_upstreams("priority:\n"
                                "  clients: { acme: critical }\n"
                                "  weights: 3\n"),
                 "  weights", "unknown key `weights` in priority");
}

TEST_F(ConfigTraffic, UnknownKeysInARoute) {
  expect_refused(with_upstreams("routes:\n"
                                "  - match: \"GET /a\"\n"
                                "    timeout: 1s\n"),
                 "    timeout", "unknown key `timeout` in a route");
  expect_refused(with_upstreams("routes:\n"
                                "  - match: \"GET /a\"\n"
                                "    cache:\n"
                                "      ttl: 1s\n"
                                "      max_age: 1s\n"),
                 "      max_age", "unknown key `max_age` in a route's cache");
  expect_refused(with_upstreams("routes:\n"
                                "  - match: \"GET /a\"\n"
                                "    fallback:\n"
                                "      status: 200\n"
                                "      headers: {}\n"),
                 "      headers", "unknown key `headers` in fallback");
  expect_refused(with_upstreams("routes:\n"
                                "  - match: \"GET /a\"\n"
                                "    partial:\n"
                                "      drop: [a]\n"
                                "      keep: [b]\n"),
                 "      keep", "unknown key `keep` in partial");
  expect_refused(with_upstreams("cache:\n"
                                "  max_size: 1MiB\n"
                                "  ttl: 5s\n"),
                 "  ttl", "unknown key `ttl` in cache");
}

TEST_F(ConfigTraffic, RouteWithoutMatch) {
  expect_refused(with_upstreams("routes:\n"
                                "  - priority: critical\n"),
                 "  - priority", "a route without `match`");
}

TEST_F(ConfigTraffic, UnknownUpstreamInARouteListsTheKnownOnes) {
  std::string cfg = with_upstreams(
      "routes:\n"
      "  - match: \"GET /a\"\n"
      "    upstream: v3\n");
  Status st = expect_refused(cfg, "    upstream: v3", "`upstream: v3` is not an upstream");
  EXPECT_NE(st.hint().find("known: default, v2"), std::string::npos) << st.hint();
}

TEST_F(ConfigTraffic, CacheOnANonGetRoute) {
  std::string cfg = with_upstreams(
      "routes:\n"
      "  - match: \"POST /orders\"\n"
      "    cache: { ttl: 5s }\n");
  Status st =
      expect_refused(cfg, "    cache:", "`cache` on POST /orders: only GET answers are cached");
  EXPECT_NE(st.hint().find("GET"), std::string::npos) << st.hint();
  // A route of every method may be cached: only its GET answers are.
  Config c =
      loaded(with_upstreams("routes:\n"
                            "  - { match: \"/orders\", cache: { ttl: 5s } }\n"));
  ASSERT_EQ(c.routes.size(), 1u);
  EXPECT_TRUE(c.routes[0].cache.enabled);
  // `cache: false` on a POST route says nothing is cached: nothing to refuse.
  loaded(
      with_upstreams("routes:\n"
                     "  - { match: \"POST /orders\", cache: false }\n"));
}

TEST_F(ConfigTraffic, PartialMistakes) {
  expect_refused(with_upstreams("routes:\n"
                                "  - match: \"GET /a\"\n"
                                "    partial:\n"
                                "      drop:\n"
                                "        - ok\n"
                                "        - \"data[.x\"\n"),
                 "        - \"data[.x\"", "`data[.x`");
  expect_refused(with_upstreams("routes:\n"
                                "  - match: \"GET /a\"\n"
                                "    partial:\n"
                                "      drop: [x]\n"
                                "      when: switch\n"),
                 "      when: switch", "`when: switch` needs `switch: NAME`");
  expect_refused(with_upstreams("routes:\n"
                                "  - match: \"GET /a\"\n"
                                "    partial:\n"
                                "      drop: [x]\n"
                                "      when: sometimes\n"),
                 "      when: sometimes", "`when: sometimes`: unknown");
  expect_refused(with_upstreams("routes:\n"
                                "  - match: \"GET /a\"\n"
                                "    partial: { when: overload }\n"),
                 "    partial:", "`partial` drops no field");
  expect_refused(with_upstreams("routes:\n"
                                "  - match: \"GET /a\"\n"
                                "    partial:\n"
                                "      drop: [x]\n"
                                "      switch: \"a b\"\n"),
                 "      switch:", "switch name `a b` must be letters");
}

// ---- rollouts ----

TEST_F(ConfigTraffic, RolloutWithEveryField) {
  std::string cfg = with_upstreams(
      "rollouts:\n"
      "  - name: orders-v2\n"
      "    routes: [\"GET /orders\", \"/orders/{id}\"]\n"
      "    baseline: default\n"
      "    canary: v2\n"
      "    steps: [1%, 5%, \"25\", 50, 100%]\n"
      "    bake: 10m\n"
      "    automatic: false\n"
      "    analysis:\n"
      "      interval: 1m\n"
      "      min_requests: 50\n"
      "      max_error_increase: 2%\n"
      "      max_p99_ratio: 1.25\n"
      "      p99_floor: 20ms\n"
      "    cohorts:\n"
      "      - header: \"X-Tester: yes\"\n"
      "      - header: X-Beta\n"
      "      - { cookie: \"beta=on\", to: canary }\n"
      "      - cookie: canary\n"
      "      - clients: [acme, globex]\n"
      "        to: baseline\n");
  Config c = loaded(cfg);
  ASSERT_EQ(c.rollouts.size(), 1u);
  const Rollout& r = c.rollouts[0];
  EXPECT_EQ(r.name, "orders-v2");
  EXPECT_EQ(r.line, line_of(cfg, "  - name: orders-v2"));
  ASSERT_EQ(r.routes.size(), 2u);
  EXPECT_EQ(r.routes[0].text, "GET /orders");
  EXPECT_EQ(r.routes[1].text, "/orders/{id}");
  EXPECT_EQ(r.baseline, 0);
  EXPECT_EQ(r.canary, 1);
  ASSERT_EQ(r.steps.size(), 5u);
  EXPECT_DOUBLE_EQ(r.steps[0], 0.01);
  EXPECT_DOUBLE_EQ(r.steps[1], 0.05);
  EXPECT_DOUBLE_EQ(r.steps[2], 0.25);
  EXPECT_DOUBLE_EQ(r.steps[3], 0.5);
  EXPECT_DOUBLE_EQ(r.steps[4], 1.0);
  EXPECT_EQ(r.bake, milliseconds(600000));
  EXPECT_FALSE(r.automatic);
  EXPECT_EQ(r.analysis.interval, milliseconds(60000));
  EXPECT_EQ(r.analysis.min_requests, 50);
  EXPECT_DOUBLE_EQ(r.analysis.max_error_increase, 0.02);
  EXPECT_DOUBLE_EQ(r.analysis.max_p99_ratio, 1.25);
  EXPECT_EQ(r.analysis.p99_floor, milliseconds(20));
  ASSERT_EQ(r.cohorts.size(), 5u);
  EXPECT_EQ(r.cohorts[0].header, "X-Tester");
  EXPECT_EQ(r.cohorts[0].header_value, "yes");
  EXPECT_TRUE(r.cohorts[0].canary);  // `to` defaults to the canary
  EXPECT_EQ(r.cohorts[0].line, line_of(cfg, "      - header: \"X-Tester"));
  EXPECT_EQ(r.cohorts[1].header, "X-Beta");
  EXPECT_EQ(r.cohorts[1].header_value, "");  // any value
  EXPECT_EQ(r.cohorts[2].cookie, "beta");
  EXPECT_EQ(r.cohorts[2].cookie_value, "on");
  EXPECT_TRUE(r.cohorts[2].canary);
  EXPECT_EQ(r.cohorts[3].cookie, "canary");
  EXPECT_EQ(r.cohorts[3].cookie_value, "");
  EXPECT_EQ(r.cohorts[4].clients, (std::vector<std::string>{"acme", "globex"}));
  EXPECT_FALSE(r.cohorts[4].canary);
}

TEST_F(ConfigTraffic, RolloutDefaults) {
  Config c =
      loaded(with_upstreams("rollouts:\n"
                            "  - { name: r, canary: v2, steps: [10, 100] }\n"));
  ASSERT_EQ(c.rollouts.size(), 1u);
  const Rollout& r = c.rollouts[0];
  EXPECT_TRUE(r.routes.empty());  // every route
  EXPECT_EQ(r.baseline, 0);       // the default upstream
  EXPECT_EQ(r.canary, 1);
  EXPECT_EQ(r.bake, milliseconds(300000));
  EXPECT_TRUE(r.automatic);
  EXPECT_EQ(r.analysis.interval, milliseconds(30000));
  EXPECT_EQ(r.analysis.min_requests, 20);
  EXPECT_DOUBLE_EQ(r.analysis.max_error_increase, 0.01);
  EXPECT_DOUBLE_EQ(r.analysis.max_p99_ratio, 1.5);
  EXPECT_EQ(r.analysis.p99_floor, milliseconds(10));
  EXPECT_TRUE(r.cohorts.empty());
  // The baseline may be a named upstream too.
  Config d =
      loaded(with_upstreams("rollouts:\n"
                            "  - { name: back, baseline: v2, canary: default, steps: [50] "
                            "}\n"));
  ASSERT_EQ(d.rollouts.size(), 1u);
  EXPECT_EQ(d.rollouts[0].baseline, 1);
  EXPECT_EQ(d.rollouts[0].canary, 0);
}

TEST_F(ConfigTraffic, RolloutNamesAnUnknownUpstream) {
  Status canary = expect_refused(with_upstreams("rollouts:\n"
                                                "  - name: r\n"
                                                "    canary: orders-v3\n"
                                                "    steps: [5, 100]\n"),
                                 "    canary:", "`canary: orders-v3` is not an upstream");
  EXPECT_NE(canary.hint().find("known: default, v2"), std::string::npos) << canary.hint();
  Status baseline = expect_refused(with_upstreams("rollouts:\n"
                                                  "  - name: r\n"
                                                  "    baseline: old\n"
                                                  "    canary: v2\n"
                                                  "    steps: [5, 100]\n"),
                                   "    baseline:", "`baseline: old` is not an upstream");
  EXPECT_NE(baseline.hint().find("known: default, v2"), std::string::npos) << baseline.hint();
}

TEST_F(ConfigTraffic, RolloutCanaryIsTheBaseline) {
  expect_refused(with_upstreams("rollouts:\n"
                                "  - name: r\n"
                                "    steps: [5, 100]\n"
                                "    canary: default\n"),
                 "    canary:", "`canary` is the baseline");
  expect_refused(with_upstreams("rollouts:\n"
                                "  - name: r\n"
                                "    baseline: v2\n"
                                "    canary: v2\n"
                                "    steps: [5, 100]\n"),
                 "    canary:", "`canary` is the baseline");
}

TEST_F(ConfigTraffic, RolloutSteps) {
  auto cfg = [](const std::string& steps) {
    return with_upstreams(
        "rollouts:\n"
        "  - name: r\n"
        "    canary: v2\n"
        "    steps:\n" +
        steps);
  };
  // At the line of the step that does not increase, not the one before it.
  expect_refused(cfg("      - 5\n"
                     "      - 25\n"
                     "      - \"25%\"\n"),
                 "      - \"25%\"", "`steps` must increase");
  expect_refused(cfg("      - 5\n"
                     "      - 50\n"
                     "      - 25\n"),
                 "      - 25", "`steps` must increase");
  // Only the first step may be 0 % (declared, not started).
  expect_refused(cfg("      - 0\n"
                     "      - \"0%\"\n"),
                 "      - \"0%\"", "a step of 0% after the first");
  expect_refused(cfg("      - 5\n"
                     "      - \"0\"\n"),
                 "      - \"0\"", "a step of 0% after the first");
  expect_refused(cfg("      - 5\n"
                     "      - 101\n"),
                 "      - 101", "`steps: 101` is not a percentage");
  expect_refused(cfg("      []\n"), "      []", "`steps` is empty");
  expect_refused(with_upstreams("rollouts:\n"
                                "  - name: r\n"
                                "    canary: v2\n"),
                 "  - name: r", "a rollout without `steps`");
}

TEST_F(ConfigTraffic, RolloutDeclaredTwice) {
  expect_refused(with_upstreams("rollouts:\n"
                                "  - { name: r, canary: v2, steps: [5, 100] }\n"
                                "  - name: r\n"
                                "    canary: v2\n"
                                "    steps: [5, 100]\n"),
                 "  - name: r\n", "rollout `r` declared twice");
}

TEST_F(ConfigTraffic, CohortMistakes) {
  auto cfg = [](const std::string& cohorts) {
    return with_upstreams(
        "rollouts:\n"
        "  - name: r\n"
        "    canary: v2\n"
        "    steps: [5, 100]\n"
        "    cohorts:\n" +
        cohorts);
  };
  expect_refused(cfg("      - { header: \"X-Beta: 1\", cookie: \"beta=1\" }\n"), "      - {",
                 "a cohort matches by exactly one of header, cookie or clients");
  expect_refused(cfg("      - { to: canary }\n"), "      - {",
                 "a cohort matches by exactly one of header, cookie or clients");
  Status to = expect_refused(cfg("      - header: X-Beta\n"
                                 "        to: sideways\n"),
                             "        to:", "`to: sideways`");
  EXPECT_NE(to.hint().find("canary or baseline"), std::string::npos) << to.hint();
  expect_refused(cfg("      - header: X-Beta\n"
                     "        weight: 3\n"),
                 "        weight", "unknown key `weight` in a cohort");
  expect_refused(cfg("      - cookie: \"=on\"\n"), "      - cookie", "names nothing");
}

TEST_F(ConfigTraffic, AnalysisMistakes) {
  auto cfg = [](const std::string& analysis) {
    return with_upstreams(
        "rollouts:\n"
        "  - name: r\n"
        "    canary: v2\n"
        "    steps: [5, 100]\n"
        "    analysis:\n" +
        analysis);
  };
  Status st = expect_refused(cfg("      min_requests: 10\n"
                                 "      interval: 500ms\n"),
                             "      interval:", "`interval` below 1s");
  EXPECT_NE(st.hint().find("1s"), std::string::npos) << st.hint();
  expect_refused(cfg("      max_p99_ratio: 0.9\n"), "      max_p99_ratio",
                 "`max_p99_ratio: 0.9` is not a ratio >= 1");
  expect_refused(cfg("      window: 1m\n"), "      window", "unknown key `window` in analysis");
  // Exactly 1s is allowed.
  Config c = loaded(cfg("      interval: 1s\n"));
  ASSERT_EQ(c.rollouts.size(), 1u);
  EXPECT_EQ(c.rollouts[0].analysis.interval, milliseconds(1000));
}

TEST_F(ConfigTraffic, UnknownKeyInARollout) {
  expect_refused(with_upstreams("rollouts:\n"
                                "  - name: r\n"
                                "    canary: v2\n"
                                "    steps: [5, 100]\n"
                                "    share: 5%\n"),
                 "    share", "unknown key `share` in a rollout");
  expect_refused(with_upstreams("rollouts:\n"
                                "  - name: r\n"
                                "    canary: v2\n"
                                "    steps: [5, 100]\n"
                                "    automatic: sometimes\n"),
                 "    automatic", "`automatic` is true or false");
}

// ---- shadows ----

TEST_F(ConfigTraffic, ShadowWithEveryField) {
  std::string cfg = with_upstreams(
      "shadows:\n"
      "  - name: orders-dark\n"
      "    routes: \"GET /orders\"\n"
      "    upstream: v2\n"
      "    percent: 12.5%\n"
      "    ignore: [\"data[].created_at\", request_id]\n"
      "    methods: [GET, POST]\n"
      "    max_in_flight: 8\n"
      "  - { name: all-dark, upstream: v2, percent: 100 }\n");
  Config c = loaded(cfg);
  ASSERT_EQ(c.shadows.size(), 2u);
  const Shadow& s = c.shadows[0];
  EXPECT_EQ(s.name, "orders-dark");
  EXPECT_EQ(s.line, line_of(cfg, "  - name: orders-dark"));
  ASSERT_EQ(s.routes.size(), 1u);
  EXPECT_EQ(s.routes[0].text, "GET /orders");
  EXPECT_EQ(s.upstream, 1);
  EXPECT_DOUBLE_EQ(s.share, 0.125);
  EXPECT_EQ(s.ignore, (std::vector<std::string>{"data[].created_at", "request_id"}));
  EXPECT_EQ(s.methods, (std::vector<std::string>{"GET", "POST"}));
  EXPECT_EQ(s.max_in_flight, 8);
  const Shadow& d = c.shadows[1];
  EXPECT_TRUE(d.routes.empty());
  EXPECT_DOUBLE_EQ(d.share, 1.0);
  EXPECT_TRUE(d.ignore.empty());
  EXPECT_EQ(d.methods, (std::vector<std::string>{"GET", "HEAD"}));
  EXPECT_EQ(d.max_in_flight, 64);
}

TEST_F(ConfigTraffic, ShadowMistakes) {
  Status unknown = expect_refused(with_upstreams("shadows:\n"
                                                 "  - name: s\n"
                                                 "    percent: 5\n"
                                                 "    upstream: dark\n"),
                                  "    upstream:", "`upstream: dark` is not an upstream");
  EXPECT_NE(unknown.hint().find("known: default, v2"), std::string::npos) << unknown.hint();
  expect_refused(with_upstreams("shadows:\n"
                                "  - name: s\n"
                                "    upstream: v2\n"
                                "    percent: 5\n"
                                "    methods:\n"
                                "      - GET\n"
                                "      - FETCH\n"),
                 "      - FETCH", "`FETCH` is not an HTTP method");
  expect_refused(with_upstreams("shadows:\n"
                                "  - { name: s, upstream: v2, percent: 5 }\n"
                                "  - name: s\n"
                                "    upstream: v2\n"
                                "    percent: 5\n"),
                 "  - name: s\n", "shadow `s` declared twice");
  expect_refused(with_upstreams("shadows:\n"
                                "  - name: s\n"
                                "    upstream: v2\n"
                                "    percent: 5\n"
                                "    ignore: [ok, \"data[.x\"]\n"),
                 "    ignore", "`data[.x`");
  expect_refused(with_upstreams("shadows:\n"
                                "  - name: s\n"
                                "    upstream: v2\n"),
                 "  - name: s", "a shadow without `percent`");
  expect_refused(with_upstreams("shadows:\n"
                                "  - name: s\n"
                                "    upstream: v2\n"
                                "    percent: 5\n"
                                "    compare: bodies\n"),
                 "    compare", "unknown key `compare` in a shadow");
}

// The rarer mistakes: each at its line, each with what to do.
TEST_F(ConfigTraffic, RarerMistakesSayWhatToDo) {
  expect_refused(with_upstreams("routes:\n"
                                "  - match: \"GET /a\"\n"
                                "    fallback:\n"
                                "      content_type: \"\"\n"),
                 "      content_type", "`content_type` is not a media type");
  expect_refused(with_upstreams("rollouts:\n"
                                "  - name: \"orders v2\"\n"
                                "    canary: v2\n"
                                "    steps: [5, 100]\n"),
                 "  - name:", "rollout name `orders v2` must be letters");
  expect_refused(with_upstreams("shadows:\n"
                                "  - name: \"dark/1\"\n"
                                "    upstream: v2\n"
                                "    percent: 5\n"),
                 "  - name:", "shadow name `dark/1` must be letters");
  expect_refused(with_upstreams("priority:\n"
                                "  default: critical\n"
                                "  header: " +
                                std::string(70, 'X') + "\n"),
                 "  header:", "is not a header name");
  std::string many = "upstream:\n  targets:\n";
  for (int i = 0; i < 65; ++i) many += "    - http://10.0.0.1:" + std::to_string(7000 + i) + "\n";
  // A block list starts at its first item.
  expect_refused(many + kVersions, "    - http://10.0.0.1:7000",
                 "more than 64 targets in one upstream");
  // Targets are replicas: a retry or a revalidation goes to any of them with the same path.
  expect_refused(std::string("upstream:\n"
                             "  targets:\n"
                             "    - http://10.0.0.1:7001/v1\n"
                             "    - http://10.0.0.2:7001/v2\n") +
                     kVersions,
                 "    - http://10.0.0.2", "has the base path `/v2`, the first one `/v1`");
  expect_refused(with_upstreams("rollouts:\n"
                                "  - name: r\n"
                                "    canary: v2\n"
                                "    steps: [5, 100]\n"
                                "    cohorts:\n"
                                "      - header: \": yes\"\n"),
                 "      - header:", "names nothing");
  // A partial's location the transform engine refuses.
  expect_refused(with_upstreams("routes:\n"
                                "  - match: \"GET /a\"\n"
                                "    partial:\n"
                                "      drop: [x]\n"
                                "      location: \"data[\"\n"),
                 "      location", "bad path `data[`");
}

// What a hostile trial found `api check` accepting.
TEST_F(ConfigTraffic, NamesAndTargetsAreCheckedToo) {
  auto targets = [](const std::string& list) {
    return "upstream:\n  targets:\n" + list + kVersions;
  };
  expect_refused(targets("    - http://127.0.0.1:7001\n"
                         "    - \"http://127.0.0.1:7001/\"\n"),
                 "    - \"http://127.0.0.1:7001/\"", "is listed twice");
  expect_refused(targets("    - \"http://127.0. 0.1:80\"\n"), "    - \"http://127.0. 0.1",
                 "no valid host:port");
  expect_refused(targets("    - \"http://[::1:19111\"\n"), "    - \"http://[::1", "");
  expect_refused(targets("    - \"http://127.0.0.1:+80\"\n"), "    - \"http://127.0.0.1:+80",
                 "no valid host:port");
  auto cohort = [](const std::string& rule) {
    return with_upstreams(
        "rollouts:\n"
        "  - name: r\n"
        "    canary: v2\n"
        "    steps: [5]\n"
        "    cohorts:\n"
        "      - " +
        rule + "\n");
  };
  expect_refused(cohort("{ header: \"X A: yes\" }"), "      - { header", "is not a header name");
  expect_refused(cohort("{ cookie: \"a=b; c=d\" }"), "      - { cookie",
                 "is not a cookie name and value");
  expect_refused(cohort("{ clients: [] }"), "      - { clients", "`clients` is empty");
  expect_refused(cohort("{ clients: [\"a b\"] }"), "      - { clients", "is not a client id");
  expect_refused(with_upstreams("shadows:\n"
                                "  - { name: s, upstream: v2, percent: 5, methods: [] }\n"),
                 "  - { name: s", "`methods` is empty");
  expect_refused(with_upstreams("priority:\n"
                                "  header: \"X Prio:\"\n"),
                 "  header:", "is not a header name");
}

// One load lists every traffic problem of the file, each at its own line.
TEST_F(ConfigTraffic, EveryProblemIsListed) {
  std::string cfg = with_upstreams(
      "routes:\n"
      "  - match: \"POST /a\"\n"
      "    cache: true\n"
      "rollouts:\n"
      "  - name: r\n"
      "    canary: nope\n"
      "    steps: [5, 100]\n"
      "shadows:\n"
      "  - name: s\n"
      "    upstream: v2\n"
      "    percent: 5\n"
      "    methods: [BREW]\n");
  auto r = load(cfg);
  ASSERT_FALSE(r.ok());
  const auto& ps = r.status().problems();
  ASSERT_EQ(ps.size(), 3u) << r.status().message();
  EXPECT_EQ(ps[0].line, line_of(cfg, "    cache: true"));
  EXPECT_EQ(ps[1].line, line_of(cfg, "    canary: nope"));
  EXPECT_EQ(ps[2].line, line_of(cfg, "    methods: [BREW]"));
  for (const Problem& p : ps) EXPECT_FALSE(p.hint.empty()) << p.message;
}

}  // namespace
}  // namespace tandem::gateway
