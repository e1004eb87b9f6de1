#pragma once
// The test hooks of the `tandem` process. The library never reads the environment for them;
// this binary's edge does, and hands the library an Env that injects the fault. Never set in
// production:
//   TANDEM_TEST_CRASH_AT=<point>           end the process at that point as if killed (137)
//   TANDEM_TEST_SLEEP_AFTER_STATEMENT=<ms> pause after every migration statement

#include "tandem/env.h"

namespace tandem::cli {

// The Env for this process: Env::Default() unless a test hook is set.
Env* process_env();

}  // namespace tandem::cli
