// The wiring of the layers: the declarative format and the lint gate, handed to the engine.

#include "commands/hooks.h"

#include "engine/session.h"
#include "tandem/expand.h"
#include "tandem/lint.h"

namespace tandem::commands {

const Formats& formats() {
  static const Formats kFormats = {expand::declarative_format(".yaml"),
                                   expand::declarative_format(".yml"),
                                   expand::declarative_format(".json")};
  return kFormats;
}

Hooks hooks(const EngineOptions& options) {
  Hooks h;
  h.formats = formats();
  if (!options.allow_unsafe) {
    h.pre_apply = [](Session& s,
                     const std::vector<const Migration*>& pending) -> Result<std::vector<Problem>> {
      if (!s.pg()) return std::vector<Problem>();
      // Long locks, rewrites and breaking changes are refused before anything runs. The
      // migrations a procedure applies (declarative ones) are linted from their plan by start.
      std::vector<std::string> paths;
      for (const Migration* m : pending) {
        if (m->body && m->body->procedure(s.backend()) != nullptr) continue;
        paths.push_back(m->path);
      }
      return lint::unsafe_problems(s.options.dir, paths, s.options.lint_severity,
                                   lint::live_column_types(*s.conn, s.options.schema), formats());
    };
  }
  return h;
}

Result<std::unique_ptr<Session>> open_lifecycle(const EngineOptions& options,
                                                const std::string& command) {
  TANDEM_ASSIGN_OR_RETURN(
      auto s, Session::open_postgres(
                  options, hooks(options), command, /*take_lock=*/true,
                  "two live schema versions are built from schemas and views",
                  "on SQLite, apply declarative migrations with `tandem up` (direct mode)"));
  // Every statement of start/complete/rollback, view DDL included, waits at most lock_timeout.
  TANDEM_RETURN_IF_ERROR(s->conn->execute_script(s->timeouts_sql(/*local=*/false)));
  return s;
}

}  // namespace tandem::commands
