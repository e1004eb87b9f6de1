// `tandem verify --tables A B`: do two tables hold the same rows? Chunk by chunk along A's key,
// an order-independent checksum of each chunk's rows (bit_xor of 64 bits of md5 per row, and
// the count) on both sides under one snapshot — the pt-table-checksum / Spirit approach —
// then, inside a differing chunk only, the keys whose rows differ.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>

#include "backfill/keyset.h"
#include "engine/session.h"
#include "tandem/backfill.h"

namespace tandem::backfill {
namespace {

constexpr size_t kSamples = 5;

struct Table {
  std::string given, sql;  // as the user wrote it; quoted and qualified
  std::string oid;
};

// "orders" (in --schema) or "archive.orders".
Result<Table> resolve(db::Connection& conn, const std::string& schema, const std::string& name) {
  Table t;
  t.given = name;
  size_t dot = name.find('.');
  t.sql = dot == std::string::npos
              ? db::quote_ident(schema) + "." + db::quote_ident(name)
              : db::quote_ident(name.substr(0, dot)) + "." + db::quote_ident(name.substr(dot + 1));
  TANDEM_ASSIGN_OR_RETURN(db::Rows r, conn.query("SELECT to_regclass($1)::oid", {t.sql}));
  if (r.text(0, 0).empty()) {
    return Status::InvalidInput(fmt::format("table {} does not exist", t.sql),
                                "name it as TABLE (in --schema) or SCHEMA.TABLE");
  }
  t.oid = r.text(0, 0);
  return t;
}

// The primary key's columns, else those of a unique index on NOT NULL columns.
Result<std::vector<std::string>> row_key(db::Connection& conn, const Table& t) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r,
      conn.query(
          "SELECT array_to_json(array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY "
          "k(n, o) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY "
          "k.o))::text FROM pg_index i WHERE i.indrelid = $1::oid AND i.indisunique AND "
          "i.indpred IS NULL AND i.indexprs IS NULL AND NOT EXISTS (SELECT 1 FROM "
          "unnest(i.indkey) k(n) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = "
          "k.n WHERE NOT a.attnotnull) ORDER BY i.indisprimary DESC, i.indnatts LIMIT 1",
          {t.oid}));
  if (r.empty()) {
    return Status::InvalidInput(
        fmt::format("{} has no primary key and no unique index on NOT NULL columns", t.given),
        "verify --tables pages through the first table by its key: add a primary key");
  }
  return key_from_json(r.text(0, 0));
}

Result<std::vector<std::string>> columns_of(db::Connection& conn, const Table& t) {
  TANDEM_ASSIGN_OR_RETURN(db::Rows r,
                          conn.query("SELECT attname FROM pg_attribute WHERE attrelid = $1::oid "
                                     "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                                     {t.oid}));
  std::vector<std::string> out;
  for (size_t i = 0; i < r.size(); ++i) out.push_back(r.text(i, 0));
  return out;
}

}  // namespace

Result<TableDiff> compare_tables(const EngineOptions& options, const std::string& table_a,
                                 const std::string& table_b, long long chunk_rows) {
  auto t0 = std::chrono::steady_clock::now();
  if (chunk_rows < 1) return Status::InvalidInput("--chunk must be at least 1 row");
  TANDEM_ASSIGN_OR_RETURN(
      auto s, Session::open_postgres(options, Hooks{}, "verify --tables",
                                     /*take_lock=*/false, "it compares tables by md5 chunks"));
  db::Connection& conn = *s->conn;
  TANDEM_ASSIGN_OR_RETURN(Table a, resolve(conn, options.schema, table_a));
  TANDEM_ASSIGN_OR_RETURN(Table b, resolve(conn, options.schema, table_b));
  TableDiff diff;
  diff.table_a = table_a;
  diff.table_b = table_b;
  TANDEM_ASSIGN_OR_RETURN(diff.key, row_key(conn, a));
  TANDEM_ASSIGN_OR_RETURN(std::vector<std::string> cols_a, columns_of(conn, a));
  TANDEM_ASSIGN_OR_RETURN(std::vector<std::string> cols_b, columns_of(conn, b));
  for (const std::string& c : cols_a)
    if (std::find(cols_b.begin(), cols_b.end(), c) != cols_b.end()) diff.columns.push_back(c);
  for (const std::string& k : diff.key) {
    if (std::find(cols_b.begin(), cols_b.end(), k) == cols_b.end()) {
      return Status::InvalidInput(
          fmt::format("{} has no column {}, part of {}'s key", table_b, k, table_a),
          "both tables need the key columns of the first one");
    }
  }
  std::string row;
  for (const std::string& c : diff.columns) row += (row.empty() ? "" : ", ") + db::quote_ident(c);
  Keyset keyset(diff.key);
  std::string hash = fmt::format("md5(ROW({})::text)", row);
  std::string sum = fmt::format(
      "SELECT count(*), coalesce(bit_xor(('x' || substr({}, 1, 16))::bit(64)::bigint), 0) FROM "
      "{{}} WHERE {{}}",
      hash);
  std::string rows_sql = fmt::format("SELECT ROW({})::text AS k, {} AS h FROM {{}} WHERE {{}}",
                                     keyset.columns(), hash);

  TANDEM_ASSIGN_OR_RETURN(
      db::Transaction snapshot,
      db::Transaction::begin(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"));
  auto run = [&]() -> Status {
    for (KeyRange range;;) {
      TANDEM_ASSIGN_OR_RETURN(range.upto, keyset.bound(conn, a.sql, range.after, chunk_rows));
      std::vector<db::Param> params;
      std::string where = keyset.predicate(range, params);
      TANDEM_ASSIGN_OR_RETURN(db::Rows ra,
                              conn.query(fmt::format(fmt::runtime(sum), a.sql, where), params));
      TANDEM_ASSIGN_OR_RETURN(db::Rows rb,
                              conn.query(fmt::format(fmt::runtime(sum), b.sql, where), params));
      ++diff.chunks;
      TANDEM_ASSIGN_OR_RETURN(long long na, ra.integer(0, 0));
      TANDEM_ASSIGN_OR_RETURN(long long nb, rb.integer(0, 0));
      diff.rows_a += na;
      diff.rows_b += nb;
      if (na != nb || ra.text(0, 1) != rb.text(0, 1)) {
        DiffRange d{range.after.empty() ? "" : key_text(range.after),
                    range.upto.empty() ? "" : key_text(range.upto),
                    na,
                    nb,
                    {}};
        TANDEM_ASSIGN_OR_RETURN(
            db::Rows keys,
            conn.query(fmt::format("SELECT coalesce(x.k, y.k) FROM ({}) x FULL JOIN ({}) y ON "
                                   "x.k = y.k WHERE x.h IS DISTINCT FROM y.h ORDER BY 1 LIMIT {}",
                                   fmt::format(fmt::runtime(rows_sql), a.sql, where),
                                   fmt::format(fmt::runtime(rows_sql), b.sql, where), kSamples),
                       params));
        for (size_t i = 0; i < keys.size(); ++i) d.sample_keys.push_back(keys.text(i, 0));
        diff.ranges.push_back(std::move(d));
      }
      if (range.upto.empty()) return Status::Ok();
      range.after = range.upto;
    }
  };
  TANDEM_RETURN_IF_ERROR(run());  // an error rolls the snapshot back
  TANDEM_RETURN_IF_ERROR(snapshot.commit());
  diff.elapsed_ms = ms_since(t0);
  return diff;
}

}  // namespace tandem::backfill
