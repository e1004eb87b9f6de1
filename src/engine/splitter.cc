// Splitting a section into statements with each database's own tokenizer, never by hand:
// libpg_query's scanner (the real PostgreSQL lexer) and sqlite3_complete (SQLite's own).

#include <fmt/format.h>
#include <pg_query.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>

#include "db/postgres/parse_tree.h"
#include "engine/limits.h"
#include "tandem/migration.h"

namespace tandem {
namespace {

// Offset of the first character that is not whitespace or part of a comment. PostgreSQL's
// block comments nest (`/* a /* b */ c */`), SQLite's end at the first `*/`.
size_t skip_space_and_comments(std::string_view s, size_t pos, bool nested = false) {
  while (pos < s.size()) {
    if (std::isspace(static_cast<unsigned char>(s[pos]))) {
      ++pos;
    } else if (s.substr(pos, 2) == "--") {
      size_t eol = s.find('\n', pos);
      pos = eol == std::string_view::npos ? s.size() : eol + 1;
    } else if (s.substr(pos, 2) == "/*") {
      int depth = 1;
      pos += 2;
      while (pos < s.size() && depth > 0) {
        if (s.substr(pos, 2) == "*/") {
          --depth;
          pos += 2;
        } else if (nested && s.substr(pos, 2) == "/*") {
          ++depth;
          pos += 2;
        } else {
          ++pos;
        }
      }
    } else {
      break;
    }
  }
  return pos;
}

std::string trim_front(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  return std::string(s);
}

std::string rtrim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// Line and column in the file of byte offsets of a section. The splitters ask for offsets in
// increasing order, so each call counts newlines only from where the last one stopped: linear
// in the section, where counting from its start every time made 200,000 statements take
// minutes. An offset before the last one starts over from the section's first line.
class Locator {
 public:
  explicit Locator(const Section& section) : sql_(section.sql), first_line_(section.first_line) {
    line_ = first_line_;
  }
  // 1-based line/column in the file of byte `offset` of the section.
  void locate(size_t offset, int& line, int& column) {
    if (offset < pos_) {
      pos_ = 0;
      line_ = first_line_;
      line_start_ = 0;
    }
    size_t end = std::min(offset, sql_.size());
    while (pos_ < end) {
      const void* nl = std::memchr(sql_.data() + pos_, '\n', end - pos_);
      if (nl == nullptr) {
        pos_ = end;
        break;
      }
      pos_ = static_cast<size_t>(static_cast<const char*>(nl) - sql_.data()) + 1;
      ++line_;
      line_start_ = pos_;
    }
    line = line_;
    column = static_cast<int>(offset - line_start_) + 1;
  }

 private:
  const std::string& sql_;
  int first_line_;
  int line_ = 0;
  size_t pos_ = 0;         // newlines before this offset are counted in line_
  size_t line_start_ = 0;  // offset of the first character of line_
};

const char* kNoUserTransactions =
    "tandem runs every migration in its own transaction, so BEGIN/COMMIT/ROLLBACK in the file "
    "would end it early";
const char* kNoUserTransactionsHint =
    "remove the statement; for statements that cannot run in a transaction add "
    "`-- tandem:no-transaction`, tandem detects the usual ones (CREATE INDEX CONCURRENTLY, VACUUM) "
    "by itself";

// What tandem needs to know of a PostgreSQL statement to run it: whether PostgreSQL runs it in
// a transaction block (db::pg::can_run_in_transaction_block — the one classifier the linter and
// expand use too) and the index a CREATE INDEX CONCURRENTLY builds.
void classify_postgres(Statement& st, db::pg::Node stmt) {
  st.transactional = db::pg::can_run_in_transaction_block(stmt);
  if (stmt.tag() == "IndexStmt" && stmt.body()["concurrent"].boolean())
    st.concurrent_index = std::string(stmt.body()["idxname"].str());
}

// How many statements a split may give (InputLimits::max_statements), and for which direction
// (named in the problem).
struct Cap {
  size_t max = SIZE_MAX;
  Direction dir = Direction::kUp;
  // True when `st` would be one too many: reported at `st`, and the split stops there.
  bool over(const Migration& m, const std::vector<Statement>& out, const Statement& st,
            std::vector<Problem>& problems) const {
    if (out.size() < max) return false;
    problems.push_back(too_many_statements(m.path, dir, st, static_cast<int>(max)));
    return true;
  }
};

// With `keep_comments`, a statement's text starts at the comments before it (an inline
// `-- tandem:ignore RULE` stays with the statement it is about).
void split_postgres(const Migration& m, const Section& sec, std::vector<Statement>& out,
                    std::vector<Problem>& problems, bool keep_comments, Cap cap = {}) {
  Locator loc{sec};
  PgQuerySplitResult split = pg_query_split_with_scanner(sec.sql.c_str());
  if (split.error) {
    Problem p{"syntax_error",
              m.path,
              0,
              0,
              fmt::format("cannot split statements: {}", split.error->message),
              "check for an unterminated quote, dollar quote ($$) or comment"};
    loc.locate(split.error->cursorpos > 0 ? split.error->cursorpos - 1 : 0, p.line, p.column);
    problems.push_back(std::move(p));
    pg_query_free_split_result(split);
    return;
  }
  // libpg_query's splitter leaves out a statement whose first word is not an SQL keyword
  // (`SELEC 1;`): text between two statements other than blanks, comments and ';' is such a
  // statement, reported with PostgreSQL's own syntax error, never silently dropped.
  size_t covered = 0;
  auto check_gap = [&](size_t upto) {
    for (size_t at = skip_space_and_comments(sec.sql, covered, true); at < upto;
         at = skip_space_and_comments(sec.sql, at + 1, true)) {
      if (sec.sql[at] == ';') continue;
      std::string_view rest = std::string_view(sec.sql).substr(at, upto - at);
      auto tree = db::pg::parse(rest);
      if (tree.ok() && tree->statements().empty()) return;  // comments PostgreSQL nests
      Problem p{"syntax_error",
                m.path,
                0,
                0,
                tree.ok() ? std::string("syntax error: PostgreSQL's statement splitter cannot "
                                        "read this statement")
                          : fmt::format("syntax error: {}", tree.status().message()),
                "fix the statement (a misspelled first word?); tandem checks every file with "
                "PostgreSQL's own parser before running anything"};
      loc.locate(at, p.line, p.column);
      problems.push_back(std::move(p));
      return;
    }
  };
  for (int i = 0; i < split.n_stmts; ++i) {
    size_t raw = static_cast<size_t>(split.stmts[i]->stmt_location);
    size_t end = raw + static_cast<size_t>(split.stmts[i]->stmt_len);
    if (raw > covered) check_gap(raw);
    covered = std::max(covered, end);
    size_t begin = skip_space_and_comments(sec.sql, raw, true);
    if (begin >= end) continue;  // only comments
    while (raw < begin && std::isspace(static_cast<unsigned char>(sec.sql[raw]))) ++raw;
    Statement st;
    st.sql = rtrim(std::string_view(sec.sql).substr(keep_comments ? raw : begin,
                                                    end - (keep_comments ? raw : begin)));
    loc.locate(begin, st.line, st.column);
    if (cap.over(m, out, st, problems)) {
      pg_query_free_split_result(split);
      return;  // the rest is not read
    }
    auto tree = db::pg::parse(std::string_view(sec.sql).substr(begin, end - begin));
    if (!tree.ok()) {
      Problem p{"syntax_error",
                m.path,
                st.line,
                st.column,
                fmt::format("syntax error: {}", tree.status().message()),
                "fix the statement; tandem checks every file with PostgreSQL's own parser before "
                "running anything"};
      if (tree.status().position() > 0)
        loc.locate(begin + tree.status().position() - 1, p.line, p.column);
      problems.push_back(std::move(p));
    } else if (!tree->statements().empty()) {
      db::pg::Node stmt = tree->statements().front().node;
      classify_postgres(st, stmt);
      if (stmt.tag() == "TransactionStmt") {
        problems.push_back({"user_transaction", m.path, st.line, st.column, kNoUserTransactions,
                            kNoUserTransactionsHint});
      }
    }
    out.push_back(std::move(st));
  }
  check_gap(sec.sql.size());
  pg_query_free_split_result(split);
}

std::string first_keyword(std::string_view sql) {
  std::string word;
  for (char c : sql) {
    if (!std::isalpha(static_cast<unsigned char>(c))) break;
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return word;
}

// False (and nothing added) when `cap` is reached.
bool add_sqlite_statement(const Migration& m, Locator& loc, std::string_view text, size_t begin,
                          std::vector<Statement>& out, std::vector<Problem>& problems,
                          const Cap& cap) {
  Statement st;
  loc.locate(begin, st.line, st.column);
  if (cap.over(m, out, st, problems)) return false;
  st.sql = rtrim(text);
  std::string kw = first_keyword(st.sql);
  if (kw == "VACUUM") st.transactional = false;
  if (kw == "BEGIN" || kw == "COMMIT" || kw == "END" || kw == "ROLLBACK") {
    problems.push_back({"user_transaction", m.path, st.line, st.column, kNoUserTransactions,
                        kNoUserTransactionsHint});
  }
  out.push_back(std::move(st));
  return true;
}

// Where a PostgreSQL dollar quote (`$$`, `$body$`) starts outside strings and comments; npos
// when there is none. SQLite has no dollar quoting: its splitter would cut the body apart.
size_t dollar_quote(const std::string& sql) {
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'' || c == '"' || c == '`') {
      size_t close = sql.find(c, i + 1);
      if (close == std::string::npos) return std::string::npos;
      i = close;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      i = sql.find('\n', i);
      if (i == std::string::npos) return i;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      i = sql.find("*/", i + 2);
      if (i == std::string::npos) return i;
      ++i;
    } else if (c == '$') {
      size_t j = i + 1;
      while (j < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_'))
        ++j;
      bool tag_ok = j == i + 1 || !std::isdigit(static_cast<unsigned char>(sql[i + 1]));
      if (j < sql.size() && sql[j] == '$' && tag_ok) return i;  // `$$` or `$tag$` ($1 is not)
    }
  }
  return std::string::npos;
}

// The next `;` at or after `pos` (which is outside quotes and comments) that is outside quotes
// and comments as SQLite's sqlite3_complete reads them ('…', "…", `…`, […], -- and /* */);
// npos when there is none. Only a shortcut: sqlite3_complete still decides whether a semicolon
// ends a statement, but one inside a string or comment never does, and asking about each one
// re-reads the statement from its start (quadratic for a string holding many semicolons).
size_t next_semicolon(const std::string& sql, size_t pos) {
  while (pos < sql.size()) {
    char c = sql[pos];
    size_t close = pos + 1;
    if (c == ';') return pos;
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
      close = sql.find(c == '[' ? ']' : c, pos + 1);
      if (close != std::string::npos) ++close;
    } else if (c == '-' && pos + 1 < sql.size() && sql[pos + 1] == '-') {
      close = sql.find('\n', pos + 2);
    } else if (c == '/' && pos + 1 < sql.size() && sql[pos + 1] == '*') {
      close = sql.find("*/", pos + 2);
      if (close != std::string::npos) close += 2;
    }
    if (close == std::string::npos) return close;  // unterminated: no statement ends after it
    pos = close;
  }
  return std::string::npos;
}

void split_sqlite(const Migration& m, const Section& sec, std::vector<Statement>& out,
                  std::vector<Problem>& problems, bool keep_comments, Cap cap = {}) {
  Locator loc{sec};
  const std::string& sql = sec.sql;
  if (size_t at = dollar_quote(sql); at != std::string::npos) {
    Problem p{"not_sqlite",
              m.path,
              0,
              0,
              "this is PostgreSQL SQL (a dollar-quoted $$ body), which SQLite cannot run",
              "run it against a PostgreSQL database (--db postgres://…); the default database "
              "is SQLite (sqlite:tandem.db)"};
    loc.locate(at, p.line, p.column);
    problems.push_back(std::move(p));
    return;
  }
  size_t start = 0;
  std::string candidate;
  for (size_t semi = next_semicolon(sql, 0); semi != std::string::npos;
       semi = next_semicolon(sql, semi + 1)) {
    candidate.assign(sql, start, semi + 1 - start);
    // sqlite3_complete is SQLite's own tokenizer deciding whether the text ends a statement:
    // semicolons in strings, comments and CREATE TRIGGER … BEGIN … END bodies don't.
    if (!sqlite3_complete(candidate.c_str())) continue;
    size_t begin = skip_space_and_comments(sql, start);
    if (begin <= semi) {
      if (!add_sqlite_statement(m, loc, std::string_view(sql).substr(begin, semi + 1 - begin),
                                begin, out, problems, cap))
        return;
      if (keep_comments) out.back().sql = rtrim(trim_front(sql.substr(start, semi + 1 - start)));
    }
    start = semi + 1;
  }
  size_t begin = skip_space_and_comments(sql, start);
  if (begin < sql.size()) {
    candidate = sql.substr(begin) + "\n;";
    if (sqlite3_complete(candidate.c_str())) {
      if (!add_sqlite_statement(m, loc, std::string_view(sql).substr(begin), begin, out, problems,
                                cap))
        return;
      if (keep_comments) out.back().sql = rtrim(trim_front(sql.substr(start)));
    } else {
      Problem p{"syntax_error",
                m.path,
                0,
                0,
                "statement is not terminated",
                "check for an unterminated quote, comment or CREATE TRIGGER without END"};
      loc.locate(begin, p.line, p.column);
      problems.push_back(std::move(p));
    }
  }
}

}  // namespace

std::vector<Statement> split_statements(db::Backend backend, const Migration& m, Direction dir,
                                        std::vector<Problem>& problems, int max_statements) {
  const Section& sec = dir == Direction::kUp ? m.up : m.down;
  std::vector<Statement> out;
  if (!sec.present) return out;
  Cap cap{static_cast<size_t>(std::max(max_statements, 0)), dir};
  if (backend == db::Backend::kPostgres) {
    split_postgres(m, sec, out, problems, false, cap);
  } else {
    split_sqlite(m, sec, out, problems, false, cap);
  }
  return out;
}

void classify_statement(db::Backend backend, Statement& st) {
  if (backend != db::Backend::kPostgres) {
    std::string kw = first_keyword(st.sql);
    st.transactional = kw != "VACUUM";
    return;
  }
  auto tree = db::pg::parse(st.sql);
  if (tree.ok() && tree->statements().size() == 1)
    classify_postgres(st, tree->statements().front().node);
}

std::vector<Statement> split_sql(db::Backend backend, const std::string& path,
                                 const std::string& sql, int first_line,
                                 std::vector<Problem>& problems) {
  Migration m;
  m.path = path;
  Section sec{true, first_line, sql};
  std::vector<Statement> out;
  if (backend == db::Backend::kPostgres) {
    split_postgres(m, sec, out, problems, true);
  } else {
    split_sqlite(m, sec, out, problems, true);
  }
  return out;
}

}  // namespace tandem
