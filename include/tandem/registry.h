#pragma once
// `tandem registry`: Confluent Schema Registry's REST API, with tandem compat's checks, on
// PostgreSQL (several registries share one id sequence) or SQLite (one registry). The routes,
// error codes and differences from Confluent's registry are in docs/registry.md.

#include <cstddef>
#include <functional>
#include <string>

#include "tandem/status.h"

namespace tandem::registry {

struct RunOptions {
  std::string db_url;                     // postgres://… or sqlite:PATH
  std::string listen = "127.0.0.1:8081";  // Confluent's port; port 0 = any
  int workers = 4;                        // threads, each with its own database connection
  size_t max_body_bytes = 8 * 1024 * 1024;
  // "HOST:PORT" for /healthz, /readyz and /metrics on a thread of their own, so that probes
  // are answered while every worker waits on the database; "" = none (the API port answers
  // /healthz and /metrics too).
  std::string admin;
  // The global compatibility level until `PUT /config` sets one.
  std::string default_compatibility = "BACKWARD";
  // Called once the port is bound, with "host:port".
  std::function<void(const std::string& bound, const std::string& admin_bound)> on_ready;
};

// Serves until SIGINT/SIGTERM (answers in flight are finished). Errors: the database cannot be
// opened (Code::kDatabase), the address cannot be bound or an option is wrong (kInvalidInput).
Status run(const RunOptions& options);

}  // namespace tandem::registry
