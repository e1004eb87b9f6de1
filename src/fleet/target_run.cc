// One target of a fleet run (fleet/target_run.h).

#include "fleet/target_run.h"

#include <fmt/format.h>

#include <chrono>

#include "tandem/tandem.h"

namespace tandem::fleet {
namespace {

using Clock = std::chrono::steady_clock;

void fail(TargetResult& r, const Status& st) {
  r.state = "failed";
  r.code = st.code();
  r.error = st.message();
  r.hint = st.hint();
  // A refusal lists its problems after the first line: keep them, one per line.
  if (!st.problems().empty()) r.error = format_problems(st.problems());
}

// The phase of an active migration as status reports it ("0003:started" → "started").
std::string phase_of(const std::string& active) {
  size_t colon = active.rfind(':');
  return colon == std::string::npos ? "" : active.substr(colon + 1);
}

std::string version_of(const std::string& active) { return active.substr(0, active.rfind(':')); }

void lifecycle(TargetResult& r, const Result<expand::LifecycleReport>& done) {
  if (!done.ok()) return fail(r, done.status());
  r.state = "done";
  r.detail = fmt::format("{} {}", done->step, done->file);
}

}  // namespace

TargetResult run_target(Action action, const Target& target, const Options& options,
                        const std::optional<std::string>& version) {
  auto t0 = Clock::now();
  TargetResult r;
  r.name = target.name;
  r.url = target.shown();
  r.labels = target.labels;
  auto st = status(options.engine);
  if (!st.ok()) {
    fail(r, st.status());
  } else {
    r.version_before = st->current_version;
    r.version_after = st->current_version;
    r.pending = st->pending;
    r.active = st->active_migration;
    const std::string phase = phase_of(st->active_migration);
    switch (action) {
      case Action::kStatus:
        r.state = st->failed > 0          ? "failed"
                  : !r.active.empty()     ? "active"
                  : st->pending > 0       ? "pending"
                  : !st->problems.empty() ? "failed"
                                          : "up_to_date";
        if (st->failed > 0) r.error = fmt::format("{} failed migration(s)", st->failed);
        if (!st->problems.empty() && r.error.empty()) r.error = format_problems(st->problems);
        r.detail = !r.active.empty() ? st->active_next_step : "";
        break;
      case Action::kUp: {
        if (st->pending == 0 && st->failed == 0 && st->active_migration.empty() &&
            st->problems.empty()) {
          r.state = "up_to_date";
          break;
        }
        ApplyReport partial;
        UpOptions how;
        how.to = version;
        auto up = tandem::up(options, how, &partial);
        r.applied = static_cast<int>(up.ok() ? up->steps.size() : partial.steps.size());
        if (!up.ok()) {
          fail(r, up.status());
          if (!partial.current_version.empty()) r.version_after = partial.current_version;
          break;
        }
        r.version_after = up->current_version;
        r.state = up->steps.empty() ? "up_to_date" : "done";
        r.detail = fmt::format("applied {}", up->steps.size());
        break;
      }
      case Action::kStart:
        // Started already (this version, or any when none is asked for): nothing to do; a
        // start that stopped half way ("starting") is continued by start itself.
        if (phase == "started" && (!version || version_of(r.active) == *version)) {
          r.state = "up_to_date";
          r.detail = "already started " + version_of(r.active);
        } else if (r.active.empty() && st->pending == 0 && st->failed == 0) {
          r.state = "up_to_date";
          r.detail = "nothing pending";
        } else {
          lifecycle(r, expand::start(options, version));
        }
        break;
      case Action::kComplete:
      case Action::kRollback:
        if (r.active.empty()) {
          r.state = "up_to_date";
          r.detail = "no active migration";
        } else {
          lifecycle(r, action == Action::kComplete ? expand::complete(options)
                                                   : expand::rollback(options));
        }
        break;
    }
    if (action != Action::kStatus && action != Action::kUp && r.state == "done") {
      // The version and active migration after the change, for the table.
      auto after = status(options.engine);
      if (after.ok()) {
        r.version_after = after->current_version;
        r.active = after->active_migration;
      }
    }
  }
  r.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  return r;
}

}  // namespace tandem::fleet
