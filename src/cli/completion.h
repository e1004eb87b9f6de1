#pragma once
// `tandem completion bash|zsh|fish`: completion scripts rendered from the command tree
// (cli/command_tree.h), one renderer per shell. Each completes the commands, the subcommands
// of command groups, every command's long options (its own and the global ones), and the
// values of options and arguments that accept only a fixed set; other values complete as
// file names.

#include <string>
#include <string_view>
#include <vector>

#include "cli/command_tree.h"
#include "tandem/status.h"

namespace tandem::cli {

// The script for `shell`; an InvalidInput error for a shell without one.
Result<std::string> completion_script(const CommandInfo& root, std::string_view shell);

std::string bash_completion(const CommandInfo& root);
std::string zsh_completion(const CommandInfo& root);
std::string fish_completion(const CommandInfo& root);

// What every renderer needs about one command, keyed by its path ("" is the program).
struct CompletionEntry {
  const CommandInfo* command = nullptr;
  std::string path;  // "backfill status"
  // Its own options, but for those a command above it has too (--help). They are valid at it
  // and after its subcommands; those of the commands above it too (global flags fall through).
  std::vector<const OptionInfo*> options;
  bool takes_arguments = false;  // a leaf with positionals (files unless choices)
  std::vector<std::string> argument_choices;
};
std::vector<CompletionEntry> completion_entries(const CommandInfo& root);

// `s` as one word for POSIX shells (bash, zsh): single quotes, a quote as '\''.
std::string sh_quote(std::string_view s);
// The first line of a help text, for the one-line descriptions shells show.
std::string first_line(std::string_view text);

}  // namespace tandem::cli
