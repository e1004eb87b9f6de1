// The two scenarios of examples/expand-contract, end to end on the real PostgreSQL, with an
// application on the old version and one on the new version writing at the same time: no
// write may fail and no value may be lost, through start, complete and rollback.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "tandem/backfill.h"
#include "tandem/expand.h"
#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

// An application writing in a loop through one version's schema. `step(conn, i)` does one
// write and records what it expects to read back.
class Writer {
 public:
  Writer(const TestDb& db, const std::string& search_path,
         std::function<Status(db::Connection&, int)> step)
      : conn_(db.connect()), step_(std::move(step)) {
    EXPECT_TRUE(conn_->execute_script("SET search_path = " + search_path).ok());
    thread_ = std::thread([this] {
      for (int i = 0; !stop_; ++i) {
        Status st = step_(*conn_, i);
        ++writes_;
        if (!st.ok()) {
          std::lock_guard<std::mutex> lock(mu_);
          ++failures_;
          if (error_.empty()) error_ = st.message();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  ~Writer() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int writes() const { return writes_; }
  int failures() const { return failures_; }
  std::string error() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

 private:
  std::unique_ptr<db::Connection> conn_;
  std::function<Status(db::Connection&, int)> step_;
  std::atomic<bool> stop_{false};
  std::atomic<int> writes_{0}, failures_{0};
  std::mutex mu_;
  std::string error_;
  std::thread thread_;
};

// id → the value the writers last wrote, to compare with what the database holds.
class Expected {
 public:
  void set(const std::string& id, const std::string& value) {
    std::lock_guard<std::mutex> lock(mu_);
    values_[id] = value;
  }
  std::map<std::string, std::string> all() {
    std::lock_guard<std::mutex> lock(mu_);
    return values_;
  }
  // One of this writer's own earlier rows, or "" before it has any.
  std::string pick(int i, const std::string& prefix) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> mine;
    for (const auto& [id, v] : values_)
      if (v.rfind(prefix, 0) == 0 || prefix.empty()) mine.push_back(id);
    return mine.empty() ? "" : mine[static_cast<size_t>(i) % mine.size()];
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> values_;
};

std::map<std::string, std::string> rows(const TestDb& db, const std::string& sql) {
  auto c = db.connect();
  auto r = c->query(sql);
  EXPECT_TRUE(r.ok()) << r.status().message();
  std::map<std::string, std::string> out;
  if (r.ok())
    for (size_t i = 0; i < r->size(); ++i) out[r->text(i, 0)] = r->text(i, 1);
  return out;
}

class ScenarioTest : public ::testing::Test {
 protected:
  ScenarioTest() : db_(Kind::kPostgres), opts_(testing::options_for(db_, dir_)) {
    opts_.engine.lock_timeout_ms = 200;
    opts_.engine.lock_retries = 50;
    opts_.backfill.max_rows = 500;  // several batches over the seed rows
  }
  void copy_example(const std::string& name) {
    std::string from = std::string(TANDEM_SOURCE_DIR) + "/examples/expand-contract/" + name;
    auto copy = [&](const std::vector<const char*>& files) {
      for (const char* f : files) {
        std::string text = testing::read_file(from + "/" + f);
        if (!text.empty()) dir_.write(f, text);
      }
    };
    copy({"0001_create_orders.sql", "0001_create_trips.sql"});
    auto applied = up(opts_, {});
    ASSERT_TRUE(applied.ok()) << applied.status().message();
    copy({"0002_orders_minor_units.yaml", "0002_pickup_location.yaml"});
  }
  TempDir dir_;
  TestDb db_;
  Options opts_;
};

// Old app: inserts orders in cents and bumps their amounts. New app: inserts with minor units
// and a currency, and bumps its own rows.
struct OrdersApps {
  Expected expected;
  std::function<Status(db::Connection&, int)> old_step = [this](db::Connection& c, int i) {
    std::string id = i % 3 == 2 ? expected.pick(i, "old:") : "";
    if (!id.empty()) {
      std::string cents = std::to_string(1000 + i);
      expected.set(id, "old:" + cents);
      return c.query("UPDATE orders SET total_amount = $1 WHERE id = $2", {cents, id}).status();
    }
    std::string cents = std::to_string(100 + i);
    auto r = c.query("INSERT INTO orders (customer, total_amount) VALUES ('old', $1) RETURNING id",
                     {cents});
    if (r.ok()) expected.set(r->text(0, 0), "old:" + cents);
    return r.status();
  };
  std::function<Status(db::Connection&, int)> new_step = [this](db::Connection& c, int i) {
    std::string id = i % 3 == 2 ? expected.pick(i, "new:") : "";
    if (!id.empty()) {
      std::string minor = std::to_string(5000 + i);
      expected.set(id, "new:" + minor);
      return c.query("UPDATE orders SET total_amount_minor = $1 WHERE id = $2", {minor, id})
          .status();
    }
    std::string minor = std::to_string(200 + i);
    auto r = c.query(
        "INSERT INTO orders (customer, total_amount_minor, currency) VALUES ('new', $1, 'EUR') "
        "RETURNING id",
        {minor});
    if (r.ok()) expected.set(r->text(0, 0), "new:" + minor);
    return r.status();
  };
  // What the table must hold for every row the apps wrote: "old:123" / "new:456" → 123 / 456.
  void check(const std::map<std::string, std::string>& actual) {
    int compared = 0;
    for (const auto& [id, v] : expected.all()) {
      auto it = actual.find(id);
      ASSERT_NE(it, actual.end()) << "row " << id << " lost";
      EXPECT_EQ(it->second, v.substr(4)) << "row " << id;
      ++compared;
    }
    EXPECT_GT(compared, 10);
  }
};

TEST_F(ScenarioTest, OrdersMinorUnitsWithOldAndNewWritersThroughStartAndComplete) {
  copy_example("orders");
  ASSERT_TRUE(
      db_.connect()
          ->execute_script("INSERT INTO orders (customer, total_amount) SELECT 'seed', g FROM "
                           "generate_series(1, 3000) g")
          .ok());
  OrdersApps apps;
  // The old app writes before, during and after start, first to the table, then through its
  // version schema once start created it.
  Writer old_app(db_, "public_1, public", apps.old_step);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto s = expand::start(opts_, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.status().message();
  Writer new_app(db_, "public_2", apps.new_step);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));

  // Mid-migration: both versions agree on every row, each in its own representation.
  EXPECT_EQ(db_.value("SELECT count(*) FROM public_1.orders o JOIN public_2.orders n USING (id) "
                      "WHERE o.total_amount::bigint IS DISTINCT FROM n.total_amount_minor"),
            "0");
  EXPECT_EQ(db_.value("SELECT count(*) FROM public_2.orders WHERE customer = 'seed' AND "
                      "currency = 'USD'"),
            "3000");
  EXPECT_EQ(db_.value("SELECT count(*) FROM public_2.orders WHERE customer = 'new' AND "
                      "currency <> 'EUR'"),
            "0");

  old_app.stop();  // the old deployment is retired before complete
  auto c = expand::complete(opts_);
  ASSERT_TRUE(c.ok()) << c.status().message();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  new_app.stop();

  EXPECT_EQ(old_app.failures(), 0) << old_app.error();
  EXPECT_EQ(new_app.failures(), 0) << new_app.error();
  EXPECT_GT(old_app.writes(), 20);
  EXPECT_GT(new_app.writes(), 20);
  apps.check(rows(db_, "SELECT id::text, total_amount_minor::text FROM public_2.orders"));
  apps.check(rows(db_, "SELECT id::text, total_amount_minor::text FROM public.orders"));
  // The contracted table: the new column in place, NOT NULL, with the old column's check and
  // index rebuilt on it; no shadow columns, triggers or old schema left.
  EXPECT_EQ(db_.value("SELECT string_agg(attname || ':' || format_type(atttypid, atttypmod) || "
                      "':' || attnotnull, ',' ORDER BY attname) FROM pg_attribute WHERE attrelid "
                      "= 'public.orders'::regclass AND attnum > 0 AND NOT attisdropped"),
            "created_at:timestamp with time zone:true,currency:text:true,customer:text:true,id:"
            "bigint:true,total_amount_minor:bigint:true");
  EXPECT_EQ(db_.value("SELECT indexdef FROM pg_indexes WHERE indexname = "
                      "'orders_total_amount_idx'"),
            "CREATE INDEX orders_total_amount_idx ON public.orders USING btree "
            "(total_amount_minor)");
  EXPECT_EQ(db_.value("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = "
                      "'orders_total_amount_check'"),
            "CHECK ((total_amount_minor >= 0))");
  EXPECT_EQ(db_.value("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.orders'::regclass "
                      "AND NOT tgisinternal"),
            "0");
  EXPECT_EQ(db_.value("SELECT count(*) FROM pg_namespace WHERE nspname = 'public_1'"), "0");
  auto bad = db_.connect()->execute_script(
      "INSERT INTO orders (customer, total_amount_minor, currency) "
      "VALUES ('x', 1, 'EURO')");
  EXPECT_FALSE(bad.ok());  // the new check holds
}

// verify: zero mismatches on a correct migration; a value planted behind the trigger's back is
// found, counted and named by its key, and the exit code says so.
TEST_F(ScenarioTest, VerifyFindsAPlantedMismatch) {
  copy_example("orders");
  ASSERT_TRUE(
      db_.connect()
          ->execute_script("INSERT INTO orders (customer, total_amount) SELECT 'seed', g FROM "
                           "generate_series(1, 25000) g")
          .ok());
  ASSERT_TRUE(expand::start(opts_, std::nullopt).ok());
  auto ok = backfill::verify(opts_.engine);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  ASSERT_EQ(ok->checks.size(), 2u);  // total_amount_minor = up(...), total_amount = down(...)
  EXPECT_EQ(ok->mismatches(), 0);
  EXPECT_EQ(ok->checks[0].rows, 25000);
  auto c = db_.connect();
  ASSERT_TRUE(c->execute_script("SET session_replication_role = replica").ok());  // triggers off
  ASSERT_TRUE(
      c->execute_script("UPDATE orders SET _tandem_new_total_amount = 1 WHERE id IN (7, 20001)")
          .ok());
  auto bad = testing::run_tandem({"--db", db_.url(), "--dir", dir_.path(), "--json", "verify"});
  EXPECT_EQ(bad.code, 1) << bad.err;
  EXPECT_NE(bad.out.find("\"mismatches\": 2"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("\"(7)\""), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("\"(20001)\""), std::string::npos) << bad.out;
}

TEST_F(ScenarioTest, OrdersRollbackKeepsRowsTheNewVersionWrote) {
  copy_example("orders");
  ASSERT_TRUE(
      db_.connect()
          ->execute_script("INSERT INTO orders (customer, total_amount) SELECT 'seed', g FROM "
                           "generate_series(1, 1000) g")
          .ok());
  std::string before = db_.value(
      "SELECT string_agg(attname || format_type(atttypid, atttypmod), ',' ORDER BY attnum) FROM "
      "pg_attribute WHERE attrelid = 'public.orders'::regclass AND attnum > 0 AND NOT "
      "attisdropped");
  OrdersApps apps;
  Writer old_app(db_, "public_1, public", apps.old_step);
  ASSERT_TRUE(expand::start(opts_, std::nullopt).ok());
  Writer new_app(db_, "public_2", apps.new_step);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  new_app.stop();  // the new deployment is rolled back first
  auto rb = expand::rollback(opts_);
  ASSERT_TRUE(rb.ok()) << rb.status().message();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  old_app.stop();
  EXPECT_EQ(old_app.failures(), 0) << old_app.error();
  EXPECT_EQ(new_app.failures(), 0) << new_app.error();
  apps.check(rows(db_, "SELECT id::text, total_amount::text FROM public.orders"));
  EXPECT_EQ(db_.value("SELECT string_agg(attname || format_type(atttypid, atttypmod), ',' ORDER "
                      "BY attnum) FROM pg_attribute WHERE attrelid = 'public.orders'::regclass "
                      "AND attnum > 0 AND NOT attisdropped"),
            before);
}

TEST_F(ScenarioTest, TripsPickupPointWithOldAndNewWriters) {
  copy_example("trips");
  ASSERT_TRUE(
      db_.connect()
          ->execute_script("INSERT INTO trips (rider, pickup_lat, pickup_lng) SELECT 'seed', g, "
                           "-g FROM generate_series(1, 2000) g")
          .ok());
  Expected expected;
  auto point = [](int i) { return std::make_pair(std::to_string(i) + ".5", std::to_string(-i)); };
  Writer old_app(db_, "public_1, public", [&](db::Connection& c, int i) {
    auto [lat, lng] = point(i);
    auto r = c.query(
        "INSERT INTO trips (rider, pickup_lat, pickup_lng) VALUES ('old', $1, $2) RETURNING id",
        {lat, lng});
    if (r.ok()) expected.set(r->text(0, 0), "(" + lng + "," + lat + ")");
    return r.status();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto s = expand::start(opts_, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.status().message();
  Writer new_app(db_, "\"$user\", public_2", [&](db::Connection& c, int i) {
    auto [lat, lng] = point(10000 + i);
    auto r = c.query(
        "INSERT INTO trips (rider, pickup_location) VALUES ('new', point($1, $2)) "
        "RETURNING id",
        {lng, lat});
    if (r.ok()) expected.set(r->text(0, 0), "(" + lng + "," + lat + ")");
    return r.status();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // The old version reads the new version's rows in its own columns, and the other way round.
  EXPECT_EQ(db_.value("SELECT count(*) FROM public_1.trips o JOIN public_2.trips n USING (id) "
                      "WHERE o.pickup_lat IS DISTINCT FROM n.pickup_location[1] OR o.pickup_lng "
                      "IS DISTINCT FROM n.pickup_location[0]"),
            "0");
  EXPECT_EQ(db_.value("SELECT count(*) FROM public_2.trips WHERE rider = 'seed' AND "
                      "pickup_location[1] <> -pickup_location[0]"),
            "0");
  old_app.stop();
  auto c = expand::complete(opts_);
  ASSERT_TRUE(c.ok()) << c.status().message();
  new_app.stop();
  EXPECT_EQ(old_app.failures(), 0) << old_app.error();
  EXPECT_EQ(new_app.failures(), 0) << new_app.error();
  auto actual = rows(db_, "SELECT id::text, pickup_location::text FROM public.trips");
  int compared = 0;
  for (const auto& [id, v] : expected.all()) {
    ASSERT_EQ(actual.count(id), 1u) << "row " << id << " lost";
    EXPECT_EQ(actual[id], v) << "row " << id;
    ++compared;
  }
  EXPECT_GT(compared, 20);
  EXPECT_EQ(db_.value("SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE "
                      "attrelid = 'public.trips'::regclass AND attnum > 0 AND NOT attisdropped"),
            "id,rider,pickup_location");
  EXPECT_EQ(db_.value("SELECT attnotnull FROM pg_attribute WHERE attrelid = "
                      "'public.trips'::regclass AND attname = 'pickup_location'"),
            "t");
}

// The split recipe of docs/declarative.md: one column into two, with writers on both versions.
TEST_F(ScenarioTest, SplitOneColumnIntoTwo) {
  dir_.write("0001_people.sql",
             "-- tandem:up\nCREATE TABLE people (id bigserial PRIMARY KEY, full_name text NOT "
             "NULL);\nINSERT INTO people (full_name) SELECT 'Ada' || g || ' Lovelace' FROM "
             "generate_series(1, 500) g;\n-- tandem:down\nDROP TABLE people;\n");
  ASSERT_TRUE(up(opts_, {}).ok());
  dir_.write("0002_split_name.yaml",
             "operations:\n"
             "  - add_column:\n      table: people\n      column: {name: first_name, type: "
             "text, nullable: true}\n      up: split_part(full_name, ' ', 1)\n"
             "  - add_column:\n      table: people\n      column: {name: last_name, type: text, "
             "nullable: true}\n      up: substr(full_name, length(split_part(full_name, ' ', 1)) "
             "+ 2)\n"
             "  - drop_column:\n      table: people\n      column: full_name\n      down: "
             "concat_ws(' ', first_name, last_name)\n");
  Expected expected;
  Writer old_app(db_, "public_1, public", [&](db::Connection& c, int i) {
    std::string name = "Old" + std::to_string(i) + " Writer Jr";
    auto r = c.query("INSERT INTO people (full_name) VALUES ($1) RETURNING id", {name});
    if (r.ok()) expected.set(r->text(0, 0), name);
    return r.status();
  });
  auto s = expand::start(opts_, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.status().message();
  Writer new_app(db_, "public_2", [&](db::Connection& c, int i) {
    std::string first = "New" + std::to_string(i);
    auto r = c.query(
        "INSERT INTO people (first_name, last_name) VALUES ($1, 'Writer') RETURNING id", {first});
    if (r.ok()) expected.set(r->text(0, 0), first + " Writer");
    return r.status();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(db_.value("SELECT count(*) FROM public_1.people o JOIN public_2.people n USING (id) "
                      "WHERE o.full_name <> concat_ws(' ', n.first_name, n.last_name)"),
            "0");
  old_app.stop();
  ASSERT_TRUE(expand::complete(opts_).ok());
  new_app.stop();
  EXPECT_EQ(old_app.failures(), 0) << old_app.error();
  EXPECT_EQ(new_app.failures(), 0) << new_app.error();
  auto actual = rows(db_, "SELECT id::text, concat_ws(' ', first_name, last_name) FROM people");
  for (const auto& [id, v] : expected.all()) EXPECT_EQ(actual[id], v) << "row " << id;
  EXPECT_EQ(db_.value("SELECT first_name || '|' || last_name FROM people WHERE id = 1"),
            "Ada1|Lovelace");
  EXPECT_EQ(db_.value("SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE "
                      "attrelid = 'people'::regclass AND attnum > 0 AND NOT attisdropped"),
            "id,first_name,last_name");
}

}  // namespace
}  // namespace tandem
