#pragma once
// Each format's reader turns a schema file into the compat model (compat/model.h). Input
// errors carry file:line and what to do; a reader never crashes on any input (fuzzed).

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compat/document.h"
#include "compat/model.h"

namespace tandem::compat {

// Avro (.avsc), per the Avro 1.11 specification.
Result<Schema> read_avro(const Document& doc);

// A registry's references for Avro: each named type `references` maps a full name to (the text
// of the schema that defines it) is put in place where `doc` first uses it, so the schema reads
// on its own. Referenced schemas may refer to each other; a cycle is an error, not a hang.
Status inline_avro_references(Document& doc, const std::map<std::string, std::string>& references);

// Loads another file a schema refers to (`$ref: other.json#/…`), by a path relative to the
// referring file. Tests pass their own; the default reads from disk.
using DocumentLoader = std::function<Result<Document>(const std::string& path)>;

// JSON Schema, drafts 7 and 2020-12 (and 4/6 where they agree). `load_remote`: a `$ref` to an
// absolute URL is passed to `load` as it is written (a registry's references by name) instead
// of being refused; nothing is ever fetched.
Result<Schema> read_json_schema(const Document& doc, const DocumentLoader& load,
                                bool load_remote = false);

// Where a `$ref` leads: the document it names (the referring one, or another file read once),
// the value, and its JSON Pointer in that document.
struct RefTarget {
  const Document* doc = nullptr;
  const Value* value = nullptr;
  std::string pointer;
};

class JsonSchemaReader;

// JSON Schemas embedded in a larger document (OpenAPI): each read into one shared model, so a
// schema referred to from many places (#/components/schemas/X) is read once, and every file a
// $ref names is loaded once. `modern`: 2020-12 rules (a $ref's siblings apply; OpenAPI 3.1);
// `nullable_keyword`: 3.0's `nullable: true` adds null to a schema's type. An object without
// additionalProperties holds only the properties it lists and is read by tolerant readers that
// skip others (what OpenAPI clients and servers do), not as JSON Schema's open content model.
// The model's format is kOpenApi. Errors carry file:line, as read_json_schema's.
class EmbeddedSchemas {
 public:
  EmbeddedSchemas(const Document& doc, const DocumentLoader& load, bool modern,
                  bool nullable_keyword);
  ~EmbeddedSchemas();
  EmbeddedSchemas(const EmbeddedSchemas&) = delete;
  EmbeddedSchemas& operator=(const EmbeddedSchemas&) = delete;

  // The schema at `v` (inside `doc`, at `pointer`).
  Result<NodeId> read(const Document& doc, const Value& v, const std::string& pointer);
  // Follows the `$ref` string `ref` written in `doc`. Documents stay alive with this object.
  Result<RefTarget> locate(const Document& doc, const Value& ref);
  // The model read so far.
  Schema& schema();

 private:
  std::unique_ptr<JsonSchemaReader> impl_;
};

// Avro's binary encoding: the datums of `bytes`, back to back, decoded with `schema` into
// values in Avro's JSON encoding. Errors name the byte offset (truncated data, a bad length or
// union index).
Result<std::vector<nlohmann::json>> decode_avro_binary(const Schema& schema,
                                                       std::string_view bytes);

// Protobuf (.proto, proto2 and proto3), parsed by libprotoc as protoc parses it. Imports
// resolve against the file's directory, then each of `include_paths` (protoc's -I), then the
// well-known types. `message` picks one top-level message (full or short name); "" reads them
// all. The root is a pseudo-record (type_name kProtoFile, name = the package) whose fields are
// the top-level messages by name relative to the package (docs/compat.md, "Protobuf").
Result<Schema> read_protobuf(const std::string& file, const std::vector<std::string>& include_paths,
                             const std::string& message);
// The same for a schema given as text (`name` labels it in errors); it can import the
// well-known types and `imports` (import path → the file's text: a registry's references).
Result<Schema> read_protobuf_text(const std::string& text, const std::string& name,
                                  const std::string& message,
                                  const std::map<std::string, std::string>& imports = {});

}  // namespace tandem::compat
