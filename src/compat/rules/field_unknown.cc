// A field the writer writes and the reader does not list.
//   Avro and Protobuf readers skip it (info: field-removed / field-added).
//   A closed JSON Schema reader rejects it: property-removed-from-closed-content-model /
//   property-added-to-closed-content-model.
//   An open reader with a schema for unlisted members (additionalProperties: {…}) must accept
//   the field's values: additional-properties-rejects-field.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kFieldUnknown = {
    {"property-removed-from-closed-content-model", Level::kError,
     "a property removed from a closed object (additionalProperties: false): old data holding "
     "it is rejected"},
    {"property-added-to-closed-content-model", Level::kError,
     "a property added where old readers are closed (additionalProperties: false): they reject "
     "new data holding it"},
    {"additional-properties-rejects-field", Level::kError,
     "a field the writer writes falls under the reader's additionalProperties schema, which "
     "rejects its values"},
};

void field_unknown(Walker& w, const Node& r, const Node& wr, const Field& f) {
  (void)wr;
  if (r.skips_unknown) {
    w.report(w.pick("field-removed", "field-added"), Level::kInfo, nullptr, &f.at,
             fmt::format("{} is only in the {} schema; {} readers skip it", w.where(),
                         w.writer_side(), w.reader_side()));
    return;
  }
  if (!r.open) {
    w.report(w.pick("property-removed-from-closed-content-model",
                    "property-added-to-closed-content-model"),
             Level::kError, &r.at, &f.at,
             fmt::format("{} is written by the {} schema, and the {} schema's object is closed "
                         "(additionalProperties: false) without it: a {} reader rejects every "
                         "value that holds it; {}",
                         w.where(), w.writer_side(), w.reader_side(), w.reader_side(),
                         w.reader_is_new() ? "keep the property in the new schema (it may stay "
                                             "optional), or open the object"
                                           : "open the old readers first, or do not add it"));
    return;
  }
  if (r.extra >= 0 && !w.readable(r.extra, f.type)) {
    w.report("additional-properties-rejects-field", Level::kError, &r.at, &f.at,
             fmt::format("{} ({}) is written by the {} schema; the {} schema does not list it, "
                         "and its additionalProperties ({}) reject its values; list the "
                         "property, or widen additionalProperties",
                         w.where(), describe(w.writer(), f.type), w.writer_side(), w.reader_side(),
                         describe(w.reader(), r.extra)));
    return;
  }
  w.report(w.pick("field-removed", "field-added"), Level::kInfo, nullptr, &f.at,
           fmt::format("{} is only in the {} schema; {} readers accept it as an unlisted member",
                       w.where(), w.writer_side(), w.reader_side()));
}

}  // namespace tandem::compat::checks
