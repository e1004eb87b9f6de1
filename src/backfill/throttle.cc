#include "backfill/throttle.h"

#include <fmt/format.h>

namespace tandem::backfill {

Result<double> Throttle::lag_ms(db::Connection& conn) {
  if (o_.replica_url.empty()) {
    // On the primary: the slowest standby's lag as it last reported it (NULL when it has
    // caught up and is idle, or when this role may not see it: grant pg_monitor).
    TANDEM_ASSIGN_OR_RETURN(db::Rows r,
                            conn.query("SELECT coalesce(max(extract(epoch FROM greatest(write_lag, "
                                       "flush_lag, replay_lag))) * 1000, 0)::float8 FROM "
                                       "pg_stat_replication"));
    return r.number(0, 0);
  }
  if (!replica_) {
    db::ConnectOptions copts;
    copts.application_name = "tandem backfill (lag check)";
    auto c = db::connect(o_.replica_url, copts);
    if (!c.ok()) return c.status().with_context("--replica: ");
    replica_ = std::move(c).value();
  }
  // On the standby: how far replay is behind, 0 when it has replayed all it received. A
  // standby that has replayed no transaction since it started has no replay timestamp: its lag
  // counts from its start (a NULL there used to read as "not a standby").
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r,
      replica_->query("SELECT pg_is_in_recovery(), CASE "
                      "WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM "
                      "pg_last_wal_replay_lsn() THEN 0 "
                      "ELSE extract(epoch FROM now() - coalesce(pg_last_xact_replay_timestamp(), "
                      "pg_postmaster_start_time())) * 1000 END::float8"));
  if (r.text(0, 0) != "t") {
    return Status::InvalidInput(
        fmt::format("--replica {} is not a standby (pg_is_in_recovery() is false)",
                    db::redact_url(o_.replica_url)),
        "give the URL of a streaming replica, or leave --replica out to read the lag from "
        "pg_stat_replication on the primary");
  }
  return r.number(0, 1);
}

Result<bool> Throttle::query_says_wait(db::Connection& conn) {
  auto r = conn.query(o_.throttle_query);
  if (!r.ok()) return r.status().with_context("--throttle-query: ");
  if (r->size() != 1 || r->columns.size() != 1 || (r->text(0, 0) != "t" && r->text(0, 0) != "f")) {
    return Status::InvalidInput(
        fmt::format("--throttle-query must return one row with one boolean; it returned {} "
                    "row(s) of {} column(s)",
                    r->size(), r->columns.size()),
        "e.g. --throttle-query \"SELECT count(*) > 50 FROM pg_stat_activity WHERE state = "
        "'active'\"");
  }
  return r->text(0, 0) == "t";
}

Status Throttle::check_config(db::Connection& conn) {
  if (o_.max_lag_ms > 0) TANDEM_RETURN_IF_ERROR(lag_ms(conn).status());
  if (!o_.throttle_query.empty()) TANDEM_RETURN_IF_ERROR(query_says_wait(conn).status());
  return Status::Ok();
}

Result<std::string> Throttle::wait_reason(db::Connection& conn) {
  auto now = std::chrono::steady_clock::now();
  if (now - checked_ < std::chrono::milliseconds(250)) return last_reason_;
  checked_ = now;
  last_reason_.clear();
  if (o_.max_lag_ms > 0) {
    TANDEM_ASSIGN_OR_RETURN(double lag, lag_ms(conn));
    if (lag > o_.max_lag_ms) {
      last_reason_ =
          fmt::format("replication lag {:.1f} s > {:.1f} s", lag / 1000, o_.max_lag_ms / 1000.0);
      return last_reason_;
    }
  }
  if (!o_.throttle_query.empty()) {
    TANDEM_ASSIGN_OR_RETURN(bool wait, query_says_wait(conn));
    if (wait) last_reason_ = "throttle query returned true";
  }
  return last_reason_;
}

long long Throttle::cap_sleep_ms(long long rows, double batch_ms) const {
  if (o_.max_rows_per_second <= 0) return 0;
  double needed = 1000.0 * static_cast<double>(rows) / o_.max_rows_per_second;
  return needed > batch_ms ? static_cast<long long>(needed - batch_ms) : 0;
}

}  // namespace tandem::backfill
