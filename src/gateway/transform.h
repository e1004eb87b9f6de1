#pragma once
// Version-change transforms on JSON bodies: the field operations of one change, applied to the
// objects a route's body holds at one location, in either direction. Only what an operation
// touches is rewritten; everything else is copied from the input as raw bytes (simdjson
// On-Demand), so a transform costs about one pass over the body.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tandem/status.h"

namespace tandem::gateway {

// kUp: a request from an old version on its way to head (operations in declared order).
// kDown: a response from head on its way back to an old version (inverse operations, in
// reverse order).
enum class Direction { kUp, kDown };

// One field operation as the config declares it (ARCHITECTURE.md "API versions").
// Paths are dotted, relative to the located object, and reach into arrays with `[]`
// ("total", "customer.name", "items[].price").
struct FieldOpSpec {
  enum class Kind { kRename, kConvert, kAdd, kRemove, kEnum, kMove };
  Kind kind = Kind::kRename;
  std::string field;         // convert, add, remove, enum: the field
  std::string from;          // rename, move: the old version's name / path
  std::string to;            // rename, move: head's name / path
  std::string up;            // convert: jq program run on the value, old -> head
  std::string down;          // convert: jq program run on the value, head -> old
  std::string default_json;  // add, remove: the value as JSON text ("\"USD\"", "null", "0")
  // enum: pairs of (old value, head value), each as JSON text ("\"paid\"", "\"settled\"").
  std::vector<std::pair<std::string, std::string>> enum_map;
  int line = 0;  // where the config declares it (messages)
};

// The compiled operations of one change at one location of a body. Holds compiled jq
// programs, so it is not thread-safe: every worker thread compiles its own.
class ChangeTransform {
 public:
  virtual ~ChangeTransform() = default;

  // `location` is where the changed objects sit in the body: "." (the body itself),
  // "data[]" (every element of the array `data`), "data[].lines[]", "order". Errors
  // (InvalidInput, naming the op's line): a bad path or a jq program that does not compile.
  static Result<std::unique_ptr<ChangeTransform>> compile(std::string_view location,
                                                          const std::vector<FieldOpSpec>& ops);

  // Rewrites the JSON text `in` into `out` (replacing out's content). A location or field
  // the body does not have is left as it is. Errors are InvalidInput with a message that is
  // safe to show to the client that sent the body (no internal detail): not JSON, invalid
  // UTF-8, nesting too deep, a duplicate key an operation would touch, a jq program that
  // failed or produced no value.
  virtual Status apply(std::string_view in, Direction direction, std::string& out) = 0;
};

}  // namespace tandem::gateway
