// A registry's references for Avro (compat/readers.h): a named type another subject defines,
// used by its full name, is put in place where it is first used — as if the schema had defined
// it there — so that the reader sees one self-contained schema.

#include <fmt/format.h>

#include <set>

#include "compat/readers.h"

namespace tandem::compat {
namespace {

bool primitive(const std::string& name) {
  static const std::set<std::string> kPrimitives = {"null",  "boolean", "int",   "long",
                                                    "float", "double",  "bytes", "string"};
  return kPrimitives.count(name) > 0;
}

std::string namespace_of(const std::string& full_name) {
  size_t dot = full_name.rfind('.');
  return dot == std::string::npos ? "" : full_name.substr(0, dot);
}

Value* member(Value& v, std::string_view key) {
  for (auto& [k, item] : v.members)
    if (k == key) return &item;
  return nullptr;
}

class Inliner {
 public:
  Inliner(const std::string& file, const std::map<std::string, std::string>& references)
      : file_(file), references_(references) {}

  Status visit(Value& t, const std::string& ns, int depth) {
    if (depth > kMaxDepth) {
      return input_error(file_, t.line, "the schema nests deeper than tandem reads",
                         "flatten the schema");
    }
    if (t.is_string()) return name(t, ns, depth);
    if (t.is_array()) {
      for (Value& branch : t.items) TANDEM_RETURN_IF_ERROR(visit(branch, ns, depth + 1));
      return Status::Ok();
    }
    if (!t.is_object()) return Status::Ok();
    Value* type = member(t, "type");
    if (type == nullptr) return Status::Ok();  // the reader reports it
    if (!type->is_string() || primitive(type->text)) return visit(*type, ns, depth + 1);
    const std::string& kind = type->text;
    if (kind == "record" || kind == "error" || kind == "enum" || kind == "fixed") {
      std::string full = full_name(t, ns);
      if (!full.empty()) defined_.insert(full);
      if (kind != "record" && kind != "error") return Status::Ok();
      Value* fields = member(t, "fields");
      if (fields == nullptr || !fields->is_array()) return Status::Ok();
      std::string inner = namespace_of(full);
      for (Value& field : fields->items) {
        if (!field.is_object()) continue;
        if (Value* ft = member(field, "type")) TANDEM_RETURN_IF_ERROR(visit(*ft, inner, depth + 1));
      }
      return Status::Ok();
    }
    if (kind == "array") {
      if (Value* items = member(t, "items")) return visit(*items, ns, depth + 1);
      return Status::Ok();
    }
    if (kind == "map") {
      if (Value* values = member(t, "values")) return visit(*values, ns, depth + 1);
      return Status::Ok();
    }
    return visit(*type, ns, depth + 1);  // a type name: {"type": "com.acme.Customer"}
  }

 private:
  // The full name a named type's definition gives it ("" when it has no usable name).
  static std::string full_name(const Value& t, const std::string& ns) {
    const Value* n = t.find("name");
    if (n == nullptr || !n->is_string()) return "";
    if (n->text.find('.') != std::string::npos) return n->text;
    const Value* explicit_ns = t.find("namespace");
    std::string space = explicit_ns && explicit_ns->is_string() ? explicit_ns->text : ns;
    return space.empty() ? n->text : space + "." + n->text;
  }

  // A type name: a referenced schema's named type is put here, the first time it is used.
  Status name(Value& t, const std::string& ns, int depth) {
    if (primitive(t.text)) return Status::Ok();
    std::string full =
        t.text.find('.') != std::string::npos || ns.empty() ? t.text : ns + "." + t.text;
    if (defined_.count(full) || defined_.count(t.text)) return Status::Ok();
    auto ref = references_.find(full);
    if (ref == references_.end()) ref = references_.find(t.text);
    if (ref == references_.end()) return Status::Ok();  // the reader reports an unknown name
    Result<Document> doc = parse_document(ref->second, ref->first);
    if (!doc.ok()) return doc.status();
    Value r = std::move(doc->root);
    // A referenced schema was read on its own: an unqualified name in it is in no namespace,
    // not in the namespace of the place it is used.
    if (r.is_object() && r.find("namespace") == nullptr) {
      if (const Value* n = r.find("name");
          n && n->is_string() && n->text.find('.') == std::string::npos) {
        Value empty;
        empty.kind = Value::Kind::kString;
        r.members.emplace_back("namespace", std::move(empty));
      }
    }
    TANDEM_RETURN_IF_ERROR(visit(r, "", depth + 1));
    // A reference that names nothing in its schema defines nothing: mark it so that a
    // second use does not inline it again.
    defined_.insert(ref->first);
    t = std::move(r);
    return Status::Ok();
  }

  const std::string& file_;
  const std::map<std::string, std::string>& references_;
  std::set<std::string> defined_;
};

}  // namespace

Status inline_avro_references(Document& doc, const std::map<std::string, std::string>& references) {
  if (references.empty()) return Status::Ok();
  Inliner inliner(doc.file, references);
  return inliner.visit(doc.root, "", 0);
}

}  // namespace tandem::compat
