// enum-value-removed / enum-value-added for Avro (and Protobuf) enums: a symbol the writer may
// write that the reader does not know. An Avro reader with an enum `default` reads it as that
// default (a warning: the value is lost, the read succeeds).

#include <fmt/format.h>

#include <algorithm>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kEnumSymbols = {
    {"enum-value-removed", Level::kError,
     "a value the old schema allows is gone from the new one: old data holding it cannot be read"},
    {"enum-value-added", Level::kError,
     "the new schema allows a value the old one does not: old readers cannot read new data "
     "holding it (a warning when they have a default to fall back on)"},
};

namespace {

// Protobuf writes an enum's number, not its name: a number the reader's enum does not declare
// is kept as an unrecognized value (proto3's open enums) or moved to the unknown fields (proto2's
// closed enums). The read succeeds and the value is lost to code that switches on the enum: a
// warning. (A name whose number moved is enum-value-number-changed, enum_value_numbers.cc.)
void protobuf_numbers(Walker& w, const Node& r, const Node& wr) {
  std::string list;
  size_t n = 0;
  for (size_t i = 0; i < wr.symbol_numbers.size() && i < wr.symbols.size(); ++i) {
    int number = wr.symbol_numbers[i];
    if (std::find(r.symbol_numbers.begin(), r.symbol_numbers.end(), number) !=
        r.symbol_numbers.end())
      continue;
    list += fmt::format("{}{} = {}", list.empty() ? "" : ", ", wr.symbols[i], number);
    ++n;
  }
  if (n == 0) return;
  w.report(w.pick("enum-value-removed", "enum-value-added"), Level::kWarning, &r.at, &wr.at,
           fmt::format("{}: the {} schema may write {} {}, which the {} enum does not declare: a "
                       "{} reader keeps it as an unrecognized number (proto3) or an unknown field "
                       "(proto2) — the read succeeds, code that switches on the enum misses it; {}",
                       w.where(), w.writer_side(), n == 1 ? "the value" : "the values", list,
                       w.reader_side(), w.reader_side(),
                       w.reader_is_new() ? "keep the value (it may be deprecated), or `reserved` "
                                           "its number and name"
                                         : "deploy readers that know the new value first"));
}

}  // namespace

void enum_symbols(Walker& w, const Node& r, const Node& wr) {
  if (w.format() == Format::kProtobuf) {
    protobuf_numbers(w, r, wr);
    return;
  }
  std::vector<std::string> unknown;
  for (const std::string& s : wr.symbols)
    if (std::find(r.symbols.begin(), r.symbols.end(), s) == r.symbols.end()) unknown.push_back(s);
  if (unknown.empty()) return;
  std::string list;
  for (const std::string& s : unknown) list += (list.empty() ? "" : ", ") + s;
  const char* id = w.pick("enum-value-removed", "enum-value-added");
  if (r.enum_default) {
    w.report(
        id, Level::kWarning, &r.at, &wr.at,
        fmt::format("{}: the {} enum has no {} {}; {} readers read {} as the default `{}` "
                    "(the value is lost, the read succeeds)",
                    w.where(), w.reader_side(), unknown.size() == 1 ? "symbol" : "symbols", list,
                    w.reader_side(), unknown.size() == 1 ? "it" : "them", *r.enum_default));
    return;
  }
  std::string fix = w.reader_is_new()
                        ? "keep the symbols, or give the new enum a \"default\" symbol"
                        : "give the old enum a \"default\" symbol and deploy it to every reader "
                          "before writing the new symbols";
  w.report(id, Level::kError, &r.at, &wr.at,
           fmt::format("{}: the {} schema may write {} {}, which the {} enum does not have and "
                       "has no default for: a {} reader fails on such a value; {}",
                       w.where(), w.writer_side(), unknown.size() == 1 ? "the symbol" : "symbols",
                       list, w.reader_side(), w.reader_side(), fix));
}

}  // namespace tandem::compat::checks
