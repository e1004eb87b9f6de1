#pragma once
// `tandem db create|drop|wait`: argument parsing and printing only; the work is in
// tandem/database.h.

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

#include "tandem/database.h"
#include "tandem/options.h"

namespace tandem::cli {

struct DbCommands {
  CLI::App* db = nullptr;
  CLI::App *create = nullptr, *drop = nullptr, *wait = nullptr;
  CreateDatabaseOptions create_options;
  DropDatabaseOptions drop_options;
  std::string timeout = "60s";

  // Adds the commands to `app`.
  void add(CLI::App& app);
  // Runs the parsed one and returns its exit code; nullopt when none of them was given.
  // `fail` prints an error and returns its exit code.
  std::optional<int> run(const EngineOptions& options, bool json,
                         const std::function<int(const Status&)>& fail) const;
};

}  // namespace tandem::cli
