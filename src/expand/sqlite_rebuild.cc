#include "expand/sqlite_rebuild.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace tandem::expand {
namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// One token of a column or constraint definition: a word, a quoted name or string, a
// parenthesized group (kept whole), or a single other character.
struct Token {
  std::string text;
  bool word = false;  // bare identifier or keyword
};

std::vector<Token> tokenize(const std::string& s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      i = s.find('\n', i);
      if (i == std::string::npos) i = s.size();
    } else if (c == '\'' || c == '"' || c == '`' || c == '[') {
      char close = c == '[' ? ']' : c;
      size_t j = i + 1;
      while (j < s.size()) {
        if (s[j] == close) {
          if (close != ']' && j + 1 < s.size() && s[j + 1] == close) {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      out.push_back({s.substr(i, j + 1 - i), false});
      i = j + 1;
    } else if (c == '(') {
      int depth = 0;
      size_t j = i;
      for (; j < s.size(); ++j) {
        if (s[j] == '\'' || s[j] == '"') {  // skip quoted text inside the group
          char q = s[j];
          for (++j; j < s.size() && s[j] != q; ++j) {
          }
          continue;
        }
        if (s[j] == '(') ++depth;
        if (s[j] == ')' && --depth == 0) break;
      }
      out.push_back({s.substr(i, j + 1 - i), false});
      i = j + 1;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_' ||
                              s[j] == '$' || s[j] == '.')) {
        ++j;
      }
      out.push_back({s.substr(i, j - i), true});
      i = j;
    } else {
      out.push_back({std::string(1, c), false});
      ++i;
    }
  }
  return out;
}

std::string unquote(const std::string& t) {
  if (t.size() >= 2 && (t[0] == '"' || t[0] == '`' || t[0] == '['))
    return t.substr(1, t.size() - 2);
  return t;
}

std::string join(const std::vector<Token>& tokens, size_t from = 0, size_t to = SIZE_MAX) {
  std::string out;
  for (size_t i = from; i < tokens.size() && i < to; ++i) {
    if (!out.empty() && tokens[i].text != "," && tokens[i].text != ")") out += " ";
    out += tokens[i].text;
  }
  return out;
}

// Splits the text between the outer parentheses of CREATE TABLE at top-level commas.
std::vector<std::string> split_parts(const std::string& body) {
  std::vector<std::string> parts;
  std::string cur;
  int depth = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\'' || c == '"' || c == '`') {
      size_t j = body.find(c, i + 1);
      if (j == std::string::npos) j = body.size() - 1;
      cur += body.substr(i, j + 1 - i);
      i = j;
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  if (!cur.empty()) parts.push_back(cur);
  return parts;
}

bool is_table_constraint(const std::vector<Token>& t) {
  if (t.empty() || !t[0].word) return false;
  std::string k = upper(t[0].text);
  return k == "CONSTRAINT" || k == "PRIMARY" || k == "UNIQUE" || k == "CHECK" || k == "FOREIGN";
}

bool is_constraint_keyword(const std::string& word) {
  static const char* kWords[] = {"CONSTRAINT", "PRIMARY",   "NOT",     "NULL",
                                 "UNIQUE",     "CHECK",     "DEFAULT", "COLLATE",
                                 "REFERENCES", "GENERATED", "AS"};
  std::string u = upper(word);
  for (const char* w : kWords)
    if (u == w) return true;
  return false;
}

// A column definition with its type replaced, NOT NULL / NULL / DEFAULT clauses replaced as
// the change says, and every other clause (PRIMARY KEY, UNIQUE, CHECK, REFERENCES, COLLATE)
// kept as written.
std::string rewrite_column(const std::vector<Token>& t, const RebuildColumn& c,
                           std::string& original_type) {
  size_t i = 1;
  while (i < t.size() && !(t[i].word && is_constraint_keyword(t[i].text))) ++i;
  original_type = join(t, 1, i);
  std::string out = t[0].text + " " + c.type.value_or(original_type);
  std::vector<Token> kept;
  bool not_null = false;
  std::optional<std::string> def;
  while (i < t.size()) {
    std::string k = t[i].word ? upper(t[i].text) : "";
    std::string name;  // CONSTRAINT name … applies to the next clause
    size_t start = i;
    if (k == "CONSTRAINT" && i + 1 < t.size()) {
      name = t[i + 1].text;
      i += 2;
      k = i < t.size() && t[i].word ? upper(t[i].text) : "";
    }
    size_t end = i + 1;
    if (k == "DEFAULT") {  // one literal, word or (expression); a sign may come first
      end = i + 2 + (i + 1 < t.size() && (t[i + 1].text == "-" || t[i + 1].text == "+"));
    }
    while (k != "DEFAULT" && end < t.size() &&
           !(t[end].word && is_constraint_keyword(t[end].text) &&
             !(k == "NOT" && upper(t[end].text) == "NULL") &&
             !(k == "PRIMARY" && upper(t[end].text) == "KEY"))) {
      ++end;
    }
    if (k == "NOT") {
      not_null = true;
    } else if (k == "NULL") {
      not_null = false;
    } else if (k == "DEFAULT") {
      def = join(t, i + 1, end);
    } else {
      for (size_t j = start; j < end; ++j) kept.push_back(t[j]);
    }
    i = end;
  }
  if (c.not_null) not_null = *c.not_null;
  if (c.set_default) def = c.default_sql;
  if (not_null) out += " NOT NULL";
  if (def && !def->empty()) {
    out += " DEFAULT ";
    bool wrapped = def->front() == '(';
    if (!wrapped) out += '(';
    out += *def;
    if (!wrapped) out += ')';
  }
  if (!kept.empty()) {
    out += ' ';
    out += join(kept);
  }
  return out;
}

}  // namespace

namespace {

// The rebuild as the engine runs it: a typed statement, in the migration's transaction.
class RebuildAction final : public Action {
 public:
  explicit RebuildAction(RebuildSpec spec) : spec_(std::move(spec)) {}
  std::string describe() const override {
    std::string what;
    for (const RebuildColumn& c : spec_.columns) {
      what += fmt::format("{}column {}", what.empty() ? "" : ", ", c.name);
      if (c.type) what += " type " + *c.type;
      if (c.not_null) what += *c.not_null ? " NOT NULL" : " NULL";
      if (c.set_default) what += c.default_sql ? " DEFAULT " + *c.default_sql : " no default";
      if (c.fill) what += " filled with " + *c.fill;
    }
    for (const auto& [name, expr] : spec_.add_checks)
      what += fmt::format("{}add CHECK {} ({})", what.empty() ? "" : ", ", name, expr);
    for (const RebuildForeignKey& f : spec_.add_foreign_keys)
      what +=
          fmt::format("{}add FOREIGN KEY {} → {}", what.empty() ? "" : ", ", f.name, f.ref_table);
    for (const std::string& c : spec_.drop_constraints)
      what += fmt::format("{}drop constraint {}", what.empty() ? "" : ", ", c);
    return fmt::format("rebuild table {}: {}", db::quote_ident(spec_.table), what);
  }
  Status run(db::Connection& conn) const override { return run_sqlite_rebuild(conn, spec_); }

 private:
  RebuildSpec spec_;
};

}  // namespace

std::shared_ptr<const Action> sqlite_rebuild(const RebuildSpec& spec) {
  return std::make_shared<RebuildAction>(spec);
}

std::shared_ptr<const Action> sqlite_drop_constraint(const std::string& table,
                                                     const std::string& name) {
  RebuildSpec spec;
  spec.table = table;
  spec.drop_constraints = {name};
  return sqlite_rebuild(spec);
}

std::shared_ptr<const Action> sqlite_set_not_null(const std::string& table,
                                                  const std::string& column, bool not_null) {
  RebuildSpec spec;
  spec.table = table;
  RebuildColumn rc;
  rc.name = column;
  rc.not_null = not_null;
  spec.columns.push_back(rc);
  return sqlite_rebuild(spec);
}

Status run_sqlite_rebuild(db::Connection& conn, const RebuildSpec& spec) {
  const std::string& table = spec.table;
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows def,
      conn.query("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1", {table}));
  if (def.empty()) {
    return Status::InvalidInput(fmt::format("table \"{}\" does not exist", table),
                                "check the table name");
  }
  std::string create = def.text(0, 0);
  size_t open = create.find('('), close = create.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) {
    return Status::Database(
        fmt::format("cannot read the definition of table \"{}\" in sqlite_schema", table), "",
        "check the table with `sqlite3 FILE .schema TABLE`; tandem rebuilds only tables whose "
        "CREATE TABLE it can read");
  }
  std::string tail = create.substr(close + 1);  // WITHOUT ROWID, STRICT
  std::vector<std::string> parts = split_parts(create.substr(open + 1, close - open - 1));
  std::vector<std::string> out_parts, copy_cols, copy_exprs;
  std::vector<std::string> found_columns, dropped;
  for (const std::string& part : parts) {
    std::vector<Token> t = tokenize(part);
    if (t.empty()) continue;
    if (is_table_constraint(t)) {
      std::string name = upper(t[0].text) == "CONSTRAINT" && t.size() > 1 ? unquote(t[1].text) : "";
      if (!name.empty() &&
          std::count(spec.drop_constraints.begin(), spec.drop_constraints.end(), name)) {
        dropped.push_back(name);
        continue;
      }
      out_parts.push_back(join(t));
      continue;
    }
    std::string col = unquote(t[0].text);
    bool generated = false;
    for (const Token& tok : t)
      generated =
          generated || (tok.word && (upper(tok.text) == "GENERATED" || upper(tok.text) == "AS"));
    auto it = std::find_if(spec.columns.begin(), spec.columns.end(),
                           [&](const RebuildColumn& c) { return c.name == col; });
    std::string expr = db::quote_ident(col);
    if (it != spec.columns.end()) {
      std::string original_type;
      out_parts.push_back(rewrite_column(t, *it, original_type));
      found_columns.push_back(col);
      if (it->fill) {
        expr = it->fill_nulls_only ? fmt::format("CASE WHEN {} IS NULL THEN ({}) ELSE {} END", expr,
                                                 *it->fill, expr)
                                   : "(" + *it->fill + ")";
      }
    } else {
      // Constraints named inline on a column can be dropped too.
      std::vector<Token> kept;
      for (size_t i = 0; i < t.size(); ++i) {
        if (t[i].word && upper(t[i].text) == "CONSTRAINT" && i + 1 < t.size() &&
            std::count(spec.drop_constraints.begin(), spec.drop_constraints.end(),
                       unquote(t[i + 1].text))) {
          dropped.push_back(unquote(t[i + 1].text));
          size_t end = i + 3;
          while (end < t.size() && !(t[end].word && is_constraint_keyword(t[end].text))) ++end;
          i = end - 1;
          continue;
        }
        kept.push_back(t[i]);
      }
      out_parts.push_back(join(kept));
    }
    if (!generated) {
      copy_cols.push_back(db::quote_ident(col));
      copy_exprs.push_back(expr);
    }
  }
  for (const RebuildColumn& c : spec.columns) {
    if (std::find(found_columns.begin(), found_columns.end(), c.name) == found_columns.end()) {
      return Status::InvalidInput(
          fmt::format("column \"{}\" does not exist in table \"{}\"", c.name, table),
          "check the column name");
    }
  }
  std::vector<std::string> drop_indexes;
  for (const std::string& name : spec.drop_constraints) {
    if (std::find(dropped.begin(), dropped.end(), name) != dropped.end()) continue;
    // On SQLite a unique constraint added later is a unique index of that name.
    TANDEM_ASSIGN_OR_RETURN(db::Rows idx,
                            conn.query("SELECT 1 FROM sqlite_master WHERE type = 'index' AND "
                                       "name = $1 AND tbl_name = $2",
                                       {name, table}));
    if (idx.empty()) {
      return Status::InvalidInput(
          fmt::format("table \"{}\" has no constraint named \"{}\"", table, name),
          "SQLite keeps only constraints declared with CONSTRAINT <name>; check the name");
    }
    drop_indexes.push_back(name);
  }
  for (const auto& [name, expr] : spec.add_checks)
    out_parts.push_back(fmt::format("CONSTRAINT {} CHECK ({})", db::quote_ident(name), expr));
  for (const RebuildForeignKey& f : spec.add_foreign_keys) {
    std::string cols, refs;
    for (const std::string& c : f.columns) cols += (cols.empty() ? "" : ", ") + db::quote_ident(c);
    for (const std::string& c : f.ref_columns)
      refs += (refs.empty() ? "" : ", ") + db::quote_ident(c);
    out_parts.push_back(fmt::format(
        "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {}", db::quote_ident(f.name),
        cols, db::quote_ident(f.ref_table), refs, f.on_delete));
  }
  // With foreign keys enforced, DROP TABLE would delete (and cascade) through the keys that
  // point at this table; SQLite cannot switch enforcement off inside a transaction.
  TANDEM_ASSIGN_OR_RETURN(db::Rows fk_on, conn.query("PRAGMA foreign_keys"));
  if (!fk_on.empty() && fk_on.text(0, 0) == "1") {
    TANDEM_ASSIGN_OR_RETURN(
        db::Rows refs,
        conn.query("SELECT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) "
                   "f WHERE m.type = 'table' AND f.\"table\" = $1 AND m.name <> $1",
                   {table}));
    if (!refs.empty()) {
      return Status::InvalidInput(
          fmt::format("table \"{}\" is referenced by a foreign key of \"{}\" and foreign keys are "
                      "enforced: rebuilding it would delete through that key",
                      table, refs.text(0, 0)),
          "run the migration on a connection without PRAGMA foreign_keys = ON");
    }
  }
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows others, conn.query("SELECT sql FROM sqlite_master WHERE tbl_name = $1 AND type IN "
                                  "('index', 'trigger') AND sql IS NOT NULL AND name NOT IN "
                                  "(SELECT value FROM json_each($2))",
                                  {table, nlohmann::json(drop_indexes).dump()}));
  std::string tmp = db::quote_ident("_tandem_rebuild_" + table), t = db::quote_ident(table);
  std::string body;
  for (const std::string& p : out_parts) body += (body.empty() ? "\n  " : ",\n  ") + p;
  std::string cols, exprs;
  for (size_t i = 0; i < copy_cols.size(); ++i) {
    cols += (i ? ", " : "") + copy_cols[i];
    exprs += (i ? ", " : "") + copy_exprs[i];
  }
  TANDEM_RETURN_IF_ERROR(conn.execute(fmt::format("CREATE TABLE {} ({}\n){}", tmp, body, tail)));
  Status st =
      conn.execute(fmt::format("INSERT INTO {} ({}) SELECT {} FROM {}", tmp, cols, exprs, t));
  if (!st.ok()) return st.with_context(fmt::format("copying the rows of \"{}\": ", table));
  TANDEM_RETURN_IF_ERROR(conn.execute("DROP TABLE " + t));
  // Views and triggers elsewhere name the table; the legacy rename leaves them alone, and they
  // find the new table under the old name.
  TANDEM_RETURN_IF_ERROR(conn.execute("PRAGMA legacy_alter_table = ON"));
  st = conn.execute(fmt::format("ALTER TABLE {} RENAME TO {}", tmp, t));
  (void)conn.execute("PRAGMA legacy_alter_table = OFF");
  TANDEM_RETURN_IF_ERROR(st);
  for (size_t i = 0; i < others.size(); ++i)
    TANDEM_RETURN_IF_ERROR(conn.execute(others.text(i, 0)));
  TANDEM_ASSIGN_OR_RETURN(db::Rows bad,
                          conn.query("SELECT * FROM pragma_foreign_key_check($1)", {table}));
  if (!bad.empty()) {
    return Status::InvalidInput(
        fmt::format("{} row(s) of \"{}\" violate a foreign key (first: rowid {} → {})", bad.size(),
                    table, bad.text(0, 1), bad.text(0, 2)),
        "fix those rows in an earlier migration, then run again");
  }
  return Status::Ok();
}

}  // namespace tandem::expand
