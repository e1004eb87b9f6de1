// type-changed / type-narrowed / type-widened: the reader's type cannot hold (or holds more
// than) what the writer's type wrote.

#include <fmt/format.h>

#include <optional>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {
namespace {

enum class Verdict { kSame, kWidened, kNarrowed, kChanged };

// Avro's promotions (the specification's schema resolution): int → long, float, double;
// long → float, double; float → double; string ↔ bytes.
Verdict avro(const Node& r, const Node& w) {
  const std::string& rt = r.type_name;
  const std::string& wt = w.type_name;
  if (rt.empty() || wt.empty()) return r.kind == w.kind ? Verdict::kSame : Verdict::kChanged;
  if (rt == wt) return Verdict::kSame;
  auto in = [](const std::string& t, std::initializer_list<const char*> set) {
    for (const char* s : set)
      if (t == s) return true;
    return false;
  };
  if (wt == "int" && in(rt, {"long", "float", "double"})) return Verdict::kWidened;
  if (wt == "long" && in(rt, {"float", "double"})) return Verdict::kWidened;
  if (wt == "float" && rt == "double") return Verdict::kWidened;
  if ((wt == "string" && rt == "bytes") || (wt == "bytes" && rt == "string"))
    return Verdict::kWidened;
  bool numeric_r = in(rt, {"int", "long", "float", "double"});
  bool numeric_w = in(wt, {"int", "long", "float", "double"});
  return numeric_r && numeric_w ? Verdict::kNarrowed : Verdict::kChanged;
}

// JSON values: integers are numbers; widths (Protobuf's, OpenAPI's formats) narrow.
Verdict json(const Node& r, const Node& w) {
  bool r_num = r.kind == Kind::kInteger || r.kind == Kind::kNumber;
  bool w_num = w.kind == Kind::kInteger || w.kind == Kind::kNumber;
  if (r_num && w_num) {
    if (r.kind == Kind::kInteger && w.kind == Kind::kNumber) return Verdict::kNarrowed;
    if (r.bits != 0 && (w.bits == 0 || w.bits > r.bits)) return Verdict::kNarrowed;
    if (r.kind == Kind::kNumber && w.kind == Kind::kInteger) return Verdict::kWidened;
    if (r.bits != w.bits) return Verdict::kWidened;
    return Verdict::kSame;
  }
  return r.kind == w.kind ? Verdict::kSame : Verdict::kChanged;
}

// Protobuf: what the wire format lets one type read of another's encoding. Values of one wire
// group decode in each other's reader, possibly truncated or reinterpreted:
//   varint   int32 uint32 int64 uint64 bool (and enums): the same number when it fits the
//            reader's range, else truncated or sign-flipped — widened when every writer value
//            fits, else narrowed;
//   zigzag   sint32 sint64 (a plain varint reader would read zigzag as garbage: changed);
//   fixed32  fixed32 sfixed32, fixed64 sfixed64: same size, another sign — narrowed both ways;
//   length   string ← bytes only when the bytes are UTF-8 (narrowed), bytes ← string (widened),
//            bytes ← an embedded message's encoding (widened).
// A singular field read by a repeated one is a one-element list (widened); repeated values read
// by a singular field keep only the last (narrowed). Anything else is another wire type or the
// same wire type with another meaning (float ← fixed32): changed.
struct Range {
  __int128 lo, hi;
};

std::optional<Range> varint_range(const Node& n) {
  constexpr __int128 k31 = static_cast<__int128>(1) << 31, k32 = static_cast<__int128>(1) << 32;
  constexpr __int128 k63 = static_cast<__int128>(1) << 63, k64 = static_cast<__int128>(1) << 64;
  if (n.kind == Kind::kEnum) return Range{-k31, k31 - 1};  // enum numbers are int32
  const std::string& t = n.type_name;
  if (t == "bool") return Range{0, 1};
  if (t == "int32") return Range{-k31, k31 - 1};
  if (t == "uint32") return Range{0, k32 - 1};
  if (t == "int64") return Range{-k63, k63 - 1};
  if (t == "uint64") return Range{0, k64 - 1};
  return std::nullopt;
}

Verdict protobuf(const Node& r, const Node& wr) {
  if (r.kind == Kind::kArray && wr.kind != Kind::kArray) {
    // The walker then compares the reader's items with the writer's single value.
    return Verdict::kWidened;
  }
  if (wr.kind == Kind::kArray && r.kind != Kind::kArray) return Verdict::kNarrowed;
  if (r.kind == wr.kind && (r.kind == Kind::kArray || r.kind == Kind::kMap ||
                            r.kind == Kind::kRecord || r.kind == Kind::kEnum))
    return Verdict::kSame;  // the walker compares their items, fields and values
  if (r.type_name == wr.type_name && r.kind == wr.kind) return Verdict::kSame;
  auto rv = varint_range(r), wv = varint_range(wr);
  if (rv && wv) {
    // An int written into an enum may be a number the enum does not declare.
    if (r.kind == Kind::kEnum && wr.kind != Kind::kEnum) return Verdict::kNarrowed;
    return rv->lo <= wv->lo && wv->hi <= rv->hi ? Verdict::kWidened : Verdict::kNarrowed;
  }
  auto is = [](const Node& n, const char* a, const char* b) {
    return n.type_name == a || n.type_name == b;
  };
  if (is(r, "sint32", "sint64") && is(wr, "sint32", "sint64"))
    return r.type_name == "sint64" ? Verdict::kWidened : Verdict::kNarrowed;
  if ((is(r, "fixed32", "sfixed32") && is(wr, "fixed32", "sfixed32")) ||
      (is(r, "fixed64", "sfixed64") && is(wr, "fixed64", "sfixed64")))
    return Verdict::kNarrowed;
  if (r.kind == Kind::kBytes && (wr.kind == Kind::kString || wr.kind == Kind::kRecord))
    return Verdict::kWidened;
  if (wr.kind == Kind::kBytes && (r.kind == Kind::kString || r.kind == Kind::kRecord))
    return Verdict::kNarrowed;
  return Verdict::kChanged;
}

// Protobuf's JSON mapping: which JSON a type is written as. A reader parses only its own
// family — except that enum and float readers also accept plain numbers.
enum class JsonFamily { kArray, kObject, kBool, kInteger, kFloat, kEnum, kString, kBytes, kOther };

JsonFamily json_family(const Node& n) {
  switch (n.kind) {
    case Kind::kArray:
      return JsonFamily::kArray;
    case Kind::kMap:
    case Kind::kRecord:
      return JsonFamily::kObject;
    case Kind::kEnum:
      return JsonFamily::kEnum;
    case Kind::kBytes:
      return JsonFamily::kBytes;
    case Kind::kString:
      return JsonFamily::kString;
    default:
      break;
  }
  if (n.type_name == "bool") return JsonFamily::kBool;
  if (n.type_name == "float" || n.type_name == "double") return JsonFamily::kFloat;
  if (varint_range(n) || n.type_name.find("fixed") != std::string::npos ||
      n.type_name.rfind("sint", 0) == 0)
    return JsonFamily::kInteger;
  return JsonFamily::kOther;
}

bool json_reads(const Node& r, const Node& wr) {
  JsonFamily rf = json_family(r), wf = json_family(wr);
  if (rf == wf) return true;
  if (wf == JsonFamily::kInteger && (rf == JsonFamily::kEnum || rf == JsonFamily::kFloat))
    return true;
  return false;
}

}  // namespace

const std::vector<RuleInfo> kTypeChanged = {
    {"type-changed", Level::kError,
     "a value's type changed to one that cannot read the other side's values"},
    {"type-narrowed", Level::kError,
     "a number's type narrowed (long → int, number → integer): some written values do not fit"},
    {"type-widened", Level::kInfo,
     "a number's or string's type widened (int → long, string → bytes): every value still reads"},
    {"json-type-changed", Level::kError,
     "Protobuf (WIRE_JSON): the binary encoding still reads, but the JSON mapping writes another "
     "JSON type (bool ↔ integer, enum → integer, string ↔ bytes, message ↔ bytes, singular ↔ "
     "repeated)"},
};

bool type_changed(Walker& w, const Node& r, const Node& wr) {
  Verdict v = w.format() == Format::kAvro       ? avro(r, wr)
              : w.format() == Format::kProtobuf ? protobuf(r, wr)
                                                : json(r, wr);
  std::string rd = describe(w.reader(), r);
  std::string wd = describe(w.writer(), wr);
  switch (v) {
    case Verdict::kSame:
      return true;
    case Verdict::kWidened:
      if (w.format() == Format::kProtobuf && !json_reads(r, wr)) {
        w.report("json-type-changed", Level::kError, &r.at, &wr.at,
                 fmt::format("{} is {} in the {} schema and {} in the {} one: the binary "
                             "encoding reads, but the JSON written for {} is refused by a reader "
                             "of {}; keep the type where JSON is used (gRPC-Gateway, Connect, "
                             "protojson)",
                             w.where(), wd, w.writer_side(), rd, w.reader_side(), wd, rd),
                 "WIRE_JSON");
        return true;
      }
      w.report("type-widened", Level::kInfo, &r.at, &wr.at,
               fmt::format("{} is {} in the {} schema and {} in the {} one: every value still "
                           "reads",
                           w.where(), wd, w.writer_side(), rd, w.reader_side()));
      return true;
    case Verdict::kNarrowed:
      w.report(
          "type-narrowed", Level::kError, &r.at, &wr.at,
          fmt::format("{} is {} in the {} schema but {} in the {} one: a {} reader cannot "
                      "hold every {} value; keep the wider type, or add a field of the "
                      "new type beside the old one and migrate readers first",
                      w.where(), wd, w.writer_side(), rd, w.reader_side(), w.reader_side(), wd));
      return false;
    case Verdict::kChanged:
      break;
  }
  w.report("type-changed", Level::kError, &r.at, &wr.at,
           fmt::format("{} is {} in the {} schema but {} in the {} one: a {} reader cannot "
                       "read the {} values; keep the type, or add a new field with the new type "
                       "(expand), move readers to it, then stop writing the old one (contract)",
                       w.where(), wd, w.writer_side(), rd, w.reader_side(), w.reader_side(),
                       w.writer_side()));
  return false;
}

void type_not_in_union(Walker& w, const Node& r, const Node& wr) {
  w.report("type-changed", Level::kError, &r.at, &wr.at,
           fmt::format("{} is {} in the {} schema, and none of the branches of the {} schema's "
                       "{} reads it: a {} reader cannot read the {} values; keep a branch of "
                       "the old type",
                       w.where(), describe(w.writer(), wr), w.writer_side(), w.reader_side(),
                       describe(w.reader(), r), w.reader_side(), w.writer_side()));
}

}  // namespace tandem::compat::checks
