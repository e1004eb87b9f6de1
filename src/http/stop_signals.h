#pragma once
// How a server process of tandem's stops: SIGINT and SIGTERM stop it (after a drain); SIGHUP is
// said and ignored, since nothing is reloaded (nginx users and `systemctl reload` send it out of
// habit, and it must never cut live traffic); SIGPIPE is ignored (a peer that went away is an
// error on its socket, not the end of the process).

#include <signal.h>

#include <string_view>

namespace tandem::http {

class StopSignals {
 public:
  // Blocks the signals in the calling thread, before it starts any other: threads inherit the
  // mask, so the signals reach only the thread that waits for them.
  StopSignals();
  // Waits for SIGINT or SIGTERM; each SIGHUP meanwhile prints `on_hup` (a line) to stderr.
  void wait(std::string_view on_hup);

 private:
  sigset_t signals_;
};

}  // namespace tandem::http
