// size-narrowed: minItems/maxItems (arrays) or minProperties/maxProperties (objects) on the
// reader reject values the writer allows; unique-items-added when the reader starts requiring
// unique items.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {
namespace {

void check(Walker& w, const Node& r, const Node& wr, const std::optional<uint64_t>& rmin,
           const std::optional<uint64_t>& wmin, const std::optional<uint64_t>& rmax,
           const std::optional<uint64_t>& wmax, const char* what) {
  if (rmin && (!wmin || *wmin < *rmin)) {
    w.report("size-narrowed", Level::kError, &r.at, &wr.at,
             fmt::format("{}: the {} schema requires at least {} {}, the {} one {}: a {} reader "
                         "rejects smaller values; keep the minimum",
                         w.where(), w.reader_side(), *rmin, what, w.writer_side(),
                         wmin ? fmt::format("{}", *wmin) : "none", w.reader_side()));
  }
  if (rmax && (!wmax || *wmax > *rmax)) {
    w.report("size-narrowed", Level::kError, &r.at, &wr.at,
             fmt::format("{}: the {} schema allows at most {} {}, the {} one {}: a {} reader "
                         "rejects larger values; keep the maximum",
                         w.where(), w.reader_side(), *rmax, what, w.writer_side(),
                         wmax ? fmt::format("{}", *wmax) : "no limit", w.reader_side()));
  }
}

}  // namespace

const std::vector<RuleInfo> kSizeNarrowed = {
    {"size-narrowed", Level::kError,
     "minItems/maxItems or minProperties/maxProperties on the reader reject values the writer "
     "allows"},
    {"unique-items-added", Level::kError,
     "the reader requires unique array items where the writer did not"},
};

void size_narrowed(Walker& w, const Node& r, const Node& wr) {
  const Bounds& rb = r.bounds;
  const Bounds& wb = wr.bounds;
  if (r.kind == Kind::kArray) {
    check(w, r, wr, rb.min_items, wb.min_items, rb.max_items, wb.max_items, "items");
    if (rb.unique_items && !wb.unique_items) {
      w.report("unique-items-added", Level::kError, &r.at, &wr.at,
               fmt::format("{}: the {} schema requires unique items, the {} one does not: a {} "
                           "reader rejects arrays with repeated items; drop uniqueItems",
                           w.where(), w.reader_side(), w.writer_side(), w.reader_side()));
    }
  } else {
    check(w, r, wr, rb.min_properties, wb.min_properties, rb.max_properties, wb.max_properties,
          "properties");
  }
}

}  // namespace tandem::compat::checks
