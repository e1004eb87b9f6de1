#include "backfill/backfill.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <optional>
#include <thread>

#include "backfill/job.h"
#include "backfill/keyset.h"
#include "backfill/throttle.h"

namespace tandem::backfill {
namespace {

using Clock = std::chrono::steady_clock;

// Rows per second over the last five seconds.
class Rate {
 public:
  Rate() { samples_.push_back({Clock::now(), 0}); }
  void add(long long rows) {
    auto now = Clock::now();
    samples_.push_back({now, rows});
    while (samples_.size() > 2 && now - samples_[1].first > std::chrono::seconds(5))
      samples_.pop_front();
  }
  double per_second() const {
    if (samples_.size() < 2) return 0;
    long long rows = 0;
    for (size_t i = 1; i < samples_.size(); ++i) rows += samples_[i].second;
    double s =
        std::chrono::duration<double>(samples_.back().first - samples_.front().first).count();
    return s > 0 ? static_cast<double>(rows) / s : 0;
  }

 private:
  std::deque<std::pair<Clock::time_point, long long>> samples_;
};

std::string update_sql(const Spec& spec, const std::string& range) {
  return fmt::format(
      "WITH done AS (UPDATE {} SET {} WHERE {}{} RETURNING 1) SELECT count(*) FROM done",
      spec.table, spec.set, range, spec.where.empty() ? "" : " AND (" + spec.where + ")");
}

// After the batch over `range` failed: the first row whose change fails, found by halving the
// range — each probe an UPDATE rolled back at once. nullopt when no probe fails again.
std::optional<Key> failing_row(db::Connection& conn, const Spec& spec, const Keyset& keyset,
                               const KeyRange& range) {
  auto keys = keyset.keys(conn, spec.table, range);
  if (!keys.ok() || keys->empty()) return std::nullopt;
  auto fails = [&](size_t i) {
    std::vector<db::Param> params;
    std::string where = keyset.predicate(KeyRange{range.after, (*keys)[i]}, params);
    auto probe = db::Transaction::begin(conn);  // rolled back when it goes out of scope
    if (!probe.ok()) return false;
    return !conn.query(update_sql(spec, where), params).ok();
  };
  size_t lo = 0, hi = keys->size() - 1;
  if (!fails(hi)) return std::nullopt;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (fails(mid)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return (*keys)[lo];
}

}  // namespace

Result<Stats> run(Session& s, const BackfillOptions& o, const Spec& spec, const Run& r) {
  db::Connection& conn = *s.conn;
  Keyset keyset(spec.key);
  // Unset options: what the job ran with before (when it continues), else the defaults.
  std::string stored;
  if (r.resume) {
    TANDEM_ASSIGN_OR_RETURN(stored, JobRecord::stored_settings(conn, r.job_id));
  }
  TANDEM_ASSIGN_OR_RETURN(Settings set, resolve(o, stored));
  Throttle throttle(set);
  TANDEM_RETURN_IF_ERROR(throttle.check_config(conn));
  TANDEM_ASSIGN_OR_RETURN(
      JobRecord job, JobRecord::begin(conn, r.job_id, r.version, spec.name, spec.table, s.command,
                                      !r.resume, stored_form(set)));
  if (!stored.empty())
    s.log(fmt::format("backfill {} continues with {}", spec.name, describe(set)));
  // The checkpoint is written once per batch, in the job's row, inside the batch's transaction.
  if (job.checkpoint == kDone) return Stats{};  // the last batch committed before a crash
  Key last;
  if (!job.checkpoint.empty()) {
    TANDEM_ASSIGN_OR_RETURN(last, key_from_json(job.checkpoint));
  }
  Stats stats;
  Rate rate;
  auto t0 = Clock::now(), logged = t0;
  long long size = std::clamp(1000, set.min_rows, set.max_rows);

  auto report = [&](const std::string& state, const std::string& reason) {
    BackfillProgress p;
    p.job = job.id();
    p.table = spec.name;
    p.state = state;
    p.reason = reason;
    p.rows_done = job.rows_done;
    p.rows_updated = job.rows_updated;
    p.rows_total = std::max(job.rows_total, job.rows_done);
    p.batch_size = size;
    p.rows_per_second = rate.per_second();
    if (p.rows_per_second > 0)
      p.eta_ms = static_cast<long long>(1000.0 * static_cast<double>(p.rows_total - p.rows_done) /
                                        p.rows_per_second);
    p.elapsed_ms = ms_since(t0);
    if (o.on_progress) {
      o.on_progress(p);
    } else if (state != "running" || Clock::now() - logged > std::chrono::seconds(2)) {
      logged = Clock::now();
      s.log(fmt::format("backfill {}: {} of ~{} rows, batch {} rows{}", spec.name, p.rows_done,
                        p.rows_total, size, reason.empty() ? "" : ", waiting: " + reason));
    }
  };

  std::string state = job.initial_state(), waiting;
  for (;;) {
    // Between batches: stop when cancelled, wait while paused or throttled.
    for (;;) {
      if (state == "cancelled") {
        std::string where = last.empty() ? "before its first batch"
                                         : "after row key " + key_text(last) + " (checkpoint kept)";
        (void)job.failed(conn, "cancelled");
        return Status::Problem(
            fmt::format("backfill job {} was cancelled {}", job.id(), where),
            fmt::format("continue it with `tandem backfill resume {}` (or by running the same "
                        "command again), or undo the migration with `tandem rollback`",
                        job.id()));
      }
      std::string reason = "paused";
      if (state != "paused") {
        TANDEM_ASSIGN_OR_RETURN(reason, throttle.wait_reason(conn));
      }
      if (reason != waiting) {
        TANDEM_RETURN_IF_ERROR(job.set_throttled(conn, reason));
        if (reason == "paused")
          s.log(fmt::format("backfill job {} is paused: `tandem backfill resume {}` continues it",
                            job.id(), job.id()));
        waiting = reason;
        report(reason.empty() ? "running" : "waiting", reason);
      }
      if (reason.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      TANDEM_ASSIGN_OR_RETURN(state, job.state(conn));
    }

    KeyRange range{last, {}};
    long long updated = 0, scanned = 0;
    bool update_failed = false;
    auto b0 = Clock::now();
    auto batch = [&]() -> Status {
      update_failed = false;
      // The batch commits only while this process still holds the migration lock.
      TANDEM_RETURN_IF_ERROR(s.fence());
      if (!spec.as_version.empty()) {
        TANDEM_RETURN_IF_ERROR(
            conn.query("SELECT set_config('tandem.version', $1, true)", {spec.as_version})
                .status());
      }
      TANDEM_ASSIGN_OR_RETURN(range.upto, keyset.bound(conn, spec.table, last, size));
      std::vector<db::Param> params;
      std::string where = keyset.predicate(range, params);
      auto n = conn.query(update_sql(spec, where), params);
      update_failed = !n.ok();
      TANDEM_RETURN_IF_ERROR(n.status());
      TANDEM_ASSIGN_OR_RETURN(updated, n->integer(0, 0));
      bool done = range.upto.empty();
      scanned = done ? updated : size;
      if (done && !spec.where.empty()) {
        // The last batch holds fewer than `size` rows; count them for the progress.
        TANDEM_ASSIGN_OR_RETURN(
            db::Rows c,
            conn.query(fmt::format("SELECT count(*) FROM {} WHERE {}", spec.table, where), params));
        TANDEM_ASSIGN_OR_RETURN(scanned, c.integer(0, 0));
      }
      // The last batch records "done", so a crash before the caller marks the step finished
      // never runs it again (an `update` like n = n + 1 must not apply twice).
      std::string checkpoint = done ? kDone : key_json(range.upto);
      TANDEM_ASSIGN_OR_RETURN(state, job.record_batch(conn, scanned, updated, checkpoint, size,
                                                      rate.per_second(), done));
      if (r.before_commit) r.before_commit(stats.batches + 1);
      return Status::Ok();
    };
    Status result = s.with_lock_retries(fmt::format("backfill {}:", spec.name),
                                        [&] { return s.in_transaction(batch); });
    if (!result.ok() && result.code() == Code::kLockNotAcquired) {
      // Not the job's failure: whoever holds the lock now continues it from the checkpoint.
      return result.with_context(fmt::format("backfill of {}: ", spec.name));
    }
    if (!result.ok()) {
      std::string at = last.empty() ? "in its first batch" : "after row key " + key_text(last);
      if (update_failed) {
        if (auto bad = failing_row(conn, spec, keyset, range)) at = "at row key " + key_text(*bad);
      }
      Status failed =
          result.with_context(fmt::format("backfill of {} failed {}: ", spec.name, at))
              .with_hint(fmt::format(
                  "the batches before it are committed and checkpointed; fix the row or the "
                  "expression, then run the same command again (it continues from the "
                  "checkpoint), or `tandem rollback`"));
      (void)job.failed(conn, failed.message());
      return failed;
    }
    job.rows_done += scanned;
    job.rows_updated += updated;
    stats.rows += scanned;
    stats.updated += updated;
    ++stats.batches;
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - b0).count();
    if (range.upto.empty()) {  // the last batch ran to the end of the table
      rate.add(scanned);
      break;
    }
    last = range.upto;
    // Grow by at most 1.5× while well under the target; cut in proportion when far over it.
    if (ms < set.target_ms * 0.5) {
      size = std::min<long long>(size * 3 / 2 + 1, set.max_rows);
    } else if (ms > set.target_ms * 2.0) {
      size = std::max<long long>(static_cast<long long>(size * set.target_ms / ms), set.min_rows);
    }
    long long pause = throttle.cap_sleep_ms(scanned, ms);
    if (pause > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause));
    rate.add(scanned);
    report("running", pause > 0 ? "rows/s cap" : "");
  }
  stats.elapsed_ms = ms_since(t0);
  report("done", "");
  return stats;
}

}  // namespace tandem::backfill
