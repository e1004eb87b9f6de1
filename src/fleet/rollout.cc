// A fleet run: the canary alone, then waves, halting after the first failure (tandem/fleet.h).

#include <fmt/format.h>

#include <filesystem>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "fleet/target_run.h"
#include "tandem/db.h"
#include "tandem/fleet.h"
#include "tandem/migration.h"

namespace tandem::fleet {
namespace {

using Clock = std::chrono::steady_clock;

// The options one target runs with: the base with the target's database (and replica), log
// lines prefixed with its name, and no progress callbacks (they would interleave).
Options options_for(const RunOptions& run, const Target& t, std::mutex& log_mutex) {
  Options o = run.base;
  o.engine.db_url = t.url;
  o.engine.connection = nullptr;
  o.engine.on_step = nullptr;
  o.engine.on_statement = nullptr;
  o.backfill.on_progress = nullptr;
  if (!t.replica.empty()) o.backfill.replica_url = t.replica;
  if (run.base.engine.log) {
    o.engine.log = [log = run.base.engine.log, name = t.name, &log_mutex](const std::string& s) {
      std::lock_guard<std::mutex> lock(log_mutex);
      log("[" + name + "] " + s);
    };
  }
  return o;
}

}  // namespace

const char* action_name(Action a) {
  switch (a) {
    case Action::kUp:
      return "up";
    case Action::kStart:
      return "start";
    case Action::kComplete:
      return "complete";
    case Action::kRollback:
      return "rollback";
    case Action::kStatus:
      return "status";
  }
  return "?";
}

int FleetReport::count(const std::string& state) const {
  return static_cast<int>(std::count_if(targets.begin(), targets.end(),
                                        [&](const TargetResult& t) { return t.state == state; }));
}

Result<FleetReport> rollout(const TargetsFile& file, const RunOptions& run) {
  auto t0 = Clock::now();
  if (run.wave_size < 0) {
    return Status::InvalidInput(fmt::format("--wave-size {} is negative", run.wave_size),
                                "give the number of targets per wave (0 = all in one wave)");
  }
  if (run.concurrency < 1) {
    return Status::InvalidInput(fmt::format("--concurrency {} is below 1", run.concurrency),
                                "give how many targets may run at once, e.g. --concurrency 4");
  }
  if (run.base.backfill.replica_url && !run.base.backfill.replica_url->empty()) {
    return Status::InvalidInput(
        "--replica names one standby, but a fleet has one per target",
        "write `replica: postgres://…` on each target in the targets file (docs/fleet.md)");
  }
  // A version that no file of the folder has would make every target "up to date": a typo
  // must not look like a finished rollout.
  if (run.version && (run.action == Action::kStart || run.action == Action::kUp)) {
    const std::string& v = *run.version;
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)
      return Status::InvalidInput(fmt::format("`{}` is not a version", v),
                                  "a version is the leading digits of a migration file's name");
    std::string want = canonical_version(v);
    bool found = false;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(run.base.engine.dir, ec)) {
      std::string name = entry.path().filename().string();
      size_t digits = name.find_first_not_of("0123456789");
      if (digits == 0 || digits == std::string::npos || name[digits] != '_') continue;
      found = found || canonical_version(name.substr(0, digits)) == want;
    }
    if (!found)
      return Status::InvalidInput(
          fmt::format("no migration in {} has version {}", run.base.engine.dir, v),
          "give the version of a file in the migrations folder (--dir); nothing ran on any "
          "target");
  }
  TANDEM_ASSIGN_OR_RETURN(std::vector<Target> selected, select(file, run.select));
  if (run.check_reachable) {
    // A short wait per attempt: a target that does not answer in seconds is not one to roll
    // out to now.
    int timeout =
        run.base.engine.connect_timeout_s > 0 ? std::min(run.base.engine.connect_timeout_s, 5) : 5;
    TANDEM_RETURN_IF_ERROR(check_reachable(file, selected, timeout, run.concurrency));
  }

  FleetReport report;
  report.action = action_name(run.action);
  std::map<std::string, size_t> index;
  for (const Target& t : file.targets) {
    TargetResult r;
    r.name = t.name;
    r.url = t.shown();
    r.labels = t.labels;
    r.state = "skipped";
    index[t.name] = report.targets.size();
    report.targets.push_back(std::move(r));
  }
  // The plan: the canary (when selected) alone, then the others in waves.
  std::vector<std::vector<const Target*>> waves;
  std::vector<const Target*> rest;
  for (const Target& t : selected) {
    if (t.name == file.canary) {
      waves.push_back({&t});
    } else {
      rest.push_back(&t);
    }
  }
  size_t wave_size = run.wave_size == 0 ? rest.size() : static_cast<size_t>(run.wave_size);
  for (size_t i = 0; i < rest.size(); i += wave_size) {
    waves.emplace_back(rest.begin() + i, rest.begin() + std::min(rest.size(), i + wave_size));
  }
  int first_wave = waves.empty() || waves[0][0]->name == file.canary ? 0 : 1;
  for (size_t w = 0; w < waves.size(); ++w) {
    for (const Target* t : waves[w]) {
      TargetResult& r = report.targets[index[t->name]];
      r.state = "not_started";
      r.wave = static_cast<int>(w) + first_wave;
    }
  }

  std::mutex mutex;      // report, halted
  std::mutex log_mutex;  // the log callback
  bool failed = false;
  auto stopping = [&] { return run.stop && run.stop->load(); };
  // The status action reads: a failed target does not stop the others being read.
  const bool halts = run.action != Action::kStatus;
  for (size_t w = 0; w < waves.size(); ++w) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (failed && halts) break;
    }
    if (stopping()) {
      report.halted = true;
      report.halted_by = "signal";
      break;
    }
    const std::vector<const Target*>& wave = waves[w];
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (;;) {
        {
          std::lock_guard<std::mutex> lock(mutex);
          if ((failed && halts) || stopping()) return;
        }
        size_t i = next++;
        if (i >= wave.size()) return;
        const Target& t = *wave[i];
        TargetResult r = run_target(run.action, t, options_for(run, t, log_mutex), run.version);
        std::lock_guard<std::mutex> lock(mutex);
        TargetResult& slot = report.targets[index[t.name]];
        r.wave = slot.wave;
        slot = std::move(r);
        report.target_ms += slot.duration_ms;
        if (slot.state == "failed" && !failed) {
          failed = true;
          if (halts) {
            report.halted = true;
            report.halted_by = t.name;
          }
        }
        if (run.on_target) {
          std::lock_guard<std::mutex> log_lock(log_mutex);
          run.on_target(slot);
        }
      }
    };
    int threads = std::clamp<int>(run.concurrency, 1, static_cast<int>(wave.size()));
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back(work);
    work();
    for (std::thread& th : pool) th.join();
  }
  if (!report.halted && stopping() && report.count("not_started") > 0) {
    report.halted = true;
    report.halted_by = "signal";
  }
  report.elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  return report;
}

}  // namespace tandem::fleet
