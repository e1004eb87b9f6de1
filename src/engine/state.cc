// tandem's own tables: typed reads and writes of every row (the layout and its upgrades:
// state_layout.cc).

#include "engine/state.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "tandem/version.h"

namespace tandem {

namespace {

// ISO-8601 UTC with milliseconds from milliseconds since the epoch.
std::string iso_from_epoch_ms(long long ms) {
  if (ms >= 0 && ms < 253402300800000LL) {  // 1970 … 9999: by hand, once per history row
    long long days = ms / 86400000, in_day = ms % 86400000;
    // Civil date from days since 1970-01-01 (H. Hinnant's days-to-civil algorithm).
    long long z = days + 719468, era = z / 146097, doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    long long day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
    long long year = yoe + era * 400 + (month <= 2);
    char buf[24];
    auto put = [&buf](int at, long long v, int width) {
      for (int i = width - 1; i >= 0; --i, v /= 10) buf[at + i] = static_cast<char>('0' + v % 10);
    };
    put(0, year, 4);
    buf[4] = '-';
    put(5, month, 2);
    buf[7] = '-';
    put(8, day, 2);
    buf[10] = 'T';
    put(11, in_day / 3600000, 2);
    buf[13] = ':';
    put(14, in_day / 60000 % 60, 2);
    buf[16] = ':';
    put(17, in_day / 1000 % 60, 2);
    buf[19] = '.';
    put(20, in_day % 1000, 3);
    buf[23] = 'Z';
    return std::string(buf, sizeof buf);
  }
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf, static_cast<int>(ms % 1000));
}

db::Param opt(const std::string& s) { return s.empty() ? db::Param() : db::Param(s); }

}  // namespace

const char* run_status_name(RunStatus s) {
  switch (s) {
    case RunStatus::kApplied:
      return "applied";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kBaseline:
      return "baseline";
    case RunStatus::kReverted:
      return "reverted";
  }
  return "applied";
}

std::optional<RunStatus> parse_run_status(std::string_view text) {
  for (RunStatus s : {RunStatus::kApplied, RunStatus::kFailed, RunStatus::kRunning,
                      RunStatus::kBaseline, RunStatus::kReverted}) {
    if (text == run_status_name(s)) return s;
  }
  return std::nullopt;
}

const char* direction_name(Direction d) { return d == Direction::kUp ? "up" : "down"; }

std::string phase_next_step(Phase p) {
  switch (p) {
    case Phase::kStarting:
      return "run `tandem start` again to finish starting it, or `tandem rollback` to undo it";
    case Phase::kStarted:
      return "finish it with `tandem complete`, or undo it with `tandem rollback`";
    case Phase::kCompleting:
      return "run `tandem complete` again to finish it (once complete began, it cannot be rolled "
             "back)";
    case Phase::kRollingBack:
      return "run `tandem rollback` again to finish undoing it";
  }
  return "see `tandem status`";
}

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::kStarting:
      return "starting";
    case Phase::kStarted:
      return "started";
    case Phase::kCompleting:
      return "completing";
    case Phase::kRollingBack:
      return "rolling_back";
  }
  return "starting";
}

std::optional<Phase> parse_phase(std::string_view text) {
  for (Phase p : {Phase::kStarting, Phase::kStarted, Phase::kCompleting, Phase::kRollingBack}) {
    if (text == phase_name(p)) return p;
  }
  return std::nullopt;
}

State::State(db::Connection& conn, Env& env)
    : conn_(conn), env_(env), pg_(conn.backend() == db::Backend::kPostgres) {
  migrations_ = pg_ ? "tandem.migrations" : "tandem_migrations";
  events_ = pg_ ? "tandem.events" : "tandem_events";
  meta_ = pg_ ? "tandem.meta" : "tandem_meta";
}

std::string State::now() {
  auto t = std::chrono::system_clock::now();
  return iso_from_epoch_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

Result<std::string> State::applied_by() {
  if (!applied_by_.empty()) return applied_by_;
  if (pg_) {
    TANDEM_ASSIGN_OR_RETURN(db::Rows r, conn_.query("SELECT current_user"));
    applied_by_ = r.text(0, 0);
  } else {
    applied_by_ = env_.user_name();
  }
  return applied_by_;
}

Result<std::vector<HistoryRow>> State::load() {
  TANDEM_ASSIGN_OR_RETURN(int have, layout());
  // PostgreSQL: epoch milliseconds, formatted here; to_char() on every row costs more than
  // the rest of the query, and the text form of timestamptz depends on session settings.
  std::string at = pg_ ? "round(date_part('epoch', applied_at) * 1000)::bigint" : "applied_at";
  std::string stats =
      have >= 2 ? "file_size, file_mtime_ns, file_ctime_ns, file_inode" : "NULL, NULL, NULL, NULL";
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r,
      conn_.query(fmt::format(
          "SELECT version, name, checksum, status, direction, {}, duration_ms, applied_by, "
          "tandem_version, transactional, statements_applied, statements_total, error, "
          "failed_statement, {} FROM {}",
          at, stats, migrations_)));
  std::vector<HistoryRow> rows;
  rows.reserve(r.size());
  for (size_t i = 0; i < r.size(); ++i) {
    auto& v = r.rows[i];
    auto take = [&v](size_t col) { return v[col] ? std::move(*v[col]) : std::string(); };
    // 0 for NULL; a value that is not a number is remembered: the row is refused below (a
    // counter read as 0 would make a resume run statements again).
    int not_a_number = -1;
    auto number = [&v, &not_a_number](size_t col) {
      long long n = 0;
      if (!v[col]) return n;
      const std::string& t = *v[col];
      auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
      if (ec == std::errc() && end == t.data() + t.size()) return n;
      not_a_number = static_cast<int>(col);
      return 0LL;
    };
    HistoryRow h;
    h.version = take(0);
    h.name = take(1);
    h.checksum = take(2);
    std::string status = take(3), direction = take(4);
    std::optional<RunStatus> s = parse_run_status(status);
    if (!s || (direction != "up" && direction != "down")) {
      return Status::Database(
          fmt::format("{} row {} holds status '{}', direction '{}', which tandem does not know",
                      migrations_, h.version, status, direction),
          "", "tandem's state looks damaged or was written by a newer tandem");
    }
    h.status = *s;
    h.direction = direction == "up" ? Direction::kUp : Direction::kDown;
    h.applied_at = pg_ ? iso_from_epoch_ms(number(5)) : take(5);
    h.duration_ms = number(6);
    h.applied_by = take(7);
    h.tandem_version = take(8);
    h.transactional = take(9) != "0";
    h.statements_applied = static_cast<int>(number(10));
    h.statements_total = static_cast<int>(number(11));
    h.error = take(12);
    h.failed_statement = take(13);
    h.file = FileStat{number(14), number(15), number(16), number(17)};
    if (not_a_number >= 0) {
      static const char* kColumns[] = {"version",
                                       "name",
                                       "checksum",
                                       "status",
                                       "direction",
                                       "applied_at",
                                       "duration_ms",
                                       "applied_by",
                                       "tandem_version",
                                       "transactional",
                                       "statements_applied",
                                       "statements_total",
                                       "error",
                                       "failed_statement",
                                       "file_size",
                                       "file_mtime_ns",
                                       "file_ctime_ns",
                                       "file_inode"};
      return Status::Database(
          fmt::format("{} row {}: {} holds '{}', which is not a number", migrations_, h.version,
                      kColumns[not_a_number], v[not_a_number].value_or("")),
          "",
          "tandem's history looks damaged: set the value back to a number (the other rows "
          "of the table show what it should be)");
    }
    rows.push_back(std::move(h));
  }
  auto by_version = [](const HistoryRow& a, const HistoryRow& b) {
    return compare_versions(a.version, b.version) < 0;
  };
  if (!std::is_sorted(rows.begin(), rows.end(), by_version))
    std::sort(rows.begin(), rows.end(), by_version);
  return rows;
}

Status State::upsert(const HistoryRow& row) {
  auto stat = [&](long long v) {
    return row.file.recorded() ? db::Param(std::to_string(v)) : db::Param();
  };
  std::string sql = fmt::format(
      "INSERT INTO {} (version, name, checksum, status, direction, applied_at, duration_ms, "
      "applied_by, tandem_version, transactional, statements_applied, statements_total, error, "
      "failed_statement, file_size, file_mtime_ns, file_ctime_ns, file_inode) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) "
      "ON CONFLICT (version) DO UPDATE SET name = excluded.name, checksum = excluded.checksum, "
      "status = excluded.status, direction = excluded.direction, applied_at = excluded.applied_at, "
      "duration_ms = excluded.duration_ms, applied_by = excluded.applied_by, "
      "tandem_version = excluded.tandem_version, transactional = excluded.transactional, "
      "statements_applied = excluded.statements_applied, statements_total = "
      "excluded.statements_total, error = excluded.error, failed_statement = "
      "excluded.failed_statement, file_size = excluded.file_size, file_mtime_ns = "
      "excluded.file_mtime_ns, file_ctime_ns = excluded.file_ctime_ns, file_inode = "
      "excluded.file_inode",
      migrations_);
  auto r = conn_.query(
      sql, {row.version, row.name, row.checksum, run_status_name(row.status),
            direction_name(row.direction), row.applied_at.empty() ? now() : row.applied_at,
            std::to_string(row.duration_ms), row.applied_by, TANDEM_VERSION,
            row.transactional ? "1" : "0", std::to_string(row.statements_applied),
            std::to_string(row.statements_total), opt(row.error), opt(row.failed_statement),
            stat(row.file.size), stat(row.file.mtime_ns), stat(row.file.ctime_ns),
            stat(row.file.inode)});
  return r.status();
}

Status State::remove(const std::string& version) {
  return conn_.query(fmt::format("DELETE FROM {} WHERE version = $1", migrations_), {version})
      .status();
}

Status State::event(const std::string& action, const HistoryRow& row, const std::string& detail,
                    const std::string& status) {
  std::string sql = fmt::format(
      "INSERT INTO {} (at, action, version, name, checksum, status, duration_ms, applied_by, "
      "tandem_version, statements_applied, statements_total, error, failed_statement, detail) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
      events_);
  auto r = conn_.query(
      sql, {now(), action, opt(row.version), opt(row.name), opt(row.checksum),
            db::Param(status.empty() ? std::string(run_status_name(row.status)) : status),
            std::to_string(row.duration_ms), row.applied_by, TANDEM_VERSION,
            std::to_string(row.statements_applied), std::to_string(row.statements_total),
            opt(row.error), opt(row.failed_statement), opt(detail)});
  return r.status();
}

Result<std::vector<std::string>> State::event_versions(const std::string& action) {
  std::vector<std::string> out;
  TANDEM_ASSIGN_OR_RETURN(int have, layout());
  if (have == 0) return out;
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r, conn_.query(fmt::format("SELECT DISTINCT COALESCE(version, '') FROM {} WHERE "
                                          "action = $1",
                                          events_),
                              {action}));
  for (size_t i = 0; i < r.size(); ++i) out.push_back(r.text(i, 0));
  return out;
}

Result<std::optional<EventRow>> State::latest_event(const std::string& version,
                                                    const std::vector<std::string>& actions) {
  std::optional<EventRow> out;
  TANDEM_ASSIGN_OR_RETURN(int have, layout());
  if (have == 0 || actions.empty()) return out;
  std::vector<db::Param> params = {version};
  std::string in;
  for (const std::string& a : actions) {
    params.emplace_back(a);
    in += fmt::format("{}${}", in.empty() ? "" : ", ", params.size());
  }
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r, conn_.query(fmt::format("SELECT action, COALESCE(status, ''), COALESCE(detail, "
                                          "''), at, COALESCE(duration_ms, 0) FROM {} WHERE "
                                          "version = $1 AND action IN ({}) ORDER BY id DESC "
                                          "LIMIT 1",
                                          events_, in),
                              params));
  if (r.empty()) return out;
  EventRow e{r.text(0, 0), r.text(0, 1), r.text(0, 2), r.text(0, 3), 0, version, 0};
  TANDEM_ASSIGN_OR_RETURN(e.duration_ms, r.integer(0, 4));
  out = std::move(e);
  return out;
}

Result<std::vector<EventRow>> State::events(const std::string& action, int limit) {
  std::vector<EventRow> out;
  TANDEM_ASSIGN_OR_RETURN(int have, layout());
  if (have == 0 || limit <= 0) return out;
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r,
      conn_.query(
          fmt::format("SELECT action, COALESCE(status, ''), COALESCE(detail, ''), {}, "
                      "COALESCE(duration_ms, 0), COALESCE(version, ''), id FROM {} WHERE "
                      "action = $1 ORDER BY id DESC LIMIT {}",
                      pg_ ? "round(date_part('epoch', at) * 1000)::bigint" : "at", events_, limit),
          {action}));
  out.reserve(r.size());
  for (size_t i = 0; i < r.size(); ++i) {
    // ISO-8601 UTC on both backends (PostgreSQL's text form depends on session settings).
    std::string at = r.text(i, 3);
    if (pg_) {
      TANDEM_ASSIGN_OR_RETURN(long long ms, r.integer(i, 3));
      at = iso_from_epoch_ms(ms);
    }
    EventRow e{r.text(i, 0), r.text(i, 1), r.text(i, 2), std::move(at), 0, r.text(i, 5), 0};
    TANDEM_ASSIGN_OR_RETURN(e.duration_ms, r.integer(i, 4));
    TANDEM_ASSIGN_OR_RETURN(e.id, r.integer(i, 6));
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::string> State::events_generation() {
  TANDEM_ASSIGN_OR_RETURN(int have, layout());
  if (have == 0) return std::string();
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r,
      conn_.query(fmt::format("SELECT count(*), COALESCE(max(id), 0) FROM {}", events_)));
  std::string out = r.text(0, 0) + ":" + r.text(0, 1);
  // An expand/contract migration changes phase before its events are written (start records
  // its event when it is done): the active row is part of the history's state, so the value
  // also changes when the active migration moves (its version, phase and progress).
  TANDEM_ASSIGN_OR_RETURN(std::optional<ActiveMigration> a, active());
  if (a) out += fmt::format(" {}:{}:{}", a->version, phase_name(a->phase), a->statements_done);
  return out;
}

Result<std::string> State::next_lock_epoch() {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r,
      conn_.query("INSERT INTO tandem.meta AS m (key, value) VALUES ('lock_epoch', '1') "
                  "ON CONFLICT (key) DO UPDATE SET value = (m.value::bigint + 1)::text "
                  "RETURNING value"));
  return r.text(0, 0);
}

Result<std::string> State::current_lock_epoch() {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r, conn_.query("SELECT value FROM tandem.meta WHERE key = 'lock_epoch' FOR SHARE"));
  return r.empty() ? std::string() : r.text(0, 0);
}

Result<std::optional<ActiveMigration>> State::active() {
  if (!pg_) return std::optional<ActiveMigration>();
  TANDEM_ASSIGN_OR_RETURN(db::Rows t,
                          conn_.query("SELECT to_regclass('tandem.active') IS NOT NULL"));
  if (t.text(0, 0) != "t") return std::optional<ActiveMigration>();
  // As JSON: whichever columns this layout's table has (layout 1 added some later).
  TANDEM_ASSIGN_OR_RETURN(db::Rows r, conn_.query("SELECT to_jsonb(a)::text FROM tandem.active a"));
  if (r.empty()) return std::optional<ActiveMigration>();
  nlohmann::json j = nlohmann::json::parse(r.text(0, 0), nullptr, /*allow_exceptions=*/false);
  auto text = [&](const char* key) {
    auto it = j.is_object() ? j.find(key) : j.end();
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  ActiveMigration a{text("version"),  text("name"), text("file"),     text("checksum"),
                    text("previous"), false,        Phase::kStarting, 0,
                    text("base")};
  std::optional<Phase> phase = parse_phase(text("step"));
  if (j.is_discarded() || !phase || a.version.empty()) {
    return Status::Database(
        "tandem.active holds a row tandem cannot read (" + r.text(0, 0).substr(0, 120) + ")", "",
        "tandem's state looks damaged; restore it from a backup");
  }
  a.phase = *phase;
  if (auto it = j.find("created_previous"); it != j.end() && it->is_boolean())
    a.created_previous = it->get<bool>();
  if (auto it = j.find("statements_done"); it != j.end() && it->is_number_integer())
    a.statements_done = it->get<int>();
  return std::optional<ActiveMigration>(a);
}

Status State::begin_active(const ActiveMigration& a) {
  return conn_
      .query(
          "INSERT INTO tandem.active (version, name, file, checksum, previous, created_previous, "
          "step, statements_done, base) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
          {a.version, a.name, a.file, a.checksum, a.previous, a.created_previous ? "t" : "f",
           phase_name(a.phase), std::to_string(a.statements_done), a.base})
      .status();
}

Status State::set_phase(Phase phase) {
  return conn_
      .query(
          "UPDATE tandem.active SET step = $1, statements_done = 0, backfill = NULL "
          "WHERE step <> $1",
          {phase_name(phase)})
      .status();
}

Status State::set_statements_done(int done) {
  return conn_.query("UPDATE tandem.active SET statements_done = $1", {std::to_string(done)})
      .status();
}

Status State::end_active() { return conn_.execute("DELETE FROM tandem.active"); }

Result<std::vector<std::pair<std::string, std::string>>> State::version_schemas() {
  std::vector<std::pair<std::string, std::string>> out;
  if (!pg_) return out;
  TANDEM_ASSIGN_OR_RETURN(db::Rows t,
                          conn_.query("SELECT to_regclass('tandem.version_schemas') IS NOT NULL"));
  if (t.text(0, 0) != "t") return out;
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r, conn_.query("SELECT v.schema_name, v.version FROM tandem.version_schemas v "
                              "JOIN pg_catalog.pg_namespace n ON n.nspname = v.schema_name"));
  for (size_t i = 0; i < r.size(); ++i) out.emplace_back(r.text(i, 0), r.text(i, 1));
  return out;
}

Status State::record_version_schema(const std::string& schema, const std::string& version) {
  return conn_
      .query(
          "INSERT INTO tandem.version_schemas (schema_name, version) VALUES ($1, $2) "
          "ON CONFLICT (schema_name) DO NOTHING",
          {schema, version})
      .status();
}

Status State::drop_version_schema(const std::string& schema) {
  TANDEM_ASSIGN_OR_RETURN(auto owned, version_schemas());
  bool ours = false;
  for (const auto& [name, version] : owned) ours = ours || name == schema;
  if (!ours) return Status::Ok();
  TANDEM_ASSIGN_OR_RETURN(db::Transaction tx, db::Transaction::begin(conn_));
  // Never CASCADE: tandem put only views there. Each view goes on its own and then the empty
  // schema, both without CASCADE, so PostgreSQL itself refuses when anything else is in the
  // schema (a table an application created through the version's search_path) or depends on a
  // view (a user's view in another schema) — instead of dropping it with the schema.
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows views,
      conn_.query("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
                  "c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'v' ORDER BY 1",
                  {schema}));
  auto refused = [&](const Status& st) {
    return Status::Database(
        fmt::format("cannot drop version schema {}: {}", schema, st.message()), st.sqlstate(),
        fmt::format("tandem drops only what it created there (views): move what else is in or "
                    "depends on {} elsewhere (ALTER TABLE … SET SCHEMA …) or drop it, then run "
                    "the command again",
                    schema));
  };
  for (size_t i = 0; i < views.size(); ++i) {
    Status st = conn_.execute("DROP VIEW IF EXISTS " + db::quote_ident(schema) + "." +
                              db::quote_ident(views.text(i, 0)));
    if (!st.ok()) return st.is_lock_timeout() ? st : refused(st);
  }
  Status st = conn_.execute("DROP SCHEMA IF EXISTS " + db::quote_ident(schema));
  if (!st.ok()) return st.is_lock_timeout() ? st : refused(st);
  TANDEM_RETURN_IF_ERROR(forget_version_schema(schema));
  return tx.commit();
}

Status State::forget_version_schema(const std::string& schema) {
  return conn_.query("DELETE FROM tandem.version_schemas WHERE schema_name = $1", {schema})
      .status();
}

}  // namespace tandem
