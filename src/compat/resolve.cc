// Reading old and new messages: a value written with one schema, as a reader with another sees
// it (tandem/compat.h Resolver). Avro: the specification's schema resolution applied to values
// in Avro's JSON encoding (or its binary encoding, compat/avro_binary.cc) — fields matched by
// name or alias, defaults for missing ones, promotions, union branches chosen as the
// specification says, enum defaults. JSON Schema: the reader's defaults filled in.

#include <fmt/format.h>

#include <algorithm>

#include "compat/document.h"
#include "compat/readers.h"
#include "compat/walker.h"
#include "tandem/compat.h"

namespace tandem::compat {
namespace {

using json = nlohmann::json;

// The name a union branch has in Avro's JSON encoding: {"long": 5}, {"com.acme.Order": {…}}.
std::string branch_name(const Node& n) {
  if (!n.name.empty()) return n.name;
  if (n.kind == Kind::kArray) return "array";
  if (n.kind == Kind::kMap) return "map";
  return n.type_name;
}

std::string unqualified(const std::string& s) {
  size_t dot = s.rfind('.');
  return dot == std::string::npos ? s : s.substr(dot + 1);
}

class AvroValueResolver {
 public:
  AvroValueResolver(const Schema& writer, const Schema& reader)
      : writer_(writer), reader_(reader), walker_(reader, writer, true) {}

  Result<json> resolve(NodeId r, NodeId w, const json& v, const std::string& at, int depth) {
    if (depth > kMaxDepth) return fail(at, "the value nests too deeply");
    const Node& W = writer_.node(w);
    const Node& R = reader_.node(r);
    if (W.kind == Kind::kUnion) {
      // The writer's branch: null, or {"<branch>": value}.
      NodeId wb = -1;
      json inner;
      if (v.is_null()) {
        for (NodeId b : W.branches)
          if (writer_.node(b).kind == Kind::kNull) wb = b;
        if (wb < 0) return fail(at, "null, but the writer's union has no null branch");
      } else if (v.is_object() && v.size() == 1) {
        const std::string& name = v.begin().key();
        for (NodeId b : W.branches) {
          std::string bn = branch_name(writer_.node(b));
          if (bn == name || unqualified(bn) == name) wb = b;
        }
        if (wb < 0) return fail(at, fmt::format("the writer's union has no branch \"{}\"", name));
        inner = v.begin().value();
      } else {
        return fail(at, "a union value is null or {\"<branch type>\": value}");
      }
      return resolve(r, wb, inner, at, depth + 1);
    }
    if (R.kind == Kind::kUnion) {
      // The first reader branch that reads the writer's type, as the specification says.
      for (NodeId rb : R.branches) {
        if (!walker_.readable(rb, w)) continue;
        auto out = resolve(rb, w, v, at, depth + 1);
        if (!out.ok()) return out;
        const Node& B = reader_.node(rb);
        if (B.kind == Kind::kNull) return json(nullptr);
        return json{{branch_name(B), std::move(*out)}};
      }
      return fail(at, fmt::format("no branch of the reader's union reads the writer's {}",
                                  describe(writer_, w)));
    }
    switch (W.kind) {
      case Kind::kNull:
        if (!v.is_null()) return fail(at, "expected null");
        if (R.kind != Kind::kNull)
          return fail(at, fmt::format("the reader's {} cannot read null", describe(reader_, r)));
        return json(nullptr);
      case Kind::kBoolean:
        if (!v.is_boolean()) return fail(at, "expected a boolean");
        if (R.kind != Kind::kBoolean)
          return fail(at,
                      fmt::format("the reader's {} cannot read a boolean", describe(reader_, r)));
        return v;
      case Kind::kInteger:
        if (!v.is_number_integer()) return fail(at, fmt::format("expected an {}", W.type_name));
        if (W.bits == 32 && (v.get<long long>() < INT32_MIN || v.get<long long>() > INT32_MAX))
          return fail(at, "the int is out of range");
        // Avro promotes, never narrows: a long is not read as an int, whatever its value.
        if (R.kind == Kind::kInteger && R.bits != 0 && R.bits < W.bits)
          return fail(at,
                      fmt::format("the reader's {} cannot read a {}", R.type_name, W.type_name));
        return promote(R, v, at);
      case Kind::kNumber:
        if (v.is_string() && (v == "NaN" || v == "Infinity" || v == "-Infinity") &&
            R.kind == Kind::kNumber)
          return v;  // the JSON encoding's non-finite floats (Avro 1.12)
        if (!v.is_number()) return fail(at, fmt::format("expected a {}", W.type_name));
        if (R.kind != Kind::kNumber || (R.bits != 0 && R.bits < W.bits))
          return fail(at, fmt::format("the reader's {} cannot read a {}", describe(reader_, r),
                                      W.type_name));
        return json(v.get<double>());
      case Kind::kString:
      case Kind::kBytes:
        if (!v.is_string()) return fail(at, fmt::format("expected {} (a string)", W.type_name));
        if (R.kind != Kind::kString && R.kind != Kind::kBytes)
          return fail(at, fmt::format("the reader's {} cannot read a {}", describe(reader_, r),
                                      W.type_name));
        return v;
      case Kind::kFixed:
        if (!v.is_string()) return fail(at, "expected a fixed (a string)");
        if (R.kind != Kind::kFixed || R.size != W.size)
          return fail(at, "the reader's type does not read this fixed");
        return v;
      case Kind::kEnum: {
        if (!v.is_string() ||
            std::find(W.symbols.begin(), W.symbols.end(), v.get<std::string>()) == W.symbols.end())
          return fail(at, fmt::format("expected a symbol of the enum {}", W.name));
        if (R.kind != Kind::kEnum) return fail(at, "the reader's type does not read an enum");
        const std::string& s = v.get_ref<const std::string&>();
        if (std::find(R.symbols.begin(), R.symbols.end(), s) != R.symbols.end()) return v;
        if (R.enum_default) return json(*R.enum_default);
        return fail(at,
                    fmt::format("the reader's enum {} has no symbol {} and no default", R.name, s));
      }
      case Kind::kArray: {
        if (!v.is_array()) return fail(at, "expected an array");
        if (R.kind != Kind::kArray) return fail(at, "the reader's type does not read an array");
        json out = json::array();
        for (size_t i = 0; i < v.size(); ++i) {
          auto item =
              resolve(R.items, W.items, v[i], pointer_append(at, std::to_string(i)), depth + 1);
          if (!item.ok()) return item;
          out.push_back(std::move(*item));
        }
        return out;
      }
      case Kind::kMap: {
        if (!v.is_object()) return fail(at, "expected a map (an object)");
        if (R.kind != Kind::kMap) return fail(at, "the reader's type does not read a map");
        json out = json::object();
        for (const auto& [k, item] : v.items()) {
          auto x = resolve(R.items, W.items, item, pointer_append(at, k), depth + 1);
          if (!x.ok()) return x;
          out[k] = std::move(*x);
        }
        return out;
      }
      case Kind::kRecord:
        return record(R, W, v, at, depth);
      default:
        return fail(at, "a type tandem cannot resolve");
    }
  }

 private:
  Status fail(const std::string& at, const std::string& what) const {
    return Status::Problem(fmt::format("at {}: {}", at.empty() ? "the top level" : at, what),
                           "the value must be in Avro's JSON encoding of the writer's schema, "
                           "and the reader's schema must read it (`tandem compat W R`)");
  }

  Result<json> promote(const Node& R, const json& v, const std::string& at) const {
    if (R.kind == Kind::kInteger) {
      if (!v.is_number_integer()) return fail(at, "the reader's integer cannot read a float");
      return v;
    }
    if (R.kind == Kind::kNumber) return json(v.get<double>());
    return fail(at, fmt::format("the reader's {} cannot read a number", R.type_name));
  }

  Result<json> record(const Node& R, const Node& W, const json& v, const std::string& at,
                      int depth) {
    if (!v.is_object()) return fail(at, fmt::format("expected the record {}", W.name));
    if (R.kind != Kind::kRecord) return fail(at, "the reader's type does not read a record");
    json out = json::object();
    std::vector<const Field*> used;
    for (const Field& wf : W.fields) {
      if (!v.contains(wf.name))
        return fail(at, fmt::format("the field \"{}\" is missing", wf.name));
      const Field* rf = walker_.match(R, wf);
      if (rf == nullptr) continue;  // the reader skips it
      used.push_back(rf);
      auto x = resolve(rf->type, wf.type, v.at(wf.name), pointer_append(at, wf.name), depth + 1);
      if (!x.ok()) return x;
      out[rf->name] = std::move(*x);
    }
    for (const Field& rf : R.fields) {
      if (std::find(used.begin(), used.end(), &rf) != used.end()) continue;
      if (!rf.default_json) {
        return fail(at, fmt::format("the reader's field \"{}\" has no value in the data and no "
                                    "default",
                                    rf.name));
      }
      out[rf.name] = encode_default(rf.type, json::parse(*rf.default_json));
    }
    return out;
  }

  // A default is written as the value of a union's first branch; in the JSON encoding the
  // value of a union is wrapped: {"<branch>": value}, null as is.
  json encode_default(NodeId type, const json& d) const {
    const Node& n = reader_.node(type);
    if (n.kind != Kind::kUnion || n.branches.empty()) return d;
    const Node& first = reader_.node(n.branches.front());
    if (first.kind == Kind::kNull) return nullptr;
    return json{{branch_name(first), d}};
  }

  const Schema& writer_;
  const Schema& reader_;
  Walker walker_;
};

// JSON Schema: the reader's defaults, filled in where the value lacks a property.
json fill_defaults(const Schema& s, NodeId id, json v, int depth) {
  if (id < 0 || depth > kMaxDepth) return v;
  const Node& n = s.node(id);
  if (n.kind == Kind::kUnion) {
    for (NodeId b : n.branches) {
      const Node& bn = s.node(b);
      if ((bn.kind == Kind::kRecord && v.is_object()) || (bn.kind == Kind::kArray && v.is_array()))
        return fill_defaults(s, b, std::move(v), depth + 1);
    }
    return v;
  }
  if (n.kind == Kind::kRecord && v.is_object()) {
    for (const Field& f : n.fields) {
      if (v.contains(f.name)) {
        v[f.name] = fill_defaults(s, f.type, std::move(v[f.name]), depth + 1);
      } else if (f.default_json) {
        v[f.name] = json::parse(*f.default_json);
      }
    }
  } else if (n.kind == Kind::kArray && v.is_array()) {
    for (json& item : v) item = fill_defaults(s, n.items, std::move(item), depth + 1);
  }
  return v;
}

}  // namespace

struct Resolver::Impl {
  Schema writer, reader;
};

Resolver::Resolver() = default;
Resolver::~Resolver() = default;
Resolver::Resolver(Resolver&&) noexcept = default;
Resolver& Resolver::operator=(Resolver&&) noexcept = default;

Result<Resolver> Resolver::open(const std::string& writer_file, const std::string& reader_file,
                                std::optional<Format> format) {
  CheckOptions options;
  options.format = format;
  options.mode = Mode::kNone;
  auto report = check_files({writer_file, reader_file}, options);
  if (!report.ok()) return report.status();
  Resolver out;
  out.format_ = report->format;
  if (out.format_ != Format::kAvro && out.format_ != Format::kJsonSchema) {
    return Status::InvalidInput(
        fmt::format("{}: tandem compat resolve reads Avro and JSON Schema", writer_file),
        out.format_ == Format::kOpenApi
            ? "an OpenAPI document holds many schemas: save the one to resolve as a JSON Schema "
              "file and give that"
            : "Protobuf readers need no resolving: generated code of any version reads the wire "
              "format");
  }
  out.impl_ = std::make_unique<Impl>();
  DocumentLoader load = [](const std::string& path) { return read_document(path); };
  for (auto [file, into] :
       {std::pair{&writer_file, &out.impl_->writer}, std::pair{&reader_file, &out.impl_->reader}}) {
    auto doc = read_document(*file);
    if (!doc.ok()) return doc.status();
    auto s = out.format_ == Format::kAvro ? read_avro(*doc) : read_json_schema(*doc, load);
    if (!s.ok()) return s.status();
    *into = std::move(*s);
  }
  return out;
}

Result<nlohmann::json> Resolver::resolve(const nlohmann::json& value) const {
  const Schema& w = impl_->writer;
  const Schema& r = impl_->reader;
  if (format_ == Format::kJsonSchema) return fill_defaults(r, r.root, value, 0);
  AvroValueResolver resolver(w, r);
  return resolver.resolve(r.root, w.root, value, "", 0);
}

Result<std::vector<nlohmann::json>> Resolver::resolve_binary(std::string_view bytes) const {
  if (format_ != Format::kAvro)
    return Status::InvalidInput("--binary reads Avro's binary encoding: the schemas are not Avro");
  auto values = decode_avro_binary(impl_->writer, bytes);
  if (!values.ok()) return values.status();
  std::vector<nlohmann::json> out;
  for (const json& v : *values) {
    auto r = resolve(v);
    if (!r.ok()) return r.status();
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace tandem::compat
