// default-changed (info): a field's default differs. Readers use their own default only when a
// value lacks the field, so reading still works — but what old data without it means changes.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kDefaultChanged = {
    {"default-changed", Level::kInfo,
     "a field's default changed: values without the field now read differently (Protobuf "
     "proto2: an error in WIRE, as every old message changes value silently)"},
};

void default_changed(Walker& w, const Field& r, const Field& wf) {
  if (!r.default_json || !wf.default_json || *r.default_json == *wf.default_json) return;
  if (w.format() == Format::kProtobuf) {
    // proto2 `[default = …]`: a message without the field reads as the reader's default, and
    // the bytes do not say which was meant — every old message silently changes value.
    w.report("default-changed", Level::kError, &r.at, &wf.at,
             fmt::format("{}: the default is {} in the {} schema and {} in the {} one; every "
                         "message without the field reads as {} to a {} reader, silently; "
                         "keep the default, or add a new field with the new default",
                         w.where(), *wf.default_json, w.writer_side(), *r.default_json,
                         w.reader_side(), *r.default_json, w.reader_side()),
             "WIRE");
    return;
  }
  w.report(
      "default-changed", Level::kInfo, &r.at, &wf.at,
      fmt::format("{}: the default is {} in the {} schema and {} in the {} one; values "
                  "without the field read as the reader's default",
                  w.where(), *wf.default_json, w.writer_side(), *r.default_json, w.reader_side()));
}

}  // namespace tandem::compat::checks
