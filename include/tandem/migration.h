#pragma once
// Migration files: names, sections, checksums and statement splitting — and the interfaces
// through which the engine handles formats it does not know by name: a MigrationFormat reads a
// kind of file into a MigrationBody, which says what statements apply it (each one statement,
// or a typed Action), or gives a Procedure of its own. SQL files are the engine's built-in
// format; declarative files (expand) are registered by the commands layer.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tandem/db.h"
#include "tandem/status.h"

namespace tandem {

class MigrationBody;
struct Session;

// One section (`-- tandem:up` or `-- tandem:down`) of a SQL migration file.
struct Section {
  bool present = false;
  int first_line = 0;  // line of the first character of `sql` in the file
  std::string sql;     // the text between this marker and the next
};

// Work a statement stands for that is not one SQL text (a SQLite table rebuild, whose
// definition is only known when it runs): typed, never routed through magic comments.
class Action {
 public:
  virtual ~Action() = default;
  // What it does, for `tandem plan` and -v ("rebuild table \"t\": …").
  virtual std::string describe() const = 0;
  // Does it on `conn`, inside the caller's transaction.
  virtual Status run(db::Connection& conn) const = 0;
};

// One statement of a section, as split by the backend's own tokenizer.
struct Statement {
  // Exactly one SQL statement; for an Action, "-- " and its description (what plan shows).
  std::string sql;
  int line = 0;    // 1-based line in the file where the statement starts
  int column = 0;  // 1-based column of that start
  // False for statements PostgreSQL/SQLite refuse inside a transaction block
  // (CREATE INDEX CONCURRENTLY, VACUUM, ALTER SYSTEM, …).
  bool transactional = true;
  // For CREATE INDEX CONCURRENTLY: the index name, so an invalid index left by an
  // interrupted build can be found and dropped before the build is retried.
  std::string concurrent_index;
  // Set: the statement is this action, not `sql`.
  std::shared_ptr<const Action> action = nullptr;
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
  // What the file holds beyond its sections, as its format read it; null for SQL files (their
  // sections are all there is).
  std::shared_ptr<const MigrationBody> body;
};

enum class Direction { kUp, kDown };

// SQL a migration file holds as written — what `tandem lint` checks without a database.
struct WrittenSql {
  std::string sql;
  int first_line = 1;
  bool transaction = true;        // runs as one transaction
  std::string held_by;            // what holds it when not a SQL section ("the `sql` operation")
  bool old_version_gone = false;  // runs once the old application version is gone
};

// How `up` applies a migration whose format does not run as a list of statements on some
// backend (a declarative migration on PostgreSQL: start, then complete). The engine calls it
// with the migration lock held.
class Procedure {
 public:
  virtual ~Procedure() = default;
  // What `tandem plan` shows for `m`, planned against the database as it is (comments allowed).
  virtual std::vector<Statement> plan(Session& s, const Migration& m) const = 0;
  // Applies `m` and records it in the history; re-running after a kill continues it.
  virtual Status apply(Session& s, const Migration& m) const = 0;
};

// A migration as its format read it.
class MigrationBody {
 public:
  virtual ~MigrationBody() = default;
  // Problems that stop every command before anything runs on `backend`, beyond those found
  // while reading the file (a fragment the backend's parser refuses).
  virtual std::vector<Problem> check(const Migration& m, db::Backend backend) const {
    (void)m;
    (void)backend;
    return {};
  }
  // The statements that apply (up) or revert (down) `m` on `dialect`'s backend, in order, each
  // exactly one statement or an Action; problems appended with file:line (one that cannot be
  // reverted says why).
  virtual std::vector<Statement> statements(const Migration& m, Direction dir,
                                            const db::Dialect& dialect,
                                            std::vector<Problem>& problems) const = 0;
  // The SQL the file holds as written.
  virtual std::vector<WrittenSql> written_sql(const Migration& m) const = 0;
  // How `up` applies it on `backend` instead of statements(); null: as statements.
  virtual const Procedure* procedure(db::Backend backend) const {
    (void)backend;
    return nullptr;
  }
};

// A kind of migration file: which names it reads, and how.
class MigrationFormat {
 public:
  virtual ~MigrationFormat() = default;
  // The extension this format reads after "<version>_<name>" (".yaml"); a format may read
  // several (one MigrationFormat per extension is simplest).
  virtual std::vector<std::string> extensions() const = 0;
  // Reads `content` into `m` (version, name, file, path and checksum are set): its sections
  // and/or body. Problems with file:line.
  virtual void parse(Migration& m, std::string_view content,
                     std::vector<Problem>& problems) const = 0;
};

// The formats a folder is read with besides SQL, which is always read.
using Formats = std::vector<std::shared_ptr<const MigrationFormat>>;

// How much one migration may hold. What a real project writes stays far below; a data dump or
// a generated file saved as a migration would otherwise take minutes and gigabytes before
// anything is reported, or hold the migration's locks for as long. A file over a limit is a
// Problem naming the limit, found before the file is read (its size) or parsed further (its
// operations, its statements); nothing of it runs. tandem.yaml's `limits:` raises them.
struct InputLimits {
  // Bytes of one migration file (SQL, YAML or JSON), from stat before it is read.
  long long max_file_bytes = 16LL << 20;
  // Statements one migration runs in one direction, as split (SQL) or generated (declarative).
  int max_statements = 100'000;
  // Operations of one declarative file, counted before any is read.
  int max_operations = 10'000;
  // YAML nodes (keys, values, list items) of one declarative file, an alias counting as every
  // node it repeats: what reading it costs (yaml-cpp takes about 4 µs and 500 bytes a node),
  // and what bounds an alias bomb ("billion laughs"). Counted before the file is loaded.
  int max_yaml_nodes = 250'000;
};

// Everything found in a migrations folder: migrations sorted by version, and the problems
// (bad names, duplicates, missing up section, …) found while reading it.
struct MigrationSet {
  std::vector<Migration> migrations;
  std::vector<Problem> problems;
};

// Reads every `<digits>_<name>.sql` in `dir`, and every file one of `formats` reads. Never
// fails as a whole: a missing folder or unreadable file is reported as a Problem, and so is a
// file larger than `limits.max_file_bytes` (not read). Statements are not split here.
MigrationSet load_migrations(const std::string& dir, const Formats& formats = {},
                             const InputLimits& limits = {});

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
// More than `max_statements` is a Problem at the first statement past it, where splitting
// stops.
std::vector<Statement> split_statements(db::Backend backend, const Migration& m, Direction dir,
                                        std::vector<Problem>& problems,
                                        int max_statements = InputLimits{}.max_statements);
// Sets `st.transactional` and `st.concurrent_index` from its SQL: whether the backend runs it
// inside a transaction block, and the index a CREATE INDEX CONCURRENTLY builds — the one
// classifier the splitter, the linter and expand share.
void classify_statement(db::Backend backend, Statement& st);

// The same for SQL text from elsewhere (a declarative file's `sql` operation), whose first
// character is on `first_line` of `path`. Each statement keeps the comments before it (an
// inline `-- tandem:ignore RULE` stays with its statement).
std::vector<Statement> split_sql(db::Backend backend, const std::string& path,
                                 const std::string& sql, int first_line,
                                 std::vector<Problem>& problems);

}  // namespace tandem
