// The stop signals of a server process (http/stop_signals.h).

#include "http/stop_signals.h"

#include <pthread.h>

#include <cstdio>

namespace tandem::http {

StopSignals::StopSignals() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

void StopSignals::wait(std::string_view on_hup) {
  int sig = 0;
  for (;;) {
    sigwait(&signals_, &sig);
    if (sig != SIGHUP) return;
    std::fprintf(stderr, "%.*s\n", static_cast<int>(on_hup.size()), on_hup.data());
  }
}

}  // namespace tandem::http
