// name-changed: Avro resolves records, enums and fixed types by name. A reader's type matches a
// writer's when their unqualified names are equal or one of the reader's aliases is the
// writer's full name (the specification, "Schema Resolution").

#include <fmt/format.h>

#include <algorithm>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {
namespace {

std::string unqualified(const std::string& full) {
  size_t dot = full.rfind('.');
  return dot == std::string::npos ? full : full.substr(dot + 1);
}

}  // namespace

const std::vector<RuleInfo> kNameChanged = {
    {"name-changed", Level::kError,
     "a named type (record, enum, fixed) was renamed without an alias: readers resolve by name"},
};

void name_changed(Walker& w, const Node& r, const Node& wr) {
  if (w.format() != Format::kAvro || r.name.empty() || wr.name.empty()) return;
  if (unqualified(r.name) == unqualified(wr.name)) return;
  if (std::find(r.aliases.begin(), r.aliases.end(), wr.name) != r.aliases.end()) return;
  std::string fix = w.reader_is_new() ? fmt::format("add \"aliases\": [\"{}\"] to the new {}",
                                                    wr.name, kind_name(r.kind))
                                      : "keep the old name (old readers cannot learn the new one)";
  w.report("name-changed", Level::kError, &r.at, &wr.at,
           fmt::format("{} is the {} `{}` in the {} schema and `{}` in the {} one: Avro matches "
                       "named types by name, so a {} reader cannot read it; {}",
                       w.where(), kind_name(r.kind), wr.name, w.writer_side(), r.name,
                       w.reader_side(), w.reader_side(), fix));
}

}  // namespace tandem::compat::checks
