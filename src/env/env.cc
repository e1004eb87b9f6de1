#include "tandem/env.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

namespace tandem {

Env* Env::Default() {
  static Env env;
  return &env;
}

void Env::sleep_for(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

std::string Env::user_name() {
  const char* user = std::getenv("USER");
  if (user != nullptr && *user != '\0') return user;
  struct passwd* pw = getpwuid(getuid());
  return pw ? pw->pw_name : "unknown";
}

}  // namespace tandem
