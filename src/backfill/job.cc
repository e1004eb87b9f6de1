#include "backfill/job.h"

#include <fmt/format.h>

namespace tandem::backfill {

Result<JobRecord> JobRecord::begin(db::Connection& conn, const std::string& id,
                                   const std::string& version, const std::string& table,
                                   const std::string& qualified_table, const std::string& command,
                                   bool fresh, const std::string& settings) {
  // The size estimate the planner keeps; counted when the table was never analyzed.
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows est, conn.query("SELECT reltuples::bigint FROM pg_class WHERE oid = $1::regclass",
                               {qualified_table}));
  std::string total = est.empty() ? "-1" : est.text(0, 0);
  if (db::to_integer(total).value_or(-1) < 0) {
    TANDEM_ASSIGN_OR_RETURN(db::Rows n, conn.query("SELECT count(*) FROM " + qualified_table));
    total = n.text(0, 0);
  }
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r,
      conn.query(
          "INSERT INTO tandem.backfill_jobs AS j (id, version, table_name, command, state, "
          "rows_total, runner, runner_pid, runner_started, settings) VALUES ($1, $2, $3, $4, "
          "'running', $5, current_setting('application_name'), pg_backend_pid(), (SELECT "
          "backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()), $7) "
          "ON CONFLICT (id) DO UPDATE SET command = excluded.command, rows_total = "
          "excluded.rows_total, runner = excluded.runner, runner_pid = excluded.runner_pid, "
          "runner_started = excluded.runner_started, settings = excluded.settings, throttled = '', "
          "error = NULL, finished_at = "
          "NULL, updated_at = now(), "
          // A job of a rolled-back start begins again from its first row.
          "state = CASE WHEN j.state = 'paused' AND NOT $6 THEN 'paused' ELSE 'running' END, "
          "rows_done = CASE WHEN $6 OR j.state = 'rolled_back' THEN 0 ELSE j.rows_done END, "
          "rows_updated = CASE WHEN $6 OR j.state = 'rolled_back' THEN 0 ELSE j.rows_updated "
          "END, "
          "checkpoint = CASE WHEN $6 OR j.state = 'rolled_back' THEN NULL ELSE j.checkpoint END, "
          "started_at = CASE WHEN $6 OR j.state = 'rolled_back' THEN now() ELSE j.started_at END "
          "RETURNING state, rows_done, rows_updated, rows_total, coalesce(checkpoint, '')",
          {id, version, table, command, total, fresh ? "true" : "false", settings}));
  JobRecord job;
  job.id_ = id;
  job.initial_state_ = r.text(0, 0);
  TANDEM_ASSIGN_OR_RETURN(job.rows_done, r.integer(0, 1));
  TANDEM_ASSIGN_OR_RETURN(job.rows_updated, r.integer(0, 2));
  TANDEM_ASSIGN_OR_RETURN(job.rows_total, r.integer(0, 3));
  job.checkpoint = r.text(0, 4);
  return job;
}

Result<std::string> JobRecord::stored_settings(db::Connection& conn, const std::string& id) {
  TANDEM_ASSIGN_OR_RETURN(db::Rows exists,
                          conn.query("SELECT to_regclass('tandem.backfill_jobs') IS NOT NULL"));
  if (exists.text(0, 0) != "t") return std::string();
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r, conn.query("SELECT coalesce(settings, '') FROM tandem.backfill_jobs WHERE id = "
                             "$1 AND state <> 'rolled_back'",
                             {id}));
  return r.empty() ? std::string() : r.text(0, 0);
}

Status JobRecord::rolled_back(db::Connection& conn, const std::string& version) {
  TANDEM_ASSIGN_OR_RETURN(db::Rows exists,
                          conn.query("SELECT to_regclass('tandem.backfill_jobs') IS NOT NULL"));
  if (exists.text(0, 0) != "t") return Status::Ok();
  return conn
      .query(
          "UPDATE tandem.backfill_jobs SET state = 'rolled_back', throttled = '', updated_at = "
          "now(), finished_at = coalesce(finished_at, now()) WHERE version = $1",
          {version})
      .status();
}

Result<std::string> JobRecord::record_batch(db::Connection& conn, long long scanned,
                                            long long updated, const std::string& checkpoint,
                                            long long batch_size, double rows_per_second,
                                            bool done) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r,
      conn.query("UPDATE tandem.backfill_jobs SET rows_done = rows_done + $2, rows_updated = "
                 "rows_updated + $3, checkpoint = $4, batch_size = $5, rows_per_second = $6, "
                 "updated_at = now(), state = CASE WHEN $7 THEN 'done' ELSE state END, "
                 "finished_at = CASE WHEN $7 THEN now() END WHERE id = $1 RETURNING state",
                 {id_, std::to_string(scanned), std::to_string(updated), checkpoint,
                  std::to_string(batch_size), fmt::format("{:.1f}", rows_per_second),
                  done ? "true" : "false"}));
  if (r.empty()) {
    return Status::Database(
        fmt::format("backfill job {} disappeared from tandem.backfill_jobs", id_), "",
        "another process removed it (a rollback, or a hand edit); see `tandem status` and "
        "`tandem backfill status`");
  }
  return r.text(0, 0);
}

Result<std::string> JobRecord::state(db::Connection& conn) const {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r, conn.query("SELECT state FROM tandem.backfill_jobs WHERE id = $1", {id_}));
  return r.empty() ? std::string("cancelled") : r.text(0, 0);
}

Status JobRecord::set_throttled(db::Connection& conn, const std::string& reason) const {
  return conn
      .query("UPDATE tandem.backfill_jobs SET throttled = $2, updated_at = now() WHERE id = $1",
             {id_, reason})
      .status();
}

Status JobRecord::failed(db::Connection& conn, const std::string& error) const {
  return conn
      .query(
          "UPDATE tandem.backfill_jobs SET state = CASE WHEN state = 'cancelled' THEN state ELSE "
          "'failed' END, error = $2, throttled = '', updated_at = now() WHERE id = $1",
          {id_, error})
      .status();
}

}  // namespace tandem::backfill
