// The wiring of the layers: the declarative format and the lint gate, handed to the engine.

#include "commands/hooks.h"

#include "engine/session.h"
#include "expand/lifecycle.h"
#include "tandem/expand.h"
#include "tandem/lint.h"

namespace tandem::commands {

Formats formats(const BackfillOptions& backfill, const InputLimits& limits) {
  return {expand::declarative_format(".yaml", backfill, limits),
          expand::declarative_format(".yml", backfill, limits),
          expand::declarative_format(".json", backfill, limits)};
}

const Formats& formats() {
  static const Formats kFormats = formats(BackfillOptions{}, InputLimits{});
  return kFormats;
}

Hooks hooks(const Options& options) {
  Hooks h;
  h.formats = formats(options.backfill, options.engine.limits);
  if (!options.gate.allow_unsafe) {
    h.pre_apply =
        [gate = options.gate, formats = h.formats](
            Session& s,
            const std::vector<const Migration*>& pending) -> Result<std::vector<Problem>> {
      if (!s.pg()) return std::vector<Problem>();
      // Long locks, rewrites and breaking changes are refused before anything runs: SQL files
      // as written, declarative ones from the plan of what start and complete would run (and
      // again by start when `up` reaches them, against the tables as they are then).
      std::vector<Problem> out;
      std::vector<std::string> paths;
      for (const Migration* m : pending) {
        if (m->body && m->body->procedure(s.backend()) != nullptr) {
          TANDEM_ASSIGN_OR_RETURN(auto planned, expand::gate_pending(s, *m, gate.severity));
          if (planned) {
            for (Problem& p : *planned) out.push_back(std::move(p));
            continue;
          }
          // Not plannable before the migrations ahead of it are applied: what it holds as
          // written is linted now, the SQL tandem generates for it when `start` reaches it.
        }
        paths.push_back(m->path);
      }
      if (!paths.empty()) {
        TANDEM_ASSIGN_OR_RETURN(
            std::vector<Problem> written,
            lint::unsafe_problems(s.options.dir, paths, gate.severity,
                                  lint::live_column_types(*s.conn, s.options.schema), formats,
                                  s.options.limits));
        out.insert(out.begin(), std::make_move_iterator(written.begin()),
                   std::make_move_iterator(written.end()));
      }
      return out;
    };
  }
  return h;
}

Result<std::unique_ptr<Session>> open_lifecycle(const Options& options,
                                                const std::string& command) {
  TANDEM_ASSIGN_OR_RETURN(
      auto s, Session::open_postgres(
                  options.engine, hooks(options), command, /*take_lock=*/true,
                  "two live schema versions are built from schemas and views",
                  "on SQLite, apply declarative migrations with `tandem up` (direct mode)"));
  // Every statement of start/complete/rollback, view DDL included, waits at most lock_timeout.
  TANDEM_RETURN_IF_ERROR(s->conn->execute_script(s->timeouts_sql(/*local=*/false)));
  return s;
}

}  // namespace tandem::commands
