#include "expand/names.h"

#include "tandem/migration.h"

namespace tandem::expand {

std::string derived_name(const std::string& full) {
  if (full.size() <= kMaxName) return full;
  std::string suffix = "_" + checksum(full).substr(0, 8);
  size_t keep = kMaxName - suffix.size();
  // Never end inside a character: back up over continuation bytes (10xxxxxx) and the lead
  // byte they belong to.
  while (keep > 0 && (static_cast<unsigned char>(full[keep]) & 0xc0) == 0x80) --keep;
  return full.substr(0, keep) + suffix;
}

}  // namespace tandem::expand
