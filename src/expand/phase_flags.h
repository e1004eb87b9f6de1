#pragma once
// The flags a declarative migration ties to its phases (tandem/expand.h PhaseFlags): read from
// the file's `flags:`, set and checked by start, complete and rollback.

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "engine/session.h"
#include "tandem/expand.h"

namespace tandem::expand {

// `node` (the file's `flags:`) read; every problem (an unknown phase, a bad key, a value that
// is not a scalar) reported at its line.
PhaseFlags parse_phase_flags(const YAML::Node& node, const std::string& path,
                             std::vector<Problem>& problems);

// Ok when every value `phases` names can be stored in the flag it names as that flag is now
// (its type): checked by start before anything changes. Reads only.
Status check_phase_flag_types(Session& s, const PhaseFlags& phases, const Migration& m);

// Sets each flag to its value for everyone (kept as it is when it already serves that value to
// everyone: re-running a phase adds no audit event), audited as done by `reason`'s command.
Status apply_phase_flags(Session& s, const std::vector<PhaseFlag>& flags,
                         const std::string& reason);

// Ok when every flag serves its value to every caller; otherwise a Problem naming each flag
// that does not (missing, targeted, another value) and the command that would fix it.
Status check_phase_flags(Session& s, const std::vector<PhaseFlag>& flags, const Migration& m);

}  // namespace tandem::expand
