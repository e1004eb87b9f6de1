// `tandem plan --runbook`: the pending migrations as phases an operator goes through, with the
// locks, estimates, gates and rollbacks of each. This file: the orchestration, SQL migrations
// (and declarative ones on SQLite, which run as one `up`), and the helpers both halves share;
// runbook_declarative.cc: the phases of a declarative migration on PostgreSQL.

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "commands/guard.h"
#include "commands/hooks.h"
#include "commands/runbook_parts.h"
#include "engine/preflight.h"
#include "engine/selection.h"
#include "tandem/runbook.h"

namespace tandem {
namespace runbook_parts {

Result<TableSize> Sizes::of(const std::string& table) {
  auto it = cache_.find(table);
  if (it != cache_.end()) return it->second;
  TableSize size;
  std::string schema = s_.options.schema, name = table;
  size_t dot = table.find('.');
  if (dot != std::string::npos) {
    schema = table.substr(0, dot);
    name = table.substr(dot + 1);
  }
  if (s_.pg()) {
    TANDEM_ASSIGN_OR_RETURN(
        db::Rows r, s_.conn->query("SELECT c.reltuples::bigint FROM pg_catalog.pg_class c JOIN "
                                   "pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE "
                                   "n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', "
                                   "'p', 'm')",
                                   {schema, name}));
    if (!r.empty()) {
      size.exists = true;
      TANDEM_ASSIGN_OR_RETURN(size.rows, r.integer(0, 0));
      size.source = "pg_class.reltuples";
    }
  } else {
    TANDEM_ASSIGN_OR_RETURN(
        db::Rows r,
        s_.conn->query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", {name}));
    size.exists = !r.empty();
    size.rows = -1;
  }
  // Never analyzed (reltuples -1, PostgreSQL 14+), or SQLite: counted. A runbook is read by
  // people before a migration; one count of a table is the price of a number they can trust.
  if (size.exists && size.rows < 0) {
    std::string qualified =
        s_.pg() ? db::quote_ident(schema) + "." + db::quote_ident(name) : db::quote_ident(name);
    TANDEM_ASSIGN_OR_RETURN(db::Rows r, s_.conn->query("SELECT count(*) FROM " + qualified));
    TANDEM_ASSIGN_OR_RETURN(size.rows, r.integer(0, 0));
    size.source = "count(*)";
  }
  cache_[table] = size;
  return size;
}

Result<Rate> backfill_rate(Session& s, const BackfillOptions& backfill) {
  Rate rate;
  if (s.pg()) {
    TANDEM_ASSIGN_OR_RETURN(
        db::Rows has, s.conn->query("SELECT to_regclass('tandem.backfill_jobs') IS NOT NULL"));
    if (has.text(0, 0) == "t") {
      // Wall time from the job's start to its end: throttles and pauses count, as they will.
      TANDEM_ASSIGN_OR_RETURN(
          db::Rows r,
          s.conn->query("SELECT count(*), COALESCE(sum(rows_done), 0), COALESCE(sum(EXTRACT(EPOCH "
                        "FROM finished_at - started_at)), 0)::float8 FROM tandem.backfill_jobs "
                        "WHERE state = 'done' AND finished_at IS NOT NULL AND rows_done > 0"));
      TANDEM_ASSIGN_OR_RETURN(long long jobs, r.integer(0, 0));
      TANDEM_ASSIGN_OR_RETURN(long long rows, r.integer(0, 1));
      TANDEM_ASSIGN_OR_RETURN(double seconds, r.number(0, 2));
      if (jobs > 0) {
        rate.jobs = static_cast<int>(jobs);
        rate.rows_per_second = static_cast<double>(rows) / std::max(seconds, 0.001);
        rate.basis = fmt::format("measured over {} finished backfill job(s) ({} rows)", jobs,
                                 thousands(rows));
      }
    }
  }
  if (rate.jobs == 0) {
    rate.basis = fmt::format(
        "estimated from default rate ({} rows/s): no finished backfill job "
        "to measure yet",
        thousands(static_cast<long long>(kDefaultBackfillRowsPerSecond)));
  }
  if (backfill.max_rows_per_second && *backfill.max_rows_per_second > 0 &&
      *backfill.max_rows_per_second < rate.rows_per_second) {
    rate.rows_per_second = *backfill.max_rows_per_second;
    rate.basis += fmt::format(", capped by --max-rows-per-second {}",
                              thousands(std::llround(*backfill.max_rows_per_second)));
  }
  return rate;
}

long long estimate_ms(long long rows, double rows_per_second) {
  if (rows <= 0 || rows_per_second <= 0) return 0;
  return std::max<long long>(1, std::llround(1000.0 * static_cast<double>(rows) / rows_per_second));
}

std::string thousands(long long n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string one_line(const std::string& sql, size_t max) {
  std::string out;
  for (char c : sql) {
    bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
  if (out.size() > max) {
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
    out = out.substr(0, cut) + "…";
  }
  return out;
}

namespace {

// `sql` upper-cased, comments removed, whitespace collapsed — for keyword tests only.
std::string keywords(const std::string& sql) {
  std::string text;
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql.compare(i, 2, "--") == 0) {
      size_t end = sql.find('\n', i);
      i = end == std::string::npos ? sql.size() : end;
      text += ' ';
    } else if (sql.compare(i, 2, "/*") == 0) {
      size_t end = sql.find("*/", i + 2);
      i = end == std::string::npos ? sql.size() : end + 1;
      text += ' ';
    } else {
      text += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i])));
    }
  }
  return " " + one_line(text, std::string::npos) + " ";
}

// The word after `prefix` in `upper` (as written in `sql`, same offsets), unquoted.
std::string name_after(const std::string& upper, const std::string& prefix) {
  size_t at = upper.find(prefix);
  if (at == std::string::npos) return "";
  at += prefix.size();
  for (const char* skip : {"IF EXISTS ", "ONLY "}) {
    if (upper.compare(at, std::string(skip).size(), skip) == 0) at += std::string(skip).size();
  }
  size_t end = upper.find_first_of(" ,;(", at);
  std::string name = upper.substr(at, end == std::string::npos ? std::string::npos : end - at);
  name.erase(std::remove(name.begin(), name.end(), '"'), name.end());
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

}  // namespace

std::string drops_data(const std::string& sql) {
  std::string k = keywords(sql);
  auto starts = [&](const char* words) { return k.rfind(std::string(" ") + words, 0) == 0; };
  if (starts("DROP TABLE ")) return "drops table " + name_after(k, " DROP TABLE ");
  if (starts("DROP SCHEMA ") && k.find(" CASCADE ") != std::string::npos)
    return "drops schema " + name_after(k, " DROP SCHEMA ") + " with everything in it";
  if (starts("TRUNCATE ")) {
    std::string table = name_after(k, " TRUNCATE TABLE ");
    return "empties table " + (table.empty() ? name_after(k, " TRUNCATE ") : table);
  }
  if (starts("DELETE FROM ")) return "deletes rows of " + name_after(k, " DELETE FROM ");
  if (starts("ALTER TABLE ")) {
    std::string table = name_after(k, " ALTER TABLE ");
    size_t at = k.find(" DROP COLUMN ");
    if (at != std::string::npos)
      return "drops column " + table + "." + name_after(k.substr(at), " DROP COLUMN ");
    // ALTER TABLE t DROP c (COLUMN is optional); DROP CONSTRAINT/DEFAULT/NOT NULL/… keep data.
    at = k.find(" DROP ");
    while (at != std::string::npos) {
      std::string next = name_after(k.substr(at), " DROP ");
      if (next != "constraint" && next != "default" && next != "not" && next != "expression" &&
          next != "identity" && !next.empty()) {
        return "drops column " + table + "." + next;
      }
      at = k.find(" DROP ", at + 1);
    }
  }
  return "";
}

void estimate_locked(RunbookPhase& phase, const Locks& locks) {
  phase.rows = locks.rewritten_rows;
  phase.estimate_ms = estimate_ms(locks.rewritten_rows, kDefaultRewriteRowsPerSecond);
  if (locks.rewritten_rows > 0) {
    phase.estimate_basis = fmt::format(
        "{} rows rewritten or scanned while the lock is held ({}), estimated from default rate "
        "({} rows/s)",
        thousands(locks.rewritten_rows), fmt::join(locks.sized, "; "),
        thousands(static_cast<long long>(kDefaultRewriteRowsPerSecond)));
  } else {
    phase.estimate_basis =
        "catalog changes only: moments, plus waiting for each lock (at most --lock-timeout per "
        "try, retried --lock-retries times)";
  }
}

Result<Locks> locks_of(Session& s, Sizes& sizes, const std::vector<lint::Source>& sources,
                       bool sqlite) {
  Locks out;
  if (sources.empty()) return out;
  lint::LintOptions o;
  o.runner_sets_lock_timeout = true;
  o.continue_after_parse_errors = true;
  if (s.pg()) o.column_types = lint::live_column_types(*s.conn, s.options.schema);
  std::set<std::string> counted;
  // Generated SQL names tables both ways ("orders", "public"."orders"): one name per table.
  std::string managed = s.options.schema + ".";
  auto add = [&](lint::Classification c, RunbookLock lock) -> Status {
    if (c.relation.rfind(managed, 0) == 0) c.relation = c.relation.substr(managed.size());
    lock.relation = c.relation;
    lock.rewrites = c.rewrites;
    lock.scans = c.scans;
    if (sqlite) {
      lock.mode = "database write lock";
      lock.blocks_writes = true;
    } else {
      if (c.lock == lint::Lock::kNone) return Status::Ok();
      lock.mode = lint::lock_name(c.lock);
      lock.blocks_reads = c.blocks_reads();
      lock.blocks_writes = c.blocks_writes();
    }
    if ((c.rewrites || c.scans) && !c.relation.empty() && counted.insert(c.relation).second) {
      TANDEM_ASSIGN_OR_RETURN(TableSize size, sizes.of(c.relation));
      if (size.exists) {
        out.rewritten_rows += size.rows;
        out.sized.push_back(
            fmt::format("{}: {} rows ({})", c.relation, thousands(size.rows), size.source));
      }
    }
    out.locks.push_back(std::move(lock));
    return Status::Ok();
  };
  if (sqlite) {
    // Every statement takes the database write lock, whatever PostgreSQL's parser makes of
    // SQLite's dialect: one source per statement, classified when it parses (for its table).
    for (const lint::Source& src : sources) {
      TANDEM_ASSIGN_OR_RETURN(lint::LintReport report, lint::lint({src}, o));
      RunbookLock lock;
      lock.statement = one_line(src.sql);
      lock.line = src.first_line;
      TANDEM_RETURN_IF_ERROR(add(
          report.statements.empty() ? lint::Classification{} : report.statements[0].classification,
          std::move(lock)));
    }
    return out;
  }
  TANDEM_ASSIGN_OR_RETURN(lint::LintReport report, lint::lint(sources, o));
  for (const lint::StatementReport& st : report.statements) {
    RunbookLock lock;
    lock.statement = one_line(st.sql);
    lock.line = st.line;
    TANDEM_RETURN_IF_ERROR(add(st.classification, std::move(lock)));
  }
  for (const lint::ParseError& e : report.parse_errors)
    out.problems.push_back(fmt::format("{}:{}: not classified: {}", e.file, e.line, e.message));
  return out;
}

}  // namespace runbook_parts

namespace {

using namespace runbook_parts;

// One `up` phase: a SQL migration, or a declarative one on SQLite (direct mode).
Result<MigrationRunbook> up_runbook(Session& s, Sizes& sizes, const PreparedSet& prepared,
                                    const Migration& m, const std::string& previous,
                                    bool declarative) {
  MigrationRunbook mr{m.version, m.name, m.file, declarative ? "declarative" : "sql", {}, {}};
  const std::vector<Statement>& ups = prepared.up.at(m.version);
  bool transactional = !runs_outside_transaction(m, ups);
  RunbookPhase phase;
  phase.name = "up";
  phase.command = fmt::format("tandem up --to {}", m.version);
  phase.what = transactional
                   ? "applies the migration in one transaction: every lock below is held until "
                     "it commits"
                   : "runs each statement in its own transaction (the file cannot run in one): "
                     "each lock is held for its statement only";
  std::vector<lint::Source> sources;
  for (const Statement& st : ups) {
    if (st.action) {
      // A typed action (SQLite's table rebuild): no SQL to classify; it copies the table.
      RunbookLock lock{
          "database write lock", "", one_line(st.sql), st.line, false, true, true, false};
      phase.locks.push_back(std::move(lock));
      continue;
    }
    lint::Source src{m.path, st.sql, st.line == 0 ? 1 : st.line, transactional};
    src.continues = !sources.empty();
    sources.push_back(std::move(src));
  }
  TANDEM_ASSIGN_OR_RETURN(Locks locks, locks_of(s, sizes, sources, !s.pg()));
  for (RunbookLock& l : locks.locks) phase.locks.push_back(std::move(l));
  for (std::string& p : locks.problems) mr.notes.push_back(std::move(p));
  estimate_locked(phase, locks);
  if (!s.pg()) {
    phase.estimate_basis +=
        "; SQLite: the whole database takes one writer at a time — other writers wait (up to "
        "their busy timeout) until the migration commits, readers go on (WAL)";
  }
  phase.gate = fmt::format("`tandem status` lists {} as applied", m.version);
  std::vector<std::string> lost;
  for (const Statement& st : ups) {
    std::string why = drops_data(st.sql);
    if (!why.empty()) lost.push_back(why);
  }
  if (!lost.empty()) {
    phase.irreversible = true;
    phase.irreversible_reason =
        fmt::format("drops data ({}): `tandem down` cannot bring it back — take a backup first",
                    fmt::join(lost, "; "));
  }
  auto no_down = prepared.down_unavailable.find(m.version);
  auto downs = prepared.down.find(m.version);
  if (no_down != prepared.down_unavailable.end()) {
    phase.rollback_note =
        "no rollback command: " + no_down->second.message + " — only a new migration undoes it";
  } else if (!m.down.present && !declarative) {
    phase.rollback_note =
        "no rollback command: the file has no down section — only a new migration undoes it";
  } else {
    phase.rollback = fmt::format("tandem down --to {}", previous);
    std::vector<std::string> dropped;
    if (downs != prepared.down.end()) {
      for (const Statement& st : downs->second) {
        std::string why = drops_data(st.sql);
        if (!why.empty()) dropped.push_back(why);
      }
    }
    if (!dropped.empty()) {
      phase.rollback_drops_data = true;
      phase.rollback_note = fmt::format("the down {}: what was written there after the up is lost",
                                        fmt::join(dropped, "; "));
    } else {
      phase.rollback_note = "reverts the migration's changes; no data is dropped";
    }
  }
  if (!transactional) {
    mr.notes.push_back(
        "runs outside a transaction: a failure part-way leaves the statements before it "
        "applied; `tandem up --resume` continues from the failed one");
  }
  mr.phases.push_back(std::move(phase));
  return mr;
}

Result<Runbook> build(const Options& options, const UpOptions& up) {
  TANDEM_ASSIGN_OR_RETURN(EngineOptions engine, missing_sqlite_as_empty(options.engine, "planned"));
  Options o = options;
  o.engine = engine;
  // The runbook shows locks whatever the lint gate thinks of them; `plan` and `lint` gate.
  o.gate.allow_unsafe = true;
  TANDEM_ASSIGN_OR_RETURN(auto s,
                          Session::open(o.engine, commands::hooks(o), "plan", /*take_lock=*/false));
  PreparedSet prepared = prepare(*s);
  std::vector<HistoryRow> rows;
  TANDEM_ASSIGN_OR_RETURN(bool exists, s->state->exists());
  if (exists) {
    TANDEM_ASSIGN_OR_RETURN(rows, s->state->load());
  }
  std::optional<expand::ActivePlan> active;
  if (s->pg() && exists) {
    TANDEM_ASSIGN_OR_RETURN(active, expand::active_plan(*s));
  }
  std::vector<Pick> picks = select_up(prepared, rows, up);
  Preflight how{Direction::kUp, up.resume, nullptr, &up};
  TANDEM_ASSIGN_OR_RETURN(std::vector<Problem> problems, preflight(*s, prepared, rows, picks, how));
  // An active migration is where a runbook helps most: it is shown with its phases done.
  std::erase_if(problems, [](const Problem& p) { return p.kind == "active_migration"; });
  if (!problems.empty()) return refused(problems, "`up` would refuse to run");

  Runbook book;
  book.database = db::redact_url(options.engine.db_url);
  book.backend = s->pg() ? "postgres" : "sqlite";
  TANDEM_ASSIGN_OR_RETURN(Rate rate, backfill_rate(*s, options.backfill));
  book.backfill_rows_per_second = rate.rows_per_second;
  book.backfill_jobs_measured = rate.jobs;
  book.backfill_rate_basis = rate.basis;
  Sizes sizes(*s);
  std::string previous = current_version(rows);
  if (previous.empty()) previous = "0";
  for (const Pick& p : picks) {
    const Migration& m = *p.migration;
    bool declarative = m.body && m.body->procedure(s->backend()) != nullptr;
    MigrationRunbook mr;
    if (declarative) {
      std::optional<expand::ActivePlan> mine;
      if (active && active->version == m.version) mine = active;
      TANDEM_ASSIGN_OR_RETURN(mr, declarative_runbook(*s, sizes, rate, m, mine, previous));
    } else {
      TANDEM_ASSIGN_OR_RETURN(mr, up_runbook(*s, sizes, prepared, m, previous, m.body != nullptr));
    }
    if (p.resume_from > 0) {
      mr.notes.push_back(
          fmt::format("resumes at statement {} (the statements before it are "
                      "applied)",
                      p.resume_from + 1));
    }
    for (const RunbookPhase& ph : mr.phases) book.estimate_ms += ph.estimate_ms;
    book.migrations.push_back(std::move(mr));
    previous = m.version;
  }
  return book;
}

}  // namespace

Result<Runbook> runbook(const Options& options, const UpOptions& up) {
  return commands::guarded("plan --runbook", [&] { return build(options, up); });
}

}  // namespace tandem
