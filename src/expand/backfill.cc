#include "expand/backfill.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "expand/two_version.h"

namespace tandem::expand {
namespace {

// WITH batch AS (the next `limit` keys after the checkpoint), done AS (the UPDATE of those
// rows) SELECT the row count and the batch's last key.
std::string batch_sql(const std::string& table, const std::vector<std::string>& key,
                      const std::string& set, bool after) {
  std::string cols, aliases, order_desc, match_l, match_r, params;
  for (size_t i = 0; i < key.size(); ++i) {
    std::string k = db::quote_ident(key[i]), a = fmt::format("_tandem_k{}", i);
    std::string sep = i == 0 ? "" : ", ";
    cols += sep + k + " AS " + a;
    aliases += sep + k;
    order_desc += sep + a + " DESC";
    match_l += sep + table + "." + k;
    match_r += sep + "batch." + a;
    params += sep + fmt::format("${}", i + 1);
  }
  std::string where = after ? fmt::format(" WHERE ({}) > ({})", aliases, params) : "";
  return fmt::format(
      "WITH batch AS (SELECT {cols} FROM {t}{where} ORDER BY {order} LIMIT ${n}), "
      "done AS (UPDATE {t} SET {set} FROM batch WHERE ({ml}) = ({mr}) RETURNING 1), "
      "last AS (SELECT * FROM batch ORDER BY {desc} LIMIT 1) "
      "SELECT (SELECT count(*) FROM done), last.* FROM last",
      fmt::arg("cols", cols), fmt::arg("t", table), fmt::arg("where", where),
      fmt::arg("order", aliases), fmt::arg("n", after ? key.size() + 1 : 1), fmt::arg("set", set),
      fmt::arg("ml", match_l), fmt::arg("mr", match_r), fmt::arg("desc", order_desc));
}

}  // namespace

Result<BackfillStats> run_backfill(Session& s, const std::string& schema, const Step& step,
                                   const std::string& from,
                                   const std::function<Status(const std::string&)>& checkpoint) {
  using Clock = std::chrono::steady_clock;
  const EngineOptions& o = s.options;
  std::string table = qualified(schema, step.backfill_table);
  std::vector<std::string> last;
  if (!from.empty()) last = nlohmann::json::parse(from).get<std::vector<std::string>>();
  BackfillStats stats;
  auto t0 = Clock::now(), logged = t0;
  long long size = std::clamp(1000, o.backfill_min_rows, o.backfill_max_rows);
  for (;;) {
    std::vector<db::Param> params(last.begin(), last.end());
    params.push_back(std::to_string(size));
    std::string sql = batch_sql(table, step.key, step.set, !last.empty());
    db::Rows rows;
    Status result;
    auto b0 = Clock::now();
    for (int attempt = 0;; ++attempt) {
      result = s.conn->execute("BEGIN");
      if (result.ok()) {
        auto r = s.conn->query(sql, params);
        result = r.status();
        if (r.ok()) {
          rows = std::move(*r);
          if (!rows.empty()) {
            std::vector<std::string> key;
            for (size_t i = 1; i < rows.columns.size(); ++i) key.push_back(rows.text(0, i));
            result = checkpoint(nlohmann::json(key).dump());
          }
        }
      }
      result = result.ok() ? s.conn->execute("COMMIT") : (s.conn->execute("ROLLBACK"), result);
      if (result.ok() || !result.is_lock_timeout() || attempt >= o.lock_retries) break;
      s.wait_before_retry(fmt::format("backfill {}:", step.backfill_table), attempt);
    }
    if (!result.ok()) {
      std::string at =
          last.empty() ? "the first rows" : "rows after key " + nlohmann::json(last).dump();
      return result.with_context(fmt::format("backfill of {} ({}): ", step.backfill_table, at));
    }
    if (rows.empty()) break;
    long long n = std::stoll(rows.text(0, 0));
    stats.rows += n;
    ++stats.batches;
    last.clear();
    for (size_t i = 1; i < rows.columns.size(); ++i) last.push_back(rows.text(0, i));
    // Grow by at most 1.5× while well under the target; halve (or more) when far over it.
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - b0).count();
    if (ms < o.backfill_target_ms * 0.5) {
      size = std::min<long long>(size * 3 / 2 + 1, o.backfill_max_rows);
    } else if (ms > o.backfill_target_ms * 2.0) {
      size = std::max<long long>(static_cast<long long>(size * o.backfill_target_ms / ms),
                                 o.backfill_min_rows);
    }
    if (Clock::now() - logged > std::chrono::seconds(2)) {
      logged = Clock::now();
      s.log(fmt::format("backfill {}: {} rows, batch {} rows", step.backfill_table, stats.rows,
                        size));
    }
  }
  stats.elapsed_ms = ms_since(t0);
  return stats;
}

}  // namespace tandem::expand
