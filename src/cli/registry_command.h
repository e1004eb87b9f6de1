#pragma once
// `tandem registry`: argument parsing only; the server is tandem/registry.h.

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "tandem/status.h"

namespace tandem::cli {

struct RegistryCommand {
  CLI::App* cmd = nullptr;
  std::string listen = "127.0.0.1:8081";
  std::string admin;
  int workers = 4;
  std::string default_compatibility = "BACKWARD";
  size_t max_body_bytes = 8 * 1024 * 1024;

  void add(CLI::App& app);
  // Serves until SIGINT/SIGTERM on the database `db_url` (the global --db).
  int run(const std::string& db_url, const std::function<int(const Status&)>& fail) const;
};

}  // namespace tandem::cli
