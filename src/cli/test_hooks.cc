#include "cli/test_hooks.h"

#include <cstdlib>
#include <string>

namespace tandem::cli {
namespace {

class TestHooksEnv final : public Env {
 public:
  TestHooksEnv(std::string crash_at, int sleep_ms)
      : crash_at_(std::move(crash_at)), sleep_ms_(sleep_ms) {}
  void crash_point(std::string_view point) override {
    // No cleanup, no unlock: exactly what a SIGKILL leaves behind.
    if (!crash_at_.empty() && point == crash_at_) std::_Exit(137);
  }
  void after_statement() override {
    if (sleep_ms_ > 0) sleep_for(std::chrono::milliseconds(sleep_ms_));
  }

 private:
  std::string crash_at_;
  int sleep_ms_;
};

}  // namespace

Env* process_env() {
  const char* crash = std::getenv("TANDEM_TEST_CRASH_AT");
  const char* sleep = std::getenv("TANDEM_TEST_SLEEP_AFTER_STATEMENT");
  if (!crash && !sleep) return Env::Default();
  static TestHooksEnv env(crash ? crash : "", sleep ? std::atoi(sleep) : 0);
  return &env;
}

}  // namespace tandem::cli
