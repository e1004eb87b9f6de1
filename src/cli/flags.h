#pragma once
// Reading flag values the same way in every command.

#include <string>

#include "tandem/status.h"

namespace tandem::cli {

// A duration flag ("2s", "500ms", "1m") in milliseconds; an error naming `flag` otherwise.
Result<int> duration_flag(const char* flag, const std::string& text);

}  // namespace tandem::cli
