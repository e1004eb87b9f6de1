// `tandem verify`: do the old and the new representation agree on every row?

#include <fmt/format.h>

#include <chrono>

#include "engine/session.h"
#include "expand/expr.h"
#include "expand/lifecycle.h"
#include "tandem/expand.h"

namespace tandem::expand {
namespace {

constexpr long long kBatch = 10000;
constexpr size_t kSamples = 5;

struct Check {
  VerifyCheck report;
  std::string mismatch;  // SQL condition over the table's physical columns
};

}  // namespace

Result<VerifyReport> verify(const EngineOptions& options) {
  auto t0 = std::chrono::steady_clock::now();
  TANDEM_ASSIGN_OR_RETURN(db::Url url, db::parse_url(options.db_url));
  if (url.backend != db::Backend::kPostgres) {
    return Status::InvalidInput(
        "`tandem verify` checks a migration started with `tandem start`, "
        "which needs PostgreSQL");
  }
  TANDEM_ASSIGN_OR_RETURN(auto s, Session::open(options, "verify", /*take_lock=*/false));
  TANDEM_ASSIGN_OR_RETURN(std::optional<ActivePlan> active, active_plan(*s));
  if (!active || active->step != "started") {
    return Status::InvalidInput(
        active ? fmt::format("migration {} is {}, not started", active->version, active->step)
               : std::string("no migration is active"),
        "verify runs between `tandem start` and `tandem complete`");
  }
  VerifyReport report;
  report.version = active->version;
  report.file = active->file;
  const TwoVersionPlan& plan = active->plan;
  // The checks, grouped by table.
  std::map<std::string, std::vector<Check>> by_table;
  for (const DualWrite& dw : plan.dual_writes) {
    if (plan.base.table(dw.table) == nullptr) continue;
    if (!dw.new_column.empty() && !dw.up.empty()) {
      Check c;
      c.report = {dw.table, dw.new_column, "up", dw.up, 0, 0, {}};
      c.mismatch = fmt::format("{} IS DISTINCT FROM ({})", db::quote_ident(dw.new_column), dw.up);
      by_table[dw.table].push_back(std::move(c));
    }
    if (!dw.old_column.empty() && !dw.down.empty()) {
      std::map<std::string, std::string> sources;
      for (const TableView& v : plan.new_views)
        if (v.physical == dw.table) sources = column_sources(v);
      TANDEM_ASSIGN_OR_RETURN(std::string down, rewrite_column_refs(dw.down, sources));
      Check c;
      c.report = {dw.table, dw.old_column, "down", dw.down, 0, 0, {}};
      c.mismatch = fmt::format("{} IS DISTINCT FROM ({})", db::quote_ident(dw.old_column), down);
      by_table[dw.table].push_back(std::move(c));
    }
  }
  TANDEM_RETURN_IF_ERROR(s->conn->execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"));
  auto run = [&]() -> Status {
    for (auto& [table, checks] : by_table) {
      std::vector<std::string> key = plan.base.table(table)->row_key();
      std::string cols, texts, lower, upper;
      for (size_t i = 0; i < key.size(); ++i) {
        std::string k = db::quote_ident(key[i]), sep = i ? ", " : "";
        cols += sep + k;
        texts += sep + k + fmt::format("::text AS _tandem_k{}", i);
        lower += sep + fmt::format("${}", i + 1);
        upper += sep + fmt::format("${}", i + 1 + key.size());
      }
      std::string t = qualified(options.schema, table);
      std::string counts;
      for (const Check& c : checks)
        counts += fmt::format(", count(*) FILTER (WHERE {})", c.mismatch);
      std::vector<std::string> last;
      for (;;) {
        // The batch's upper key, then the counts over (last, upper].
        std::string from = last.empty() ? "true" : fmt::format("({}) > ({})", cols, lower);
        std::vector<db::Param> bp(last.begin(), last.end());
        bp.push_back(std::to_string(kBatch - 1));
        TANDEM_ASSIGN_OR_RETURN(
            db::Rows bound,
            s->conn->query(fmt::format("SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT 1 OFFSET ${}",
                                       texts, t, from, cols, last.size() + 1),
                           bp));
        std::vector<std::string> up_to;
        for (size_t i = 0; !bound.empty() && i < key.size(); ++i) up_to.push_back(bound.text(0, i));
        std::string range = from;
        std::vector<db::Param> params(last.begin(), last.end());
        if (!up_to.empty()) {
          std::string hi;
          for (size_t i = 0; i < key.size(); ++i)
            hi += (i ? ", " : "") + fmt::format("${}", i + 1 + last.size());
          range += fmt::format(" AND ({}) <= ({})", cols, hi);
          params.insert(params.end(), up_to.begin(), up_to.end());
        }
        TANDEM_ASSIGN_OR_RETURN(
            db::Rows r,
            s->conn->query(fmt::format("SELECT count(*){} FROM {} WHERE {}", counts, t, range),
                           params));
        for (size_t i = 0; i < checks.size(); ++i) {
          VerifyCheck& v = checks[i].report;
          long long bad = std::stoll(r.text(0, i + 1));
          v.rows += std::stoll(r.text(0, 0));
          v.mismatches += bad;
          if (bad > 0 && v.sample_keys.size() < kSamples) {
            TANDEM_ASSIGN_OR_RETURN(
                db::Rows keys,
                s->conn->query(fmt::format("SELECT ROW({})::text FROM {} WHERE {} AND ({}) "
                                           "ORDER BY {} LIMIT {}",
                                           cols, t, range, checks[i].mismatch, cols,
                                           kSamples - v.sample_keys.size()),
                               params));
            for (size_t k = 0; k < keys.size(); ++k) v.sample_keys.push_back(keys.text(k, 0));
          }
        }
        if (up_to.empty()) break;
        last = up_to;
      }
      for (Check& c : checks) report.checks.push_back(std::move(c.report));
    }
    return Status::Ok();
  };
  Status st = run();
  (void)s->conn->execute(st.ok() ? "COMMIT" : "ROLLBACK");
  TANDEM_RETURN_IF_ERROR(st);
  report.elapsed_ms = ms_since(t0);
  return report;
}

}  // namespace tandem::expand
