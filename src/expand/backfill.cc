#include "expand/backfill.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "expand/two_version.h"

namespace tandem::expand {
namespace {

// Keyset batches by key ranges, so each statement is an index range scan whatever plan the
// server caches: the batch's last key is found first (OFFSET size-1 past the checkpoint), then
// the rows in (checkpoint, last] are updated.
struct BatchSql {
  std::string bound, update, update_to_end;
};

BatchSql batch_sql(const std::string& table, const std::vector<std::string>& key,
                   const std::string& set, const std::string& where, bool after) {
  std::string cols, texts, lower, upper_params, lower_params;
  size_t n = key.size();
  for (size_t i = 0; i < n; ++i) {
    std::string k = db::quote_ident(key[i]), sep = i == 0 ? "" : ", ";
    cols += sep + k;
    texts += sep + k + fmt::format("::text AS _tandem_k{}", i);  // not named like the key:
    // ORDER BY "id" must sort by the column, not by this text
    lower_params += sep + fmt::format("${}", i + 1);
    upper_params += sep + fmt::format("${}", i + 1 + (after ? n : 0));
  }
  std::string from = after ? fmt::format("({}) > ({})", cols, lower_params) : "true";
  std::string filter = where.empty() ? "" : " AND (" + where + ")";
  BatchSql out;
  out.bound = fmt::format("SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT 1 OFFSET ${}", texts, table,
                          from, cols, after ? n + 1 : 1);
  std::string upd =
      "WITH done AS (UPDATE {} SET {} WHERE {}{} RETURNING 1) SELECT count(*) FROM done";
  out.update = fmt::format(fmt::runtime(upd), table, set, from,
                           fmt::format(" AND ({}) <= ({}){}", cols, upper_params, filter));
  out.update_to_end = fmt::format(fmt::runtime(upd), table, set, from, filter);
  return out;
}

}  // namespace

Result<BackfillStats> run_backfill(Session& s, const std::string& schema, const Step& step,
                                   const std::string& from,
                                   const std::function<Status(const std::string&)>& checkpoint) {
  using Clock = std::chrono::steady_clock;
  const EngineOptions& o = s.options;
  std::string table = qualified(schema, step.backfill_table);
  std::vector<std::string> last;
  if (from == kBackfillDone) return BackfillStats{};  // the last batch committed before a crash
  if (!from.empty()) last = nlohmann::json::parse(from).get<std::vector<std::string>>();
  BackfillStats stats;
  auto t0 = Clock::now(), logged = t0;
  long long size = std::clamp(1000, o.backfill_min_rows, o.backfill_max_rows);
  for (;;) {
    BatchSql sql = batch_sql(table, step.key, step.set, step.where, !last.empty());
    std::vector<db::Param> bound_params(last.begin(), last.end());
    bound_params.push_back(std::to_string(size - 1));
    std::vector<std::string> upper;
    long long n = 0;
    Status result;
    auto b0 = Clock::now();
    for (int attempt = 0;; ++attempt) {
      result = s.conn->execute("BEGIN");
      if (result.ok()) {
        auto bound = s.conn->query(sql.bound, bound_params);
        result = bound.status();
        if (bound.ok()) {
          upper.clear();
          for (size_t i = 0; !bound->empty() && i < bound->columns.size(); ++i)
            upper.push_back(bound->text(0, i));
          std::vector<db::Param> params(last.begin(), last.end());
          params.insert(params.end(), upper.begin(), upper.end());
          auto r = s.conn->query(upper.empty() ? sql.update_to_end : sql.update, params);
          result = r.status();
          if (r.ok()) {
            n = std::stoll(r->text(0, 0));
            // The last batch records "done", so a crash before the step is marked finished
            // never runs it again (an `update` like n = n + 1 must not apply twice).
            result = checkpoint(upper.empty() ? kBackfillDone : nlohmann::json(upper).dump());
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
    stats.rows += n;
    ++stats.batches;
    if (upper.empty()) break;  // the last batch ran to the end of the table
    last = upper;
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
