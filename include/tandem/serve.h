#pragma once
// `tandem serve`: a live dashboard of a database's migrations, backfills, verify results and
// flags (and of API gateways' versions and rollouts) at `/`, its JSON under /api/ — and the
// flags of the database over OpenFeature's Remote Evaluation Protocol (OFREP)
// — `POST /ofrep/v1/evaluate/flags/{key}` and the bulk `POST /ofrep/v1/evaluate/flags` with an
// ETag for polling — so every OpenFeature SDK reads tandem's flags through the OFREP provider,
// without custom code. Flags are served from memory and reloaded when they change (checked every
// `refresh`): a database outage keeps the last values served (and says so in /readyz and
// /metrics) instead of failing every evaluation. docs/serve.md describes the routes.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "tandem/options.h"
#include "tandem/status.h"

namespace tandem::serve {

struct ServeOptions {
  std::string db_url;  // postgres://… or sqlite:PATH: where the flags live
  // Where the migrations are (the folder, the schema, timeouts); its engine.db_url is replaced
  // by db_url. Backfill actions run with its options.
  Options migrations;
  // Gateways' admin listeners (http://HOST:PORT) whose /api/status the dashboard shows.
  std::vector<std::string> gateway_admins;
  // Sent as `Authorization: Bearer` with the rollout actions forwarded to a gateway.
  std::string gateway_token;
  // The page's buttons: pause/resume/cancel a backfill, promote/abort a rollout. Needs a token.
  bool allow_actions = false;
  std::string listen = "127.0.0.1:8016";  // port 0 = any
  int workers = 2;
  // How often the flags are checked for changes: an application sees a change at most this
  // long after `tandem flag set`, plus its own polling interval.
  std::chrono::milliseconds refresh{1000};
  // When not empty, every /ofrep/ and /api/ request must carry `Authorization: Bearer TOKEN`
  // or `X-API-Key: TOKEN` (OFREP's two schemes); 401 otherwise. The page itself needs none
  // (it asks for the token).
  std::string token;
  size_t max_body_bytes = 64 * 1024;  // an evaluation context larger than this is refused (413)
  // Called once the port is bound, with "host:port".
  std::function<void(const std::string& bound)> on_ready;
  // A line for the operator's log (reloads, database failures); stderr when empty.
  std::function<void(const std::string& line)> log;
};

// Serves until SIGINT/SIGTERM. Errors before serving: the database cannot be opened or read
// (Code::kDatabase), it has neither tandem's history nor flags (a mistyped --db), the address
// cannot be bound or an option is wrong (kInvalidInput).
Status run(const ServeOptions& options);

}  // namespace tandem::serve
