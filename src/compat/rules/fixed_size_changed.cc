// fixed-size-changed: an Avro fixed type's size is part of the data's encoding.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kFixedSizeChanged = {
    {"fixed-size-changed", Level::kError,
     "a fixed type's size changed: the bytes written no longer decode"},
};

void fixed_size_changed(Walker& w, const Node& r, const Node& wr) {
  if (r.size == wr.size) return;
  w.report("fixed-size-changed", Level::kError, &r.at, &wr.at,
           fmt::format("{} is a fixed of {} bytes in the {} schema and {} bytes in the {} one: a "
                       "reader decodes exactly its own size, so every value is misread; add a "
                       "new field of the new size instead",
                       w.where(), wr.size, w.writer_side(), r.size, w.reader_side()));
}

}  // namespace tandem::compat::checks
