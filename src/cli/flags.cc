#include "cli/flags.h"

#include <fmt/format.h>

#include "tandem/config.h"

namespace tandem::cli {

Result<int> duration_flag(const char* flag, const std::string& text) {
  long long ms = parse_duration_ms(text);
  if (ms < 0 || ms > 2147483647) {
    return Status::InvalidInput(fmt::format("{} '{}' is not a duration", flag, text),
                                "write it like 2s, 500ms or 1m");
  }
  return static_cast<int>(ms);
}

}  // namespace tandem::cli
