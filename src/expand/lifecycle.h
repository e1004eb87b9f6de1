#pragma once
// start / complete on a session that already holds the migration lock, for `tandem up`, which
// runs a declarative migration on PostgreSQL as start + complete.

#include <optional>
#include <string>

#include "engine/session.h"
#include "tandem/expand.h"

namespace tandem::expand {

Result<LifecycleReport> start_in(Session& s, const std::optional<std::string>& version);
Result<LifecycleReport> complete_in(Session& s);

}  // namespace tandem::expand
