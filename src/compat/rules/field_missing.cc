// A field the reader has and the writer does not write.
//   field-added-without-default / field-removed-without-default: the reader cannot do without
//     it (Avro: no default; JSON Schema: required) — every value misses it.
//   property-added-to-open-content-model / property-removed-from-open-content-model: the writer
//     is open, so its values may already hold a member of that name with any value, which the
//     reader's schema for it may reject (the JSON Schema surprise Confluent's users meet).
//   field-added / field-removed (info): readers use the default or do without.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kFieldMissing = {
    {"field-added-without-default", Level::kError,
     "the new schema reads a field old data does not have, and has no default for it"},
    {"field-removed-without-default", Level::kError,
     "the new schema stops writing a field old readers need (no default on their side)"},
    {"property-added-to-open-content-model", Level::kError,
     "a property added to an object whose old schema was open: old data may hold it with any "
     "value"},
    {"property-removed-from-open-content-model", Level::kError,
     "a property removed from an open object: new data may hold it with values old readers "
     "reject"},
    {"field-added", Level::kInfo, "a field was added that readers can do without"},
    {"field-removed", Level::kInfo, "a field was removed that readers can do without"},
};

void field_missing(Walker& w, const Node& r, const Field& f, const Node& wr) {
  (void)r;
  bool avro = w.format() == Format::kAvro;
  if (f.needed) {
    std::string fix;
    if (w.reader_is_new()) {
      fix = avro ? "give it a default (optional data: a union with \"null\" first and "
                   "\"default\": null)"
                 : "make it optional (leave it out of `required`)";
    } else {
      fix = avro ? "keep writing it, or give it a default in the old schema and deploy that to "
                   "every reader first"
                 : "keep writing it, or make it optional for every old reader first";
    }
    std::string why = w.reader_is_new()
                          ? fmt::format(
                                "the new schema adds {} {}, and data written with the "
                                "old schema does not have it",
                                w.where(), avro ? "without a default" : "as required")
                          : fmt::format(
                                "the new schema no longer writes {}, which old readers "
                                "{}",
                                w.where(), avro ? "read without a default" : "require");
    w.report(
        w.pick("field-added-without-default", "field-removed-without-default"), Level::kError,
        &f.at, nullptr,
        fmt::format("{}: a {} reader fails on every such value; {}", why, w.reader_side(), fix));
    return;
  }
  if (wr.open && !w.readable(f.type, wr.extra)) {
    std::string extra = wr.extra < 0 ? std::string("any value") : describe(w.writer(), wr.extra);
    w.report(
        w.pick("property-added-to-open-content-model", "property-removed-from-open-content-model"),
        Level::kError, &f.at, &wr.at,
        fmt::format("{}: the {} schema's object is open, so its values may hold `{}` as {}, "
                    "which the {} schema's `{}` ({}) rejects; {}",
                    w.where(), w.writer_side(), f.name, extra, w.reader_side(), f.name,
                    describe(w.reader(), f.type),
                    w.reader_is_new()
                        ? "close the old schema first (additionalProperties: false) once "
                          "no data holds it, or make the new property accept any value"
                        : "keep the property in the new schema with the old one's type"));
    return;
  }
  std::string note = f.default_json ? fmt::format("readers use its default {}", *f.default_json)
                                    : std::string("it is optional");
  w.report(w.pick("field-added", "field-removed"), Level::kInfo, &f.at, nullptr,
           fmt::format("{} is only in the {} schema; {}", w.where(), w.reader_side(), note));
}

}  // namespace tandem::compat::checks
