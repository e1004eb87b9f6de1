#pragma once
// `tandem gateway` and `tandem api check|pin|usage|changelog`: argument parsing and printing
// only; the work is in tandem/gateway.h.

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

#include "tandem/gateway.h"
#include "tandem/status.h"

namespace tandem::cli {

struct ApiCommands {
  CLI::App* gateway = nullptr;
  CLI::App* api = nullptr;
  CLI::App *check = nullptr, *pin = nullptr, *usage = nullptr, *changelog = nullptr;
  std::string config = "api.yaml";
  std::string listen, admin;
  int workers = 0;
  std::string client, version, format = "md", only_version;
  bool remove = false, list = false;
  // `api rollout ACTION [NAME]` and `api degrade NAME on|off` (cli/api_rollout_command.cc).
  CLI::App *rollout = nullptr, *degrade = nullptr;
  std::string action, name, reason, state;

  void add(CLI::App& app);
  void add_traffic(CLI::App& api, const std::function<void(CLI::App*)>& config_opt);
  int run_traffic(const gateway::Config& c, bool json,
                  const std::function<int(const Status&)>& fail) const;
  // Runs the parsed command and returns its exit code; nullopt when none of them was given.
  std::optional<int> run(bool json, const std::function<int(const Status&)>& fail) const;
};

}  // namespace tandem::cli
