// field-number-reused (Protobuf, WIRE): one field number, another name and another type — a
// deleted field's number given to a new field. Data written with one reads as garbage (or fails)
// in the other; `reserved` exists to prevent exactly this. type-changed (or -narrowed) says what
// the reader meets; this finding says why it happened.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {
namespace {

// A type as the .proto spells it: "int32", "repeated Order.Item", "map<string, int64>". Messages
// and enums by their name relative to the package, so a package change alone is no new type.
std::string declared(const Schema& s, NodeId id, int depth = 0) {
  if (id < 0 || depth > 8) return "";
  const Node& n = s.node(id);
  switch (n.kind) {
    case Kind::kArray:
      return "repeated " + declared(s, n.items, depth + 1);
    case Kind::kRecord:
    case Kind::kEnum:
      return n.at.pointer;
    default:
      return n.type_name;
  }
}

}  // namespace

const std::vector<RuleInfo> kFieldNumberReused = {
    {"field-number-reused", Level::kError,
     "Protobuf: a field number now names another field of another type (WIRE): data written "
     "with one is misread by the other; reserve deleted numbers"},
};

bool same_declared_type(const Walker& w, const Field& r, const Field& wf) {
  return declared(w.reader(), r.type) == declared(w.writer(), wf.type);
}

void field_number_reused(Walker& w, const Field& r, const Field& wf) {
  if (w.format() != Format::kProtobuf || r.name == wf.name || same_declared_type(w, r, wf)) return;
  w.report("field-number-reused", Level::kError, &r.at, &wf.at,
           fmt::format("field number {} is `{}` ({}) in the {} schema and `{}` ({}) in the {} "
                       "one: a {} reader decodes `{}` values as `{}`; give the new field a new "
                       "number and declare the old one `reserved {};`",
                       wf.number, wf.name, declared(w.writer(), wf.type), w.writer_side(), r.name,
                       declared(w.reader(), r.type), w.reader_side(), w.reader_side(), wf.name,
                       r.name, wf.number));
}

}  // namespace tandem::compat::checks
