#include "backfill/keyset.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace tandem::backfill {

Keyset::Keyset(std::vector<std::string> key_columns) : key_(std::move(key_columns)) {
  for (size_t i = 0; i < key_.size(); ++i) {
    if (i > 0) columns_ += ", ";
    columns_ += db::quote_ident(key_[i]);
  }
}

std::string Keyset::select_list() const {
  std::string out;
  for (size_t i = 0; i < key_.size(); ++i) {
    // Not named like the key column: ORDER BY "id" must sort by the column, not by its text.
    out += fmt::format("{}{}::text AS _tandem_k{}", i ? ", " : "", db::quote_ident(key_[i]), i);
  }
  return out;
}

std::string Keyset::predicate(const KeyRange& range, std::vector<db::Param>& params) const {
  std::string out;
  auto side = [&](const Key& key, const char* op) {
    if (key.empty()) return;
    std::string values;
    for (size_t i = 0; i < key.size(); ++i) {
      params.push_back(key[i]);
      values += fmt::format("{}${}", i ? ", " : "", params.size());
    }
    out += fmt::format("{}({}) {} ({})", out.empty() ? "" : " AND ", columns_, op, values);
  };
  side(range.after, ">");
  side(range.upto, "<=");
  return out.empty() ? "true" : out;
}

Result<Key> Keyset::bound(db::Connection& conn, const std::string& table, const Key& after,
                          long long n) const {
  std::vector<db::Param> params;
  std::string where = predicate(KeyRange{after, {}}, params);
  params.push_back(std::to_string(n - 1));
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r,
      conn.query(fmt::format("SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT 1 OFFSET ${}",
                             select_list(), table, where, columns_, params.size()),
                 params));
  Key out;
  for (size_t i = 0; !r.empty() && i < r.columns.size(); ++i) out.push_back(r.text(0, i));
  return out;
}

Result<std::vector<Key>> Keyset::keys(db::Connection& conn, const std::string& table,
                                      const KeyRange& range) const {
  std::vector<db::Param> params;
  std::string where = predicate(range, params);
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r, conn.query(fmt::format("SELECT {} FROM {} WHERE {} ORDER BY {}", select_list(),
                                         table, where, columns_),
                             params));
  std::vector<Key> out(r.size());
  for (size_t row = 0; row < r.size(); ++row)
    for (size_t i = 0; i < r.columns.size(); ++i) out[row].push_back(r.text(row, i));
  return out;
}

std::string key_json(const Key& key) { return nlohmann::json(key).dump(); }

Result<Key> key_from_json(const std::string& json) {
  nlohmann::json parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  bool ok = parsed.is_array() && !parsed.empty();
  Key key;
  for (const auto& part : parsed) {
    if (!part.is_string()) {
      ok = false;
      break;
    }
    key.push_back(part.get<std::string>());
  }
  if (!ok) {
    return Status::Database(
        fmt::format("a backfill checkpoint is not a key: {}", json.substr(0, 80)), "",
        "tandem.backfill_jobs was edited by hand or is corrupted: `tandem rollback` undoes the "
        "migration, or set the job's checkpoint to NULL to backfill the table from its start");
  }
  return key;
}

std::string key_text(const Key& key) {
  std::string out = "(";
  for (size_t i = 0; i < key.size(); ++i) {
    bool number = !key[i].empty() && key[i].find_first_not_of("0123456789-.") == std::string::npos;
    out += (i ? ", " : "") + (number ? key[i] : "'" + key[i] + "'");
  }
  return out + ")";
}

}  // namespace tandem::backfill
