#include "expand/names.h"

#include "tandem/migration.h"

namespace tandem::expand {

std::string derived_name(const std::string& full) {
  if (full.size() <= kMaxName) return full;
  // Appended rather than `"_" + …`: GCC 12 at -O3 reports a false -Wrestrict inside
  // std::string's operator+(const char*, string&&), which breaks the -Werror Release build.
  std::string suffix = "_";
  suffix += std::string_view(checksum(full)).substr(0, 8);
  size_t keep = kMaxName - suffix.size();
  // Never end inside a character: back up over continuation bytes (10xxxxxx) and the lead
  // byte they belong to.
  while (keep > 0 && (static_cast<unsigned char>(full[keep]) & 0xc0) == 0x80) --keep;
  return full.substr(0, keep) + suffix;
}

}  // namespace tandem::expand
