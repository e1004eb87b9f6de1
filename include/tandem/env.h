#pragma once
// What tandem asks of its surroundings besides the database: time, sleeping, the user's name —
// and the points where a test may inject a fault. The library never reads the environment
// itself (no getenv test hooks); a program or a test passes its own Env, as LevelDB's Env.

#include <chrono>
#include <string>
#include <string_view>

namespace tandem {

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide default: the real clock, real sleeps, no faults.
  static Env* Default();

  virtual std::chrono::steady_clock::time_point now() { return std::chrono::steady_clock::now(); }
  virtual void sleep_for(std::chrono::milliseconds d);
  // Who runs tandem, for the history of a SQLite database ($USER, else the account's name).
  virtual std::string user_name();

  // Fault injection. `point` names a place where the process may be killed in production
  // ("start:statement:3", "start:backfill-batch:2", "complete:old-schema-dropped"); every
  // step must converge when re-run from there. The default does nothing; a test Env may end
  // the process as if killed.
  virtual void crash_point(std::string_view point) { (void)point; }
  // After every migration statement: a test Env may pause to widen the window it kills in.
  virtual void after_statement() {}
};

}  // namespace tandem
