#pragma once
// What the registry's route handlers share: the parsed request, Confluent's error documents,
// and reading a schema (with its references) into tandem compat's form.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "compat/registry/api.h"
#include "compat/registry/store.h"
#include "tandem/compat.h"

namespace tandem::registry {

// Confluent's error codes (the HTTP status is the first three digits; 409 is itself).
enum ErrorCode {
  kBadRequest = 400,
  kIncompatible = 409,
  kSubjectNotFound = 40401,
  kVersionNotFound = 40402,
  kSchemaNotFound = 40403,
  kSubjectSoftDeleted = 40404,
  kSubjectNotSoftDeleted = 40405,
  kVersionSoftDeleted = 40406,
  kVersionNotSoftDeleted = 40407,
  kSubjectLevelCompatibilityNotConfigured = 40408,
  kSubjectLevelModeNotConfigured = 40409,
  kInvalidSchema = 42201,
  kInvalidVersion = 42202,
  kInvalidCompatibilityLevel = 42203,
  kInvalidMode = 42204,
  kOperationNotPermitted = 42205,
  kReferenceExists = 42206,
  kInvalidSubject = 42208,
  kStoreError = 50001,
  kTimedOut = 50002,
};

struct Call {
  Store& store;
  const ApiSettings& settings;
  std::string method;
  std::vector<std::string> segments;  // the path's segments, percent-decoded
  std::map<std::string, std::string> query;
  const std::string& body;

  bool flag(const std::string& name) const {
    auto it = query.find(name);
    return it != query.end() && (it->second == "true" || it->second.empty());
  }
};

ApiResponse error(int code, const std::string& message);
// How deep `text`'s arrays and objects nest (brackets inside JSON strings not counted), read
// without building anything: what decides whether recursive code may touch it.
int json_depth(std::string_view text);
// The longest nesting a request body may have; a schema inside it may nest 200 levels.
inline constexpr int kMaxBodyDepth = 64;
ApiResponse json_response(const nlohmann::json& body, int status = 200);
// A store failure: 500 with 50001.
ApiResponse store_error(const Status& st);

// "latest" / "-1" → nullopt in `latest`; a version number 1..2^31-1 → it; anything else: false.
bool parse_version(const std::string& text, std::optional<int>& version);

// The schema a request body describes: {"schema", "schemaType", "references"}, read and
// validated (it parses as its type, its references exist), with its fingerprint.
struct Candidate {
  SchemaRecord record;
  compat::Format format = compat::Format::kAvro;
  compat::SchemaText text;
  std::string fingerprint;
};
// An error response in `refused` when the body is not a valid schema.
std::optional<Candidate> read_candidate(Call& call, const nlohmann::json& body,
                                        ApiResponse& refused);
// A stored schema with its references' texts, for tandem compat.
// `live_only`: every referenced version must be live (for a schema being registered).
Result<compat::SchemaText> schema_text(Store& store, const SchemaRecord& schema,
                                       const std::string& label, bool live_only = false);
// Comparisons one compatibility check may make: all pairs together at least kMinCheckSteps,
// kCheckStepsPerPair more per pair (a pair in one direction) past that, at most kMaxPairSteps
// in one pair.
inline constexpr size_t kMinCheckSteps = 2'000'000;
inline constexpr size_t kCheckStepsPerPair = 20'000;
inline constexpr size_t kMaxPairSteps = 200'000;
bool parse_schema_type(const std::string& name, compat::Format& format);

// The compatibility level for `subject`: its own, else the global one, else the default.
Result<std::string> compatibility_for(Call& call, const std::string& subject);
// The READWRITE / READONLY / IMPORT mode for `subject` (its own, else the global one).
Result<std::string> mode_for(Call& call, const std::string& subject);

// 42205 when `subject` is in READONLY (or the registry in READONLY_OVERRIDE) mode.
std::optional<ApiResponse> refuse_if_read_only(Call& call, const std::string& subject);
// 42208 for a name no subject should have: empty or blank, control characters, a context.
std::optional<ApiResponse> refuse_invalid_subject(const std::string& subject);

// Checks `candidate` against `against` (oldest first) under `level`; the messages name each
// incompatibility (rule, places, why). Only pairs with the candidate count.
Result<std::vector<std::string>> incompatibilities(Store& store, const Candidate& candidate,
                                                   const LiveVersions& against,
                                                   const std::string& level);

// Route handlers: each answers the requests under its first path segment.
ApiResponse subjects_route(Call& call);
ApiResponse schemas_route(Call& call);
ApiResponse config_route(Call& call);
ApiResponse mode_route(Call& call);
ApiResponse compatibility_route(Call& call);

}  // namespace tandem::registry
