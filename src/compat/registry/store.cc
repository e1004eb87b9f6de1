// The registry's state (compat/registry/store.h).

#include "compat/registry/store.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

namespace tandem::registry {

namespace {

// pg_advisory_xact_lock(class, key): the two-key form has its own key space, apart from the
// one-key locks tandem's migrations take. 0x74616e64 = "tand".
constexpr const char* kLockClass = "1952542308";

}  // namespace

std::string references_json(const std::vector<Reference>& refs) {
  nlohmann::json out = nlohmann::json::array();
  for (const Reference& r : refs)
    out.push_back({{"name", r.name}, {"subject", r.subject}, {"version", r.version}});
  return out.dump();
}

Status Store::lock_subject(const std::string& subject) {
  // A registration waits this long for another one of the same subject (whose check may take
  // seconds), then gives up with a lock timeout the API answers as 50002.
  TANDEM_RETURN_IF_ERROR(conn_->execute("SET LOCAL lock_timeout = '10s'"));
  return conn_
      ->query(fmt::format("SELECT pg_advisory_xact_lock({}, hashtext($1))", kLockClass), {subject})
      .status();
}

Store::Store(std::unique_ptr<db::Connection> conn)
    : conn_(std::move(conn)), postgres_(conn_->backend() == db::Backend::kPostgres) {}

std::string Store::table(const char* name) const {
  return postgres_ ? fmt::format("tandem.registry_{}", name)
                   : fmt::format("tandem_registry_{}", name);
}

Result<std::unique_ptr<Store>> Store::open(const std::string& url) {
  db::ConnectOptions options;
  options.application_name = "tandem registry";
  options.connect_timeout_s = 5;
  TANDEM_ASSIGN_OR_RETURN(auto conn, db::connect(url, options));
  std::unique_ptr<Store> store(new Store(std::move(conn)));
  if (!store->postgres_) (void)store->conn_->execute("PRAGMA journal_mode=WAL");
  TANDEM_RETURN_IF_ERROR(store->create_tables());
  return store;
}

Status Store::create_tables() {
  std::vector<std::string> ddl;
  if (postgres_) {
    ddl.push_back("CREATE SCHEMA IF NOT EXISTS tandem");
    ddl.push_back("CREATE SEQUENCE IF NOT EXISTS tandem.registry_schema_ids");
    ddl.push_back(
        "CREATE TABLE IF NOT EXISTS tandem.registry_schemas (id bigint PRIMARY KEY DEFAULT "
        "nextval('tandem.registry_schema_ids'), schema_type text NOT NULL, schema text NOT NULL, "
        "refs text NOT NULL, fingerprint text NOT NULL UNIQUE)");
  } else {
    // AUTOINCREMENT: an id is never handed out twice, also after a hard delete.
    ddl.push_back(
        "CREATE TABLE IF NOT EXISTS tandem_registry_schemas (id integer PRIMARY KEY "
        "AUTOINCREMENT, schema_type text NOT NULL, schema text NOT NULL, refs text NOT NULL, "
        "fingerprint text NOT NULL UNIQUE)");
  }
  ddl.push_back(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (subject text NOT NULL, version integer NOT NULL, "
      "schema_id bigint NOT NULL, deleted smallint NOT NULL DEFAULT 0, registered_at bigint NOT "
      "NULL, PRIMARY KEY (subject, version))",
      table("versions")));
  ddl.push_back(
      fmt::format("CREATE INDEX IF NOT EXISTS {}registry_versions_schema ON {} (schema_id)",
                  postgres_ ? "" : "tandem_", table("versions")));
  ddl.push_back(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (schema_id bigint NOT NULL, name text NOT NULL, subject "
      "text NOT NULL, version integer NOT NULL, PRIMARY KEY (schema_id, name))",
      table("references")));
  ddl.push_back(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (kind text NOT NULL, subject text NOT NULL, value text NOT "
      "NULL, PRIMARY KEY (kind, subject))",
      table("settings")));
  for (const std::string& sql : ddl) {
    Status st = conn_->execute(sql);
    // Two registries creating the same table at once: one sees a unique violation on the
    // catalog (23505) or a duplicate object (42P06/42P07); the object exists either way.
    if (!st.ok() &&
        (st.sqlstate() == "23505" || st.sqlstate() == "42P06" || st.sqlstate() == "42P07")) {
      st = conn_->execute(sql);
    }
    if (!st.ok()) return st.with_context("creating the registry's tables: ");
  }
  return Status::Ok();
}

Result<std::vector<Reference>> Store::parse_references(const std::string& text) const {
  std::vector<Reference> out;
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return Status::Database("a stored schema's references are not a JSON array");
  for (const auto& r : j) {
    if (!r.is_object() || !r.value("name", nlohmann::json()).is_string() ||
        !r.value("subject", nlohmann::json()).is_string() ||
        !r.value("version", nlohmann::json()).is_number_integer())
      return Status::Database("a stored schema reference is not {name, subject, version}");
    out.push_back(Reference{r["name"].get<std::string>(), r["subject"].get<std::string>(),
                            r["version"].get<int>()});
  }
  return out;
}

Result<std::vector<std::string>> Store::subjects(bool include_deleted, const std::string& prefix) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn_->query(fmt::format("SELECT DISTINCT subject FROM {} WHERE deleted = 0 OR $1 = '1' "
                               "ORDER BY subject",
                               table("versions")),
                   {include_deleted ? "1" : "0"}));
  std::vector<std::string> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string s = rows.text(i, 0);
    if (s.compare(0, prefix.size(), prefix) == 0) out.push_back(std::move(s));
  }
  return out;
}

namespace {

// A subject's version from a row whose first columns are (version, schema_id[, deleted]).
Result<VersionRecord> version_row(const db::Rows& rows, size_t i, const std::string& subject,
                                  bool with_deleted) {
  VersionRecord v;
  v.subject = subject;
  TANDEM_ASSIGN_OR_RETURN(long long version, rows.integer(i, 0));
  v.version = static_cast<int>(version);
  TANDEM_ASSIGN_OR_RETURN(v.id, rows.integer(i, 1));
  v.deleted = with_deleted && rows.text(i, 2) != "0";
  return v;
}

}  // namespace

Result<std::vector<VersionRecord>> Store::versions(const std::string& subject,
                                                   bool include_deleted) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn_->query(fmt::format("SELECT version, schema_id, deleted FROM {} WHERE subject = $1 "
                               "AND (deleted = 0 OR $2 = '1') ORDER BY version",
                               table("versions")),
                   {subject, include_deleted ? "1" : "0"}));
  std::vector<VersionRecord> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    TANDEM_ASSIGN_OR_RETURN(VersionRecord v, version_row(rows, i, subject, true));
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::optional<SchemaRecord>> Store::schema(long long id) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn_->query(fmt::format("SELECT s.schema_type, s.schema, s.refs FROM {} s WHERE s.id = $1 "
                               "AND EXISTS (SELECT 1 FROM {} v WHERE v.schema_id = s.id)",
                               table("schemas"), table("versions")),
                   {std::to_string(id)}));
  if (rows.empty()) return std::optional<SchemaRecord>();
  SchemaRecord s;
  s.id = id;
  s.type = rows.text(0, 0);
  s.text = rows.text(0, 1);
  TANDEM_ASSIGN_OR_RETURN(s.references, parse_references(rows.text(0, 2)));
  return std::optional<SchemaRecord>(std::move(s));
}

Result<std::optional<VersionRecord>> Store::find(const std::string& subject,
                                                 const std::string& fingerprint,
                                                 bool include_deleted) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn_->query(fmt::format("SELECT v.version, v.schema_id, v.deleted FROM {} v JOIN {} s ON "
                               "s.id = v.schema_id WHERE v.subject = $1 AND s.fingerprint = $2 "
                               "AND (v.deleted = 0 OR $3 = '1') ORDER BY v.deleted, v.version "
                               "LIMIT 1",
                               table("versions"), table("schemas")),
                   {subject, fingerprint, include_deleted ? "1" : "0"}));
  if (rows.empty()) return std::optional<VersionRecord>();
  TANDEM_ASSIGN_OR_RETURN(VersionRecord v, version_row(rows, 0, subject, true));
  return std::optional<VersionRecord>(std::move(v));
}

Result<std::vector<VersionRecord>> Store::uses_of(long long id, bool include_deleted) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn_->query(fmt::format("SELECT subject, version, deleted FROM {} WHERE schema_id = $1 "
                               "AND (deleted = 0 OR $2 = '1') ORDER BY subject, version",
                               table("versions")),
                   {std::to_string(id), include_deleted ? "1" : "0"}));
  std::vector<VersionRecord> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    VersionRecord v;
    v.subject = rows.text(i, 0);
    TANDEM_ASSIGN_OR_RETURN(long long version, rows.integer(i, 1));
    v.version = static_cast<int>(version);
    v.id = id;
    v.deleted = rows.text(i, 2) != "0";
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<long long>> Store::referenced_by(const std::string& subject, int version,
                                                    bool include_deleted) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn_->query(fmt::format("SELECT DISTINCT r.schema_id FROM {} r WHERE r.subject = $1 AND "
                               "r.version = $2 AND EXISTS (SELECT 1 FROM {} v WHERE v.schema_id "
                               "= r.schema_id AND (v.deleted = 0 OR $3 = '1')) ORDER BY "
                               "r.schema_id",
                               table("references"), table("versions")),
                   {subject, std::to_string(version), include_deleted ? "1" : "0"}));
  std::vector<long long> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    TANDEM_ASSIGN_OR_RETURN(long long id, rows.integer(i, 0));
    out.push_back(id);
  }
  return out;
}

Result<Registered> Store::register_schema(const std::string& subject, const SchemaRecord& candidate,
                                          const std::string& fingerprint, const Check& check,
                                          std::optional<long long> import_id,
                                          std::optional<int> import_version) {
  TANDEM_ASSIGN_OR_RETURN(db::Transaction tx,
                          db::Transaction::begin(*conn_, postgres_ ? "BEGIN" : "BEGIN IMMEDIATE"));
  if (postgres_) {
    TANDEM_RETURN_IF_ERROR(lock_subject(subject));
  }
  // Already in the subject (live): registering again is a no-op that answers the same.
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows same,
      conn_->query(fmt::format("SELECT v.version, v.schema_id FROM {} v JOIN {} s ON s.id = "
                               "v.schema_id WHERE v.subject = $1 AND v.deleted = 0 AND "
                               "s.fingerprint = $2 ORDER BY v.version LIMIT 1",
                               table("versions"), table("schemas")),
                   {subject, fingerprint}));
  if (!same.empty()) {
    TANDEM_ASSIGN_OR_RETURN(VersionRecord existing, version_row(same, 0, subject, false));
    Registered r;
    r.version = existing.version;
    r.id = existing.id;
    if (import_id && *import_id != r.id) {
      return Status::InvalidInput(fmt::format(
          "the subject already has this schema, under id {} (not {})", r.id, *import_id));
    }
    return r;
  }
  // The versions the new one is checked against, read under the lock.
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows live_rows,
      conn_->query(fmt::format("SELECT v.version, v.schema_id, s.schema_type, s.schema, s.refs "
                               "FROM {} v JOIN {} s ON s.id = v.schema_id WHERE v.subject = $1 "
                               "AND v.deleted = 0 ORDER BY v.version",
                               table("versions"), table("schemas")),
                   {subject}));
  LiveVersions live;
  for (size_t i = 0; i < live_rows.size(); ++i) {
    TANDEM_ASSIGN_OR_RETURN(VersionRecord v, version_row(live_rows, i, subject, false));
    SchemaRecord s;
    s.id = v.id;
    s.type = live_rows.text(i, 2);
    s.text = live_rows.text(i, 3);
    TANDEM_ASSIGN_OR_RETURN(s.references, parse_references(live_rows.text(i, 4)));
    live.emplace_back(std::move(v), std::move(s));
  }
  TANDEM_RETURN_IF_ERROR(check(live));

  // The schema's global id: one row per distinct schema, whoever registers it first. A
  // concurrent insert of the same fingerprint waits for the other transaction, then finds it.
  std::vector<db::Param> params = {candidate.type, candidate.text,
                                   references_json(candidate.references), fingerprint};
  std::string insert;
  if (import_id) {
    params.push_back(std::to_string(*import_id));
    insert = fmt::format(
        "INSERT INTO {} (schema_type, schema, refs, fingerprint, id) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT DO NOTHING RETURNING id",
        table("schemas"));
  } else {
    insert = fmt::format(
        "INSERT INTO {} (schema_type, schema, refs, fingerprint) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (fingerprint) DO NOTHING RETURNING id",
        table("schemas"));
  }
  // Looked for first: an insert that meets the schema consumes an id (a sequence value) for
  // nothing. The insert still handles a concurrent first registration.
  std::string select = fmt::format("SELECT id FROM {} WHERE fingerprint = $1", table("schemas"));
  TANDEM_ASSIGN_OR_RETURN(db::Rows found, conn_->query(select, {fingerprint}));
  db::Rows inserted;
  if (found.empty() && import_id && postgres_) {
    // The sequence moves past an imported id before the id is taken, so that no registration
    // starting later draws it.
    TANDEM_RETURN_IF_ERROR(
        conn_
            ->query("SELECT setval('tandem.registry_schema_ids', GREATEST($1::bigint, (SELECT "
                    "last_value FROM tandem.registry_schema_ids)))",
                    {std::to_string(*import_id)})
            .status());
  }
  for (int attempt = 0; found.empty(); ++attempt) {
    if (postgres_) TANDEM_RETURN_IF_ERROR(conn_->execute("SAVEPOINT registry_insert"));
    auto result = conn_->query(insert, params);
    // A registration that drew its id just before an import moved the sequence meets the
    // imported id: it draws again (a savepoint keeps the transaction usable).
    if (!result.ok() && postgres_ && !import_id && result.status().sqlstate() == "23505" &&
        attempt < 3) {
      TANDEM_RETURN_IF_ERROR(conn_->execute("ROLLBACK TO SAVEPOINT registry_insert"));
      continue;
    }
    if (!result.ok()) return result.status();
    inserted = std::move(*result);
    TANDEM_ASSIGN_OR_RETURN(found, conn_->query(select, {fingerprint}));
    break;
  }
  if (found.empty()) {
    return Status::InvalidInput(
        fmt::format("id {} is already another schema", import_id ? *import_id : 0),
        "import each schema with the id it had in the registry it comes from");
  }
  Registered r;
  r.created = true;
  TANDEM_ASSIGN_OR_RETURN(r.id, found.integer(0, 0));
  if (import_id && r.id != *import_id) {
    return Status::InvalidInput(
        fmt::format("this schema already has id {}, not {}", r.id, *import_id),
        "import each schema with the id it had in the registry it comes from");
  }
  if (!inserted.empty()) {
    for (const Reference& ref : candidate.references) {
      TANDEM_RETURN_IF_ERROR(
          conn_
              ->query(fmt::format("INSERT INTO {} (schema_id, name, subject, version) VALUES "
                                  "($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                                  table("references")),
                      {std::to_string(r.id), ref.name, ref.subject, std::to_string(ref.version)})
              .status());
    }
  }
  if (import_version) {
    r.version = *import_version;
  } else {
    TANDEM_ASSIGN_OR_RETURN(
        db::Rows max, conn_->query(fmt::format("SELECT COALESCE(MAX(version), 0) FROM {} WHERE "
                                               "subject = $1",
                                               table("versions")),
                                   {subject}));
    TANDEM_ASSIGN_OR_RETURN(long long last, max.integer(0, 0));
    r.version = static_cast<int>(last + 1);
  }
  Status st = conn_
                  ->query(fmt::format("INSERT INTO {} (subject, version, schema_id, deleted, "
                                      "registered_at) VALUES ($1, $2, $3, 0, $4)",
                                      table("versions")),
                          {subject, std::to_string(r.version), std::to_string(r.id),
                           std::to_string(std::time(nullptr))})
                  .status();
  if (!st.ok() && (st.sqlstate() == "23505" || st.sqlstate() == "SQLITE_19")) {
    return Status::InvalidInput(fmt::format("version {} of {} exists already", r.version, subject),
                                "import into an empty subject, or leave the version out");
  }
  TANDEM_RETURN_IF_ERROR(st);
  TANDEM_RETURN_IF_ERROR(tx.commit());
  return r;
}

Result<std::vector<int>> Store::delete_versions(const std::string& subject,
                                                std::optional<int> version, bool permanent) {
  TANDEM_ASSIGN_OR_RETURN(db::Transaction tx,
                          db::Transaction::begin(*conn_, postgres_ ? "BEGIN" : "BEGIN IMMEDIATE"));
  if (postgres_) {
    TANDEM_RETURN_IF_ERROR(lock_subject(subject));
  }
  std::vector<db::Param> params = {subject};
  std::string which = "subject = $1";
  if (version) {
    which += " AND version = $2";
    params.push_back(std::to_string(*version));
  }
  std::string sql =
      permanent
          ? fmt::format("DELETE FROM {} WHERE {} AND deleted = 1 RETURNING version",
                        table("versions"), which)
          : fmt::format("UPDATE {} SET deleted = 1 WHERE {} AND deleted = 0 RETURNING version",
                        table("versions"), which);
  TANDEM_ASSIGN_OR_RETURN(db::Rows rows, conn_->query(sql, params));
  std::vector<int> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    TANDEM_ASSIGN_OR_RETURN(long long v, rows.integer(i, 0));
    out.push_back(static_cast<int>(v));
  }
  std::sort(out.begin(), out.end());
  TANDEM_RETURN_IF_ERROR(tx.commit());
  return out;
}

Result<std::optional<std::string>> Store::setting(const char* kind, const std::string& subject) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn_->query(
          fmt::format("SELECT value FROM {} WHERE kind = $1 AND subject = $2", table("settings")),
          {std::string(kind), subject}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows.text(0, 0));
}

Status Store::set_setting(const char* kind, const std::string& subject, const std::string& value) {
  return conn_
      ->query(fmt::format("INSERT INTO {} (kind, subject, value) VALUES ($1, $2, $3) ON CONFLICT "
                          "(kind, subject) DO UPDATE SET value = excluded.value",
                          table("settings")),
              {std::string(kind), subject, value})
      .status();
}

Result<std::optional<std::string>> Store::delete_setting(const char* kind,
                                                         const std::string& subject) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn_->query(fmt::format("DELETE FROM {} WHERE kind = $1 AND subject = $2 RETURNING value",
                               table("settings")),
                   {std::string(kind), subject}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows.text(0, 0));
}

}  // namespace tandem::registry
