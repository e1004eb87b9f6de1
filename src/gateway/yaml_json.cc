// YAML → JSON text for config values (gateway/yaml_json.h).

#include "gateway/yaml_json.h"

#include <nlohmann/json.hpp>

#include <cstdlib>

namespace tandem::gateway {
namespace {

bool to_json(const YAML::Node& node, nlohmann::json& out, int depth) {
  if (depth > 64) return false;
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      out = nullptr;
      return true;
    case YAML::NodeType::Sequence:
      out = nlohmann::json::array();
      for (const YAML::Node& item : node) {
        nlohmann::json v;
        if (!to_json(item, v, depth + 1)) return false;
        out.push_back(std::move(v));
      }
      return true;
    case YAML::NodeType::Map:
      out = nlohmann::json::object();
      for (const auto& kv : node) {
        nlohmann::json v;
        if (!to_json(kv.second, v, depth + 1)) return false;
        out[kv.first.Scalar()] = std::move(v);
      }
      return true;
    case YAML::NodeType::Scalar:
      break;
  }
  const std::string& s = node.Scalar();
  // yaml-cpp tags a quoted scalar "!" and a plain one "?".
  if (node.Tag() == "!") {
    out = s;
    return true;
  }
  if (s == "~" || s == "null" || s == "Null" || s == "NULL") {
    out = nullptr;
  } else if (s == "true" || s == "True" || s == "TRUE") {
    out = true;
  } else if (s == "false" || s == "False" || s == "FALSE") {
    out = false;
  } else {
    char* end = nullptr;
    long long i = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && *end == '\0') {
      out = i;
      return true;
    }
    double d = std::strtod(s.c_str(), &end);
    bool numeric = !s.empty() && *end == '\0' && s.find_first_of("xXnN") == std::string::npos;
    if (numeric) {
      out = d;
    } else {
      out = s;
    }
  }
  return true;
}

}  // namespace

Result<std::string> yaml_to_json_text(const YAML::Node& node) {
  nlohmann::json j;
  if (!to_json(node, j, 0)) return Status::InvalidInput("a value nested more than 64 levels deep");
  return j.dump();
}

}  // namespace tandem::gateway
