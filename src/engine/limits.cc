#include "engine/limits.h"

#include <fmt/format.h>

namespace tandem {

std::string size_text(long long bytes) {
  constexpr const char* kUnits[] = {"KiB", "MiB", "GiB"};
  if (bytes < 1024) return fmt::format("{} bytes", bytes);
  double value = static_cast<double>(bytes);
  int unit = -1;
  while (value >= 1024 && unit < 2) {
    value /= 1024;
    ++unit;
  }
  // Whole numbers as such ("16 MiB"), others with one decimal ("54.5 MiB").
  if (value == static_cast<double>(static_cast<long long>(value)))
    return fmt::format("{} {}", static_cast<long long>(value), kUnits[unit]);
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

Problem file_too_large(const std::string& path, long long size, long long max) {
  return {"file_too_large",
          path,
          0,
          0,
          fmt::format("the file is {} ({} bytes), over the limit of {} for one migration file "
                      "(limits.max_file_size); it was not read",
                      size_text(size), size, size_text(max)),
          fmt::format("split it into several migrations of at most {} each (a large data load "
                      "belongs in a backfill or a COPY, not in a migration file), or raise "
                      "`limits.max_file_size` in tandem.yaml (docs/config.md)",
                      size_text(max))};
}

Problem too_many_statements(const std::string& path, Direction dir, const Statement& first_over,
                            int max) {
  return {"too_many_statements",
          path,
          first_over.line,
          first_over.column,
          fmt::format("more than {} statements in the {} direction of one migration "
                      "(limits.max_statements); statement {} starts here",
                      max, dir == Direction::kUp ? "up" : "down", max + 1),
          "split the migration into several files, or raise `limits.max_statements` in "
          "tandem.yaml (docs/config.md)"};
}

}  // namespace tandem
