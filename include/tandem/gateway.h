#pragma once
// `tandem gateway`: a reverse proxy in front of a backend that implements only the newest
// ("head") version of an HTTP/JSON API. Each request is translated up to head and each
// response back down to the version its client was built for, from the changes declared once
// in the config (ARCHITECTURE.md "API versions"; docs/gateway.md is the reference).

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tandem/status.h"

namespace tandem::gateway {

// One entry of `versions.list`, oldest first; the last is head.
struct ApiVersion {
  std::string name;
  std::optional<long long> deprecated;  // Unix seconds: `Deprecation: @<epoch>` from then on
  std::optional<long long> sunset;      // Unix seconds: 410 Gone from then on
  std::string link;                     // the changelog entry: `Link: <…>; rel="deprecation"`
  // Scheduled brownouts: windows [start, end) (Unix seconds) in which the version answers 410,
  // so that clients notice before the sunset (as GitHub does before removing an API).
  std::vector<std::pair<long long, long long>> brownouts;
  int line = 0;
};

// One field operation of a change (src/gateway/transform.h has its semantics).
struct FieldOp {
  enum class Kind { kRename, kConvert, kAdd, kRemove, kEnum, kMove };
  Kind kind = Kind::kRename;
  std::string field, from, to, up, down;
  std::string default_json;
  std::vector<std::pair<std::string, std::string>> enum_map;  // (old, head) as JSON text
  int line = 0;
};

// A route pattern: "GET /orders", "/orders/{id}" (every method), "POST /orders/{id}/refunds".
struct RoutePattern {
  std::string method;                 // "" = every method
  std::vector<std::string> segments;  // "{id}" matches one path segment
  std::string text;                   // as written, the metrics' route label
};

// A version change: what the version `version` changed, declared once for both directions.
struct Change {
  std::string version;
  std::string description;
  std::vector<std::pair<RoutePattern, std::string>> routes;  // pattern → location in bodies
  std::vector<FieldOp> fields;
  // Routes head added in this version: older versions answer 404 for them.
  std::vector<RoutePattern> added_routes;
  // Response status codes head answers differently: head status → older versions' status.
  std::map<int, int> status_map;
  int line = 0;
};

struct Limits {
  size_t max_header_bytes = 16 * 1024;
  size_t max_request_body = 10 * 1024 * 1024;
  size_t max_response_body = 64 * 1024 * 1024;
  int max_connections = 10000;  // per worker; more are refused until one closes
  int metrics_clients = 100;    // client label cardinality: top N by requests, the rest "other"
  // Distinct client ids the gateway pins and counts. Beyond it (a flood of made-up ids), new
  // clients are served the default version without a pin and counted as "other".
  int max_clients = 100000;
};

struct Timeouts {
  std::chrono::milliseconds header{10000};  // a request's head must arrive within this
  std::chrono::milliseconds body{30000};    // and its body within this
  std::chrono::milliseconds idle{60000};    // a keep-alive connection with no request
  std::chrono::milliseconds upstream_connect{2000};
  std::chrono::milliseconds upstream{5000};       // `upstream.timeout`: the whole upstream exchange
  std::chrono::milliseconds upstream_idle{4000};  // a pooled upstream connection unused
};

// One backend address of an upstream: http://host:port[/base].
struct Target {
  std::string url;
  std::string host, port, base;
  std::string authority;  // "host:port" as the URL has it: the Host of requests without one
  int line = 0;
};

// Active health checking: every `interval` each target is asked GET `path`; `unhealthy`
// failures in a row take it out of rotation, `healthy` successes in a row bring it back.
struct HealthCheck {
  std::string path;  // "" = no active probe
  std::chrono::milliseconds interval{2000};
  std::chrono::milliseconds timeout{1000};
  int healthy = 2;
  int unhealthy = 2;
};

// Passive outlier ejection as a circuit breaker per target: `failures` consecutive gateway
// failures (no connection, a reset, a timeout, a 502, 503 or 504 — not a 500) open it; after `open`
// it lets `half_open` probe requests through; a success closes it, a failure opens it again for
// twice as long (at most `max_open`).
struct Breaker {
  int failures = 5;  // 0 = never opens
  std::chrono::milliseconds open{10000};
  std::chrono::milliseconds max_open{300000};
  int half_open = 1;
};

// Retries on another target of the upstream (never the one that just failed), only for
// idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE) that failed with a reset, 502, 503 or
// 504 — any request whose connection could not be opened (nothing was sent) — and only while
// retries stay within `budget` of the upstream's requests (Envoy's retry budget): a failing
// upstream is not hit with more load than it had. Timeouts are not retried.
struct RetryPolicy {
  int attempts = 1;        // extra attempts per request; 0 = never retry
  double budget = 0.2;     // retries at most this share of requests over the last 10 s
  int min_per_second = 3;  // but this many per second are always allowed (little traffic)
};

// How many requests may be in flight to an upstream at once. `adaptive`: the limit follows the
// measured latency, as Envoy's adaptive concurrency filter does: at the first window and every
// `probe_interval` the limit drops to `min` until the requests above it drained, and
// `probe_requests` answers at `min` measure the latency without load; in between, every window
// of samples compares its average latency with that: within `tolerance` times it, the limit grows
// (by about its square root); beyond, it shrinks in proportion; timeouts and 503s from the upstream
// halve it. Requests beyond the limit are refused at once with 503 and Retry-After — by priority:
// sheddable ones may only use `sheddable` of the limit, default ones `normal`, critical ones all of
// it.
struct ConcurrencyLimit {
  int limit = 0;  // 0 = unlimited; with adaptive, the starting limit
  bool adaptive = false;
  int min = 4, max = 1000;
  double tolerance = 1.5;
  double sheddable = 0.6;
  double normal = 0.85;
  std::chrono::milliseconds retry_after{1000};
  std::chrono::milliseconds probe_interval{60000};
  int probe_requests = 25;
};

struct Upstream {
  std::string name;  // "default" for `upstream`
  std::vector<Target> targets;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds timeout{5000};  // the whole exchange with a target
  std::chrono::milliseconds idle_timeout{4000};
  HealthCheck health;
  Breaker breaker;
  RetryPolicy retry;
  ConcurrencyLimit concurrency;
  int line = 0;
};

enum class Priority { kCritical = 0, kNormal = 1, kSheddable = 2 };
const char* priority_name(Priority p);

// RFC 5861 caching of GET answers, head version, shared by every client version. An answer's
// own Cache-Control (max-age, s-maxage, stale-if-error, stale-while-revalidate, no-store,
// private) wins over these defaults.
struct CachePolicy {
  bool enabled = false;
  std::chrono::milliseconds ttl{0};  // fresh for this long when the answer says nothing
  std::chrono::milliseconds stale_if_error{0};
  std::chrono::milliseconds stale_while_revalidate{0};
};

// What a route answers when its upstream fails and nothing stale is at hand.
struct Fallback {
  int status = 0;    // 0 = no fallback
  std::string body;  // JSON text
  std::string content_type = "application/json";
};

// Partial responses: fields dropped from a route's answers while the upstream is overloaded
// (`when: overload`), or while the named switch is on (`tandem api degrade NAME on`), or
// always. The upstream is told in `X-Tandem-Omit` so it can skip the work.
struct Partial {
  std::vector<std::string> drop;  // field paths as in changes: `data[].recommendations`
  bool on_overload = false;
  std::string switch_name;  // "" = no switch
  bool always = false;
  std::string location = ".";
};

// Per-route policy (`routes:`); the first entry whose pattern matches applies.
struct RoutePolicy {
  RoutePattern pattern;
  int upstream = 0;  // index into Config::upstreams
  std::optional<Priority> priority;
  CachePolicy cache;
  Fallback fallback;
  Partial partial;
  int line = 0;
};

// A cohort rule of a rollout: requests it matches always go to one side.
struct Cohort {
  std::string header, header_value;  // header present (any value when header_value is "")
  std::string cookie, cookie_value;
  std::vector<std::string> clients;
  bool canary = true;  // false: always the baseline
  int line = 0;
};

// Canary analysis between the steps of a rollout: every `interval`, over that window, the
// canary's error rate (5xx and upstream failures) against the baseline's, and its p99.
struct Analysis {
  std::chrono::milliseconds interval{30000};
  int min_requests = 20;                    // canary requests in a window before it is judged
  double max_error_increase = 0.01;         // canary error rate − baseline's, at most
  double max_p99_ratio = 1.5;               // canary p99 / baseline p99, at most…
  std::chrono::milliseconds p99_floor{10};  // …unless the canary's p99 is below this
};

// Client migration between two upstreams: a share of clients (sticky: a stable hash of the
// client id) goes to `canary`, the share grows step by step with a bake time, analysis rolls it
// back on a breach. The state (step, paused, aborted) lives in the gateway's state database.
struct Rollout {
  std::string name;
  std::vector<RoutePattern> routes;  // empty = every route
  int baseline = 0, canary = -1;     // indexes into Config::upstreams
  std::vector<double> steps;         // shares 0..1, increasing
  std::chrono::milliseconds bake{300000};
  bool automatic = true;  // false: steps move only by `tandem api rollout promote`
  Analysis analysis;
  std::vector<Cohort> cohorts;
  int line = 0;
};

// Dark traffic: a share of a route's requests is also sent to `upstream`; its answer is never
// returned, only compared with the real one after normalising (`ignore`d paths removed).
struct Shadow {
  std::string name;
  std::vector<RoutePattern> routes;  // empty = every route
  int upstream = -1;
  double share = 0.0;
  std::vector<std::string> ignore;  // field paths, e.g. `data[].created_at`
  std::vector<std::string> methods{"GET", "HEAD"};
  int max_in_flight = 64;  // per worker; more are skipped (counted)
  int line = 0;
};

struct Config {
  std::string path;  // the file read (messages)
  std::string listen = "127.0.0.1:8080";
  std::string admin;  // "" = no admin endpoint
  // `admin_token_file`: the file holding the bearer token the admin listener's actions
  // (POST /api/rollouts/…) require; "" = none ($TANDEM_GATEWAY_ADMIN_TOKEN may give one).
  // Relative to the config's folder. Read at start, never printed.
  std::string admin_token_file;
  std::string state = "sqlite:gateway.db";
  std::string upstream_url;  // http://host:port[/base]
  std::string upstream_host, upstream_port, upstream_base;
  std::string
      upstream_authority;  // "host:port" as the URL has it: the Host of requests without one
  std::string client_header = "X-Client-Id";
  std::string version_header = "Api-Version";
  std::string version_path;     // "/{version}/" or ""
  std::string media_type;       // "application/vnd.shop.{version}+json" or ""
  std::string default_version;  // a version name, or "" for `pin`
  // `versions.removed`: versions taken out of `list` after their sunset. Asked for by header,
  // path or media type, or pinned, they answer 410 `version-removed` (not 400 unknown).
  std::vector<std::string> removed_versions;
  bool default_pin = true;
  std::vector<ApiVersion> versions;  // oldest first; back() is head
  std::vector<Change> changes;       // in version order (as declared)
  // upstreams[0] is `upstream` ("default"); `upstreams:` adds named ones.
  std::vector<Upstream> upstreams;
  std::vector<RoutePolicy> routes;
  Priority default_priority = Priority::kNormal;
  std::string priority_header;  // "" = requests cannot name their class
  std::map<std::string, Priority> client_priorities;
  size_t cache_max_bytes = 64 * 1024 * 1024;
  size_t cache_max_entry = 1024 * 1024;
  std::vector<Rollout> rollouts;
  std::vector<Shadow> shadows;
  std::string access_log = "stdout";  // stdout | stderr | off | a file path
  int workers = 0;                    // 0 = one per core
  Limits limits;
  Timeouts timeouts;

  const std::string& head() const { return versions.back().name; }
  // Index into `versions`, -1 when unknown.
  int version_index(std::string_view name) const;
  // Index into `upstreams`, -1 when unknown.
  int upstream_index(std::string_view name) const;
};

// Reads and validates a gateway config (YAML). Every error is InvalidInput naming the file
// and line and what to do; the Status carries each one as a Problem. Nothing is opened or
// contacted: jq programs are compiled, paths parsed and versions ordered only in memory.
Result<Config> load_config(const std::string& path);

// What the gateway's runner tells its caller.
struct RunOptions {
  std::string listen;  // overrides config.listen when not empty
  std::string admin;   // overrides config.admin when not empty
  int workers = 0;     // overrides config.workers when > 0
  // Called once every listener accepts, with the bound addresses ("127.0.0.1:8080").
  std::function<void(const std::string& listen, const std::string& admin)> on_ready;
};

// Runs the gateway until SIGINT/SIGTERM, then drains: stops accepting, lets requests in
// flight finish (up to the upstream timeout), flushes usage counts, returns Ok. Errors: the
// state database cannot be opened (Database), an address cannot be bound (InvalidInput).
Status run(const Config& config, const RunOptions& options);

// `tandem api pin`: pins `client` to `version` in the state database, seen by every gateway
// on that state within a second. An empty version removes the pin. Returns the version the
// client was pinned to before ("" when it had none).
Result<std::string> pin(const Config& config, const std::string& client,
                        const std::string& version);

struct PinRow {
  std::string client, version, pinned_at;
};
Result<std::vector<PinRow>> pins(const Config& config);

// `tandem api usage`: requests per client and version with last-seen times, from the state.
struct UsageRow {
  std::string client, version;
  long long requests = 0;
  std::string first_seen, last_seen;  // ISO 8601 UTC
};
Result<std::vector<UsageRow>> usage(const Config& config);

// `tandem api rollout status`: each rollout of the config as the state database has it, with
// the measures of its current step and its recent history.
struct RolloutReport {
  std::string name, baseline, canary;
  std::vector<double> steps;  // shares 0..1
  int step = 0;
  double share = 0;
  std::string status;  // running | paused | aborted | complete | not started
  std::string reason;
  std::string step_started, updated;  // ISO 8601 UTC
  long long bake_left_seconds = 0;    // until the next step may be taken (running only)
  bool automatic = true;
  // Since the step started: requests, error rate and p99 per side.
  long long baseline_requests = 0, canary_requests = 0;
  long long baseline_errors = 0, canary_errors = 0;  // of those, failed (5xx or no answer)
  double baseline_error_rate = 0, canary_error_rate = 0;
  double baseline_p99_ms = 0, canary_p99_ms = 0;
  struct Event {
    std::string at, status, reason, actor;
    int step = 0;
    double share = 0;
  };
  std::vector<Event> history;  // newest first
};
Result<std::vector<RolloutReport>> rollout_status(const Config& config);

// `tandem api rollout promote|pause|resume|abort NAME`: changes a rollout's state; every
// gateway on the state follows within a second. promote takes the next step now (complete after
// the last); pause holds the current share; resume goes on (from the first step after an abort);
// abort sends every client back to the baseline. Returns the rollout after the change.
// `actor` is who the history records; "" = "tandem api rollout (<user>)".
Result<RolloutReport> rollout_action(const Config& config, const std::string& name,
                                     const std::string& action, const std::string& reason,
                                     const std::string& actor = "");

// `tandem api degrade NAME on|off`: the switch of routes' partial responses (`partial.switch`).
// Returns whether it was on before.
Result<bool> set_degrade_switch(const Config& config, const std::string& name, bool on,
                                const std::string& reason);

// Unix seconds as "2026-01-01T00:00:00Z" (UTC), as usage, pins and the changelog show times.
std::string iso8601(long long unix_seconds);

// `tandem api changelog`: the changelog generated from the change list, newest version first.
std::string changelog_markdown(const Config& config);
std::string changelog_json(const Config& config);

}  // namespace tandem::gateway
