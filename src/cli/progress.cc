#include "cli/progress.h"

#include "cli/output.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

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

void Progress::draw(std::string bar) {
  clear_bar();
  bar_ = std::move(bar);
  std::fputs(bar_.c_str(), stderr);
  std::fflush(stderr);
}

void Progress::json_line(const nlohmann::json& event) {
  std::fprintf(stderr, "%s\n", cli::dump(event).c_str());
  std::fflush(stderr);
}

std::string Progress::gauge(long long done, long long total) {
  constexpr long long kWidth = 24;
  long long filled = total > 0 ? std::clamp(done * kWidth / total, 0LL, kWidth) : kWidth;
  return fmt::format("[{}{}]", std::string(static_cast<size_t>(filled), '#'),
                     std::string(static_cast<size_t>(kWidth - filled), '.'));
}

void Progress::log(const std::string& line) {
  if (quiet_) return;
  if (tty_) {
    clear_bar();
    std::fprintf(stderr, "%s\n%s", line.c_str(), bar_.c_str());
  } else {
    json_line({{"event", "log"}, {"message", line}});
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
    json_line(j);
    return;
  }
  draw(fmt::format("{} {}/{} {} {} ({} ms)", gauge(done, total), done, total, verb, s.file,
                   s.duration_ms));
}

void Progress::statement(const std::string& file, int done, int total) {
  if (quiet_) return;
  auto now = std::chrono::steady_clock::now();
  if (file != statements_file_ || done <= statements_done_) {  // another migration, or again
    statements_file_ = file;
    statements_started_ = now;
    drawn_ = {};
  }
  statements_done_ = done;
  if (done >= total || now - statements_started_ < std::chrono::seconds(1)) return;
  if (now - drawn_ < std::chrono::milliseconds(tty_ ? 100 : 1000)) return;
  drawn_ = now;
  long long elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - statements_started_).count();
  if (!tty_) {
    json_line({{"event", "statements"},
               {"file", file},
               {"done", done},
               {"total", total},
               {"elapsed_ms", elapsed_ms}});
    return;
  }
  draw(fmt::format("{} {} statement {}/{} ({})", file, gauge(done, total), done, total,
                   duration_text(elapsed_ms)));
}

void Progress::backfill(const BackfillProgress& p) {
  if (quiet_) return;
  auto now = std::chrono::steady_clock::now();
  std::string state = p.state + p.reason;
  bool changed = state != last_state_;
  if (!changed && now - drawn_ < std::chrono::milliseconds(tty_ ? 100 : 1000)) return;
  drawn_ = now;
  last_state_ = state;
  if (!tty_) {
    nlohmann::json j = {
        {"event", "backfill"},
        {"job", p.job},
        {"table", p.table},
        {"state", p.state},
        {"reason", p.reason},
        {"rows_done", p.rows_done},
        {"rows_updated", p.rows_updated},
        {"rows_total_estimate", p.rows_total},
        {"rows_per_second", static_cast<long long>(p.rows_per_second)},
        {"eta_ms", p.eta_ms < 0 ? nlohmann::json(nullptr) : nlohmann::json(p.eta_ms)},
        {"batch_size", p.batch_size},
        {"elapsed_ms", p.elapsed_ms}};
    json_line(j);
    return;
  }
  long long total = std::max<long long>(p.rows_total, 1);
  draw(fmt::format("{} {} {:3}% {}/~{} rows  {} rows/s  ETA {}  batch {}{}", p.table,
                   gauge(p.rows_done, total), std::min<long long>(100, p.rows_done * 100 / total),
                   p.rows_done, p.rows_total, static_cast<long long>(p.rows_per_second),
                   duration_text(p.eta_ms), p.batch_size,
                   p.reason.empty() ? "" : "  waiting: " + p.reason));
  if (p.state == "done") finish();
}

}  // namespace tandem::cli
