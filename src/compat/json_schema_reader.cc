// JSON Schema (drafts 4–7 and 2019-09/2020-12) into the compat model (compat/readers.h).
//
// What is modelled: type (and type lists), enum/const, properties/required and the content
// model (additionalProperties; unevaluatedProperties: false closes an object that has no
// additionalProperties), items/prefixItems/additionalItems, the numeric, string, array and
// object bounds, anyOf/oneOf (unions) and allOf (merged into one schema), $ref within the file
// and to other files by relative path. A schema without `type` is read as the type its keywords
// constrain (properties → object, items → array, minLength → string, minimum → number).
// What is not (`not`, if/then/else, patternProperties, propertyNames, dependencies, contains):
// kept as text that must be equal on both sides, or the check refuses.

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "compat/json_schema_merge.h"
#include "compat/readers.h"

namespace tandem::compat {
namespace {

const std::set<std::string>& object_keywords() {
  static const std::set<std::string> k = {"properties",           "required",
                                          "additionalProperties", "minProperties",
                                          "maxProperties",        "unevaluatedProperties"};
  return k;
}
const std::set<std::string>& array_keywords() {
  static const std::set<std::string> k = {"items",    "prefixItems", "additionalItems",
                                          "minItems", "maxItems",    "uniqueItems"};
  return k;
}
const std::set<std::string>& string_keywords() {
  static const std::set<std::string> k = {"minLength", "maxLength", "pattern", "format"};
  return k;
}
const std::set<std::string>& number_keywords() {
  static const std::set<std::string> k = {"minimum", "maximum", "exclusiveMinimum",
                                          "exclusiveMaximum", "multipleOf"};
  return k;
}
// Keywords that constrain values in ways tandem does not model: compared as text.
const std::set<std::string>& opaque_keywords() {
  static const std::set<std::string> k = {"not",
                                          "if",
                                          "then",
                                          "else",
                                          "patternProperties",
                                          "propertyNames",
                                          "dependencies",
                                          "dependentRequired",
                                          "dependentSchemas",
                                          "contains",
                                          "minContains",
                                          "maxContains",
                                          "unevaluatedItems"};
  return k;
}

std::string canonical(const Value& v) {
  return v.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Kind kind_of_type(const std::string& t, bool& ok) {
  ok = true;
  if (t == "object") return Kind::kRecord;
  if (t == "array") return Kind::kArray;
  if (t == "string") return Kind::kString;
  if (t == "integer") return Kind::kInteger;
  if (t == "number") return Kind::kNumber;
  if (t == "boolean") return Kind::kBoolean;
  if (t == "null") return Kind::kNull;
  ok = false;
  return Kind::kAny;
}

Kind kind_of_value(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return Kind::kNull;
    case Value::Kind::kBool:
      return Kind::kBoolean;
    case Value::Kind::kNumber:
      return v.text.find_first_of(".eE") == std::string::npos ? Kind::kInteger : Kind::kNumber;
    case Value::Kind::kString:
      return Kind::kString;
    case Value::Kind::kArray:
      return Kind::kArray;
    case Value::Kind::kObject:
      return Kind::kRecord;
  }
  return Kind::kAny;
}

}  // namespace

class JsonSchemaReader {
  friend class EmbeddedSchemas;

 public:
  JsonSchemaReader(const Document& doc, const DocumentLoader& load, bool load_remote = false)
      : root_doc_(doc), load_(load), load_remote_(load_remote) {
    schema_.format = Format::kJsonSchema;
    schema_.file = doc.file;
  }

  Result<Schema> read() {
    auto root = read_at(root_doc_, root_doc_.root, "");
    if (!root.ok()) return root.status();
    schema_.root = *root;
    return std::move(schema_);
  }

 private:
  Status error(const Document& doc, const Value& at, const std::string& message,
               std::string hint = {}) const {
    if (hint.empty()) hint = "see json-schema.org for the keyword's form";
    return input_error(doc.file, at.line, message, std::move(hint));
  }

  NodeId add(Kind kind, const Value& at, const std::string& ptr) {
    Node n;
    n.kind = kind;
    n.at = {ptr, at.line, file_};
    return schema_.add(std::move(n));
  }
  Node& node(NodeId id) { return schema_.nodes[static_cast<size_t>(id)]; }

  // The schema at `v` (inside `doc`, at `ptr`), read once per place.
  Result<NodeId> read_at(const Document& doc, const Value& v, const std::string& ptr) {
    std::string key = doc.file + "#" + ptr;
    if (auto it = memo_.find(key); it != memo_.end()) return it->second;
    // Places in another file than the one checked name it (Location::file).
    std::string outer = std::move(file_);
    file_ = &doc == &root_doc_ || doc.file == root_doc_.file ? "" : doc.file;
    struct Restore {
      std::string& file;
      std::string saved;
      ~Restore() { file = std::move(saved); }
    } restore{file_, std::move(outer)};
    if (++depth_ > kMaxDepth) return error(doc, v, "schemas nest too deeply");
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{depth_};
    if (v.kind == Value::Kind::kBool) {
      NodeId id = add(v.boolean ? Kind::kAny : Kind::kNothing, v, ptr);
      memo_[key] = id;
      return id;
    }
    if (!v.is_object()) return error(doc, v, "a schema is an object or a boolean");
    if (const Value* ref = v.find("$ref"); ref != nullptr && only_ref(v)) {
      if (!ref->is_string()) return error(doc, *ref, "\"$ref\" is a string");
      if (!refs_in_progress_.insert(key).second)
        return error(doc, *ref, "this $ref leads back to itself without a schema in between",
                     "a recursive schema must pass through properties or items");
      auto target = follow(doc, *ref);
      refs_in_progress_.erase(key);
      if (!target.ok()) return target;
      memo_[key] = *target;
      return target;
    }
    return read_object(doc, v, ptr, key);
  }

  // Draft 7 and earlier ignore a $ref's siblings; 2019-09 and later apply them too. Either way a
  // $ref with nothing but annotations beside it is the referenced schema itself.
  bool only_ref(const Value& v) const {
    static const std::set<std::string> kAnnotations = {
        "$ref",    "title",      "description", "$comment",  "examples",
        "default", "deprecated", "readOnly",    "writeOnly", "$id",
        "$schema", "$defs",      "definitions", "$anchor",   "x-tandem-ignore"};
    if (!modern_) return true;
    for (const auto& [k, item] : v.members)
      if (!kAnnotations.count(k) && k.rfind("x-", 0) != 0) return false;
    return true;
  }

  Result<NodeId> follow(const Document& doc, const Value& ref) {
    auto target = locate(doc, ref);
    if (!target.ok()) return target.status();
    return read_at(*target->doc, *target->value, target->pointer);
  }

  // Where a $ref leads: the document (read once, by a path relative to the referring file),
  // the value and its pointer.
  Result<RefTarget> locate(const Document& doc, const Value& ref) {
    const std::string& text = ref.text;
    size_t hash = text.find('#');
    std::string file_part = text.substr(0, hash);
    std::string pointer = hash == std::string::npos ? "" : text.substr(hash + 1);
    bool remote = file_part.find("://") != std::string::npos;
    if (remote && !load_remote_) {
      return error(doc, ref,
                   fmt::format("the $ref {} is remote: tandem does not fetch schemas", text),
                   "save the schema beside this one and refer to it by relative path");
    }
    if (!pointer.empty() && pointer[0] != '/') {
      return error(doc, ref,
                   fmt::format("the $ref {} names an anchor, which tandem does not "
                               "resolve",
                               text),
                   "refer by JSON Pointer (#/$defs/Name)");
    }
    const Document* target_doc = &doc;
    if (!file_part.empty()) {
      // A remote name is never fetched: only a loader that knows it by name (a registry's
      // references) resolves it.
      std::filesystem::path base = std::filesystem::path(doc.file).parent_path();
      std::string path = remote ? file_part : (base / file_part).lexically_normal().string();
      auto it = docs_.find(path);
      if (it == docs_.end()) {
        if (docs_.size() >= 256)
          return error(doc, ref, "more than 256 files are referenced", "merge some schemas");
        auto loaded = load_(path);
        if (!loaded.ok()) {
          return error(
              doc, ref,
              fmt::format("the $ref {} cannot be resolved: {}", text, loaded.status().message()),
              "check the path (relative to this file)");
        }
        it = docs_.emplace(path, std::move(*loaded)).first;
      }
      target_doc = &it->second;
    }
    const Value* target = resolve_pointer(target_doc->root, pointer);
    if (target == nullptr) {
      return error(
          doc, ref, fmt::format("the $ref {} points at nothing", text),
          ref_hint_.empty() ? "check the pointer: #/$defs/Name or #/definitions/Name" : ref_hint_);
    }
    return RefTarget{target_doc, target, pointer};
  }

  // The kinds a schema's keywords constrain, when it has no `type`.
  std::vector<Kind> inferred(const Value& v) const {
    std::vector<Kind> kinds;
    auto has_any = [&](const std::set<std::string>& keys) {
      for (const auto& [k, item] : v.members)
        if (keys.count(k)) return true;
      return false;
    };
    if (has_any(object_keywords())) kinds.push_back(Kind::kRecord);
    if (has_any(array_keywords())) kinds.push_back(Kind::kArray);
    if (has_any(string_keywords())) kinds.push_back(Kind::kString);
    if (has_any(number_keywords())) kinds.push_back(Kind::kNumber);
    if (kinds.empty()) {
      if (const Value* e = v.find("enum"); e && e->is_array()) {
        std::set<Kind> seen;
        for (const Value& item : e->items) seen.insert(kind_of_value(item));
        if (seen.count(Kind::kInteger) && seen.count(Kind::kNumber)) seen.erase(Kind::kInteger);
        kinds.assign(seen.begin(), seen.end());
      } else if (const Value* c = v.find("const")) {
        kinds.push_back(kind_of_value(*c));
      }
    }
    return kinds;
  }

  Result<NodeId> read_object(const Document& doc, const Value& v, const std::string& ptr,
                             const std::string& key) {
    // The node for this place exists before its children are read: a $ref from below to here
    // (a recursive schema) finds it.
    NodeId id = add(Kind::kAny, v, ptr);
    memo_[key] = id;
    node(id).ignore = x_tandem_ignore(v);
    building_.insert(id);
    struct Built {
      std::set<NodeId>& set;
      NodeId id;
      ~Built() { set.erase(id); }
    } built{building_, id};

    std::vector<Kind> kinds;
    if (const Value* t = v.find("type")) {
      std::vector<const Value*> names;
      if (t->is_string()) names.push_back(t);
      for (const Value& item : t->items) names.push_back(&item);
      if (names.empty()) return error(doc, *t, "\"type\" is a type name or a list of them");
      for (const Value* n : names) {
        bool ok = false;
        Kind k = n->is_string() ? kind_of_type(n->text, ok) : Kind::kAny;
        if (!ok)
          return error(doc, *n, fmt::format("\"{}\" is not a JSON Schema type", n->text),
                       "use object, array, string, integer, number, boolean or null");
        if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
      }
    } else {
      kinds = inferred(v);
    }
    if (const Value* n = v.find("nullable");
        nullable_ && !kinds.empty() && n && n->kind == Value::Kind::kBool && n->boolean &&
        std::find(kinds.begin(), kinds.end(), Kind::kNull) == kinds.end())
      kinds.push_back(Kind::kNull);

    // One node per kind, each with the keywords that apply to it.
    std::vector<NodeId> parts;
    for (Kind k : kinds) {
      NodeId part = parts.empty() && kinds.size() == 1 ? id : add(k, v, ptr);
      node(part).kind = k;
      TANDEM_RETURN_IF_ERROR(fill(doc, v, ptr, part));
      parts.push_back(part);
    }
    if (kinds.empty()) TANDEM_RETURN_IF_ERROR(fill_common(doc, v, id));
    if (kinds.size() > 1) {
      node(id).kind = Kind::kUnion;
      node(id).branches = parts;
    }

    // Combinators.
    const Value* any_of = v.find("anyOf");
    const Value* one_of = v.find("oneOf");
    const Value* all_of = v.find("allOf");
    const Value* ref = modern_ ? v.find("$ref") : nullptr;
    std::vector<NodeId> conjuncts;
    if (ref != nullptr && ref->is_string()) {
      auto target = follow(doc, *ref);
      if (!target.ok()) return target;
      conjuncts.push_back(*target);
    }
    if (all_of != nullptr) {
      if (!all_of->is_array() || all_of->items.empty())
        return error(doc, *all_of, "\"allOf\" is a non-empty list of schemas");
      for (size_t i = 0; i < all_of->items.size(); ++i) {
        auto b = read_at(doc, all_of->items[i],
                         pointer_append(pointer_append(ptr, "allOf"), std::to_string(i)));
        if (!b.ok()) return b;
        conjuncts.push_back(*b);
      }
    }
    if (any_of != nullptr && one_of != nullptr) {
      node(id).opaque += canonical(*any_of) + canonical(*one_of);
    } else if (const Value* u = any_of ? any_of : one_of) {
      const char* name = any_of ? "anyOf" : "oneOf";
      if (!u->is_array() || u->items.empty())
        return error(doc, *u, fmt::format("\"{}\" is a non-empty list of schemas", name));
      Node un;
      un.kind = Kind::kUnion;
      un.at = {pointer_append(ptr, name), u->line, file_};
      for (size_t i = 0; i < u->items.size(); ++i) {
        auto b =
            read_at(doc, u->items[i], pointer_append(pointer_append(ptr, name), std::to_string(i)));
        if (!b.ok()) return b;
        un.branches.push_back(*b);
      }
      conjuncts.push_back(schema_.add(std::move(un)));
    }
    if (!conjuncts.empty()) merge_into(id, conjuncts, kinds.empty());
    return id;
  }

  // Applies the keywords of `v` that constrain a value of the part's kind.
  Status fill(const Document& doc, const Value& v, const std::string& ptr, NodeId part) {
    TANDEM_RETURN_IF_ERROR(fill_common(doc, v, part));
    Kind k = node(part).kind;
    node(part).type_name = kind_name(k);
    if (k == Kind::kRecord) return fill_object(doc, v, ptr, part);
    if (k == Kind::kArray) return fill_array(doc, v, ptr, part);
    Bounds& b = node(part).bounds;
    if (k == Kind::kString) {
      TANDEM_RETURN_IF_ERROR(count(doc, v, "minLength", b.min_length));
      TANDEM_RETURN_IF_ERROR(count(doc, v, "maxLength", b.max_length));
      if (const Value* p = v.find("pattern"); p && p->is_string()) b.pattern = p->text;
      if (const Value* f = v.find("format"); f && f->is_string()) b.format = f->text;
    }
    if (k == Kind::kInteger || k == Kind::kNumber) {
      TANDEM_RETURN_IF_ERROR(number(doc, v, "minimum", b.minimum));
      TANDEM_RETURN_IF_ERROR(number(doc, v, "maximum", b.maximum));
      TANDEM_RETURN_IF_ERROR(number(doc, v, "multipleOf", b.multiple_of));
      // Draft 4: exclusiveMinimum is a boolean that makes minimum exclusive.
      for (auto [kw, incl, excl] :
           {std::tuple{"exclusiveMinimum", &b.minimum, &b.exclusive_minimum},
            std::tuple{"exclusiveMaximum", &b.maximum, &b.exclusive_maximum}}) {
        const Value* e = v.find(kw);
        if (e == nullptr) continue;
        if (e->kind == Value::Kind::kBool) {
          if (e->boolean && *incl) {
            *excl = *incl;
            incl->reset();
          }
        } else if (e->kind == Value::Kind::kNumber) {
          *excl = e->number;
        } else {
          return error(doc, *e, fmt::format("\"{}\" is a number", kw));
        }
      }
    }
    if (const Value* f = v.find("format"); f && f->is_string() && k == Kind::kInteger) {
      if (f->text == "int32") node(part).bits = 32;
      if (f->text == "int64") node(part).bits = 64;
    }
    return Status::Ok();
  }

  // enum/const and the keywords tandem keeps as text, on any kind.
  Status fill_common(const Document& doc, const Value& v, NodeId part) {
    (void)doc;
    std::vector<std::string> allowed;
    bool has_allowed = false;
    if (const Value* e = v.find("enum")) {
      if (!e->is_array()) return error(doc, *e, "\"enum\" is a list of values");
      has_allowed = true;
      for (const Value& item : e->items) allowed.push_back(canonical(item));
    }
    if (const Value* c = v.find("const")) {
      std::string one = canonical(*c);
      if (has_allowed) {
        bool in = std::find(allowed.begin(), allowed.end(), one) != allowed.end();
        allowed.clear();
        if (in) allowed.push_back(one);
      } else {
        allowed.push_back(one);
      }
      has_allowed = true;
    }
    if (has_allowed) node(part).allowed = std::move(allowed);
    std::string opaque;
    for (const auto& [k, item] : v.members)
      if (opaque_keywords().count(k)) opaque += "\"" + k + "\":" + canonical(item) + ",";
    if (!opaque.empty()) node(part).opaque = "{" + opaque.substr(0, opaque.size() - 1) + "}";
    return Status::Ok();
  }

  Status fill_object(const Document& doc, const Value& v, const std::string& ptr, NodeId part) {
    std::set<std::string> required;
    if (const Value* r = v.find("required")) {
      if (!r->is_array()) return error(doc, *r, "\"required\" is a list of property names");
      for (const Value& item : r->items) {
        if (!item.is_string()) return error(doc, item, "\"required\" lists property names");
        required.insert(item.text);
      }
    }
    if (const Value* props = v.find("properties")) {
      if (!props->is_object()) return error(doc, *props, "\"properties\" is an object");
      for (const auto& [name, pv] : props->members) {
        std::string pptr = pointer_append(pointer_append(ptr, "properties"), name);
        auto type = read_at(doc, pv, pptr);
        if (!type.ok()) return type.status();
        Field f;
        f.name = name;
        f.type = *type;
        f.written = required.count(name) > 0;
        f.needed = f.written;
        if (const Value* d = pv.find("default")) f.default_json = canonical(*d);
        f.at = {pptr, pv.line, file_};
        f.ignore = x_tandem_ignore(pv);
        node(part).fields.push_back(std::move(f));
      }
    }
    // A required property that `properties` does not describe: any value, but required.
    for (const std::string& name : required) {
      auto& fields = node(part).fields;
      if (std::any_of(fields.begin(), fields.end(), [&](const Field& f) { return f.name == name; }))
        continue;
      Field f;
      f.name = name;
      f.type = add(Kind::kAny, v, pointer_append(ptr, "required"));
      f.written = f.needed = true;
      f.at = {pointer_append(ptr, "required"), v.find("required")->line, file_};
      node(part).fields.push_back(std::move(f));
    }
    node(part).open = true;
    const Value* extra = v.find("additionalProperties");
    if (extra == nullptr && modern_) {
      const Value* unevaluated = v.find("unevaluatedProperties");
      if (unevaluated != nullptr && unevaluated->kind == Value::Kind::kBool) extra = unevaluated;
    }
    if (extra == nullptr && tolerant_) {
      // OpenAPI: an object lists what is written, and readers skip members they do not know
      // (docs/compat.md, "OpenAPI").
      node(part).open = false;
      node(part).skips_unknown = true;
    } else if (extra != nullptr && extra->kind == Value::Kind::kBool && !extra->boolean) {
      node(part).open = false;
    } else if (extra != nullptr && !(extra->kind == Value::Kind::kBool)) {
      auto e = read_at(doc, *extra, pointer_append(ptr, "additionalProperties"));
      if (!e.ok()) return e.status();
      node(part).extra = *e;
    } else {
      node(part).extra = add(Kind::kAny, v, ptr);
    }
    Bounds& b = node(part).bounds;
    TANDEM_RETURN_IF_ERROR(count(doc, v, "minProperties", b.min_properties));
    TANDEM_RETURN_IF_ERROR(count(doc, v, "maxProperties", b.max_properties));
    return Status::Ok();
  }

  Status fill_array(const Document& doc, const Value& v, const std::string& ptr, NodeId part) {
    const Value* items = v.find("items");
    const Value* prefix = v.find("prefixItems");
    const Value* rest = nullptr;
    if (items != nullptr && items->is_array()) {  // draft 7 tuples
      prefix = items;
      rest = v.find("additionalItems");
    } else {
      rest = items;
    }
    if (prefix != nullptr) {
      const char* key = prefix == items ? "items" : "prefixItems";
      for (size_t i = 0; i < prefix->items.size(); ++i) {
        auto p = read_at(doc, prefix->items[i],
                         pointer_append(pointer_append(ptr, key), std::to_string(i)));
        if (!p.ok()) return p.status();
        node(part).prefix.push_back(*p);
      }
    }
    if (rest != nullptr) {
      auto r =
          read_at(doc, *rest, pointer_append(ptr, rest == items ? "items" : "additionalItems"));
      if (!r.ok()) return r.status();
      node(part).items = *r;
    } else {
      node(part).items = add(Kind::kAny, v, ptr);
    }
    Bounds& b = node(part).bounds;
    TANDEM_RETURN_IF_ERROR(count(doc, v, "minItems", b.min_items));
    TANDEM_RETURN_IF_ERROR(count(doc, v, "maxItems", b.max_items));
    if (const Value* u = v.find("uniqueItems"); u && u->kind == Value::Kind::kBool)
      b.unique_items = u->boolean;
    return Status::Ok();
  }

  Status count(const Document& doc, const Value& v, const char* kw, std::optional<uint64_t>& out) {
    const Value* c = v.find(kw);
    if (c == nullptr) return Status::Ok();
    if (c->kind != Value::Kind::kNumber || c->number < 0 || c->number > 9.0e15 ||
        c->number != static_cast<double>(static_cast<uint64_t>(c->number)))
      return error(doc, *c, fmt::format("\"{}\" is a non-negative integer", kw));
    out = static_cast<uint64_t>(c->number);
    return Status::Ok();
  }

  Status number(const Document& doc, const Value& v, const char* kw, std::optional<double>& out) {
    const Value* c = v.find(kw);
    if (c == nullptr) return Status::Ok();
    if (c->kind != Value::Kind::kNumber)
      return error(doc, *c, fmt::format("\"{}\" is a number", kw));
    out = c->number;
    return Status::Ok();
  }

  // allOf, a $ref beside other keywords (2019-09+), anyOf/oneOf: `id` becomes the intersection
  // of itself and every conjunct. `id_unconstrained`: `id` had no type of its own.
  void merge_into(NodeId id, const std::vector<NodeId>& conjuncts, bool id_unconstrained) {
    NodeId acc = -1;
    if (!id_unconstrained || node(id).allowed || !node(id).opaque.empty()) {
      Node copy = node(id);
      acc = schema_.add(std::move(copy));
    }
    for (NodeId c : conjuncts) acc = acc < 0 ? c : intersect(schema_, acc, c, 0, building_);
    Node merged = node(acc);
    merged.at = node(id).at;
    if (!node(id).ignore.empty()) merged.ignore = node(id).ignore;
    node(id) = std::move(merged);
  }

 public:
  void set_modern(bool modern) { modern_ = modern; }
  // OpenAPI: 3.0's `nullable: true` adds null to the type; an object without
  // additionalProperties holds only what it lists and is read tolerantly; findings say
  // "openapi".
  void set_openapi(bool nullable_keyword) {
    nullable_ = nullable_keyword;
    tolerant_ = true;
    schema_.format = Format::kOpenApi;
    ref_hint_ = "check the pointer: #/components/schemas/Name";
  }
  Schema& schema() { return schema_; }

 private:
  const Document& root_doc_;
  const DocumentLoader& load_;
  bool load_remote_ = false;
  Schema schema_;
  std::map<std::string, Document> docs_;
  std::map<std::string, NodeId> memo_;
  std::set<std::string> refs_in_progress_;
  std::set<NodeId> building_;  // nodes whose keywords are still being read
  bool modern_ = false;
  bool nullable_ = false;
  bool tolerant_ = false;
  std::string file_;  // the file being read, when it is not root_doc_'s  // objects without
                      // additionalProperties: closed, read tolerantly
  std::string ref_hint_;
  int depth_ = 0;
};

Result<Schema> read_json_schema(const Document& doc, const DocumentLoader& load, bool load_remote) {
  JsonSchemaReader reader(doc, load, load_remote);
  // 2019-09 and 2020-12 apply a $ref's sibling keywords; earlier drafts ignore them.
  if (const Value* s = doc.root.find("$schema"); s && s->is_string())
    reader.set_modern(s->text.find("2019-09") != std::string::npos ||
                      s->text.find("2020-12") != std::string::npos);
  return reader.read();
}

EmbeddedSchemas::EmbeddedSchemas(const Document& doc, const DocumentLoader& load, bool modern,
                                 bool nullable_keyword)
    : impl_(std::make_unique<JsonSchemaReader>(doc, load)) {
  impl_->set_modern(modern);
  impl_->set_openapi(nullable_keyword);
}

EmbeddedSchemas::~EmbeddedSchemas() = default;

Result<NodeId> EmbeddedSchemas::read(const Document& doc, const Value& v,
                                     const std::string& pointer) {
  return impl_->read_at(doc, v, pointer);
}

Result<RefTarget> EmbeddedSchemas::locate(const Document& doc, const Value& ref) {
  return impl_->locate(doc, ref);
}

Schema& EmbeddedSchemas::schema() { return impl_->schema(); }

}  // namespace tandem::compat
