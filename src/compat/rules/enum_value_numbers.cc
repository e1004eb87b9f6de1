// enum-value-number-changed (Protobuf, WIRE, error): an enum value's name kept, its number moved.
// The wire carries numbers: data written as the old number reads as another value (or none).
// enum-value-renamed (Protobuf, WIRE_JSON, error): a number kept under another name. The
// binary encoding reads; JSON carries names, and a reader without the name rejects it.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {
namespace {

// The reader's number for `name`, or nullptr.
const int* number_of(const Node& n, const std::string& name) {
  for (size_t i = 0; i < n.symbols.size() && i < n.symbol_numbers.size(); ++i)
    if (n.symbols[i] == name) return &n.symbol_numbers[i];
  return nullptr;
}

bool has_number(const Node& n, int number) {
  for (int x : n.symbol_numbers)
    if (x == number) return true;
  return false;
}

}  // namespace

const std::vector<RuleInfo> kEnumValueNumbers = {
    {"enum-value-number-changed", Level::kError,
     "Protobuf: an enum value kept its name and changed its number (WIRE): old data reads as "
     "another value"},
    {"enum-value-renamed", Level::kError,
     "Protobuf: an enum number kept under another name (WIRE_JSON): binary reads, JSON does not"},
};

void enum_value_numbers(Walker& w, const Node& r, const Node& wr) {
  if (w.format() != Format::kProtobuf) return;
  std::string moved, renamed;
  for (size_t i = 0; i < wr.symbols.size() && i < wr.symbol_numbers.size(); ++i) {
    const std::string& name = wr.symbols[i];
    int number = wr.symbol_numbers[i];
    const int* rn = number_of(r, name);
    if (rn != nullptr && *rn != number) {
      moved += fmt::format("{}{} ({} → {})", moved.empty() ? "" : ", ", name, number, *rn);
    } else if (rn == nullptr && has_number(r, number)) {
      renamed += fmt::format("{}{} = {}", renamed.empty() ? "" : ", ", name, number);
    }
  }
  if (!moved.empty()) {
    w.report("enum-value-number-changed", Level::kError, &r.at, &wr.at,
             fmt::format("{}: {} — the {} schema writes the number, and a {} reader reads it as "
                         "another value; keep every value's number (add new values with new "
                         "numbers, reserve deleted ones)",
                         w.where(), moved, w.writer_side(), w.reader_side()));
  }
  if (!renamed.empty()) {
    w.report("enum-value-renamed", Level::kError, &r.at, &wr.at,
             fmt::format("{}: {} has another name in the {} enum: binary data reads, but JSON "
                         "carries the name and a {} JSON reader rejects it; keep the old name "
                         "as an alias (option allow_alias = true)",
                         w.where(), renamed, w.reader_side(), w.reader_side()),
             "WIRE_JSON");
  }
}

}  // namespace tandem::compat::checks
