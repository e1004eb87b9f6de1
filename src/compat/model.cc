// Node descriptions for messages (compat/model.h).

#include "compat/model.h"

#include <fmt/format.h>

namespace tandem::compat {
namespace {

std::string describe(const Schema& s, const Node& n, int depth) {
  if (depth > 3) return kind_name(n.kind);
  auto sub = [&](NodeId id) {
    return id < 0 ? std::string("any value") : describe(s, s.node(id), depth + 1);
  };
  switch (n.kind) {
    case Kind::kRecord:
      return n.name.empty() ? "an object" : "record " + n.name;
    case Kind::kEnum:
      return "enum " + n.name;
    case Kind::kFixed:
      return fmt::format("fixed {} ({} bytes)", n.name, n.size);
    case Kind::kArray:
      return "array of " + sub(n.items);
    case Kind::kMap:
      return "map of " + sub(n.items);
    case Kind::kUnion: {
      std::string out = "union of ";
      for (size_t i = 0; i < n.branches.size(); ++i)
        out += (i ? ", " : "") + describe(s, s.node(n.branches[i]), depth + 1);
      return out;
    }
    default:
      break;
  }
  std::string base = n.type_name.empty() ? kind_name(n.kind) : n.type_name;
  if (!n.logical.empty()) base += " (" + n.logical + ")";
  return base;
}

}  // namespace

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kAny:
      return "any value";
    case Kind::kNothing:
      return "no value";
    case Kind::kNull:
      return "null";
    case Kind::kBoolean:
      return "boolean";
    case Kind::kInteger:
      return "integer";
    case Kind::kNumber:
      return "number";
    case Kind::kString:
      return "string";
    case Kind::kBytes:
      return "bytes";
    case Kind::kRecord:
      return "record";
    case Kind::kArray:
      return "array";
    case Kind::kMap:
      return "map";
    case Kind::kEnum:
      return "enum";
    case Kind::kFixed:
      return "fixed";
    case Kind::kUnion:
      return "union";
  }
  return "value";
}

std::string describe(const Schema& schema, const Node& node) { return describe(schema, node, 0); }

std::string describe(const Schema& schema, NodeId id) {
  return id < 0 ? std::string("any value") : describe(schema, schema.node(id), 0);
}

}  // namespace tandem::compat
