// pattern-changed: two regular expressions cannot be compared in general, so a reader's pattern
// that differs from the writer's is refused (fail closed); format-changed warns, as `format` is
// an annotation many validators do not assert.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kPatternChanged = {
    {"pattern-changed", Level::kError,
     "a string's pattern on the reader differs from the writer's: tandem cannot prove every "
     "written string still matches"},
    {"format-changed", Level::kWarning,
     "a string's format (date-time, email, …) on the reader differs from the writer's"},
};

void pattern_changed(Walker& w, const Node& r, const Node& wr) {
  const Bounds& rb = r.bounds;
  const Bounds& wb = wr.bounds;
  if (rb.pattern && rb.pattern != wb.pattern) {
    w.report("pattern-changed", Level::kError, &r.at, &wr.at,
             fmt::format("{}: the {} schema requires the pattern {} where the {} one {}: strings "
                         "the {} schema allows may not match, and tandem cannot prove they do; "
                         "keep the patterns equal, or add an exception once you have checked",
                         w.where(), w.reader_side(), *rb.pattern, w.writer_side(),
                         wb.pattern ? "has " + *wb.pattern : "has none", w.writer_side()));
  }
  if (rb.format && rb.format != wb.format) {
    w.report("format-changed", Level::kWarning, &r.at, &wr.at,
             fmt::format("{}: the {} schema asks for the format {} where the {} one {}: readers "
                         "that assert formats reject strings that are not; keep the formats "
                         "equal",
                         w.where(), w.reader_side(), *rb.format, w.writer_side(),
                         wb.format ? "asks for " + *wb.format : "asks for none"));
  }
}

}  // namespace tandem::compat::checks
