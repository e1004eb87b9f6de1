#pragma once
// A declarative file's YAML (or JSON) read within limits (InputLimits), before any operation is
// looked at: how many operations, and how many YAML nodes. yaml-cpp takes about 4 µs and 500
// bytes a node, so the node count is what reading costs; and it shares an aliased node rather
// than copying it, but everything that walks the tree walks it once per alias — a few kilobytes
// of nested aliases (a "billion laughs") would stand for 10^9 columns. So an alias counts as
// every node it repeats.

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tandem/migration.h"

namespace tandem::expand {

// The document in `content` (not copied), or nullopt with a problem of `path` at the line it
// is about: a syntax error, more operations in the top-level `operations` list than
// `limits.max_operations`, more nodes than `limits.max_yaml_nodes` (aliases expanded), or an
// alias inside the node it names (a cycle). Both limits are checked while reading events,
// before any node is built, unless the file cannot pass the node limit (no larger than it in
// bytes, and no `&` for an anchor): then the operations are counted on the tree.
std::optional<YAML::Node> load_yaml(const std::string& path, std::string_view content,
                                    const InputLimits& limits, std::vector<Problem>& problems);

}  // namespace tandem::expand
