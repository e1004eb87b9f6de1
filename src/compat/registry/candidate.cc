// Reading a schema a client sends (compat/registry/call.h): its type, its references, whether
// it parses, its fingerprint — and checking it with tandem compat against stored versions.

#include <fmt/format.h>
#include <openssl/evp.h>

#include <set>

#include "compat/document.h"
#include "compat/registry/call.h"

namespace tandem::registry {

namespace {

constexpr size_t kMaxReferences = 256;

std::string sha256_hex(const std::string& input) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned i = 0; i < len; ++i) out += fmt::format("{:02x}", digest[i]);
  return out;
}

const char* type_name(compat::Format f) {
  switch (f) {
    case compat::Format::kJsonSchema:
      return "JSON";
    case compat::Format::kProtobuf:
      return "PROTOBUF";
    default:
      return "AVRO";
  }
}

// The texts of `refs` and of everything they refer to, by the names the schemas use.
Status gather(Store& store, const std::vector<Reference>& refs,
              std::map<std::string, std::string>& out, bool live_only) {
  std::vector<Reference> queue = refs;
  std::set<std::pair<std::string, int>> seen;
  for (size_t i = 0; i < queue.size(); ++i) {
    if (seen.size() >= kMaxReferences)
      return Status::InvalidInput(fmt::format("more than {} references", kMaxReferences));
    Reference ref = queue[i];
    if (!seen.insert({ref.subject, ref.version}).second) continue;
    TANDEM_ASSIGN_OR_RETURN(auto versions, store.versions(ref.subject, /*include_deleted=*/true));
    const VersionRecord* found = nullptr;
    for (const VersionRecord& v : versions)
      if (v.version == ref.version && !(live_only && v.deleted)) found = &v;
    if (found == nullptr) {
      return Status::InvalidInput(
          fmt::format("the reference {} names version {} of subject {}, "
                      "which does not exist",
                      ref.name, ref.version, ref.subject));
    }
    TANDEM_ASSIGN_OR_RETURN(auto schema, store.schema(found->id));
    if (!schema)
      return Status::InvalidInput(fmt::format("the reference {} has no schema", ref.name));
    out.emplace(ref.name, schema->text);
    for (const Reference& next : schema->references) queue.push_back(next);
  }
  return Status::Ok();
}

bool avro_primitive(const std::string& name) {
  static const std::set<std::string> kPrimitives = {"null",  "boolean", "int",   "long",
                                                    "float", "double",  "bytes", "string"};
  return kPrimitives.count(name) > 0;
}

// An Avro schema in one spelling, so that the same schema written two ways is one schema (as
// Avro's own parser sees it): {"type": "string"} is "string"; every named type and every
// reference to one carries its full name ("com.acme.Order"), with no "namespace"; keys are
// sorted when dumped. Depth is bounded by the reader that accepted the schema.
nlohmann::json canonical_avro(const nlohmann::json& t, const std::string& ns, int depth) {
  using nlohmann::json;
  if (depth > 256) return t;
  auto qualify = [](const std::string& name, const std::string& space) {
    return name.find('.') != std::string::npos || space.empty() ? name : space + "." + name;
  };
  if (t.is_string()) {
    const std::string& name = t.get_ref<const std::string&>();
    return avro_primitive(name) ? t : json(qualify(name, ns));
  }
  if (t.is_array()) {
    json out = json::array();
    for (const json& branch : t) out.push_back(canonical_avro(branch, ns, depth + 1));
    return out;
  }
  if (!t.is_object() || !t.contains("type")) return t;
  const json& type = t["type"];
  if (type.is_string() && avro_primitive(type.get<std::string>()) && t.size() == 1) return type;
  json out = t;
  std::string kind = type.is_string() ? type.get<std::string>() : "";
  if (kind == "record" || kind == "error" || kind == "enum" || kind == "fixed") {
    std::string full;
    if (t.contains("name") && t["name"].is_string()) {
      std::string space = t.contains("namespace") && t["namespace"].is_string()
                              ? t["namespace"].get<std::string>()
                              : ns;
      full = qualify(t["name"].get<std::string>(), space);
      out["name"] = full;
      out.erase("namespace");
    }
    std::string inner = full.find('.') == std::string::npos ? "" : full.substr(0, full.rfind('.'));
    if ((kind == "record" || kind == "error") && t.contains("fields") && t["fields"].is_array()) {
      for (json& field : out["fields"])
        if (field.is_object() && field.contains("type"))
          field["type"] = canonical_avro(field["type"], inner, depth + 1);
    }
  } else if (kind == "array" && t.contains("items")) {
    out["items"] = canonical_avro(t["items"], ns, depth + 1);
  } else if (kind == "map" && t.contains("values")) {
    out["values"] = canonical_avro(t["values"], ns, depth + 1);
  } else if (!type.is_string() || !avro_primitive(kind)) {
    out["type"] = canonical_avro(type, ns, depth + 1);
  }
  return out;
}

}  // namespace

bool parse_schema_type(const std::string& name, compat::Format& format) {
  if (name == "AVRO") {
    format = compat::Format::kAvro;
  } else if (name == "JSON") {
    format = compat::Format::kJsonSchema;
  } else if (name == "PROTOBUF") {
    format = compat::Format::kProtobuf;
  } else {
    return false;
  }
  return true;
}

Result<compat::SchemaText> schema_text(Store& store, const SchemaRecord& schema,
                                       const std::string& label, bool live_only) {
  compat::SchemaText text;
  text.text = schema.text;
  text.name = label;
  TANDEM_RETURN_IF_ERROR(gather(store, schema.references, text.references, live_only));
  return text;
}

std::optional<Candidate> read_candidate(Call& call, const nlohmann::json& body,
                                        ApiResponse& refused) {
  auto refuse = [&refused](int code, const std::string& message) {
    refused = error(code, message);
    return std::optional<Candidate>();
  };
  if (!body.is_object()) return refuse(kInvalidSchema, "Invalid schema: the body is not an object");
  auto schema = body.find("schema");
  if (schema == body.end() || schema->is_null())
    return refuse(kInvalidSchema,
                  "Empty schema: the body needs \"schema\", the schema as a string");
  if (!schema->is_string())
    return refuse(kInvalidSchema,
                  "Invalid schema: \"schema\" is the schema as a string (JSON-encoded text), "
                  "not a JSON value");
  if (schema->get<std::string>().empty()) return refuse(kInvalidSchema, "Empty schema");
  Candidate c;
  c.record.type = "AVRO";
  if (auto type = body.find("schemaType"); type != body.end() && !type->is_null()) {
    if (!type->is_string() || !parse_schema_type(type->get<std::string>(), c.format)) {
      std::string shown =
          type->is_string() ? type->get<std::string>().substr(0, 40) : "not a string";
      return refuse(kInvalidSchema,
                    fmt::format("Invalid schema type ({}): AVRO, JSON or PROTOBUF", shown));
    }
    c.record.type = type_name(c.format);
  }
  c.record.text = schema->get<std::string>();
  // JSON may escape a NUL (\u0000); no database keeps one in text.
  if (c.record.text.find('\0') != std::string::npos)
    return refuse(kInvalidSchema, "Invalid schema: it holds a NUL character");
  if (auto refs = body.find("references"); refs != body.end() && !refs->is_null()) {
    if (!refs->is_array() || refs->size() > kMaxReferences)
      return refuse(kInvalidSchema, "Invalid schema: references is not a list of at most 256");
    std::set<std::string> names;
    for (const auto& r : *refs) {
      if (!r.is_object() || !r.contains("name") || !r["name"].is_string() ||
          !r.contains("subject") || !r["subject"].is_string() || !r.contains("version") ||
          !r["version"].is_number_integer()) {
        return refuse(kInvalidSchema,
                      "Invalid schema: each reference is {\"name\", \"subject\", \"version\"}");
      }
      Reference ref{r["name"].get<std::string>(), r["subject"].get<std::string>(), 0};
      // A number past 2^63 is stored unsigned: read as signed it would wrap to -1 (latest).
      long long version = r["version"].is_number_unsigned() &&
                                  r["version"].get<unsigned long long>() > 2147483647ULL
                              ? 0
                              : r["version"].get<long long>();
      if (version == -1) {
        auto live = call.store.versions(ref.subject, false);
        if (!live.ok()) {
          refused = store_error(live.status());
          return std::nullopt;
        }
        if (live->empty())
          return refuse(kInvalidSchema,
                        fmt::format("Invalid schema: the reference {} names subject {}, which "
                                    "has no versions",
                                    ref.name, ref.subject));
        version = live->back().version;
      }
      if (version < 1 || version > 2147483647LL)
        return refuse(kInvalidSchema, fmt::format("Invalid schema: the reference {} has version "
                                                  "{}, not 1 or more (or -1 for the latest)",
                                                  ref.name, version));
      ref.version = static_cast<int>(version);
      if (ref.name.find('\0') != std::string::npos || ref.subject.find('\0') != std::string::npos)
        return refuse(kInvalidSchema, "Invalid schema: a reference holds a NUL character");
      if (ref.name.empty() || !names.insert(ref.name).second)
        return refuse(kInvalidSchema,
                      "Invalid schema: reference names must be distinct and not "
                      "empty");
      c.record.references.push_back(std::move(ref));
    }
  }
  std::string canonical = c.record.text;
  // Reading, canonicalising and writing a schema all recurse on its nesting: a schema nested
  // deeper than any reader accepts is refused before any of them runs.
  if (c.format != compat::Format::kProtobuf && json_depth(c.record.text) > compat::kMaxDepth) {
    return refuse(kInvalidSchema, fmt::format("Invalid schema: values nest more than {} levels "
                                              "deep",
                                              compat::kMaxDepth));
  }
  if (c.format != compat::Format::kProtobuf) {
    // Avro and JSON Schema are JSON (never YAML here): parsed once, written back with sorted
    // keys and no blanks, so that spacing and key order do not make a second id.
    nlohmann::json parsed;
    try {
      parsed = nlohmann::json::parse(c.record.text);
    } catch (const nlohmann::json::parse_error& e) {
      return refuse(
          kInvalidSchema,
          fmt::format("Invalid schema: {} schemas are JSON, and this is not: {}",
                      c.format == compat::Format::kAvro ? "Avro" : "JSON Schema", e.what()));
    }
    if (c.format == compat::Format::kAvro) parsed = canonical_avro(parsed, "", 0);
    canonical = parsed.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  // A new schema may refer only to live versions: a deleted one is on its way out.
  auto text = schema_text(call.store, c.record, "schema", /*live_only=*/true);
  if (!text.ok()) {
    if (text.status().code() == Code::kDatabase) {
      refused = store_error(text.status());
      return std::nullopt;
    }
    return refuse(kInvalidSchema, "Invalid schema: " + text.status().message());
  }
  c.text = std::move(*text);
  compat::CheckOptions options;
  options.mode = compat::Mode::kNone;
  auto read = compat::check_schema_texts({c.text}, c.format, options);
  if (!read.ok()) {
    // The reader's hints speak of files and -I paths; here a missing type or import is a
    // missing reference.
    const std::string& m = read.status().message();
    std::string message = "Invalid schema: " + m;
    bool unresolved = m.find("not defined") != std::string::npos ||
                      m.find("cannot be resolved") != std::string::npos ||
                      m.find("unknown type") != std::string::npos ||
                      m.find("not found") != std::string::npos ||
                      m.find("File not found") != std::string::npos;
    if (unresolved) {
      message +=
          " (a type or file another subject defines is named in \"references\": [{\"name\", "
          "\"subject\", \"version\"}], see docs/registry.md)";
    } else if (!read.status().hint().empty()) {
      message += " (" + read.status().hint() + ")";
    }
    return refuse(kInvalidSchema, message);
  }
  c.fingerprint =
      sha256_hex(c.record.type + "\n" + canonical + "\n" + references_json(c.record.references));
  return c;
}

Result<std::string> compatibility_for(Call& call, const std::string& subject) {
  TANDEM_ASSIGN_OR_RETURN(auto own, call.store.setting("compatibility", subject));
  if (own) return *own;
  TANDEM_ASSIGN_OR_RETURN(auto global, call.store.setting("compatibility", ""));
  return global ? *global : call.settings.default_compatibility;
}

Result<std::string> mode_for(Call& call, const std::string& subject) {
  TANDEM_ASSIGN_OR_RETURN(auto global, call.store.setting("mode", ""));
  // READONLY_OVERRIDE is the global freeze: it wins over every subject's own mode.
  if (global && *global == "READONLY_OVERRIDE") return *global;
  TANDEM_ASSIGN_OR_RETURN(auto own, call.store.setting("mode", subject));
  if (own) return *own;
  return global ? *global : std::string("READWRITE");
}

std::optional<ApiResponse> refuse_if_read_only(Call& call, const std::string& subject) {
  auto mode = mode_for(call, subject);
  if (!mode.ok()) return store_error(mode.status());
  if (*mode == "READONLY" || *mode == "READONLY_OVERRIDE") {
    return error(kOperationNotPermitted,
                 fmt::format("Subject {} is in read-only mode ({}): registrations and deletes "
                             "are refused until PUT /mode sets READWRITE",
                             subject, *mode));
  }
  return std::nullopt;
}

std::optional<ApiResponse> refuse_invalid_subject(const std::string& subject) {
  bool blank = true;
  for (char c : subject) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return error(kInvalidSubject, "Invalid subject: it holds a control character");
    if (c != ' ') blank = false;
  }
  if (blank) return error(kInvalidSubject, "Invalid subject: a subject name is not empty or blank");
  if (subject.rfind(":.", 0) == 0) {
    return error(kInvalidSubject,
                 "Invalid subject: schema contexts (\":.context:subject\") are not supported "
                 "by tandem registry");
  }
  return std::nullopt;
}

Result<std::vector<std::string>> incompatibilities(Store& store, const Candidate& candidate,
                                                   const LiveVersions& against,
                                                   const std::string& level) {
  std::vector<std::string> messages;
  compat::Mode mode = compat::Mode::kBackward;
  if (!compat::parse_mode(level, mode)) {
    return Status::InvalidInput(fmt::format("the stored compatibility level {} is unknown", level));
  }
  if (mode == compat::Mode::kNone || against.empty()) return messages;
  bool transitive = mode == compat::Mode::kBackwardTransitive ||
                    mode == compat::Mode::kForwardTransitive ||
                    mode == compat::Mode::kFullTransitive;
  std::vector<compat::SchemaText> texts;
  for (size_t i = transitive ? 0 : against.size() - 1; i < against.size(); ++i) {
    const auto& [version, schema] = against[i];
    std::string label = fmt::format("{} version {}", version.subject, version.version);
    if (schema.type != candidate.record.type) {
      messages.push_back(
          fmt::format("schema-type-changed: {} is {}, the new schema {}: a reader "
                      "of one cannot read the other",
                      label, schema.type, candidate.record.type));
      continue;
    }
    TANDEM_ASSIGN_OR_RETURN(compat::SchemaText text, schema_text(store, schema, label));
    texts.push_back(std::move(text));
  }
  if (!messages.empty()) return messages;
  compat::SchemaText mine = candidate.text;
  mine.name = "the new schema";
  texts.push_back(std::move(mine));
  compat::CheckOptions options;
  options.mode = mode;
  options.last_only = true;  // the stored versions were judged when they were registered
  // One request's comparisons are bounded: a check that needs more is refused as too-complex
  // rather than holding a worker and the subject's lock. A budget that grows with the history (a
  // long FULL_TRANSITIVE subject of big records needs thousands of comparisons per version), capped
  // per pair so that one pathological pair is refused in well under a second.
  size_t walks = texts.size() - 1;
  if (mode == compat::Mode::kFull || mode == compat::Mode::kFullTransitive) walks *= 2;
  options.max_steps = std::max(kMinCheckSteps, kCheckStepsPerPair * walks);
  options.max_walk_steps = kMaxPairSteps;
  auto report = compat::check_schema_texts(texts, candidate.format, options);
  if (!report.ok()) {
    // A stored version no longer reads (it was stored by another tool): it cannot be
    // judged, so the new schema is refused rather than waved through.
    messages.push_back("unreadable-version: " + report.status().message());
    return messages;
  }
  for (const compat::PairReport& pair : report->pairs) {
    if (pair.new_file != "the new schema") continue;
    for (const compat::Finding& f : pair.findings) {
      if (f.ignored || f.level != compat::Level::kError) continue;
      std::string where = f.new_place.pointer.empty() ? f.old_place.pointer : f.new_place.pointer;
      messages.push_back(fmt::format("{}: {} (at {} against {}, {})", f.rule, f.message,
                                     where.empty() ? "the root" : where, pair.old_file,
                                     f.direction == compat::Direction::kBackward
                                         ? "the new schema reading old data"
                                         : "old readers reading new data"));
    }
  }
  return messages;
}

}  // namespace tandem::registry
