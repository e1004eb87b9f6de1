// The gateway's config file (tandem/gateway.h, docs/gateway.md "Config reference").

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "gateway/config_checker.h"
#include "gateway/config_traffic.h"
#include "gateway/route_pattern.h"
#include "gateway/transform.h"
#include "gateway/yaml_json.h"
#include "http/server.h"
#include "tandem/duration.h"
#include "tandem/gateway.h"

namespace tandem::gateway {

int Config::upstream_index(std::string_view name) const {
  for (size_t i = 0; i < upstreams.size(); ++i) {
    if (upstreams[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int Config::version_index(std::string_view name) const {
  for (size_t i = 0; i < versions.size(); ++i) {
    if (versions[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

namespace {

constexpr uintmax_t kMaxConfigBytes = 1 << 20;

void read_versions(Checker& ck, const YAML::Node& node, Config& c) {
  if (!node.IsMap()) {
    ck.fail(node, "`versions` must be a map with `list`",
            "e.g. versions: { header: Api-Version, list: [{name: \"2025-01-01\"}] }");
    return;
  }
  ck.only(node, {"header", "path", "media_type", "default", "list", "removed"}, "versions");
  if (node["header"]) {
    if (auto t = ck.text(node["header"], "header")) c.version_header = *t;
  }
  if (node["path"]) {
    if (auto t = ck.text(node["path"], "path")) {
      size_t at = t->find("{version}");
      if (t->empty() || t->front() != '/' || at == std::string::npos ||
          t->substr(at) != "{version}/") {
        ck.fail(node["path"],
                fmt::format("`path: {}` must start with / and end with {{version}}/", *t),
                "e.g. path: \"/{version}/\" or \"/api/{version}/\"");
      } else {
        c.version_path = *t;
      }
    }
  }
  if (node["media_type"]) {
    if (auto t = ck.text(node["media_type"], "media_type")) {
      if (t->find("{version}") == std::string::npos) {
        ck.fail(node["media_type"], "`media_type` must contain {version}",
                "e.g. media_type: \"application/vnd.shop.{version}+json\"");
      } else {
        c.media_type = *t;
      }
    }
  }
  const YAML::Node list = node["list"];
  if (!list || !list.IsSequence() || list.size() == 0) {
    ck.fail(list ? list : node, "`versions.list` must list at least one version, oldest first",
            "e.g. list: [{name: \"2025-01-01\"}, {name: \"2026-01-01\"}]");
    return;
  }
  std::set<std::string> names;
  for (const YAML::Node& v : list) {
    ApiVersion av;
    av.line = v.Mark().line + 1;
    YAML::Node name = v.IsMap() ? v["name"] : v;
    if (v.IsMap()) ck.only(v, {"name", "deprecated", "sunset", "link", "brownouts"}, "a version");
    if (!name) {
      ck.fail(v, "a version without `name`", "e.g. - { name: \"2025-01-01\" }");
      continue;
    }
    auto t = ck.text(name, "name");
    if (!t) continue;
    av.name = *t;
    bool token = !t->empty() && t->size() <= 64 && std::all_of(t->begin(), t->end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.' || ch == '_';
    });
    if (!token) {
      ck.fail(name,
              fmt::format("version name `{}` must be letters, digits, - . _ (at most 64)", *t));
    }
    if (!names.insert(av.name).second) ck.fail(name, fmt::format("version `{}` listed twice", *t));
    auto time_of = [&](const char* key) -> std::optional<long long> {
      if (!v.IsMap() || !v[key]) return std::nullopt;
      auto s = ck.text(v[key], key);
      if (!s) return std::nullopt;
      auto when = parse_time(*s);
      if (!when) {
        ck.fail(v[key], fmt::format("`{}: {}` is not a time", key, *s),
                "write it as RFC 3339, e.g. 2026-01-01T00:00:00Z, or a date 2026-01-01");
      }
      return when;
    };
    av.deprecated = time_of("deprecated");
    av.sunset = time_of("sunset");
    if (av.deprecated && av.sunset && *av.sunset < *av.deprecated) {
      ck.fail(
          v["sunset"],
          fmt::format("version `{}`: its sunset is earlier than its deprecation", av.name),
          "a version is deprecated first and removed later: move the sunset after the deprecation");
    }
    if (v.IsMap() && v["link"]) {
      if (auto l = ck.text(v["link"], "link")) {
        if (l->find_first_of("<>\r\n\" ") != std::string::npos) {
          ck.fail(v["link"], "`link` must be a URL without spaces, quotes or angle brackets");
        } else {
          av.link = *l;
        }
      }
    }
    if (v.IsMap() && v["brownouts"]) {
      const YAML::Node b = v["brownouts"];
      if (!b.IsSequence()) {
        ck.fail(b, "`brownouts` must be a list of {start, end}",
                "e.g. brownouts: [{start: 2026-05-01T14:00:00Z, end: 2026-05-01T15:00:00Z}]");
      } else {
        for (const YAML::Node& w : b) {
          if (!w.IsMap() || !w["start"] || !w["end"]) {
            ck.fail(w, "a brownout needs `start` and `end`");
            continue;
          }
          ck.only(w, {"start", "end"}, "a brownout");
          auto s = ck.text(w["start"], "start");
          auto e = ck.text(w["end"], "end");
          auto st = s ? parse_time(*s) : std::nullopt;
          auto en = e ? parse_time(*e) : std::nullopt;
          if (!st || !en || *en <= *st) {
            ck.fail(w, "a brownout's `start` and `end` must be times, start before end",
                    "e.g. {start: 2026-05-01T14:00:00Z, end: 2026-05-01T15:00:00Z}");
            continue;
          }
          av.brownouts.emplace_back(*st, *en);
        }
      }
    }
    c.versions.push_back(std::move(av));
  }
  if (!c.versions.empty()) {
    const ApiVersion& head = c.versions.back();
    if (head.sunset) {
      ck.fail_at(
          head.line, fmt::format("head version `{}` has a sunset", head.name),
          "the newest version is what the backend serves: add a newer one before sunsetting it");
    }
  }
  if (const YAML::Node removed = node["removed"]) {
    if (!removed.IsSequence()) {
      ck.fail(removed, "`versions.removed` is a list of version names",
              "removed: [\"2023-01-01\"] (versions taken out of `list` after their sunset)");
    } else {
      for (const YAML::Node& r : removed) {
        auto t = ck.text(r, "removed");
        if (!t) continue;
        if (names.count(*t)) {
          ck.fail(r, fmt::format("`{}` is both listed and removed", *t),
                  "a removed version is no longer in `list`");
        } else {
          c.removed_versions.push_back(*t);
        }
      }
    }
  }
  if (node["default"]) {
    if (auto t = ck.text(node["default"], "default")) {
      if (*t == "pin") {
        c.default_pin = true;
      } else if (names.count(*t)) {
        c.default_pin = false;
        c.default_version = *t;
      } else {
        ck.fail(node["default"],
                fmt::format("`default: {}` is neither `pin` nor a listed version", *t),
                "pin (new clients are pinned to head at their first request) or a version name");
      }
    }
  }
}

std::optional<FieldOp> read_field_op(Checker& ck, const YAML::Node& item) {
  if (!item.IsMap() || item.size() != 1) {
    ck.fail(item,
            "a field operation is a map with one key: rename, convert, add, remove, enum or move",
            "e.g. - rename: { from: total, to: total_amount }");
    return std::nullopt;
  }
  auto kv = *item.begin();
  std::string kind = kv.first.Scalar();
  const YAML::Node body = kv.second;
  FieldOp op;
  op.line = kv.first.Mark().line + 1;
  if (!body.IsMap()) {
    ck.fail(body, fmt::format("`{}` takes a map", kind),
            "e.g. - rename: { from: total, to: total_amount }");
    return std::nullopt;
  }
  auto need = [&](const char* key, std::string& into) {
    if (!body[key]) {
      ck.fail(body, fmt::format("`{}` needs `{}`", kind, key));
      return false;
    }
    auto t = ck.text(body[key], key);
    if (!t) return false;
    if (t->empty()) {
      ck.fail(body[key], fmt::format("`{}.{}` is empty", kind, key));
      return false;
    }
    into = *t;
    return true;
  };
  auto default_of = [&]() {
    if (!body["default"]) {
      ck.fail(body,
              fmt::format("`{}` needs `default` (the value old clients see; null is one)", kind));
      return false;
    }
    auto json = yaml_to_json_text(body["default"]);
    if (!json.ok()) {
      ck.fail(body["default"], json.status().message());
      return false;
    }
    op.default_json = *json;
    return true;
  };
  bool ok = true;
  if (kind == "rename" || kind == "move") {
    op.kind = kind == "rename" ? FieldOp::Kind::kRename : FieldOp::Kind::kMove;
    ck.only(body, {"from", "to"}, kind);
    ok = need("from", op.from) && need("to", op.to);
  } else if (kind == "convert") {
    op.kind = FieldOp::Kind::kConvert;
    ck.only(body, {"field", "up", "down"}, kind);
    ok = need("field", op.field) && need("up", op.up) && need("down", op.down);
  } else if (kind == "add" || kind == "remove") {
    op.kind = kind == "add" ? FieldOp::Kind::kAdd : FieldOp::Kind::kRemove;
    ck.only(body, {"field", "default"}, kind);
    ok = need("field", op.field) && default_of();
  } else if (kind == "enum") {
    op.kind = FieldOp::Kind::kEnum;
    ck.only(body, {"field", "map"}, kind);
    ok = need("field", op.field);
    const YAML::Node map = body["map"];
    if (!map || !map.IsMap() || map.size() == 0) {
      ck.fail(map ? map : body, "`enum` needs `map: {old value: head value, …}`",
              "e.g. enum: { field: status, map: { paid: settled } }");
      return std::nullopt;
    }
    std::set<std::string> olds, heads;
    for (const auto& e : map) {
      auto o = yaml_to_json_text(e.first);
      auto h = yaml_to_json_text(e.second);
      if (!o.ok() || !h.ok()) {
        ck.fail(e.first, "enum values must be single values");
        ok = false;
        continue;
      }
      if (!olds.insert(*o).second || !heads.insert(*h).second) {
        ck.fail(e.first,
                fmt::format("enum map of `{}`: {} → {} repeats a value; the map must go both ways",
                            op.field, *o, *h),
                "each old value maps to one head value and back");
        ok = false;
      }
      op.enum_map.emplace_back(*o, *h);
    }
  } else {
    ck.fail(kv.first, fmt::format("unknown field operation `{}`", kind),
            "one of rename, convert, add, remove, enum, move");
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  return op;
}

void read_change(Checker& ck, const YAML::Node& node, Config& c) {
  if (!node.IsMap()) {
    ck.fail(node, "a change must be a map with version, description, routes and fields");
    return;
  }
  ck.only(node, {"version", "description", "routes", "fields", "added_routes", "status"},
          "a change");
  Change ch;
  ch.line = node.Mark().line + 1;
  const size_t problems_before = ck.count();
  std::vector<int> route_lines;  // where each route is declared (compile errors)
  if (!node["version"]) {
    ck.fail(node, "a change without `version`",
            "the version that introduced it, from versions.list");
    return;
  }
  if (auto v = ck.text(node["version"], "version")) ch.version = *v;
  int idx = c.version_index(ch.version);
  if (idx < 0) {
    ck.fail(node["version"],
            fmt::format("change for `{}`, which versions.list does not have", ch.version),
            "add the version to versions.list, or fix the name");
  } else if (idx == 0) {
    ck.fail(
        node["version"],
        fmt::format("change for `{}`, the oldest version: there is no older one to translate for",
                    ch.version),
        "a change belongs to the version that introduced it; after removing an old version "
        "from `list`, delete this change too (and name the version under `versions.removed`)");
  }
  if (node["description"]) {
    if (auto d = ck.text(node["description"], "description")) ch.description = *d;
  }
  if (node["routes"]) {
    if (!node["routes"].IsMap()) {
      ck.fail(node["routes"], "`routes` maps a route to where the changed object sits",
              "e.g. routes: { \"GET /orders\": \"data[]\", \"/orders/{id}\": \".\" }");
    } else {
      ck.only(node["routes"], {}, "routes");
      for (const auto& kv : node["routes"]) {
        auto pat = parse_route_pattern(kv.first.Scalar());
        if (!pat.ok()) {
          ck.fail(kv.first, pat.status().message(), pat.status().hint());
          continue;
        }
        auto loc = ck.text(kv.second, "location");
        if (!loc) continue;
        ch.routes.emplace_back(*pat, *loc);
        route_lines.push_back(kv.second.Mark().line + 1);
      }
    }
  }
  if (node["added_routes"]) {
    if (!node["added_routes"].IsSequence()) {
      ck.fail(node["added_routes"], "`added_routes` is a list of routes",
              "e.g. added_routes: [\"POST /refunds\"]");
    } else {
      for (const YAML::Node& r : node["added_routes"]) {
        auto t = ck.text(r, "added_routes");
        if (!t) continue;
        auto pat = parse_route_pattern(*t);
        if (!pat.ok()) {
          ck.fail(r, pat.status().message(), pat.status().hint());
          continue;
        }
        ch.added_routes.push_back(*pat);
      }
    }
  }
  if (node["status"]) {
    if (!node["status"].IsMap()) {
      ck.fail(node["status"], "`status` maps head's status code to the older versions' one",
              "e.g. status: { 201: 200 }");
    } else {
      for (const auto& kv : node["status"]) {
        auto from = ck.count(kv.first, "status", 100, 599);
        auto to = ck.count(kv.second, "status", 100, 599);
        if (from && to) ch.status_map[static_cast<int>(*from)] = static_cast<int>(*to);
      }
    }
  }
  if (node["fields"]) {
    if (!node["fields"].IsSequence()) {
      ck.fail(node["fields"], "`fields` is a list of operations",
              "e.g. fields: [ { rename: { from: total, to: total_amount } } ]");
    } else {
      for (const YAML::Node& item : node["fields"]) {
        if (auto op = read_field_op(ck, item)) ch.fields.push_back(std::move(*op));
      }
    }
  }
  // A route or operation refused above is a problem; the change as a whole is not judged then
  // (it may be missing what was refused), but its other operations still are.
  bool refused_above = ck.count() > problems_before;
  if (!refused_above && !ch.fields.empty() && ch.routes.empty()) {
    ck.fail_at(ch.line, "a change with fields but no `routes`: nothing says where the fields are",
               "add routes: { \"GET /orders\": \"data[]\" }");
  }
  if (!refused_above && ch.fields.empty() && ch.added_routes.empty() && ch.status_map.empty()) {
    ck.fail_at(ch.line, "a change that changes nothing", "add fields, added_routes or status");
  }
  // Compiled once here so that a bad path or jq program is a config error, not a 500 — and
  // reported at the line that is wrong: the route's location, else each failing operation.
  // Without a usable route, the operations are checked on the body itself.
  std::vector<std::pair<RoutePattern, std::string>> checked_at = ch.routes;
  std::vector<int> checked_lines = route_lines;
  if (checked_at.empty()) {
    checked_at.emplace_back(RoutePattern{}, ".");
    checked_lines.push_back(ch.line);
  }
  for (size_t r = 0; r < checked_at.size(); ++r) {
    const auto& [pattern, location] = checked_at[r];
    auto compiled = ChangeTransform::compile(location, ch.fields);
    if (compiled.ok()) continue;
    auto alone = ChangeTransform::compile(location, {});
    if (!alone.ok()) {
      ck.fail_at(
          checked_lines[r],
          fmt::format("route `{}`: location `{}`: {}", pattern.text, location,
                      alone.status().message()),
          "a location is `.` (the body), a field (`order`) or an array's elements (`data[]`)");
      continue;
    }
    // Every operation that fails, each at its own line (one fix-and-rerun round, not one per op).
    for (const FieldOp& op : ch.fields) {
      FieldOp alone_op = op;
      alone_op.line = 0;  // the problem carries the line; the message need not repeat it
      auto one = ChangeTransform::compile(location, {alone_op});
      if (one.ok()) continue;
      const char* hint = "field paths are dotted and reach into arrays with []: `items[].price`";
      switch (op.kind) {
        case FieldOp::Kind::kConvert:
          hint = "up and down are jq programs run on the field's value, e.g. `. * 100 | round`";
          break;
        case FieldOp::Kind::kRename:
          hint =
              "rename changes a field's name within its object (`items[].price` → "
              "`items[].unit_price`); to put it in another object, use move";
          break;
        case FieldOp::Kind::kMove:
          hint =
              "move takes a field to another object, e.g. `move: { from: customer_name, to: "
              "customer.name }`, without [] in either path";
          break;
        case FieldOp::Kind::kEnum:
          hint = "each old value maps to one head value and back, e.g. `map: { paid: settled }`";
          break;
        case FieldOp::Kind::kAdd:
        case FieldOp::Kind::kRemove:
          hint = "`default` is one JSON value: null, 0, '\"USD\"' or {…}";
          break;
      }
      ck.fail_at(op.line, one.status().message(), hint);
    }
    break;  // the same operations fail at every route: once is enough
  }
  c.changes.push_back(std::move(ch));
}

void read_limits(Checker& ck, const YAML::Node& node, Config& c) {
  if (!node.IsMap()) {
    ck.fail(node, "`limits` must be a map");
    return;
  }
  ck.only(node,
          {"max_header_size", "max_request_body", "max_response_body", "max_connections",
           "metrics_clients", "max_clients"},
          "limits");
  if (node["max_header_size"]) {
    if (auto n = ck.size(node["max_header_size"], "max_header_size"))
      c.limits.max_header_bytes = *n;
  }
  if (node["max_request_body"]) {
    if (auto n = ck.size(node["max_request_body"], "max_request_body"))
      c.limits.max_request_body = *n;
  }
  if (node["max_response_body"]) {
    if (auto n = ck.size(node["max_response_body"], "max_response_body")) {
      c.limits.max_response_body = *n;
    }
  }
  if (node["max_connections"]) {
    if (auto n = ck.count(node["max_connections"], "max_connections", 1, 1000000)) {
      c.limits.max_connections = static_cast<int>(*n);
    }
  }
  if (node["metrics_clients"]) {
    if (auto n = ck.count(node["metrics_clients"], "metrics_clients", 0, 10000)) {
      c.limits.metrics_clients = static_cast<int>(*n);
    }
  }
  if (node["max_clients"]) {
    if (auto n = ck.count(node["max_clients"], "max_clients", 1, 100000000)) {
      c.limits.max_clients = static_cast<int>(*n);
    }
  }
}

void read_timeouts(Checker& ck, const YAML::Node& node, Config& c) {
  if (!node.IsMap()) {
    ck.fail(node, "`timeouts` must be a map");
    return;
  }
  ck.only(node, {"header", "body", "idle"}, "timeouts");
  auto set = [&](const char* key, std::chrono::milliseconds& into) {
    if (!node[key]) return;
    if (auto ms = ck.duration(node[key], key)) {
      if (*ms == 0) {
        ck.fail(node[key], fmt::format("`{}: 0`: a timeout of 0 would never wait", key));
        return;
      }
      into = std::chrono::milliseconds(*ms);
    }
  };
  set("header", c.timeouts.header);
  set("body", c.timeouts.body);
  set("idle", c.timeouts.idle);
}

bool header_name_ok(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
  });
}

}  // namespace

Result<Config> load_config(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  auto refuse = [&](int line, int column, std::string msg, std::string hint) {
    Problem p{"gateway_config", path, line, column, msg, hint};
    return Status::InvalidInput(std::move(msg), std::move(hint)).with_problems({p});
  };
  if (ec) {
    return refuse(0, 0, fmt::format("{}: cannot read the gateway config: {}", path, ec.message()),
                  "pass the config file with --config, e.g. --config api.yaml");
  }
  if (size > kMaxConfigBytes) {
    return refuse(0, 0, fmt::format("{}: larger than 1 MiB; not a gateway config", path),
                  "a gateway config is a few KiB of YAML: is --config the right file?");
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  YAML::Node root;
  try {
    root = YAML::Load(buf.str());
  } catch (const YAML::Exception& e) {
    return refuse(e.mark.line + 1, e.mark.column + 1,
                  fmt::format("{}:{}:{}: not valid YAML: {}", path, e.mark.line + 1,
                              e.mark.column + 1, e.msg),
                  "fix the YAML syntax at that line; quote a value that holds `: ` or ends in `:` "
                  "(state: \"sqlite::memory:\")");
  }
  Checker ck(path);
  Config c;
  c.path = path;
  if (!root.IsMap()) {
    ck.fail(root, "a gateway config is a map (listen, upstream, versions, changes, …)",
            "start from examples/gateway/api.yaml");
    return ck.status();
  }
  try {
    ck.only(root,
            {"listen", "admin", "admin_token_file", "state", "upstream", "client_header",
             "versions", "changes", "access_log", "workers", "limits", "timeouts", "upstreams",
             "routes", "priority", "cache", "rollouts", "shadows"},
            "the gateway config");
    // Checked here, so that `api check` catches what the gateway would refuse at start.
    auto address = [&](const char* key, std::string& out) {
      if (!root[key]) return;
      auto t = ck.text(root[key], key);
      if (!t) return;
      std::string host, port;
      if (!http::split_host_port(*t, host, port)) {
        ck.fail(root[key], fmt::format("`{}: {}` is not HOST:PORT", key, *t),
                "e.g. 127.0.0.1:8080, 0.0.0.0:8080, localhost:8080 or [::1]:8080");
        return;
      }
      out = *t;
    };
    address("listen", c.listen);
    address("admin", c.admin);
    if (root["admin_token_file"]) {
      if (auto t = ck.text(root["admin_token_file"], "admin_token_file")) {
        if (t->empty()) {
          ck.fail(root["admin_token_file"], "`admin_token_file` is empty",
                  "a file holding one token, e.g. made with `openssl rand -hex 32 > admin.token`");
        } else {
          // Beside the config, as the state and the access log are.
          std::filesystem::path p(*t);
          auto dir = std::filesystem::path(path).parent_path();
          c.admin_token_file =
              p.is_relative() && !dir.empty() ? (dir / p).lexically_normal().string() : *t;
        }
      }
    }
    if (root["state"]) {
      if (auto t = ck.text(root["state"], "state")) {
        if (t->rfind("sqlite:", 0) == 0 || t->rfind("postgres://", 0) == 0 ||
            t->rfind("postgresql://", 0) == 0) {
          c.state = *t;
        } else {
          ck.fail(root["state"], "`state` is neither an SQLite nor a PostgreSQL URL",
                  "sqlite:gateway.db (a file beside the config) or postgres://user@host/db");
        }
      }
    }
    // A relative SQLite path (the default's too) is relative to the config file, as
    // tandem.yaml's `db` is: the state does not depend on where the gateway was started.
    if (c.state.rfind("sqlite:", 0) == 0 && c.state != "sqlite::memory:") {
      std::string file = c.state.substr(7);
      if (file.rfind("//", 0) == 0) file = file.substr(2);
      std::filesystem::path p(file);
      if (p.is_relative()) {
        auto dir = std::filesystem::path(path).parent_path();
        if (!dir.empty()) c.state = "sqlite:" + (dir / p).lexically_normal().string();
      }
    }
    c.upstreams.emplace_back();
    c.upstreams[0].name = "default";
    if (root["upstream"]) {
      read_upstream(ck, root["upstream"], c.upstreams[0], "upstream");
      // The single-target names older code and tests read.
      const Upstream& u = c.upstreams[0];
      if (!u.targets.empty()) {
        const Target& t = u.targets.front();
        c.upstream_url = t.url;
        c.upstream_host = t.host;
        c.upstream_port = t.port;
        c.upstream_base = t.base;
        c.upstream_authority = t.authority;
      }
      c.timeouts.upstream = u.timeout;
      c.timeouts.upstream_connect = u.connect_timeout;
      c.timeouts.upstream_idle = u.idle_timeout;
    } else {
      ck.fail(root, "no `upstream`: where is the backend?",
              "add upstream: { url: http://127.0.0.1:7001 }");
    }
    if (root["client_header"]) {
      if (auto t = ck.text(root["client_header"], "client_header")) {
        if (!header_name_ok(*t))
          ck.fail(root["client_header"], "`client_header` is not a header name");
        c.client_header = *t;
      }
    }
    if (root["versions"]) {
      read_versions(ck, root["versions"], c);
      if (!header_name_ok(c.version_header)) {
        ck.fail(root["versions"]["header"], "`versions.header` is not a header name");
      }
    } else {
      ck.fail_at(0, "no `versions`", "add versions: { list: [{name: \"2025-01-01\"}] }");
    }
    if (root["changes"]) {
      if (!root["changes"].IsSequence()) {
        ck.fail(root["changes"], "`changes` is a list of changes");
      } else {
        for (const YAML::Node& ch : root["changes"]) read_change(ck, ch, c);
      }
    }
    if (root["access_log"]) {
      if (auto t = ck.text(root["access_log"], "access_log")) {
        c.access_log = *t == "false" ? "off" : *t;
        if (c.access_log.empty())
          ck.fail(root["access_log"], "`access_log` is empty",
                  "stdout, stderr, off or a file path");
        // A relative file is beside the config, like the state: not wherever the gateway was
        // started from (under systemd, /).
        if (c.access_log != "stdout" && c.access_log != "stderr" && c.access_log != "off" &&
            std::filesystem::path(c.access_log).is_relative()) {
          auto dir = std::filesystem::path(path).parent_path();
          if (!dir.empty()) c.access_log = (dir / c.access_log).lexically_normal().string();
        }
      }
    }
    if (root["workers"]) {
      if (auto n = ck.count(root["workers"], "workers", 0, 256)) c.workers = static_cast<int>(*n);
    }
    if (root["upstreams"]) read_upstreams(ck, root["upstreams"], c);
    read_traffic(ck, root, c);
    if (root["limits"]) read_limits(ck, root["limits"], c);
    if (root["timeouts"]) read_timeouts(ck, root["timeouts"], c);
  } catch (const YAML::Exception& e) {
    ck.fail_at(e.mark.line + 1, fmt::format("unreadable value: {}", e.msg));
  }
  if (!ck.ok()) return ck.status();
  // Changes in version order (stable: declared order within a version).
  std::stable_sort(c.changes.begin(), c.changes.end(), [&](const Change& a, const Change& b) {
    return c.version_index(a.version) < c.version_index(b.version);
  });
  return c;
}

}  // namespace tandem::gateway
