// length-narrowed: a string's minLength/maxLength on the reader rejects strings the writer's
// allow.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kLengthNarrowed = {
    {"length-narrowed", Level::kError,
     "a string's minLength or maxLength on the reader rejects strings the writer allows"},
};

void length_narrowed(Walker& w, const Node& r, const Node& wr) {
  const Bounds& rb = r.bounds;
  const Bounds& wb = wr.bounds;
  if (rb.min_length && (!wb.min_length || *wb.min_length < *rb.min_length)) {
    w.report(
        "length-narrowed", Level::kError, &r.at, &wr.at,
        fmt::format("{}: the {} schema requires at least {} characters, the {} one {}: a "
                    "{} reader rejects shorter strings; keep the minLength",
                    w.where(), w.reader_side(), *rb.min_length, w.writer_side(),
                    wb.min_length ? fmt::format("{}", *wb.min_length) : "none", w.reader_side()));
  }
  if (rb.max_length && (!wb.max_length || *wb.max_length > *rb.max_length)) {
    w.report("length-narrowed", Level::kError, &r.at, &wr.at,
             fmt::format("{}: the {} schema allows at most {} characters, the {} one {}: a {} "
                         "reader rejects longer strings; keep the maxLength",
                         w.where(), w.reader_side(), *rb.max_length, w.writer_side(),
                         wb.max_length ? fmt::format("{}", *wb.max_length) : "no limit",
                         w.reader_side()));
  }
}

}  // namespace tandem::compat::checks
