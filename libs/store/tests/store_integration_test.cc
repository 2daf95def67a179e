// tp::store against a real PostgreSQL started by tp::testing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <latch>
#include <pqxx/pqxx>
#include <thread>

#include "tp/store/database.h"
#include "tp/store/migrations.h"
#include "tp/testing/postgres_server.h"

namespace tp::store {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// One server for the suite; every test gets its own database.
class StoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = testing::PostgresServer::start();
    ASSERT_TRUE(started) << started.error().to_string();
    server_ = std::move(*started).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string("t_") + info->name();
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto conninfo = server_->create_database(name);
    ASSERT_TRUE(conninfo) << conninfo.error().to_string();
    conninfo_ = *conninfo;
    db_ = connect_db();
    ASSERT_NE(db_, nullptr);
  }

  std::unique_ptr<Database> connect_db() {
    auto db = Database::connect({.connection_string = conninfo_});
    EXPECT_TRUE(db) << db.error().to_string();
    return db ? std::move(*db) : nullptr;
  }

  // First column of the first row, or "error: ..." so a failure shows why.
  std::string query(const std::string& sql) {
    try {
      pqxx::connection c(conninfo_);
      pqxx::work w(c);
      pqxx::result r = w.exec(sql);
      if (r.empty()) return "(no rows)";
      return r[0][0].is_null() ? "(null)" : r[0][0].c_str();
    } catch (const std::exception& e) {
      return std::string("error: ") + e.what();
    }
  }

  static testing::PostgresServer* server_;
  std::string conninfo_;
  std::unique_ptr<Database> db_;
};

testing::PostgresServer* StoreTest::server_ = nullptr;

MigrationSet orders_v2() {
  return MigrationSet{
      "orders",
      {{1, "create_orders",
        "CREATE TABLE orders (id bigint PRIMARY KEY, symbol text NOT NULL);\n"
        "INSERT INTO orders VALUES (1, 'AAPL');"},
       {2, "add_symbol_index", "CREATE INDEX orders_symbol_idx ON orders (symbol);"}}};
}

TEST_F(StoreTest, AppliesPendingMigrationsOnceInOrderAndRecordsThem) {
  auto report = apply_migrations(*db_, orders_v2());
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_THAT(report->applied, ElementsAre(1, 2));
  EXPECT_EQ(report->already_applied, 0);

  EXPECT_EQ(query("SELECT symbol FROM orders WHERE id = 1"), "AAPL");
  EXPECT_EQ(query("SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_symbol_idx'"), "1");
  EXPECT_EQ(query("SELECT string_agg(component || '/' || version || '_' || name || ' ' || checksum,"
                  " ', ' ORDER BY version) FROM tp_schema_migrations"),
            "orders/1_create_orders " + sql_checksum(orders_v2().migrations[0].sql) +
                ", orders/2_add_symbol_index " + sql_checksum(orders_v2().migrations[1].sql));
  EXPECT_EQ(query("SELECT count(*) FROM tp_schema_migrations WHERE applied_at IS NULL"), "0");
}

TEST_F(StoreTest, ReRunningIsANoOp) {
  ASSERT_TRUE(apply_migrations(*db_, orders_v2()));
  const std::string applied_at = query("SELECT max(applied_at)::text FROM tp_schema_migrations");

  auto again = apply_migrations(*db_, orders_v2());
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_THAT(again->applied, IsEmpty());
  EXPECT_EQ(again->already_applied, 2);
  EXPECT_EQ(query("SELECT count(*) FROM tp_schema_migrations"), "2");
  EXPECT_EQ(query("SELECT max(applied_at)::text FROM tp_schema_migrations"), applied_at);
  EXPECT_EQ(query("SELECT count(*) FROM orders"), "1");
}

TEST_F(StoreTest, ANewMigrationIsAppliedAloneOnTheNextStart) {
  ASSERT_TRUE(apply_migrations(*db_, orders_v2()));
  MigrationSet v3 = orders_v2();
  v3.migrations.push_back({3, "add_qty", "ALTER TABLE orders ADD COLUMN qty bigint NOT NULL DEFAULT 0;"});
  auto report = apply_migrations(*db_, v3);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_THAT(report->applied, ElementsAre(3));
  EXPECT_EQ(report->already_applied, 2);
  EXPECT_EQ(query("SELECT qty FROM orders WHERE id = 1"), "0");
}

TEST_F(StoreTest, AChangedChecksumIsDataLossAndStopsFurtherMigrations) {
  ASSERT_TRUE(apply_migrations(*db_, orders_v2()));
  MigrationSet edited = orders_v2();
  const std::string before = sql_checksum(edited.migrations[1].sql);
  edited.migrations[1].sql = "CREATE INDEX orders_symbol_idx ON orders (symbol, id);";
  const std::string after = sql_checksum(edited.migrations[1].sql);
  edited.migrations.push_back({3, "add_qty", "ALTER TABLE orders ADD COLUMN qty bigint;"});

  auto report = apply_migrations(*db_, edited);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().to_string(),
            "data_loss: migration orders/0002_add_symbol_index: checksum changed since it was "
            "applied (applied " + before.substr(0, 12) + "..., now " + after.substr(0, 12) +
                "...)");
  EXPECT_EQ(query("SELECT count(*) FROM tp_schema_migrations"), "2");
  EXPECT_EQ(query("SELECT count(*) FROM information_schema.columns WHERE column_name = 'qty'"), "0");
}

TEST_F(StoreTest, AMigrationUnknownToTheBinaryIsFailedPrecondition) {
  ASSERT_TRUE(apply_migrations(*db_, orders_v2()));
  MigrationSet older{"orders", {orders_v2().migrations[0]}};
  auto report = apply_migrations(*db_, older);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().to_string(),
            "failed_precondition: migration orders/0002_add_symbol_index is recorded in "
            "tp_schema_migrations but unknown to this binary (was the database migrated by a "
            "newer version?)");
}

TEST_F(StoreTest, AFailingMigrationRollsBackCompletelyAndIsNamed) {
  MigrationSet set{"risk",
                   {{1, "create_limits", "CREATE TABLE limits (symbol text PRIMARY KEY);"},
                    {2, "half_done",
                     "CREATE TABLE half_done (x int);\nINSERT INTO half_done VALUES (1 / 0);"}}};
  auto report = apply_migrations(*db_, set);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().to_string(),
            "invalid_argument: migration risk/0002_half_done failed: postgres: ERROR: division by "
            "zero (SQLSTATE 22012)");
  EXPECT_EQ(query("SELECT string_agg(version::text, ',') FROM tp_schema_migrations"), "1");
  EXPECT_EQ(query("SELECT to_regclass('half_done') IS NULL"), "t");
  EXPECT_EQ(query("SELECT to_regclass('limits') IS NULL"), "f");

  set.migrations[1].sql = "CREATE TABLE half_done (x int);";
  auto fixed = apply_migrations(*db_, set);
  ASSERT_TRUE(fixed) << fixed.error().to_string();
  EXPECT_THAT(fixed->applied, ElementsAre(2));
}

TEST_F(StoreTest, ComponentsHaveIndependentVersions) {
  MigrationSet alpha{"alpha", {{1, "create", "CREATE TABLE alpha (x int);"}}};
  MigrationSet beta{"beta", {{1, "create", "CREATE TABLE beta (x int);"}}};
  ASSERT_TRUE(apply_migrations(*db_, alpha));
  auto report = apply_migrations(*db_, beta);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_THAT(report->applied, ElementsAre(1));
  EXPECT_EQ(query("SELECT string_agg(component, ',' ORDER BY component) FROM tp_schema_migrations"),
            "alpha,beta");
}

TEST_F(StoreTest, ConcurrentMigratorsApplyEachMigrationExactlyOnce) {
  // Every migration appends to a log, and none is idempotent (plain CREATE
  // TABLE, ADD COLUMN): a double application would fail or double a row.
  MigrationSet set{
      "concurrent",
      {{1, "create_log", "CREATE TABLE applied_log (version int NOT NULL);\n"
                         "SELECT pg_sleep(0.05);\nINSERT INTO applied_log VALUES (1);"},
       {2, "second", "INSERT INTO applied_log VALUES (2);"},
       {3, "add_note", "ALTER TABLE applied_log ADD COLUMN note text;\n"
                       "INSERT INTO applied_log VALUES (3, 'x');"},
       {4, "fourth", "SELECT pg_sleep(0.02);\nINSERT INTO applied_log VALUES (4);"}}};
  constexpr int kMigrators = 4;
  std::vector<std::unique_ptr<Database>> dbs;
  for (int i = 0; i < kMigrators; ++i) {
    dbs.push_back(connect_db());
    ASSERT_NE(dbs.back(), nullptr);
  }
  std::vector<Result<MigrationReport>> reports(kMigrators);
  std::latch start(kMigrators);
  std::vector<std::thread> threads;
  for (int i = 0; i < kMigrators; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      reports[static_cast<size_t>(i)] = apply_migrations(*dbs[static_cast<size_t>(i)], set);
    });
  }
  for (auto& t : threads) t.join();

  std::vector<int> all_applied;
  for (const auto& r : reports) {
    ASSERT_TRUE(r) << r.error().to_string();
    all_applied.insert(all_applied.end(), r->applied.begin(), r->applied.end());
  }
  std::sort(all_applied.begin(), all_applied.end());
  EXPECT_THAT(all_applied, ElementsAre(1, 2, 3, 4));
  EXPECT_EQ(query("SELECT string_agg(version::text, ',' ORDER BY version) FROM applied_log"),
            "1,2,3,4");
  EXPECT_EQ(query("SELECT count(*) FROM tp_schema_migrations"), "4");
}

TEST_F(StoreTest, TransactCommitsOrRollsBackAndMapsErrors) {
  ASSERT_TRUE(db_->execute("CREATE TABLE fills (id bigint PRIMARY KEY, qty bigint NOT NULL)"));
  ASSERT_TRUE(db_->transact([](pqxx::work& tx) -> Status {
    tx.exec_params("INSERT INTO fills VALUES ($1, $2)", 1, 100);
    return ok();
  }));
  EXPECT_EQ(query("SELECT qty FROM fills WHERE id = 1"), "100");

  Status duplicate = db_->transact([](pqxx::work& tx) -> Status {
    tx.exec_params("INSERT INTO fills VALUES ($1, $2)", 1, 200);
    return ok();
  });
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().to_string(),
            "already_exists: postgres: ERROR: duplicate key value violates unique constraint "
            "\"fills_pkey\" DETAIL: Key (id)=(1) already exists. (SQLSTATE 23505)");

  Status refused = db_->transact([](pqxx::work& tx) -> Status {
    tx.exec_params("INSERT INTO fills VALUES ($1, $2)", 2, 50);
    return make_error(ErrorCode::kFailedPrecondition, "risk limit");
  });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().to_string(), "failed_precondition: risk limit");
  EXPECT_EQ(query("SELECT count(*) FROM fills"), "1") << "the body's error must roll back";

  Status thrown = db_->transact([](pqxx::work&) -> Status { throw std::runtime_error("boom"); });
  ASSERT_FALSE(thrown);
  EXPECT_EQ(thrown.error().to_string(), "internal: unexpected exception: boom");

  auto total = db_->transact_value<int64_t>([](pqxx::work& tx) -> Result<int64_t> {
    return tx.exec1("SELECT sum(qty) FROM fills")[0].as<int64_t>();
  });
  ASSERT_TRUE(total) << total.error().to_string();
  EXPECT_EQ(*total, 100);
  EXPECT_TRUE(db_->ping());
}

// These tests stop and restart the server, so they get one of their own.
class StoreRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = testing::PostgresServer::start();
    ASSERT_TRUE(started) << started.error().to_string();
    server_ = std::move(*started);
  }
  std::unique_ptr<testing::PostgresServer> server_;
  std::vector<milliseconds> sleeps_;
  SleepFunction record_sleep = [this](milliseconds d) { sleeps_.push_back(d); };
};

TEST_F(StoreRestartTest, ConnectFailsClearlyWhenTheServerIsDown) {
  ASSERT_TRUE(server_->stop());
  const std::string conninfo = server_->connection_string();
  auto db = Database::connect({.connection_string = conninfo,
                               .retry = {.max_attempts = 3,
                                         .initial_backoff = milliseconds(10),
                                         .max_backoff = milliseconds(1000)},
                               .sleep = record_sleep});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(db.error().message,
              StartsWith("cannot connect to PostgreSQL at " + conninfo + " after 3 attempts: "));
  EXPECT_THAT(db.error().message, HasSubstr("Connection refused"));
  EXPECT_THAT(sleeps_, ElementsAre(milliseconds(10), milliseconds(20)));
}

TEST_F(StoreRestartTest, ConnectSucceedsOnceTheServerComesUpDuringTheRetries) {
  ASSERT_TRUE(server_->stop());
  // The server comes back while the connector waits after its first failure.
  SleepFunction restart_on_first_sleep = [this](milliseconds d) {
    sleeps_.push_back(d);
    if (sleeps_.size() == 1) {
      Status restarted = server_->restart();
      ASSERT_TRUE(restarted) << restarted.error().to_string();
    }
  };
  auto db = Database::connect({.connection_string = server_->connection_string(),
                               .retry = {.max_attempts = 5, .initial_backoff = milliseconds(10)},
                               .sleep = restart_on_first_sleep});
  ASSERT_TRUE(db) << db.error().to_string();
  EXPECT_THAT(sleeps_, ElementsAre(milliseconds(10)));
  EXPECT_TRUE((*db)->ping());
}

TEST_F(StoreRestartTest, TransactReconnectsTransparentlyAfterARestart) {
  auto db = Database::connect({.connection_string = server_->connection_string(),
                               .sleep = record_sleep});
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE((*db)->execute("CREATE TABLE marks (n int)"));

  for (int round = 1; round <= 2; ++round) {
    // Once a clean restart, once a crash: the old session is dead both times.
    if (round == 1) {
      ASSERT_TRUE(server_->restart());
    } else {
      ASSERT_TRUE(server_->kill());
      ASSERT_TRUE(server_->restart());
    }
    Status inserted = (*db)->transact([&](pqxx::work& tx) -> Status {
      tx.exec_params("INSERT INTO marks VALUES ($1)", round);
      return ok();
    });
    ASSERT_TRUE(inserted) << "round " << round << ": " << inserted.error().to_string();
  }
  auto marks = (*db)->transact_value<std::string>([](pqxx::work& tx) -> Result<std::string> {
    return tx.exec1("SELECT string_agg(n::text, ',' ORDER BY n) FROM marks")[0].as<std::string>();
  });
  ASSERT_TRUE(marks) << marks.error().to_string();
  EXPECT_EQ(*marks, "1,2");
  EXPECT_THAT(sleeps_, IsEmpty()) << "the server was up, so the first reconnect must succeed";
}

TEST_F(StoreRestartTest, TransactFailsWhileDownAndRecoversAfterwards) {
  auto db = Database::connect({.connection_string = server_->connection_string(),
                               .retry = {.max_attempts = 2, .initial_backoff = milliseconds(5)},
                               .sleep = record_sleep});
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE(server_->stop());

  Status down = (*db)->execute("SELECT 1");
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(down.error().message, StartsWith("cannot connect to PostgreSQL at "));
  Status ping_down = (*db)->ping();
  ASSERT_FALSE(ping_down);
  EXPECT_EQ(ping_down.error().code, ErrorCode::kUnavailable);

  ASSERT_TRUE(server_->restart());
  EXPECT_TRUE((*db)->ping());
  EXPECT_TRUE((*db)->execute("SELECT 1"));
}

}  // namespace
}  // namespace tp::store
