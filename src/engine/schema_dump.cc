// dump_schema and diff_schemas (tandem/schema.h): the backend readers' objects in a fixed
// order, as SQL text, and the differences between two dumps.

#include "engine/schema_dump.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>

namespace tandem {
namespace engine {

int kind_rank(const std::string& kind) {
  static const char* const kOrder[] = {"extension", "type",       "function", "sequence", "table",
                                       "view",      "constraint", "index",    "trigger"};
  for (size_t i = 0; i < std::size(kOrder); ++i) {
    if (kind == kOrder[i]) return static_cast<int>(i);
  }
  return static_cast<int>(std::size(kOrder));
}

std::string normalize_sqlite_sql(const std::string& sql) {
  std::string out;
  bool space = false;  // whitespace (or a comment) seen since the last character kept
  auto keep = [&](char c) {
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  };
  for (size_t i = 0; i < sql.size();) {
    char c = sql[i];
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
      char close = c == '[' ? ']' : c;
      keep(c);
      ++i;
      while (i < sql.size()) {
        out += sql[i];
        if (sql[i] == close) {
          // A doubled quote is one quote inside the literal; ']' cannot be doubled.
          if (close != ']' && i + 1 < sql.size() && sql[i + 1] == close) {
            out += sql[i + 1];
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        ++i;
      }
      continue;
    }
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n') ++i;
      space = true;
      continue;
    }
    if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      i = end == std::string::npos ? sql.size() : end + 2;
      space = true;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = true;
      ++i;
      continue;
    }
    keep(c);
    ++i;
  }
  while (!out.empty() && (out.back() == ';' || out.back() == ' ')) out.pop_back();
  return out + ";";
}

}  // namespace engine

namespace {

bool before(const SchemaObject& a, const SchemaObject& b) {
  int ra = engine::kind_rank(a.kind), rb = engine::kind_rank(b.kind);
  if (ra != rb) return ra < rb;
  if (a.kind != b.kind) return a.kind < b.kind;
  return a.name < b.name;  // std::string compares bytes: no collation, no locale
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A line compared without its trailing comma: a column added last turns the line before it
// into "…,", which is not a difference of that column.
std::string line_key(const std::string& line) {
  return !line.empty() && line.back() == ',' ? line.substr(0, line.size() - 1) : line;
}

// The lines of `a` that `b` does not have (as many times as `a` has them more).
std::vector<std::string> lines_missing_from(const std::vector<std::string>& a,
                                            const std::vector<std::string>& b) {
  std::map<std::string, int> left;
  for (const std::string& line : b) ++left[line_key(line)];
  std::vector<std::string> out;
  for (const std::string& line : a) {
    auto it = left.find(line_key(line));
    if (it != left.end() && it->second > 0) {
      --it->second;
      continue;
    }
    out.push_back(line);
  }
  return out;
}

}  // namespace

std::string printable_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else
      out += c;
  }
  return out;
}

std::string SchemaDump::sql() const {
  std::string out =
      backend == "postgres"
          ? fmt::format("-- tandem dump: schema {} (PostgreSQL), objects by kind, then name\n",
                        printable_name(schema))
          : std::string("-- tandem dump: SQLite database, objects by kind, then name\n");
  for (const SchemaObject& o : objects) {
    out += fmt::format("\n-- {} {}\n{}\n", o.kind, printable_name(o.name), o.definition);
  }
  return out;
}

Result<SchemaDump> dump_schema(db::Connection& conn, const std::string& schema) {
  SchemaDump dump;
  dump.database = conn.describe();
  bool pg = conn.server_version() > 0;
  dump.backend = pg ? "postgres" : "sqlite";
  if (pg) {
    dump.schema = schema;
    // One snapshot for every catalog query, and an empty search_path so every name the
    // pg_get_*def functions print is schema-qualified — the same text whatever search_path
    // the URL or the role sets.
    TANDEM_ASSIGN_OR_RETURN(
        db::Transaction tx,
        db::Transaction::begin(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"));
    TANDEM_RETURN_IF_ERROR(
        conn.query("SELECT pg_catalog.set_config('search_path', '', true)").status());
    TANDEM_ASSIGN_OR_RETURN(dump.objects, engine::read_postgres_schema(conn, schema));
    tx.rollback();
  } else {
    TANDEM_ASSIGN_OR_RETURN(dump.objects, engine::read_sqlite_schema(conn));
  }
  std::sort(dump.objects.begin(), dump.objects.end(), before);
  return dump;
}

Result<SchemaDump> dump_schema(const EngineOptions& options) {
  db::ConnectOptions copts;
  copts.create = false;  // a mistyped SQLite path is an error, not a new empty database
  copts.connect_timeout_s = options.connect_timeout_s;
  copts.busy_timeout_ms = options.lock_wait_ms;
  TANDEM_ASSIGN_OR_RETURN(auto conn, db::connect(options.db_url, copts));
  TANDEM_ASSIGN_OR_RETURN(SchemaDump dump, dump_schema(*conn, options.schema));
  dump.database = db::redact_url(options.db_url);
  return dump;
}

std::vector<SchemaDifference> diff_schemas(const SchemaDump& expected, const SchemaDump& live) {
  std::map<std::pair<std::string, std::string>, const SchemaObject*> in_expected, in_live;
  for (const SchemaObject& o : expected.objects) in_expected[{o.kind, o.name}] = &o;
  for (const SchemaObject& o : live.objects) in_live[{o.kind, o.name}] = &o;
  std::vector<SchemaObject> all;
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto* side : {&expected.objects, &live.objects}) {
    for (const SchemaObject& o : *side) {
      if (seen.insert({o.kind, o.name}).second) all.push_back(o);
    }
  }
  std::sort(all.begin(), all.end(), before);
  std::vector<SchemaDifference> out;
  for (const SchemaObject& o : all) {
    auto e = in_expected.find({o.kind, o.name});
    auto l = in_live.find({o.kind, o.name});
    SchemaDifference d;
    d.kind = o.kind;
    d.name = o.name;
    if (e == in_expected.end()) {
      d.change = "added";
      d.live = l->second->definition;
    } else if (l == in_live.end()) {
      d.change = "missing";
      d.expected = e->second->definition;
    } else if (e->second->definition != l->second->definition) {
      d.change = "changed";
      d.live = l->second->definition;
      d.expected = e->second->definition;
      auto live_lines = lines_of(d.live), expected_lines = lines_of(d.expected);
      d.only_live = lines_missing_from(live_lines, expected_lines);
      d.only_expected = lines_missing_from(expected_lines, live_lines);
    } else {
      continue;
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace tandem
