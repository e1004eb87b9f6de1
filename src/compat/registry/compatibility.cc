// /compatibility/subjects/{subject}/versions[/{version}]: would this schema be accepted?
// The verdict is tandem compat's, the messages its findings (compat/registry/call.h).

#include <fmt/format.h>

#include "compat/registry/call.h"

namespace tandem::registry {

namespace {

using nlohmann::json;

ApiResponse test_compatibility(Call& call, const std::string& subject,
                               const std::optional<std::string>& version_text) {
  json body = json::parse(call.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return error(kBadRequest, "The body is not JSON");
  std::optional<int> wanted;
  if (version_text && !parse_version(*version_text, wanted)) {
    return error(
        kInvalidVersion,
        fmt::format("The specified version '{}' is not a valid version id. Allowed "
                    "values are between [1, 2^31-1], the string \"latest\" and -1 (the latest)",
                    *version_text));
  }
  auto versions = call.store.versions(subject, /*include_deleted=*/false);
  if (!versions.ok()) return store_error(versions.status());
  if (versions->empty() && version_text)
    return error(kSubjectNotFound, fmt::format("Subject '{}' not found.", subject));
  LiveVersions against;
  for (const VersionRecord& v : *versions) {
    if (version_text && wanted && v.version != *wanted) continue;
    if (version_text && !wanted && v.version != versions->back().version) continue;
    auto schema = call.store.schema(v.id);
    if (!schema.ok()) return store_error(schema.status());
    if (*schema) against.emplace_back(v, **schema);
  }
  if (version_text && against.empty())
    return error(kVersionNotFound, fmt::format("Version {} not found.", *version_text));
  ApiResponse refused;
  auto candidate = read_candidate(call, body, refused);
  if (!candidate) return refused;
  auto level = compatibility_for(call, subject);
  if (!level.ok()) return store_error(level.status());
  auto messages = incompatibilities(call.store, *candidate, against, *level);
  if (!messages.ok()) {
    if (messages.status().code() == Code::kInvalidInput)
      return error(kInvalidSchema, "Cannot check compatibility: " + messages.status().message());
    return store_error(messages.status());
  }
  json out = {{"is_compatible", messages->empty()}};
  if (call.flag("verbose")) out["messages"] = *messages;
  return json_response(out);
}

}  // namespace

ApiResponse compatibility_route(Call& call) {
  const auto& seg = call.segments;
  ApiResponse r;
  if (seg.size() < 4 || seg.size() > 5 || seg[1] != "subjects" || seg[3] != "versions") {
    r = error(404, "HTTP 404 Not Found");
    r.route = "/compatibility/…";
    return r;
  }
  if (call.method != "POST") {
    r = error(405, "HTTP 405 Method Not Allowed");
  } else {
    r = test_compatibility(call, seg[2],
                           seg.size() == 5 ? std::optional<std::string>(seg[4]) : std::nullopt);
  }
  r.route = seg.size() == 5 ? "/compatibility/subjects/{subject}/versions/{version}"
                            : "/compatibility/subjects/{subject}/versions";
  return r;
}

}  // namespace tandem::registry
