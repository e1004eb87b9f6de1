// `tandem verify`: do the old and the new representation agree on every row?

#include <fmt/format.h>

#include <chrono>

#include "backfill/keyset.h"
#include "commands/guard.h"
#include "commands/hooks.h"
#include "commands/verify_record.h"
#include "engine/session.h"
#include "expand/expr.h"
#include "expand/lifecycle.h"
#include "expand/two_version.h"
#include "tandem/backfill.h"

namespace tandem::backfill {

using expand::ActivePlan;
using expand::DualWrite;
using expand::TableView;
using expand::TwoVersionPlan;
namespace {

constexpr long long kBatch = 10000;
constexpr size_t kSamples = 5;

struct Check {
  VerifyCheck report;
  std::string mismatch;  // SQL condition over the table's physical columns
};

// The column's type as format_type spells it ("" when the catalog does not have it).
Result<std::string> column_type(Session& s, const std::string& table, const std::string& column) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r, s.conn->query("SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                                "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON "
                                "n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 "
                                "AND a.attname = $3 AND NOT a.attisdropped",
                                {s.options.schema, table, column}));
  return r.size() == 1 ? r.text(0, 0) : std::string();
}

// The stored value differs from what the expression gives, compared as the dual-write trigger
// compares (as text for types without an equality operator, such as point), the expression's
// value first converted to the column's type as the trigger's assignment converts it.
std::string mismatch(const std::string& column, const std::string& expr, const std::string& type) {
  std::string value =
      type.empty() ? fmt::format("({})", expr) : fmt::format("CAST(({}) AS {})", expr, type);
  return expand::distinct_from(db::quote_ident(column), value, type);
}

// Records the result as a `verify` event of the migration (status "clean" or "mismatches"),
// which `tandem complete` reads: it refuses while the newest one found mismatches. Best
// effort: a database that takes no writes keeps verify working, with a warning.
void record(Session& s, const VerifyReport& report) {
  auto write = [&]() -> Status {
    TANDEM_ASSIGN_OR_RETURN(std::optional<ActiveMigration> active, s.state->active());
    HistoryRow row;
    row.version = report.version;
    if (active) {
      row.name = active->name;
      row.checksum = active->checksum;
    }
    TANDEM_ASSIGN_OR_RETURN(row.applied_by, s.state->applied_by());
    row.duration_ms = report.elapsed_ms;
    return s.state->event("verify", row, commands::verify_detail(report),
                          report.mismatches() == 0 ? "clean" : "mismatches");
  };
  Status st = write();
  if (!st.ok()) {
    s.log("warning: the verify result could not be recorded (" + st.message() +
          "): `tandem complete` will not know of it");
  }
}

}  // namespace

static Result<VerifyReport> verify_now(const EngineOptions& options) {
  auto t0 = std::chrono::steady_clock::now();
  TANDEM_ASSIGN_OR_RETURN(
      auto s, Session::open_postgres(options, commands::hooks(options), "verify",
                                     /*take_lock=*/false,
                                     "it checks a migration started with `tandem start`"));
  TANDEM_ASSIGN_OR_RETURN(std::optional<ActivePlan> active, expand::active_plan(*s));
  if (!active || active->phase != Phase::kStarted) {
    return Status::InvalidInput(active ? fmt::format("migration {} is {}, not started",
                                                     active->version, phase_name(active->phase))
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
      TANDEM_ASSIGN_OR_RETURN(std::string type, column_type(*s, dw.table, dw.new_column));
      c.mismatch = mismatch(dw.new_column, dw.up, type);
      by_table[dw.table].push_back(std::move(c));
    }
    if (!dw.old_column.empty() && !dw.down.empty()) {
      std::map<std::string, std::string> sources;
      for (const TableView& v : plan.new_views)
        if (v.physical == dw.table) sources = expand::column_sources(v);
      TANDEM_ASSIGN_OR_RETURN(std::string down, expand::rewrite_column_refs(dw.down, sources));
      Check c;
      c.report = {dw.table, dw.old_column, "down", dw.down, 0, 0, {}};
      TANDEM_ASSIGN_OR_RETURN(std::string type, column_type(*s, dw.table, dw.old_column));
      c.mismatch = mismatch(dw.old_column, down, type);
      by_table[dw.table].push_back(std::move(c));
    }
  }
  TANDEM_ASSIGN_OR_RETURN(
      db::Transaction snapshot,
      db::Transaction::begin(*s->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"));
  auto run = [&]() -> Status {
    for (auto& [table, checks] : by_table) {
      Keyset keyset(plan.base.table(table)->row_key());
      std::string t = expand::qualified(options.schema, table);
      std::string counts;
      for (const Check& c : checks)
        counts += fmt::format(", count(*) FILTER (WHERE {})", c.mismatch);
      for (KeyRange range;;) {
        TANDEM_ASSIGN_OR_RETURN(range.upto, keyset.bound(*s->conn, t, range.after, kBatch));
        std::vector<db::Param> params;
        std::string where = keyset.predicate(range, params);
        TANDEM_ASSIGN_OR_RETURN(
            db::Rows r,
            s->conn->query(fmt::format("SELECT count(*){} FROM {} WHERE {}", counts, t, where),
                           params));
        for (size_t i = 0; i < checks.size(); ++i) {
          VerifyCheck& v = checks[i].report;
          TANDEM_ASSIGN_OR_RETURN(long long bad, r.integer(0, i + 1));
          TANDEM_ASSIGN_OR_RETURN(long long rows, r.integer(0, 0));
          v.rows += rows;
          v.mismatches += bad;
          if (bad > 0 && v.sample_keys.size() < kSamples) {
            TANDEM_ASSIGN_OR_RETURN(
                db::Rows keys,
                s->conn->query(fmt::format("SELECT ROW({})::text FROM {} WHERE {} AND ({}) "
                                           "ORDER BY {} LIMIT {}",
                                           keyset.columns(), t, where, checks[i].mismatch,
                                           keyset.columns(), kSamples - v.sample_keys.size()),
                               params));
            for (size_t k = 0; k < keys.size(); ++k) v.sample_keys.push_back(keys.text(k, 0));
          }
        }
        if (range.upto.empty()) break;
        range.after = range.upto;
      }
      for (Check& c : checks) report.checks.push_back(std::move(c.report));
    }
    return Status::Ok();
  };
  TANDEM_RETURN_IF_ERROR(run());  // an error rolls the snapshot back
  TANDEM_RETURN_IF_ERROR(snapshot.commit());
  report.elapsed_ms = ms_since(t0);
  record(*s, report);
  return report;
}

Result<VerifyReport> verify(const EngineOptions& options) {
  return commands::guarded("verify", [&] { return verify_now(options); });
}

Result<std::vector<VerifyRecord>> verify_history(const EngineOptions& options, int limit) {
  return commands::guarded("verify history", [&]() -> Result<std::vector<VerifyRecord>> {
    TANDEM_ASSIGN_OR_RETURN(auto s, Session::open(options, commands::hooks(options),
                                                  "verify history", /*take_lock=*/false));
    TANDEM_ASSIGN_OR_RETURN(std::vector<EventRow> events, s->state->events("verify", limit));
    std::vector<VerifyRecord> out;
    out.reserve(events.size());
    for (const EventRow& e : events)
      out.push_back(commands::verify_record(e.version, e.at, e.status, e.duration_ms, e.detail));
    return out;
  });
}

}  // namespace tandem::backfill
