// Exceptions from the config file (tandem/compat.h load_exceptions):
//   compat:
//     exceptions:
//       - rule: field-removed-without-default
//         file: schemas/order.avsc        # optional: findings in this file only
//         pointer: /fields/3              # optional: at or under this place
//         reason: consumers moved to OrderV2 (JIRA-123)
//         expires: 2027-03-31
// Every exception needs a reason and an expiry date: an exception that never expires is a
// rule switched off by accident.

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>

#include "compat/document.h"
#include "tandem/compat.h"

namespace tandem::compat {
namespace {

bool valid_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
    if (s[i] < '0' || s[i] > '9') return false;
  int month = std::stoi(s.substr(5, 2));
  int day = std::stoi(s.substr(8, 2));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

}  // namespace

Result<std::vector<Exception>> load_exceptions(const std::string& path, bool missing_ok) {
  std::vector<Exception> out;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (missing_ok) return out;
    return Status::InvalidInput(fmt::format("cannot read {}", path), "check the --config path");
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return input_error(path, e.mark.line + 1, "not valid YAML: " + e.msg,
                       "fix the YAML at that line (quote values that hold `: `)");
  }
  if (!root.IsMap() || !root["compat"]) return out;
  YAML::Node compat = root["compat"];
  if (!compat.IsMap()) return input_error(path, compat.Mark().line + 1, "`compat` is a map");
  YAML::Node list = compat["exceptions"];
  if (!list) return out;
  if (!list.IsSequence())
    return input_error(path, list.Mark().line + 1, "`compat.exceptions` is a list");
  std::vector<std::string> known;
  for (const RuleInfo& r : rules()) known.push_back(r.id);
  for (const YAML::Node& item : list) {
    int line = item.Mark().line + 1;
    if (!item.IsMap())
      return input_error(path, line, "an exception is a map with rule, reason, expires");
    Exception e;
    e.line = line;
    for (const auto& kv : item) {
      std::string key = kv.first.Scalar();
      if (!kv.second.IsScalar())
        return input_error(path, kv.first.Mark().line + 1, fmt::format("`{}` is a string", key));
      std::string value = kv.second.Scalar();
      if (key == "rule") {
        e.rule = value;
      } else if (key == "file") {
        e.file = value;
      } else if (key == "pointer" || key == "path") {
        e.pointer = value;
      } else if (key == "reason") {
        e.reason = value;
      } else if (key == "expires") {
        e.expires = value;
      } else {
        return input_error(path, kv.first.Mark().line + 1,
                           fmt::format("unknown key `{}` in an exception", key),
                           "an exception has rule, file, pointer, reason and expires");
      }
    }
    if (e.rule.empty()) return input_error(path, line, "the exception names no `rule`");
    if (std::find(known.begin(), known.end(), e.rule) == known.end())
      return input_error(path, line, fmt::format("`{}` is not a compat rule", e.rule),
                         "`tandem compat --rules` lists them");
    if (e.reason.empty())
      return input_error(path, line, fmt::format("the exception for {} gives no `reason`", e.rule),
                         "say why the break is acceptable (who agreed, which ticket)");
    if (!valid_date(e.expires))
      return input_error(path, line,
                         fmt::format("the exception for {} needs `expires: YYYY-MM-DD`", e.rule),
                         "an exception lasts until a date; renew it deliberately");
    // A JSON Pointer (Avro, JSON Schema), or a Protobuf path: Order.total_amount.
    if (!e.pointer.empty() && e.pointer[0] != '/' &&
        e.pointer.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789_.") != std::string::npos)
      return input_error(path, line,
                         "`pointer` is a JSON Pointer starting with / or a Protobuf path "
                         "(Message.field)");
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace tandem::compat
