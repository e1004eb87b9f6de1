#pragma once
// `tandem dump` and `tandem drift`: argument parsing and printing only; the work is in
// tandem/schema.h.

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>

#include "tandem/options.h"
#include "tandem/schema.h"

namespace tandem::cli {

struct DriftCommands {
  CLI::App *dump = nullptr, *drift = nullptr;
  DriftOptions drift_options;

  // Adds both commands to `app`.
  void add(CLI::App& app);
  // Runs the parsed one and returns its exit code; nullopt when neither was given. `fail`
  // prints an error and returns its exit code.
  std::optional<int> run(const Options& options, bool json,
                         const std::function<int(const Status&)>& fail) const;
};

}  // namespace tandem::cli
