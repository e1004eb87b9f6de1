#pragma once
// The history tables: one row per migration that is applied (or failed part-way), and an
// append-only event log of every up, down, repair and baseline.
// PostgreSQL: schema `tandem`; SQLite: tables prefixed `tandem_`.

#include <string>
#include <vector>

#include "tandem/db.h"
#include "tandem/status.h"

namespace tandem {

struct HistoryRow {
  std::string version;
  std::string name;
  std::string checksum;
  std::string status;            // applied | failed | running | baseline
  std::string direction = "up";  // direction of the last run: up | down
  std::string applied_at;        // ISO-8601 UTC
  long long duration_ms = 0;
  std::string applied_by;
  std::string tandem_version;
  bool transactional = true;
  int statements_applied = 0;
  int statements_total = 0;
  std::string error;
  std::string failed_statement;
};

class History {
 public:
  explicit History(db::Connection& conn);

  // Whether the history tables exist (read-only check).
  Result<bool> exists();
  // Creates schema/tables if missing. Call only while holding the migration lock.
  Status ensure();
  // Rows sorted by version.
  Result<std::vector<HistoryRow>> load();
  Status upsert(const HistoryRow& row);
  Status remove(const std::string& version);
  // Appends one event. `action`: up, down, up_failed, down_failed, repair, baseline.
  Status event(const std::string& action, const HistoryRow& row, const std::string& detail = {});

  const std::string& migrations_table() const { return migrations_; }
  const std::string& events_table() const { return events_; }

  // Current time as ISO-8601 UTC with milliseconds.
  static std::string now();
  // The declarative migration `tandem start` made active ("version:step"), or "" (PostgreSQL).
  Result<std::string> active_migration();
  // Who is applying: the database user (PostgreSQL) or the OS user (SQLite).
  Result<std::string> applied_by();

 private:
  db::Connection& conn_;
  bool pg_;
  std::string migrations_, events_, meta_;
  std::string applied_by_;
};

}  // namespace tandem
