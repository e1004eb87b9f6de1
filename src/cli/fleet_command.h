#pragma once
// `tandem fleet up|start|complete|rollback|status --targets FILE`: argument parsing and printing
// only; the rollout is tandem/fleet.h.

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tandem/options.h"

namespace tandem::cli {

struct FleetCommand {
  CLI::App* cmd = nullptr;
  CLI::App* up = nullptr;
  CLI::App* start = nullptr;
  CLI::App* complete = nullptr;
  CLI::App* rollback = nullptr;
  CLI::App* status = nullptr;
  std::string targets;
  int wave_size = 10;
  int concurrency = 4;
  std::vector<std::string> select;
  std::string version;  // start VERSION
  bool exit_code = false;
  bool allow_unsafe = false;

  void add(CLI::App& app);
  // The exit code when `tandem fleet …` was given, else nullopt. `options` are the global
  // flags' (dir, schema, timeouts, backfill throttles); each target gets its own database.
  std::optional<int> run(Options options, bool json, bool quiet,
                         const std::function<int(const Status&)>& fail) const;
};

}  // namespace tandem::cli
