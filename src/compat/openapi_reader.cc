// OpenAPI 3.0/3.1 into the API model (compat/openapi.h). Schemas go through the JSON Schema
// reader (EmbeddedSchemas), in the dialect of the document's version: 3.0's `nullable`, 3.1's
// type lists and 2020-12 $ref siblings. Every other part may be a $ref, within the document or
// to another file; a chain of them is followed up to kMaxRefHops.

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "compat/openapi.h"

namespace tandem::compat {

namespace {
constexpr size_t kMaxSecurityAlternatives = 64;
constexpr size_t kMaxScopes = 256;
}  // namespace
namespace {

// A chain of $refs (a parameter referring to a parameter referring to …) longer than this is a
// loop or a mistake.
constexpr int kMaxRefHops = 32;

const char* const kMethods[] = {"get",     "put",  "post",  "delete",
                                "options", "head", "patch", "trace"};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "/orders/{id}" → "/orders/{}": two paths that differ only in their parameters' names are one
// route to a client.
std::string path_template(const std::string& path) {
  std::string out;
  bool in_param = false;
  for (char c : path) {
    if (c == '{') {
      in_param = true;
      out += "{}";
    } else if (c == '}') {
      in_param = false;
    } else if (!in_param) {
      out += c;
    }
  }
  return out;
}

void add_ignores(std::vector<std::string>& to, const Value& v) {
  for (std::string& id : x_tandem_ignore(v)) to.push_back(std::move(id));
}

class OpenApiReader {
 public:
  OpenApiReader(const Document& doc, const DocumentLoader& load, bool v31)
      : doc_(doc), schemas_(doc, load, v31, !v31) {}

  Result<Api> read(std::string version) {
    Api api;
    api.file = doc_.file;
    api.version = std::move(version);
    const Value& root = doc_.root;
    if (const Value* comps = root.find("components")) {
      if (const Value* schemes = comps->find("securitySchemes"))
        TANDEM_RETURN_IF_ERROR(read_schemes(*schemes, api));
    }
    std::vector<SecurityAlternative> global;
    Location global_at;
    if (const Value* sec = root.find("security")) {
      TANDEM_RETURN_IF_ERROR(read_security(doc_, *sec, global));
      global_at = {"/security", sec->line};
    }
    const Value* paths = root.find("paths");
    if (paths != nullptr && !paths->is_object())
      return error(doc_, *paths, "\"paths\" is an object of path items");
    if (paths != nullptr) {
      for (const auto& [path, item] : paths->members) {
        if (path.rfind("x-", 0) == 0) continue;
        ApiPath p;
        p.path = path;
        p.template_ = path_template(path);
        p.at = {pointer_append("/paths", path), item.line};
        TANDEM_RETURN_IF_ERROR(read_path(item, p, global, global_at));
        api.paths.push_back(std::move(p));
      }
    }
    api.schema = std::move(schemas_.schema());
    api.schema.file = doc_.file;
    return api;
  }

 private:
  Status error(const Document& doc, const Value& at, const std::string& message,
               std::string hint = {}) const {
    if (hint.empty()) hint = "see spec.openapis.org for the object's fields";
    return input_error(doc.file, at.line, message, std::move(hint));
  }

  // `v` itself, or what its $ref (and theirs) lead to; `ignore` gathers x-tandem-ignore on the
  // way.
  Result<RefTarget> deref(const Document& doc, const Value& v, const std::string& ptr,
                          std::vector<std::string>* ignore = nullptr) {
    RefTarget t{&doc, &v, ptr};
    for (int hops = 0;; ++hops) {
      if (ignore != nullptr) add_ignores(*ignore, *t.value);
      const Value* ref = t.value->find("$ref");
      if (ref == nullptr) return t;
      if (!ref->is_string()) return error(*t.doc, *ref, "\"$ref\" is a string");
      if (hops >= kMaxRefHops) {
        return error(*t.doc, *ref,
                     fmt::format("more than {} $refs in a row (a loop?)", kMaxRefHops),
                     "make the chain of references end at an object");
      }
      auto next = schemas_.locate(*t.doc, *ref);
      if (!next.ok()) return next.status();
      t = *next;
      if (!t.value->is_object()) return error(*t.doc, *ref, "this $ref leads to no object");
    }
  }

  // A place in `doc`: a file other than the document's own is named (a $ref led there), so
  // that findings and exceptions point at the file that holds it.
  Location place(const Document& doc, std::string pointer, int line) const {
    return Location(std::move(pointer), line, &doc == &doc_ ? std::string() : doc.file);
  }

  Status expect_object(const Document& doc, const Value& v, const char* what) const {
    if (v.is_object()) return Status::Ok();
    return error(doc, v, fmt::format("{} is an object", what));
  }

  Status read_path(const Value& item, ApiPath& p, const std::vector<SecurityAlternative>& global,
                   const Location& global_at) {
    p.ignore = x_tandem_ignore(item);
    TANDEM_RETURN_IF_ERROR(expect_object(doc_, item, "a path item"));
    auto t = deref(doc_, item, p.at.pointer, &p.ignore);
    if (!t.ok()) return t.status();
    const Document& doc = *t->doc;
    const Value& v = *t->value;
    // Inside a path item a $ref led to, places are that file's: its pointers (schemas are
    // cached by file and pointer — the referring pointer once gave another schema) and lines.
    const std::string& base = t->pointer;
    // Parameters of the path item apply to each of its operations.
    std::vector<ApiParameter> common;
    if (const Value* params = v.find("parameters"))
      TANDEM_RETURN_IF_ERROR(read_parameters(doc, *params, base, common));
    for (const char* method : kMethods) {
      const Value* op = v.find(method);
      if (op == nullptr) continue;
      TANDEM_RETURN_IF_ERROR(expect_object(doc, *op, "an operation"));
      ApiOperation o;
      o.method = method;
      o.at = place(doc, pointer_append(base, method), op->line);
      o.ignore = x_tandem_ignore(*op);
      if (const Value* id = op->find("operationId"); id && id->is_string())
        o.operation_id = id->text;
      if (const Value* d = op->find("deprecated"); d && d->kind == Value::Kind::kBool)
        o.deprecated = d->boolean;
      std::vector<ApiParameter> own;
      if (const Value* params = op->find("parameters"))
        TANDEM_RETURN_IF_ERROR(read_parameters(doc, *params, o.at.pointer, own));
      // An operation's parameter overrides the path item's of the same name and location.
      for (const ApiParameter& c : common) {
        bool overridden = std::any_of(own.begin(), own.end(), [&](const ApiParameter& x) {
          return x.name == c.name && x.in == c.in;
        });
        if (!overridden) o.parameters.push_back(c);
      }
      for (ApiParameter& x : own) o.parameters.push_back(std::move(x));
      if (const Value* body = op->find("requestBody")) {
        o.has_body = true;
        TANDEM_RETURN_IF_ERROR(
            read_body(doc, *body, pointer_append(o.at.pointer, "requestBody"), o.body));
      }
      if (const Value* responses = op->find("responses")) {
        TANDEM_RETURN_IF_ERROR(expect_object(doc, *responses, "\"responses\""));
        for (const auto& [status, r] : responses->members) {
          if (status.rfind("x-", 0) == 0) continue;
          ApiResponse resp;
          resp.status = status;
          for (char& c : resp.status)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
          if (resp.status == "DEFAULT") resp.status = "default";
          std::string rptr = pointer_append(pointer_append(o.at.pointer, "responses"), status);
          TANDEM_RETURN_IF_ERROR(read_response(doc, r, rptr, resp));
          o.responses.push_back(std::move(resp));
        }
      }
      if (const Value* sec = op->find("security")) {
        TANDEM_RETURN_IF_ERROR(read_security(doc, *sec, o.security));
        o.security_at = place(doc, pointer_append(o.at.pointer, "security"), sec->line);
      } else {
        o.security = global;
        o.security_at = global_at;
      }
      p.operations.push_back(std::move(o));
    }
    return Status::Ok();
  }

  Status read_parameters(const Document& doc, const Value& list, const std::string& ptr,
                         std::vector<ApiParameter>& out) {
    if (!list.is_array()) return error(doc, list, "\"parameters\" is a list");
    std::string base = pointer_append(ptr, "parameters");
    for (size_t i = 0; i < list.items.size(); ++i) {
      const Value& item = list.items[i];
      ApiParameter p;
      p.at = place(doc, pointer_append(base, std::to_string(i)), item.line);
      TANDEM_RETURN_IF_ERROR(expect_object(doc, item, "a parameter"));
      auto t = deref(doc, item, p.at.pointer, &p.ignore);
      if (!t.ok()) return t.status();
      const Value& v = *t->value;
      const Value* name = v.find("name");
      const Value* in = v.find("in");
      if (name == nullptr || !name->is_string() || in == nullptr || !in->is_string())
        return error(*t->doc, v, "a parameter has a \"name\" and an \"in\" (both strings)");
      p.name = name->text;
      p.in = in->text;
      if (p.in != "path" && p.in != "query" && p.in != "header" && p.in != "cookie") {
        return error(*t->doc, *in, fmt::format("\"in\": \"{}\" is not a parameter location", p.in),
                     "use path, query, header or cookie");
      }
      // Header parameters named Accept, Content-Type or Authorization are ignored (the spec:
      // the content negotiation and the security schemes describe them).
      if (p.in == "header") {
        std::string n = lower(p.name);
        if (n == "accept" || n == "content-type" || n == "authorization") continue;
        p.name = n;  // header names are case-insensitive
      }
      TANDEM_RETURN_IF_ERROR(read_parameter_value(*t, p));
      if (p.in == "path") p.required = true;  // the spec requires it
      out.push_back(std::move(p));
    }
    return Status::Ok();
  }

  // `required` and the schema (`schema`, or the one media type of `content`) of a parameter or
  // a header.
  Status read_parameter_value(const RefTarget& t, ApiParameter& p) {
    const Value& v = *t.value;
    if (const Value* r = v.find("required")) {
      if (r->kind != Value::Kind::kBool) return error(*t.doc, *r, "\"required\" is true or false");
      p.required = r->boolean;
    }
    if (const Value* s = v.find("schema")) {
      auto id = schemas_.read(*t.doc, *s, pointer_append(t.pointer, "schema"));
      if (!id.ok()) return id.status();
      p.schema = *id;
    } else if (const Value* c = v.find("content"); c && c->is_object() && !c->members.empty()) {
      const auto& [type, media] = c->members.front();
      std::string mptr = pointer_append(pointer_append(t.pointer, "content"), type);
      if (const Value* s = media.find("schema")) {
        auto id = schemas_.read(*t.doc, *s, pointer_append(mptr, "schema"));
        if (!id.ok()) return id.status();
        p.schema = *id;
      }
    }
    if (p.schema < 0) p.schema = any(p.at);
    return Status::Ok();
  }

  NodeId any(const Location& at) {
    Node n;
    n.kind = Kind::kAny;
    n.at = at;
    return schemas_.schema().add(std::move(n));
  }

  Status read_content(const Document& doc, const Value& content, const std::string& ptr,
                      std::vector<ApiMedia>& out) {
    TANDEM_RETURN_IF_ERROR(expect_object(doc, content, "\"content\""));
    for (const auto& [type, media] : content.members) {
      ApiMedia m;
      m.type = lower(type);
      m.at = place(doc, pointer_append(ptr, type), media.line);
      TANDEM_RETURN_IF_ERROR(expect_object(doc, media, "a media type object"));
      m.ignore = x_tandem_ignore(media);
      if (const Value* s = media.find("schema")) {
        auto id = schemas_.read(doc, *s, pointer_append(m.at.pointer, "schema"));
        if (!id.ok()) return id.status();
        m.schema = *id;
      } else {
        m.schema = any(m.at);
      }
      out.push_back(std::move(m));
    }
    return Status::Ok();
  }

  Status read_body(const Document& doc, const Value& body, const std::string& ptr, ApiBody& out) {
    out.at = place(doc, ptr, body.line);
    TANDEM_RETURN_IF_ERROR(expect_object(doc, body, "\"requestBody\""));
    auto t = deref(doc, body, ptr, &out.ignore);
    if (!t.ok()) return t.status();
    const Value& v = *t->value;
    if (const Value* r = v.find("required")) {
      if (r->kind != Value::Kind::kBool) return error(*t->doc, *r, "\"required\" is true or false");
      out.required = r->boolean;
    }
    if (const Value* c = v.find("content"))
      return read_content(*t->doc, *c, pointer_append(t->pointer, "content"), out.content);
    return Status::Ok();
  }

  Status read_response(const Document& doc, const Value& r, const std::string& ptr,
                       ApiResponse& out) {
    out.at = place(doc, ptr, r.line);
    TANDEM_RETURN_IF_ERROR(expect_object(doc, r, "a response"));
    auto t = deref(doc, r, ptr, &out.ignore);
    if (!t.ok()) return t.status();
    const Value& v = *t->value;
    if (const Value* c = v.find("content"))
      TANDEM_RETURN_IF_ERROR(
          read_content(*t->doc, *c, pointer_append(t->pointer, "content"), out.content));
    if (const Value* headers = v.find("headers")) {
      TANDEM_RETURN_IF_ERROR(expect_object(*t->doc, *headers, "\"headers\""));
      for (const auto& [name, h] : headers->members) {
        ApiParameter header;
        header.name = lower(name);
        header.in = "header";
        header.at =
            place(*t->doc, pointer_append(pointer_append(t->pointer, "headers"), name), h.line);
        TANDEM_RETURN_IF_ERROR(expect_object(*t->doc, h, "a header"));
        auto ht = deref(*t->doc, h, header.at.pointer, &header.ignore);
        if (!ht.ok()) return ht.status();
        TANDEM_RETURN_IF_ERROR(read_parameter_value(*ht, header));
        // Content-Type is described by `content`, not by a header (the spec ignores it).
        if (header.name == "content-type") continue;
        out.headers.push_back(std::move(header));
      }
    }
    return Status::Ok();
  }

  Status read_security(const Document& doc, const Value& sec,
                       std::vector<SecurityAlternative>& out) {
    if (!sec.is_array()) return error(doc, sec, "\"security\" is a list of requirements");
    out.clear();
    // Requirements are copied into every operation: bounded, so that a small file cannot ask
    // for gigabytes (3000 alternatives × 50 scopes × 1200 operations once took 12 GB).
    if (sec.items.size() > kMaxSecurityAlternatives) {
      return error(doc, sec,
                   fmt::format("more than {} security requirements", kMaxSecurityAlternatives));
    }
    for (const Value& req : sec.items) {
      TANDEM_RETURN_IF_ERROR(expect_object(doc, req, "a security requirement"));
      SecurityAlternative alt;
      for (const auto& [name, scopes] : req.members) {
        if (!scopes.is_array())
          return error(doc, scopes, fmt::format("the scopes of \"{}\" are a list", name));
        if (scopes.items.size() > kMaxScopes)
          return error(doc, scopes,
                       fmt::format("more than {} scopes for \"{}\"", kMaxScopes, name));
        std::vector<std::string> s;
        for (const Value& scope : scopes.items)
          if (scope.is_string()) s.push_back(scope.text);
        std::sort(s.begin(), s.end());
        alt.emplace_back(name, std::move(s));
      }
      std::sort(alt.begin(), alt.end());
      out.push_back(std::move(alt));
    }
    return Status::Ok();
  }

  Status read_schemes(const Value& schemes, Api& api) {
    TANDEM_RETURN_IF_ERROR(expect_object(doc_, schemes, "\"securitySchemes\""));
    for (const auto& [name, s] : schemes.members) {
      ApiSecurityScheme scheme;
      scheme.name = name;
      scheme.at = {pointer_append("/components/securitySchemes", name), s.line};
      TANDEM_RETURN_IF_ERROR(expect_object(doc_, s, "a security scheme"));
      auto t = deref(doc_, s, scheme.at.pointer, &scheme.ignore);
      if (!t.ok()) return t.status();
      const Value& v = *t->value;
      auto text = [&](const char* key) {
        const Value* f = v.find(key);
        return f && f->is_string() ? f->text : std::string();
      };
      std::string type = text("type");
      if (type == "apiKey") {
        // Header names are case-insensitive; query and cookie names are not.
        scheme.description =
            fmt::format("apiKey in {} named {}", text("in"),
                        text("in") == "header" ? lower(text("name")) : text("name"));
      } else if (type == "http") {
        scheme.description = fmt::format("http {}", lower(text("scheme")));
      } else if (type == "oauth2") {
        std::vector<std::string> flows;
        if (const Value* f = v.find("flows"))
          for (const auto& [flow, unused] : f->members) flows.push_back(flow);
        std::sort(flows.begin(), flows.end());
        scheme.description = "oauth2";
        for (const std::string& f : flows) scheme.description += " " + f;
      } else if (type == "openIdConnect") {
        scheme.description = "openIdConnect " + text("openIdConnectUrl");
      } else {
        scheme.description = type;
      }
      api.schemes.push_back(std::move(scheme));
    }
    return Status::Ok();
  }

  const Document& doc_;
  EmbeddedSchemas schemas_;
};

}  // namespace

Result<Api> read_openapi(const Document& doc, const DocumentLoader& load) {
  const Value& root = doc.root;
  if (!root.is_object()) {
    return input_error(doc.file, root.line, "not an OpenAPI document: the top level is no object",
                       "give an OpenAPI 3.0 or 3.1 document, or pass --type for another format");
  }
  if (const Value* swagger = root.find("swagger")) {
    return input_error(doc.file, swagger->line,
                       fmt::format("Swagger (OpenAPI) {} is not read: tandem reads OpenAPI 3.0 "
                                   "and 3.1",
                                   swagger->text),
                       "convert both versions to OpenAPI 3 (e.g. with swagger2openapi) and "
                       "compare those");
  }
  const Value* openapi = root.find("openapi");
  if (openapi == nullptr) {
    return input_error(doc.file, root.line,
                       "not an OpenAPI document: no \"openapi: 3.x\" at the top level",
                       "add the version field, or pass --type for another format");
  }
  // YAML reads `openapi: 3.0` (unquoted) as a number: its text is what was written.
  const std::string& version = openapi->text;
  bool v30 = version.rfind("3.0", 0) == 0;
  bool v31 = version.rfind("3.1", 0) == 0;
  if ((!openapi->is_string() && openapi->kind != Value::Kind::kNumber) || !(v30 || v31)) {
    return input_error(doc.file, openapi->line,
                       fmt::format("OpenAPI \"{}\" is not read: tandem reads 3.0 and 3.1", version),
                       "give the version as \"3.0.3\" or \"3.1.0\"");
  }
  OpenApiReader reader(doc, load, v31);
  return reader.read(version);
}

}  // namespace tandem::compat
