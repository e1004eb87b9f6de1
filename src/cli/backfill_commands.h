#pragma once
// `tandem backfill status|pause|resume|cancel [JOB]` and `tandem verify [--tables A B]`:
// argument parsing and printing only; the work is in tandem/backfill.h.

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tandem/options.h"

namespace tandem::cli {

struct BackfillCommands {
  CLI::App* backfill = nullptr;
  CLI::App *status = nullptr, *pause = nullptr, *resume = nullptr, *cancel = nullptr;
  CLI::App* verify = nullptr;
  std::string job;
  std::vector<std::string> tables;
  long long chunk = 10000;

  // Adds the commands to `app`.
  void add(CLI::App& app);
  // Runs the parsed one and returns its exit code; nullopt when none of them was given.
  // `fail` prints an error and returns its exit code.
  std::optional<int> run(const Options& options, bool json,
                         const std::function<int(const Status&)>& fail) const;
};

}  // namespace tandem::cli
