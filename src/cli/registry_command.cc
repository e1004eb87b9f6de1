#include "cli/registry_command.h"

#include <iostream>

#include "tandem/db.h"
#include "tandem/registry.h"

namespace tandem::cli {

void RegistryCommand::add(CLI::App& app) {
  cmd = app.add_subcommand(
      "registry",
      "serve a schema registry with Confluent's REST API, checked by tandem compat, on --db");
  cmd->add_option("--listen", listen, "HOST:PORT to serve on (port 0 = any)")
      ->capture_default_str();
  cmd->add_option("--admin", admin,
                  "HOST:PORT for /healthz, /readyz (the database answers) and /metrics on a "
                  "thread of their own: probes for a load balancer or Kubernetes");
  cmd->add_option("--workers", workers, "threads, each with its own database connection")
      ->capture_default_str();
  cmd->add_option("--default-compatibility", default_compatibility,
                  "the global level until PUT /config sets one: BACKWARD, FORWARD, FULL, their "
                  "_TRANSITIVE forms, or NONE")
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", max_body_bytes, "the largest request body (a schema)")
      ->capture_default_str();
  cmd->footer(
      "Kafka clients and serializers (Confluent's, @kafkajs/confluent-schema-registry, …) use\n"
      "it as they use Confluent Schema Registry. On PostgreSQL, any number of registries\n"
      "behind a load balancer share one id sequence; SQLite serves one registry.\n"
      "Runs until SIGINT/SIGTERM. /metrics (Prometheus) and /healthz are on the same port, and\n"
      "with --admin on a port of their own, with /readyz.\n"
      "Routes, error codes and differences: docs/registry.md.\n"
      "Examples:\n"
      "  tandem registry --db postgres://registry@db/registry --listen 0.0.0.0:8081\n"
      "  tandem registry --db sqlite:registry.db --admin 127.0.0.1:8082\n"
      "  curl -s localhost:8081/subjects");
}

int RegistryCommand::run(const std::string& db_url,
                         const std::function<int(const Status&)>& fail) const {
  registry::RunOptions options;
  options.db_url = db_url;
  options.listen = listen;
  options.workers = workers;
  options.admin = admin;
  options.default_compatibility = default_compatibility;
  options.max_body_bytes = max_body_bytes;
  std::string shown = db::redact_url(db_url);
  options.on_ready = [&shown](const std::string& bound, const std::string& admin_bound) {
    std::cerr << "tandem registry: serving http://" << bound << " on " << shown;
    if (!admin_bound.empty()) std::cerr << " (admin: http://" << admin_bound << ")";
    std::cerr << "\n";
  };
  Status st = registry::run(options);
  if (!st.ok()) return fail(st);
  return 0;
}

}  // namespace tandem::cli
