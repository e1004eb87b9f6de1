#pragma once
// YAML values from a config as JSON text: `default: "USD"` → "\"USD\"", `default: null` → null.

#include <yaml-cpp/yaml.h>

#include <string>

#include "tandem/status.h"

namespace tandem::gateway {

// A quoted scalar is a string; a plain one is null (~, null), a boolean, a number when it
// reads as one, else a string. Maps and sequences nest. Errors: aliases deeper than 64 levels.
Result<std::string> yaml_to_json_text(const YAML::Node& node);

}  // namespace tandem::gateway
