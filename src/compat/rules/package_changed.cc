// package-changed (Protobuf, FILE): the file's package moved. The binary encoding of each message
// does not change (it carries no names), but every full name does: generated code moves to
// another namespace, `google.protobuf.Any` type URLs and gRPC method paths no longer match.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kPackageChanged = {
    {"package-changed", Level::kError,
     "Protobuf: the file's package changed (FILE): generated code, Any type URLs and gRPC paths "
     "change with every full name"},
};

void package_changed(Walker& w, const Node& r, const Node& wr) {
  if (!w.is_proto_file(r) || !w.is_proto_file(wr) || r.name == wr.name) return;
  auto shown = [](const std::string& p) { return p.empty() ? std::string("(none)") : p; };
  w.report("package-changed", Level::kError, &r.at, &wr.at,
           fmt::format("the package is {} in the {} file and {} in the {} one: encoded messages "
                       "still read, but generated code, Any type URLs and gRPC paths use the "
                       "full names; keep the package, or copy the messages to a new file with "
                       "the new package and move consumers over",
                       shown(wr.name), w.writer_side(), shown(r.name), w.reader_side()),
           "FILE");
}

}  // namespace tandem::compat::checks
