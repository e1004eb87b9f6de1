// Durations as users write them in files and flags (tandem/duration.h).

#include "tandem/duration.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace tandem {

std::string duration_hint(const std::string& text) {
  bool digits = !text.empty() && text.size() <= 12 &&
                std::all_of(text.begin(), text.end(),
                            [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (digits) return fmt::format("add a unit: {}s, {}ms or {}m", text, text, text);
  return "write it like 2s, 500ms or 1m";
}

long long parse_duration_ms(const std::string& text) {
  if (text.empty()) return -1;
  size_t pos = 0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
  if (pos == 0 || pos > 12) return -1;
  long long n = std::stoll(text.substr(0, pos));
  std::string unit = text.substr(pos);
  // A bare number is ambiguous (seconds? milliseconds?): only 0, "off", needs no unit.
  if (unit.empty()) return n == 0 ? 0 : -1;
  if (unit == "ms") return n;
  if (unit == "s") return n * 1000;
  if (unit == "m" || unit == "min") return n * 60000;
  if (unit == "h") return n * 3600000;
  return -1;
}

long long parse_size_bytes(const std::string& text) {
  size_t pos = 0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
  if (pos == 0 || pos > 12) return -1;
  long long n = std::stoll(text.substr(0, pos));
  std::string unit = text.substr(pos);
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  if (unit.empty() || unit == "B") return n;
  if (unit == "KiB") return n << 10;
  if (unit == "MiB") return n << 20;
  if (unit == "GiB" && n <= 1024) return n << 30;
  return -1;
}

}  // namespace tandem
