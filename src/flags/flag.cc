// Flag values, targeting and evaluation (tandem/flags.h): no database here.

#include <fmt/format.h>
#include <fmt/ranges.h>
// Inlined: the flags layer links nothing for its hash (an embedding project needs no libxxhash).
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "tandem/flags.h"

namespace tandem::flags {

namespace {

using json = nlohmann::json;

constexpr size_t kMaxValueBytes = 64 * 1024;
constexpr size_t kMaxKeyBytes = 128;
constexpr size_t kMaxTargets = 10000;

std::string canonical(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::strict);
}

bool contains(const std::vector<std::string>& list, std::string_view key) {
  return std::find(list.begin(), list.end(), key) != list.end();
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A targeting key list as given: each key non-empty, at most 256 bytes, no duplicates.
Status check_targets(const std::vector<std::string>& list, const char* what) {
  if (list.size() > kMaxTargets)
    return Status::InvalidInput(
        fmt::format("--{} names {} keys; at most {}", what, list.size(), kMaxTargets),
        "target a share with --percent instead of listing every key");
  std::vector<std::string> sorted = list;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (sorted[i].empty() || sorted[i].size() > 256)
      return Status::InvalidInput(
          fmt::format("--{} has an empty key or one longer than 256 bytes", what));
    if (i > 0 && sorted[i] == sorted[i - 1])
      return Status::InvalidInput(fmt::format("--{} names `{}` twice", what, sorted[i]));
  }
  return Status::Ok();
}

}  // namespace

const char* type_name(FlagType type) {
  switch (type) {
    case FlagType::kBool:
      return "bool";
    case FlagType::kString:
      return "string";
    case FlagType::kNumber:
      return "number";
    case FlagType::kJson:
      return "json";
  }
  return "bool";
}

std::optional<FlagType> parse_type(std::string_view text) {
  if (text == "bool" || text == "boolean") return FlagType::kBool;
  if (text == "string") return FlagType::kString;
  if (text == "number") return FlagType::kNumber;
  if (text == "json" || text == "object") return FlagType::kJson;
  return std::nullopt;
}

const char* reason_name(Reason reason) {
  switch (reason) {
    case Reason::kStatic:
      return "STATIC";
    case Reason::kTargetingMatch:
      return "TARGETING_MATCH";
    case Reason::kSplit:
      return "SPLIT";
    case Reason::kDefault:
      return "DEFAULT";
  }
  return "STATIC";
}

Status check_key(std::string_view key) {
  if (key.empty())
    return Status::InvalidInput("a flag key is empty", "name it, e.g. orders.read_new");
  if (key.size() > kMaxKeyBytes)
    return Status::InvalidInput(fmt::format("flag key `{}…` is longer than {} characters",
                                            key.substr(0, 32), kMaxKeyBytes));
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == ':';
  };
  bool first_ok = std::isalnum(static_cast<unsigned char>(key[0])) != 0;
  if (!first_ok || !std::all_of(key.begin(), key.end(), ok)) {
    std::string shown = json(std::string(key)).dump(-1, ' ', true, json::error_handler_t::replace);
    return Status::InvalidInput(
        fmt::format("flag key {} is not a valid key", shown),
        "use letters, digits, '.', '_', '-' and ':', starting with a letter or digit "
        "(e.g. orders.read_new): it is a URL path segment in OFREP");
  }
  return Status::Ok();
}

FlagType infer_type(std::string_view text) {
  std::string l = lower(text);
  if (l == "true" || l == "false" || l == "on" || l == "off") return FlagType::kBool;
  if (!text.empty() && (text.front() == '{' || text.front() == '[')) return FlagType::kJson;
  json j = json::parse(text, nullptr, false);
  if (!j.is_discarded() && j.is_number()) return FlagType::kNumber;
  return FlagType::kString;
}

Result<std::string> parse_value(FlagType type, std::string_view text) {
  if (text.size() > kMaxValueBytes)
    return Status::InvalidInput(
        fmt::format("the value is {} bytes; a flag value is at most {} bytes", text.size(),
                    kMaxValueBytes),
        "keep large configuration out of flags: a flag is read on every request");
  switch (type) {
    case FlagType::kBool: {
      std::string l = lower(text);
      if (l == "true" || l == "on") return std::string("true");
      if (l == "false" || l == "off") return std::string("false");
      return Status::InvalidInput(fmt::format("`{}` is not a bool", text),
                                  "give true or false (on/off are read as true/false)");
    }
    case FlagType::kNumber: {
      json j = json::parse(text, nullptr, false);
      if (j.is_discarded() || !j.is_number() ||
          (j.is_number_float() && !std::isfinite(j.get<double>())))
        return Status::InvalidInput(fmt::format("`{}` is not a number", text),
                                    "give a JSON number such as 42 or 0.25");
      return canonical(j);
    }
    case FlagType::kString: {
      json j = std::string(text);
      try {
        return canonical(j);
      } catch (const json::exception&) {
        return Status::InvalidInput("the value is not valid UTF-8");
      }
    }
    case FlagType::kJson: {
      json j = json::parse(text, nullptr, false);
      if (j.is_discarded())
        return Status::InvalidInput("the value is not one JSON document",
                                    "give JSON, e.g. '{\"limit\": 10}' (quoted for the shell)");
      try {
        return canonical(j);
      } catch (const json::exception&) {
        return Status::InvalidInput("the value is not valid UTF-8");
      }
    }
  }
  return Status::InvalidInput("unknown flag type");
}

bool Flag::targeted() const {
  if (fallback.empty() || fallback == value) return false;
  return !allow.empty() || !deny.empty() || (percent > 0 && percent < 100);
}

bool Flag::serves_everyone(std::string_view json_value) const {
  if (value == json_value && (fallback.empty() || fallback == value)) return true;
  if (value == json_value && deny.empty() && percent >= 100) return true;
  if (fallback == json_value && allow.empty() && percent <= 0) return true;
  return false;
}

std::string Flag::summary() const {
  if (!targeted()) {
    if (!fallback.empty() && percent <= 0 && allow.empty()) return fallback;
    return value;
  }
  std::vector<std::string> parts;
  if (percent > 0) parts.push_back(fmt::format("{:g}%", percent));
  if (!allow.empty()) parts.push_back(fmt::format("{} allowed", allow.size()));
  std::string out = fmt::format("{} for {}", value, fmt::join(parts, " + "));
  if (!deny.empty()) out += fmt::format(" ({} denied)", deny.size());
  return out + ", else " + fallback;
}

int bucket(std::string_view flag_key, std::string_view targeting_key) {
  std::string input;
  input.reserve(flag_key.size() + 1 + targeting_key.size());
  input.append(flag_key);
  input.push_back('\0');
  input.append(targeting_key);
  return static_cast<int>(XXH3_64bits(input.data(), input.size()) % 10000);
}

Evaluation evaluate(const Flag& flag, const std::optional<std::string>& targeting_key) {
  Evaluation on{flag.value, "on", Reason::kStatic};
  if (!flag.targeted()) {
    if (!flag.fallback.empty() && flag.percent <= 0 && flag.allow.empty())
      return {flag.fallback, "off", Reason::kStatic};
    return on;
  }
  Evaluation off{flag.fallback, "off", Reason::kDefault};
  if (!targeting_key) return off;
  if (contains(flag.deny, *targeting_key)) return {flag.fallback, "off", Reason::kTargetingMatch};
  if (contains(flag.allow, *targeting_key)) return {flag.value, "on", Reason::kTargetingMatch};
  if (flag.percent <= 0) return off;
  if (flag.percent >= 100) return {flag.value, "on", Reason::kTargetingMatch};
  bool in = bucket(flag.key, *targeting_key) < static_cast<int>(std::lround(flag.percent * 100));
  return in ? Evaluation{flag.value, "on", Reason::kSplit}
            : Evaluation{flag.fallback, "off", Reason::kSplit};
}

Result<Flag> apply_change(const std::optional<Flag>& current, const FlagChange& change) {
  TANDEM_RETURN_IF_ERROR(check_key(change.key));
  Flag f;
  f.key = change.key;
  if (change.type) {
    f.type = *change.type;
  } else if (current) {
    f.type = current->type;
  } else {
    f.type = infer_type(change.value);
  }
  auto value = parse_value(f.type, change.value);
  if (!value.ok())
    return value.status().with_context(fmt::format("flag {} ({}): ", f.key, type_name(f.type)));
  f.value = *value;
  TANDEM_RETURN_IF_ERROR(check_targets(change.allow, "allow"));
  TANDEM_RETURN_IF_ERROR(check_targets(change.deny, "deny"));
  for (const std::string& k : change.allow)
    if (contains(change.deny, k))
      return Status::InvalidInput(fmt::format("`{}` is both allowed and denied", k));
  f.allow = change.allow;
  f.deny = change.deny;
  std::sort(f.allow.begin(), f.allow.end());
  std::sort(f.deny.begin(), f.deny.end());
  if (change.percent) {
    if (!(*change.percent >= 0 && *change.percent <= 100))
      return Status::InvalidInput(
          fmt::format("--percent {} is not between 0 and 100", *change.percent));
    f.percent = *change.percent;
  } else {
    f.percent = f.allow.empty() ? 100 : 0;
  }
  bool needs_fallback = !f.deny.empty() || f.percent < 100;
  if (change.fallback) {
    auto fb = parse_value(f.type, *change.fallback);
    if (!fb.ok()) return fb.status().with_context("--default: ");
    f.fallback = *fb;
  } else if (f.type == FlagType::kBool) {
    f.fallback = f.value == "true" ? "false" : "true";
  } else if (needs_fallback && current && current->type == f.type && !current->fallback.empty()) {
    f.fallback = current->fallback;
  } else if (needs_fallback) {
    return Status::InvalidInput(
        fmt::format("flag {} targets some keys but says nothing about the others", f.key),
        "give --default VALUE: what the keys outside --allow/--percent (and those in --deny) "
        "are served");
  }
  if (change.description) {
    if (change.description->size() > 4096)
      return Status::InvalidInput("--description is longer than 4096 bytes");
    f.description = *change.description;
  } else if (current) {
    f.description = current->description;
  }
  f.version = current ? current->version + 1 : 1;
  return f;
}

std::string to_json(const Flag& f) {
  json j;
  j["key"] = f.key;
  j["type"] = type_name(f.type);
  j["value"] = json::parse(f.value, nullptr, false);
  j["default"] = f.fallback.empty() ? json(nullptr) : json::parse(f.fallback, nullptr, false);
  j["allow"] = f.allow;
  j["deny"] = f.deny;
  j["percent"] = f.percent;
  j["description"] = f.description;
  j["version"] = f.version;
  j["updated_at"] = f.updated_at;
  j["updated_by"] = f.updated_by;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Flag> from_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidInput("not a flag document");
  try {
    Flag f;
    f.key = j.at("key").get<std::string>();
    auto type = parse_type(j.at("type").get<std::string>());
    if (!type) return Status::InvalidInput("unknown flag type");
    f.type = *type;
    f.value = canonical(j.at("value"));
    if (j.contains("default") && !j["default"].is_null()) f.fallback = canonical(j["default"]);
    f.allow = j.value("allow", std::vector<std::string>{});
    f.deny = j.value("deny", std::vector<std::string>{});
    f.percent = j.value("percent", 100.0);
    f.description = j.value("description", std::string());
    f.version = j.value("version", 0LL);
    f.updated_at = j.value("updated_at", std::string());
    f.updated_by = j.value("updated_by", std::string());
    return f;
  } catch (const json::exception& e) {
    return Status::InvalidInput(fmt::format("not a flag document: {}", e.what()));
  }
}

}  // namespace tandem::flags
