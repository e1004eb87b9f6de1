#pragma once
// Progress of long commands on stderr: a progress bar on a terminal, JSON lines otherwise
// (CI logs, pipes), nothing with -q.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "tandem/backfill.h"
#include "tandem/engine.h"

namespace tandem::cli {

class Progress {
 public:
  explicit Progress(bool quiet);
  ~Progress();
  // A warning or note (lock waits, retries, resumes).
  void log(const std::string& line);
  // One migration applied or reverted.
  void step(const AppliedStep& step, int done, int total);
  // A statement of a running migration done: shown only once the migration has run for a
  // second (short ones stay quiet), then at most every 100 ms on a terminal (the bar names
  // the statement) and once a second as JSON lines.
  void statement(const std::string& file, int done, int total);
  // A backfill's progress: a bar with rows, rows/s, ETA, batch size and why it waits; as
  // JSON lines at most once a second (and whenever it starts or stops waiting).
  void backfill(const BackfillProgress& p);
  // Ends the bar's line; call before printing results.
  void finish();

 private:
  void clear_bar();
  // Replaces the bar on the terminal with `bar`.
  void draw(std::string bar);
  // One JSON line on stderr (no terminal).
  static void json_line(const nlohmann::json& event);
  // "[#####...................]": `done` of `total` (full when total <= 0).
  static std::string gauge(long long done, long long total);
  bool tty_;
  bool quiet_;
  std::string bar_;  // the bar currently drawn, "" when none
  std::chrono::steady_clock::time_point drawn_{};
  std::string last_state_;  // the backfill's state and reason when last shown
  // The migration whose statements are counted, when it started, and its last count.
  std::string statements_file_;
  std::chrono::steady_clock::time_point statements_started_{};
  int statements_done_ = 0;
};

}  // namespace tandem::cli
