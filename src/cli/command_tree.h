#pragma once
// The `tandem` command line as data: every command, option and help text of the CLI11 app,
// read from the app itself. The shell completions, the man page and the "did you mean"
// of an unknown command are all rendered from this one walk, so none of them can go stale.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace tandem::cli {

struct OptionInfo {
  std::vector<std::string> long_names;   // "--db"
  std::vector<std::string> short_names;  // "-v"
  std::string value_name;                // "TEXT", "INT"…; empty for a flag
  int values = 0;                        // words it takes after it: 0 for a flag
  std::vector<std::string> choices;      // its only accepted values (CLI::IsMember), if any
  std::string description;
  std::string default_value;  // as --help shows it; empty when none is shown
};

struct PositionalInfo {
  std::string name;  // "VERSION"
  std::string description;
  bool required = false;
  bool repeatable = false;
  std::vector<std::string> choices;
};

struct CommandInfo {
  std::string name;               // "status"; "tandem" for the program itself
  std::vector<std::string> path;  // {"backfill", "status"}; empty for the program
  std::string description;
  std::string footer;               // the --help text under the options (examples…)
  std::vector<OptionInfo> options;  // its own, --help included; not those of its parents
  std::vector<PositionalInfo> positionals;
  std::vector<CommandInfo> commands;  // visible subcommands, in definition order
  bool needs_command = false;         // it runs only with one of `commands`

  // "backfill status"; "" for the program.
  std::string path_text() const;
};

// The visible commands and options of `app` (hidden ones, with an empty group, are left out).
CommandInfo describe(const CLI::App& app);

// Every command of the tree, the program first, parents before their children.
std::vector<const CommandInfo*> flatten(const CommandInfo& root);

// The options valid after the command at `path`: its own and, as `fallthrough` allows, those of
// every command above it (the program's global flags).
std::vector<const OptionInfo*> options_at(const CommandInfo& root,
                                          const std::vector<std::string>& path);

}  // namespace tandem::cli
