#pragma once
// Reading flag values the same way in every command.

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "tandem/status.h"
#include "tandem/tandem.h"

namespace tandem::cli {

// A duration flag ("2s", "500ms", "1m") in milliseconds; an error naming `flag` otherwise.
Result<int> duration_flag(const char* flag, const std::string& text);

// The flags every command shares, as CLI11 fills them in.
struct GlobalFlags {
  std::string db;
  std::string dir = "migrations";
  std::string schema = "public";
  bool json = false;
  bool verbose = false;
  bool quiet = false;
  std::string lock_wait = "60s";
  std::string lock_timeout = "2s";
  std::string statement_timeout = "0";
  int lock_retries = 10;
  bool allow_out_of_order = false;
  bool sqlite_keep_journal = false;
  // Backfill settings: unset = what the job stored when it last ran, else the default.
  std::optional<std::string> batch_target;
  std::optional<int> batch_max;
  std::optional<double> max_rows_per_second;
  std::optional<std::string> max_lag;
  std::optional<std::string> replica;
  std::optional<std::string> throttle_query;
  std::string config;
  bool allow_unsafe = false;
};

// Builds the options: a flag given wins, then DATABASE_URL (for the database), then the
// project's tandem.yaml, then the defaults. `lints`: the command runs the lint gate, so a
// problem in the file's `lint:` section is an error (a warning for the others).
// `config_path` receives the tandem.yaml used ("" = none).
Result<Options> command_options(const GlobalFlags& g, const CLI::App& app, bool lints,
                                std::string& config_path);

}  // namespace tandem::cli
