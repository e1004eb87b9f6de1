// Flag values, targeting and evaluation (tandem/flags.h): no database here.

#include <fmt/format.h>
#include <fmt/ranges.h>
// Inlined: the flags layer links nothing for its hash (an embedding project needs no libxxhash).
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "db/json_depth.h"
#include "db/utf8.h"
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
    // A key that is not UTF-8 could never match: JSON (and so every SDK's context) carries
    // only UTF-8, and storing it would replace its bad bytes.
    if (!utf8::valid(sorted[i]))
      return Status::InvalidInput(fmt::format("--{} has a key that is not valid UTF-8", what));
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
  // JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? — one out of range
  // (1e400) is still a number, and then refused as one rather than stored as text.
  size_t i = 0, n = text.size();
  auto digits = [&] {
    size_t from = i;
    while (i < n && text[i] >= '0' && text[i] <= '9') ++i;
    return i > from;
  };
  if (i < n && text[i] == '-') ++i;
  if (i < n && text[i] == '0') {
    ++i;
  } else if (!digits()) {
    return FlagType::kString;
  }
  if (i < n && text[i] == '.' && (++i, !digits())) return FlagType::kString;
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    if (!digits()) return FlagType::kString;
  }
  return i == n ? FlagType::kNumber : FlagType::kString;
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
      // An integer beyond 64 bits would come back as an approximation (1.2345678901234568e+29):
      // refused rather than silently changed.
      if (j.is_number_float() && text.find_first_of(".eE") == std::string_view::npos)
        return Status::InvalidInput(
            fmt::format("`{}` does not fit in a 64-bit integer", text),
            "store it as text (--type string), or as a float written with a decimal point");
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
      if (!json_depth::within_limit(text))
        return Status::InvalidInput(
            fmt::format("the value nests deeper than {} levels", json_depth::kLimit),
            "flatten it: a flag is read by every application on every evaluation");
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
  // A targeted flag serves callers without a targeting key its fallback: it serves everyone
  // one value only when every key is served the fallback too.
  if (targeted()) return fallback == json_value && allow.empty() && percent <= 0;
  return evaluate(*this, std::nullopt).value == json_value;
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
  Evaluation on{flag.value, "value", Reason::kStatic};
  if (!flag.targeted()) {
    if (!flag.fallback.empty() && flag.percent <= 0 && flag.allow.empty())
      return {flag.fallback, "default", Reason::kStatic};
    return on;
  }
  Evaluation off{flag.fallback, "default", Reason::kDefault};
  if (!targeting_key) return off;
  if (contains(flag.deny, *targeting_key))
    return {flag.fallback, "default", Reason::kTargetingMatch};
  if (contains(flag.allow, *targeting_key)) return {flag.value, "value", Reason::kTargetingMatch};
  if (flag.percent <= 0) return off;
  if (flag.percent >= 100) return {flag.value, "value", Reason::kSplit};
  bool in = bucket(flag.key, *targeting_key) < static_cast<int>(std::lround(flag.percent * 100));
  return in ? Evaluation{flag.value, "value", Reason::kSplit}
            : Evaluation{flag.fallback, "default", Reason::kSplit};
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
    // Keys fall in 10,000 buckets: a share is kept in hundredths of a percent, which is all the
    // buckets can tell apart (and what every database stores exactly).
    f.percent = std::round(*change.percent * 100) / 100;
    if (f.percent == 0 && *change.percent > 0)
      return Status::InvalidInput(
          fmt::format("--percent {} is below the smallest share, 0.01", *change.percent),
          "targeting keys fall in 10,000 buckets: give 0.01 or more, or --allow the keys");
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
  if (!utf8::valid(change.reason) || change.reason.size() > 4096)
    return Status::InvalidInput("--reason is not valid UTF-8 or longer than 4096 bytes");
  if (change.description) {
    if (change.description->size() > 4096 || !utf8::valid(*change.description))
      return Status::InvalidInput("--description is not valid UTF-8 or longer than 4096 bytes");
    f.description = *change.description;
  } else if (current) {
    f.description = current->description;
  }
  f.version = current ? current->version + 1 : 1;
  return f;
}

Status check_stored(const Flag& f) {
  auto bad = [&](const std::string& what) {
    return Status::Database(fmt::format("flag {} in the database is not valid: {}", f.key, what),
                            {},
                            "it was edited by hand or by a newer tandem: `tandem flag set` it "
                            "again (or `tandem flag delete` it)");
  };
  if (!check_key(f.key).ok()) return bad("its key");
  auto fits = [&](const std::string& text) {
    // Nested past any flag `flag set` accepts: refused before it is parsed (a deep one
    // would overflow the stack of whatever copies or prints it).
    if (!json_depth::within_limit(text)) return false;
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) return false;
    switch (f.type) {
      case FlagType::kBool:
        return j.is_boolean();
      case FlagType::kNumber:
        return j.is_number();
      case FlagType::kString:
        return j.is_string();
      case FlagType::kJson:
        return true;
    }
    return false;
  };
  if (!fits(f.value)) return bad(fmt::format("its value is not a {}", type_name(f.type)));
  if (!f.fallback.empty() && !fits(f.fallback))
    return bad(fmt::format("its default is not a {}", type_name(f.type)));
  if (!(f.percent >= 0 && f.percent <= 100)) return bad("its percent is not 0 to 100");
  if (f.version < 1) return bad("its version is not positive");
  for (const auto* list : {&f.allow, &f.deny})
    for (const std::string& k : *list)
      if (k.empty() || !utf8::valid(k)) return bad("a targeting key is empty or not UTF-8");
  return Status::Ok();
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
