#pragma once
// `tandem man`: the manual page tandem.1 (roff, man macros), rendered from the command tree —
// the same descriptions, options and examples `--help` prints. The program's own help footer
// supplies the EXAMPLES, ENVIRONMENT ("Environment:" block) and EXIT STATUS ("Exit codes:")
// sections, so there is one text to keep up to date.

#include <string>
#include <string_view>
#include <vector>

#include "cli/command_tree.h"

namespace tandem::cli {

std::string man_page(const CommandInfo& root, std::string_view version);

// A --help footer split into its parts: prose (empty heading), and blocks under a heading
// line ending in ':' ("Examples:") whose lines are indented.
struct FooterPart {
  std::string heading;             // "Examples", "Environment"; "" for prose
  std::vector<std::string> lines;  // prose lines, or the block's lines without their indent
};
std::vector<FooterPart> split_footer(std::string_view footer);

// `text` as roff text: backslashes, minus signs, quotes and a leading dot escaped, non-ASCII
// characters as \[uXXXX].
std::string roff_escape(std::string_view text);

}  // namespace tandem::cli
