// JSON access log lines (gateway/access_log.h).

#include "gateway/access_log.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tandem::gateway {

Status AccessLog::open(const std::string& target) {
  if (target == "off") return Status::Ok();
  if (target == "stdout") {
    fd_ = STDOUT_FILENO;
  } else if (target == "stderr") {
    fd_ = STDERR_FILENO;
  } else {
    fd_ = ::open(target.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd_ < 0) {
      return Status::InvalidInput(
          fmt::format("access_log: cannot open {}: {}", target, std::strerror(errno)),
          "choose a writable file, stdout, stderr or off");
    }
    owned_ = true;
  }
  return Status::Ok();
}

AccessLog::~AccessLog() {
  if (owned_) ::close(fd_);
}

void AccessLog::write(std::string line) {
  if (fd_ < 0) return;
  line += '\n';
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // a full disk or closed pipe must not stop the gateway
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace tandem::gateway
