#include "cli/backfill_commands.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/output.h"
#include "tandem/backfill.h"
#include "tandem/tandem.h"

namespace tandem::cli {
namespace {

using nlohmann::json;

json job_json(const backfill::BackfillJob& j) {
  return {{"id", j.id},
          {"version", j.version},
          {"table", j.table},
          {"command", j.command},
          {"state", j.state},
          {"waiting", j.throttled},
          {"rows_done", j.rows_done},
          {"rows_updated", j.rows_updated},
          {"rows_total_estimate", j.rows_total},
          {"batch_size", j.batch_size},
          {"rows_per_second", j.rows_per_second},
          {"eta_ms", j.eta_ms < 0 ? json(nullptr) : json(j.eta_ms)},
          {"checkpoint", j.checkpoint},
          {"error", j.error},
          {"runner", j.runner},
          {"started_at", j.started_at},
          {"updated_at", j.updated_at},
          {"finished_at", j.finished_at.empty() ? json(nullptr) : json(j.finished_at)}};
}

std::string jobs_text(const std::vector<backfill::BackfillJob>& jobs) {
  if (jobs.empty()) return "no backfill jobs\n";
  std::string out = fmt::format("{:<28} {:<12} {:>24} {:>10} {:>8} {:>8}  {}\n", "JOB", "STATE",
                                "ROWS (OF ~TOTAL)", "ROWS/S", "ETA", "BATCH", "NOTE");
  for (const auto& j : jobs) {
    int pct = j.rows_total > 0 ? static_cast<int>(100 * j.rows_done / j.rows_total) : 100;
    std::string note = !j.throttled.empty() ? "waiting: " + j.throttled
                       : !j.error.empty()   ? j.error
                       : !j.runner.empty()  ? "run by " + j.runner
                       : j.checkpoint.empty() || j.checkpoint == "done"
                           ? ""
                           : "checkpoint " + j.checkpoint;
    out += fmt::format("{:<28} {:<12} {:>24} {:>10} {:>8} {:>8}  {}\n", j.id, j.state,
                       fmt::format("{}/{} {}%", j.rows_done, j.rows_total, pct),
                       j.state == "running" ? fmt::format("{:.0f}", j.rows_per_second) : "-",
                       duration_text(j.eta_ms), j.batch_size, note);
  }
  return out;
}

int print_verify(const backfill::VerifyReport& r, bool json_out) {
  if (json_out) {
    json checks = json::array();
    for (const auto& c : r.checks) {
      checks.push_back({{"table", c.table},
                        {"column", c.column},
                        {"direction", c.direction},
                        {"expression", c.expression},
                        {"rows", c.rows},
                        {"mismatches", c.mismatches},
                        {"sample_keys", c.sample_keys}});
    }
    std::cout << cli::dump(json{{"version", r.version},
                                {"file", r.file},
                                {"mismatches", r.mismatches()},
                                {"checks", checks},
                                {"elapsed_ms", r.elapsed_ms}},
                           2)
              << "\n";
  } else {
    for (const auto& c : r.checks) {
      std::cout << fmt::format(
          "{}.{} {} {}: {} of {} rows differ ({:.4f}%){}\n", c.table, c.column,
          c.direction == "up" ? "=" : "= down:", c.expression, c.mismatches, c.rows,
          c.rows ? 100.0 * static_cast<double>(c.mismatches) / static_cast<double>(c.rows) : 0.0,
          c.sample_keys.empty()
              ? ""
              : ", e.g. keys " + fmt::format("{}", fmt::join(c.sample_keys, " ")));
    }
    std::cout << (r.mismatches()
                      ? "mismatches found: do not complete yet\n"
                        "hint: look at the rows of the sample keys in both version schemas; if "
                        "something wrote the old column without the dual-write trigger, run "
                        "`tandem start` again to backfill and `tandem verify` again, or `tandem "
                        "rollback` to go back (docs/declarative.md)\n"
                      : fmt::format("verified {}: both versions agree\n", r.file));
  }
  return r.mismatches() ? 1 : 0;
}

int print_diff(const backfill::TableDiff& d, bool json_out) {
  if (json_out) {
    json ranges = json::array();
    for (const auto& r : d.ranges) {
      ranges.push_back({{"after", r.after.empty() ? json(nullptr) : json(r.after)},
                        {"upto", r.upto.empty() ? json(nullptr) : json(r.upto)},
                        {"rows_a", r.rows_a},
                        {"rows_b", r.rows_b},
                        {"sample_keys", r.sample_keys}});
    }
    std::cout << cli::dump(json{{"table_a", d.table_a},
                                {"table_b", d.table_b},
                                {"key", d.key},
                                {"columns", d.columns},
                                {"rows_a", d.rows_a},
                                {"rows_b", d.rows_b},
                                {"chunks", d.chunks},
                                {"differing_ranges", ranges},
                                {"equal", d.ranges.empty()},
                                {"elapsed_ms", d.elapsed_ms}},
                           2)
              << "\n";
  } else {
    for (const auto& r : d.ranges) {
      std::cout << fmt::format("differ: keys {} .. {}: {} rows in {}, {} in {}; e.g. keys {}\n",
                               r.after.empty() ? "(start)" : "> " + r.after,
                               r.upto.empty() ? "(end)" : "<= " + r.upto, r.rows_a, d.table_a,
                               r.rows_b, d.table_b, fmt::join(r.sample_keys, " "));
    }
    std::cout << fmt::format(
        "{} and {}: {} rows vs {} over {} columns in {} chunks: {}\n", d.table_a, d.table_b,
        d.rows_a, d.rows_b, d.columns.size(), d.chunks,
        d.ranges.empty() ? "equal" : fmt::format("{} key range(s) differ", d.ranges.size()));
  }
  return d.ranges.empty() ? 0 : 1;
}

}  // namespace

void BackfillCommands::add(CLI::App& app) {
  backfill = app.add_subcommand(
      "backfill", "watch and control backfills from any terminal (state kept in the database)");
  backfill->require_subcommand(1);
  backfill->footer(
      "Examples:\n  tandem backfill status            # every job: rows, rows/s, ETA, why it "
      "waits\n  tandem backfill pause             # the one running job, after its current "
      "batch\n  tandem backfill resume 0007/orders\n  tandem backfill cancel --json");
  status = backfill->add_subcommand("status", "show backfill jobs (the unfinished ones first)");
  pause = backfill->add_subcommand("pause", "pause a running job after its current batch");
  resume = backfill->add_subcommand(
      "resume", "resume a paused job; continue here a job no process runs any more");
  cancel = backfill->add_subcommand(
      "cancel", "stop a job after its current batch; its checkpoint stays for resume");
  for (CLI::App* c : {status, pause, resume, cancel}) {
    c->add_option("JOB", job,
                  "the job id, e.g. 7/orders or 0007/orders (default: the only candidate)");
    c->footer(fmt::format("Example:\n  tandem backfill {} 0007/orders", c->get_name()));
  }

  verify = app.add_subcommand(
      "verify", "check that both versions of the active migration agree on every row");
  verify->add_option("--tables", tables, "compare the rows of two tables instead (A B)")
      ->expected(2);
  verify->add_option("--chunk", chunk, "with --tables: rows per checksummed chunk")
      ->capture_default_str();
  verify->footer(
      "Counts rows where a new column differs from `up` of the old ones, and where an old column\n"
      "differs from `down` of the new ones, under one snapshot. With --tables, compares two\n"
      "tables chunk by chunk (checksums along the first one's key) and names the key ranges\n"
      "that differ. Exit 1 on any mismatch.\n"
      "Examples:\n  tandem verify && tandem complete\n"
      "  tandem verify --tables orders archive.orders_copy");
}

std::optional<int> BackfillCommands::run(const Options& options, bool json_out,
                                         const std::function<int(const Status&)>& fail) const {
  std::optional<std::string> id;
  if (!job.empty()) id = job;
  if (verify->parsed()) {
    if (!tables.empty()) {
      auto r = backfill::compare_tables(options.engine, tables[0], tables[1], chunk);
      return r.ok() ? print_diff(*r, json_out) : fail(r.status());
    }
    auto r = backfill::verify(options.engine);
    return r.ok() ? print_verify(*r, json_out) : fail(r.status());
  }
  if (!backfill->parsed()) return std::nullopt;
  if (status->parsed()) {
    auto r = backfill::status(options.engine, id);
    if (!r.ok()) return fail(r.status());
    if (json_out) {
      json jobs = json::array();
      for (const auto& j : *r) jobs.push_back(job_json(j));
      std::cout << cli::dump(json{{"jobs", jobs}}, 2) << "\n";
    } else {
      std::cout << jobs_text(*r);
    }
    return 0;
  }
  backfill::Action action = pause->parsed()    ? backfill::Action::kPause
                            : resume->parsed() ? backfill::Action::kResume
                                               : backfill::Action::kCancel;
  auto r = backfill::control(options, id, action);
  if (!r.ok()) return fail(r.status());
  if (json_out) {
    json j = job_json(r->job);
    j["previous_state"] = r->previous_state;
    j["continued_here"] = r->continued_here;
    std::cout << cli::dump(j, 2) << "\n";
  } else if (r->continued_here) {
    std::cout << fmt::format("resumed {} here and ran it to the end: {}\n", r->job.id,
                             r->job.state);
  } else {
    std::cout << fmt::format(
        "{} {} ({} -> {}){}\n", r->job.id,
        action == backfill::Action::kPause    ? "paused"
        : action == backfill::Action::kResume ? "resumed"
                                              : "cancelled",
        r->previous_state, r->job.state,
        r->job.runner.empty() ? "" : "; " + r->job.runner + " picks it up after its current batch");
  }
  return 0;
}

}  // namespace tandem::cli
