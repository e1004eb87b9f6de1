// baseline: adopt tandem on a database whose schema already matches some migrations.

#include <fmt/format.h>

#include <optional>

#include "engine/engine.h"
#include "engine/file_stat.h"
#include "engine/session.h"
#include "tandem/engine.h"

namespace tandem::engine {

Result<std::vector<MigrationState>> baseline(const EngineOptions& options, const Hooks& hooks,
                                             const std::string& version) {
  if (version.empty() || version.find_first_not_of("0123456789") != std::string::npos) {
    return Status::InvalidInput(
        fmt::format("baseline version '{}' is not a number", version),
        "pass the version of the newest migration already reflected in the database");
  }
  TANDEM_ASSIGN_OR_RETURN(auto s, Session::open(options, hooks, "baseline", /*take_lock=*/true));
  PreparedSet prepared = prepare(*s);
  if (!prepared.set.problems.empty()) {
    return refused(prepared.set.problems);
  }
  std::string v = canonical_version(version);
  std::vector<const Migration*> covered;
  for (const Migration& m : prepared.set.migrations) {
    if (compare_versions(m.version, v) <= 0) covered.push_back(&m);
  }
  if (covered.empty()) {
    return Status::InvalidInput(
        fmt::format("no migration file has a version <= {}", v),
        "baseline names the newest migration whose changes the database already has");
  }
  // SQLite: the write lock first (BEGIN IMMEDIATE), then the history, so that no other writer
  // fills it in between. PostgreSQL: the migration lock already guards it.
  std::optional<db::Transaction> tx;
  if (!s->pg()) {
    TANDEM_ASSIGN_OR_RETURN(db::Transaction begun,
                            db::Transaction::begin(*s->conn, "BEGIN IMMEDIATE"));
    tx.emplace(std::move(begun));
  }
  TANDEM_ASSIGN_OR_RETURN(bool exists, s->state->exists());
  if (exists) {
    TANDEM_ASSIGN_OR_RETURN(auto rows, s->state->load());
    if (!rows.empty()) {
      return Status::InvalidInput(
          fmt::format(
              "the history already has {} migration(s); baseline is only for a database tandem has "
              "never migrated",
              rows.size()),
          "use `tandem up` to apply pending migrations, or `tandem repair` to fix the history");
    }
  }
  TANDEM_RETURN_IF_ERROR(s->ensure_state());
  if (s->pg()) {
    TANDEM_ASSIGN_OR_RETURN(db::Transaction begun, db::Transaction::begin(*s->conn));
    tx.emplace(std::move(begun));
  }
  std::vector<MigrationState> out;
  auto body = [&]() -> Status {
    TANDEM_ASSIGN_OR_RETURN(std::string by, s->state->applied_by());
    for (const Migration* m : covered) {
      HistoryRow row;
      row.version = m->version;
      row.name = m->name;
      row.checksum = m->checksum;
      row.status = RunStatus::kBaseline;
      row.applied_by = by;
      row.statements_total = static_cast<int>(prepared.up.at(m->version).size());
      row.file = stat_for_history(m->path, m->checksum);  // the folder had no problems
      TANDEM_RETURN_IF_ERROR(s->state->upsert(row));
      TANDEM_RETURN_IF_ERROR(
          s->state->event("baseline", row, "marked as applied without running it"));
      MigrationState st;
      st.version = m->version;
      st.name = m->name;
      st.file = m->file;
      st.state = "baseline";
      out.push_back(std::move(st));
    }
    return tx->commit();
  };
  TANDEM_RETURN_IF_ERROR(body());  // an error rolls `tx` back
  return out;
}

}  // namespace tandem::engine
