#pragma once
// `tandem serve`: the flags of a database over OpenFeature's Remote Evaluation Protocol (OFREP)
// — `POST /ofrep/v1/evaluate/flags/{key}` and the bulk `POST /ofrep/v1/evaluate/flags` with an
// ETag for polling — so every OpenFeature SDK reads tandem's flags through the OFREP provider,
// without custom code. Flags are served from memory and reloaded when they change (checked every
// `refresh`): a database outage keeps the last values served (and says so in /readyz and
// /metrics) instead of failing every evaluation. docs/serve.md describes the routes.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "tandem/status.h"

namespace tandem::serve {

struct ServeOptions {
  std::string db_url;                     // postgres://… or sqlite:PATH: where the flags live
  std::string listen = "127.0.0.1:8016";  // port 0 = any
  int workers = 2;
  // How often the flags are checked for changes: an application sees a change at most this
  // long after `tandem flag set`, plus its own polling interval.
  std::chrono::milliseconds refresh{1000};
  // When not empty, every /ofrep/ and /api/ request must carry `Authorization: Bearer TOKEN`
  // or `X-API-Key: TOKEN` (OFREP's two schemes); 401 otherwise.
  std::string token;
  size_t max_body_bytes = 64 * 1024;  // an evaluation context larger than this is refused (413)
  // Called once the port is bound, with "host:port".
  std::function<void(const std::string& bound)> on_ready;
  // A line for the operator's log (reloads, database failures); stderr when empty.
  std::function<void(const std::string& line)> log;
};

// Serves until SIGINT/SIGTERM. Errors before serving: the database cannot be opened or read
// (Code::kDatabase), the address cannot be bound or an option is wrong (kInvalidInput).
Status run(const ServeOptions& options);

}  // namespace tandem::serve
