#include "cli/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

namespace tandem::cli {

Progress::Progress(bool quiet) : tty_(isatty(STDERR_FILENO) == 1), quiet_(quiet) {}

Progress::~Progress() { finish(); }

void Progress::finish() {
  if (bar_.empty()) return;
  std::fputs("\n", stderr);
  std::fflush(stderr);
  bar_.clear();
}

void Progress::clear_bar() {
  if (!bar_.empty()) std::fputs("\r\033[K", stderr);
}

void Progress::log(const std::string& line) {
  if (quiet_) return;
  if (tty_) {
    clear_bar();
    std::fprintf(stderr, "%s\n%s", line.c_str(), bar_.c_str());
  } else {
    std::fprintf(stderr, "%s\n",
                 nlohmann::json{{"event", "log"}, {"message", line}}.dump().c_str());
  }
  std::fflush(stderr);
}

void Progress::step(const AppliedStep& s, int done, int total) {
  if (quiet_) return;
  const char* verb = s.direction == Direction::kUp ? "applied" : "reverted";
  if (!tty_) {
    nlohmann::json j = {{"event", "migration"},
                        {"action", verb},
                        {"version", s.version},
                        {"file", s.file},
                        {"duration_ms", s.duration_ms},
                        {"statements", s.statements},
                        {"transactional", s.transactional},
                        {"retries", s.retries},
                        {"done", done},
                        {"total", total}};
    std::fprintf(stderr, "%s\n", j.dump().c_str());
    std::fflush(stderr);
    return;
  }
  constexpr int kWidth = 24;
  int filled = total > 0 ? done * kWidth / total : kWidth;
  clear_bar();
  bar_ = fmt::format("[{}{}] {}/{} {} {} ({} ms)", std::string(filled, '#'),
                     std::string(kWidth - filled, '.'), done, total, verb, s.file, s.duration_ms);
  std::fputs(bar_.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace tandem::cli
