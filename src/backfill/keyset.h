#pragma once
// Key ranges over a table's row key (its primary key, or a unique NOT NULL index), shared by
// the backfill, `verify` and `verify --tables`. A range (after, upto] is a row-value
// comparison on the key columns, so every batch is an index range scan whatever plan the
// server caches, and a batch's upper key is found first (OFFSET n-1 past `after`).

#include <string>
#include <vector>

#include "tandem/db.h"

namespace tandem::backfill {

// A key as the text of each of its columns; empty = unbounded on that side.
using Key = std::vector<std::string>;

struct KeyRange {
  Key after;  // rows with key > after ("" = from the first row)
  Key upto;   // rows with key <= upto ("" = to the last row)
};

class Keyset {
 public:
  explicit Keyset(std::vector<std::string> key_columns);

  // `"a", "b"`: the key columns, quoted, for ORDER BY and row-value comparisons.
  const std::string& columns() const { return columns_; }
  size_t size() const { return key_.size(); }

  // The key of the row `n` rows past `after` in `table` (a quoted, qualified name) — the upper
  // bound of the next batch of n rows; empty when fewer than n rows remain.
  Result<Key> bound(db::Connection& conn, const std::string& table, const Key& after,
                    long long n) const;
  // Every key in `range` of `table`, in key order (used to find one failing row).
  Result<std::vector<Key>> keys(db::Connection& conn, const std::string& table,
                                const KeyRange& range) const;

  // The SQL condition selecting `range`, its bound values appended to `params` (placeholders
  // numbered after the ones already there). "true" for an unbounded range.
  std::string predicate(const KeyRange& range, std::vector<db::Param>& params) const;

 private:
  std::string select_list() const;
  std::vector<std::string> key_;
  std::string columns_;
};

// A key as a JSON array of text ("[\"42\"]") — checkpoints and messages.
std::string key_json(const Key& key);
// The key `json` holds; an error (not an exception) when it is not an array of strings — a
// checkpoint edited or corrupted in the database.
Result<Key> key_from_json(const std::string& json);
// A key for people: "(42)" / "(7, 'b')".
std::string key_text(const Key& key);

}  // namespace tandem::backfill
