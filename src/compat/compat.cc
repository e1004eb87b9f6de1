// `tandem compat`: read the versions, pair them as the mode asks, walk each pair in each
// direction, apply exceptions (tandem/compat.h).

#include "tandem/compat.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <filesystem>
#include <functional>

#include "compat/document.h"
#include "compat/openapi.h"
#include "compat/readers.h"
#include "compat/rules/rules.h"
#include "compat/walker.h"

namespace tandem::compat {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The format a file's name and content say, if they say one.
std::optional<Format> detect(const std::string& name, const Document* doc) {
  std::string n = lower(name);
  if (ends_with(n, ".avsc")) return Format::kAvro;
  if (ends_with(n, ".proto")) return Format::kProtobuf;
  if (doc == nullptr) return std::nullopt;
  const Value& root = doc->root;
  if (root.find("openapi") || root.find("swagger")) return Format::kOpenApi;
  if (root.find("$schema") || root.find("properties") || root.find("$defs") ||
      root.find("definitions") || root.find("allOf") || root.find("anyOf") || root.find("oneOf") ||
      root.find("$ref"))
    return Format::kJsonSchema;
  if (const Value* t = root.find("type"); t && t->is_string()) {
    static const char* kAvroTypes[] = {"record", "enum", "fixed", "error"};
    for (const char* a : kAvroTypes)
      if (t->text == a) return Format::kAvro;
    return Format::kJsonSchema;
  }
  if (root.is_array() || root.is_string()) return Format::kAvro;  // a union or a type name
  if (root.kind == Value::Kind::kBool) return Format::kJsonSchema;
  return std::nullopt;
}

DocumentLoader disk_loader() {
  return [](const std::string& path) { return read_document(path); };
}

Result<Schema> read_schema(const Document& doc, Format format, const DocumentLoader& load,
                           const CheckOptions& options) {
  switch (format) {
    case Format::kAvro:
      return read_avro(doc);
    case Format::kJsonSchema:
      return read_json_schema(doc, load);
    case Format::kProtobuf:
      // libprotoc reads the file itself (and its imports): doc holds only the name.
      return read_protobuf(doc.file, options.include_paths, "");
    case Format::kOpenApi:
      break;
  }
  return Status::InvalidInput(fmt::format("{}: an OpenAPI document is not one schema", doc.file),
                              "compare OpenAPI documents with tandem compat OLD NEW");
}

std::string today_utc() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

bool place_matches(const Place& p, const Exception& e) {
  if (!e.file.empty() && p.file != e.file && !ends_with(p.file, "/" + e.file)) return false;
  if (e.pointer.empty()) return true;
  // Under a JSON Pointer: "/a" covers "/a/b"; under a Protobuf path: "Order" covers "Order.id".
  char separator = e.pointer[0] == '/' ? '/' : '.';
  return p.pointer == e.pointer || (p.pointer.size() > e.pointer.size() &&
                                    p.pointer.compare(0, e.pointer.size(), e.pointer) == 0 &&
                                    p.pointer[e.pointer.size()] == separator);
}

// --category: findings of a category above the one asked for are reported, marked ignored, and
// do not count (WIRE ⊂ WIRE_JSON ⊂ FILE, as buf defines them). Findings without a category
// (Avro, JSON Schema) always count.
void apply_category(Report& report, const CheckOptions& options) {
  if (options.category.empty()) return;
  int limit = category_rank(options.category);
  for (PairReport& pair : report.pairs) {
    for (Finding& f : pair.findings) {
      if (f.ignored || f.category.empty() || category_rank(f.category) <= limit) continue;
      f.ignored = true;
      f.ignored_because =
          fmt::format("category {} is outside --category {}", f.category, options.category);
    }
  }
}

void apply_exceptions(Report& report, const CheckOptions& options) {
  std::string today = options.today.empty() ? today_utc() : options.today;
  std::vector<bool> used(options.exceptions.size(), false);
  for (size_t i = 0; i < options.exceptions.size(); ++i) {
    const Exception& e = options.exceptions[i];
    bool expired = !e.expires.empty() && e.expires < today;
    for (PairReport& pair : report.pairs) {
      for (Finding& f : pair.findings) {
        if (f.ignored || f.rule != e.rule) continue;
        if (!place_matches(f.old_place, e) && !place_matches(f.new_place, e)) continue;
        used[i] = true;
        if (expired) continue;
        f.ignored = true;
        f.ignored_because = e.reason.empty() ? "an exception in the config" : e.reason;
        if (!e.expires.empty()) f.ignored_because += " (until " + e.expires + ")";
      }
    }
    if (expired && used[i]) {
      report.notes.push_back(fmt::format(
          "the exception for {} (config line {}) expired on {}: its findings count again", e.rule,
          e.line, e.expires));
    } else if (!used[i]) {
      report.notes.push_back(fmt::format(
          "the exception for {} (config line {}) matched no finding: remove it", e.rule, e.line));
    }
  }
}

// Pairs the versions as the mode asks and judges each pair in each direction it asks for:
// `judge(old, new, backward)` returns the findings of one.
using Judge = std::function<std::vector<Finding>(size_t, size_t, bool)>;

Report pair_versions(const std::vector<std::string>& files, Format format,
                     const CheckOptions& options, const Judge& judge) {
  Report report;
  report.format = format;
  report.mode = options.mode;
  report.files = files;
  if (options.mode == Mode::kNone) return report;
  bool transitive = options.mode == Mode::kBackwardTransitive ||
                    options.mode == Mode::kForwardTransitive ||
                    options.mode == Mode::kFullTransitive;
  bool backward = options.mode != Mode::kForward && options.mode != Mode::kForwardTransitive;
  bool forward = options.mode != Mode::kBackward && options.mode != Mode::kBackwardTransitive;
  for (size_t n = options.last_only && files.size() > 1 ? files.size() - 1 : 1; n < files.size();
       ++n) {
    for (size_t o = transitive ? 0 : n - 1; o < n; ++o) {
      for (bool is_backward : {true, false}) {
        if (is_backward ? !backward : !forward) continue;
        PairReport pair;
        pair.old_file = files[o];
        pair.new_file = files[n];
        pair.direction = is_backward ? Direction::kBackward : Direction::kForward;
        pair.findings = judge(o, n, is_backward);
        report.pairs.push_back(std::move(pair));
      }
    }
  }
  apply_exceptions(report, options);
  apply_category(report, options);
  return report;
}

Result<Report> check_schemas(const std::vector<Schema>& schemas, const CheckOptions& options) {
  std::vector<std::string> files;
  for (const Schema& s : schemas) files.push_back(s.file);
  Format format = schemas.empty() ? Format::kAvro : schemas.front().format;
  // BACKWARD: the new schema reads old data; FORWARD: the old one reads new data.
  // A budget for the whole check: each walk may take what is left of it (at most the default
  // per walk), so that many small pairs pass and one huge pair cannot take it all unseen.
  size_t remaining = options.max_steps;
  return pair_versions(files, format, options, [&](size_t o, size_t n, bool backward) {
    size_t per_walk =
        options.max_walk_steps > 0 ? options.max_walk_steps : Walker::kDefaultMaxSteps;
    size_t limit = options.max_steps > 0
                       ? std::min<size_t>(per_walk, std::max<size_t>(remaining, 1))
                       : per_walk;
    Walker walker(backward ? schemas[n] : schemas[o], backward ? schemas[o] : schemas[n], backward,
                  limit);
    auto findings = walker.run();
    remaining -= std::min(remaining, walker.steps());
    return findings;
  });
}

// OpenAPI: BACKWARD is old clients against the new server, FORWARD new clients against the old
// server (a rollback); each judges requests with the server as reader and responses with the
// clients as readers (docs/compat.md, "OpenAPI").
Result<Report> check_apis(const std::vector<Api>& apis, const CheckOptions& options) {
  std::vector<std::string> files;
  for (const Api& a : apis) files.push_back(a.file);
  return pair_versions(files, Format::kOpenApi, options, [&](size_t o, size_t n, bool backward) {
    return compare_apis(backward ? apis[o] : apis[n], backward ? apis[n] : apis[o], backward);
  });
}

}  // namespace

std::optional<Level> Report::worst() const {
  std::optional<Level> out;
  for (const PairReport& p : pairs)
    for (const Finding& f : p.findings)
      if (!f.ignored && (!out || f.level > *out)) out = f.level;
  return out;
}

Result<Report> check_files(const std::vector<std::string>& files, const CheckOptions& options) {
  if (files.size() < 2 && options.mode != Mode::kNone)
    return Status::InvalidInput("tandem compat needs at least two schema versions, oldest first",
                                "tandem compat OLD NEW [MORE…]");
  std::vector<Document> docs;
  std::optional<Format> format = options.format;
  for (const std::string& file : files) {
    std::string n = lower(file);
    bool proto = options.format ? *options.format == Format::kProtobuf : ends_with(n, ".proto");
    if (proto) {
      // Not JSON: libprotoc reads it (read_schema).
      docs.push_back(Document{file, {}});
    } else {
      auto doc = read_document(file);
      if (!doc.ok()) return doc.status();
      docs.push_back(std::move(*doc));
    }
    if (!options.format) {
      std::optional<Format> f = detect(file, proto ? nullptr : &docs.back());
      if (!f) {
        return Status::InvalidInput(
            fmt::format("{}: cannot tell whether this is Avro, Protobuf, JSON Schema or OpenAPI",
                        file),
            "pass --type avro|protobuf|jsonschema|openapi");
      }
      if (format && *f != *format) {
        return Status::InvalidInput(
            fmt::format("{} reads as {}, {} as {}: every version must be one format", files[0],
                        format_name(*format), file, format_name(*f)),
            "compare versions of one schema; pass --type if the detection is wrong");
      }
      format = f;
    }
  }
  DocumentLoader load = disk_loader();
  if (*format == Format::kOpenApi) {
    std::vector<Api> apis;
    for (const Document& doc : docs) {
      auto api = read_openapi(doc, load);
      if (!api.ok()) return api.status();
      apis.push_back(std::move(*api));
    }
    return check_apis(apis, options);
  }
  std::vector<Schema> schemas;
  for (const Document& doc : docs) {
    auto s = read_schema(doc, *format, load, options);
    if (!s.ok()) return s.status();
    schemas.push_back(std::move(*s));
  }
  return check_schemas(schemas, options);
}

Result<Report> check_texts(const std::vector<std::string>& texts,
                           const std::vector<std::string>& names, Format format,
                           const CheckOptions& options) {
  std::vector<SchemaText> schemas;
  for (size_t i = 0; i < texts.size(); ++i) {
    schemas.push_back(
        SchemaText{texts[i], i < names.size() ? names[i] : fmt::format("#{}", i + 1), {}});
  }
  return check_schema_texts(schemas, format, options);
}

Result<Report> check_schema_texts(const std::vector<SchemaText>& texts, Format format,
                                  const CheckOptions& options) {
  std::vector<Schema> schemas;
  std::vector<Api> apis;
  for (const SchemaText& t : texts) {
    // A reference is found by the name it is written with; nothing is read from disk.
    DocumentLoader by_name = [&t](const std::string& path) -> Result<Document> {
      auto it = t.references.find(path);
      if (it == t.references.end()) {
        return Status::InvalidInput(fmt::format("no reference is named {}", path),
                                    "register the referenced schema and list it in references");
      }
      return parse_document(it->second, it->first);
    };
    if (format == Format::kOpenApi) {
      auto doc = parse_document(t.text, t.name);
      if (!doc.ok()) return doc.status();
      auto api = read_openapi(*doc, by_name);
      if (!api.ok()) return api.status();
      apis.push_back(std::move(*api));
      continue;
    }
    if (format == Format::kProtobuf) {
      auto s = read_protobuf_text(t.text, t.name, "", t.references);
      if (!s.ok()) return s.status();
      schemas.push_back(std::move(*s));
      continue;
    }
    auto doc = parse_document(t.text, t.name);
    if (!doc.ok()) return doc.status();
    if (format == Format::kAvro) TANDEM_RETURN_IF_ERROR(inline_avro_references(*doc, t.references));
    auto s = format == Format::kJsonSchema ? read_json_schema(*doc, by_name, /*load_remote=*/true)
                                           : read_schema(*doc, format, by_name, options);
    if (!s.ok()) return s.status();
    schemas.push_back(std::move(*s));
  }
  if (format == Format::kOpenApi) return check_apis(apis, options);
  return check_schemas(schemas, options);
}

const std::vector<RuleInfo>& rules() {
  static const std::vector<RuleInfo> kAll = [] {
    std::vector<RuleInfo> all;
    for (const auto* list : {&checks::kTypeChanged,
                             &checks::kNameChanged,
                             &checks::kFixedSizeChanged,
                             &checks::kEnumSymbols,
                             &checks::kAllowedValues,
                             &checks::kRangeNarrowed,
                             &checks::kLengthNarrowed,
                             &checks::kPatternChanged,
                             &checks::kSizeNarrowed,
                             &checks::kLogicalTypeChanged,
                             &checks::kUnsupportedKeyword,
                             &checks::kContentModel,
                             &checks::kUnionBranch,
                             &checks::kFieldMissing,
                             &checks::kFieldUnknown,
                             &checks::kFieldBecameRequired,
                             &checks::kDefaultChanged,
                             &checks::kFieldRenamed,
                             &checks::kWalker,
                             &checks::kPackageChanged,
                             &checks::kReservedRemoved,
                             &checks::kEnumValueNumbers,
                             &checks::kFieldNumberReused,
                             &checks::kMessageRemoved,
                             &checks::kFieldRemovedNotReserved,
                             &checks::kPathMissing,
                             &checks::kOperationMissing,
                             &checks::kOperationIdChanged,
                             &checks::kSecurityRequirement,
                             &checks::kSecuritySchemeChanged,
                             &checks::kRequestParameterMissing,
                             &checks::kRequestParameterMoved,
                             &checks::kRequestParameterRequired,
                             &checks::kRequestBody,
                             &checks::kMediaTypeMissing,
                             &checks::kResponseStatusMissing,
                             &checks::kResponseHeader})
      all.insert(all.end(), list->begin(), list->end());
    std::sort(all.begin(), all.end(),
              [](const RuleInfo& a, const RuleInfo& b) { return a.id < b.id; });
    return all;
  }();
  return kAll;
}

bool parse_mode(const std::string& name, Mode& out) {
  static const std::pair<const char*, Mode> kModes[] = {
      {"backward", Mode::kBackward}, {"backward_transitive", Mode::kBackwardTransitive},
      {"forward", Mode::kForward},   {"forward_transitive", Mode::kForwardTransitive},
      {"full", Mode::kFull},         {"full_transitive", Mode::kFullTransitive},
      {"none", Mode::kNone},
  };
  std::string n = lower(name);
  std::replace(n.begin(), n.end(), '-', '_');
  for (const auto& [text, mode] : kModes) {
    if (n == text) {
      out = mode;
      return true;
    }
  }
  return false;
}

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::kBackward:
      return "BACKWARD";
    case Mode::kBackwardTransitive:
      return "BACKWARD_TRANSITIVE";
    case Mode::kForward:
      return "FORWARD";
    case Mode::kForwardTransitive:
      return "FORWARD_TRANSITIVE";
    case Mode::kFull:
      return "FULL";
    case Mode::kFullTransitive:
      return "FULL_TRANSITIVE";
    case Mode::kNone:
      return "NONE";
  }
  return "BACKWARD";
}

bool parse_format(const std::string& name, Format& out) {
  std::string n = lower(name);
  if (n == "avro") {
    out = Format::kAvro;
  } else if (n == "protobuf" || n == "proto") {
    out = Format::kProtobuf;
  } else if (n == "jsonschema" || n == "json" || n == "json-schema") {
    out = Format::kJsonSchema;
  } else if (n == "openapi") {
    out = Format::kOpenApi;
  } else {
    return false;
  }
  return true;
}

const char* format_name(Format format) {
  switch (format) {
    case Format::kAvro:
      return "avro";
    case Format::kProtobuf:
      return "protobuf";
    case Format::kJsonSchema:
      return "jsonschema";
    case Format::kOpenApi:
      return "openapi";
  }
  return "avro";
}

bool parse_level(const std::string& name, Level& out) {
  std::string n = lower(name);
  if (n == "error") {
    out = Level::kError;
  } else if (n == "warning") {
    out = Level::kWarning;
  } else if (n == "info") {
    out = Level::kInfo;
  } else {
    return false;
  }
  return true;
}

bool parse_category(const std::string& name, std::string& out) {
  std::string n = name;
  for (char& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::replace(n.begin(), n.end(), '-', '_');
  if (category_rank(n) < 0) return false;
  out = n;
  return true;
}

int category_rank(const std::string& category) {
  if (category == "WIRE") return 0;
  if (category == "WIRE_JSON") return 1;
  if (category == "FILE") return 2;
  return -1;
}

const char* level_name(Level level) {
  switch (level) {
    case Level::kError:
      return "error";
    case Level::kWarning:
      return "warning";
    case Level::kInfo:
      return "info";
  }
  return "error";
}

}  // namespace tandem::compat
