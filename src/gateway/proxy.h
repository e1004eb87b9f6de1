#pragma once
// One worker's request path: resolve the version, refuse what the version cannot do (sunset,
// brownout, a route it does not have), translate the request up to head, forward it over the
// worker's upstream pool, translate the answer back down, and add the version's headers.
// Everything here belongs to one worker thread: no locks but the outbox and metrics ones.

#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gateway/access_log.h"
#include "gateway/metrics.h"
#include "gateway/response_cache.h"
#include "gateway/rollout.h"
#include "gateway/shadow.h"
#include "gateway/state_sync.h"
#include "gateway/transform.h"
#include "gateway/upstream_set.h"
#include "http/server.h"
#include "http/upstream_pool.h"
#include "tandem/gateway.h"

namespace tandem::gateway {

class Proxy {
 public:
  // What the workers share besides the state: upstream health and limits, the response cache,
  // the rollouts' assignment and the shadows' tallies.
  struct Shared {
    const Config& config;
    UpstreamSet& upstreams;
    ResponseCache& cache;
    RolloutBook& rollouts;
    ShadowTally& shadows;
  };
  Proxy(const Config& config, http::asio::io_context& io, http::Reaper& reaper, StateSync& state,
        Outbox& outbox, WorkerMetrics& metrics, AccessLog& log, Shared shared);

  // Compiles this worker's transforms (each change at each of its routes, once).
  Status init();

  // Answers `req` into `out` (an http::WireHandler).
  http::Task<void> handle(http::Request& req, const http::Peer& peer, http::Wire& out);

 private:
  struct Step {
    const Change* change;
    ChangeTransform* transform;  // null: the change has no fields for this route
    int change_index = -1, route_index = -1;
  };
  struct RouteMatch {
    std::vector<Step> steps;   // the changes newer than the version that apply, oldest first
    const std::string* label;  // the route template for metrics ("other" when none)
    const Change* added_in = nullptr;  // a newer change added this route: 404 for the version
  };
  RouteMatch match(int index, std::string_view method, std::string_view path) const;
  void refresh_pins();
  std::string request_id(const http::Request& req);
  // Runs `steps` over `body` in `direction`; false with `error` set on failure. Consecutive
  // steps at the same location run as one chain (one walk over the body).
  bool transform_body(const std::vector<Step>& steps, Direction direction, std::string& body,
                      std::string& error);
  // The transform of steps [first, last) (same location): the step's own for one, else a
  // chain made on first use from the steps' own transforms (their operations shared).
  ChangeTransform* chain(const Step* first, const Step* last);
  // The version's own header lines (Api-Version, Deprecation, Sunset, Link), formatted once.
  const std::string& decoration(int version) const { return decorations_[version]; }
  // The request to the upstream: `req`'s end-to-end fields and the gateway's own, in `out`.
  // `extra`: more header lines of the gateway's own (X-Tandem-Omit), each ending in CRLF.
  void upstream_head(const http::Request& req, const Target& target, std::string_view path,
                     std::string_view query, bool body_steps, const std::string& rid,
                     const http::Peer& peer, std::string_view extra, http::OutRequest& out) const;
  // The upstream's answer as the client's: its end-to-end fields and the version's headers.
  // `translated`: the body of this route and version is translated (a HEAD answer then has no
  // Content-Length).
  void answer_head(const http::Response& from, int status, bool head_request, bool translated,
                   int version, size_t body_size, const std::string& rid, http::Wire& out) const;

  // The route's policy (`routes:`), null when none matches.
  const RoutePolicy* policy(std::string_view method, std::string_view path) const;
  Priority priority(const http::Request& req, const std::string& client,
                    const RoutePolicy* policy) const;
  // Revalidates a stale cache entry in the background (stale-while-revalidate).
  http::Task<void> revalidate(int upstream, std::string key, http::Request req, http::OutRequest up,
                              CachePolicy policy);
  // Sends a copy of the request to a shadow upstream and compares its answer with `primary`.
  http::Task<void> shadow(int index, http::OutRequest up, int primary_status,
                          std::string primary_body);

  const Config& config_;
  Shared shared_;
  std::vector<std::unique_ptr<UpstreamClient>> clients_;  // by upstream index
  // The partial-response transforms, by route policy index (null: the route has none).
  std::vector<std::unique_ptr<ChangeTransform>> partials_;
  std::vector<int> shadow_in_flight_;  // by shadow index
  StateSync& state_;
  Outbox& outbox_;
  WorkerMetrics& metrics_;
  AccessLog& log_;
  // transforms_[change][route]
  std::vector<std::vector<std::unique_ptr<ChangeTransform>>> transforms_;
  std::vector<int> change_versions_;
  // Chains of changes by (change, route) indexes, compiled the first time a request needs one.
  std::map<std::vector<std::pair<int, int>>, std::unique_ptr<ChangeTransform>> chains_;
  std::vector<std::pair<int, int>> chain_key_;
  std::vector<ChangeTransform*> runs_;
  std::vector<std::string>
      decorations_;  // by version index  // index in config.versions of each change's version
  std::shared_ptr<const PinMap> pins_;
  unsigned long long pins_generation_ = ~0ULL;
  std::unordered_map<std::string, std::string> local_pins_;
  // Client ids this worker counts under their own name, at most limits.max_clients: a flood
  // of made-up ids is counted as "other" instead of growing the metrics and the usage table.
  std::unordered_set<std::string> seen_clients_;
  const std::string& client_label(const std::string& client);
  std::mt19937_64 rng_;
  std::string scratch_;
};

}  // namespace tandem::gateway
