#pragma once
// What the layers above plug into the engine. The engine knows migration formats and safety
// gates only through these; the commands layer (src/commands) fills them.

#include <functional>
#include <vector>

#include "tandem/migration.h"

namespace tandem {

struct Session;

struct Hooks {
  // Formats read besides SQL (the declarative .yaml/.yml/.json files of expand).
  Formats formats;
  // Problems in the migrations `up` is about to apply, found before anything runs and reported
  // with the folder's other problems (the lint gate). Null: none.
  std::function<Result<std::vector<Problem>>(Session& s, const std::vector<const Migration*>&)>
      pre_apply;
};

}  // namespace tandem
