#pragma once
// The dashboard's routes on `tandem serve` (docs/serve.md): the page at `/` and `/assets/NAME`,
// its JSON under /api/, the live event stream, and — with --allow-actions — the buttons'
// POSTs (backfill pause/resume/cancel, rollout promote/abort forwarded to a gateway).

#include <atomic>
#include <optional>
#include <string>
#include <string_view>

#include "http/http.h"
#include "http/wire.h"
#include "serve/dashboard.h"

namespace tandem::serve {

struct RouteAnswer;

class DashboardRoutes {
 public:
  // `gateway_token` goes with forwarded actions to every gateway.
  DashboardRoutes(Dashboard& dashboard, const DashboardOptions& options, std::string gateway_token);

  // The page: `/`, `/index.html`, `/assets/NAME`. nullopt for another path.
  std::optional<http::Response> page(const http::Request& req, std::string_view path) const;
  // GET /api/overview, /api/series, /api/migrations; nullopt for another path. `route` is set
  // to the route's name for metrics.
  std::optional<http::Response> read(const http::Request& req, std::string_view path,
                                     std::string_view query, std::string& route) const;
  // POST /api/backfills/{id}/{action}, /api/rollouts/{gateway}/{name}/{action}; nullopt for
  // another path. Blocking work runs off the I/O thread.
  std::optional<http::Task<http::Response>> act(http::Request& req, std::string_view path,
                                                std::string& route);
  // GET /api/events: sets `out` to a stream of server-sent events. At most kMaxStreams at once
  // (503 beyond).
  void events(http::Wire& out);

  static constexpr int kMaxStreams = 256;
  // Actions running at once (each holds a thread while it waits); 503 beyond.
  static constexpr int kMaxActions = 16;
  int streams() const { return streams_.load(); }

 private:
  Dashboard& dashboard_;
  const DashboardOptions& options_;
  std::string gateway_token_;
  std::atomic<int> streams_{0};
  std::atomic<int> actions_in_flight_{0};
};

// Answers with `body` and the headers every dashboard answer has (no caching, nosniff).
http::Response dashboard_answer(int status, std::string_view content_type, std::string body);

}  // namespace tandem::serve
