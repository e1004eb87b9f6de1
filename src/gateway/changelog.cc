// The changelog generated from the change list (tandem/gateway.h).

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "gateway/state_store.h"
#include "tandem/gateway.h"

namespace tandem::gateway {
namespace {

std::string describe(const FieldOp& op) {
  switch (op.kind) {
    case FieldOp::Kind::kRename:
      return fmt::format("`{}` was renamed to `{}`", op.from, op.to);
    case FieldOp::Kind::kMove:
      return fmt::format("`{}` moved to `{}`", op.from, op.to);
    case FieldOp::Kind::kConvert:
      return fmt::format("`{}` changed representation (up: `{}`, down: `{}`)", op.field, op.up,
                         op.down);
    case FieldOp::Kind::kAdd:
      return fmt::format(
          "`{}` was added (older versions' requests get {}; their responses lose it)", op.field,
          op.default_json);
    case FieldOp::Kind::kRemove:
      return fmt::format("`{}` was removed (older versions still receive {})", op.field,
                         op.default_json);
    case FieldOp::Kind::kEnum: {
      std::string pairs;
      for (const auto& [old_value, head_value] : op.enum_map) {
        pairs += fmt::format("{}{} → {}", pairs.empty() ? "" : ", ", old_value, head_value);
      }
      return fmt::format("values of `{}` changed: {}", op.field, pairs);
    }
  }
  return "";
}

const char* kind_name(FieldOp::Kind k) {
  switch (k) {
    case FieldOp::Kind::kRename:
      return "rename";
    case FieldOp::Kind::kMove:
      return "move";
    case FieldOp::Kind::kConvert:
      return "convert";
    case FieldOp::Kind::kAdd:
      return "add";
    case FieldOp::Kind::kRemove:
      return "remove";
    case FieldOp::Kind::kEnum:
      return "enum";
  }
  return "";
}

}  // namespace

std::string changelog_markdown(const Config& config) {
  std::string out = "# API changelog\n";
  for (int i = static_cast<int>(config.versions.size()) - 1; i >= 0; --i) {
    const ApiVersion& v = config.versions[i];
    out += fmt::format("\n## {}{}\n\n", v.name,
                       i + 1 == static_cast<int>(config.versions.size()) ? " (head)" : "");
    if (v.deprecated) out += fmt::format("Deprecated since {}.\n", iso8601(*v.deprecated));
    if (v.sunset)
      out += fmt::format("Sunset on {}: from then on it answers 410 Gone.\n", iso8601(*v.sunset));
    for (const auto& [start, end] : v.brownouts) {
      out += fmt::format("Brownout from {} to {} (answers 410).\n", iso8601(start), iso8601(end));
    }
    if (!v.link.empty()) out += fmt::format("More: {}\n", v.link);
    if (v.deprecated || v.sunset || !v.brownouts.empty() || !v.link.empty()) out += "\n";
    bool any = false;
    for (const Change& ch : config.changes) {
      if (ch.version != v.name) continue;
      any = true;
      out += fmt::format("- {}\n", ch.description.empty() ? "(no description)" : ch.description);
      if (!ch.routes.empty()) {
        std::string routes;
        for (const auto& [p, loc] : ch.routes)
          routes += fmt::format("{}`{}`", routes.empty() ? "" : ", ", p.text);
        out += fmt::format("  - routes: {}\n", routes);
      }
      for (const FieldOp& op : ch.fields) out += fmt::format("  - {}\n", describe(op));
      for (const auto& r : ch.added_routes) out += fmt::format("  - new endpoint `{}`\n", r.text);
      for (const auto& [head, old] : ch.status_map) {
        out += fmt::format("  - answers {} where older versions answered {}\n", head, old);
      }
    }
    if (!any) out += i == 0 ? "The first version.\n" : "No changes.\n";
  }
  return out;
}

std::string changelog_json(const Config& config) {
  nlohmann::json versions = nlohmann::json::array();
  for (int i = static_cast<int>(config.versions.size()) - 1; i >= 0; --i) {
    const ApiVersion& v = config.versions[i];
    nlohmann::json jv = {{"version", v.name},
                         {"head", i + 1 == static_cast<int>(config.versions.size())}};
    if (v.deprecated) jv["deprecated"] = iso8601(*v.deprecated);
    if (v.sunset) jv["sunset"] = iso8601(*v.sunset);
    if (!v.link.empty()) jv["link"] = v.link;
    nlohmann::json brownouts = nlohmann::json::array();
    for (const auto& [s, e] : v.brownouts)
      brownouts.push_back({{"start", iso8601(s)}, {"end", iso8601(e)}});
    if (!brownouts.empty()) jv["brownouts"] = brownouts;
    nlohmann::json changes = nlohmann::json::array();
    for (const Change& ch : config.changes) {
      if (ch.version != v.name) continue;
      nlohmann::json jc = {{"description", ch.description}};
      nlohmann::json routes = nlohmann::json::array();
      for (const auto& [p, loc] : ch.routes)
        routes.push_back({{"route", p.text}, {"location", loc}});
      jc["routes"] = routes;
      nlohmann::json fields = nlohmann::json::array();
      for (const FieldOp& op : ch.fields) {
        fields.push_back({{"op", kind_name(op.kind)}, {"summary", describe(op)}});
      }
      jc["fields"] = fields;
      nlohmann::json added = nlohmann::json::array();
      for (const auto& r : ch.added_routes) added.push_back(r.text);
      if (!added.empty()) jc["added_routes"] = added;
      nlohmann::json status = nlohmann::json::object();
      for (const auto& [head, old] : ch.status_map) status[std::to_string(head)] = old;
      if (!status.empty()) jc["status"] = status;
      changes.push_back(std::move(jc));
    }
    jv["changes"] = std::move(changes);
    versions.push_back(std::move(jv));
  }
  return nlohmann::json({{"versions", versions}}).dump(2) + "\n";
}

}  // namespace tandem::gateway
