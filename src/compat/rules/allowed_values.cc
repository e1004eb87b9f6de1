// JSON Schema `enum` / `const` on the reader: every value the writer may write must be one of
// the reader's. enum-value-removed / enum-value-added (shared with Avro and Protobuf enums) when
// both list values; values-restricted when only the reader does.

#include <fmt/format.h>

#include <algorithm>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kAllowedValues = {
    {"values-restricted", Level::kError,
     "the reader now accepts only listed values (enum/const) where the writer wrote any value"},
};

void allowed_values(Walker& w, const Node& r, const Node& wr) {
  if (!r.allowed || wr.kind == Kind::kNothing) return;
  if (!wr.allowed) {
    w.report("values-restricted", Level::kError, &r.at, &wr.at,
             fmt::format("{}: the {} schema accepts only {} listed value{} (enum/const), the {} "
                         "one any {}: a {} reader rejects every other value; list the values in "
                         "both schemas, or drop the restriction",
                         w.where(), w.reader_side(), r.allowed->size(),
                         r.allowed->size() == 1 ? "" : "s", w.writer_side(),
                         describe(w.writer(), wr), w.reader_side()));
    return;
  }
  std::vector<std::string> unknown;
  for (const std::string& v : *wr.allowed)
    if (std::find(r.allowed->begin(), r.allowed->end(), v) == r.allowed->end())
      unknown.push_back(v);
  if (unknown.empty()) return;
  std::string list;
  for (size_t i = 0; i < unknown.size() && i < 10; ++i) list += (i ? ", " : "") + unknown[i];
  if (unknown.size() > 10) list += fmt::format(" and {} more", unknown.size() - 10);
  w.report(w.pick("enum-value-removed", "enum-value-added"), Level::kError, &r.at, &wr.at,
           fmt::format("{}: the {} schema may write {}, which the {} schema does not accept: a "
                       "{} reader rejects such data; {}",
                       w.where(), w.writer_side(), list, w.reader_side(), w.reader_side(),
                       w.reader_is_new() ? "keep accepting the old values"
                                         : "add the values to every old reader first"));
}

}  // namespace tandem::compat::checks
