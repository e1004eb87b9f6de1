// /config and /mode: the compatibility level and the READWRITE / READONLY / IMPORT mode,
// global and per subject (compat/registry/call.h).

#include <fmt/format.h>

#include <cctype>

#include "compat/registry/call.h"

namespace tandem::registry {

namespace {

using nlohmann::json;

// One setting ("compatibility" or "mode") under /config or /mode.
struct Setting {
  const char* kind;
  const char* get_key;  // the member GET answers with
  const char* put_key;  // the member PUT takes and answers with
  int invalid_code;     // 42203 / 42204
  int not_configured;   // 40408 / 40409
  const char* valid;    // the values, for the error message
  // The canonical value, or "" when `value` is not one.
  std::string (*canonical)(const std::string& value);
  std::string (*fallback)(Call& call);
};

std::string canonical_level(const std::string& value) {
  compat::Mode mode;
  return compat::parse_mode(value, mode) ? compat::mode_name(mode) : "";
}

std::string canonical_mode(const std::string& value) {
  std::string upper = value;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const char* m : {"READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"})
    if (upper == m) return m;
  return "";
}

std::string default_level(Call& call) { return call.settings.default_compatibility; }
std::string default_mode(Call&) { return "READWRITE"; }

const Setting kCompatibility = {"compatibility",
                                "compatibilityLevel",
                                "compatibility",
                                kInvalidCompatibilityLevel,
                                kSubjectLevelCompatibilityNotConfigured,
                                "BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, "
                                "FULL, FULL_TRANSITIVE or NONE",
                                canonical_level,
                                default_level};
const Setting kMode = {"mode",
                       "mode",
                       "mode",
                       kInvalidMode,
                       kSubjectLevelModeNotConfigured,
                       "READWRITE, READONLY, READONLY_OVERRIDE or IMPORT",
                       canonical_mode,
                       default_mode};

ApiResponse setting_route(Call& call, const Setting& s) {
  const auto& seg = call.segments;
  if (seg.size() > 2) return error(404, "HTTP 404 Not Found");
  bool global = seg.size() == 1;
  std::string subject = global ? "" : seg[1];
  auto global_value = [&]() -> Result<std::string> {
    TANDEM_ASSIGN_OR_RETURN(auto v, call.store.setting(s.kind, ""));
    return v ? *v : s.fallback(call);
  };
  if (call.method == "GET") {
    if (!global) {
      auto own = call.store.setting(s.kind, subject);
      if (!own.ok()) return store_error(own.status());
      if (*own) return json_response({{s.get_key, **own}});
      if (!call.flag("defaultToGlobal")) {
        return error(
            s.not_configured,
            fmt::format("Subject '{}' does not have subject-level {} configured", subject, s.kind));
      }
    }
    auto v = global_value();
    if (!v.ok()) return store_error(v.status());
    return json_response({{s.get_key, *v}});
  }
  if (call.method == "PUT") {
    json body = json::parse(call.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object())
      return error(kBadRequest, "The body is not a JSON object");
    if (!global) {
      if (auto refused = refuse_invalid_subject(subject)) return *refused;
    }
    auto it = body.find(s.put_key);
    // The answer to GET names it compatibilityLevel: a body copied from it is read too.
    if (it == body.end()) it = body.find(s.get_key);
    std::string value =
        it != body.end() && it->is_string() ? s.canonical(it->get<std::string>()) : "";
    if (value.empty()) {
      return error(
          s.invalid_code,
          fmt::format("Invalid {} (send {{\"{}\": one of {}}}): {}", s.kind, s.put_key, s.valid,
                      it == body.end()  ? std::string("missing")
                      : it->is_string() ? "\"" + it->get<std::string>().substr(0, 40) + "\""
                                        : std::string("not a string")));
    }
    if (std::string_view(s.kind) == "mode" && value == "IMPORT" && !call.flag("force")) {
      // An import gives ids and versions: only into an empty registry (or subject), unless
      // the operator says so.
      auto subjects = call.store.subjects(/*include_deleted=*/true, "");
      if (!subjects.ok()) return store_error(subjects.status());
      bool occupied = false;
      for (const std::string& name : *subjects) occupied = occupied || global || name == subject;
      if (occupied) {
        return error(kOperationNotPermitted,
                     "Cannot import since found existing subjects: set ?force=true to import "
                     "into them anyway");
      }
    }
    Status st = call.store.set_setting(s.kind, subject, value);
    if (!st.ok()) return store_error(st);
    return json_response({{s.put_key, value}});
  }
  if (call.method == "DELETE") {
    auto removed = call.store.delete_setting(s.kind, subject);
    if (!removed.ok()) return store_error(removed.status());
    if (!*removed) {
      if (!global) {
        return error(
            s.not_configured,
            fmt::format("Subject '{}' does not have subject-level {} configured", subject, s.kind));
      }
      return json_response({{s.get_key, s.fallback(call)}});
    }
    return json_response({{s.get_key, **removed}});
  }
  return error(405, "HTTP 405 Method Not Allowed");
}

}  // namespace

ApiResponse config_route(Call& call) {
  ApiResponse r = setting_route(call, kCompatibility);
  r.route = call.segments.size() == 1 ? "/config" : "/config/{subject}";
  return r;
}

ApiResponse mode_route(Call& call) {
  ApiResponse r = setting_route(call, kMode);
  r.route = call.segments.size() == 1 ? "/mode" : "/mode/{subject}";
  return r;
}

}  // namespace tandem::registry
