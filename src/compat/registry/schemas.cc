// /schemas…: schemas by global id, and the schema types this registry reads
// (compat/registry/call.h).

#include <fmt/format.h>

#include <cctype>

#include "compat/registry/call.h"

namespace tandem::registry {

namespace {

using nlohmann::json;

std::optional<long long> parse_id(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  long long id = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    id = id * 10 + (c - '0');
  }
  if (id < 1) return std::nullopt;
  return id;
}

ApiResponse by_id(Call& call, const std::string& text, const std::string& part) {
  auto id = parse_id(text);
  if (!id) return error(kSchemaNotFound, fmt::format("Schema {} not found", text));
  if (part == "versions" || part == "subjects") {
    auto uses = call.store.uses_of(*id, call.flag("deleted"));
    if (!uses.ok()) return store_error(uses.status());
    if (uses->empty()) {
      // Only soft-deleted versions use it: the schema exists (it still decodes), its live uses
      // are none.
      auto schema = call.store.schema(*id);
      if (!schema.ok()) return store_error(schema.status());
      if (!*schema) return error(kSchemaNotFound, fmt::format("Schema {} not found", *id));
    }
    json out = json::array();
    for (const VersionRecord& v : *uses) {
      if (part == "versions") {
        out.push_back({{"subject", v.subject}, {"version", v.version}});
      } else if (out.empty() || out.back() != v.subject) {
        out.push_back(v.subject);
      }
    }
    return json_response(out);
  }
  auto schema = call.store.schema(*id);
  if (!schema.ok()) return store_error(schema.status());
  if (!*schema) return error(kSchemaNotFound, fmt::format("Schema {} not found", *id));
  if (part == "schema") {
    ApiResponse r;
    r.body = (*schema)->text;
    return r;
  }
  json out = {{"schema", (*schema)->text}};
  if ((*schema)->type != "AVRO") out["schemaType"] = (*schema)->type;
  if (!(*schema)->references.empty())
    out["references"] = json::parse(references_json((*schema)->references));
  return json_response(out);
}

}  // namespace

ApiResponse schemas_route(Call& call) {
  const auto& seg = call.segments;
  if (call.method != "GET") {
    ApiResponse r = error(405, "HTTP 405 Method Not Allowed");
    r.route = "/schemas";
    return r;
  }
  ApiResponse r;
  if (seg.size() == 2 && seg[1] == "types") {
    r = json_response(json::array({"JSON", "PROTOBUF", "AVRO"}));
    r.route = "/schemas/types";
  } else if (seg.size() == 3 && seg[1] == "ids") {
    r = by_id(call, seg[2], "");
    r.route = "/schemas/ids/{id}";
  } else if (seg.size() == 4 && seg[1] == "ids" &&
             (seg[3] == "schema" || seg[3] == "versions" || seg[3] == "subjects")) {
    r = by_id(call, seg[2], seg[3]);
    r.route = "/schemas/ids/{id}/" + seg[3];
  } else {
    r = error(404, "HTTP 404 Not Found");
  }
  return r;
}

}  // namespace tandem::registry
