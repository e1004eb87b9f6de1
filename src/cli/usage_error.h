#pragma once
// Command-line mistakes as tandem's usage errors (exit 2, `error:` and `hint:`): an unknown
// command names the nearest known one, a missing command lists them, any other CLI11 parse
// error keeps its message and points at the command's --help.

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "tandem/status.h"

namespace tandem::cli {

// The usage error for `e`, thrown by `app.parse` (not for --help or --version, which exit 0).
Status usage_error(const CLI::App& app, const CLI::ParseError& e);

// The names closest to `word`: those it begins (at least two letters), else those at the
// smallest edit distance (a swap of two neighbours counts once) if that is small for its length.
// Empty when nothing is close.
std::vector<std::string> nearest_names(std::string_view word,
                                       const std::vector<std::string>& names);

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// adjacent characters, each costing 1.
size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace tandem::cli
