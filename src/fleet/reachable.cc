// Every target answers before anything runs on any of them (tandem/fleet.h: check_reachable).

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "tandem/db.h"
#include "tandem/engine.h"
#include "tandem/fleet.h"

namespace tandem::fleet {

Status check_reachable(const TargetsFile& file, const std::vector<Target>& targets,
                       int connect_timeout_s, int concurrency) {
  if (targets.empty()) return Status::Ok();
  std::vector<Problem> problems(targets.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < targets.size(); i = next++) {
      const Target& t = targets[i];
      db::ConnectOptions copts;
      copts.application_name = "tandem fleet (reachability check)";
      copts.connect_timeout_s = connect_timeout_s;
      auto check = [&](const std::string& url, const char* what) -> bool {
        auto conn = db::connect(url, copts);
        if (conn.ok()) return true;
        problems[i] = Problem{
            "fleet_unreachable",
            file.path,
            t.line,
            0,
            fmt::format("{} '{}' ({}) cannot be reached: {}", what, t.name, db::redact_url(url),
                        conn.status().message()),
            "start the server, fix the URL, or remove the target from the file; nothing ran "
            "on any target"};
        return false;
      };
      if (check(t.url, "target") && !t.replica.empty()) check(t.replica, "the replica of target");
    }
  };
  int threads = std::clamp<int>(concurrency, 1, static_cast<int>(targets.size()));
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(work);
  for (std::thread& th : pool) th.join();
  std::erase_if(problems, [](const Problem& p) { return p.kind.empty(); });
  if (problems.empty()) return Status::Ok();
  return refused(problems, "nothing ran on any target");
}

}  // namespace tandem::fleet
