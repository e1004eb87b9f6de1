// Verify results in the event log (commands/verify_record.h).

#include "commands/verify_record.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

namespace tandem::commands {

namespace {

long long rows_checked(const backfill::VerifyReport& report) {
  // Several checks of one table read the same rows: a table counts once.
  std::map<std::string, long long> rows;
  for (const backfill::VerifyCheck& c : report.checks)
    rows[c.table] = std::max(rows[c.table], c.rows);
  long long total = 0;
  for (const auto& [table, n] : rows) total += n;
  return total;
}

}  // namespace

std::string verify_detail(const backfill::VerifyReport& report) {
  long long rows = rows_checked(report);
  nlohmann::json checks = nlohmann::json::array();
  for (const backfill::VerifyCheck& c : report.checks) {
    checks.push_back({{"table", c.table},
                      {"column", c.column},
                      {"direction", c.direction},
                      {"expression", c.expression},
                      {"rows", c.rows},
                      {"mismatches", c.mismatches},
                      {"sample_keys", c.sample_keys}});
  }
  nlohmann::json j = {{"summary", fmt::format("{} mismatch(es) in {} check(s) over {} row(s)",
                                              report.mismatches(), report.checks.size(), rows)},
                      {"rows", rows},
                      {"mismatches", report.mismatches()},
                      {"checks", std::move(checks)}};
  // Names and keys come from the database: replaced, never refused, when not UTF-8.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

backfill::VerifyRecord verify_record(const std::string& version, const std::string& at,
                                     const std::string& status, long long elapsed_ms,
                                     const std::string& detail) {
  backfill::VerifyRecord r;
  r.version = version;
  r.at = at;
  r.status = status;
  r.elapsed_ms = elapsed_ms;
  r.summary = detail;
  if (detail.empty() || detail.front() != '{') return r;
  nlohmann::json j = nlohmann::json::parse(detail, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return r;
  auto text = [](const nlohmann::json& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto number = [](const nlohmann::json& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->is_number_integer() ? it->get<long long>() : 0LL;
  };
  r.summary = text(j, "summary");
  r.rows = number(j, "rows");
  r.mismatches = number(j, "mismatches");
  auto checks = j.find("checks");
  if (checks == j.end() || !checks->is_array()) return r;
  for (const nlohmann::json& c : *checks) {
    if (!c.is_object()) continue;
    backfill::VerifyCheck v;
    v.table = text(c, "table");
    v.column = text(c, "column");
    v.direction = text(c, "direction");
    v.expression = text(c, "expression");
    v.rows = number(c, "rows");
    v.mismatches = number(c, "mismatches");
    auto keys = c.find("sample_keys");
    if (keys != c.end() && keys->is_array())
      for (const nlohmann::json& k : *keys)
        if (k.is_string()) v.sample_keys.push_back(k.get<std::string>());
    r.checks.push_back(std::move(v));
  }
  return r;
}

std::string verify_summary(const std::string& detail) {
  return verify_record("", "", "", 0, detail).summary;
}

}  // namespace tandem::commands
