// Text and JSON renderings of engine results.

#include "cli/output.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <string_view>

namespace tandem::cli {

using nlohmann::json;

namespace {
json null_if_empty(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }
// `s` left-aligned in `width` columns, as fmt's "{:<N}" writes it. ASCII (every version, and
// nearly every name and state) by hand: status prints a line per migration, 10,000 of them
// in a big project, and fmt's general path costs more than the rest of the line.
void append_padded(std::string& out, std::string_view s, size_t width) {
  if (std::any_of(s.begin(), s.end(),
                  [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    fmt::format_to(std::back_inserter(out), "{:<{}}", s, width);
    return;
  }
  out += s;
  if (s.size() < width) out.append(width - s.size(), ' ');
}
const char* dir_word(Direction d) { return d == Direction::kUp ? "up" : "down"; }
// True when every non-blank line of `sql` is a `--` comment.
bool comment_only(const std::string& sql) {
  bool any = false;
  for (size_t start = 0; start < sql.size();) {
    size_t end = sql.find('\n', start);
    if (end == std::string::npos) end = sql.size();
    size_t first = sql.find_first_not_of(" \t\r", start);
    if (first < end) {
      if (sql.compare(first, 2, "--") != 0) return false;
      any = true;
    }
    start = end + 1;
  }
  return any;
}

}  // namespace

json to_json(const Problem& p) {
  return {{"kind", p.kind},     {"file", null_if_empty(p.file)}, {"line", p.line},
          {"column", p.column}, {"message", p.message},          {"hint", null_if_empty(p.hint)}};
}

json to_json(const Status& st) {
  json problems = json::array();
  for (const Problem& p : st.problems()) problems.push_back(to_json(p));
  return {{"error",
           {{"code", static_cast<int>(st.code())},
            {"message", st.message()},
            {"hint", null_if_empty(st.hint())},
            {"sqlstate", null_if_empty(st.sqlstate())},
            {"problems", problems}}}};
}

json to_json(const StatusReport& r) {
  json migrations = json::array();
  for (const MigrationState& m : r.migrations) {
    json j = {{"version", m.version},
              {"name", m.name},
              {"file", null_if_empty(m.file)},
              {"state", m.state},
              {"applied_at", null_if_empty(m.applied_at)},
              {"duration_ms", m.duration_ms},
              {"applied_by", null_if_empty(m.applied_by)},
              {"checksum", m.checksum}};
    if (m.state == "failed" || m.state == "interrupted" || m.state == "running") {
      j["direction"] = m.direction;
      j["statements_applied"] = m.statements_applied;
      j["statements_total"] = m.statements_total;
      j["error"] = null_if_empty(m.error);
      j["failed_statement"] = null_if_empty(m.failed_statement);
    }
    if (!m.applied_at.empty()) j["transactional"] = m.transactional;
    migrations.push_back(std::move(j));
  }
  json problems = json::array();
  for (const Problem& p : r.problems) problems.push_back(to_json(p));
  json others = json::array();
  for (const OtherToolHistory& o : r.other_tools) {
    others.push_back({{"tool", o.tool},
                      {"table", o.table},
                      {"applied", o.applied},
                      {"not_in_history", o.not_in_history},
                      {"version", null_if_empty(o.version)},
                      {"blocking", o.blocking}});
  }
  return {{"database", r.database},
          {"backend", r.backend},
          {"dir", r.dir},
          {"current_version", null_if_empty(r.current_version)},
          {"applied", r.applied},
          {"pending", r.pending},
          {"failed", r.failed},
          {"lock_holder", null_if_empty(r.lock_holder)},
          {"active_migration", null_if_empty(r.active_migration)},
          {"active_old_schema", null_if_empty(r.active_old_schema)},
          {"active_new_schema", null_if_empty(r.active_new_schema)},
          {"active_next_step", null_if_empty(r.active_next_step)},
          {"other_tools", others},
          {"migrations", migrations},
          {"problems", problems}};
}

json to_json(const ApplyReport& r) {
  json steps = json::array();
  for (const AppliedStep& s : r.steps) {
    steps.push_back({{"version", s.version},
                     {"name", s.name},
                     {"file", s.file},
                     {"direction", dir_word(s.direction)},
                     {"duration_ms", s.duration_ms},
                     {"statements", s.statements},
                     {"transactional", s.transactional},
                     {"retries", s.retries},
                     {"resumed", s.resumed}});
  }
  return {{"migrations", steps},
          {"current_version", null_if_empty(r.current_version)},
          {"elapsed_ms", r.elapsed_ms}};
}

json to_json(const std::vector<PlannedMigration>& plan) {
  json out = json::array();
  for (const PlannedMigration& m : plan) {
    json stmts = json::array();
    for (size_t i = 0; i < m.statements.size(); ++i) {
      const Statement& s = m.statements[i];
      stmts.push_back({{"sql", s.sql},
                       {"line", s.line},
                       {"transactional", s.transactional},
                       {"skipped", static_cast<int>(i) < m.resume_from}});
    }
    out.push_back({{"version", m.version},
                   {"name", m.name},
                   {"file", m.file},
                   {"direction", dir_word(m.direction)},
                   {"transactional", m.transactional},
                   {"resume_from", m.resume_from},
                   {"statements", stmts}});
  }
  return {{"migrations", out}};
}

std::string status_text(const StatusReport& r) {
  std::string out;
  out += fmt::format("database  {}\nfolder    {}\n", r.database, r.dir);
  out += fmt::format("version   {} ({} applied, {} pending{})\n",
                     r.current_version.empty() ? "none" : r.current_version, r.applied, r.pending,
                     r.failed ? fmt::format(", {} failed", r.failed) : "");
  if (!r.lock_holder.empty()) out += fmt::format("lock      held by {}\n", r.lock_holder);
  if (!r.active_migration.empty()) {
    out += fmt::format("active    {} — old version on schema {}, new version on {}; {}\n",
                       r.active_migration, r.active_old_schema, r.active_new_schema,
                       r.active_next_step);
  }
  for (const OtherToolHistory& o : r.other_tools) {
    std::string about = fmt::format("{} applied version{}", o.applied, o.applied == 1 ? "" : "s");
    if (!o.version.empty()) about += fmt::format(" (its version {})", o.version);
    if (o.not_in_history == 0) {
      about += o.applied ? ", all in tandem's history" : "";
    } else {
      about += fmt::format(
          ", {} not in tandem's history: `tandem up` will not run {}; record {} "
          "with `tandem import --from {}`",
          o.not_in_history, o.not_in_history == 1 ? "it" : "them",
          o.not_in_history == 1 ? "it" : "them", o.tool);
    }
    out += fmt::format("other     {}'s history {}: {}\n", o.tool, o.table, about);
    for (const std::string& b : o.blocking) out += fmt::format("          {}\n", b);
  }
  if (r.migrations.empty()) {
    out += "\nno migrations yet: create one with `tandem new NAME`\n";
  } else {
    size_t vw = 7, nw = 4;
    for (const MigrationState& m : r.migrations) {
      vw = std::max(vw, m.version.size());
      nw = std::max(nw, m.name.size());
    }
    out += fmt::format("\n  {:<{}}  {:<{}}  {:<12}  {}\n", "VERSION", vw, "NAME", nw, "STATE",
                       "APPLIED AT");
    out.reserve(out.size() + r.migrations.size() * (vw + nw + 44));
    for (const MigrationState& m : r.migrations) {
      // "  {:<vw}  {:<nw}  {:<12}  {}\n"
      out += "  ";
      append_padded(out, m.version, vw);
      out += "  ";
      append_padded(out, m.name, nw);
      out += "  ";
      append_padded(out, m.state, 12);
      out += "  ";
      out += m.applied_at;
      out += '\n';
      if (m.state == "failed" || m.state == "interrupted" || m.state == "running") {
        out += fmt::format("      {} {} of {} statements {}{}\n",
                           m.direction == "down" ? "reverting:" : "applying:", m.statements_applied,
                           m.statements_total,
                           m.state == "running" ? "done so far (in progress)" : "done",
                           m.error.empty() ? "" : "; error: " + m.error);
        if (m.state != "running") {
          out += fmt::format(
              "      next: fix the cause, then `tandem {} --resume` (continues at statement {}), "
              "or undo "
              "by hand and `tandem repair`\n",
              m.direction, m.statements_applied + 1);
        }
      } else if (m.state == "changed") {
        out +=
            "      the file was edited after it was applied: restore it, or `tandem repair` to "
            "accept it\n";
      } else if (m.state == "missing") {
        out += "      the file is gone: restore it, or `tandem repair` to forget it\n";
      } else if (m.state == "out_of_order") {
        out +=
            "      lower than the newest applied version: rename it, or `tandem up "
            "--allow-out-of-order`\n";
      }
    }
  }
  if (!r.problems.empty()) {
    out += "\nproblems:\n";
    out += format_problems(r.problems);
  }
  return out;
}

std::string apply_text(const ApplyReport& r, Direction dir) {
  if (r.steps.empty()) {
    return fmt::format("nothing to {}; current version {}\n",
                       dir == Direction::kUp ? "apply" : "revert",
                       r.current_version.empty() ? "none" : r.current_version);
  }
  return fmt::format("{} {} migration{} in {} ms; current version {}\n",
                     dir == Direction::kUp ? "applied" : "reverted", r.steps.size(),
                     r.steps.size() == 1 ? "" : "s", r.elapsed_ms,
                     r.current_version.empty() ? "none" : r.current_version);
}

std::string plan_text(const std::vector<PlannedMigration>& plan) {
  if (plan.empty()) return "-- nothing to run\n";
  std::string out;
  for (const PlannedMigration& m : plan) {
    out += fmt::format(
        "-- {} {} ({})\n", dir_word(m.direction), m.file,
        m.transactional ? "one transaction" : "outside a transaction, statement by statement");
    if (m.transactional) out += "BEGIN;\n";
    for (size_t i = 0; i < m.statements.size(); ++i) {
      if (static_cast<int>(i) < m.resume_from) {
        out += fmt::format("-- statement {} already applied, skipped by --resume\n", i + 1);
        continue;
      }
      const std::string& sql = m.statements[i].sql;
      out += sql;
      // A note tandem wrote in place of statements ("-- runs as start + complete…") is
      // not a statement: a ';' after it would be a line of its own in psql's eyes.
      if (!comment_only(sql) && (sql.empty() || sql.back() != ';')) out += ";";
      out += "\n";
    }
    if (m.transactional) out += "COMMIT;\n";
    out += "\n";
  }
  return out;
}

json to_json(const ImportReport& r) {
  json imported = json::array();
  for (const ImportedVersion& v : r.imported) {
    imported.push_back({{"version", v.version},
                        {"name", v.name},
                        {"file", v.file},
                        {"state", v.state},
                        {"detail", null_if_empty(v.detail)}});
  }
  return {{"tool", r.tool},
          {"table", r.table},
          {"dry_run", r.dry_run},
          {"imported", imported},
          {"already_in_history", r.already},
          {"reverted_since_import", r.reverted},
          {"missing_files", r.missing_files},
          {"not_imported", r.not_imported}};
}

std::string import_text(const ImportReport& r) {
  std::string out;
  size_t n = r.imported.size();
  out += fmt::format(
      "{} {} version{} {} applied (its history: {}){}; {} already in tandem's "
      "history\n",
      r.dry_run ? "would import" : "imported", n, n == 1 ? "" : "s", r.tool, r.table,
      r.dry_run ? "" : " as tandem's history, running nothing", r.already.size());
  size_t vw = 7;
  for (const ImportedVersion& v : r.imported) vw = std::max(vw, v.version.size());
  for (const ImportedVersion& v : r.imported)
    out += fmt::format("  {:<{}}  {:<8}  {}\n", v.version, vw, v.state, v.file);
  if (!r.reverted.empty()) {
    out += "imported before and reverted by `tandem down` since, not imported again: ";
    for (size_t i = 0; i < r.reverted.size(); ++i) out += (i ? ", " : "") + r.reverted[i];
    out += "\n";
  }
  if (!r.missing_files.empty()) {
    out += fmt::format("left out (no migration file, --allow-missing-files): ");
    for (size_t i = 0; i < r.missing_files.size(); ++i) out += (i ? ", " : "") + r.missing_files[i];
    out += "\n";
  }
  for (const std::string& s : r.not_imported) out += "not imported: " + s + "\n";
  if (r.dry_run) out += "nothing was written (--dry-run)\n";
  return out;
}

std::string dump(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string duration_text(long long ms) {
  if (ms < 0) return "-";
  if (ms < 1000) return fmt::format("{}ms", ms);
  long long sec = ms / 1000;
  if (sec < 60) return fmt::format("{}s", sec);
  if (sec < 3600) return fmt::format("{}m{:02}s", sec / 60, sec % 60);
  return fmt::format("{}h{:02}m", sec / 3600, sec / 60 % 60);
}

}  // namespace tandem::cli
