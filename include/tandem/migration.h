#pragma once
// Migration files: names, sections, checksums and statement splitting.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tandem/db.h"
#include "tandem/status.h"

namespace tandem {

namespace expand {
class Operation;
}
using OperationList = std::vector<std::unique_ptr<expand::Operation>>;

// Something wrong with the migrations folder or the history, located as exactly as possible.
struct Problem {
  std::string kind;     // stable id: "bad_name", "checksum_mismatch", …
  std::string file;     // path shown to the user ("" when not about one file)
  int line = 0;         // 1-based, 0 when not about one line
  int column = 0;       // 1-based, 0 when unknown
  std::string message;  // what is wrong
  std::string hint;     // what to do next
};

// One section (`-- tandem:up` or `-- tandem:down`) of a SQL migration file.
struct Section {
  bool present = false;
  int first_line = 0;  // line of the first character of `sql` in the file
  std::string sql;     // the text between this marker and the next
};

// One statement of a section, as split by the backend's own tokenizer.
struct Statement {
  std::string sql;
  int line = 0;    // 1-based line in the file where the statement starts
  int column = 0;  // 1-based column of that start
  // False for statements PostgreSQL/SQLite refuse inside a transaction block
  // (CREATE INDEX CONCURRENTLY, VACUUM, ALTER SYSTEM, …).
  bool transactional = true;
  // For CREATE INDEX CONCURRENTLY: the index name, so an invalid index left by an
  // interrupted build can be found and dropped before the build is retried.
  std::string concurrent_index;
};

// A migration file as read from disk.
struct Migration {
  std::string version;   // canonical: leading digits without leading zeros ("0007" → "7")
  std::string name;      // the part after "<version>_" without extension
  std::string file;      // file name, e.g. "0007_add_email.sql"
  std::string path;      // path as given by --dir joined with file
  std::string checksum;  // hex SHA-256 of the content with CRLF/CR normalised to LF
  Section up;
  Section down;
  bool no_transaction = false;  // `-- tandem:no-transaction` or dbmate `transaction:false`
  int no_transaction_line = 0;
  // Declarative (.yaml/.yml/.json) migrations: the parsed operations; null for SQL files.
  std::shared_ptr<const OperationList> operations;
};

enum class Direction { kUp, kDown };

// Everything found in a migrations folder: migrations sorted by version, and the problems
// (bad names, duplicates, missing up section, …) found while reading it.
struct MigrationSet {
  std::vector<Migration> migrations;
  std::vector<Problem> problems;
};

// Reads every `<digits>_<name>.sql` in `dir`. Never fails as a whole: a missing folder or
// unreadable file is reported as a Problem. Statements are not split here.
MigrationSet load_migrations(const std::string& dir);

// Parses one file's content (exposed for tests).
Migration parse_migration(const std::string& dir, const std::string& file, std::string_view content,
                          std::vector<Problem>& problems);

// Compares canonical versions numerically (any length). Returns <0, 0, >0.
int compare_versions(std::string_view a, std::string_view b);
// Canonical form of a version as written in a file name ("0007" → "7", "0" → "0").
std::string canonical_version(std::string_view digits);

// Hex SHA-256 of `content` with "\r\n" and "\r" normalised to "\n".
std::string checksum(std::string_view content);

// Splits one section into statements with the backend's own tokenizer (libpg_query's
// scanner for PostgreSQL, sqlite3_complete for SQLite) and classifies each one. Syntax
// errors (PostgreSQL) and unterminated statements are reported as Problems.
std::vector<Statement> split_statements(db::Backend backend, const Migration& m, Direction dir,
                                        std::vector<Problem>& problems);
// The same for SQL text from elsewhere (a declarative file's `sql` operation), whose first
// character is on `first_line` of `path`. Each statement keeps the comments before it (an
// inline `-- tandem:ignore RULE` stays with its statement).
std::vector<Statement> split_sql(db::Backend backend, const std::string& path,
                                 const std::string& sql, int first_line,
                                 std::vector<Problem>& problems);

}  // namespace tandem
