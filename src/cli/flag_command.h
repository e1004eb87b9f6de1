#pragma once
// `tandem flag set|get|list|history|delete`: argument parsing and printing only; the work is in
// tandem/flags.h.

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tandem/status.h"

namespace tandem::cli {

struct FlagCommands {
  CLI::App *flag = nullptr, *set = nullptr, *get = nullptr, *list = nullptr, *history = nullptr,
           *remove = nullptr;
  std::string key, value, type, fallback, description, reason, targeting_key;
  std::vector<std::string> allow, deny;
  std::optional<double> percent;
  std::optional<long long> if_version;
  int limit = 20;

  void add(CLI::App& app);
  // Runs the parsed command on the database `db_url`; nullopt when none of them was given.
  std::optional<int> run(const std::string& db_url, bool json,
                         const std::function<int(const Status&)>& fail) const;
};

}  // namespace tandem::cli
