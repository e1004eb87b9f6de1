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

struct Config {
  std::string path;  // the file read (messages)
  std::string listen = "127.0.0.1:8080";
  std::string admin;  // "" = no admin endpoint
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
  std::vector<ApiVersion> versions;   // oldest first; back() is head
  std::vector<Change> changes;        // in version order (as declared)
  std::string access_log = "stdout";  // stdout | stderr | off | a file path
  int workers = 0;                    // 0 = one per core
  Limits limits;
  Timeouts timeouts;

  const std::string& head() const { return versions.back().name; }
  // Index into `versions`, -1 when unknown.
  int version_index(std::string_view name) const;
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

// Unix seconds as "2026-01-01T00:00:00Z" (UTC), as usage, pins and the changelog show times.
std::string iso8601(long long unix_seconds);

// `tandem api changelog`: the changelog generated from the change list, newest version first.
std::string changelog_markdown(const Config& config);
std::string changelog_json(const Config& config);

}  // namespace tandem::gateway
