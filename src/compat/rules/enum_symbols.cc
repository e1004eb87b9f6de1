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

void enum_symbols(Walker& w, const Node& r, const Node& wr) {
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
