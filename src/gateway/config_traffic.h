#pragma once
// The traffic sections of the gateway's config: upstreams with several targets, per-route
// policies (priority, cache, fallback, partial responses), priority classes, rollouts and
// shadows (docs/gateway.md "Degradation and client migration"). Read by load_config after the
// versions and changes; every problem goes to the Checker with its line.

#include <yaml-cpp/yaml.h>

#include "gateway/config_checker.h"
#include "tandem/gateway.h"

namespace tandem::gateway {

// `upstream:` (a URL, or a map with `url` or `targets` and the policies) into `out`.
void read_upstream(Checker& ck, const YAML::Node& node, Upstream& out, const std::string& where);

// `upstreams:` (name → the same as `upstream`), appended after the default one.
void read_upstreams(Checker& ck, const YAML::Node& node, Config& c);

// `routes`, `priority`, `cache`, `rollouts` and `shadows`, once the upstreams are known.
void read_traffic(Checker& ck, const YAML::Node& root, Config& c);

}  // namespace tandem::gateway
