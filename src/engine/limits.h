#pragma once
// The problems of a migration over an input limit (tandem/migration.h: InputLimits), worded
// once: each names the limit, the tandem.yaml setting that raises it, and how to split.

#include <string>

#include "tandem/migration.h"

namespace tandem {

// "16 MiB", "54.5 MiB", "900 bytes".
std::string size_text(long long bytes);

// `path` is `size` bytes, over `max` (limits.max_file_size); it was not read.
Problem file_too_large(const std::string& path, long long size, long long max);

// A migration that runs more than `max` statements in `dir` (limits.max_statements):
// `first_over` is statement max + 1, where the problem points.
Problem too_many_statements(const std::string& path, Direction dir, const Statement& first_over,
                            int max);

}  // namespace tandem
