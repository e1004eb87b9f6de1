// logical-type-changed: Avro resolution ignores logical types, so the bytes still decode, but a
// reader interprets them differently (timestamp-millis read as timestamp-micros is off by a
// factor of 1000; a decimal's scale moves the point). Silent corruption is worse than a failed
// read: an error.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kLogicalTypeChanged = {
    {"logical-type-changed", Level::kError,
     "a logical type (timestamp unit, decimal precision/scale, uuid, …) changed: values decode "
     "but mean something else"},
};

void logical_type_changed(Walker& w, const Node& r, const Node& wr) {
  if (r.logical == wr.logical) return;
  auto show = [](const std::string& l) { return l.empty() ? std::string("none") : l; };
  w.report("logical-type-changed", Level::kError, &r.at, &wr.at,
           fmt::format("{}: the logical type is {} in the {} schema and {} in the {} one: the "
                       "values still decode, but a {} reader gives them another meaning; add a "
                       "new field with the new logical type instead",
                       w.where(), show(wr.logical), w.writer_side(), show(r.logical),
                       w.reader_side(), w.reader_side()));
}

}  // namespace tandem::compat::checks
