#pragma once
// `tandem compat`: can every consumer still read what producers write? One checker, one
// vocabulary of rules, for Avro, JSON Schema (and, in the same model, Protobuf and OpenAPI).
// A schema pair is judged in the direction a mode asks — BACKWARD: readers with the new schema
// read data written with the old one; FORWARD: old readers read new data; FULL: both — and
// every finding names its rule, both places, and why a reader breaks (docs/compat.md).

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tandem/status.h"

namespace tandem::compat {

enum class Format { kAvro, kProtobuf, kJsonSchema, kOpenApi };

// Confluent Schema Registry's seven compatibility modes. The plain modes compare each version
// with the one before it; the _TRANSITIVE ones with every earlier version.
enum class Mode {
  kBackward,
  kBackwardTransitive,
  kForward,
  kForwardTransitive,
  kFull,
  kFullTransitive,
  kNone,
};

enum class Level { kInfo, kWarning, kError };

// Which way a finding breaks: a new reader of old data (backward) or an old reader of new data.
enum class Direction { kBackward, kForward };

struct Place {
  std::string file;
  std::string pointer;  // JSON Pointer (or Protobuf path); "" = the whole schema
  int line = 0;         // 0 = not in this schema (e.g. a field only the other one has)
};

struct Finding {
  std::string rule;  // stable id: "field-added-without-default", "type-changed", …
  Level level = Level::kError;
  Direction direction = Direction::kBackward;
  Place old_place, new_place;
  std::string message;  // why a reader breaks, and what would keep it compatible
  // Protobuf: the buf category the change breaks — "WIRE" (the binary encoding), "WIRE_JSON"
  // (also the JSON mapping), "FILE" (also generated code). "" for the other formats.
  std::string category;
  // Silenced by an `x-tandem-ignore` annotation or a configured exception: reported, never
  // counted towards the exit code.
  bool ignored = false;
  std::string ignored_because;
};

// The outcome for one pair of versions in one direction.
struct PairReport {
  std::string old_file, new_file;
  Direction direction = Direction::kBackward;
  std::vector<Finding> findings;
};

struct Report {
  Format format = Format::kAvro;
  Mode mode = Mode::kBackward;
  std::vector<std::string> files;  // oldest first
  std::vector<PairReport> pairs;
  // Notes about the run itself (an expired exception, an exception that matched nothing).
  std::vector<std::string> notes;

  // The worst level among findings that are not ignored (nullopt: none).
  std::optional<Level> worst() const;
  bool compatible() const { return !worst() || *worst() != Level::kError; }
};

// An exception from the config file: findings of `rule` (at `pointer`, when given, in `file`,
// when given) are reported as ignored until `expires` (YYYY-MM-DD), with the reason shown.
struct Exception {
  std::string rule;
  std::string file;
  std::string pointer;
  std::string reason;
  std::string expires;  // "" = never
  int line = 0;         // in the config file
};

struct CheckOptions {
  std::optional<Format> format;  // nullopt: from the files' names and contents
  Mode mode = Mode::kBackward;
  std::vector<Exception> exceptions;
  std::string today;  // YYYY-MM-DD for expiry checks ("" = the system's date)
  // Protobuf: where imports are looked for after the schema's own directory (protoc's -I).
  std::vector<std::string> include_paths;
  // Protobuf: "WIRE", "WIRE_JSON" or "FILE": findings of a wider category are reported as
  // ignored (they do not fail the check). "" = every finding counts.
  std::string category;
  // Comparisons allowed for all the pairs of one check together (0: a million per pair).
  // Past it the pair gets a `too-complex` error: the registry bounds a request's time this
  // way.
  size_t max_steps = 0;
  // Comparisons allowed for one pair in one direction (0: a million).
  size_t max_walk_steps = 0;
  // Only the pairs that end at the last version: a new schema against the history (the
  // registry), not the history against itself — N pairs instead of N²/2 under _TRANSITIVE.
  bool last_only = false;
};

// Reads every file (oldest first, at least two unless the mode is NONE), checks each pair the
// mode asks for, and returns the findings. Errors (exit 2): unreadable or invalid schemas,
// with file:line; formats that differ between files.
Result<Report> check_files(const std::vector<std::string>& files, const CheckOptions& options);

// The same for schemas given as text (the registry's path): `names` label them in findings.
Result<Report> check_texts(const std::vector<std::string>& texts,
                           const std::vector<std::string>& names, Format format,
                           const CheckOptions& options);

// A schema given as text with the schemas it refers to by name — a registry's references:
// an Avro type's full name, a JSON Schema `$ref` (a relative name or a URL, never fetched), a
// Protobuf import path, each mapped to that schema's text (the caller gathers them
// transitively).
struct SchemaText {
  std::string text;
  std::string name;  // labels it in findings and errors
  std::map<std::string, std::string> references;
};
Result<Report> check_schema_texts(const std::vector<SchemaText>& schemas, Format format,
                                  const CheckOptions& options);

// `tandem compat --git REF PATH…`: each PATH in the working tree against the same file at the
// git revision REF (files that refer to others are read from REF's tree too). A PATH that did
// not exist at REF is new: a note, no finding. Errors: not a git work tree, an unknown REF.
Result<Report> check_against_git(const std::string& ref, const std::vector<std::string>& paths,
                                 const CheckOptions& options);

// Reads `exceptions:` under `compat:` in a tandem.yaml-style file. `missing_ok`: a missing
// file is no error (the default config path).
Result<std::vector<Exception>> load_exceptions(const std::string& path, bool missing_ok);

// `tandem compat resolve`: values written with one schema version, as a reader with another
// sees them — the function a consumer calls to read old and new messages alike.
class Resolver {
 public:
  // Reads both schemas (one format; detected unless given). Errors: as check_files.
  static Result<Resolver> open(const std::string& writer_file, const std::string& reader_file,
                               std::optional<Format> format = std::nullopt);
  // Avro: one value in Avro's JSON encoding of the writer's schema → the reader's value in the
  // same encoding (fields matched by name or alias, defaults filled, promotions, union branches
  // and enum defaults as the specification resolves them). JSON Schema: the value with the
  // reader's defaults filled in. A Problem status (exit 1) names where a value cannot be read.
  Result<nlohmann::json> resolve(const nlohmann::json& value) const;
  // Avro binary: every datum in `bytes` (datums back to back, no container file header),
  // decoded with the writer's schema, then resolved.
  Result<std::vector<nlohmann::json>> resolve_binary(std::string_view bytes) const;
  Format format() const { return format_; }

  Resolver();
  ~Resolver();
  Resolver(Resolver&&) noexcept;
  Resolver& operator=(Resolver&&) noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Format format_ = Format::kAvro;
};

// Output formats of `tandem compat`: text (gcc style), json, sarif, github (workflow
// annotations), junit.
enum class OutputFormat { kText, kJson, kSarif, kGithub, kJunit };
bool parse_output_format(const std::string& name, OutputFormat& out);
std::string render(const Report& report, OutputFormat format);

bool parse_mode(const std::string& name, Mode& out);      // "BACKWARD", "full_transitive", …
const char* mode_name(Mode mode);                         // "BACKWARD"
bool parse_format(const std::string& name, Format& out);  // avro | protobuf | jsonschema | openapi
const char* format_name(Format format);                   // "avro"
bool parse_level(const std::string& name, Level& out);    // error | warning | info
// "wire", "WIRE_JSON", "file" → the canonical upper-case name.
bool parse_category(const std::string& name, std::string& out);
// WIRE 0 ⊂ WIRE_JSON 1 ⊂ FILE 2; -1 for anything else.
int category_rank(const std::string& category);
const char* level_name(Level level);

struct RuleInfo {
  std::string id;
  Level level;          // the level it reports at (some rules report lower in safe cases)
  std::string summary;  // one line: what changed and why it matters
};
// Every rule, for `tandem compat --rules` and docs/compat.md.
const std::vector<RuleInfo>& rules();

}  // namespace tandem::compat
