#pragma once
// `tandem compat OLD NEW [MORE…]`: argument parsing and printing only; the work is in
// tandem/compat.h.

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tandem/status.h"

namespace tandem::cli {

struct CompatCommand {
  CLI::App* cmd = nullptr;
  std::vector<std::string> files;
  std::string type;
  std::string mode = "BACKWARD";
  std::string format = "text";
  std::string fail_on = "error";
  std::string config_path;
  std::string git_ref;
  std::vector<std::string> include_paths;
  std::string category;
  bool list_rules = false;
  // `tandem compat resolve`
  CLI::App* resolve_cmd = nullptr;
  std::string writer, reader;
  bool binary = false;

  void add(CLI::App& app);
  // The exit code when `tandem compat` was given, else nullopt.
  std::optional<int> run(bool json, const std::function<int(const Status&)>& fail) const;
  int run_resolve(const std::function<int(const Status&)>& fail) const;
};

}  // namespace tandem::cli
