#pragma once
// `tandem serve`: argument parsing only; the dashboard and OFREP are in tandem/serve.h.

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tandem/options.h"
#include "tandem/status.h"

namespace tandem::cli {

struct ServeCommand {
  CLI::App* cmd = nullptr;
  std::string listen = "127.0.0.1:8016", token_file, gateway_token_file, refresh = "1s";
  std::vector<std::string> gateway_admins;
  bool allow_actions = false;
  int workers = 2;

  void add(CLI::App& app);
  // Runs `serve` on `options` (its database and migrations folder); nullopt when not given.
  std::optional<int> run(const Options& options,
                         const std::function<int(const Status&)>& fail) const;
};

}  // namespace tandem::cli
