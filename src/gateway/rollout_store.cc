// Rollouts and switches in the state database (gateway/state_store.h).

#include <fmt/format.h>

#include <cstdlib>

#include "gateway/state_store.h"

namespace tandem::gateway {

namespace {

std::string num(double d) { return fmt::format("{:.6f}", d); }

}  // namespace

Result<std::set<std::string>> StateStore::switches_on() {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn_->query(fmt::format("SELECT name FROM {} WHERE is_on = 1", table("switches"))));
  std::set<std::string> out;
  for (size_t i = 0; i < rows.size(); ++i) out.insert(rows.text(i, 0));
  return out;
}

Result<bool> StateStore::set_switch(const std::string& name, bool on, const std::string& reason) {
  TANDEM_ASSIGN_OR_RETURN(db::Transaction tx, db::Transaction::begin(*conn_));
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows before,
      conn_->query(fmt::format("SELECT is_on FROM {} WHERE name = $1", table("switches")), {name}));
  bool was = before.size() > 0 && before.text(0, 0) == "1";
  TANDEM_RETURN_IF_ERROR(
      conn_
          ->query(fmt::format("INSERT INTO {} (name, is_on, changed_at, reason) VALUES ($1, $2, "
                              "$3, $4) ON CONFLICT (name) DO UPDATE SET is_on = excluded.is_on, "
                              "changed_at = excluded.changed_at, reason = excluded.reason",
                              table("switches")),
                  {name, on ? "1" : "0", std::to_string(std::time(nullptr)), reason})
          .status());
  TANDEM_RETURN_IF_ERROR(tx.commit());
  return was;
}

Result<std::vector<RolloutState>> StateStore::load_rollouts() {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn_->query(fmt::format("SELECT name, step, share, status, step_started, analysed_until, "
                               "reason, updated_at, version FROM {} ORDER BY name",
                               table("rollouts"))));
  std::vector<RolloutState> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    RolloutState s;
    s.name = rows.text(i, 0);
    TANDEM_ASSIGN_OR_RETURN(long long step, rows.integer(i, 1));
    s.step = static_cast<int>(step);
    s.share = std::strtod(rows.text(i, 2).c_str(), nullptr);
    s.status = rows.text(i, 3);
    TANDEM_ASSIGN_OR_RETURN(s.step_started, rows.integer(i, 4));
    TANDEM_ASSIGN_OR_RETURN(s.analysed_until, rows.integer(i, 5));
    s.reason = rows.text(i, 6);
    TANDEM_ASSIGN_OR_RETURN(s.updated, rows.integer(i, 7));
    TANDEM_ASSIGN_OR_RETURN(s.version, rows.integer(i, 8));
    out.push_back(std::move(s));
  }
  return out;
}

Status StateStore::ensure_rollout(const Rollout& r, long long now) {
  double share = r.steps.empty() ? 0 : r.steps.front();
  TANDEM_ASSIGN_OR_RETURN(db::Transaction tx, db::Transaction::begin(*conn_));
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows made,
      conn_->query(fmt::format("INSERT INTO {} (name, step, share, status, step_started, "
                               "analysed_until, reason, updated_at, version) VALUES ($1, 0, $2, "
                               "'running', $3, $3, 'started', $3, 1) ON CONFLICT (name) DO NOTHING "
                               "RETURNING name",
                               table("rollouts")),
                   {r.name, num(share), std::to_string(now)}));
  if (made.size() > 0) {
    TANDEM_RETURN_IF_ERROR(
        conn_
            ->query(fmt::format("INSERT INTO {} (rollout, version, at, step, share, status, "
                                "reason, actor) VALUES ($1, 1, $2, 0, $3, 'running', 'started', "
                                "'gateway') ON CONFLICT DO NOTHING",
                                table("rollout_events")),
                    {r.name, std::to_string(now), num(share)})
            .status());
  }
  return tx.commit();
}

Status StateStore::add_rollout_samples(
    const std::vector<std::tuple<std::string, int, long long, ArmSample>>& rows) {
  if (rows.empty()) return Status::Ok();
  std::string t = table("rollout_samples");
  std::string cols = "rollout, arm, second, requests, errors";
  std::string vals = "$1, $2, $3, $4, $5";
  std::string sets = fmt::format(
      "requests = {t}.requests + excluded.requests, errors = "
      "{t}.errors + excluded.errors",
      fmt::arg("t", t));
  for (size_t i = 0; i <= kLatencyBuckets.size(); ++i) {
    cols += fmt::format(", b{}", i);
    vals += fmt::format(", ${}", i + 6);
    sets += fmt::format(", b{i} = {t}.b{i} + excluded.b{i}", fmt::arg("i", i), fmt::arg("t", t));
  }
  std::string sql = fmt::format(
      "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (rollout, arm, "
      "second) DO UPDATE SET {}",
      t, cols, vals, sets);
  TANDEM_ASSIGN_OR_RETURN(db::Transaction tx, db::Transaction::begin(*conn_));
  for (const auto& [name, arm, second, s] : rows) {
    std::vector<std::optional<std::string>> params{
        name, std::to_string(arm), std::to_string(second), std::to_string(s.requests),
        std::to_string(s.errors)};
    for (long long b : s.buckets) params.push_back(std::to_string(b));
    TANDEM_RETURN_IF_ERROR(conn_->query(sql, params).status());
  }
  return tx.commit();
}

Result<std::array<ArmSample, 2>> StateStore::rollout_window(const std::string& name, long long from,
                                                            long long to) {
  std::string sums = "SUM(requests), SUM(errors)";
  for (size_t i = 0; i <= kLatencyBuckets.size(); ++i) sums += fmt::format(", SUM(b{})", i);
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn_->query(fmt::format("SELECT arm, {} FROM {} WHERE rollout = $1 AND second >= $2 AND "
                               "second < $3 GROUP BY arm",
                               sums, table("rollout_samples")),
                   {name, std::to_string(from), std::to_string(to)}));
  std::array<ArmSample, 2> out{};
  for (size_t i = 0; i < rows.size(); ++i) {
    TANDEM_ASSIGN_OR_RETURN(long long arm, rows.integer(i, 0));
    if (arm < 0 || arm > 1) continue;
    ArmSample& s = out[arm];
    auto at = [&](size_t c) -> long long {
      auto v = rows.integer(i, c);
      return v.ok() ? *v : 0;
    };
    s.requests = at(1);
    s.errors = at(2);
    for (size_t b = 0; b < s.buckets.size(); ++b) s.buckets[b] = at(3 + b);
  }
  return out;
}

Result<bool> StateStore::update_rollout(const RolloutState& before, const RolloutState& after,
                                        const std::string& actor) {
  long long now = static_cast<long long>(std::time(nullptr));
  TANDEM_ASSIGN_OR_RETURN(db::Transaction tx, db::Transaction::begin(*conn_));
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows changed,
      conn_->query(fmt::format("UPDATE {} SET step = $2, share = $3, status = $4, step_started = "
                               "$5, analysed_until = $6, reason = $7, updated_at = $8, version = "
                               "version + 1 WHERE name = $1 AND version = $9 RETURNING name",
                               table("rollouts")),
                   {before.name, std::to_string(after.step), num(after.share), after.status,
                    std::to_string(after.step_started), std::to_string(after.analysed_until),
                    after.reason, std::to_string(now), std::to_string(before.version)}));
  if (changed.size() == 0) return false;
  // Only a change of step, share or status is history; a judged window is not.
  if (after.step != before.step || after.status != before.status || after.share != before.share) {
    TANDEM_RETURN_IF_ERROR(
        conn_
            ->query(
                fmt::format("INSERT INTO {} (rollout, version, at, step, share, status, "
                            "reason, actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                            table("rollout_events")),
                {after.name, std::to_string(before.version + 1), std::to_string(now),
                 std::to_string(after.step), num(after.share), after.status, after.reason, actor})
            .status());
  }
  TANDEM_RETURN_IF_ERROR(tx.commit());
  return true;
}

Result<std::vector<StateStore::RolloutEvent>> StateStore::rollout_history(const std::string& name,
                                                                          int limit) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn_->query(fmt::format("SELECT at, step, share, status, reason, actor FROM {} WHERE "
                               "rollout = $1 ORDER BY version DESC LIMIT {}",
                               table("rollout_events"), limit),
                   {name}));
  std::vector<RolloutEvent> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    RolloutEvent e;
    TANDEM_ASSIGN_OR_RETURN(e.at, rows.integer(i, 0));
    TANDEM_ASSIGN_OR_RETURN(long long step, rows.integer(i, 1));
    e.step = static_cast<int>(step);
    e.share = std::strtod(rows.text(i, 2).c_str(), nullptr);
    e.status = rows.text(i, 3);
    e.reason = rows.text(i, 4);
    e.actor = rows.text(i, 5);
    out.push_back(std::move(e));
  }
  return out;
}

Status StateStore::prune_rollout_samples(long long before) {
  return conn_
      ->query(fmt::format("DELETE FROM {} WHERE second < $1", table("rollout_samples")),
              {std::to_string(before)})
      .status();
}

}  // namespace tandem::gateway
