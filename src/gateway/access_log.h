#pragma once
// One JSON line per request (stdout, stderr, a file, or off). Each line is written with one
// write(2), whole, so lines from several workers never interleave.

#include <string>

#include "tandem/status.h"

namespace tandem::gateway {

class AccessLog {
 public:
  // "stdout", "stderr", "off" or a file path (appended to, created 0640).
  Status open(const std::string& target);
  ~AccessLog();
  bool enabled() const { return fd_ >= 0; }
  void write(std::string line);  // a newline is added

 private:
  int fd_ = -1;
  bool owned_ = false;
};

}  // namespace tandem::gateway
