// The flag tables (tandem/flags.h): one row per flag, one audit event per change, written in
// one transaction so that no change is ever unaudited.

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "db/json_depth.h"
#include "db/utf8.h"
#include "tandem/flags.h"

namespace tandem::flags {

namespace {

using json = nlohmann::json;

std::string now_iso() {
  auto t = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf, static_cast<int>(ms % 1000));
}

std::string list_json(const std::vector<std::string>& list) {
  return json(list).dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<std::vector<std::string>> list_from(const std::string& text, const std::string& key) {
  // A list of strings nests one deep: anything deeper is not one (and is not parsed).
  json j = json_depth::measure(text, 3) <= 2 ? json::parse(text, nullptr, false) : json();
  if (j.is_discarded() || !j.is_array())
    return Status::Database(fmt::format("flag {}: a stored key list is not a JSON array", key), {},
                            "the flag row was edited by hand: `tandem flag set` it again");
  std::vector<std::string> out;
  for (const json& v : j) {
    if (!v.is_string())
      return Status::Database(fmt::format("flag {}: a stored key is not a string", key));
    out.push_back(v.get<std::string>());
  }
  return out;
}

constexpr const char* kColumns =
    "key, type, value, fallback, allow_keys, deny_keys, percent, description, version, "
    "updated_at, updated_by";

Result<Flag> row_flag(const db::Rows& rows, size_t i) {
  Flag f;
  f.key = rows.text(i, 0);
  auto type = parse_type(rows.text(i, 1));
  if (!type)
    return Status::Database(fmt::format("flag {} has an unknown type `{}`", f.key, rows.text(i, 1)),
                            {}, "a newer tandem wrote it, or it was edited by hand");
  f.type = *type;
  f.value = rows.text(i, 2);
  f.fallback = rows.text(i, 3);
  TANDEM_ASSIGN_OR_RETURN(f.allow, list_from(rows.text(i, 4), f.key));
  TANDEM_ASSIGN_OR_RETURN(f.deny, list_from(rows.text(i, 5), f.key));
  auto percent = rows.number(i, 6);
  if (!percent.ok())
    return Status::Database(fmt::format("flag {} in the database is not valid: its percent", f.key),
                            {}, "`tandem flag set` it again (or `tandem flag delete` it)");
  f.percent = *percent;
  f.description = rows.text(i, 7);
  TANDEM_ASSIGN_OR_RETURN(f.version, rows.integer(i, 8));
  f.updated_at = rows.text(i, 9);
  f.updated_by = rows.text(i, 10);
  // What the evaluators serve must be what its type says: a hand-edited row that is not is
  // refused here rather than served.
  TANDEM_RETURN_IF_ERROR(check_stored(f));
  return f;
}

}  // namespace

FlagStore::FlagStore(db::Connection& conn)
    : conn_(conn), postgres_(conn.backend() == db::Backend::kPostgres) {}

std::string FlagStore::table(const char* name) const {
  return postgres_ ? fmt::format("tandem.{}", name) : fmt::format("tandem_{}", name);
}

Result<std::unique_ptr<FlagStore>> FlagStore::open(const std::string& url, bool create,
                                                   std::string application_name) {
  db::ConnectOptions options;
  options.application_name = std::move(application_name);
  options.create = create;
  options.connect_timeout_s = 5;
  TANDEM_ASSIGN_OR_RETURN(auto conn, db::connect(url, options));
  std::unique_ptr<FlagStore> store(new FlagStore(*conn));
  store->owned_ = std::move(conn);
  if (create) {
    if (!store->postgres_) (void)store->conn_.execute("PRAGMA journal_mode=WAL");
    TANDEM_RETURN_IF_ERROR(store->create_tables());
  } else {
    TANDEM_ASSIGN_OR_RETURN(store->present_, store->tables_present());
  }
  return store;
}

Result<std::unique_ptr<FlagStore>> FlagStore::on(db::Connection& conn, bool create) {
  std::unique_ptr<FlagStore> store(new FlagStore(conn));
  if (create) {
    TANDEM_RETURN_IF_ERROR(store->create_tables());
  } else {
    TANDEM_ASSIGN_OR_RETURN(store->present_, store->tables_present());
  }
  return store;
}

Result<bool> FlagStore::tables_present() {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows present,
      conn_.query(postgres_ ? "SELECT (to_regclass('tandem.flags') IS NOT NULL AND "
                              "to_regclass('tandem.flag_events') IS NOT NULL)::int"
                            : "SELECT count(*) = 2 FROM sqlite_master WHERE type = 'table' AND "
                              "name IN ('tandem_flags', 'tandem_flag_events')"));
  return present.text(0, 0) == "1";
}

Status FlagStore::create_tables() {
  std::vector<std::string> ddl;
  if (postgres_) ddl.push_back("CREATE SCHEMA IF NOT EXISTS tandem");
  ddl.push_back(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (key text PRIMARY KEY, type text NOT NULL, value text NOT "
      "NULL, fallback text NOT NULL, allow_keys text NOT NULL, deny_keys text NOT NULL, percent "
      "double precision NOT NULL, description text NOT NULL, version bigint NOT NULL, "
      "updated_at text NOT NULL, updated_by text NOT NULL)",
      table("flags")));
  ddl.push_back(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (id {} PRIMARY KEY, key text NOT NULL, at text NOT NULL, "
      "actor text NOT NULL, action text NOT NULL, before text NOT NULL, after text NOT NULL, "
      "reason text NOT NULL)",
      table("flag_events"), postgres_ ? "bigserial" : "integer"));
  ddl.push_back(fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} (key, id)",
                            postgres_ ? "flag_events_key" : "tandem_flag_events_key",
                            table("flag_events")));
  // Tables that exist are not created again (no DDL, no lock on the catalog).
  TANDEM_ASSIGN_OR_RETURN(present_, tables_present());
  if (present_) return Status::Ok();
  for (const std::string& sql : ddl) {
    Status st = conn_.execute(sql);
    // Two processes creating the same table at once: one sees a unique violation on the
    // catalog (23505) or a duplicate object (42P06/42P07); the table exists either way.
    if (!st.ok() &&
        (st.sqlstate() == "23505" || st.sqlstate() == "42P06" || st.sqlstate() == "42P07"))
      st = conn_.execute(sql);
    if (!st.ok()) return st.with_context("creating the flag tables: ");
  }
  present_ = true;
  return Status::Ok();
}

Result<std::optional<Flag>> FlagStore::get(const std::string& key) {
  if (!present_) return std::optional<Flag>();
  TANDEM_ASSIGN_OR_RETURN(db::Rows rows, conn_.query(fmt::format("SELECT {} FROM {} WHERE key = $1",
                                                                 kColumns, table("flags")),
                                                     {key}));
  if (rows.empty()) return std::optional<Flag>();
  TANDEM_ASSIGN_OR_RETURN(Flag f, row_flag(rows, 0));
  return std::optional<Flag>(std::move(f));
}

Result<std::vector<Flag>> FlagStore::list(std::vector<Status>* invalid) {
  if (!present_) return std::vector<Flag>();
  TANDEM_ASSIGN_OR_RETURN(db::Rows rows, conn_.query(fmt::format("SELECT {} FROM {} ORDER BY key",
                                                                 kColumns, table("flags"))));
  std::vector<Flag> out;
  out.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    auto f = row_flag(rows, i);
    if (!f.ok()) {
      if (invalid == nullptr) return f.status();
      invalid->push_back(f.status());
      continue;
    }
    out.push_back(std::move(*f));
  }
  return out;
}

Result<Flag> FlagStore::set(const FlagChange& change) {
  TANDEM_RETURN_IF_ERROR(check_key(change.key));
  if (!present_) TANDEM_RETURN_IF_ERROR(create_tables());
  TANDEM_ASSIGN_OR_RETURN(db::Transaction tx,
                          db::Transaction::begin(conn_, postgres_ ? "BEGIN" : "BEGIN IMMEDIATE"));
  // Two concurrent changes of one key are applied one after the other, each audited against
  // what it really replaced. A row lock cannot do it for a key that does not exist yet (two
  // creations would both see none): PostgreSQL takes a transaction lock on the key's hash
  // first; SQLite's BEGIN IMMEDIATE already admits one writer.
  if (postgres_)
    TANDEM_RETURN_IF_ERROR(
        conn_.query("SELECT pg_advisory_xact_lock(1718165616, hashtext($1))", {change.key})
            .status());
  TANDEM_ASSIGN_OR_RETURN(db::Rows rows,
                          conn_.query(fmt::format("SELECT {} FROM {} WHERE key = $1{}", kColumns,
                                                  table("flags"), postgres_ ? " FOR UPDATE" : ""),
                                      {change.key}));
  std::optional<Flag> current;
  long long corrupt_version = -1;  // a row that is not a valid flag: replaced, its version kept
  if (!rows.empty()) {
    auto f = row_flag(rows, 0);
    if (f.ok()) {
      current = std::move(*f);
    } else {
      auto v = rows.integer(0, 8);
      corrupt_version = v.ok() && *v > 0 ? *v : 0;
    }
  }
  if (change.expect_version && *change.expect_version == 0 && current)
    return Status::Problem(
        fmt::format("flag {} exists already (version {})", change.key, current->version),
        "--if-version 0 only creates a flag; give its version to change it");
  if (change.expect_version && *change.expect_version != (current ? current->version : 0))
    return Status::Problem(
        fmt::format("flag {} is at version {}, not {}: someone changed it meanwhile", change.key,
                    current ? current->version : 0, *change.expect_version),
        "read it again (`tandem flag get`) and decide on the new value");
  TANDEM_ASSIGN_OR_RETURN(Flag f, apply_change(current, change));
  if (corrupt_version >= 0) f.version = corrupt_version + 1;
  f.updated_at = now_iso();
  f.updated_by = change.actor.empty() ? "unknown" : change.actor;
  std::vector<db::Param> params = {f.key,
                                   type_name(f.type),
                                   f.value,
                                   f.fallback,
                                   list_json(f.allow),
                                   list_json(f.deny),
                                   fmt::format("{:.2f}", f.percent),
                                   f.description,
                                   std::to_string(f.version),
                                   f.updated_at,
                                   f.updated_by};
  TANDEM_RETURN_IF_ERROR(
      conn_
          .query(fmt::format(
                     "INSERT INTO {} ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                     "ON CONFLICT (key) DO UPDATE SET type = excluded.type, value = "
                     "excluded.value, fallback = excluded.fallback, allow_keys = "
                     "excluded.allow_keys, deny_keys = excluded.deny_keys, percent = "
                     "excluded.percent, description = excluded.description, version = "
                     "excluded.version, updated_at = excluded.updated_at, updated_by = "
                     "excluded.updated_by",
                     table("flags"), kColumns),
                 params)
          .status());
  TANDEM_RETURN_IF_ERROR(
      conn_
          .query(fmt::format("INSERT INTO {} (key, at, actor, action, before, after, reason) "
                             "VALUES ($1, $2, $3, 'set', $4, $5, $6)",
                             table("flag_events")),
                 {f.key, f.updated_at, f.updated_by, current ? to_json(*current) : std::string(),
                  to_json(f), change.reason})
          .status());
  TANDEM_RETURN_IF_ERROR(tx.commit());
  return f;
}

Status FlagStore::remove(const std::string& key, const std::string& actor,
                         const std::string& reason) {
  TANDEM_RETURN_IF_ERROR(check_key(key));
  if (!utf8::valid(reason) || reason.size() > 4096)
    return Status::InvalidInput("--reason is not valid UTF-8 or longer than 4096 bytes");
  if (!present_)
    return Status::InvalidInput(fmt::format("there is no flag {}", key),
                                "`tandem flag list` shows the flags there are");
  TANDEM_ASSIGN_OR_RETURN(db::Transaction tx,
                          db::Transaction::begin(conn_, postgres_ ? "BEGIN" : "BEGIN IMMEDIATE"));
  TANDEM_ASSIGN_OR_RETURN(db::Rows rows,
                          conn_.query(fmt::format("SELECT {} FROM {} WHERE key = $1{}", kColumns,
                                                  table("flags"), postgres_ ? " FOR UPDATE" : ""),
                                      {key}));
  if (rows.empty())
    return Status::InvalidInput(fmt::format("there is no flag {}", key),
                                "`tandem flag list` shows the flags there are");
  // A row that is not a valid flag can be deleted too (its event has no `before`).
  auto current = row_flag(rows, 0);
  TANDEM_RETURN_IF_ERROR(
      conn_.query(fmt::format("DELETE FROM {} WHERE key = $1", table("flags")), {key}).status());
  TANDEM_RETURN_IF_ERROR(
      conn_
          .query(fmt::format("INSERT INTO {} (key, at, actor, action, before, after, reason) "
                             "VALUES ($1, $2, $3, 'delete', $4, '', $5)",
                             table("flag_events")),
                 {key, now_iso(), actor.empty() ? "unknown" : actor,
                  current.ok() ? to_json(*current) : std::string(), reason})
          .status());
  return tx.commit();
}

Result<std::vector<FlagEvent>> FlagStore::history(const std::string& key, int limit) {
  if (!key.empty()) TANDEM_RETURN_IF_ERROR(check_key(key));
  if (limit < 1)
    return Status::InvalidInput(fmt::format("--limit {} is not a positive number", limit));
  if (!present_) return std::vector<FlagEvent>();
  std::string sql = fmt::format(
      "SELECT id, key, at, actor, action, before, after, reason FROM {}{} ORDER BY id DESC "
      "LIMIT {}",
      table("flag_events"), key.empty() ? "" : " WHERE key = $1", limit);
  std::vector<db::Param> params;
  if (!key.empty()) params.push_back(key);
  TANDEM_ASSIGN_OR_RETURN(db::Rows rows, conn_.query(sql, params));
  std::vector<FlagEvent> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    FlagEvent e;
    TANDEM_ASSIGN_OR_RETURN(e.id, rows.integer(i, 0));
    e.key = rows.text(i, 1);
    e.at = rows.text(i, 2);
    e.actor = rows.text(i, 3);
    e.action = rows.text(i, 4);
    e.before = rows.text(i, 5);
    e.after = rows.text(i, 6);
    e.reason = rows.text(i, 7);
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::string> FlagStore::generation() {
  // Tables created since (the first `tandem flag set` of another process) are found here.
  if (!present_) {
    TANDEM_ASSIGN_OR_RETURN(present_, tables_present());
  }
  if (!present_) return std::string("0:0");
  TANDEM_ASSIGN_OR_RETURN(db::Rows rows,
                          conn_.query(fmt::format("SELECT count(*), coalesce(max(id), 0) FROM {}",
                                                  table("flag_events"))));
  // Events are only ever appended: their count grows with every committed change, even when
  // ids (a PostgreSQL sequence) commit out of order.
  return rows.text(0, 0) + ":" + rows.text(0, 1);
}

}  // namespace tandem::flags
