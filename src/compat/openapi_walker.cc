// Pairs two OpenAPI documents and asks the API rules (compat/openapi_walker.h).

#include "compat/openapi_walker.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "compat/rules/rules.h"

namespace tandem::compat {
namespace {

std::string at_line(const Api& api, const Location& at) {
  return at.line > 0 ? fmt::format("{}:{}", api.file, at.line) : api.file;
}

// "application/json; charset=utf-8" → "application/json".
std::string bare(const std::string& media) {
  std::string out = media.substr(0, media.find(';'));
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Does the media range `pattern` (application/json, text/*, */*) take `type`?
bool covers(const std::string& pattern, const std::string& type) {
  std::string p = bare(pattern), t = bare(type);
  if (p == t || p == "*/*") return true;
  if (p.size() > 2 && p.compare(p.size() - 2, 2, "/*") == 0)
    return t.compare(0, p.size() - 1, p, 0, p.size() - 1) == 0;
  return false;
}

// The entry of `list` that matches `type`: the same type, else one whose range takes it, else
// one that `type`'s own range takes.
const ApiMedia* match_media(const std::vector<ApiMedia>& list, const std::string& type) {
  for (const ApiMedia& m : list)
    if (bare(m.type) == bare(type)) return &m;
  for (const ApiMedia& m : list)
    if (covers(m.type, type)) return &m;
  for (const ApiMedia& m : list)
    if (covers(type, m.type)) return &m;
  return nullptr;
}

// Does the status key `key` ("200", "2XX", "default") hold the status `status` ("201", "2XX")?
bool status_covers(const std::string& key, const std::string& status) {
  if (key == status) return true;
  return key.size() == 3 && key[1] == 'X' && key[2] == 'X' && !status.empty() &&
         status[0] == key[0] && status != "default";
}

// The response of `list` a client reads for `status`: the same key, a range, or `default`.
const ApiResponse* match_response(const std::vector<ApiResponse>& list, const std::string& status,
                                  bool use_default) {
  for (const ApiResponse& r : list)
    if (r.status == status) return &r;
  for (const ApiResponse& r : list)
    if (r.status != status && status_covers(r.status, status)) return &r;
  if (use_default)
    for (const ApiResponse& r : list)
      if (r.status == "default") return &r;
  return nullptr;
}

const ApiPath* match_path(const std::vector<ApiPath>& list, const ApiPath& p) {
  for (const ApiPath& x : list)
    if (x.path == p.path) return &x;
  for (const ApiPath& x : list)
    if (x.template_ == p.template_) return &x;
  return nullptr;
}

const ApiOperation* match_operation(const ApiPath& p, const std::string& method) {
  for (const ApiOperation& o : p.operations)
    if (o.method == method) return &o;
  return nullptr;
}

// The names of a path's parameters in the order of its template: /a/{x}/b/{y} → x, y.
std::vector<std::string> template_names(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = path.find('{', pos)) != std::string::npos) {
    size_t end = path.find('}', pos);
    if (end == std::string::npos) break;
    out.push_back(path.substr(pos + 1, end - pos - 1));
    pos = end + 1;
  }
  return out;
}

}  // namespace

// Pushes a context line (and the part's x-tandem-ignore) for as long as it lives.
class ApiWalker::Scope {
 public:
  Scope(ApiWalker& w, std::string context, const ApiPart* client, const ApiPart* server)
      : w_(w), has_context_(!context.empty()) {
    if (has_context_) w_.context_.push_back(std::move(context));
    for (auto [part, api] : {std::pair{client, &w_.client_}, std::pair{server, &w_.server_}}) {
      if (part == nullptr || part->ignore.empty()) continue;
      w_.ignores_.emplace_back(&part->ignore, at_line(*api, part->at));
      ++pushed_;
    }
  }
  ~Scope() {
    if (has_context_) w_.context_.pop_back();
    for (int i = 0; i < pushed_; ++i) w_.ignores_.pop_back();
  }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  ApiWalker& w_;
  bool has_context_;
  int pushed_ = 0;
};

ApiWalker::ApiWalker(const Api& client, const Api& server, bool server_is_new)
    : client_(client),
      server_(server),
      server_is_new_(server_is_new),
      requests_(server.schema, client.schema, server_is_new),
      responses_(client.schema, server.schema, !server_is_new) {}

std::vector<Finding> ApiWalker::run() {
  std::vector<Finding> out;
  out_ = &out;
  for (const ApiSecurityScheme& c : client_.schemes) {
    for (const ApiSecurityScheme& s : server_.schemes) {
      if (c.name != s.name) continue;
      Scope scope(*this, "", &c, &s);
      checks::security_scheme_changed(*this, c, s);
    }
  }
  compare_paths();
  out_ = nullptr;
  return out;
}

const char* ApiWalker::client_side() const { return server_is_new_ ? "old" : "new"; }

const char* ApiWalker::server_side() const { return server_is_new_ ? "new" : "old"; }

std::string ApiWalker::where() const {
  std::string s;
  for (const std::string& c : context_) s += (s.empty() ? "" : ", ") + c;
  return s.empty() ? "the document" : s;
}

void ApiWalker::add(Finding f) {
  f.direction = server_is_new_ ? Direction::kBackward : Direction::kForward;
  if (!f.ignored) {
    for (const auto& [ids, place] : ignores_) {
      if (std::find(ids->begin(), ids->end(), f.rule) != ids->end()) {
        f.ignored = true;
        f.ignored_because = "x-tandem-ignore at " + place;
        break;
      }
    }
  }
  out_->push_back(std::move(f));
}

void ApiWalker::report(const char* rule, Level level, const Location* c, const Location* s,
                       std::string message) {
  if (out_ == nullptr) return;
  Finding f;
  f.rule = rule;
  f.level = level;
  // A place in another file (a $ref led there) names that file.
  Place cp{c && !c->file.empty() ? c->file : client_.file, c ? c->pointer : "", c ? c->line : 0};
  Place sp{s && !s->file.empty() ? s->file : server_.file, s ? s->pointer : "", s ? s->line : 0};
  f.new_place = server_is_new_ ? sp : cp;
  f.old_place = server_is_new_ ? cp : sp;
  f.message = fmt::format("{}: {}", where(), message);
  add(std::move(f));
}

void ApiWalker::compare_schema(bool request, NodeId client_node, NodeId server_node) {
  // A schema many operations share (#/components/schemas/Order) is walked once per pair of
  // nodes: its findings are the same, only the context in front of them differs.
  auto key = std::make_tuple(request, client_node, server_node);
  auto it = walked_.find(key);
  if (it == walked_.end()) {
    it = walked_
             .emplace(key, request ? requests_.run(server_node, client_node)
                                   : responses_.run(client_node, server_node))
             .first;
  }
  std::vector<Finding> found = it->second;
  for (Finding& f : found) {
    // "the top level" of a parameter's or a body's schema is the part the context names.
    static const std::string kTop = "the top level: ";
    if (f.message.rfind(kTop, 0) == 0) f.message.erase(0, kTop.size());
    f.message = fmt::format("{}: {}", where(), f.message);
    add(std::move(f));
  }
}

std::string ApiWalker::operation_name(const ApiPath& p, const ApiOperation& o) {
  std::string method = o.method;
  for (char& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return fmt::format("`{} {}`", method, p.path);
}

void ApiWalker::compare_paths() {
  for (const ApiPath& cp : client_.paths) {
    const ApiPath* sp = match_path(server_.paths, cp);
    if (sp == nullptr) {
      Scope scope(*this, "`" + cp.path + "`", &cp, nullptr);
      checks::path_missing(*this, &cp, nullptr);
      continue;
    }
    Scope scope(*this, "", &cp, sp);
    for (const ApiOperation& c : cp.operations) {
      const ApiOperation* s = match_operation(*sp, c.method);
      Scope op(*this, operation_name(cp, c), &c, s);
      if (s == nullptr) {
        checks::operation_missing(*this, &c, nullptr);
      } else {
        compare_operation(cp, c, *sp, *s);
      }
    }
    for (const ApiOperation& s : sp->operations) {
      if (match_operation(cp, s.method) != nullptr) continue;
      Scope op(*this, operation_name(*sp, s), nullptr, &s);
      checks::operation_missing(*this, nullptr, &s);
    }
  }
  for (const ApiPath& sp : server_.paths) {
    if (match_path(client_.paths, sp) != nullptr) continue;
    Scope scope(*this, "`" + sp.path + "`", nullptr, &sp);
    checks::path_missing(*this, nullptr, &sp);
  }
}

void ApiWalker::compare_operation(const ApiPath& cp, const ApiOperation& c, const ApiPath& sp,
                                  const ApiOperation& s) {
  checks::operation_id_changed(*this, c, s);
  checks::security_requirement(*this, c, s);
  compare_parameters(cp, c, sp, s);
  compare_body(c, s);
  compare_responses(c, s);
}

void ApiWalker::compare_parameters(const ApiPath& cp, const ApiOperation& c, const ApiPath& sp,
                                   const ApiOperation& s) {
  // Path parameters meet by their place in the template: renaming {id} to {orderId} changes
  // nothing a client sends.
  std::vector<std::string> cnames = template_names(cp.path), snames = template_names(sp.path);
  auto server_name = [&](const ApiParameter& p) {
    if (p.in != "path") return p.name;
    auto it = std::find(cnames.begin(), cnames.end(), p.name);
    size_t i = static_cast<size_t>(it - cnames.begin());
    return it != cnames.end() && i < snames.size() ? snames[i] : p.name;
  };
  std::vector<const ApiParameter*> matched;
  for (const ApiParameter& sparam : s.parameters) {
    const ApiParameter* cparam = nullptr;
    for (const ApiParameter& x : c.parameters)
      if (x.in == sparam.in && server_name(x) == sparam.name) cparam = &x;
    Scope scope(*this, fmt::format("{} parameter `{}`", sparam.in, sparam.name), cparam, &sparam);
    if (cparam == nullptr) {
      // The same name elsewhere (query → header): the parameter moved.
      for (const ApiParameter& x : c.parameters) {
        if (x.name != sparam.name || x.in == sparam.in) continue;
        bool taken =
            std::any_of(s.parameters.begin(), s.parameters.end(),
                        [&](const ApiParameter& y) { return y.in == x.in && y.name == x.name; });
        if (!taken) cparam = &x;
      }
      if (cparam != nullptr) {
        matched.push_back(cparam);
        checks::request_parameter_moved(*this, *cparam, sparam);
      } else {
        checks::request_parameter_missing(*this, nullptr, &sparam);
      }
      continue;
    }
    matched.push_back(cparam);
    checks::request_parameter_required(*this, *cparam, sparam);
    compare_schema(true, cparam->schema, sparam.schema);
  }
  for (const ApiParameter& cparam : c.parameters) {
    if (std::find(matched.begin(), matched.end(), &cparam) != matched.end()) continue;
    Scope scope(*this, fmt::format("{} parameter `{}`", cparam.in, cparam.name), &cparam, nullptr);
    checks::request_parameter_missing(*this, &cparam, nullptr);
  }
}

void ApiWalker::compare_body(const ApiOperation& c, const ApiOperation& s) {
  if (!c.has_body && !s.has_body) return;
  Scope scope(*this, "request body", c.has_body ? &c.body : nullptr,
              s.has_body ? &s.body : nullptr);
  if (!checks::request_body(*this, c, s)) return;
  for (const ApiMedia& cm : c.body.content) {
    const ApiMedia* sm = match_media(s.body.content, cm.type);
    Scope media(*this, "`" + cm.type + "`", &cm, sm);
    if (sm == nullptr) {
      checks::media_type_missing(*this, true, &cm, nullptr);
      continue;
    }
    compare_schema(true, cm.schema, sm->schema);
  }
  for (const ApiMedia& sm : s.body.content) {
    if (match_media(c.body.content, sm.type) != nullptr) continue;
    Scope media(*this, "`" + sm.type + "`", nullptr, &sm);
    checks::media_type_missing(*this, true, nullptr, &sm);
  }
}

void ApiWalker::compare_responses(const ApiOperation& c, const ApiOperation& s) {
  for (const ApiResponse& sr : s.responses) {
    const ApiResponse* cr = match_response(c.responses, sr.status, true);
    // A client's `default` describes its errors, by convention: a new success or redirect
    // status is one the clients do not know (response-status-added), not a body to read
    // through their error schema.
    if (cr != nullptr && cr->status == "default" && sr.status != "default" && !sr.status.empty() &&
        sr.status[0] != '4' && sr.status[0] != '5')
      cr = nullptr;
    Scope scope(*this, "response " + sr.status, cr, &sr);
    if (cr == nullptr) {
      checks::response_status_missing(*this, c, s, nullptr, &sr);
      continue;
    }
    compare_response(*cr, sr);
  }
  for (const ApiResponse& cr : c.responses) {
    // Still answered: the same status, a range holding it, or a status inside its range.
    if (cr.status == "default" ||
        std::any_of(s.responses.begin(), s.responses.end(), [&](const ApiResponse& sr) {
          return status_covers(sr.status, cr.status) || status_covers(cr.status, sr.status);
        }))
      continue;
    Scope scope(*this, "response " + cr.status, &cr, nullptr);
    checks::response_status_missing(*this, c, s, &cr, nullptr);
  }
}

void ApiWalker::compare_response(const ApiResponse& c, const ApiResponse& s) {
  for (const ApiMedia& cm : c.content) {
    const ApiMedia* sm = match_media(s.content, cm.type);
    Scope media(*this, "`" + cm.type + "`", &cm, sm);
    if (sm == nullptr) {
      checks::media_type_missing(*this, false, &cm, nullptr);
      continue;
    }
    compare_schema(false, cm.schema, sm->schema);
  }
  for (const ApiMedia& sm : s.content) {
    if (match_media(c.content, sm.type) != nullptr) continue;
    Scope media(*this, "`" + sm.type + "`", nullptr, &sm);
    checks::media_type_missing(*this, false, nullptr, &sm);
  }
  for (const ApiParameter& ch : c.headers) {
    const ApiParameter* sh = nullptr;
    for (const ApiParameter& x : s.headers)
      if (x.name == ch.name) sh = &x;
    Scope header(*this, "header `" + ch.name + "`", &ch, sh);
    checks::response_header(*this, &ch, sh);
    if (sh != nullptr) compare_schema(false, ch.schema, sh->schema);
  }
  for (const ApiParameter& sh : s.headers) {
    if (std::any_of(c.headers.begin(), c.headers.end(),
                    [&](const ApiParameter& x) { return x.name == sh.name; }))
      continue;
    Scope header(*this, "header `" + sh.name + "`", nullptr, &sh);
    checks::response_header(*this, nullptr, &sh);
  }
}

std::vector<Finding> compare_apis(const Api& client, const Api& server, bool server_is_new) {
  ApiWalker walker(client, server, server_is_new);
  return walker.run();
}

}  // namespace tandem::compat
