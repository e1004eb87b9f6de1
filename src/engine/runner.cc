// The statement runner shared by up/down and the two-version lifecycle.

#include "engine/runner.h"

#include <fmt/format.h>

#include <algorithm>

#include "db/postgres/parse_tree.h"

namespace tandem {
namespace {

// A parse tree as text without what does not change its meaning: source locations, and the keys
// named in `skip` at the top.
void canonical(db::pg::Node node, const std::vector<std::string_view>& skip, bool top,
               std::string& out) {
  if (node.is_object()) {
    out += '{';
    for (auto [key, child] : node.members()) {
      if (key == "location") continue;
      if (top && std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
      out += key;
      out += ':';
      canonical(child, skip, false, out);
      out += ',';
    }
    out += '}';
  } else if (node.is_array()) {
    out += '[';
    for (db::pg::Node child : node) {
      canonical(child, skip, false, out);
      out += ',';
    }
    out += ']';
  } else {
    out += node.dump();
  }
}

// The IndexStmt of `sql` as canonical text, with its table's name alone (pg_get_indexdef
// qualifies it with the schema, a statement may not); "" when it is no CREATE INDEX.
std::string index_shape(const std::string& sql, std::string& table) {
  auto tree = db::pg::parse(sql);
  if (!tree.ok() || tree->statements().size() != 1) return "";
  db::pg::Node stmt = tree->statements().front().node;
  if (stmt.tag() != "IndexStmt") return "";
  db::pg::Node body = stmt.body();
  table = std::string(body["relation"]["relname"].str());
  std::string out;
  canonical(body, {"idxname", "concurrent", "if_not_exists", "relation"}, true, out);
  return out;
}

void trace(Session& s, const std::string& file, const Statement& st, size_t i, size_t n) {
  if (!s.options.verbose) return;
  const std::string& sql = st.sql;
  std::string first = sql.substr(0, std::min(sql.find('\n'), size_t{120}));
  s.log(fmt::format("{}:{}: statement {}/{}: {}{}", file, st.line, i + 1, n, first,
                    first.size() < sql.size() ? " …" : ""));
}

}  // namespace

Status execute_statement(Session& s, const Statement& st) {
  return st.action ? st.action->run(*s.conn) : s.conn->execute(st.sql);
}

Result<bool> concurrent_index_needed(Session& s, const Statement& st) {
  if (st.concurrent_index.empty() || !s.pg()) return true;
  // The index of that name the statement would build, first on the search path.
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r,
      s.conn->query("SELECT format('%I.%I', n.nspname, c.relname), i.indisvalid, "
                    "pg_catalog.pg_get_indexdef(i.indexrelid) "
                    "FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
                    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relname = $1 AND n.nspname = ANY (current_schemas(false)) "
                    "ORDER BY array_position(current_schemas(false), n.nspname) LIMIT 1",
                    {st.concurrent_index}));
  if (r.empty()) return true;
  std::string index = r.text(0, 0);
  if (r.text(0, 1) != "t") {
    // An interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index behind; building it
    // again would fail with "already exists", and IF NOT EXISTS would keep the broken one.
    s.log(
        fmt::format("dropping invalid index {} left by an interrupted build before building it "
                    "again",
                    index));
    TANDEM_RETURN_IF_ERROR(s.conn->execute("DROP INDEX CONCURRENTLY IF EXISTS " + index));
    return true;
  }
  // A valid index: the build finished before its progress was recorded — if it is the one the
  // statement builds. Compared as parse trees (PostgreSQL's own reading of both texts).
  std::string want_table, have_table;
  std::string want = index_shape(st.sql, want_table);
  std::string have = index_shape(r.text(0, 2), have_table);
  if (!want.empty() && want == have && want_table == have_table) {
    s.log(fmt::format("index {} is already built (its build finished before it was recorded)",
                      index));
    return false;
  }
  return Status::InvalidInput(
      fmt::format("index {} already exists with another definition: {}", index, r.text(0, 2)),
      fmt::format("drop or rename that index (or change the migration), then run the same "
                  "command again; the statement builds: {}",
                  st.sql.substr(0, 200)));
}

Status run_steps(Session& s, const std::vector<Step>& steps, size_t from, const RunSteps& how,
                 StepsOutcome& outcome) {
  // Statements outside a transaction wait at most lock_timeout too.
  if (s.pg()) TANDEM_RETURN_IF_ERROR(s.conn->execute_script(s.timeouts_sql(/*local=*/false)));
  size_t total = 0;
  for (const Step& step : steps) total += step.statements.size();
  size_t numbered = 0;
  for (size_t i = 0; i < from && i < steps.size(); ++i) numbered += steps[i].statements.size();
  for (size_t i = from; i < steps.size(); ++i) {
    const Step& step = steps[i];
    outcome.failed = i;
    // Nothing more is written once the migration lock is gone.
    TANDEM_RETURN_IF_ERROR(s.check_lock());
    for (size_t k = 0; k < step.statements.size(); ++k)
      trace(s, how.file, step.statements[k], numbered + k, total);
    Status result;
    if (step.work) {
      result = step.work();
      if (result.ok()) result = how.progress(static_cast<int>(i + 1));
    } else {
      for (int attempt = 0;; ++attempt) {
        if (step.transactional) {
          // The statements and their progress commit together, fenced by the lock epoch.
          result = [&]() -> Status {
            TANDEM_ASSIGN_OR_RETURN(
                db::Transaction tx,
                db::Transaction::begin(*s.conn, s.pg() ? "BEGIN" : "BEGIN IMMEDIATE"));
            TANDEM_RETURN_IF_ERROR(s.fence());
            for (const Statement& st : step.statements)
              TANDEM_RETURN_IF_ERROR(execute_statement(s, st));
            TANDEM_RETURN_IF_ERROR(how.progress(static_cast<int>(i + 1)));
            return tx.commit();
          }();
        } else {
          result = [&]() -> Status {
            TANDEM_RETURN_IF_ERROR(s.fence());
            for (const Statement& st : step.statements) {
              TANDEM_ASSIGN_OR_RETURN(bool needed, concurrent_index_needed(s, st));
              if (needed) TANDEM_RETURN_IF_ERROR(execute_statement(s, st));
            }
            // Killed here, the statement has run and is not recorded: a re-run must cope.
            if (!how.crash_point.empty())
              s.env().crash_point(fmt::format("{}:unrecorded:{}", how.crash_point, i + 1));
            return how.progress(static_cast<int>(i + 1));
          }();
        }
        if (result.ok() || !result.is_lock_timeout() || attempt >= s.options.lock_retries) break;
        s.wait_before_retry(fmt::format("{}:{}: statement {}", how.file, step.line, numbered + 1),
                            attempt, result.message());
        ++outcome.retries;
      }
    }
    if (!result.ok()) return result;
    numbered += step.statements.size();
    s.env().after_statement();
    if (!how.crash_point.empty())
      s.env().crash_point(fmt::format("{}:statement:{}", how.crash_point, i + 1));
  }
  return Status::Ok();
}

}  // namespace tandem
