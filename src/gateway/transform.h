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

#include "tandem/gateway.h"
#include "tandem/status.h"

namespace tandem::gateway {

// kUp: a request from an old version on its way to head (operations in declared order).
// kDown: a response from head on its way back to an old version (inverse operations, in
// reverse order).
enum class Direction { kUp, kDown };

// One field operation as the config declares it (tandem/gateway.h FieldOp): paths are
// dotted, relative to the located object, and reach into arrays with `[]` ("total",
// "customer.name", "items[].price").
using FieldOpSpec = FieldOp;

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
  // Several changes at the same location as one transform, `chain` oldest first: one walk
  // over the body runs every change's operations on each located object (kUp: first change
  // to last; kDown: the inverses, last change to first). The same output as applying the
  // changes one after the other, at the cost of one walk instead of one per change.
  static Result<std::unique_ptr<ChangeTransform>> compile_chain(
      std::string_view location, const std::vector<const std::vector<FieldOpSpec>*>& chain);
  // The same from transforms compiled already (by compile(), at `location`): their
  // operations are shared, not compiled again (jq programs take milliseconds to compile), so
  // `parts` must outlive the chain and be used on the same thread.
  static Result<std::unique_ptr<ChangeTransform>> chain(std::string_view location,
                                                        const std::vector<ChangeTransform*>& parts);

  // Rewrites the JSON text `in` into `out` (replacing out's content). A location or field
  // the body does not have is left as it is. Errors are InvalidInput with a message that is
  // safe to show to the client that sent the body (no internal detail): not JSON, invalid
  // UTF-8, nesting too deep, a duplicate key an operation would touch, a jq program that
  // failed or produced no value.
  virtual Status apply(std::string_view in, Direction direction, std::string& out) = 0;
};

}  // namespace tandem::gateway
