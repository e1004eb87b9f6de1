#pragma once
// The one schema model every format is read into (Avro, JSON Schema, Protobuf, OpenAPI), so
// that one walker and one set of rules judge them all: "can a reader with schema R read every
// value a writer with schema W may write?" (compat/walker.h).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tandem/compat.h"

namespace tandem::compat {

using NodeId = int;

enum class Kind {
  kAny,      // every value (JSON Schema `true` or `{}`)
  kNothing,  // no value at all (JSON Schema `false`)
  kNull,
  kBoolean,
  kInteger,  // `bits` wide (0: unbounded, as in JSON)
  kNumber,   // floating point, `bits` wide (0: any JSON number)
  kString,
  kBytes,
  kRecord,  // named members: Avro record, JSON object, Protobuf message
  kArray,
  kMap,   // string keys, one value schema
  kEnum,  // named symbols (Avro, Protobuf)
  kFixed,
  kUnion,  // a value of one of `branches` (Avro union, JSON Schema anyOf/oneOf/type lists)
};

// The type_name of a Protobuf file's root pseudo-record: its fields are the file's top-level
// messages, its name the package (compat/readers.h, read_protobuf).
inline constexpr const char* kProtoFile = "protobuf file";

// Where a node or a field was written.
struct Location {
  Location() = default;
  Location(std::string pointer_, int line_, std::string file_ = {})
      : pointer(std::move(pointer_)), line(line_), file(std::move(file_)) {}

  std::string pointer;  // JSON Pointer into the file ("" = the root), or a Protobuf path
  int line = 0;
  std::string file;  // another file a $ref led to ("" = the schema's own file)
};

// JSON Schema's validation keywords on one node (unset = no constraint).
struct Bounds {
  std::optional<double> minimum, maximum;                      // inclusive
  std::optional<double> exclusive_minimum, exclusive_maximum;  // exclusive
  std::optional<double> multiple_of;
  std::optional<uint64_t> min_length, max_length;
  std::optional<uint64_t> min_items, max_items;
  std::optional<uint64_t> min_properties, max_properties;
  std::optional<std::string> pattern, format;
  bool unique_items = false;
};

struct Field {
  std::string name;
  std::vector<std::string> aliases;  // other names readers match it by (Avro)
  int number = 0;                    // Protobuf field number (0 elsewhere)
  NodeId type = -1;
  bool written = true;  // every value written with this schema carries it
  bool needed = false;  // a reader with this schema cannot do without it (no default)
  std::optional<std::string> default_json;  // canonical JSON text
  Location at;
  std::vector<std::string> ignore;  // rule ids silenced here (x-tandem-ignore)
};

struct Node {
  Kind kind = Kind::kAny;
  std::string name;                  // full name of a named type (record, enum, fixed)
  std::vector<std::string> aliases;  // full names
  std::string type_name;             // as the format spells it: "long", "integer", "sint64"
  int bits = 0;

  // kRecord
  std::vector<Field> fields;
  bool open = false;           // a writer may write members not in `fields`…
  NodeId extra = -1;           // …valid under this schema (-1: any value)
  bool skips_unknown = false;  // a reader ignores members it does not know (Avro, Protobuf)

  // kArray (items), kMap (values)
  NodeId items = -1;
  NodeId keys = -1;  // kMap: the key schema where keys are typed (Protobuf map<K, V>; -1: strings)
  std::vector<NodeId> prefix;  // JSON Schema tuples (prefixItems / items: [..])

  // kEnum
  std::vector<std::string> symbols;
  std::optional<std::string> enum_default;
  // Protobuf: the number of each symbol (parallel to `symbols`). The wire carries numbers, not
  // names, so Protobuf enums are compared by number and names matter for JSON only.
  std::vector<int> symbol_numbers;

  // Protobuf messages and enums: the numbers (inclusive ranges) and names declared `reserved`,
  // which keep a later version from reusing a deleted field's number or name.
  std::vector<std::pair<int, int>> reserved_numbers;
  std::vector<std::string> reserved_names;

  // kUnion
  std::vector<NodeId> branches;

  // Constraints: enum/const (canonical JSON texts), bounds, fixed size, Avro logical types.
  std::optional<std::vector<std::string>> allowed;
  Bounds bounds;
  uint64_t size = 0;
  std::string logical;
  // Keywords tandem cannot reason about (JSON Schema `not`, `if`, `patternProperties`, …), as
  // canonical JSON: two schemas are only judged when these are equal.
  std::string opaque;

  Location at;
  std::vector<std::string> ignore;
};

struct Schema {
  Format format = Format::kJsonSchema;
  std::string file;
  std::vector<Node> nodes;
  NodeId root = -1;

  const Node& node(NodeId id) const { return nodes[static_cast<size_t>(id)]; }
  NodeId add(Node n) {
    nodes.push_back(std::move(n));
    return static_cast<NodeId>(nodes.size() - 1);
  }
};

// "long", "record com.acme.Order", "array of string", "union of null, string", "any value".
std::string describe(const Schema& schema, NodeId id);
std::string describe(const Schema& schema, const Node& node);

// A kind's name in messages: "integer", "record", …
const char* kind_name(Kind kind);

}  // namespace tandem::compat
