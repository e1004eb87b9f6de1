#pragma once
// A tandem_test_backend process of the test's own (tests/gateway/backend/test_backend.cc): the
// head-only orders backend the gateway tests put behind the gateway.

#include <sys/types.h>

#include <string>
#include <vector>

namespace tandem::testing {

// The backend binary: $TANDEM_TEST_BACKEND when set, else the TANDEM_TEST_BACKEND the build
// defines.
std::string test_backend_binary();

// Starts the backend on a free port and waits until it accepts; stops it (SIGTERM) at
// destruction. Throws std::runtime_error when it does not start within 10 s.
class TestBackend {
 public:
  TestBackend();
  // Passes `extra_args` after "--port 0": the fault options of test_backend.cc's header comment,
  // e.g. {"--name", "canary", "--error-rate", "0.05"}. An option the backend refuses ends it at
  // once, and the constructor throws.
  explicit TestBackend(std::vector<std::string> extra_args);
  ~TestBackend();
  TestBackend(const TestBackend&) = delete;
  TestBackend& operator=(const TestBackend&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port>", for a gateway config's upstream.
  std::string url() const;
  pid_t pid() const { return pid_; }
  // Stops it with SIGTERM and returns its exit code (128+signal when killed); -1 when it was
  // already stopped.
  int stop();

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace tandem::testing
