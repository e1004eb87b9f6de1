#pragma once
// Durations and sizes as users write them in files and flags: "2s", "500ms", "16MiB".

#include <string>

namespace tandem {

// "2s", "500ms", "1m" (or a bare 0) in milliseconds; -1 when it is not one — a bare number
// other than 0 too: `--timeout 10` might mean seconds.
long long parse_duration_ms(const std::string& text);

// What to write instead of `text`, which parse_duration_ms refused: "add a unit: 10s or 10ms".
std::string duration_hint(const std::string& text);

// "16MiB", "512KiB", "1GiB" or a number of bytes; -1 when it is not one.
long long parse_size_bytes(const std::string& text);

}  // namespace tandem
