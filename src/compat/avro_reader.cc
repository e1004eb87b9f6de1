// Avro schemas (.avsc) into the compat model (compat/readers.h), as the Avro 1.11
// specification defines them: primitive names, records (and errors), enums, arrays, maps, unions,
// fixed; named types with namespaces, referenced by name after their definition; defaults
// checked against their field's type.

#include <fmt/format.h>

#include <map>
#include <set>

#include "compat/readers.h"

namespace tandem::compat {
namespace {

bool valid_name(const std::string& s) {
  if (s.empty()) return false;
  auto start = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!start(s[0])) return false;
  for (char c : s)
    if (!start(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

bool valid_full_name(const std::string& s) {
  size_t begin = 0;
  while (true) {
    size_t dot = s.find('.', begin);
    if (!valid_name(s.substr(begin, dot - begin))) return false;
    if (dot == std::string::npos) return true;
    begin = dot + 1;
  }
}

const std::map<std::string, std::pair<Kind, int>>& primitives() {
  static const std::map<std::string, std::pair<Kind, int>> kPrimitives = {
      {"null", {Kind::kNull, 0}},     {"boolean", {Kind::kBoolean, 0}},
      {"int", {Kind::kInteger, 32}},  {"long", {Kind::kInteger, 64}},
      {"float", {Kind::kNumber, 32}}, {"double", {Kind::kNumber, 64}},
      {"bytes", {Kind::kBytes, 0}},   {"string", {Kind::kString, 0}},
  };
  return kPrimitives;
}

class AvroReader {
 public:
  explicit AvroReader(const Document& doc) : doc_(doc) { schema_.format = Format::kAvro; }

  Result<Schema> read() {
    schema_.file = doc_.file;
    auto root = parse(doc_.root, "", "");
    if (!root.ok()) return root.status();
    schema_.root = *root;
    return std::move(schema_);
  }

 private:
  Status error(const Value& at, const std::string& message, std::string hint = {}) const {
    if (hint.empty()) hint = "see the Avro specification, \"Schema Declaration\"";
    return input_error(doc_.file, at.line, message, std::move(hint));
  }

  // The full name of `name` declared in namespace `ns`.
  static std::string full(const std::string& name, const std::string& ns) {
    if (name.find('.') != std::string::npos || ns.empty()) return name;
    return ns + "." + name;
  }

  Result<NodeId> primitive(const std::string& name, const Value& at, const std::string& ptr) {
    const auto& [kind, bits] = primitives().at(name);
    Node n;
    n.kind = kind;
    n.bits = bits;
    n.type_name = name;
    n.at = {ptr, at.line};
    return schema_.add(std::move(n));
  }

  Result<NodeId> reference(const std::string& name, const Value& at, const std::string& ns) {
    for (const std::string& candidate : {full(name, ns), name}) {
      auto it = named_.find(candidate);
      if (it != named_.end()) return it->second;
    }
    return error(at, fmt::format("unknown type \"{}\"", name),
                 "define the named type before its first use, or write its full name "
                 "(namespace.Name)");
  }

  Result<NodeId> parse(const Value& v, const std::string& ns, const std::string& ptr) {
    if (++depth_ > kMaxDepth) return error(v, "types nest too deeply");
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{depth_};
    switch (v.kind) {
      case Value::Kind::kString:
        if (primitives().count(v.text)) return primitive(v.text, v, ptr);
        return reference(v.text, v, ns);
      case Value::Kind::kArray:
        return parse_union(v, ns, ptr);
      case Value::Kind::kObject:
        return parse_object(v, ns, ptr);
      default:
        return error(v, "a schema is a type name, a union (an array) or an object with \"type\"");
    }
  }

  Result<NodeId> parse_union(const Value& v, const std::string& ns, const std::string& ptr) {
    Node n;
    n.kind = Kind::kUnion;
    n.at = {ptr, v.line};
    std::set<std::string> seen;
    for (size_t i = 0; i < v.items.size(); ++i) {
      const Value& item = v.items[i];
      if (item.is_array()) {
        return error(item, "a union cannot hold a union directly",
                     "merge the inner union's branches into the outer one");
      }
      auto b = parse(item, ns, pointer_append(ptr, std::to_string(i)));
      if (!b.ok()) return b.status();
      const Node& bn = schema_.node(*b);
      std::string key =
          bn.name.empty() ? (bn.type_name.empty() ? kind_name(bn.kind) : bn.type_name) : bn.name;
      if (bn.kind == Kind::kArray || bn.kind == Kind::kMap) key = kind_name(bn.kind);
      if (!seen.insert(key).second) {
        return error(item, fmt::format("the union holds {} twice", key),
                     "a union may hold each unnamed type once, and each named type once");
      }
      n.branches.push_back(*b);
    }
    if (n.branches.empty()) return error(v, "an empty union has no value to read");
    return schema_.add(std::move(n));
  }

  Result<std::string> name_of(const Value& v, const std::string& ns, std::string& own_ns) {
    const Value* name = v.find("name");
    if (name == nullptr || !name->is_string()) return error(v, "a named type needs a \"name\"");
    const Value* space = v.find("namespace");
    std::string space_text = ns;
    if (space != nullptr) {
      if (!space->is_string() && space->kind != Value::Kind::kNull)
        return error(*space, "\"namespace\" is a string");
      space_text = space->is_string() ? space->text : "";
    }
    std::string fullname = full(name->text, space_text);
    if (!valid_full_name(fullname)) {
      return error(*name, fmt::format("\"{}\" is not a valid Avro name", fullname),
                   "names start with a letter or _ and hold letters, digits and _");
    }
    if (primitives().count(fullname)) {
      return error(*name, fmt::format("\"{}\" is a primitive type's name", fullname),
                   "choose another name");
    }
    size_t dot = fullname.rfind('.');
    own_ns = dot == std::string::npos ? "" : fullname.substr(0, dot);
    if (named_.count(fullname)) {
      return error(*name, fmt::format("the type \"{}\" is defined twice", fullname),
                   "define it once and refer to it by name afterwards");
    }
    return fullname;
  }

  std::vector<std::string> aliases_of(const Value& v, const std::string& ns) {
    std::vector<std::string> out;
    if (const Value* a = v.find("aliases"))
      for (const Value& item : a->items)
        if (item.is_string()) out.push_back(full(item.text, ns));
    return out;
  }

  Result<NodeId> parse_object(const Value& v, const std::string& ns, const std::string& ptr) {
    const Value* type = v.find("type");
    if (type == nullptr) return error(v, "the schema object has no \"type\"");
    if (!type->is_string()) {
      // {"type": {...}} or {"type": [...]}: the type is itself a schema.
      return parse(*type, ns, pointer_append(ptr, "type"));
    }
    const std::string& t = type->text;
    NodeId id = -1;
    if (primitives().count(t)) {
      auto p = primitive(t, v, ptr);
      if (!p.ok()) return p;
      id = *p;
      if (const Value* logical = v.find("logicalType"); logical && logical->is_string()) {
        Node& n = schema_.nodes[static_cast<size_t>(id)];
        n.logical = logical->text;
        if (logical->text == "decimal") {
          const Value* precision = v.find("precision");
          const Value* scale = v.find("scale");
          n.logical +=
              fmt::format("({}, {})", precision ? precision->text : "?", scale ? scale->text : "0");
        }
      }
    } else if (t == "record" || t == "error") {
      return parse_record(v, ns, ptr);
    } else if (t == "enum") {
      return parse_enum(v, ns, ptr);
    } else if (t == "fixed") {
      return parse_fixed(v, ns, ptr);
    } else if (t == "array" || t == "map") {
      const char* key = t == "array" ? "items" : "values";
      const Value* items = v.find(key);
      if (items == nullptr) return error(v, fmt::format("an {} needs \"{}\"", t, key));
      auto item = parse(*items, ns, pointer_append(ptr, key));
      if (!item.ok()) return item;
      Node n;
      n.kind = t == "array" ? Kind::kArray : Kind::kMap;
      n.items = *item;
      n.at = {ptr, v.line};
      id = schema_.add(std::move(n));
    } else {
      auto ref = reference(t, *type, ns);
      if (!ref.ok()) return ref;
      return *ref;
    }
    schema_.nodes[static_cast<size_t>(id)].ignore = x_tandem_ignore(v);
    return id;
  }

  Result<NodeId> parse_record(const Value& v, const std::string& ns, const std::string& ptr) {
    std::string own_ns;
    auto name = name_of(v, ns, own_ns);
    if (!name.ok()) return name.status();
    Node n;
    n.kind = Kind::kRecord;
    n.name = *name;
    n.aliases = aliases_of(v, own_ns);
    n.skips_unknown = true;
    n.at = {ptr, v.line};
    n.ignore = x_tandem_ignore(v);
    NodeId id = schema_.add(std::move(n));
    named_[*name] = id;  // before the fields: a record may refer to itself
    const Value* fields = v.find("fields");
    if (fields == nullptr || !fields->is_array())
      return error(v, fmt::format("the record \"{}\" needs a \"fields\" array", *name));
    std::set<std::string> names;
    for (size_t i = 0; i < fields->items.size(); ++i) {
      const Value& fv = fields->items[i];
      std::string fptr = pointer_append(pointer_append(ptr, "fields"), std::to_string(i));
      if (!fv.is_object()) return error(fv, "a field is an object with \"name\" and \"type\"");
      const Value* fname = fv.find("name");
      const Value* ftype = fv.find("type");
      if (fname == nullptr || !fname->is_string() || !valid_name(fname->text))
        return error(fv, "a field needs a valid \"name\"",
                     "names start with a letter or _ and hold letters, digits and _");
      if (ftype == nullptr)
        return error(fv, fmt::format("the field \"{}\" has no \"type\"", fname->text));
      if (!names.insert(fname->text).second)
        return error(*fname, fmt::format("the field \"{}\" appears twice", fname->text));
      auto type = parse(*ftype, own_ns, pointer_append(fptr, "type"));
      if (!type.ok()) return type.status();
      Field f;
      f.name = fname->text;
      if (const Value* a = fv.find("aliases"))
        for (const Value& item : a->items)
          if (item.is_string()) f.aliases.push_back(item.text);
      f.type = *type;
      f.written = true;
      if (const Value* d = fv.find("default")) {
        TANDEM_RETURN_IF_ERROR(check_default(*d, *type, f.name));
        f.default_json = d->to_json().dump();
      }
      f.needed = !f.default_json.has_value();
      f.at = {fptr, fv.line};
      f.ignore = x_tandem_ignore(fv);
      schema_.nodes[static_cast<size_t>(id)].fields.push_back(std::move(f));
    }
    return id;
  }

  Result<NodeId> parse_enum(const Value& v, const std::string& ns, const std::string& ptr) {
    std::string own_ns;
    auto name = name_of(v, ns, own_ns);
    if (!name.ok()) return name.status();
    const Value* symbols = v.find("symbols");
    if (symbols == nullptr || !symbols->is_array())
      return error(v, fmt::format("the enum \"{}\" needs a \"symbols\" array", *name));
    Node n;
    n.kind = Kind::kEnum;
    n.name = *name;
    n.aliases = aliases_of(v, own_ns);
    n.at = {ptr, v.line};
    n.ignore = x_tandem_ignore(v);
    std::set<std::string> seen;
    for (const Value& s : symbols->items) {
      if (!s.is_string() || !valid_name(s.text))
        return error(s, "an enum symbol is a name (letters, digits and _)");
      if (!seen.insert(s.text).second)
        return error(s, fmt::format("the symbol \"{}\" appears twice", s.text));
      n.symbols.push_back(s.text);
    }
    if (const Value* d = v.find("default")) {
      if (!d->is_string() || !seen.count(d->text))
        return error(*d, "an enum's \"default\" is one of its symbols");
      n.enum_default = d->text;
    }
    NodeId id = schema_.add(std::move(n));
    named_[*name] = id;
    return id;
  }

  Result<NodeId> parse_fixed(const Value& v, const std::string& ns, const std::string& ptr) {
    std::string own_ns;
    auto name = name_of(v, ns, own_ns);
    if (!name.ok()) return name.status();
    const Value* size = v.find("size");
    if (size == nullptr || size->kind != Value::Kind::kNumber || size->number < 0 ||
        size->number != static_cast<double>(static_cast<uint64_t>(size->number)))
      return error(v, fmt::format("the fixed \"{}\" needs a \"size\" (bytes, 0 or more)", *name));
    Node n;
    n.kind = Kind::kFixed;
    n.name = *name;
    n.aliases = aliases_of(v, own_ns);
    n.size = static_cast<uint64_t>(size->number);
    n.at = {ptr, v.line};
    n.ignore = x_tandem_ignore(v);
    if (const Value* logical = v.find("logicalType"); logical && logical->is_string())
      n.logical = logical->text;
    NodeId id = schema_.add(std::move(n));
    named_[*name] = id;
    return id;
  }

  // Does `d` (a default, in Avro's JSON encoding) fit the type? A union's default fits its
  // first branch.
  bool fits(const Value& d, NodeId id, int depth) const {
    if (depth > kMaxDepth) return false;
    const Node& n = schema_.node(id);
    switch (n.kind) {
      case Kind::kNull:
        return d.kind == Value::Kind::kNull;
      case Kind::kBoolean:
        return d.kind == Value::Kind::kBool;
      case Kind::kInteger:
        return d.kind == Value::Kind::kNumber && d.text.find_first_of(".eE") == std::string::npos;
      case Kind::kNumber:
        return d.kind == Value::Kind::kNumber;
      case Kind::kString:
      case Kind::kBytes:
      case Kind::kFixed:
        return d.is_string();
      case Kind::kEnum:
        return d.is_string() &&
               std::find(n.symbols.begin(), n.symbols.end(), d.text) != n.symbols.end();
      case Kind::kArray:
        if (!d.is_array()) return false;
        for (const Value& item : d.items)
          if (!fits(item, n.items, depth + 1)) return false;
        return true;
      case Kind::kMap:
        if (!d.is_object()) return false;
        for (const auto& [k, item] : d.members)
          if (!fits(item, n.items, depth + 1)) return false;
        return true;
      case Kind::kRecord:
        if (!d.is_object()) return false;
        for (const Field& f : n.fields) {
          const Value* member = d.find(f.name);
          if (member == nullptr ? !f.default_json.has_value() : !fits(*member, f.type, depth + 1))
            return false;
        }
        return true;
      case Kind::kUnion:
        return !n.branches.empty() && fits(d, n.branches.front(), depth + 1);
      default:
        return true;
    }
  }

  Status check_default(const Value& d, NodeId type, const std::string& field) const {
    if (fits(d, type, 0)) return Status::Ok();
    const Node& n = schema_.node(type);
    std::string hint = "write the default in Avro's JSON encoding of the field's type";
    if (n.kind == Kind::kUnion) {
      for (size_t i = 1; i < n.branches.size(); ++i)
        if (fits(d, n.branches[i], 0))
          hint = "a union's default is a value of its first branch: put that branch first";
    }
    return error(d,
                 fmt::format("the default of \"{}\" is not a value of its type ({})", field,
                             describe(schema_, type)),
                 hint);
  }

  const Document& doc_;
  Schema schema_;
  std::map<std::string, NodeId> named_;
  int depth_ = 0;
};

}  // namespace

Result<Schema> read_avro(const Document& doc) { return AvroReader(doc).read(); }

}  // namespace tandem::compat
