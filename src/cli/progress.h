#pragma once
// Progress of long commands on stderr: a progress bar on a terminal, JSON lines otherwise
// (CI logs, pipes), nothing with -q.

#include <string>

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
  // Ends the bar's line; call before printing results.
  void finish();

 private:
  void clear_bar();
  bool tty_;
  bool quiet_;
  std::string bar_;  // the bar currently drawn, "" when none
};

}  // namespace tandem::cli
