#include "backfill/settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace tandem::backfill {

using nlohmann::json;

Result<Settings> resolve(const BackfillOptions& o, const std::string& stored) {
  Settings s;
  json j = stored.empty() ? json::object() : json::parse(stored, nullptr, false);
  if (!j.is_object()) j = json::object();  // unreadable: the defaults
  auto pick = [&](auto& out, const auto& given, const char* key) {
    using T = std::decay_t<decltype(out)>;
    if (given) {
      out = *given;
    } else if (j.contains(key)) {
      if constexpr (std::is_same_v<T, std::string>) {
        if (j[key].is_string()) out = j[key].template get<std::string>();
      } else {
        if (j[key].is_number()) out = j[key].template get<T>();
      }
    }
  };
  pick(s.target_ms, o.target_ms, "target_ms");
  pick(s.max_rows, o.max_rows, "max_rows");
  pick(s.max_rows_per_second, o.max_rows_per_second, "max_rows_per_second");
  pick(s.max_lag_ms, o.max_lag_ms, "max_lag_ms");
  pick(s.replica_url, o.replica_url, "replica_url");
  pick(s.throttle_query, o.throttle_query, "throttle_query");
  s.min_rows = o.min_rows;
  if (!o.replica_url && s.max_lag_ms > 0 && j.value("replica_password_left_out", false)) {
    return Status::InvalidInput(
        fmt::format("this backfill job waited on the lag of the standby {}, whose password is not "
                    "stored with the job",
                    s.replica_url),
        "pass --replica URL again (or --max-lag 0 to continue without the lag throttle)");
  }
  if (o.replica_url && !o.replica_url->empty() && s.max_lag_ms == 0) {
    return Status::InvalidInput("--replica needs --max-lag (the lag that makes the backfill wait)",
                                "e.g. --replica postgres://replica/app --max-lag 10s");
  }
  if (s.max_lag_ms == 0) s.replica_url.clear();  // no lag throttle: no standby to ask
  if (s.target_ms < 1) return Status::InvalidInput("--batch-target must be positive");
  if (s.max_rows < 1) return Status::InvalidInput("--batch-max must be at least 1");
  s.min_rows = std::clamp(s.min_rows, 1, s.max_rows);  // a smaller largest batch lowers the floor
  if (s.max_rows_per_second < 0) return Status::InvalidInput("--max-rows-per-second must be >= 0");
  if (s.max_lag_ms < 0) return Status::InvalidInput("--max-lag must be >= 0");
  return s;
}

std::string stored_form(const Settings& s) {
  json j = {{"target_ms", s.target_ms},
            {"max_rows", s.max_rows},
            {"max_rows_per_second", s.max_rows_per_second},
            {"max_lag_ms", s.max_lag_ms},
            {"throttle_query", s.throttle_query}};
  std::string shown = s.replica_url.empty() ? "" : db::redact_url(s.replica_url);
  j["replica_url"] = shown;
  if (shown != s.replica_url) j["replica_password_left_out"] = true;
  return j.dump();
}

std::string describe(const Settings& s) {
  std::string out = fmt::format("{} ms batches of at most {} rows", s.target_ms, s.max_rows);
  if (s.max_rows_per_second > 0) out += fmt::format(", at most {:g} rows/s", s.max_rows_per_second);
  if (s.max_lag_ms > 0) {
    out += fmt::format(", waiting while {} lags more than {} ms",
                       s.replica_url.empty() ? "a standby" : db::redact_url(s.replica_url),
                       s.max_lag_ms);
  }
  if (!s.throttle_query.empty()) out += ", waiting while the throttle query says so";
  return out;
}

}  // namespace tandem::backfill
