#pragma once
// The library's edge: nothing throws across tandem's API. An exception from below (a
// corrupted state row, an allocation failure) becomes a Status the caller can print.

#include <exception>
#include <string>
#include <utility>

#include "tandem/status.h"

namespace tandem::commands {

template <typename F>
auto guarded(const char* what, F&& fn) -> decltype(fn()) {
  try {
    return std::forward<F>(fn)();
  } catch (const std::exception& e) {
    return Status::Database(std::string("internal error in `") + what + "`: " + e.what(), {},
                            "nothing more was written after it; `tandem status` shows where "
                            "things stand — please report this with the command you ran");
  } catch (...) {
    return Status::Database(std::string("internal error in `") + what + "` (unknown exception)");
  }
}

}  // namespace tandem::commands
