// range-narrowed: a number's bounds (minimum, maximum, their exclusive forms, multipleOf) on the
// reader reject numbers the writer's bounds allow.

#include <fmt/format.h>

#include <cmath>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {
namespace {

struct Bound {
  bool set = false;
  double value = 0;
  bool exclusive = false;
};

// The tighter of an inclusive and an exclusive bound; `lower` chooses the direction.
Bound effective(const std::optional<double>& inclusive, const std::optional<double>& exclusive,
                bool lower) {
  Bound b;
  if (inclusive) b = {true, *inclusive, false};
  if (exclusive) {
    bool tighter = !b.set || (lower ? *exclusive >= b.value : *exclusive <= b.value);
    if (tighter) b = {true, *exclusive, true};
  }
  return b;
}

// Is every number the writer's bound allows inside the reader's?
bool within(const Bound& reader, const Bound& writer, bool lower) {
  if (!reader.set) return true;
  if (!writer.set) return false;
  if (writer.value == reader.value) return !reader.exclusive || writer.exclusive;
  return lower ? writer.value > reader.value : writer.value < reader.value;
}

std::string show(const Bound& b, bool lower) {
  if (!b.set) return "none";
  return fmt::format("{} {}", lower ? (b.exclusive ? ">" : ">=") : (b.exclusive ? "<" : "<="),
                     b.value);
}

}  // namespace

const std::vector<RuleInfo> kRangeNarrowed = {
    {"range-narrowed", Level::kError,
     "a number's minimum, maximum or multipleOf on the reader rejects numbers the writer allows"},
};

void range_narrowed(Walker& w, const Node& r, const Node& wr) {
  const Bounds& rb = r.bounds;
  const Bounds& wb = wr.bounds;
  for (bool lower : {true, false}) {
    Bound rbound = lower ? effective(rb.minimum, rb.exclusive_minimum, true)
                         : effective(rb.maximum, rb.exclusive_maximum, false);
    Bound wbound = lower ? effective(wb.minimum, wb.exclusive_minimum, true)
                         : effective(wb.maximum, wb.exclusive_maximum, false);
    if (within(rbound, wbound, lower)) continue;
    w.report("range-narrowed", Level::kError, &r.at, &wr.at,
             fmt::format("{}: the {} schema's {} bound is {}, the {} one's {}: a {} reader "
                         "rejects numbers the {} schema allows; keep the {} bound",
                         w.where(), w.reader_side(), lower ? "lower" : "upper", show(rbound, lower),
                         w.writer_side(), show(wbound, lower), w.reader_side(), w.writer_side(),
                         w.writer_side()));
  }
  if (rb.multiple_of) {
    bool ok = wb.multiple_of && *rb.multiple_of != 0 &&
              std::fabs(std::remainder(*wb.multiple_of, *rb.multiple_of)) < 1e-9;
    if (!ok) {
      w.report("range-narrowed", Level::kError, &r.at, &wr.at,
               fmt::format("{}: the {} schema requires multiples of {}, which the {} schema's "
                           "numbers need not be: a {} reader rejects them; drop the multipleOf "
                           "or keep it equal",
                           w.where(), w.reader_side(), *rb.multiple_of, w.writer_side(),
                           w.reader_side()));
    }
  }
}

}  // namespace tandem::compat::checks
