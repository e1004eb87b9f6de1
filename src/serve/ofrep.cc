// OFREP evaluation (serve/ofrep.h), after the protocol's OpenAPI document
// (open-feature/protocol, service/openapi.yaml): success {key, value, reason, variant,
// metadata}; failures {key, errorCode, errorDetails} with 400 (PARSE_ERROR, INVALID_CONTEXT)
// or 404 (FLAG_NOT_FOUND); the bulk answer {flags: [...]} with an ETag.

#include "serve/ofrep.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "http/problem.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace tandem::serve {

namespace {

using json = nlohmann::json;

struct Context {
  std::optional<std::string> targeting_key;
  std::string error_code;  // "" when the request was read
  std::string error_details;
};

// The evaluation context of a request body: {"context": {"targetingKey": "…", …}}. Only the
// targeting key matters to tandem's flags; the other attributes are accepted and ignored.
Context read_context(std::string_view body) {
  Context c;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return c;  // no body: {}
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    c.error_code = "PARSE_ERROR";
    c.error_details = "the request body is not JSON";
    return c;
  }
  if (!j.is_object()) {
    c.error_code = "INVALID_CONTEXT";
    c.error_details = "the request body is not a JSON object {\"context\": {...}}";
    return c;
  }
  auto it = j.find("context");
  if (it == j.end() || it->is_null()) return c;
  if (!it->is_object()) {
    c.error_code = "INVALID_CONTEXT";
    c.error_details = "`context` is not an object";
    return c;
  }
  auto key = it->find("targetingKey");
  if (key == it->end() || key->is_null()) return c;
  if (!key->is_string()) {
    c.error_code = "INVALID_CONTEXT";
    c.error_details = "`context.targetingKey` is not a string";
    return c;
  }
  c.targeting_key = key->get<std::string>();
  return c;
}

// "%2E" → "."; an invalid escape leaves the text as it is (check_key then refuses it).
std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// One flag's evaluation as OFREP's evaluationSuccess members (without braces). Values are
// canonical JSON already (flags::parse_value): embedded as they are.
std::string success_members(const flags::Flag& flag, const flags::Evaluation& e) {
  return fmt::format(
      "\"key\":{},\"value\":{},\"reason\":\"{}\",\"variant\":\"{}\",\"metadata\":{{\"type\":\"{}"
      "\",\"version\":{}}}",
      http::json_string(flag.key), e.value, flags::reason_name(e.reason), e.variant,
      flags::type_name(flag.type), flag.version);
}

std::string failure(std::string_view key, std::string_view code, std::string_view details) {
  return fmt::format("{{\"key\":{},\"errorCode\":\"{}\",\"errorDetails\":{}}}",
                     http::json_string(key), code, http::json_string(details));
}

}  // namespace

namespace {
std::vector<const flags::Flag*> by_key(const std::unordered_map<std::string, flags::Flag>& all) {
  std::vector<const flags::Flag*> out;
  out.reserve(all.size());
  for (const auto& [key, flag] : all) out.push_back(&flag);
  std::sort(out.begin(), out.end(),
            [](const flags::Flag* x, const flags::Flag* y) { return x->key < y->key; });
  return out;
}
}  // namespace

void FlagSnapshot::index() { ordered = by_key(flags); }

OfrepAnswer evaluate_one(const FlagSnapshot& snapshot, std::string_view raw_key,
                         std::string_view body) {
  OfrepAnswer a;
  std::string key = percent_decode(raw_key);
  Context c = read_context(body);
  if (!c.error_code.empty()) {
    a.status = 400;
    a.outcome = c.error_code;
    a.body = failure(key, c.error_code, c.error_details);
    return a;
  }
  auto it = snapshot.flags.find(key);
  if (it == snapshot.flags.end()) {
    a.status = 404;
    a.outcome = "FLAG_NOT_FOUND";
    a.body = failure(
        key, "FLAG_NOT_FOUND",
        flags::check_key(key).ok()
            ? fmt::format("there is no flag {}: `tandem flag set {} VALUE` creates it", key, key)
            : std::string("not a flag key: letters, digits, '.', '_', '-', ':'"));
    return a;
  }
  flags::Evaluation e = flags::evaluate(it->second, c.targeting_key);
  a.flag = it->second.key;
  a.outcome = flags::reason_name(e.reason);
  a.body = "{" + success_members(it->second, e) + "}";
  return a;
}

OfrepAnswer evaluate_all(const FlagSnapshot& snapshot, std::string_view body,
                         std::string_view if_none_match) {
  OfrepAnswer a;
  Context c = read_context(body);
  if (!c.error_code.empty()) {
    a.status = 400;
    a.outcome = c.error_code;
    a.body = fmt::format("{{\"errorCode\":\"{}\",\"errorDetails\":{}}}", c.error_code,
                         http::json_string(c.error_details));
    return a;
  }
  std::vector<const flags::Flag*> sorted;
  if (snapshot.ordered.size() != snapshot.flags.size()) sorted = by_key(snapshot.flags);
  const std::vector<const flags::Flag*>& ordered =
      snapshot.ordered.size() == snapshot.flags.size() ? snapshot.ordered : sorted;
  std::string out;
  out.reserve(64 + ordered.size() * 128);
  out += "{\"flags\":[";
  for (size_t i = 0; i < ordered.size(); ++i) {
    if (i) out += ',';
    out += '{';
    out += success_members(*ordered[i], flags::evaluate(*ordered[i], c.targeting_key));
    out += '}';
  }
  out += "]}";
  // The ETag is the answer's own hash: it changes exactly when this context's answer does —
  // a flag's value, reason, variant or version (any change of a flag counts, even one that
  // serves this key the same value), a flag added or deleted — and never otherwise.
  a.etag = fmt::format("\"{:016x}\"", XXH3_64bits(out.data(), out.size()));
  a.outcome = "BULK";
  // If-None-Match: a list of tags or "*" (RFC 9110 13.1.2); weak tags compare equal here.
  std::string_view inm = if_none_match;
  bool match = false;
  while (!inm.empty() && !match) {
    size_t comma = inm.find(',');
    std::string_view tag = inm.substr(0, comma);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    match = tag == "*" || tag == a.etag;
    if (comma == std::string_view::npos) break;
    inm.remove_prefix(comma + 1);
  }
  if (match) {
    a.status = 304;
    return a;
  }
  a.body = std::move(out);
  return a;
}

}  // namespace tandem::serve
