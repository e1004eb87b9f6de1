// reserved-removed (Protobuf, WIRE): a `reserved` number or name of a message or an enum in the
// old file is no longer reserved in the new one. Nothing reads differently yet, but the guard
// against reusing a deleted field's number (field-number-reused) is gone.

#include <fmt/format.h>

#include <algorithm>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kReservedRemoved = {
    {"reserved-removed", Level::kError,
     "Protobuf: a reserved number or name was dropped from a message or enum (WIRE): a deleted "
     "field's number may be reused"},
};

void reserved_removed(Walker& w, const Node& r, const Node& wr) {
  if (w.format() != Format::kProtobuf || w.is_proto_file(r)) return;
  const Node& old_n = w.reader_is_new() ? wr : r;
  const Node& new_n = w.reader_is_new() ? r : wr;
  std::string gone;
  for (const auto& [lo, hi] : old_n.reserved_numbers) {
    // Covered when every number of the old range is in one of the new ranges (ranges rarely
    // split; a split range counts as dropped, which errs on the safe side).
    bool kept = std::any_of(new_n.reserved_numbers.begin(), new_n.reserved_numbers.end(),
                            [&](const auto& n) { return n.first <= lo && hi <= n.second; });
    if (!kept)
      gone += (gone.empty() ? "" : ", ") +
              (lo == hi ? fmt::format("{}", lo) : fmt::format("{} to {}", lo, hi));
  }
  for (const std::string& name : old_n.reserved_names)
    if (std::find(new_n.reserved_names.begin(), new_n.reserved_names.end(), name) ==
        new_n.reserved_names.end())
      gone += (gone.empty() ? "\"" : ", \"") + name + "\"";
  if (gone.empty()) return;
  w.report("reserved-removed", Level::kError, &r.at, &wr.at,
           fmt::format("{} `{}` reserves {} in the old file and no longer in the new one: a "
                       "field that takes them misreads data written before they were deleted; "
                       "keep the `reserved` statement",
                       kind_name(new_n.kind), new_n.at.pointer, gone),
           "WIRE");
}

}  // namespace tandem::compat::checks
