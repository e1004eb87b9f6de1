// content-model-closed / content-model-opened: JSON Schema's open content model. A writer whose
// object is open (additionalProperties not false) may write members it does not list; a closed
// reader (additionalProperties: false) rejects them. Avro and Protobuf readers skip unknown
// fields, so this never applies to them.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kContentModel = {
    {"content-model-closed", Level::kError,
     "the new schema closed an open object (additionalProperties: false): old data may hold "
     "members it now rejects"},
    {"content-model-opened", Level::kError,
     "the new schema opened a closed object: old readers with additionalProperties: false reject "
     "the members new writers may add"},
};

void content_model(Walker& w, const Node& r, const Node& wr) {
  if (!wr.open || r.open || r.skips_unknown) return;
  std::string fix = w.reader_is_new()
                        ? "keep the object open (drop additionalProperties: false)"
                        : "keep the new object closed, or open every old reader first";
  w.report(w.pick("content-model-closed", "content-model-opened"), Level::kError, &r.at, &wr.at,
           fmt::format("{}: the {} schema's object is open (it may hold members it does not "
                       "list) and the {} schema's is closed (additionalProperties: false): a {} "
                       "reader rejects any member it does not list; {}",
                       w.where(), w.writer_side(), w.reader_side(), w.reader_side(), fix));
}

}  // namespace tandem::compat::checks
