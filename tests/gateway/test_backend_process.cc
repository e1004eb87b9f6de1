#include "gateway/test_backend_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

namespace tandem::testing {

namespace {

// Reads the backend's first line ("listening <port>") from `fd` within `timeout_ms`.
std::string read_first_line(int fd, int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string line;
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[256];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  return line;
}

}  // namespace

std::string test_backend_binary() {
  const char* other = std::getenv("TANDEM_TEST_BACKEND");
  return other && *other ? other : TANDEM_TEST_BACKEND;
}

TestBackend::TestBackend() : TestBackend(std::vector<std::string>{}) {}

TestBackend::TestBackend(std::vector<std::string> extra_args) {
  std::string binary = test_backend_binary();
  // argv is built before fork: the child of a threaded process must not allocate.
  std::string port_flag = "--port";
  std::string port_arg = "0";
  std::vector<char*> argv = {binary.data(), port_flag.data(), port_arg.data()};
  for (std::string& arg : extra_args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  pid_ = ::fork();
  if (pid_ == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out[1], 1);  // stderr stays the test's: the backend only writes there on trouble
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(out[1]);
  if (pid_ < 0) {
    ::close(out[0]);
    throw std::runtime_error("fork failed");
  }
  std::string line = read_first_line(out[0], 10000);
  ::close(out[0]);
  if (line.rfind("listening ", 0) == 0) port_ = std::atoi(line.c_str() + 10);
  if (port_ <= 0) {
    stop();
    throw std::runtime_error(binary + " did not start (its first line: \"" + line + "\")");
  }
}

TestBackend::~TestBackend() { stop(); }

std::string TestBackend::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

int TestBackend::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace tandem::testing
