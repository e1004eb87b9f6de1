// field-renamed (info): the reader reads the writer's field under another name, through an
// alias (Avro). The reverse direction has no alias to match by and meets field_missing instead.
// Protobuf matches fields by number, so a rename reads on the wire but not as JSON: a WIRE_JSON
// error (`--category WIRE` ignores it).

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kFieldRenamed = {
    {"field-renamed", Level::kInfo,
     "a field was renamed, and an alias keeps it readable (Avro); Protobuf: an error in "
     "category WIRE_JSON — the binary encoding carries numbers and reads, the JSON mapping "
     "carries names and a JSON reader fails"},
};

void field_renamed(Walker& w, const Field& r, const Field& wf) {
  if (r.name == wf.name) return;
  if (w.format() == Format::kProtobuf) {
    // Another name and another type is another field on a reused number: field_number_reused.
    if (!same_declared_type(w, r, wf)) return;
    w.report("field-renamed", Level::kError, &r.at, &wf.at,
             fmt::format("field {} is `{}` in the {} schema and `{}` in the {} one: the binary "
                         "encoding carries the number and still reads, but JSON (and text "
                         "format) carry the name — a {} JSON reader rejects or drops `{}`; keep "
                         "the name, or set json_name to the old name",
                         wf.number, wf.name, w.writer_side(), r.name, w.reader_side(),
                         w.reader_side(), wf.name),
             "WIRE_JSON");
    return;
  }
  w.report("field-renamed", Level::kInfo, &r.at, &wf.at,
           fmt::format("`{}` in the {} schema is `{}` in the {} one, matched through its alias",
                       wf.name, w.writer_side(), r.name, w.reader_side()));
}

}  // namespace tandem::compat::checks
