// field-removed-not-reserved (Protobuf, warning): a field is gone from the new message and its
// number (WIRE) or its name (WIRE_JSON) is not `reserved`. Nothing breaks today — readers skip
// the old field — but the next field to take the number misreads every old value (the
// field-number-reused hazard), and old JSON holding the name meets a field nobody declares.
// buf's FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED / _NAME_RESERVED; `--fail-on warning` makes it
// fail as buf does.

#include <fmt/format.h>

#include <algorithm>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kFieldRemovedNotReserved = {
    {"field-removed-not-reserved", Level::kWarning,
     "Protobuf: a field was deleted without `reserved` for its number (WIRE) or name "
     "(WIRE_JSON): a later field may reuse them"},
};

void field_removed_not_reserved(Walker& w, const Node& r, const Field& f) {
  // Only the new message's reservations matter: the check reads old data with the new schema.
  if (w.format() != Format::kProtobuf || !w.reader_is_new()) return;
  bool number = std::any_of(
      r.reserved_numbers.begin(), r.reserved_numbers.end(),
      [&](const auto& range) { return range.first <= f.number && f.number <= range.second; });
  // A name another field still carries (the field moved to a new number) is not deleted.
  bool name = std::find(r.reserved_names.begin(), r.reserved_names.end(), f.name) !=
                  r.reserved_names.end() ||
              std::any_of(r.fields.begin(), r.fields.end(),
                          [&](const Field& other) { return other.name == f.name; });
  if (number && name) return;
  std::string missing = !number && !name
                            ? fmt::format("reserved {}; reserved \"{}\";", f.number, f.name)
                        : !number ? fmt::format("reserved {};", f.number)
                                  : fmt::format("reserved \"{}\";", f.name);
  w.report("field-removed-not-reserved", Level::kWarning, &r.at, &f.at,
           fmt::format("{} (number {}) is deleted from `{}` without reserving its {}: a later "
                       "field that takes it misreads every old value; add `{}` to the message",
                       w.where(), f.number, r.at.pointer,
                       !number && !name ? "number and name"
                       : !number        ? "number"
                                        : "name",
                       missing),
           number ? "WIRE_JSON" : "WIRE");
}

}  // namespace tandem::compat::checks
