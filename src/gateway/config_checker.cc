// The config reader's shared parts (gateway/config_checker.h).

#include "gateway/config_checker.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace tandem::gateway {

std::optional<double> Checker::percent(const YAML::Node& v, const std::string& key) {
  auto t = text(v, key);
  if (!t) return std::nullopt;
  std::string s = *t;
  bool pct = !s.empty() && s.back() == '%';
  if (pct) s.pop_back();
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !(d >= 0) || d > 100) {
    fail(v, fmt::format("`{}: {}` is not a percentage", key, *t), "write it like 5% or 0.5%");
    return std::nullopt;
  }
  return d / 100.0;
}

// RFC 3339 ("2025-06-01T00:00:00Z", offsets allowed) or a date ("2025-06-01") as Unix seconds.
std::optional<long long> parse_time(const std::string& text) {
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char tail[16] = {0};
  int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%15s", &y, &mo, &d, &h, &mi, &s, tail);
  long long offset = 0;
  if (n == 3 && text.size() == 10) {
    // a date: midnight UTC
  } else if (n == 7) {
    std::string t = tail;
    if (!t.empty() && t[0] == '.') {  // fractions of a second are dropped
      size_t i = 1;
      while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
      t = t.substr(i);
    }
    int oh = 0, om = 0;
    if (t == "Z" || t == "z") {
    } else if (t.size() == 6 && (t[0] == '+' || t[0] == '-') &&
               std::sscanf(t.c_str() + 1, "%2d:%2d", &oh, &om) == 2) {
      offset = (t[0] == '+' ? 1 : -1) * (oh * 3600LL + om * 60LL);
    } else {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<long long>(timegm(&tm)) - offset;
}

}  // namespace tandem::gateway
