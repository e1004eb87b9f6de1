#pragma once
// A schema file as a tree of JSON values that remember where they were written: Avro, JSON
// Schema and OpenAPI files are JSON or YAML, and every finding and every input error names a
// file and a line. JSON is read by nlohmann's SAX parser (positions tracked on the input), YAML
// by yaml-cpp (its marks).

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tandem/status.h"

namespace tandem::compat {

struct Value {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string text;  // a string's value; a number as written
  std::vector<Value> items;
  std::vector<std::pair<std::string, Value>> members;  // in file order, no duplicate keys
  int line = 0;                                        // 1-based
  int column = 0;

  bool is_object() const { return kind == Kind::kObject; }
  bool is_array() const { return kind == Kind::kArray; }
  bool is_string() const { return kind == Kind::kString; }
  // The member named `key`, or nullptr (also when this is not an object).
  const Value* find(std::string_view key) const;
  nlohmann::json to_json() const;
};

struct Document {
  std::string file;  // as shown to the user
  Value root;
};

// Values nested deeper than this are refused (a hostile file must not exhaust the stack).
inline constexpr int kMaxDepth = 200;
// A schema file larger than this is refused before it is read.
inline constexpr size_t kMaxDocumentBytes = 64 * 1024 * 1024;

// Parses `text` as JSON when it starts (after blanks) with `{` or `[`, else as YAML. Errors are
// InvalidInput "FILE:LINE:COL: what" with a hint; duplicate keys are errors (which one would a
// reader take?).
Result<Document> parse_document(std::string_view text, const std::string& file);

// Reads and parses a file.
Result<Document> read_document(const std::string& path);

// "FILE:LINE: message" as an InvalidInput status, `line` 0 leaves it out.
Status input_error(const std::string& file, int line, const std::string& message,
                   std::string hint = {});

// The rule ids an `"x-tandem-ignore": "id"` or `["id", …]` member of `v` silences.
std::vector<std::string> x_tandem_ignore(const Value& v);

// RFC 6901: "/" + each token with "~" → "~0" and "/" → "~1".
std::string pointer_append(const std::string& pointer, std::string_view token);

// One token of a JSON Pointer or a $ref fragment: "~1" → "/", "~0" → "~", "%7B" → "{".
std::string unescape_pointer_token(const std::string& token);

// The value at a JSON Pointer ("" = the root), or nullptr.
const Value* resolve_pointer(const Value& root, const std::string& pointer);

}  // namespace tandem::compat
