#pragma once
// `tandem lint [PATH…]`: argument parsing and printing only; the work is in tandem/lint.h.

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tandem/options.h"

namespace tandem::cli {

struct LintCommand {
  CLI::App* cmd = nullptr;
  std::vector<std::string> paths;
  std::string format = "text";
  std::string fail_on = "error";
  bool explain = false;
  bool list_rules = false;
  bool trace = false;
  bool plan = false;
  std::vector<std::string> severities;  // "rule=level"
  std::string config_path;              // --config, "" for the default

  void add(CLI::App& app);
  // The exit code when `tandem lint` was given, else nullopt.
  std::optional<int> run(const Options& options, bool json,
                         const std::function<int(const Status&)>& fail) const;
};

}  // namespace tandem::cli
