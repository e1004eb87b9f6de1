// field-renamed (info): the reader reads the writer's field under another name, through an
// alias (Avro). The reverse direction has no alias to match by and meets field_missing instead.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kFieldRenamed = {
    {"field-renamed", Level::kInfo, "a field was renamed, and an alias keeps it readable"},
};

void field_renamed(Walker& w, const Field& r, const Field& wf) {
  if (r.name == wf.name || w.format() == Format::kProtobuf) return;
  w.report("field-renamed", Level::kInfo, &r.at, &wf.at,
           fmt::format("`{}` in the {} schema is `{}` in the {} one, matched through its alias",
                       wf.name, w.writer_side(), r.name, w.reader_side()));
}

}  // namespace tandem::compat::checks
