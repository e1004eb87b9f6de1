// Avro's binary encoding (the specification, "Binary Encoding") decoded into values in Avro's
// JSON encoding (compat/readers.h decode_avro_binary). Every length and index is checked
// against what is left: hostile bytes end in an error with the offset, never a crash or a huge
// allocation.

#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include "compat/readers.h"

namespace tandem::compat {
namespace {

using json = nlohmann::json;

class Decoder {
 public:
  Decoder(const Schema& s, std::string_view bytes) : s_(s), b_(bytes) {}

  bool done() const { return pos_ >= b_.size(); }

  Result<json> value(NodeId id, int depth) {
    if (depth > kMaxDepth) return fail("values nest too deeply");
    const Node& n = s_.node(id);
    switch (n.kind) {
      case Kind::kNull:
        return json(nullptr);
      case Kind::kBoolean: {
        if (pos_ >= b_.size()) return fail("the data ends inside a boolean");
        unsigned char c = static_cast<unsigned char>(b_[pos_++]);
        if (c > 1) return fail("a boolean byte is 0 or 1");
        return json(c == 1);
      }
      case Kind::kInteger: {
        auto v = varint();
        if (!v.ok()) return v.status();
        if (n.bits == 32 && (*v < INT32_MIN || *v > INT32_MAX)) return fail("an int out of range");
        return json(*v);
      }
      case Kind::kNumber: {
        size_t size = n.bits == 32 ? 4 : 8;
        if (b_.size() - pos_ < size) return fail("the data ends inside a float");
        double d;
        if (size == 4) {
          float f;
          std::memcpy(&f, b_.data() + pos_, 4);  // little-endian, as x86 and ARM Linux are
          d = f;
        } else {
          std::memcpy(&d, b_.data() + pos_, 8);
        }
        pos_ += size;
        if (std::isnan(d) || std::isinf(d)) {
          // NaN and the infinities have no JSON number: the 1.12 JSON encoding's strings.
          return json(std::isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
        }
        return json(d);
      }
      case Kind::kString:
      case Kind::kBytes: {
        auto len = length();
        if (!len.ok()) return len.status();
        std::string_view raw = b_.substr(pos_, *len);
        pos_ += *len;
        return n.kind == Kind::kString ? json(std::string(raw)) : json(latin1(raw));
      }
      case Kind::kFixed: {
        if (b_.size() - pos_ < n.size) return fail("the data ends inside a fixed");
        std::string_view raw = b_.substr(pos_, n.size);
        pos_ += n.size;
        return json(latin1(raw));
      }
      case Kind::kEnum: {
        auto i = varint();
        if (!i.ok()) return i.status();
        if (*i < 0 || static_cast<size_t>(*i) >= n.symbols.size())
          return fail(fmt::format("enum index {} is not a symbol of {}", *i, n.name));
        return json(n.symbols[static_cast<size_t>(*i)]);
      }
      case Kind::kArray:
      case Kind::kMap: {
        json out = n.kind == Kind::kArray ? json::array() : json::object();
        for (;;) {
          auto count = varint();
          if (!count.ok()) return count.status();
          if (*count == 0) break;
          long long items = *count;
          if (items < 0) {
            items = -items;  // a block with its size in bytes, which is not needed here
            auto bytes = varint();
            if (!bytes.ok()) return bytes.status();
          }
          // Each item takes at least one byte unless it is null: a count beyond the bytes left
          // is a lie, not a reason to allocate.
          if (static_cast<unsigned long long>(items) > b_.size() - pos_ + 1 &&
              s_.node(n.items).kind != Kind::kNull)
            return fail("a block count larger than the data");
          for (long long i = 0; i < items; ++i) {
            std::string key;
            if (n.kind == Kind::kMap) {
              auto len = length();
              if (!len.ok()) return len.status();
              key.assign(b_.substr(pos_, *len));
              pos_ += *len;
            }
            auto item = value(n.items, depth + 1);
            if (!item.ok()) return item;
            if (n.kind == Kind::kArray) {
              out.push_back(std::move(*item));
            } else {
              out[key] = std::move(*item);
            }
            if (out.size() > 10'000'000) return fail("more than 10,000,000 items");
          }
        }
        return out;
      }
      case Kind::kUnion: {
        auto i = varint();
        if (!i.ok()) return i.status();
        if (*i < 0 || static_cast<size_t>(*i) >= n.branches.size())
          return fail(fmt::format("union index {} of {} branches", *i, n.branches.size()));
        NodeId b = n.branches[static_cast<size_t>(*i)];
        const Node& bn = s_.node(b);
        auto inner = value(b, depth + 1);
        if (!inner.ok()) return inner;
        if (bn.kind == Kind::kNull) return json(nullptr);
        std::string name = !bn.name.empty()          ? bn.name
                           : bn.kind == Kind::kArray ? "array"
                           : bn.kind == Kind::kMap   ? "map"
                                                     : bn.type_name;
        return json{{name, std::move(*inner)}};
      }
      case Kind::kRecord: {
        json out = json::object();
        for (const Field& f : n.fields) {
          auto v = value(f.type, depth + 1);
          if (!v.ok()) return v;
          out[f.name] = std::move(*v);
        }
        return out;
      }
      default:
        return fail("a type that has no binary encoding");
    }
  }

 private:
  Status fail(const std::string& what) const {
    return Status::InvalidInput(fmt::format("byte {}: {}", pos_, what),
                                "the data must be datums written with the writer's schema, "
                                "without a container file's header");
  }

  // A zigzag varint (int and long alike), at most 10 bytes.
  Result<long long> varint() {
    unsigned long long u = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos_ >= b_.size()) return fail("the data ends inside a number");
      unsigned char c = static_cast<unsigned char>(b_[pos_++]);
      if (shift == 63 && (c & 0x7e)) return fail("a number longer than 64 bits");
      u |= static_cast<unsigned long long>(c & 0x7f) << shift;
      if ((c & 0x80) == 0) return static_cast<long long>((u >> 1) ^ (~(u & 1) + 1));
    }
    return fail("a number longer than 10 bytes");
  }

  Result<size_t> length() {
    auto len = varint();
    if (!len.ok()) return len.status();
    if (*len < 0 || static_cast<unsigned long long>(*len) > b_.size() - pos_)
      return fail(fmt::format("a length of {} with {} bytes left", *len, b_.size() - pos_));
    return static_cast<size_t>(*len);
  }

  // Avro's JSON encoding writes bytes as the code points U+0000–U+00FF.
  static std::string latin1(std::string_view raw) {
    std::string out;
    out.reserve(raw.size() * 2);
    for (char ch : raw) {
      unsigned char c = static_cast<unsigned char>(ch);
      if (c < 0x80) {
        out += static_cast<char>(c);
      } else {
        out += static_cast<char>(0xc0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3f));
      }
    }
    return out;
  }

  const Schema& s_;
  std::string_view b_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::vector<json>> decode_avro_binary(const Schema& schema, std::string_view bytes) {
  Decoder d(schema, bytes);
  std::vector<json> out;
  do {
    auto v = d.value(schema.root, 0);
    if (!v.ok()) return v.status();
    out.push_back(std::move(*v));
  } while (!d.done());
  return out;
}

}  // namespace tandem::compat
