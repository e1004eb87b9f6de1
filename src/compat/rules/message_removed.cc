// message-removed (Protobuf, FILE): a top-level message of the old file is gone from the new
// one. No encoded value changes, but code generated from the new file no longer has the type,
// and consumers that decode a topic as that message cannot. In the other direction (a message
// only the new file has) nothing breaks: message-added, a note.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kMessageRemoved = {
    {"message-removed", Level::kError,
     "Protobuf: a top-level message was deleted (FILE): generated code and consumers that decode "
     "it lose the type"},
    {"message-added", Level::kInfo, "Protobuf: a top-level message was added"},
};

void message_removed(Walker& w, const Node& r, const Field& m) {
  (void)r;
  if (!w.reader_is_new()) {
    w.report("message-added", Level::kInfo, nullptr, &m.at,
             fmt::format("message `{}` is only in the new file", m.name), "FILE");
    return;
  }
  w.report("message-removed", Level::kError, nullptr, &m.at,
           fmt::format("message `{}` is gone from the new file: code generated from it no longer "
                       "has the type, and data still written as `{}` has no schema to be read "
                       "with; keep the message (mark it `option deprecated = true;`) until no "
                       "producer or consumer uses it",
                       m.name, m.name),
           "FILE");
}

}  // namespace tandem::compat::checks
