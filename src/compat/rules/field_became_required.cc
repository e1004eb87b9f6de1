// field-became-required / field-became-optional: both schemas have the field, but the reader
// needs it and the writer does not always write it.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kFieldBecameRequired = {
    {"field-became-required", Level::kError,
     "a field the old schema could leave out is required by the new one"},
    {"field-became-optional", Level::kError,
     "a field old readers require may be left out by new writers"},
};

void field_became_required(Walker& w, const Field& r, const Field& wf) {
  if (!r.needed || wf.written) return;
  w.report(w.pick("field-became-required", "field-became-optional"), Level::kError, &r.at, &wf.at,
           fmt::format("{} may be left out by the {} schema, and the {} schema requires it: a {} "
                       "reader rejects every value without it; {}",
                       w.where(), w.writer_side(), w.reader_side(), w.reader_side(),
                       w.reader_is_new() ? "keep it optional (a default, or out of `required`)"
                                         : "keep writing it in every new value"));
}

}  // namespace tandem::compat::checks
