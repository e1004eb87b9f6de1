// /subjects…: list, register, look up, fetch and delete subject versions
// (compat/registry/call.h).

#include <fmt/format.h>

#include "compat/registry/call.h"

namespace tandem::registry {

namespace {

using nlohmann::json;

json version_document(const VersionRecord& v, const SchemaRecord& s) {
  json out = {{"subject", v.subject}, {"version", v.version}, {"id", v.id}, {"schema", s.text}};
  if (s.type != "AVRO") out["schemaType"] = s.type;
  if (!s.references.empty()) out["references"] = json::parse(references_json(s.references));
  return out;
}

// The subject's version `text` names ("latest": the newest; soft-deleted ones only with
// ?deleted=true), or the error response.
std::optional<VersionRecord> find_version(Call& call, const std::string& subject,
                                          const std::string& text, bool include_deleted,
                                          ApiResponse& refused) {
  std::optional<int> wanted;
  if (!parse_version(text, wanted)) {
    refused = error(
        kInvalidVersion,
        fmt::format("The specified version '{}' is not a valid version id. Allowed "
                    "values are between [1, 2^31-1], the string \"latest\" and -1 (the latest)",
                    text));
    return std::nullopt;
  }
  auto all = call.store.versions(subject, /*include_deleted=*/true);
  if (!all.ok()) {
    refused = store_error(all.status());
    return std::nullopt;
  }
  bool any_live = false;
  for (const VersionRecord& v : *all) any_live = any_live || !v.deleted;
  if (all->empty() || (!any_live && !include_deleted)) {
    refused = error(kSubjectNotFound, fmt::format("Subject '{}' not found.", subject));
    return std::nullopt;
  }
  const VersionRecord* found = nullptr;
  for (const VersionRecord& v : *all) {
    if (v.deleted && !include_deleted) continue;
    if (!wanted || v.version == *wanted) found = &v;
  }
  if (found == nullptr) {
    refused = error(kVersionNotFound, fmt::format("Version {} not found.", text));
    return std::nullopt;
  }
  return *found;
}

ApiResponse list_subjects(Call& call) {
  auto subjects = call.store.subjects(call.flag("deleted"), call.query["subjectPrefix"]);
  if (!subjects.ok()) return store_error(subjects.status());
  return json_response(*subjects);
}

ApiResponse list_versions(Call& call, const std::string& subject) {
  auto versions = call.store.versions(subject, call.flag("deleted"));
  if (!versions.ok()) return store_error(versions.status());
  if (versions->empty())
    return error(kSubjectNotFound, fmt::format("Subject '{}' not found.", subject));
  json out = json::array();
  for (const VersionRecord& v : *versions) out.push_back(v.version);
  return json_response(out);
}

ApiResponse register_version(Call& call, const std::string& subject) {
  json body = json::parse(call.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return error(kBadRequest, "The body is not JSON");
  if (auto refused = refuse_invalid_subject(subject)) return *refused;
  if (auto refused = refuse_if_read_only(call, subject)) return *refused;
  auto mode = mode_for(call, subject);
  if (!mode.ok()) return store_error(mode.status());
  std::optional<long long> import_id;
  std::optional<int> import_version;
  if (body.is_object()) {
    auto id = body.find("id");
    auto version = body.find("version");
    bool given =
        (id != body.end() && !id->is_null()) || (version != body.end() && !version->is_null());
    if (given && *mode != "IMPORT") {
      return error(kOperationNotPermitted,
                   "An id or version can be given only in IMPORT mode (PUT /mode/{subject} "
                   "{\"mode\": \"IMPORT\"})");
    }
    if (id != body.end() && !id->is_null()) {
      if (!id->is_number_integer() || id->get<long long>() < 1)
        return error(kInvalidSchema, "Invalid schema: id is a whole number, 1 or more");
      import_id = id->get<long long>();
    }
    if (version != body.end() && !version->is_null()) {
      if (!version->is_number_integer() || version->get<long long>() < 1 ||
          version->get<long long>() > 2147483647LL)
        return error(kInvalidVersion, "The version is a whole number from 1 to 2^31-1");
      import_version = static_cast<int>(version->get<long long>());
    }
  }
  ApiResponse refused;
  auto candidate = read_candidate(call, body, refused);
  if (!candidate) return refused;
  auto level = compatibility_for(call, subject);
  if (!level.ok()) return store_error(level.status());
  std::vector<std::string> messages;
  Status check_failed;
  bool check = *mode != "IMPORT";  // an import copies a history as it was
  auto registered = call.store.register_schema(
      subject, candidate->record, candidate->fingerprint,
      [&](const LiveVersions& live) -> Status {
        if (!check) return Status::Ok();
        auto found = incompatibilities(call.store, *candidate, live, *level);
        if (!found.ok()) {
          check_failed = found.status();
          return check_failed;
        }
        messages = std::move(*found);
        if (!messages.empty()) return Status::Problem("incompatible");
        return Status::Ok();
      },
      import_id, import_version);
  if (!registered.ok()) {
    if (!messages.empty()) {
      json details = messages;
      return error(kIncompatible,
                   fmt::format("Schema being registered is incompatible with an earlier schema "
                               "for subject \"{}\" ({}), details: {}",
                               subject, *level,
                               details.dump(-1, ' ', false, json::error_handler_t::replace)));
    }
    // A stored version that cannot be read back (its reference gone): the check cannot
    // decide, so the registration is refused, saying why.
    if (!check_failed.ok() && check_failed.code() == Code::kInvalidInput)
      return error(kInvalidSchema, "Cannot check compatibility: " + check_failed.message());
    if (registered.status().code() == Code::kInvalidInput)
      return error(kOperationNotPermitted, registered.status().message());
    return store_error(registered.status());
  }
  return json_response({{"id", registered->id}});
}

ApiResponse lookup(Call& call, const std::string& subject) {
  json body = json::parse(call.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return error(kBadRequest, "The body is not JSON");
  auto versions = call.store.versions(subject, call.flag("deleted"));
  if (!versions.ok()) return store_error(versions.status());
  if (versions->empty())
    return error(kSubjectNotFound, fmt::format("Subject '{}' not found.", subject));
  ApiResponse refused;
  auto candidate = read_candidate(call, body, refused);
  if (!candidate) return refused;
  auto found = call.store.find(subject, candidate->fingerprint, call.flag("deleted"));
  if (!found.ok()) return store_error(found.status());
  if (!*found) return error(kSchemaNotFound, "Schema not found");
  auto schema = call.store.schema((*found)->id);
  if (!schema.ok()) return store_error(schema.status());
  if (!*schema) return error(kSchemaNotFound, "Schema not found");
  return json_response(version_document(**found, **schema));
}

ApiResponse get_version(Call& call, const std::string& subject, const std::string& version,
                        bool raw) {
  ApiResponse refused;
  auto v = find_version(call, subject, version, call.flag("deleted"), refused);
  if (!v) return refused;
  auto schema = call.store.schema(v->id);
  if (!schema.ok()) return store_error(schema.status());
  if (!*schema) return error(kVersionNotFound, fmt::format("Version {} not found.", version));
  if (raw) {
    ApiResponse r;
    r.body = (*schema)->text;
    return r;
  }
  return json_response(version_document(*v, **schema));
}

ApiResponse referenced_by(Call& call, const std::string& subject, const std::string& version) {
  ApiResponse refused;
  auto v = find_version(call, subject, version, /*include_deleted=*/true, refused);
  if (!v) return refused;
  auto ids = call.store.referenced_by(subject, v->version);
  if (!ids.ok()) return store_error(ids.status());
  return json_response(*ids);
}

// 42206 when a live schema refers to one of `versions` — for a hard delete (`hard`), any
// schema still stored, so that no reference is left dangling or re-pointed at a schema
// registered later under the same version number.
std::optional<ApiResponse> still_referenced(Call& call, const std::string& subject,
                                            const std::vector<VersionRecord>& versions, bool hard) {
  for (const VersionRecord& v : versions) {
    if (v.deleted && !hard) continue;
    auto ids = call.store.referenced_by(subject, v.version, hard);
    if (!ids.ok()) return store_error(ids.status());
    if (!ids->empty()) {
      return error(kReferenceExists,
                   fmt::format("One or more references exist to the schema {{subject={}, "
                               "version={}}}: schema id {} refers to it",
                               subject, v.version, ids->front()));
    }
  }
  return std::nullopt;
}

ApiResponse delete_subject(Call& call, const std::string& subject) {
  if (auto refused = refuse_if_read_only(call, subject)) return *refused;
  bool permanent = call.flag("permanent");
  auto all = call.store.versions(subject, /*include_deleted=*/true);
  if (!all.ok()) return store_error(all.status());
  if (all->empty()) return error(kSubjectNotFound, fmt::format("Subject '{}' not found.", subject));
  bool any_live = false;
  for (const VersionRecord& v : *all) any_live = any_live || !v.deleted;
  if (permanent && any_live) {
    return error(kSubjectNotSoftDeleted,
                 fmt::format("Subject '{}' was not deleted first before being permanently "
                             "deleted",
                             subject));
  }
  if (!permanent && !any_live) {
    return error(kSubjectSoftDeleted,
                 fmt::format("Subject '{}' was soft deleted. Set permanent=true to delete "
                             "permanently",
                             subject));
  }
  if (auto refused = still_referenced(call, subject, *all, permanent)) return *refused;
  auto deleted = call.store.delete_versions(subject, std::nullopt, permanent);
  if (!deleted.ok()) return store_error(deleted.status());
  if (permanent) {
    // A subject deleted for good takes its own level and mode with it: a new subject of the
    // same name starts from the global ones.
    for (const char* kind : {"compatibility", "mode"}) {
      auto removed = call.store.delete_setting(kind, subject);
      if (!removed.ok()) return store_error(removed.status());
    }
  }
  return json_response(*deleted);
}

ApiResponse delete_version(Call& call, const std::string& subject, const std::string& version) {
  if (auto refused = refuse_if_read_only(call, subject)) return *refused;
  bool permanent = call.flag("permanent");
  ApiResponse refused;
  auto v = find_version(call, subject, version, /*include_deleted=*/true, refused);
  if (!v) return refused;
  if (permanent && !v->deleted) {
    return error(kVersionNotSoftDeleted,
                 fmt::format("Subject '{}' Version {} was not deleted first before being "
                             "permanently deleted",
                             subject, v->version));
  }
  if (!permanent && v->deleted) {
    return error(kVersionSoftDeleted,
                 fmt::format("Subject '{}' Version {} was soft deleted. Set permanent=true to "
                             "delete permanently",
                             subject, v->version));
  }
  if (auto refused_ref = still_referenced(call, subject, {*v}, permanent)) return *refused_ref;
  auto deleted = call.store.delete_versions(subject, v->version, permanent);
  if (!deleted.ok()) return store_error(deleted.status());
  if (deleted->empty())
    return error(kVersionNotFound, fmt::format("Version {} not found.", version));
  return json_response(deleted->front());
}

}  // namespace

ApiResponse subjects_route(Call& call) {
  const auto& seg = call.segments;
  const std::string& m = call.method;
  auto not_allowed = [] { return error(405, "HTTP 405 Method Not Allowed"); };
  ApiResponse r;
  if (seg.size() == 1) {
    r = m == "GET" ? list_subjects(call) : not_allowed();
    r.route = "/subjects";
  } else if (seg.size() == 2) {
    r = m == "POST"     ? lookup(call, seg[1])
        : m == "DELETE" ? delete_subject(call, seg[1])
                        : not_allowed();
    r.route = "/subjects/{subject}";
  } else if (seg.size() == 3 && seg[2] == "versions") {
    r = m == "GET"    ? list_versions(call, seg[1])
        : m == "POST" ? register_version(call, seg[1])
                      : not_allowed();
    r.route = "/subjects/{subject}/versions";
  } else if (seg.size() == 4 && seg[2] == "versions") {
    r = m == "GET"      ? get_version(call, seg[1], seg[3], false)
        : m == "DELETE" ? delete_version(call, seg[1], seg[3])
                        : not_allowed();
    r.route = "/subjects/{subject}/versions/{version}";
  } else if (seg.size() == 5 && seg[2] == "versions" && seg[4] == "schema") {
    r = m == "GET" ? get_version(call, seg[1], seg[3], true) : not_allowed();
    r.route = "/subjects/{subject}/versions/{version}/schema";
  } else if (seg.size() == 5 && seg[2] == "versions" && seg[4] == "referencedby") {
    r = m == "GET" ? referenced_by(call, seg[1], seg[3]) : not_allowed();
    r.route = "/subjects/{subject}/versions/{version}/referencedby";
  } else {
    r = error(404, "HTTP 404 Not Found");
  }
  return r;
}

}  // namespace tandem::registry
