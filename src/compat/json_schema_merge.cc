// allOf as one schema (compat/json_schema_merge.h).

#include "compat/json_schema_merge.h"

#include <algorithm>

namespace tandem::compat {
namespace {

void tighten(Bounds& a, const Bounds& b) {
  auto max_of = [](auto& x, const auto& y) {
    if (y && (!x || *y > *x)) x = y;
  };
  auto min_of = [](auto& x, const auto& y) {
    if (y && (!x || *y < *x)) x = y;
  };
  max_of(a.minimum, b.minimum);
  min_of(a.maximum, b.maximum);
  max_of(a.exclusive_minimum, b.exclusive_minimum);
  min_of(a.exclusive_maximum, b.exclusive_maximum);
  if (!a.multiple_of) a.multiple_of = b.multiple_of;
  max_of(a.min_length, b.min_length);
  min_of(a.max_length, b.max_length);
  max_of(a.min_items, b.min_items);
  min_of(a.max_items, b.max_items);
  max_of(a.min_properties, b.min_properties);
  min_of(a.max_properties, b.max_properties);
  if (!a.pattern) a.pattern = b.pattern;
  if (!a.format) a.format = b.format;
  a.unique_items = a.unique_items || b.unique_items;
}

}  // namespace

// A node accepting what both `a` and `b` accept (as far as the model can say).
NodeId intersect(Schema& schema, NodeId a, NodeId b, int depth, const std::set<NodeId>& building) {
  const Node A = schema.node(a);
  const Node B = schema.node(b);
  if (depth > 16 || building.count(a) || building.count(b)) {
    // Deep or recursive: keep one side and mark the other as text to compare.
    Node n = A;
    n.opaque += "{\"allOf-with\":\"" + B.at.pointer + "\"}";
    return schema.add(std::move(n));
  }
  if (A.kind == Kind::kAny && !A.allowed && A.opaque.empty()) return b;
  if (B.kind == Kind::kAny && !B.allowed && B.opaque.empty()) return a;
  if (A.kind == Kind::kUnion || B.kind == Kind::kUnion) {
    const Node& U = A.kind == Kind::kUnion ? A : B;
    NodeId other = A.kind == Kind::kUnion ? b : a;
    Node n;
    n.kind = Kind::kUnion;
    n.at = U.at;
    for (NodeId br : U.branches)
      n.branches.push_back(intersect(schema, br, other, depth + 1, building));
    return schema.add(std::move(n));
  }
  Node n = A;
  if (A.kind == Kind::kAny) n.kind = B.kind;
  bool numeric = (n.kind == Kind::kInteger || n.kind == Kind::kNumber) &&
                 (B.kind == Kind::kInteger || B.kind == Kind::kNumber);
  if (B.kind != Kind::kAny && n.kind != B.kind && !numeric) {
    n.kind = Kind::kNothing;
    return schema.add(std::move(n));
  }
  if (numeric && B.kind == Kind::kInteger) n.kind = Kind::kInteger;
  n.type_name = kind_name(n.kind);
  if (B.allowed) {
    if (!n.allowed) {
      n.allowed = B.allowed;
    } else {
      std::vector<std::string> both;
      for (const std::string& x : *n.allowed)
        if (std::find(B.allowed->begin(), B.allowed->end(), x) != B.allowed->end())
          both.push_back(x);
      n.allowed = both;
    }
  }
  n.opaque += B.opaque;
  tighten(n.bounds, B.bounds);
  if (n.kind == Kind::kRecord) {
    for (const Field& bf : B.fields) {
      auto it = std::find_if(n.fields.begin(), n.fields.end(),
                             [&](const Field& f) { return f.name == bf.name; });
      if (it == n.fields.end()) {
        n.fields.push_back(bf);
      } else {
        it->written = it->written || bf.written;
        it->needed = it->needed || bf.needed;
        if (it->type != bf.type)
          it->type = intersect(schema, it->type, bf.type, depth + 1, building);
      }
    }
    bool a_open = A.kind == Kind::kAny || A.open;
    bool b_open = B.kind == Kind::kAny || B.open;
    n.open = a_open && b_open;
    if (n.open && A.extra >= 0 && B.extra >= 0)
      n.extra = intersect(schema, A.extra, B.extra, depth + 1, building);
    else if (n.open && B.extra >= 0)
      n.extra = B.extra;
  }
  if (n.kind == Kind::kArray && B.kind == Kind::kArray) {
    if (A.items >= 0 && B.items >= 0)
      n.items = intersect(schema, A.items, B.items, depth + 1, building);
    if (n.prefix.empty()) n.prefix = B.prefix;
  }
  return schema.add(std::move(n));
}

}  // namespace tandem::compat
