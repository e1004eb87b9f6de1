#include "cli/runbook_command.h"

#include <fmt/format.h>

#include <iostream>

#include "cli/output.h"

namespace tandem::cli {
namespace {

using nlohmann::json;

std::string blocks(const RunbookLock& l) {
  if (l.mode == "database write lock") return "other writers wait; readers go on";
  if (l.blocks_reads) return "blocks reads and writes";
  if (l.blocks_writes) return "blocks writes";
  return "reads and writes go on";
}

std::string estimate(const RunbookPhase& p) {
  std::string t = p.estimate_ms > 0 ? "~" + duration_text(p.estimate_ms) : "moments";
  return p.estimate_basis.empty() ? t : t + " — " + p.estimate_basis;
}

}  // namespace

void RunbookCommand::add(CLI::App* plan_cmd) {
  plan = plan_cmd;
  plan_cmd->add_flag("--runbook", runbook,
                     "print a runbook of the pending migrations instead of their SQL: each "
                     "phase with its locks, estimated duration, gate, rollback and what "
                     "cannot be undone");
  plan_cmd->add_option("--format", format, "with --runbook: md (default) or json (as --json)")
      ->check(CLI::IsMember({"md", "json"}));
  std::string footer = plan_cmd->get_footer();
  plan_cmd->footer(footer +
                   "\n  tandem plan --runbook > runbook.md   # a checklist to paste into the "
                   "ticket\n  tandem plan --runbook --format json");
}

std::optional<int> RunbookCommand::run(const Options& options, const UpOptions& up, bool json,
                                       const std::function<int(const Status&)>& fail) const {
  if (plan == nullptr || !plan->parsed()) return std::nullopt;
  if (!runbook) {
    if (format.empty()) return std::nullopt;
    return fail(
        Status::InvalidInput("--format needs --runbook", "tandem plan --runbook --format md|json"));
  }
  if (plan->get_option("--down")->count() > 0) {
    return fail(Status::InvalidInput("--runbook plans the pending migrations, not a revert",
                                     "leave out --down; each phase of the runbook names its "
                                     "rollback"));
  }
  auto book = tandem::runbook(options, up);
  if (!book.ok()) return fail(book.status());
  if (format == "json" || (format.empty() && json))
    std::cout << dump(runbook_json(*book), 2) << "\n";
  else
    std::cout << runbook_markdown(*book);
  return 0;
}

std::string runbook_markdown(const Runbook& book) {
  std::string out = fmt::format("# Runbook: {} pending migration(s)\n\n", book.migrations.size());
  out += fmt::format("- Database: `{}` ({})\n", book.database, book.backend);
  out += fmt::format("- Estimated time, all phases: {}\n",
                     book.estimate_ms > 0 ? "~" + duration_text(book.estimate_ms) : "moments");
  if (book.backend == "postgres") {
    out += fmt::format("- Backfill rate: {:.0f} rows/s, {}\n", book.backfill_rows_per_second,
                       book.backfill_rate_basis);
  }
  if (book.migrations.empty()) out += "\nNothing is pending: `tandem status` shows the history.\n";
  for (const MigrationRunbook& m : book.migrations) {
    out += fmt::format("\n## {} {} (`{}`, {})\n", m.version, m.name, m.file, m.kind);
    for (const std::string& n : m.notes) out += fmt::format("\n> Note: {}\n", n);
    int i = 0;
    for (const RunbookPhase& p : m.phases) {
      out += fmt::format("\n### {}. {}{}{}{}\n\n", ++i, p.name,
                         p.command.empty() ? "" : " — `" + p.command + "`",
                         p.irreversible ? " — ⚠ IRREVERSIBLE" : "",
                         p.state == "pending" ? "" : " (" + p.state + ")");
      if (p.irreversible) out += fmt::format("- **⚠ Irreversible:** {}\n", p.irreversible_reason);
      std::string box = p.state == "done" ? "[x]" : "[ ]";
      out += fmt::format("- {} **Run** {}\n", box,
                         p.command.empty() ? "(nothing to run: it happens in the phase before)"
                                           : "`" + p.command + "`");
      out += fmt::format("  - What: {}\n", p.what);
      if (p.locks.empty()) {
        out += "  - Locks: no table lock beyond row locks\n";
      } else {
        out += "  - Locks:\n";
        for (const RunbookLock& l : p.locks) {
          // SQLite's lock is the database's whatever table the statement changes.
          std::string on =
              l.mode == "database write lock"
                  ? (l.relation.empty() ? "" : " for `" + l.relation + "`")
                  : " on " + (l.relation.empty() ? "the database" : "`" + l.relation + "`");
          out += fmt::format("    - {}{} ({}{}{}){} — `{}`\n", l.mode, on, blocks(l),
                             l.rewrites ? ", rewrites the table" : "",
                             l.scans && !l.rewrites ? ", reads every row" : "",
                             l.line > 0 ? fmt::format(" line {}", l.line) : "", l.statement);
        }
      }
      out += fmt::format("  - Estimate: {}\n", estimate(p));
      out += fmt::format("- {} **Gate** before the next phase: {}\n", box, p.gate);
      if (p.rollback.empty()) {
        out += fmt::format("- Rollback: none — {}\n", p.rollback_note);
      } else {
        out += fmt::format("- Rollback: `{}`{} — {}\n", p.rollback,
                           p.rollback_drops_data ? " **⚠ IRREVERSIBLE: drops data**" : "",
                           p.rollback_note);
      }
    }
  }
  return out;
}

json runbook_json(const Runbook& book) {
  json migrations = json::array();
  for (const MigrationRunbook& m : book.migrations) {
    json phases = json::array();
    for (const RunbookPhase& p : m.phases) {
      json locks = json::array();
      for (const RunbookLock& l : p.locks) {
        locks.push_back({{"mode", l.mode},
                         {"relation", l.relation},
                         {"statement", l.statement},
                         {"line", l.line},
                         {"blocks_reads", l.blocks_reads},
                         {"blocks_writes", l.blocks_writes},
                         {"rewrites", l.rewrites},
                         {"scans", l.scans}});
      }
      phases.push_back({{"name", p.name},
                        {"command", p.command},
                        {"what", p.what},
                        {"state", p.state},
                        {"locks", locks},
                        {"rows", p.rows},
                        {"estimate_ms", p.estimate_ms},
                        {"estimate_basis", p.estimate_basis},
                        {"gate", p.gate},
                        {"rollback", p.rollback},
                        {"rollback_note", p.rollback_note},
                        {"rollback_drops_data", p.rollback_drops_data},
                        {"irreversible", p.irreversible},
                        {"irreversible_reason", p.irreversible_reason}});
    }
    migrations.push_back({{"version", m.version},
                          {"name", m.name},
                          {"file", m.file},
                          {"kind", m.kind},
                          {"phases", phases},
                          {"notes", m.notes}});
  }
  return {{"database", book.database},
          {"backend", book.backend},
          {"backfill_rows_per_second", book.backfill_rows_per_second},
          {"backfill_jobs_measured", book.backfill_jobs_measured},
          {"backfill_rate_basis", book.backfill_rate_basis},
          {"estimate_ms", book.estimate_ms},
          {"migrations", migrations}};
}

}  // namespace tandem::cli
