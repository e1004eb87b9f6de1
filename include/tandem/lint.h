#pragma once
// `tandem lint`: migration SQL checked on the real PostgreSQL parser (libpg_query) for the
// statements that take long locks, rewrite or scan tables, or break the application version
// still running — each finding with the lock it takes and the safe way to write it.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tandem/migration.h"
#include "tandem/status.h"

namespace tandem::db {
class Connection;
}

namespace tandem::lint {

enum class Severity { kOff = 0, kInfo = 1, kWarning = 2, kError = 3 };
const char* severity_name(Severity s);  // "off" | "info" | "warning" | "error"
// Parses "off", "info", "warning", "error"; false when it is none of them.
bool parse_severity(const std::string& text, Severity& out);

// PostgreSQL's table lock levels, weakest first.
enum class Lock {
  kNone = 0,
  kAccessShare,
  kRowShare,
  kRowExclusive,
  kShareUpdateExclusive,
  kShare,
  kShareRowExclusive,
  kExclusive,
  kAccessExclusive
};
const char* lock_name(Lock l);  // "ACCESS EXCLUSIVE", …, "none"

// What a statement does to the tables it touches, judged from the statement alone.
struct Classification {
  Lock lock = Lock::kNone;
  std::string relation;   // the table (or index) locked, "" when none
  bool rewrites = false;  // the table is rewritten (every row copied, indexes rebuilt)
  bool scans = false;     // the whole table is read while the lock is held
  bool blocks_writes() const { return lock >= Lock::kShare; }
  bool blocks_reads() const { return lock == Lock::kAccessExclusive; }
};

struct Finding {
  std::string file;
  int line = 0, column = 0;
  std::string rule;  // "index-not-concurrent"
  Severity severity = Severity::kError;
  std::string message;  // what is wrong here, one line
  std::string why;      // the rule's one-line reason
  std::string lock;     // "SHARE on orders (blocks writes)"
  std::string fix;      // the safe way, as SQL
  // For SQL tandem generated from a declarative migration: what generated it and the
  // statement ("start of add_column: ALTER TABLE …"), since the file does not show it.
  std::string generated;
};

struct StatementReport {
  std::string file;
  int line = 0, column = 0;
  std::string sql;  // the statement, whitespace collapsed
  Classification classification;
  std::vector<Finding> findings;
};

// A source the parser refused (LintOptions::continue_after_parse_errors).
struct ParseError {
  std::string file;
  int line = 0, column = 0;
  std::string message;    // the parser's: "syntax error at or near …"
  std::string generated;  // for SQL a declarative migration supplies: what holds it
};

struct LintReport {
  std::vector<StatementReport> statements;
  std::vector<Finding> findings;  // every finding above off, in file order
  std::vector<ParseError> parse_errors;
  int files = 0;  // distinct files reported on (a file linted in several parts counts once)
  long long elapsed_us = 0;
  // The highest severity among the findings (kOff when none).
  Severity worst() const;
};

// A column's type as a live database has it.
struct ColumnType {
  std::string name;  // as the linter names types: "int4", "varchar(20)", "numeric(10,2)", "text[]"
  std::string display;  // as PostgreSQL prints it (format_type): "integer", "character varying(20)"
};

// What migrations do not say about the tables they change but did not create: the current
// types of their columns, read from a live database. The linter asks only for a column whose
// type a statement changes, and only reads.
class ColumnTypes {
 public:
  virtual ~ColumnTypes() = default;
  // The type of `column` in `table` (as written: "orders", "app.orders"); nullopt when the
  // database has no such table or column.
  virtual Result<std::optional<ColumnType>> type_of(const std::string& table,
                                                    const std::string& column) = 0;
  // Whether PostgreSQL changes type `from` to `to` (linter names; `to` without a modifier)
  // through a binary-coercible cast (pg_cast.castmethod 'b'): no rewrite, no scan.
  virtual Result<bool> binary_coercible(const std::string& from, const std::string& to) = 0;
};

// Column types from the PostgreSQL database behind `conn` (catalog queries only; `conn` must
// outlive the result). Unqualified tables are looked up in `schema` (tandem's --schema, the
// search_path migrations run with).
std::shared_ptr<ColumnTypes> live_column_types(db::Connection& conn, const std::string& schema);
// The same from the PostgreSQL database at `db_url`, connected on first use (a lint that changes
// no such column never connects) in a read-only session; a failed connection is the lint's
// Database error.
std::shared_ptr<ColumnTypes> live_column_types(const std::string& db_url,
                                               const std::string& schema);

struct LintOptions {
  // Per-rule severity overrides ("off" disables a rule).
  std::map<std::string, Severity> severity;
  // Report findings only in these files (Source::file); empty: in every file. The others are
  // still read, for the tables and column types they create.
  std::vector<std::string> only_files;
  // The runner sets lock_timeout itself (tandem does: --lock-timeout), so a missing
  // `SET lock_timeout` is no finding.
  bool runner_sets_lock_timeout = false;
  // Where the current types of columns of tables no linted file created come from (null:
  // nowhere). A type change judged on it: a rewrite is an error naming the type the catalog
  // has; a binary-coercible change is an info note.
  std::shared_ptr<ColumnTypes> column_types;
  // The severity of a type change whose old type is unknown (no linted file shows it and
  // column_types does not either): it may rewrite the table, so it fails closed by default.
  Severity unknown_type_change = Severity::kError;
  // A source that does not parse: false (default) fails the whole lint with the parse error;
  // true records it in LintReport::parse_errors and goes on with the next source, so one
  // unparsable file cannot hide the findings of the others (what a safety gate needs).
  bool continue_after_parse_errors = false;
};

// One input: its name for messages, its SQL, and the line its first character is on.
struct Source {
  std::string file;
  std::string sql;
  int first_line = 1;
  // Runs as one transaction (tandem's default for a migration); false for
  // `-- tandem:no-transaction` files: each statement commits on its own.
  bool transaction = true;
  // SQL tandem generates for a declarative migration: what generated it ("start of
  // add_column"). Its statements are reported at `first_line` (the operation's line in `file`)
  // with the statement shown, and tandem runs them under lock_timeout.
  std::string generated_by = {};
  // Continues the previous source's migration (the next step of one declarative migration):
  // what the earlier steps created still counts as created in this migration.
  bool continues = false;
  // Runs once the old application version is gone (`tandem complete`): removing and renaming
  // break nothing then.
  bool old_version_gone = false;
  // Read only for what it creates (an earlier migration of the folder a linted file is in):
  // no findings, not in the report's statements or files; `trace` applies it untraced.
  bool context = false;
};

// Lints `sources` in order, as one migration history: tables created in an earlier source
// are known (with their columns' types); objects created in the same source draw no findings.
// A parse error is an InvalidInput naming file, line and column.
Result<LintReport> lint(const std::vector<Source>& sources, const LintOptions& options = {});

// The sources to lint for `tandem lint PATH…`: a folder is read as a migrations folder (the up
// section of every migration, in version order), a file with tandem/dbmate markers as one
// migration, any other file as plain SQL. No paths: the migrations folder `dir`.
// A migration file of a migrations folder comes after the folder's earlier migrations (lower
// versions), read as `lint DIR` reads them, as context sources (Source::context); files of one
// folder are read in version order.
// `formats`: what migration files besides SQL look like (the declarative format; see
// engine/hooks.h) — their written SQL is linted. A file larger than `limits.max_file_bytes` is
// refused unread, as `tandem validate` reports it.
Result<std::vector<Source>> sources(const std::vector<std::string>& paths, const std::string& dir,
                                    const Formats& formats = {}, const InputLimits& limits = {});

enum class Format { kText, kJson, kSarif, kGithub };
// Parses "text", "json", "sarif", "github"; false for anything else.
bool parse_format(const std::string& text, Format& out);
// The report as `format`: text is gcc style (`file:line:col: error rule-id: message`, then the
// lock and the fix), json one document, sarif 2.1.0 for code-scanning UIs, github workflow
// annotations. `explain` adds every statement's lock and rewrite/scan classification (text
// and json).
std::string render(const LintReport& report, Format format, bool explain = false);

// Severity overrides from `rule id → level` text (a config file's lint.rules); errors name the
// unknown rule or level.
Result<std::map<std::string, Severity>> severities(const std::map<std::string, std::string>& text);

// The `lint:` section of a tandem config file (YAML):
//   lint:
//     fail_on: warning          # error (default) | warning | info
//     rules: {prefer-text: off, missing-lock-timeout: error}
struct Config {
  std::map<std::string, std::string> rules;
  std::string fail_on;  // "" when not set
};
// Reads `path`; a missing file is an empty config when `optional`. Errors name the file, the
// line and what is wrong.
Result<Config> load_config(const std::string& path, bool optional);

// The lint gate of `up`, `plan` and `start` on PostgreSQL: error-level findings in what would
// run are refused before anything changes.
struct GateOptions {
  bool allow_unsafe = false;  // apply anyway (--allow-unsafe)
  // Rule severities from the config file's lint.rules: rule id → off | info | warning | error.
  std::map<std::string, std::string> severity;
};

// Error-level findings in the pending SQL migrations `pending` (paths) of the folder `dir`
// — what `tandem up` refuses to apply without --allow-unsafe — as problems with the fix in
// the hint.
// `column_types` (the live database's, when there is one) decides type changes of columns the
// files do not create; without it they fail closed. A file the parser refuses is a problem.
Result<std::vector<Problem>> unsafe_problems(const std::string& dir,
                                             const std::vector<std::string>& pending,
                                             const std::map<std::string, std::string>& rules,
                                             std::shared_ptr<ColumnTypes> column_types = nullptr,
                                             const Formats& formats = {},
                                             const InputLimits& limits = {});

// `tandem lint --trace`: what each statement did on a real PostgreSQL, measured.
struct TracedStatement {
  std::string file;
  int line = 0, column = 0;
  std::string sql;
  Classification expected;                 // the static classification
  bool traced = false;                     // false: not run in the traced transaction (see note)
  Lock lock = Lock::kNone;                 // the strongest lock it newly took on a table
  std::string relation;                    // … and on which table
  std::vector<std::string> locks;          // every new table lock, "ACCESS EXCLUSIVE on t"
  std::vector<std::string> rewritten;      // tables whose relfilenode changed
  std::vector<std::string> scanned;        // tables it read sequentially
  std::string note;                        // why not traced, or the error it raised
  std::vector<std::string> disagreements;  // where the trace differs from `expected`
};

// Runs `sources` in order on the PostgreSQL database `db_url` (a scratch database as it was
// before these migrations: each statement is traced alone inside a transaction that is rolled
// back, then applied for real so the next one finds what it created), recording per statement
// the table locks it took (pg_locks), whether it rewrote a table (relfilenode changed) and
// scanned one (pg_stat_xact_user_tables). Statements that cannot run in a transaction
// (CONCURRENTLY) are applied but not traced; context sources are applied, not traced and not
// reported unless a statement of theirs fails. Refused (InvalidInput, nothing run) when the
// database already has a table, index, view, sequence or schema the sources create — it is
// not empty, e.g. an earlier trace ran there; the error names the database and the object.
Result<std::vector<TracedStatement>> trace(const std::vector<Source>& sources,
                                           const std::string& db_url);
// The traced statements as text (one block per statement, then a summary) or one JSON document.
std::string render_trace(const std::vector<TracedStatement>& traced, bool json);

// `tandem lint --trace`: what `lint` reports and what `trace` measured, of the same sources.
struct TraceReport {
  LintReport lint;
  std::vector<TracedStatement> traced;
  // Some traced statement differs from the static analysis.
  bool differs() const;
};
// Lints `sources` with `options` — before anything runs, so LintOptions::column_types reads the
// database as the migrations find it — then traces them on `db_url`.
Result<TraceReport> lint_and_trace(const std::vector<Source>& sources, const LintOptions& options,
                                   const std::string& db_url);
// `report` as `format`: text is the lint report then the trace; json one document (files,
// findings, the traced statements, worst); sarif and github only the findings (they have no
// place for measurements: print render_trace elsewhere).
std::string render(const TraceReport& report, Format format, bool explain = false);

// The error-level findings of `report` as problems, with the fix in the hint: what `tandem up`
// and `tandem start` refuse without --allow-unsafe.
std::vector<Problem> unsafe_findings(const LintReport& report);
// The sources of `report` the parser refused, as problems: a gate that cannot read a statement
// refuses it (LintOptions::continue_after_parse_errors).
std::vector<Problem> parse_problems(const LintReport& report);

// Whether the SQL expression `expr` calls a function PostgreSQL marks volatile (random(),
// nextval(), gen_random_uuid(), clock_timestamp(), …): as a column default it is computed per
// row. False for an expression that does not parse.
bool volatile_expression(const std::string& expr);

struct RuleInfo {
  std::string id, reason;
  Severity default_severity;
};
// Every rule, in the order they are checked.
std::vector<RuleInfo> rules();

}  // namespace tandem::lint
