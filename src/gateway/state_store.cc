// Pins and usage in the state database (gateway/state_store.h).

#include "gateway/state_store.h"

#include <fmt/format.h>

#include <ctime>

namespace tandem::gateway {

std::string iso8601(long long unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

StateStore::StateStore(std::unique_ptr<db::Connection> conn)
    : conn_(std::move(conn)), postgres_(conn_->backend() == db::Backend::kPostgres) {}

std::string StateStore::table(const char* name) const {
  return postgres_ ? fmt::format("tandem.gateway_{}", name)
                   : fmt::format("tandem_gateway_{}", name);
}

Result<std::unique_ptr<StateStore>> StateStore::open(const std::string& url, bool create) {
  db::ConnectOptions options;
  options.application_name = "tandem gateway";
  options.create = create;
  options.connect_timeout_s = 5;
  auto connected = db::connect(url, options);
  if (!connected.ok() && !create && url.rfind("sqlite:", 0) == 0) {
    // The generic hint speaks of --db and `tandem init`: here the file is the config's `state`,
    // made by the first gateway (or `api pin`).
    return connected.status().with_hint(
        "no gateway has run with this config's `state` yet: start `tandem gateway --config …` "
        "(or pin a client with `tandem api pin`), or check `state:` in the config");
  }
  if (!connected.ok()) return connected.status();
  std::unique_ptr<StateStore> store(new StateStore(std::move(connected).value()));
  if (!store->postgres_) {
    // Readers (`api usage`, a second process) never wait for the gateway's writes.
    (void)store->conn_->execute("PRAGMA journal_mode=WAL");
  }
  TANDEM_RETURN_IF_ERROR(store->create_tables());
  return store;
}

Status StateStore::create_tables() {
  std::vector<std::string> ddl;
  if (postgres_) ddl.push_back("CREATE SCHEMA IF NOT EXISTS tandem");
  ddl.push_back(
      fmt::format("CREATE TABLE IF NOT EXISTS {} (client text PRIMARY KEY, version text NOT NULL, "
                  "pinned_at bigint NOT NULL)",
                  table("pins")));
  ddl.push_back(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (client text NOT NULL, version text NOT NULL, "
      "requests bigint NOT NULL, first_seen bigint NOT NULL, last_seen bigint NOT NULL, "
      "PRIMARY KEY (client, version))",
      table("usage")));
  ddl.push_back(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (id integer PRIMARY KEY, generation bigint NOT NULL)",
      table("pins_generation")));
  ddl.push_back(fmt::format("INSERT INTO {} (id, generation) VALUES (1, 0) ON CONFLICT DO NOTHING",
                            table("pins_generation")));
  ddl.push_back(
      fmt::format("CREATE TABLE IF NOT EXISTS {} (name text PRIMARY KEY, is_on integer NOT NULL, "
                  "changed_at bigint NOT NULL, reason text NOT NULL)",
                  table("switches")));
  ddl.push_back(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (name text PRIMARY KEY, step integer NOT NULL, share "
      "double precision NOT NULL, status text NOT NULL, step_started bigint NOT NULL, "
      "analysed_until bigint NOT NULL, reason text NOT NULL, updated_at bigint NOT NULL, "
      "version bigint NOT NULL)",
      table("rollouts")));
  {
    std::string buckets;
    for (size_t i = 0; i <= kLatencyBuckets.size(); ++i) {
      buckets += fmt::format(", b{} bigint NOT NULL", i);
    }
    ddl.push_back(fmt::format(
        "CREATE TABLE IF NOT EXISTS {} (rollout text NOT NULL, arm integer NOT NULL, second "
        "bigint NOT NULL, requests bigint NOT NULL, errors bigint NOT NULL{}, PRIMARY KEY "
        "(rollout, arm, second))",
        table("rollout_samples"), buckets));
  }
  ddl.push_back(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (rollout text NOT NULL, version bigint NOT NULL, at bigint "
      "NOT NULL, step integer NOT NULL, share double precision NOT NULL, status text NOT NULL, "
      "reason text NOT NULL, actor text NOT NULL, PRIMARY KEY (rollout, version))",
      table("rollout_events")));
  for (const std::string& sql : ddl) {
    Status st = conn_->execute(sql);
    // Two gateways creating the same table at once: one of them sees a unique violation on
    // the catalog (23505) or a duplicate object (42P06/42P07); the table exists either way.
    if (!st.ok() &&
        (st.sqlstate() == "23505" || st.sqlstate() == "42P06" || st.sqlstate() == "42P07")) {
      st = conn_->execute(sql);
    }
    if (!st.ok()) return st.with_context("creating the gateway's state tables: ");
  }
  return Status::Ok();
}

Result<std::unordered_map<std::string, std::string>> StateStore::load_pins() {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows, conn_->query(fmt::format("SELECT client, version FROM {}", table("pins"))));
  std::unordered_map<std::string, std::string> out;
  out.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) out.emplace(rows.text(i, 0), rows.text(i, 1));
  return out;
}

Result<std::vector<PinRow>> StateStore::list_pins() {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn_->query(
          fmt::format("SELECT client, version, pinned_at FROM {} ORDER BY client", table("pins"))));
  std::vector<PinRow> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    TANDEM_ASSIGN_OR_RETURN(long long at, rows.integer(i, 2));
    out.push_back(PinRow{rows.text(i, 0), rows.text(i, 1), iso8601(at)});
  }
  return out;
}

Result<long long> StateStore::pins_generation() {
  TANDEM_ASSIGN_OR_RETURN(db::Rows rows,
                          conn_->query(fmt::format("SELECT generation FROM {} WHERE id = 1",
                                                   table("pins_generation"))));
  if (rows.size() == 0) return 0LL;
  return rows.integer(0, 0);
}

Status StateStore::bump_pins_generation() {
  return conn_
      ->query(fmt::format("UPDATE {} SET generation = generation + 1 WHERE id = 1",
                          table("pins_generation")))
      .status();
}

Result<std::string> StateStore::set_pin(const std::string& client, const std::string& version) {
  TANDEM_ASSIGN_OR_RETURN(db::Transaction tx, db::Transaction::begin(*conn_));
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows before,
      conn_->query(fmt::format("SELECT version FROM {} WHERE client = $1", table("pins")),
                   {client}));
  std::string previous = before.size() > 0 ? before.text(0, 0) : "";
  if (version.empty()) {
    TANDEM_RETURN_IF_ERROR(
        conn_->query(fmt::format("DELETE FROM {} WHERE client = $1", table("pins")), {client})
            .status());
  } else {
    TANDEM_RETURN_IF_ERROR(
        conn_
            ->query(fmt::format("INSERT INTO {} (client, version, pinned_at) VALUES ($1, $2, $3) "
                                "ON CONFLICT (client) DO UPDATE SET version = excluded.version, "
                                "pinned_at = excluded.pinned_at",
                                table("pins")),
                    {client, version, std::to_string(std::time(nullptr))})
            .status());
  }
  TANDEM_RETURN_IF_ERROR(bump_pins_generation());
  TANDEM_RETURN_IF_ERROR(tx.commit());
  return previous;
}

Status StateStore::pin_if_absent(const std::vector<std::pair<std::string, std::string>>& pins) {
  if (pins.empty()) return Status::Ok();
  TANDEM_ASSIGN_OR_RETURN(db::Transaction tx, db::Transaction::begin(*conn_));
  std::string sql = fmt::format(
      "INSERT INTO {} (client, version, pinned_at) VALUES ($1, $2, $3) ON CONFLICT (client) DO "
      "NOTHING",
      table("pins"));
  std::string now = std::to_string(std::time(nullptr));
  for (const auto& [client, version] : pins) {
    TANDEM_RETURN_IF_ERROR(conn_->query(sql, {client, version, now}).status());
  }
  TANDEM_RETURN_IF_ERROR(bump_pins_generation());
  return tx.commit();
}

Status StateStore::add_usage(const UsageDeltas& deltas) {
  if (deltas.empty()) return Status::Ok();
  TANDEM_ASSIGN_OR_RETURN(db::Transaction tx, db::Transaction::begin(*conn_));
  std::string t = table("usage");
  std::string sql = fmt::format(
      "INSERT INTO {t} (client, version, requests, first_seen, last_seen) VALUES ($1, $2, $3, $4, "
      "$5) "
      "ON CONFLICT (client, version) DO UPDATE SET requests = {t}.requests + excluded.requests, "
      "first_seen = CASE WHEN excluded.first_seen < {t}.first_seen THEN excluded.first_seen "
      "ELSE {t}.first_seen END, "
      "last_seen = CASE WHEN excluded.last_seen > {t}.last_seen THEN excluded.last_seen "
      "ELSE {t}.last_seen END",
      fmt::arg("t", t));
  for (const auto& [key, d] : deltas) {
    TANDEM_RETURN_IF_ERROR(
        conn_
            ->query(sql, {key.first, key.second, std::to_string(d.requests),
                          std::to_string(d.first_seen), std::to_string(d.last_seen)})
            .status());
  }
  return tx.commit();
}

Result<std::vector<UsageRow>> StateStore::list_usage() {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows rows,
      conn_->query(fmt::format("SELECT client, version, requests, first_seen, last_seen FROM {} "
                               "ORDER BY client, version",
                               table("usage"))));
  std::vector<UsageRow> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    UsageRow r;
    r.client = rows.text(i, 0);
    r.version = rows.text(i, 1);
    TANDEM_ASSIGN_OR_RETURN(r.requests, rows.integer(i, 2));
    TANDEM_ASSIGN_OR_RETURN(long long first, rows.integer(i, 3));
    TANDEM_ASSIGN_OR_RETURN(long long last, rows.integer(i, 4));
    r.first_seen = iso8601(first);
    r.last_seen = iso8601(last);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace tandem::gateway
